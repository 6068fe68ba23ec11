package metrics

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// The binary form of a Partial, as rollups keep it: compact (integers as
// varints, sorted lists as deltas) and quick to read back, its members
// keyed (Keyed) and written column by column. A leading version byte
// lets a later form be told apart.
const partialVersion = 2

// AppendBinary appends the binary form of t to b. Its members must be
// keyed (Keyed); they come sorted by key, so the same partial always
// gives the same bytes.
func (t Partial) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, partialVersion)
	r := t.Report
	b = binary.AppendVarint(b, r.Period.From.UnixMicro())
	b = binary.AppendVarint(b, r.Period.To.UnixMicro())
	for _, v := range []int{r.In, r.Out, r.Conversations, r.ResponseRate.Of, r.ResponseRate.Total, r.SLA.Of, r.SLA.Total,
		r.WithExpert.Of, r.WithExpert.Total, r.Sentiment.Positive, r.Sentiment.Neutral, r.Sentiment.Negative, r.Sentiment.Unknown,
		r.Backlog.Open, r.Backlog.Unanswered} {
		b = binary.AppendVarint(b, int64(v))
	}
	b = binary.AppendVarint(b, r.Backlog.MedianAge)
	b = binary.AppendVarint(b, r.Backlog.OldestAge)
	b = appendBool(b, t.BacklogDone)
	for _, v := range []int{r.Members.Active, r.Members.New, r.Members.Returning, r.Members.Regular, r.Members.TurnedAround,
		r.Members.Advocates} {
		b = binary.AppendVarint(b, int64(v))
	}
	for _, list := range [][]int64{t.First, t.Resolution, t.Ages} {
		b = binary.AppendUvarint(b, uint64(len(list)))
		for _, v := range list {
			b = binary.AppendVarint(b, v)
		}
	}
	if len(t.Members) > 0 {
		return b, errors.New("partial report: members not keyed")
	}
	tab := t.table
	n := tab.len()
	b = binary.AppendUvarint(b, uint64(n))
	if n == 0 {
		return b, nil
	}
	prev := uint32(0)
	for _, k := range tab.keys {
		b = binary.AppendUvarint(b, uint64(k-prev))
		prev = k
	}
	for _, col := range [][]int32{tab.messages, tab.positive, tab.negative, tab.helpful, tab.days} {
		for _, v := range col {
			b = binary.AppendUvarint(b, uint64(v))
		}
	}
	for i := range n {
		flags := byte(0)
		if tab.turned[i] {
			flags |= flagTurned
		}
		if tab.seen[i] != noSeen {
			flags |= flagSeen
		}
		b = append(b, flags)
	}
	for _, v := range tab.seen {
		if v != noSeen {
			b = binary.AppendVarint(b, v)
		}
	}
	for i := range n {
		b = binary.AppendUvarint(b, uint64(tab.conversations(i)))
	}
	for i := range n {
		last := int64(0)
		for j, c := range tab.convs[tab.convAt[i]:tab.convAt[i+1]] {
			if j == 0 {
				b = binary.AppendVarint(b, c)
			} else {
				b = binary.AppendUvarint(b, uint64(c-last))
			}
			last = c
		}
	}
	return b, nil
}

// Flags of a keyed member.
const (
	flagTurned = 1 << iota
	flagSeen
)

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// errShort: the bytes end before the partial does.
var errShort = errors.New("cut short")

// UnmarshalBinary reads the binary form of a partial (AppendBinary),
// refusing one cut short, of another version or with lists out of order.
func (t *Partial) UnmarshalBinary(data []byte) error {
	_, err := t.unmarshal(data, nil, false, true)
	return err
}

// MembersAt returns where the members' parts begin in the binary form of
// a partial: what comes before is all UnmarshalCounts reads, and a
// partial may be kept in two pieces cut there (UnmarshalSplit).
func MembersAt(data []byte) (int, error) {
	var t Partial
	return t.unmarshal(data, nil, false, false)
}

// UnmarshalSplit reads the binary form of a partial kept in two pieces,
// cut where its members begin (MembersAt).
func (t *Partial) UnmarshalSplit(head, members []byte) error {
	_, err := t.unmarshal(head, members, true, true)
	return err
}

// UnmarshalCounts reads the binary form of a partial but its members'
// parts, written last: what a report of its period alone needs, when its
// Report.Members was counted before it was written (MembersCounted).
func (t *Partial) UnmarshalCounts(data []byte) error {
	_, err := t.unmarshal(data, nil, false, false)
	return err
}

// unmarshal reads a partial from data, or, when split, from data and
// then members; without withMembers, it stops where the members begin,
// and returns where that is.
func (t *Partial) unmarshal(data, members []byte, split, withMembers bool) (int, error) {
	d := decoder{b: data}
	*t = Partial{}
	if v := d.byte(); d.err == nil && v != partialVersion {
		return 0, fmt.Errorf("partial report: version %d, want %d", v, partialVersion)
	}
	r := &t.Report
	r.Period.From, r.Period.To = d.micros(), d.micros()
	for _, v := range []*int{&r.In, &r.Out, &r.Conversations, &r.ResponseRate.Of, &r.ResponseRate.Total, &r.SLA.Of, &r.SLA.Total,
		&r.WithExpert.Of, &r.WithExpert.Total, &r.Sentiment.Positive, &r.Sentiment.Neutral, &r.Sentiment.Negative,
		&r.Sentiment.Unknown, &r.Backlog.Open, &r.Backlog.Unanswered} {
		*v = d.int()
	}
	r.Backlog.MedianAge, r.Backlog.OldestAge = d.varint(), d.varint()
	t.BacklogDone = d.bool()
	for _, v := range []*int{&r.Members.Active, &r.Members.New, &r.Members.Returning, &r.Members.Regular, &r.Members.TurnedAround,
		&r.Members.Advocates} {
		*v = d.int()
	}
	for _, list := range []*[]int64{&t.First, &t.Resolution, &t.Ages} {
		n := d.count(1)
		if n > 0 {
			*list = make([]int64, n)
		}
		for i := range n {
			(*list)[i] = d.varint()
		}
	}
	if !withMembers {
		if d.err != nil {
			return 0, fmt.Errorf("partial report: %w", d.err)
		}
		t.MembersCounted = true
		return len(data) - len(d.b), nil
	}
	if split {
		if d.err == nil && len(d.b) > 0 {
			return 0, fmt.Errorf("partial report: %d bytes after the counts", len(d.b))
		}
		d.b = members
	}
	// A member takes at least 7 bytes: a key, five counts and its flags.
	n := d.count(7)
	if n > 0 {
		t.table = d.table(n)
	}
	if d.err == nil && len(d.b) > 0 {
		d.fail(fmt.Errorf("%d bytes after the end", len(d.b)))
	}
	if d.err != nil {
		return 0, fmt.Errorf("partial report: %w", d.err)
	}
	return 0, nil
}

