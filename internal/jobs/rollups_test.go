package jobs_test

import (
	"context"
	"testing"
	"time"

	"palabre/internal/ingest"
	"palabre/internal/jobs"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// TestRollupsJob keeps the rollups of every workspace: a round counts
// the days since each one's first message, the next counts none, and a
// message written into the past has its day counted again.
func TestRollupsJob(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 26, 10, 30, 0, 0, time.UTC)
		var wss []model.Workspace
		for _, slug := range []string{"lumiere", "velo"} {
			ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: slug, Name: slug})
			if err != nil {
				t.Fatal(err)
			}
			wss = append(wss, ws)
		}
		write := func(ws model.Workspace, id string, at time.Time) {
			t.Helper()
			m := model.Message{ExternalID: id, ConversationExternalID: id, Body: "Bonjour ?", AuthorName: "Anne",
				AuthorEmail: "anne@example.org", CreatedAt: at}
			if _, err := ingest.Import(ctx, st, ingest.FromMessages([]model.Message{m}), ingest.Options{Workspace: ws, Channel: "blog"}); err != nil {
				t.Fatal(err)
			}
		}
		write(wss[0], "a", now.AddDate(0, 0, -10))
		write(wss[1], "b", now.AddDate(0, 0, -3))
		days := func(ws model.Workspace) int {
			t.Helper()
			index, err := st.RollupIndex(ctx, ws.ID, "UTC")
			if err != nil {
				t.Fatal(err)
			}
			return len(index["day"])
		}
		job := jobs.Rollups(st, time.Minute)
		if err := job.Run(ctx, now); err != nil {
			t.Fatal(err)
		}
		if a, b := days(wss[0]), days(wss[1]); a != 10 || b != 3 {
			t.Fatalf("days kept: %d and %d, want 10 and 3", a, b)
		}
		write(wss[1], "c", now.AddDate(0, 0, -2))
		spans, err := st.DirtySpans(ctx, wss[1].ID)
		if err != nil || len(spans) == 0 {
			t.Fatalf("a message written into the past marks no span (%v)", err)
		}
		if err := job.Run(ctx, now); err != nil {
			t.Fatal(err)
		}
		if spans, err := st.DirtySpans(ctx, wss[1].ID); err != nil || len(spans) > 0 || days(wss[1]) != 3 {
			t.Fatalf("after a round: spans %v (%v), %d days kept", spans, err, days(wss[1]))
		}
	})
}
