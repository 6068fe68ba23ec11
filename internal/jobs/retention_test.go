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

// TestRetentionJob applies each workspace's retention once a day: a
// workspace with a period loses its old messages, one without keeps
// them, and a second round the same day does nothing.
func TestRetentionJob(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 11, 26, 10, 30, 0, 0, time.UTC)
		var wss []model.Workspace
		for _, slug := range []string{"kept", "purged"} {
			ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: slug, Name: slug})
			if err != nil {
				t.Fatal(err)
			}
			wss = append(wss, ws)
			var msgs []model.Message
			for i, age := range []int{-30, -13, -1} {
				msgs = append(msgs, model.Message{ExternalID: slug + string(rune('a'+i)), ConversationExternalID: slug + string(rune('a'+i)),
					Body: "Bonjour ?", AuthorName: "Anne", AuthorEmail: "anne@example.org", CreatedAt: now.AddDate(0, age, 0)})
			}
			if _, err := ingest.Import(ctx, st, ingest.FromMessages(msgs), ingest.Options{Workspace: ws, Channel: "blog"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.SetPrivacySettings(ctx, wss[1].ID, model.PrivacySettings{Erasure: store.ErasureDelete,
			RetentionMonths: 12, RetentionAction: store.RetentionPurge}, "owner", now); err != nil {
			t.Fatal(err)
		}
		count := func(ws model.Workspace) int {
			t.Helper()
			page, err := st.Conversations(ctx, ws.ID, store.ConversationFilter{Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			return len(page.Conversations)
		}
		job := jobs.Retention(st, time.Hour)
		if err := job.Run(ctx, now); err != nil {
			t.Fatal(err)
		}
		if k, p := count(wss[0]), count(wss[1]); k != 3 || p != 1 {
			t.Fatalf("after a round: %d conversations kept, %d in the purged workspace; want 3 and 1", k, p)
		}
		set, err := st.PrivacySettings(ctx, wss[1].ID)
		if err != nil || set.RetainedAt == nil || !set.RetainedAt.Equal(now) {
			t.Errorf("retained_at %v (%v), want %v", set.RetainedAt, err, now)
		}
		// A message older than the period arrives: the next round the
		// same day leaves it, the next day's takes it.
		old := model.Message{ExternalID: "late", ConversationExternalID: "late", Body: "Bonjour ?", AuthorName: "Anne",
			AuthorEmail: "anne@example.org", CreatedAt: now.AddDate(-2, 0, 0)}
		if _, err := ingest.Import(ctx, st, ingest.FromMessages([]model.Message{old}), ingest.Options{Workspace: wss[1], Channel: "blog"}); err != nil {
			t.Fatal(err)
		}
		if err := job.Run(ctx, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if p := count(wss[1]); p != 2 {
			t.Errorf("a second round the same day: %d conversations, want 2", p)
		}
		if err := job.Run(ctx, now.Add(25*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if p := count(wss[1]); p != 1 {
			t.Errorf("the next day: %d conversations, want 1", p)
		}
	})
}
