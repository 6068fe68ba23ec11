package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// TestUrgentReads: on PostgreSQL the reads of a context marked Urgent go
// through the writers' connections, so that they answer while every
// reader's connection is held — when an unmarked read waits. On both
// engines they read the same rows.
func TestUrgentReads(t *testing.T) {
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			dsn := testutil.NewDSN(t, engine)
			if engine == store.EnginePostgres {
				// One connection each: the writers' and the readers'.
				dsn = testutil.WithQuery(dsn, "pool_max_conns=2")
			}
			st, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			ws, err := st.EnsureWorkspace(ctx, model.Workspace{Slug: "acme", Name: "Acme"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.EnsureChannel(ctx, ws.ID, "blog", "wordpress"); err != nil {
				t.Fatal(err)
			}
			if engine == store.EnginePostgres {
				held, err := st.ReaderForTest(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer held.Close()
				short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
				defer cancel()
				if _, err := st.WorkspaceBySlug(short, "acme"); !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("an unmarked read with the readers' one connection held: %v, want it to wait", err)
				}
			}
			urgent, cancel := context.WithTimeout(store.Urgent(ctx), 10*time.Second)
			defer cancel()
			got, err := st.WorkspaceBySlug(urgent, "acme")
			if err != nil || got.ID != ws.ID {
				t.Fatalf("urgent workspace: %+v, %v", got, err)
			}
			ch, err := st.EnsureChannel(urgent, ws.ID, "blog", "wordpress")
			if err != nil || ch.Name != "blog" {
				t.Fatalf("urgent channel: %+v, %v", ch, err)
			}
			last, err := st.LastEventID(urgent)
			if err != nil {
				t.Fatalf("urgent last event: %v", err)
			}
			if evs, err := st.EventsAfter(urgent, 0, 10); err != nil || int64(len(evs)) > last {
				t.Fatalf("urgent events: %d after 0 with the last %d, %v", len(evs), last, err)
			}
		})
	}
}