// table reads the columns of n keyed members.
func (d *decoder) table(n int) *memberTable {
	tab := newTable(n, 0)
	// The keys, as deltas: one column of counts, summed.
	deltas := tab.convAt[1:] // room until the conversations' counts
	if !d.counts(deltas) {
		return nil
	}
	prev := uint64(0)
	for i, delta := range deltas {
		k := prev + uint64(delta)
		if k > math.MaxUint32 || (i > 0 && k == prev) {
			d.fail(fmt.Errorf("member keys out of order or out of range at %d", k))
			return nil
		}
		tab.keys[i], prev = uint32(k), k
	}
	for _, col := range [][]int32{tab.messages, tab.positive, tab.negative, tab.helpful, tab.days} {
		if !d.counts(col) {
			return nil
		}
	}
	flags := d.bytes(n)
	for i, f := range flags {
		if f&^(flagTurned|flagSeen) != 0 {
			d.fail(fmt.Errorf("member flags %#x", f))
			return nil
		}
		tab.turned[i] = f&flagTurned != 0
		if f&flagSeen != 0 {
			if tab.seen[i] = d.varint(); tab.seen[i] == noSeen {
				d.fail(errors.New("a first seen out of range"))
			}
		}
	}
	if !d.counts(tab.convAt[1:]) {
		return nil
	}
	total := 0
	for i := range n {
		total += int(tab.convAt[i+1])
		if total > len(d.b) { // a conversation takes a byte at least
			d.fail(fmt.Errorf("%d conversations in %d bytes", total, len(d.b)))
			return nil
		}
		tab.convAt[i+1] = int32(total)
	}
	tab.convs = make([]int64, total)
	b := d.b
	for i := range n {
		list := tab.convs[tab.convAt[i]:tab.convAt[i+1]]
		for j := range list {
			v, size := uint64(0), 1
			if len(b) > 0 && b[0] < 0x80 {
				v = uint64(b[0])
			} else if v, size = binary.Uvarint(b); size <= 0 {
				d.fail(errShort)
				return nil
			}
			b = b[size:]
			if j == 0 {
				list[j] = unzigzag(v) // the first, signed
				continue
			}
			if v == 0 || v > math.MaxInt64/2 || list[j-1] > math.MaxInt64-int64(v) {
				d.fail(fmt.Errorf("member key %d: conversations out of order", tab.keys[i]))
				return nil
			}
			list[j] = list[j-1] + int64(v)
		}
	}
	d.b = b
	return tab
}

// counts reads a column of counts, each at most math.MaxInt32, into col;
// false when they do not read.
func (d *decoder) counts(col []int32) bool {
	if d.err != nil {
		return false
	}
	b := d.b
	for i := range col {
		if len(b) > 0 && b[0] < 0x80 {
			// Most take one byte: read here, as uvarint does, the loop
			// being too hot for a call per count.
			col[i], b = int32(b[0]), b[1:]
			continue
		}
		v, size := binary.Uvarint(b)
		if size <= 0 {
			d.fail(errShort)
			return false
		}
		if v > math.MaxInt32 {
			d.fail(fmt.Errorf("count %d out of range", v))
			return false
		}
		col[i], b = int32(v), b[size:]
	}
	d.b = b
	return true
}

// unzigzag is the signed value of a varint binary.AppendVarint wrote.
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// decoder reads a binary partial; its first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail(errShort)
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) bool() bool {
	switch d.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail(errors.New("a flag neither 0 nor 1"))
	return false
}

func (d *decoder) varint() int64 {
	return unzigzag(d.uvarint())
}

func (d *decoder) uvarint() uint64 {
	if len(d.b) > 0 && d.b[0] < 0x80 {
		v := uint64(d.b[0]) // most counts take one byte
		d.b = d.b[1:]
		return v
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

// int reads a count, which cannot be negative.
func (d *decoder) int() int {
	v := d.varint()
	if v < 0 || v > 1<<40 {
		d.fail(fmt.Errorf("count %d out of range", v))
		return 0
	}
	return int(v)
}

func (d *decoder) micros() time.Time { return time.UnixMicro(d.varint()).UTC() }

// count reads a length whose items take at least size bytes each, so
// that a corrupt length cannot ask for more than the bytes could hold.
func (d *decoder) count(size int) int {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	if v > uint64(len(d.b)/size) {
		d.fail(fmt.Errorf("%d items in %d bytes", v, len(d.b)))
		return 0
	}
	return int(v)
}

func (d *decoder) bytes(n int) []byte {
	if n > len(d.b) {
		d.fail(errShort)
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}
