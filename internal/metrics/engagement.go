package metrics

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sort"
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

// Engaged scores the members of a partial with w and returns the n
// highest, best first (ties by name, then id), named by names.
func (t Partial) Engaged(names map[string]string, w Weights, n int) []Engagement {
	out, _ := t.EngagedNamed(context.Background(), w, n, func(_ context.Context, ids []string) (map[string]string, error) {
		return names, nil
	})
	return out
}

// EngagedNamed is Engaged with the names looked up by names, asked only
// for the members who may rank: those scoring at least the n-th score.
func (t Partial) EngagedNamed(ctx context.Context, w Weights, n int,
	names func(context.Context, []string) (map[string]string, error)) ([]Engagement, error) {
	out := make([]Engagement, 0, t.MemberCount())
	t.eachMember(func(id string, m *MemberPart) {
		e := Engagement{MemberID: id, Messages: m.Messages, Conversations: len(m.Conversations), Days: len(m.Days),
			Positive: m.Positive, Helpful: m.Helpful, Negative: m.Negative}
		e.Score = float64(e.Messages)*w.Messages + float64(e.Conversations)*w.Conversations + float64(e.Days)*w.Days +
			float64(e.Positive)*w.Positive + float64(e.Helpful)*w.Helpful - float64(e.Negative)*w.Negative
		out = append(out, e)
	})
	if n <= 0 || len(out) == 0 {
		return []Engagement{}, nil
	}
	if len(out) > n {
		// Those below the n-th score cannot rank, whatever their names.
		slices.SortFunc(out, func(a, b Engagement) int { return cmp.Compare(b.Score, a.Score) })
		cut := out[n-1].Score
		out = out[:n+sort.Search(len(out)-n, func(i int) bool { return out[n+i].Score < cut })]
	}
	ids := make([]string, len(out))
	for i := range out {
		ids[i] = out[i].MemberID
	}
	named, err := names(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("names of the most engaged members: %w", err)
	}
	for i := range out {
		out[i].Name = named[out[i].MemberID]
	}
	slices.SortFunc(out, func(a, b Engagement) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), strings.Compare(a.Name, b.Name), strings.Compare(a.MemberID, b.MemberID))
	})
	return out[:min(len(out), n)], nil
}
