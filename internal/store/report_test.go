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

// TestReportSchedule keeps a workspace's monthly report schedule: checked,
// its first month set when turned on and kept while it stays on.
func TestReportSchedule(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws := newWorkspace(t, st, "velo")
		now := time.Date(2026, 10, 15, 10, 0, 0, 0, time.UTC)
		sc, err := st.ReportSchedule(ctx, ws.ID)
		if err != nil || sc.Enabled || len(sc.Recipients) != 0 {
			t.Fatalf("no schedule yet: %+v, %v", sc, err)
		}
		for name, bad := range map[string]model.ReportSchedule{
			"no recipient":   {Enabled: true},
			"not an address": {Enabled: true, Recipients: []string{"Anne <anne@example.org>"}},
			"language":       {Enabled: true, Recipients: []string{"anne@example.org"}, Lang: "de"},
		} {
			if _, err := st.SetReportSchedule(ctx, ws.ID, bad, "2026-10", "lea", now); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}
		on := model.ReportSchedule{Enabled: true, Recipients: []string{"anne@example.org"}, Lang: "fr"}
		if _, err := st.SetReportSchedule(ctx, ws.ID, on, "2026-10", "lea", now); err != nil {
			t.Fatal(err)
		}
		// Changed in November while on: still from October.
		on.Recipients = append(on.Recipients, "paul@example.org")
		if _, err := st.SetReportSchedule(ctx, ws.ID, on, "2026-11", "lea", now.AddDate(0, 1, 0)); err != nil {
			t.Fatal(err)
		}
		sc, err = st.ReportSchedule(ctx, ws.ID)
		if err != nil || !sc.Enabled || sc.Since != "2026-10" || len(sc.Recipients) != 2 || sc.Lang != "fr" {
			t.Fatalf("schedule %+v, %v", sc, err)
		}
		list, err := st.ScheduledReports(ctx)
		if err != nil || len(list) != 1 || list[0].Workspace.Slug != "velo" || list[0].Schedule.Since != "2026-10" {
			t.Fatalf("scheduled %+v, %v", list, err)
		}
		// Off, then on again in December: from December.
		on.Enabled = false
		if _, err := st.SetReportSchedule(ctx, ws.ID, on, "2026-11", "lea", now); err != nil {
			t.Fatal(err)
		}
		if list, _ := st.ScheduledReports(ctx); len(list) != 0 {
			t.Errorf("off, still scheduled: %+v", list)
		}
		on.Enabled = true
		if sc, err := st.SetReportSchedule(ctx, ws.ID, on, "2026-12", "lea", now); err != nil || sc.Since != "2026-12" {
			t.Errorf("on again: %+v, %v", sc, err)
		}
	})
}

// TestReportDeliveries queues a month once, lets one claim hold it, and
// records it sent, failed and due again, or failed for good.
func TestReportDeliveries(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws := newWorkspace(t, st, "velo")
		now := time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
		for i, want := range []bool{true, false} {
			if queued, err := st.QueueReport(ctx, ws.ID, "2026-10", false, "", now); err != nil || queued != want {
				t.Fatalf("queue %d: %v, %v", i, queued, err)
			}
		}
		claims, err := st.ClaimReports(ctx, now, 10, time.Minute)
		if err != nil || len(claims) != 1 || claims[0].Month != "2026-10" {
			t.Fatalf("claims %+v, %v", claims, err)
		}
		if again, _ := st.ClaimReports(ctx, now, 10, time.Minute); len(again) != 0 {
			t.Fatalf("claimed twice: %+v", again)
		}
		c := claims[0]
		next := now.Add(10 * time.Minute)
		if err := st.ReportFailed(ctx, c, "connection refused", next, false, now); err != nil {
			t.Fatal(err)
		}
		if err := st.ReportFailed(ctx, c, "again", next, false, now); !errors.Is(err, store.ErrConflict) {
			t.Errorf("a released claim used again: %v", err)
		}
		if early, _ := st.ClaimReports(ctx, now.Add(time.Minute), 10, time.Minute); len(early) != 0 {
			t.Errorf("claimed before it is due: %+v", early)
		}
		claims, _ = st.ClaimReports(ctx, next, 10, time.Minute)
		if len(claims) != 1 || claims[0].Attempts != 1 || claims[0].LastError != "connection refused" {
			t.Fatalf("due again: %+v", claims)
		}
		if err := st.ReportSent(ctx, claims[0], []string{"anne@example.org"}, next); err != nil {
			t.Fatal(err)
		}
		list, err := st.ReportDeliveries(ctx, ws.ID, 10)
		if err != nil || len(list) != 1 || list[0].Status != model.DeliverySent || list[0].Attempts != 2 || list[0].LastError != "" ||
			list[0].SentAt == nil || len(list[0].Recipients) != 1 {
			t.Fatalf("sent: %+v, %v", list, err)
		}
		// Sent again on a manager's word, then refused for good.
		if queued, err := st.QueueReport(ctx, ws.ID, "2026-10", true, "nadia", next); err != nil || !queued {
			t.Fatalf("again: %v, %v", queued, err)
		}
		claims, _ = st.ClaimReports(ctx, next, 10, time.Minute)
		if len(claims) != 1 || claims[0].Attempts != 0 {
			t.Fatalf("queued again: %+v", claims)
		}
		if err := st.ReportFailed(ctx, claims[0], "550 no such user", next, true, next); err != nil {
			t.Fatal(err)
		}
		list, _ = st.ReportDeliveries(ctx, ws.ID, 10)
		if list[0].Status != model.DeliveryFailed || list[0].LastError != "550 no such user" {
			t.Errorf("failed for good: %+v", list[0])
		}
		if later, _ := st.ClaimReports(ctx, next.Add(24*time.Hour), 10, time.Minute); len(later) != 0 {
			t.Errorf("a failed report claimed: %+v", later)
		}
	})
}
