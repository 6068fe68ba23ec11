package jobs

import (
	"context"
	"errors"
	"time"

	"palabre/internal/store"
)

// retentionPeriod is how often a workspace's retention is applied: once
// a day, whichever node's round comes first.
const retentionPeriod = 24 * time.Hour

// Retention applies the retention policy of every workspace that has
// one, once a day (store.ApplyRetention): older messages purged or
// anonymised, each run in the audit log as the "retention" actor.
func Retention(st *store.Store, every time.Duration) Job {
	return Job{Name: "retention", Every: every, Run: func(ctx context.Context, now time.Time) error {
		due, err := st.DueRetentions(ctx, now.Add(-retentionPeriod))
		errs := []error{err}
		for _, id := range due {
			_, err := st.ApplyRetention(ctx, id, "retention", now)
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}}
}
