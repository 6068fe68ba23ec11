package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"palabre/internal/ingest"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// TestAlerts keeps a workspace's alert settings, raises alerts once
// (compare-and-set on what was seen, once per kind, subject and bucket)
// with an event each, and hands their e-mails out by lease.
func TestAlerts(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws := newWorkspace(t, st, "velo")
		now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		add := func(id string, at time.Time) {
			t.Helper()
			m := model.Message{ExternalID: id, ConversationExternalID: id, Body: "bonjour", AuthorName: "Anne", CreatedAt: at}
			if _, err := ingest.Import(ctx, st, ingest.FromMessages([]model.Message{m}), ingest.Options{Workspace: ws, Channel: "blog"}); err != nil {
				t.Fatal(err)
			}
		}
		add("before", now.Add(-time.Hour))
		if _, err := st.SetAlertSettings(ctx, ws.ID, model.AlertSettings{Enabled: true, Keywords: []string{"vélo"}}, "nadia", now); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SetAlertSettings(ctx, ws.ID, model.AlertSettings{WindowMinutes: 1}, "nadia", now); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("a one-minute window: %v", err)
		}
		w, err := st.WatchedWorkspaces(ctx)
		if err != nil || len(w) != 1 || w[0].Seen == 0 || w[0].Seen != w[0].Newest || w[0].Settings.WindowMinutes != 60 {
			t.Fatalf("watched %+v, %v: detection starts from the newest message", w, err)
		}
		add("after", now.Add(-time.Minute))
		w, _ = st.WatchedWorkspaces(ctx)
		if w[0].Newest <= w[0].Seen {
			t.Fatalf("a new message, watched %+v", w[0])
		}
		msgs, err := st.AlertMessages(ctx, ws.ID, now.Add(-time.Hour), now, 10)
		if err != nil || len(msgs) != 2 || msgs[0].Body != "bonjour" || msgs[0].ID != w[0].Newest {
			t.Fatalf("alert messages %+v, %v", msgs, err)
		}
		spike := model.Alert{Kind: "volume", From: now.Add(-time.Hour), To: now, Count: 2, Usual: 0.1, MessageIDs: []int64{msgs[0].ID, msgs[1].ID},
			Bucket: now.Truncate(time.Hour).UnixMicro(), Headline: "2 messages"}
		raised, err := st.RaiseAlerts(ctx, ws.ID, []model.Alert{spike}, w[0].Seen, w[0].Newest, now)
		if err != nil || len(raised) != 1 || raised[0].ID == 0 {
			t.Fatalf("raised %+v, %v", raised, err)
		}
		// Another node that looked at the same messages raises nothing.
		if again, err := st.RaiseAlerts(ctx, ws.ID, []model.Alert{spike}, w[0].Seen, w[0].Newest, now); err != nil || len(again) != 0 {
			t.Errorf("raised twice: %+v, %v", again, err)
		}
		// The same spike in the same window, seen later: not again.
		add("later", now)
		w, _ = st.WatchedWorkspaces(ctx)
		if again, err := st.RaiseAlerts(ctx, ws.ID, []model.Alert{spike}, w[0].Seen, w[0].Newest, now); err != nil || len(again) != 0 {
			t.Errorf("raised again in its window: %+v, %v", again, err)
		}
		list, err := st.Alerts(ctx, ws.ID, 10)
		if err != nil || len(list) != 1 || list[0].Headline != "2 messages" || len(list[0].MessageIDs) != 2 || list[0].Usual != 0.1 {
			t.Fatalf("alerts %+v, %v", list, err)
		}
		quotes, err := st.AlertQuotes(ctx, ws.ID, list[0].MessageIDs)
		if err != nil || len(quotes) != 2 || quotes[0].ID != list[0].MessageIDs[0] || quotes[0].Author != "Anne" {
			t.Errorf("quotes %+v, %v", quotes, err)
		}
		events, _ := st.Events(ctx, ws.ID, 10)
		n := 0
		for _, e := range events {
			if e.Action == "alert.raised" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d alert.raised events, want 1", n)
		}
		mails, err := st.ClaimAlertMails(ctx, now, 10, time.Minute)
		if err != nil || len(mails) != 1 {
			t.Fatalf("mails %+v, %v", mails, err)
		}
		if more, _ := st.ClaimAlertMails(ctx, now, 10, time.Minute); len(more) != 0 {
			t.Errorf("claimed twice")
		}
		if err := st.AlertMailed(ctx, mails[0], "connection refused", now.Add(time.Minute), now); err != nil {
			t.Fatal(err)
		}
		if stale, _ := st.ClaimAlertMails(ctx, now.Add(7*time.Hour), 10, time.Minute); len(stale) != 0 {
			t.Errorf("an alert of 7 hours ago e-mailed: %+v", stale)
		}
		mails, _ = st.ClaimAlertMails(ctx, now.Add(time.Minute), 10, time.Minute)
		if len(mails) != 1 || mails[0].Attempts != 1 {
			t.Fatalf("due again: %+v", mails)
		}
		if err := st.AlertMailed(ctx, mails[0], "", time.Time{}, now); err != nil {
			t.Fatal(err)
		}
		if list, _ := st.Alerts(ctx, ws.ID, 10); list[0].EmailedAt == nil {
			t.Errorf("not marked e-mailed")
		}
		if more, _ := st.ClaimAlertMails(ctx, now.Add(time.Hour), 10, time.Minute); len(more) != 0 {
			t.Errorf("an e-mailed alert claimed")
		}
	})
}

// TestAlertBaseline counts a week of customers' messages in the database:
// all, negative, by topic; the team's, spam and those outside the span
// left out.
func TestAlertBaseline(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws := newWorkspace(t, st, "velo")
		now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		var msgs []model.Message
		for i, m := range []struct {
			ago       time.Duration
			staff     bool
			sentiment string
			topics    []string
		}{
			{time.Hour, false, "neg", []string{"livraison", "prix"}},
			{2 * time.Hour, false, "neg", []string{"livraison"}},
			{3 * time.Hour, false, "pos", []string{"livraison"}},
			{4 * time.Hour, false, "", nil},
			{5 * time.Hour, true, "neg", []string{"livraison"}}, // the team's
			{8 * 24 * time.Hour, false, "neg", nil},             // before the span
		} {
			id := fmt.Sprint("m", i)
			msgs = append(msgs, model.Message{ExternalID: id, ConversationExternalID: id, Body: "x", AuthorName: "Anne",
				AuthorIsStaff: m.staff, CreatedAt: now.Add(-m.ago), Sentiment: m.sentiment, Topics: m.topics})
		}
		if _, err := ingest.Import(ctx, st, ingest.FromMessages(msgs), ingest.Options{Workspace: ws, Channel: "blog"}); err != nil {
			t.Fatal(err)
		}
		c, err := st.AlertBaseline(ctx, ws.ID, now.Add(-7*24*time.Hour), now)
		if err != nil {
			t.Fatal(err)
		}
		if c.All != 4 || c.Negative != 2 || c.Topics["livraison"] != 3 || c.Topics["prix"] != 1 || len(c.Topics) != 2 {
			t.Errorf("counts %+v", c)
		}
	})
}
