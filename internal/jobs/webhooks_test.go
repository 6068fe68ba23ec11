package jobs_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"palabre/internal/fetch"
	"palabre/internal/jobs"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
	"palabre/internal/webhook"
)

// received is one request a test receiver got.
type received struct {
	header http.Header
	body   []byte
}

// TestWebhookFanOutAndDelivery records events, fans out those older than
// SettleDelay, and delivers them, signed, to a receiver on loopback.
func TestWebhookFanOutAndDelivery(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		var (
			mu   sync.Mutex
			got  []received
			fail = map[string]bool{"/down": true}
		)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			got = append(got, received{r.Header.Clone(), body})
			down := fail[r.URL.Path]
			mu.Unlock()
			if down {
				http.Error(w, "down", http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}))
		defer srv.Close()

		ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "velo"})
		if err != nil {
			t.Fatal(err)
		}
		up, err := st.CreateWebhook(ctx, ws.ID, model.Webhook{URL: srv.URL + "/up", Events: []string{"conversation."}}, "max")
		if err != nil {
			t.Fatal(err)
		}
		down, err := st.CreateWebhook(ctx, ws.ID, model.Webhook{URL: srv.URL + "/down", Events: []string{"sla.breach"}}, "max")
		if err != nil {
			t.Fatal(err)
		}
		t0 := store.TruncateTime(time.Now().Add(time.Second))
		record := func(action string, at time.Time) model.Event {
			t.Helper()
			e, err := st.RecordEvent(ctx, model.Event{WorkspaceID: ws.ID, Actor: "test", Action: action, Subject: "conversation 1", CreatedAt: at})
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		older := record("conversation.status", t0)
		breach := record("sla.breach", t0.Add(time.Second))
		younger := record("conversation.assign", t0.Add(10*time.Second))

		job := jobs.WebhookFanOut(st, time.Second)
		if job.Name == "" || job.Every != time.Second {
			t.Fatalf("job %+v", job)
		}
		fanOut := func(now time.Time) {
			t.Helper()
			if err := job.Run(ctx, now); err != nil {
				t.Fatalf("fan-out at %v: %v", now, err)
			}
		}
		pending := func(h model.Webhook) []store.WebhookDelivery {
			t.Helper()
			ds, err := st.WebhookDeliveries(ctx, ws.ID, h.ID, 100)
			if err != nil {
				t.Fatal(err)
			}
			return ds
		}

		// Not settled yet: nothing.
		fanOut(t0.Add(jobs.SettleDelay - time.Microsecond))
		if ds := pending(up); len(ds) != 0 {
			t.Fatalf("fanned out an unsettled event: %+v", ds)
		}
		// The older event settled, the others not yet.
		fanOut(t0.Add(jobs.SettleDelay))
		if ds := pending(up); len(ds) != 1 || ds[0].EventID != older.ID {
			t.Fatalf("deliveries after the first settled %+v", ds)
		}
		if ds := pending(down); len(ds) != 0 {
			t.Fatalf("deliveries of an unsettled event %+v", ds)
		}
		if c, err := st.WebhookCursor(ctx); err != nil || c != older.ID {
			t.Fatalf("cursor %d %v, want %d", c, err, older.ID)
		}
		now := t0.Add(10*time.Second + jobs.SettleDelay)
		fanOut(now)
		fanOut(now) // again: nothing new
		if ds := pending(up); len(ds) != 2 || ds[0].EventID != younger.ID || ds[1].EventID != older.ID {
			t.Fatalf("deliveries to up %+v", ds)
		}
		if ds := pending(down); len(ds) != 1 || ds[0].EventID != breach.ID {
			t.Fatalf("deliveries to down %+v", ds)
		}
		if c, err := st.WebhookCursor(ctx); err != nil || c != younger.ID {
			t.Fatalf("cursor %d %v, want %d", c, err, younger.ID)
		}

		// Deliver: signed, with the event as body.
		d := &webhook.Deliverer{Store: st, Client: fetch.NewHTTPClient(true, 5*time.Second), Timeout: 5 * time.Second,
			Now: func() time.Time { return now }}
		n, err := d.RunOnce(ctx)
		if err != nil || n != 3 {
			t.Fatalf("first delivery round: %d %v, want 3", n, err)
		}
		events := map[int64]model.Event{older.ID: older, breach.ID: breach, younger.ID: younger}
		secrets := map[string]string{"/up": up.Secret, "/down": down.Secret}
		mu.Lock()
		reqs := got
		got = nil
		mu.Unlock()
		if len(reqs) != 3 {
			t.Fatalf("receiver got %d requests, want 3", len(reqs))
		}
		ids := map[int64]bool{}
		for _, r := range reqs {
			var e model.Event
			if err := json.Unmarshal(r.body, &e); err != nil {
				t.Fatalf("body %s: %v", r.body, err)
			}
			want, ok := events[e.ID]
			if !ok {
				t.Fatalf("delivered event %+v, not one recorded", e)
			}
			wantBody, _ := json.Marshal(want)
			if string(r.body) != string(wantBody) {
				t.Errorf("body %s, want %s", r.body, wantBody)
			}
			path := "/up"
			if e.Action == "sla.breach" {
				path = "/down"
			}
			if err := webhook.Verify([]byte(secrets[path]), r.header.Get(webhook.SignatureHeader), r.body, now, 0); err != nil {
				t.Errorf("signature of event %d: %v", e.ID, err)
			}
			if err := webhook.Verify([]byte(secrets[map[string]string{"/up": "/down", "/down": "/up"}[path]]),
				r.header.Get(webhook.SignatureHeader), r.body, now, 0); err == nil {
				t.Errorf("event %d verifies with the other webhook's secret", e.ID)
			}
			if r.header.Get(webhook.EventHeader) != e.Action || r.header.Get("Content-Type") != "application/json" ||
				r.header.Get("User-Agent") != webhook.UserAgent {
				t.Errorf("headers %v for %s", r.header, e.Action)
			}
			id, err := strconv.ParseInt(r.header.Get(webhook.DeliveryHeader), 10, 64)
			if err != nil || ids[id] {
				t.Errorf("delivery header %q", r.header.Get(webhook.DeliveryHeader))
			}
			ids[id] = true
		}
		for _, dl := range pending(up) {
			if dl.Status != "delivered" || dl.Attempts != 1 || dl.LastStatus != http.StatusNoContent ||
				dl.DeliveredAt == nil || !dl.DeliveredAt.Equal(now) || !ids[dl.ID] {
				t.Errorf("delivered %+v", dl)
			}
		}
		ds := pending(down)
		if len(ds) != 1 || ds[0].Status != "pending" || ds[0].Attempts != 1 || ds[0].LastStatus != http.StatusServiceUnavailable ||
			ds[0].LastError == "" || ds[0].NextAttempt == nil || !ds[0].NextAttempt.Equal(now.Add(webhook.Backoff(1))) {
			t.Fatalf("failed delivery %+v", ds)
		}

		// Nothing is due until the retry; then only the failed one, which
		// now succeeds.
		if n, err := d.RunOnce(ctx); err != nil || n != 0 {
			t.Fatalf("second round: %d %v, want nothing due", n, err)
		}
		mu.Lock()
		fail["/down"] = false
		mu.Unlock()
		now = now.Add(webhook.Backoff(1))
		if n, err := d.RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("retry round: %d %v, want 1", n, err)
		}
		if ds := pending(down); len(ds) != 1 || ds[0].Status != "delivered" || ds[0].Attempts != 2 || ds[0].LastError != "" {
			t.Fatalf("retried delivery %+v", ds)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 1 || got[0].header.Get(webhook.EventHeader) != "sla.breach" {
			t.Fatalf("retry requests %d", len(got))
		}
	})
}

