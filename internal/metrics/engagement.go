package metrics

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Weights weigh what a member did in a period into their engagement
// score (docs/METRICS.md):
//
//	score = messages × Messages + conversations × Conversations
//	      + active days × Days + positive messages × Positive
//	      + helpful messages × Helpful − negative messages × Negative
//
// A helpful message is one written in a conversation another member
// started: the member answers the community.
type Weights struct {
	Messages      float64 `json:"messages"`
	Conversations float64 `json:"conversations"`
	Days          float64 `json:"days"`
	Positive      float64 `json:"positive"`
	Helpful       float64 `json:"helpful"`
	Negative      float64 `json:"negative"`
}

// DefaultWeights count coming back and helping others more than writing
// much.
func DefaultWeights() Weights {
	return Weights{Messages: 1, Conversations: 2, Days: 3, Positive: 2, Helpful: 3, Negative: 1}
}

// maxWeight bounds each weight.
const maxWeight = 1000

// Validate checks that every weight is a number from 0 to 1,000.
func (w Weights) Validate() error {
	var errs []string
	for name, v := range map[string]float64{"messages": w.Messages, "conversations": w.Conversations, "days": w.Days,
		"positive": w.Positive, "helpful": w.Helpful, "negative": w.Negative} {
		if !(v >= 0 && v <= maxWeight) { // NaN fails both
			errs = append(errs, fmt.Sprintf("%s: %v: want a number from 0 to %d", name, v, maxWeight))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	slices.Sort(errs)
	return fmt.Errorf("engagement weights: %s", strings.Join(errs, "; "))
}

// Score weighs what a member did (e's counts) into their engagement
// score: the one formula of the metrics and the member panel.
func (w Weights) Score(e Engagement) float64 {
	return float64(e.Messages)*w.Messages + float64(e.Conversations)*w.Conversations + float64(e.Days)*w.Days +
		float64(e.Positive)*w.Positive + float64(e.Helpful)*w.Helpful - float64(e.Negative)*w.Negative
}

// Engagement is a member's engagement over a period: what they did and
// its score.
type Engagement struct {
	MemberID      string  `json:"member_id"`
	Name          string  `json:"name"`
	Score         float64 `json:"score"`
	Messages      int     `json:"messages"`
	Conversations int     `json:"conversations"`
	Days          int     `json:"days"`
	Positive      int     `json:"positive"`
	Helpful       int     `json:"helpful"`
	Negative      int     `json:"negative"`
}

// Engaged scores the members who wrote in p with w and returns the n
// highest, best first (ties by name, then id). Days are local days of the
// facts' clock (UTC without one).
func Engaged(f Facts, p Period, w Weights, n int) []Engagement {
	return Partials(f, []Period{p}, nil)[0].Engaged(f.Names, w, n)
}

// Engaged scores the members of a partial (not keyed) with w and returns
// the n highest, best first (ties by name, then id), named by names.
func (t Partial) Engaged(names map[string]string, w Weights, n int) []Engagement {
	out, _ := t.EngagedNamed(context.Background(), w, n, namesOnly(names))
	return out
}

// Who tells members apart and names them, for the most engaged.
type Who interface {
	// IDs returns the ids of the members of keys (Partial.Keyed).
	IDs(ctx context.Context, keys []uint32) (map[uint32]string, error)
	// Names returns the display names of members.
	Names(ctx context.Context, ids []string) (map[string]string, error)
}

// namesOnly names members from a map; it knows no keys.
type namesOnly map[string]string

func (n namesOnly) IDs(context.Context, []uint32) (map[uint32]string, error) {
	return nil, errors.New("members named by keys: no dictionary to read them")
}

func (n namesOnly) Names(_ context.Context, ids []string) (map[string]string, error) { return n, nil }

// EngagedNamed is Engaged with the members told apart and named by who,
// asked only about those who may rank: scoring at least the n-th score.
func (t Partial) EngagedNamed(ctx context.Context, w Weights, n int, who Who) ([]Engagement, error) {
	if n <= 0 || t.MemberCount() == 0 {
		return []Engagement{}, nil
	}
	score := w.Score
	tab := t.table
	row := func(i int) Engagement {
		return Engagement{Messages: int(tab.messages[i]), Conversations: tab.conversations(i), Days: int(tab.days[i]),
			Positive: int(tab.positive[i]), Helpful: int(tab.helpful[i]), Negative: int(tab.negative[i])}
	}
	type scored struct {
		Engagement
		key uint32 // of a keyed member, whose MemberID is not known yet
	}
	var out []scored
	for id, m := range t.Members {
		e := Engagement{MemberID: id, Messages: m.Messages, Conversations: len(m.Conversations), Days: len(m.Days),
			Positive: m.Positive, Helpful: m.Helpful, Negative: m.Negative}
		e.Score = score(e)
		out = append(out, scored{Engagement: e})
	}
	if rows := tab.len(); rows > 0 {
		// Those below the n-th score cannot rank, whatever their names:
		// the n best scores are found first, then the members who reach
		// the n-th.
		best := make([]float64, 0, n+1) // sorted, highest first
		scores := make([]float64, rows)
		for i := range rows {
			v := score(row(i))
			scores[i] = v
			if len(best) == n && v <= best[n-1] {
				continue
			}
			at, _ := slices.BinarySearchFunc(best, v, func(a, b float64) int { return cmp.Compare(b, a) })
			best = slices.Insert(best, at, v)
			if len(best) > n {
				best = best[:n]
			}
		}
		cut := best[len(best)-1]
		for i, v := range scores {
			if v >= cut {
				e := row(i)
				e.Score = v
				out = append(out, scored{Engagement: e, key: tab.keys[i]})
			}
		}
	}
	if len(out) > n {
		// The same cut over every member, named by id or keyed.
		slices.SortFunc(out, func(a, b scored) int { return cmp.Compare(b.Score, a.Score) })
		cut := out[n-1].Score
		out = slices.DeleteFunc(out, func(e scored) bool { return e.Score < cut })
	}
	var keys []uint32
	for _, e := range out {
		if e.MemberID == "" {
			keys = append(keys, e.key)
		}
	}
	if len(keys) > 0 {
		ids, err := who.IDs(ctx, keys)
		if err != nil {
			return nil, fmt.Errorf("ids of the most engaged members: %w", err)
		}
		for i := range out {
			if out[i].MemberID == "" {
				if out[i].MemberID = ids[out[i].key]; out[i].MemberID == "" {
					return nil, fmt.Errorf("ids of the most engaged members: key %d unknown", out[i].key)
				}
			}
		}
	}
	ids := make([]string, len(out))
	for i := range out {
		ids[i] = out[i].MemberID
	}
	named, err := who.Names(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("names of the most engaged members: %w", err)
	}
	ranked := make([]Engagement, len(out))
	for i := range out {
		ranked[i] = out[i].Engagement
		ranked[i].Name = named[ranked[i].MemberID]
	}
	slices.SortFunc(ranked, func(a, b Engagement) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), strings.Compare(a.Name, b.Name), strings.Compare(a.MemberID, b.MemberID))
	})
	return ranked[:min(len(ranked), n)], nil
}
