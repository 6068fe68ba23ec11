package metrics

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Members of partials kept (rollups) are named by keys rather than ids: a
// workspace's dictionary gives each member id a number, the first 1, the
// next 2, and so on, for good. Keyed members are held as columns, a row
// each, sorted by key, which merge a year of partials in a few passes
// over arrays: what a dashboard over a year does with hundreds of
// thousands of members.

// noSeen is the first seen of a member the facts did not say when first
// wrote: later than any time, so that the earliest of several is a min.
const noSeen = math.MaxInt64

// memberTable holds members' parts by key: row i is the member of key
// keys[i] (sorted, once each). Days count the local days written on;
// seen is when the member first wrote in the workspace (Unix
// microseconds, noSeen when not known); the conversations of row i are
// convs[convAt[i]:convAt[i+1]], sorted, once each.
type memberTable struct {
	keys                                        []uint32
	messages, positive, negative, helpful, days []int32
	turned                                      []bool
	seen                                        []int64
	convAt                                      []int32
	convs                                       []int64
}

// newTable makes a table of n rows, their columns zero (seen noSeen), with
// room for convs conversations.
func newTable(n, convs int) *memberTable {
	t := &memberTable{keys: make([]uint32, n), turned: make([]bool, n), seen: make([]int64, n), convAt: make([]int32, n+1),
		convs: make([]int64, 0, convs)}
	ints := make([]int32, 5*n) // one allocation for the five counts
	t.messages, t.positive, t.negative, t.helpful, t.days = ints[:n:n], ints[n:2*n:2*n], ints[2*n:3*n:3*n], ints[3*n:4*n:4*n], ints[4*n:]
	for i := range t.seen {
		t.seen[i] = noSeen
	}
	return t
}

func (t *memberTable) len() int {
	if t == nil {
		return 0
	}
	return len(t.keys)
}

// conversations is how many conversations row i wrote in.
func (t *memberTable) conversations(i int) int { return int(t.convAt[i+1] - t.convAt[i]) }

// Keyed is t with its members named by the keys of their ids, as a
// partial must be to be written (AppendBinary) or merged (Merge). It fails
// when a member's id has no key, or two share one.
func (t Partial) Keyed(keys map[string]uint32) (Partial, error) {
	if len(t.Members) == 0 {
		return t, nil // keyed already, or no member
	}
	type row struct {
		key uint32
		m   *MemberPart
	}
	rows := make([]row, 0, len(t.Members))
	convs := 0
	for id, m := range t.Members {
		k, ok := keys[id]
		if !ok {
			return t, fmt.Errorf("member %q has no key", id)
		}
		rows = append(rows, row{k, m})
		convs += len(m.Conversations)
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(a.key, b.key) })
	tab := newTable(len(rows), convs)
	for i, r := range rows {
		if i > 0 && rows[i-1].key == r.key {
			return t, fmt.Errorf("two members have key %d", r.key)
		}
		m := r.m
		tab.keys[i] = r.key
		tab.messages[i], tab.positive[i], tab.negative[i], tab.helpful[i] = int32(m.Messages), int32(m.Positive), int32(m.Negative), int32(m.Helpful)
		tab.days[i], tab.turned[i] = int32(len(m.Days)), m.Turned
		if m.Seen {
			tab.seen[i] = m.FirstSeen.UnixMicro()
		}
		tab.convs = append(tab.convs, m.Conversations...)
		tab.convAt[i+1] = int32(len(tab.convs))
	}
	t.Members, t.table = nil, tab
	return t, nil
}

// mergeTables unites the members of tables of periods that follow one
// another, each of whole local days: counts add up (a local day is in one
// period only, so days too), the first seen is the earliest, a member
// turned around in one turned around in all, and conversations are
// united. A table alone is shared, not copied.
func mergeTables(tables []*memberTable) *memberTable {
	tables = slices.DeleteFunc(slices.Clone(tables), func(t *memberTable) bool { return t.len() == 0 })
	switch len(tables) {
	case 0:
		return nil
	case 1:
		return tables[0]
	}
	// The rows are found by key in an array as long as the largest key:
	// marked, then numbered in key order.
	var top uint32
	for _, t := range tables {
		top = max(top, t.keys[len(t.keys)-1])
	}
	slot := make([]int32, int(top)+1)
	for _, t := range tables {
		for _, k := range t.keys {
			slot[k] = 1
		}
	}
	n := 0
	for k, s := range slot {
		if s != 0 {
			n++
			slot[k] = int32(n)
		}
	}
	// Counts, and room for each row's conversations.
	at := make([]int32, n+1)
	hits := make([]int32, n)
	out := newTable(n, 0)
	for _, t := range tables {
		for i, k := range t.keys {
			r := slot[k] - 1
			out.keys[r] = k
			out.messages[r] += t.messages[i]
			out.positive[r] += t.positive[i]
			out.negative[r] += t.negative[i]
			out.helpful[r] += t.helpful[i]
			out.days[r] += t.days[i]
			out.turned[r] = out.turned[r] || t.turned[i]
			out.seen[r] = min(out.seen[r], t.seen[i])
			at[r+1] += t.convAt[i+1] - t.convAt[i]
			hits[r]++
		}
	}
	for r := range n {
		at[r+1] += at[r]
	}
	convs := make([]int64, at[n])
	next := slices.Clone(at[:n])
	for _, t := range tables {
		for i, k := range t.keys {
			r := slot[k] - 1
			next[r] += int32(copy(convs[next[r]:], t.convs[t.convAt[i]:t.convAt[i+1]]))
		}
	}
	// A member of several tables may have written in a conversation in
	// more than one: sorted, once each, and the lists closed up.
	w := int32(0)
	for r := range n {
		list := convs[at[r]:at[r+1]]
		if hits[r] > 1 {
			slices.Sort(list)
			list = slices.Compact(list)
		}
		out.convAt[r] = w
		w += int32(copy(convs[w:], list))
	}
	out.convAt[n] = w
	out.convs = convs[:w:w]
	return out
}