// TestWebhookFanOutPages fans out more events than one page holds.
func TestWebhookFanOutPages(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "velo"})
		if err != nil {
			t.Fatal(err)
		}
		h, err := st.CreateWebhook(ctx, ws.ID, model.Webhook{URL: "https://hooks.example.org/", Events: []string{"conversation.status"}}, "max")
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now().Add(time.Second)
		const total = 620
		var last model.Event
		for i := range total {
			last, err = st.RecordEvent(ctx, model.Event{WorkspaceID: ws.ID, Actor: "test", Action: "conversation.status",
				CreatedAt: t0.Add(time.Duration(i) * time.Millisecond)})
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := jobs.WebhookFanOut(st, time.Second).Run(ctx, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		ds, err := st.WebhookDeliveries(ctx, ws.ID, h.ID, 500)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 500 || ds[0].EventID != last.ID {
			t.Fatalf("%d newest deliveries, first for event %d, want 500 from %d", len(ds), ds[0].EventID, last.ID)
		}
		claimed, err := st.ClaimDeliveries(ctx, t0.Add(2*time.Hour), 1000, time.Minute)
		if err != nil || len(claimed) != total {
			t.Fatalf("claimed %d %v, want %d: every event fanned out in one round", len(claimed), err, total)
		}
		if c, err := st.WebhookCursor(ctx); err != nil || c != last.ID {
			t.Fatalf("cursor %d %v, want %d", c, err, last.ID)
		}
	})
}
