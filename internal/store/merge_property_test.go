package store_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// TestMergeUnmergeNeverLoses merges and unmerges random members at
// random, chains included (A←B, then B's unmerge refused until A's
// survivor is undone…): after every step the live members hold every
// message and every identity exactly once, and once every merge is
// undone each member has exactly what it had at first. Every merge and
// unmerge is in the audit log.
func TestMergeUnmergeNeverLoses(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprint(seed), func(t *testing.T) { mergeRandomly(t, st, seed) })
		}
	})
}

// peopleState is who holds what: each member's identities ("kind:value")
// and messages (external ids), and where it was merged.
type peopleState struct {
	identities map[string][]string
	messages   map[string][]string
	merged     map[string]string
	counts     map[string]int
}

func readPeople(t *testing.T, w peopleWorld, ids []string) peopleState {
	t.Helper()
	ps := peopleState{identities: map[string][]string{}, messages: map[string][]string{}, merged: map[string]string{}, counts: map[string]int{}}
	for _, id := range ids {
		m := w.member(t, id)
		ps.identities[id] = identityValues(m)
		ps.merged[id] = m.MergedInto
		ps.counts[id] = m.MessageCount
	}
	for ext, id := range w.owners(t) {
		ps.messages[id] = append(ps.messages[id], ext)
	}
	for _, v := range ps.messages {
		slices.Sort(v)
	}
	return ps
}

func mergeRandomly(t *testing.T, st *store.Store, seed uint64) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 7))
	w := peopleWorld{st: st}
	var err error
	slug := fmt.Sprintf("prop%d", seed)
	if w.ws, err = st.CreateWorkspace(ctx, model.Workspace{Slug: slug, Name: slug}); err != nil {
		t.Fatal(err)
	}
	if w.ch, err = st.EnsureChannel(ctx, w.ws.ID, "blog", "wordpress"); err != nil {
		t.Fatal(err)
	}
	const people = 7
	var msgs []authored
	n := 0
	for p := range people {
		email, handle := fmt.Sprintf("p%d@example.org", p), ""
		if rng.IntN(2) == 0 {
			handle = fmt.Sprintf("handle%d", p)
		}
		for range 1 + rng.IntN(3) {
			n++
			ext := fmt.Sprintf("m%d", n)
			root := ext
			if n > 1 && rng.IntN(2) == 0 {
				root = fmt.Sprintf("m%d", 1+rng.IntN(n-1))
				for root != "" && slices.ContainsFunc(msgs, func(a authored) bool { return a.ext == root && a.root != a.ext }) {
					root = msgs[slices.IndexFunc(msgs, func(a authored) bool { return a.ext == root })].root
				}
			}
			a := authored{ext: ext, root: root, email: email, handle: handle, name: fmt.Sprintf("Person %d", p), at: pt0.Add(time.Duration(n) * time.Hour)}
			if handle != "" && rng.IntN(2) == 0 {
				a.email = "" // signed by the handle alone: same member
			}
			msgs = append(msgs, a)
		}
	}
	w.write(t, msgs...)
	owners := w.owners(t)
	ids := slices.Sorted(maps.Keys(func() map[string]bool {
		out := map[string]bool{}
		for _, id := range owners {
			out[id] = true
		}
		return out
	}()))
	if len(ids) != people || len(owners) != n {
		t.Fatalf("%d members for %d messages: %v", len(ids), n, owners)
	}
	first := readPeople(t, w, ids)
	var allIdentities []string
	for _, v := range first.identities {
		allIdentities = append(allIdentities, v...)
	}
	slices.Sort(allIdentities)

	check := func(step string) peopleState {
		t.Helper()
		ps := readPeople(t, w, ids)
		var idents []string
		total := 0
		for _, id := range ids {
			if ps.merged[id] != "" {
				if len(ps.identities[id]) != 0 || len(ps.messages[id]) != 0 || ps.counts[id] != 0 {
					t.Fatalf("%s: %s merged away still holds %v %v (count %d)", step, id, ps.identities[id], ps.messages[id], ps.counts[id])
				}
				continue
			}
			if ps.counts[id] != len(ps.messages[id]) {
				t.Fatalf("%s: %s counts %d messages, holds %d", step, id, ps.counts[id], len(ps.messages[id]))
			}
			total += ps.counts[id]
			idents = append(idents, ps.identities[id]...)
		}
		slices.Sort(idents)
		if total != n || !slices.Equal(idents, allIdentities) {
			t.Fatalf("%s: live members hold %d messages (want %d) and identities %v (want %v)", step, total, n, idents, allIdentities)
		}
		return ps
	}
	merges, unmerges := 0, 0
	for step := range 40 {
		ps := check(fmt.Sprint("step ", step))
		var live, away []string
		for _, id := range ids {
			if ps.merged[id] == "" {
				live = append(live, id)
			} else {
				away = append(away, id)
			}
		}
		if len(away) > 0 && (len(live) < 2 || rng.IntN(3) == 0) {
			from := away[rng.IntN(len(away))]
			_, err := st.UnmergeMember(ctx, w.ws.ID, from, "cm", pt0)
			if survivor := ps.merged[from]; ps.merged[survivor] != "" {
				if !errors.Is(err, store.ErrInvalid) {
					t.Fatalf("step %d: unmerge %s whose survivor %s is merged away: %v", step, from, survivor, err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("step %d: unmerge %s: %v", step, from, err)
			}
			unmerges++
			continue
		}
		into, from := live[rng.IntN(len(live))], live[rng.IntN(len(live))]
		_, err := st.MergeMembers(ctx, w.ws.ID, into, from, "cm", pt0)
		if into == from {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("step %d: merge %s into itself: %v", step, into, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("step %d: merge %s into %s: %v", step, from, into, err)
		}
		merges++
	}
	// Undo everything, the latest merges first where a chain asks it.
	for {
		ps := check("undoing")
		undone := false
		for _, id := range ids {
			if s := ps.merged[id]; s != "" && ps.merged[s] == "" {
				if _, err := st.UnmergeMember(ctx, w.ws.ID, id, "cm", pt0); err != nil {
					t.Fatalf("undo %s: %v", id, err)
				}
				unmerges++
				undone = true
				break
			}
		}
		if !undone {
			break
		}
	}
	last := check("undone")
	for _, id := range ids {
		if last.merged[id] != "" || !slices.Equal(last.identities[id], first.identities[id]) || !slices.Equal(last.messages[id], first.messages[id]) {
			t.Errorf("member %s after undoing all: %v %v, at first %v %v", id, last.identities[id], last.messages[id], first.identities[id], first.messages[id])
		}
	}
	events, err := st.Events(ctx, w.ws.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range events {
		count[e.Action]++
	}
	if merges == 0 || count["member.merge"] != merges || count["member.unmerge"] != unmerges || merges != unmerges {
		t.Errorf("audit log: %v, for %d merges and %d unmerges", count, merges, unmerges)
	}
}
