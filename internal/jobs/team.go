package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"palabre/internal/idempotency"
	"palabre/internal/model"
	"palabre/internal/routing"
	"palabre/internal/store"
)

// Store is what the team's jobs read and change. *store.Store satisfies
// it.
type Store interface {
	routing.Store
	Workspaces(ctx context.Context) ([]model.Workspace, error)
	WakeSnoozed(ctx context.Context, now time.Time) (int, error)
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)
	PurgeIdempotencyKeys(ctx context.Context, before time.Time) (int64, error)
	Optimize(ctx context.Context) error
}

// Routing routes, in every workspace, the conversations nobody holds.
func Routing(st Store, every time.Duration) Job {
	return Job{Name: "routing", Every: every, Run: func(ctx context.Context, now time.Time) error {
		wss, err := st.Workspaces(ctx)
		if err != nil {
			return err
		}
		var errs []error
		for _, ws := range wss {
			if _, err := routing.RouteWorkspace(ctx, st, ws.ID, now); err != nil && !errors.Is(err, store.ErrConflict) {
				errs = append(errs, fmt.Errorf("workspace %s: %w", ws.Slug, err))
			}
		}
		return errors.Join(errs...)
	}}
}

// Snooze brings back the conversations whose snooze ended.
func Snooze(st Store, every time.Duration) Job {
	return Job{Name: "snooze", Every: every, Run: func(ctx context.Context, now time.Time) error {
		_, err := st.WakeSnoozed(ctx, now)
		return err
	}}
}

// Purge deletes expired sessions and idempotency keys, and refreshes the
// query planner's statistics.
func Purge(st Store, every time.Duration) Job {
	return Job{Name: "purge", Every: every, Run: func(ctx context.Context, now time.Time) error {
		_, err := st.DeleteExpiredSessions(ctx, now)
		_, err2 := st.PurgeIdempotencyKeys(ctx, now.Add(-idempotency.KeyTTL))
		return errors.Join(err, err2, st.Optimize(ctx))
	}}
}
