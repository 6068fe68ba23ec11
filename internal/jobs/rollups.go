package jobs

import (
	"context"
	"errors"
	"time"

	"palabre/internal/rollup"
	"palabre/internal/store"
)

// Rollups keeps every workspace's metrics rollups up to date
// (rollup.Refresh): the days that ended or changed since the last round
// are counted again, so that dashboards merge them instead of counting
// every message.
func Rollups(st *store.Store, every time.Duration) Job {
	return Job{Name: "rollups", Every: every, Run: func(ctx context.Context, now time.Time) error {
		list, err := st.Workspaces(ctx)
		errs := []error{err}
		for _, ws := range list {
			_, err := rollup.Refresh(ctx, st, ws.ID, now)
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	}}
}
