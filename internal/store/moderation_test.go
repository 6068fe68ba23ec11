package store_test

import (
	"context"
	"testing"
	"time"

	"palabre/internal/ingest"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// TestFollowStatuses gives stored comments the status their site says
// now, but for one whose moderation asked in palabre waits for the site.
func TestFollowStatuses(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws := newWorkspace(t, st, "velo")
		at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		var msgs []model.Message
		for _, id := range []string{"a", "b", "c"} {
			msgs = append(msgs, model.Message{ExternalID: id, Body: "comment " + id, Status: model.StatusPending, CreatedAt: at})
		}
		if _, err := ingest.Import(ctx, st, ingest.FromMessages(msgs), ingest.Options{Workspace: ws, Channel: "blog"}); err != nil {
			t.Fatal(err)
		}
		stored := func() map[string]string {
			t.Helper()
			out := map[string]string{}
			page, err := st.Conversations(ctx, ws.ID, store.ConversationFilter{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page.Conversations {
				ms, err := st.ConversationMessages(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range ms {
					out[m.ExternalID] = m.Status
				}
			}
			return out
		}
		// b's trash, asked in palabre, waits for the site.
		if _, err := st.CreateSource(ctx, ws.ID, model.Source{Channel: "blog", Kind: model.SourceWordPress, Name: "site",
			IntervalSeconds: 60}, `{}`, "test", at); err != nil {
			t.Fatal(err)
		}
		page, err := st.Conversations(ctx, ws.ID, store.ConversationFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Conversations {
			if c.RootExternalID == "b" {
				ms, err := st.ConversationMessages(ctx, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := st.ModerateMessage(ctx, ws.ID, ms[0].ID, model.ModTrash, "lea", at); err != nil {
					t.Fatal(err)
				}
			}
		}
		n, err := st.FollowStatuses(ctx, ws.ID, "blog", map[string]string{"a": model.StatusApproved, "b": model.StatusApproved,
			"c": model.StatusPending, "unknown": model.StatusSpam, "x": "bogus"})
		if err != nil || n != 1 {
			t.Fatalf("followed %d, %v; want 1", n, err)
		}
		want := map[string]string{"a": model.StatusApproved, "b": model.StatusTrash, "c": model.StatusPending}
		got := stored()
		for id, s := range want {
			if got[id] != s {
				t.Errorf("%s is %s, want %s (all: %v)", id, got[id], s, got)
			}
		}
		if n, err := st.FollowStatuses(ctx, ws.ID, "blog", map[string]string{"a": model.StatusApproved}); err != nil || n != 0 {
			t.Errorf("the same status again: %d changed, %v", n, err)
		}
		if n, err := st.FollowStatuses(ctx, ws.ID, "forum", map[string]string{"a": model.StatusSpam}); err != nil || n != 0 {
			t.Errorf("a channel never seen: %d changed, %v", n, err)
		}
		events, err := st.Events(ctx, ws.ID, 500)
		if err != nil {
			t.Fatal(err)
		}
		changes := 0
		for _, e := range events {
			if e.Action == "message.status" {
				changes++
			}
		}
		if changes != 1 {
			t.Errorf("%d message.status events, want 1", changes)
		}
	})
}
