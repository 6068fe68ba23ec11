package metrics

import (
	"cmp"
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
	out := make([]Engagement, 0, len(t.Members))
	for id, m := range t.Members {
		e := Engagement{MemberID: id, Name: names[id], Messages: m.Messages, Conversations: len(m.Conversations), Days: len(m.Days),
			Positive: m.Positive, Helpful: m.Helpful, Negative: m.Negative}
		e.Score = float64(e.Messages)*w.Messages + float64(e.Conversations)*w.Conversations + float64(e.Days)*w.Days +
			float64(e.Positive)*w.Positive + float64(e.Helpful)*w.Helpful - float64(e.Negative)*w.Negative
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Engagement) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), strings.Compare(a.Name, b.Name), strings.Compare(a.MemberID, b.MemberID))
	})
	return out[:min(len(out), n)]
}
