package metrics

import (
	"context"
	"fmt"
	"time"
)

// MemberPeriodDays is how far back a member's engagement score on their
// panel looks.
const MemberPeriodDays = 90

// MemberEngagement is one member's engagement over the days before now,
// scored as the analytics score members (same formula, same weights).
type MemberEngagement struct {
	Engagement
	Period     Period  `json:"period"`
	PeriodDays int     `json:"period_days"`
	Weights    Weights `json:"weights"`
}

// MemberSource reads what one member's engagement is computed from.
// *store.Store satisfies it.
type MemberSource interface {
	Source
	MemberFacts(ctx context.Context, workspaceID int64, memberID string, p Period, now time.Time) (Facts, error)
}

// MemberScore scores a member of a workspace over the MemberPeriodDays
// days before now, with the workspace's weights, counting their days on
// the clock of its SLA calendar as the analytics do.
func MemberScore(ctx context.Context, src MemberSource, workspaceID int64, memberID string, now time.Time) (MemberEngagement, error) {
	clock, err := WorkspaceClock(ctx, src, workspaceID)
	if err != nil {
		return MemberEngagement{}, fmt.Errorf("engagement of member %s: %w", memberID, err)
	}
	weights, err := src.EngagementWeights(ctx, workspaceID)
	if err != nil {
		return MemberEngagement{}, fmt.Errorf("engagement of member %s: %w", memberID, err)
	}
	p := Period{From: now.AddDate(0, 0, -MemberPeriodDays), To: now}
	f, err := src.MemberFacts(ctx, workspaceID, memberID, p, now)
	if err != nil {
		return MemberEngagement{}, err
	}
	f.Clock = clock
	e := Engagement{MemberID: memberID, Name: f.Names[memberID]}
	if m := Partials(f, []Period{p}, nil)[0].Members[memberID]; m != nil {
		e.Messages, e.Conversations, e.Days = m.Messages, len(m.Conversations), len(m.Days)
		e.Positive, e.Helpful, e.Negative = m.Positive, m.Helpful, m.Negative
	}
	e.Score = weights.Score(e)
	return MemberEngagement{Engagement: e, Period: p, PeriodDays: MemberPeriodDays, Weights: weights}, nil
}
