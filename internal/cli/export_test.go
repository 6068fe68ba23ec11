package cli

import (
	"context"
	"time"

	"palabre/internal/store"
)

// SeedDemoForTest stores the demo agency as palabre demo does, without
// serving it.
func SeedDemoForTest(ctx context.Context, st *store.Store, now time.Time) error {
	if _, _, err := seedDemo(ctx, st, now); err != nil {
		return err
	}
	return seedTeamWork(ctx, st)
}
