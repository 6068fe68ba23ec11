package metrics_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"palabre/internal/metrics"
	"palabre/internal/metrics/metricstest"
)

// TestMergeMembers merges the keyed members of random partials of days
// that follow one another and finds what uniting their parts by id finds:
// each member's messages, conversations (once each), days, positive,
// helpful and negative messages, and the members' counts.
func TestMergeMembers(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for round := range 40 {
		nparts := 1 + rng.IntN(12)
		parts := make([]metrics.Partial, nparts)
		want := map[string]*metrics.MemberPart{}
		convs := map[string]map[int64]bool{}
		for i := range parts {
			from := start.AddDate(0, 0, 3*i)
			p := metrics.Partial{Report: metrics.Report{Period: metrics.Period{From: from, To: from.AddDate(0, 0, 3)}},
				Members: map[string]*metrics.MemberPart{}}
			for range rng.IntN(60) {
				id := fmt.Sprintf("m%03d", rng.IntN(80))
				m := p.Members[id]
				if m == nil {
					m = &metrics.MemberPart{}
					p.Members[id] = m
					if rng.IntN(3) > 0 {
						m.FirstSeen, m.Seen = start.AddDate(0, 0, rng.IntN(40)-10), true
					}
				}
				c := int64(1 + rng.IntN(30))
				if !slices.Contains(m.Conversations, c) {
					m.Conversations = append(m.Conversations, c)
					slices.Sort(m.Conversations)
				}
				if d := int32(3*i + rng.IntN(3)); !slices.Contains(m.Days, d) {
					m.Days = append(m.Days, d)
					slices.Sort(m.Days)
				}
				m.Messages++
				m.Positive += rng.IntN(2)
				m.Negative += rng.IntN(2)
				m.Helpful += rng.IntN(2)
				m.Turned = m.Turned || rng.IntN(10) == 0
			}
			for id, m := range p.Members {
				w := want[id]
				if w == nil {
					w = &metrics.MemberPart{}
					want[id], convs[id] = w, map[int64]bool{}
				}
				for _, c := range m.Conversations {
					convs[id][c] = true
				}
				w.Days = append(w.Days, m.Days...)
				w.Messages += m.Messages
				w.Positive += m.Positive
				w.Negative += m.Negative
				w.Helpful += m.Helpful
				w.Turned = w.Turned || m.Turned
				if m.Seen && (!w.Seen || m.FirstSeen.Before(w.FirstSeen)) {
					w.FirstSeen, w.Seen = m.FirstSeen, true
				}
			}
			parts[i] = p
		}
		for id, w := range want {
			for c := range convs[id] {
				w.Conversations = append(w.Conversations, c)
			}
		}
		dict := metricstest.NewDictionary(map[string]string{})
		merged, err := metrics.Merge(dict.Key(t, parts...)...)
		if err != nil {
			t.Fatal(err)
		}
		whole := metrics.Partial{Report: merged.Report, Members: want}
		if got, w := merged.Finish().Members, whole.Finish().Members; got != w {
			t.Errorf("round %d: members %+v, want %+v", round, got, w)
		}
		weights := metrics.DefaultWeights()
		got, err := merged.EngagedNamed(context.Background(), weights, len(want), dict)
		if err != nil {
			t.Fatal(err)
		}
		if w := whole.Engaged(nil, weights, len(want)); !slices.Equal(got, w) {
			t.Errorf("round %d: engagement\n got %+v\nwant %+v", round, got, w)
		}
	}
}
