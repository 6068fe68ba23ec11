package insights

import (
	"context"
	"time"

	"palabre/internal/metrics"
)

// MaxMessages bounds the messages read of each period, the newest first.
const MaxMessages = 20000

// Answer is what a community said over a period, against the period of
// as many days just before.
type Answer struct {
	TimeZone string         `json:"time_zone"`
	From     string         `json:"from"` // local dates, to exclusive
	To       string         `json:"to"`
	Before   metrics.Period `json:"before"`
	// Read is how many messages of the period were read (at most
	// MaxMessages, the newest).
	Read   int     `json:"read"`
	Topics []Topic `json:"topics"`
}

// Source reads what insights are computed from. *store.Store satisfies
// it.
type Source interface {
	metrics.Source
	InsightMessages(ctx context.Context, workspaceID int64, p metrics.Period, limit int) ([]Message, error)
}

// Ask answers q's period (its from and to; the rest is left) for a
// workspace at now. Errors of the query wrap metrics.ErrBadQuery.
func Ask(ctx context.Context, src Source, workspaceID int64, q metrics.Query, now time.Time) (Answer, error) {
	res, err := metrics.Resolve(ctx, src, workspaceID, q, now)
	if err != nil {
		return Answer{}, err
	}
	before := res.Before()
	msgs, err := src.InsightMessages(ctx, workspaceID, res.Period, MaxMessages)
	if err != nil {
		return Answer{}, err
	}
	prev, err := src.InsightMessages(ctx, workspaceID, before, MaxMessages)
	if err != nil {
		return Answer{}, err
	}
	return Answer{TimeZone: res.Clock.Location().String(), From: res.From, To: res.To, Before: before,
		Read: len(msgs), Topics: Compute(msgs, prev)}, nil
}
