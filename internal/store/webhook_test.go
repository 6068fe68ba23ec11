package store_test

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
	"palabre/internal/webhook"
)

// forEachEngineTwice is forEachEngineRaw with two stores opened on the
// same database, as two palabre nodes would be.
func forEachEngineTwice(t *testing.T, fn func(t *testing.T, st, st2 *store.Store, db *sql.DB)) {
	t.Helper()
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			dsn := testutil.NewDSN(t, engine)
			open := func() *store.Store {
				st, err := store.Open(context.Background(), dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				return st
			}
			st, st2 := open(), open()
			driver, raw := "pgx", dsn
			if engine == store.EngineSQLite {
				driver, raw = "sqlite", "file:"+dsn+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)"
			}
			db, err := sql.Open(driver, raw)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			fn(t, st, st2, db)
		})
	}
}

func newWebhook(t *testing.T, st *store.Store, workspaceID int64, url string, events ...string) model.Webhook {
	t.Helper()
	h, err := st.CreateWebhook(context.Background(), workspaceID, model.Webhook{URL: url, Events: events}, "max")
	if err != nil {
		t.Fatalf("create webhook %s: %v", url, err)
	}
	return h
}

// recordEvent records an event of the workspace at the given time.
func recordEvent(t *testing.T, st *store.Store, workspaceID int64, action string, at time.Time) model.Event {
	t.Helper()
	e, err := st.RecordEvent(context.Background(), model.Event{WorkspaceID: workspaceID, Actor: "test", Action: action,
		Subject: "s " + action, Detail: `{"k":1}`, CreatedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func deliveries(t *testing.T, st *store.Store, workspaceID, webhookID int64) []store.WebhookDelivery {
	t.Helper()
	ds, err := st.WebhookDeliveries(context.Background(), workspaceID, webhookID, 500)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func claimedIDs(ds []webhook.Delivery) []int64 {
	out := make([]int64, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

func TestCreateWebhook(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		ws, other := newWorkspace(t, st, "velo"), newWorkspace(t, st, "banque")
		before := time.Now().Add(-time.Second)
		h, err := st.CreateWebhook(ctx, ws.ID, model.Webhook{URL: "https://hooks.example.org/palabre?x=1",
			Events: []string{"conversation.", "sla.breach"}, Secret: "chosen", Active: false, CreatedBy: "someone"}, "max")
		if err != nil {
			t.Fatal(err)
		}
		secret, ok := strings.CutPrefix(h.Secret, "whsec_")
		if raw, err := hex.DecodeString(secret); !ok || err != nil || len(raw) != 24 {
			t.Fatalf("secret %q: want whsec_ and 48 hex digits", h.Secret)
		}
		if h.ID == 0 || !h.Active || h.CreatedBy != "max" || h.URL != "https://hooks.example.org/palabre?x=1" ||
			!slices.Equal(h.Events, []string{"conversation.", "sla.breach"}) || h.CreatedAt.Before(before) || h.CreatedAt.After(time.Now()) {
			t.Fatalf("created %+v", h)
		}
		h2, err := st.CreateWebhook(ctx, ws.ID, model.Webhook{URL: "http://127.0.0.1:8080/hook"}, "lea")
		if err != nil {
			t.Fatal(err)
		}
		if h2.Secret == h.Secret || h2.Events == nil || len(h2.Events) != 0 {
			t.Fatalf("second webhook %+v: want its own secret and no events", h2)
		}

		list, err := st.Webhooks(ctx, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].ID != h.ID || list[1].ID != h2.ID {
			t.Fatalf("webhooks %+v", list)
		}
		for i, want := range []model.Webhook{h, h2} {
			want.Secret = ""
			got := list[i]
			if got.ID != want.ID || got.URL != want.URL || !slices.Equal(got.Events, want.Events) || got.Events == nil ||
				got.Active != want.Active || got.CreatedBy != want.CreatedBy || !got.CreatedAt.Equal(want.CreatedAt) || got.Secret != "" {
				t.Errorf("listed %+v, want %+v", got, want)
			}
		}
		raw, _ := json.Marshal(list)
		if strings.Contains(string(raw), "secret") || strings.Contains(string(raw), "whsec_") {
			t.Fatalf("listed webhooks show a secret: %s", raw)
		}
		if l, err := st.Webhooks(ctx, other.ID); err != nil || l == nil || len(l) != 0 {
			t.Fatalf("other workspace's webhooks %#v %v", l, err)
		}

		// The audit log records the address and events, never the secret.
		evs := actions(t, st, ws.ID, "webhook.create")
		if len(evs) != 2 || evs[0].Actor != "max" || evs[0].Subject != h.URL ||
			evs[0].Detail != fmt.Sprintf(`{"events":["conversation.","sla.breach"],"id":%d}`, h.ID) ||
			evs[1].Detail != fmt.Sprintf(`{"events":[],"id":%d}`, h2.ID) {
			t.Fatalf("webhook.create events %+v", evs)
		}
		for _, e := range allEvents(t, db) {
			if strings.Contains(e.Detail+e.Subject, "whsec_") {
				t.Fatalf("event %+v holds a secret", e)
			}
		}

		// Deleting: only one's own workspace's; the deliveries go with it.
		e := recordEvent(t, st, ws.ID, "conversation.status", time.Now().Add(time.Second))
		if n, err := st.EnqueueWebhookDeliveries(ctx, []model.Event{e}, e.ID, time.Now()); err != nil || n != 2 {
			t.Fatalf("enqueue: %d %v, want 2", n, err)
		}
		if err := st.DeleteWebhook(ctx, other.ID, h.ID, "max"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete from another workspace: %v, want ErrNotFound", err)
		}
		if err := st.DeleteWebhook(ctx, ws.ID, h.ID, "lea"); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteWebhook(ctx, ws.ID, h.ID, "lea"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete twice: %v, want ErrNotFound", err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = $1`, h.ID); n != 0 {
			t.Fatalf("%d deliveries of the deleted webhook left", n)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = $1`, h2.ID); n != 1 {
			t.Fatalf("%d deliveries of the other webhook, want 1", n)
		}
		if _, err := st.WebhookDeliveries(ctx, ws.ID, h.ID, 10); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deliveries of a deleted webhook: %v, want ErrNotFound", err)
		}
		if l, err := st.Webhooks(ctx, ws.ID); err != nil || len(l) != 1 || l[0].ID != h2.ID {
			t.Fatalf("webhooks after delete %+v %v", l, err)
		}
		del := actions(t, st, ws.ID, "webhook.delete")
		if len(del) != 1 || del[0].Actor != "lea" || del[0].Subject != h.URL || del[0].Detail != fmt.Sprintf(`{"id":%d}`, h.ID) {
			t.Fatalf("webhook.delete events %+v", del)
		}
	})
}

func TestCreateWebhookRefusals(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		ws, other := newWorkspace(t, st, "velo"), newWorkspace(t, st, "banque")
		many := make([]string, 51)
		for i := range many {
			many[i] = fmt.Sprintf("event_%c", 'a'+i%26) + strings.Repeat("x", i/26)
		}
		for name, h := range map[string]model.Webhook{
			"ftp":              {URL: "ftp://example.org/hook"},
			"javascript":       {URL: "javascript:alert(1)"},
			"no scheme":        {URL: "example.org/hook"},
			"no host":          {URL: "https:///hook"},
			"empty":            {URL: ""},
			"user and pass":    {URL: "https://user:pw@example.org/hook"},
			"user only":        {URL: "https://user@example.org/hook"},
			"unparsable":       {URL: "https://exa mple.org/%zz"},
			"too long":         {URL: "https://example.org/" + strings.Repeat("a", 2000)},
			"empty event":      {URL: "https://example.org/", Events: []string{""}},
			"upper-case event": {URL: "https://example.org/", Events: []string{"Conversation.status"}},
			"spaced event":     {URL: "https://example.org/", Events: []string{"conversation status"}},
			"star":             {URL: "https://example.org/", Events: []string{"conversation.*"}},
			"long event":       {URL: "https://example.org/", Events: []string{strings.Repeat("a", 101)}},
			"51 events":        {URL: "https://example.org/", Events: many},
		} {
			if _, err := st.CreateWebhook(ctx, ws.ID, h, "max"); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM webhooks`); n != 0 {
			t.Fatalf("%d webhooks stored from refused ones", n)
		}
		if _, err := st.CreateWebhook(ctx, ws.ID, model.Webhook{URL: "https://example.org/", Events: many[:50]}, "max"); err != nil {
			t.Fatalf("50 events: %v", err)
		}

		// At most MaxWebhooksPerWorkspace per workspace.
		for i := 1; i < store.MaxWebhooksPerWorkspace; i++ {
			newWebhook(t, st, ws.ID, fmt.Sprintf("https://example.org/%d", i))
		}
		if _, err := st.CreateWebhook(ctx, ws.ID, model.Webhook{URL: "https://example.org/one-more"}, "max"); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("webhook %d: %v, want ErrInvalid", store.MaxWebhooksPerWorkspace+1, err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM webhooks WHERE workspace_id = $1`, ws.ID); n != store.MaxWebhooksPerWorkspace {
			t.Fatalf("%d webhooks, want %d", n, store.MaxWebhooksPerWorkspace)
		}
		newWebhook(t, st, other.ID, "https://example.org/other") // the limit is per workspace
		list, err := st.Webhooks(ctx, ws.ID)
		if err != nil || len(list) != store.MaxWebhooksPerWorkspace {
			t.Fatalf("webhooks %d %v", len(list), err)
		}
		if err := st.DeleteWebhook(ctx, ws.ID, list[3].ID, "max"); err != nil {
			t.Fatal(err)
		}
		newWebhook(t, st, ws.ID, "https://example.org/after-delete")
	})
}

func TestEnqueueWebhookDeliveries(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		ws, other := newWorkspace(t, st, "velo"), newWorkspace(t, st, "banque")
		if c, err := st.WebhookCursor(ctx); err != nil || c != 0 {
			t.Fatalf("first cursor %d %v", c, err)
		}
		all := newWebhook(t, st, ws.ID, "https://a.example.org/")
		convs := newWebhook(t, st, ws.ID, "https://b.example.org/", "conversation.")
		breach := newWebhook(t, st, ws.ID, "https://c.example.org/", "sla.breach", "conversation.assign")
		off := newWebhook(t, st, ws.ID, "https://d.example.org/")
		theirs := newWebhook(t, st, other.ID, "https://e.example.org/")
		if _, err := db.Exec(`UPDATE webhooks SET active = FALSE WHERE id = $1`, off.ID); err != nil {
			t.Fatal(err)
		}

		at := time.Now().Add(time.Minute)
		old := recordEvent(t, st, ws.ID, "conversation.status", all.CreatedAt.Add(-time.Second)) // before the webhooks
		status := recordEvent(t, st, ws.ID, "conversation.status", at)
		assign := recordEvent(t, st, ws.ID, "conversation.assign", at)
		sla := recordEvent(t, st, ws.ID, "sla.breach", at)
		bare := recordEvent(t, st, ws.ID, "conversation", at)              // no prefix match without the dot
		lookalike := recordEvent(t, st, ws.ID, "conversationx.status", at) // nor a longer word
		foreign := recordEvent(t, st, other.ID, "sla.breach", at)
		global, err := st.RecordEvent(ctx, model.Event{Actor: "test", Action: "user.create", CreatedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		events := []model.Event{old, status, assign, sla, bare, lookalike, foreign, global}
		now := store.TruncateTime(time.Now().Add(2 * time.Minute))
		n, err := st.EnqueueWebhookDeliveries(ctx, events, global.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int64][]int64{ // webhook → event ids delivered, newest first
			all.ID:    {lookalike.ID, bare.ID, sla.ID, assign.ID, status.ID},
			convs.ID:  {assign.ID, status.ID},
			breach.ID: {sla.ID, assign.ID},
			off.ID:    {},
		}
		if n != 10 { // nine here, one for the other workspace
			t.Fatalf("enqueued %d, want 10", n)
		}
		check := func() {
			t.Helper()
			for id, evs := range want {
				var got []int64
				for _, d := range deliveries(t, st, ws.ID, id) {
					got = append(got, d.EventID)
					if d.Status != "pending" || d.Attempts != 0 || d.LastStatus != 0 || d.LastError != "" ||
						d.NextAttempt == nil || !d.NextAttempt.Equal(now) || d.DeliveredAt != nil {
						t.Errorf("webhook %d: delivery %+v", id, d)
					}
				}
				if !slices.Equal(got, evs) && !(len(got) == 0 && len(evs) == 0) {
					t.Errorf("webhook %d: events %v, want %v", id, got, evs)
				}
			}
			if ds := deliveries(t, st, other.ID, theirs.ID); len(ds) != 1 || ds[0].EventID != foreign.ID || ds[0].Action != "sla.breach" {
				t.Errorf("other workspace's deliveries %+v", ds)
			}
		}
		check()
		if c, err := st.WebhookCursor(ctx); err != nil || c != global.ID {
			t.Fatalf("cursor %d %v, want %d", c, err, global.ID)
		}

		// Fanning out the same events again (another node did) adds nothing.
		if n, err := st.EnqueueWebhookDeliveries(ctx, events, global.ID, now.Add(time.Hour)); err != nil || n != 0 {
			t.Fatalf("second fan-out: %d %v, want 0", n, err)
		}
		check()
		if n := countRows(t, db, `SELECT COUNT(*) FROM webhook_deliveries`); n != 10 {
			t.Fatalf("%d deliveries, want 10", n)
		}

		// The cursor never goes back.
		if _, err := st.EnqueueWebhookDeliveries(ctx, nil, status.ID, now); err != nil {
			t.Fatal(err)
		}
		if c, err := st.WebhookCursor(ctx); err != nil || c != global.ID {
			t.Fatalf("cursor %d %v after going back, want %d", c, err, global.ID)
		}
		if _, err := st.EnqueueWebhookDeliveries(ctx, nil, global.ID+5, now); err != nil {
			t.Fatal(err)
		}
		if c, err := st.WebhookCursor(ctx); err != nil || c != global.ID+5 {
			t.Fatalf("cursor %d %v, want %d", c, err, global.ID+5)
		}

		// Listing deliveries: the newest first, limited; only one's own.
		if ds, err := st.WebhookDeliveries(ctx, ws.ID, all.ID, 2); err != nil || len(ds) != 2 || ds[0].EventID != lookalike.ID ||
			ds[0].Action != "conversationx.status" || ds[1].Action != "conversation" || ds[0].ID <= ds[1].ID {
			t.Fatalf("two newest deliveries %+v %v", ds, err)
		}
		if _, err := st.WebhookDeliveries(ctx, other.ID, all.ID, 10); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another workspace's deliveries: %v, want ErrNotFound", err)
		}
		for _, limit := range []int{0, -1, 501} {
			if _, err := st.WebhookDeliveries(ctx, ws.ID, all.ID, limit); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("limit %d: %v, want ErrInvalid", limit, err)
			}
		}
	})
}

func TestClaimDeliveries(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		ws := newWorkspace(t, st, "velo")
		h := newWebhook(t, st, ws.ID, "https://hooks.example.org/x")
		at := time.Now().Add(time.Second)
		e1 := recordEvent(t, st, ws.ID, "conversation.status", at)
		e2 := recordEvent(t, st, ws.ID, "sla.breach", at)
		e3 := recordEvent(t, st, ws.ID, "conversation.assign", at)
		t0 := store.TruncateTime(time.Now().Add(time.Minute))
		if _, err := st.EnqueueWebhookDeliveries(ctx, []model.Event{e1, e2}, e2.ID, t0); err != nil {
			t.Fatal(err)
		}
		if _, err := st.EnqueueWebhookDeliveries(ctx, []model.Event{e3}, e3.ID, t0.Add(time.Second)); err != nil {
			t.Fatal(err)
		}

		// Not due yet.
		if ds, err := st.ClaimDeliveries(ctx, t0.Add(-time.Microsecond), 10, time.Minute); err != nil || len(ds) != 0 {
			t.Fatalf("claim before due: %+v %v", ds, err)
		}
		ds, err := st.ClaimDeliveries(ctx, t0, 10, time.Minute)
		if err != nil || len(ds) != 2 {
			t.Fatalf("claim at due time: %+v %v, want the first two", ds, err)
		}
		for i, e := range []model.Event{e1, e2} {
			d := ds[i]
			payload, _ := json.Marshal(e)
			if d.ID == 0 || d.WebhookID != h.ID || d.URL != h.URL || d.Secret != h.Secret || d.EventID != e.ID ||
				d.Action != e.Action || d.Attempts != 0 || string(d.Payload) != string(payload) {
				t.Errorf("claimed %+v\npayload %s\nwant event %s", d, d.Payload, payload)
			}
		}
		// Leased: nobody claims them again until the lease runs out.
		if ds, err := st.ClaimDeliveries(ctx, t0.Add(time.Second), 10, time.Minute); err != nil || len(ds) != 1 || ds[0].EventID != e3.ID {
			t.Fatalf("claim during the lease: %+v %v, want only the third", ds, err)
		}
		if ds, err := st.ClaimDeliveries(ctx, t0.Add(59*time.Second), 10, time.Minute); err != nil || len(ds) != 0 {
			t.Fatalf("claim just before the lease ends: %+v %v", ds, err)
		}
		again, err := st.ClaimDeliveries(ctx, t0.Add(time.Minute), 1, time.Minute)
		if err != nil || len(again) != 1 || again[0].ID != ds[0].ID {
			t.Fatalf("claim when the lease ran out, limit 1: %+v %v, want %d", again, err, ds[0].ID)
		}

		// Success: delivered, never claimed again.
		doneAt := store.TruncateTime(t0.Add(61 * time.Second))
		if err := st.DeliverySucceeded(ctx, ds[0].ID, 204, doneAt); err != nil {
			t.Fatal(err)
		}
		// Failure: due again at the time given, with the attempt counted.
		next := t0.Add(10 * time.Minute)
		if err := st.DeliveryFailed(ctx, ds[1].ID, 503, "receiver answered 503 Service Unavailable", next, false); err != nil {
			t.Fatal(err)
		}
		byID := map[int64]store.WebhookDelivery{}
		for _, d := range deliveries(t, st, ws.ID, h.ID) {
			byID[d.ID] = d
		}
		if d := byID[ds[0].ID]; d.Status != "delivered" || d.Attempts != 1 || d.LastStatus != 204 || d.LastError != "" ||
			d.NextAttempt != nil || !sameTime(d.DeliveredAt, doneAt) || d.Action != "conversation.status" {
			t.Errorf("delivered %+v", d)
		}
		if d := byID[ds[1].ID]; d.Status != "pending" || d.Attempts != 1 || d.LastStatus != 503 ||
			d.LastError != "receiver answered 503 Service Unavailable" || !sameTime(d.NextAttempt, next) || d.DeliveredAt != nil {
			t.Errorf("failed once %+v", d)
		}
		if ds, err := st.ClaimDeliveries(ctx, next.Add(-time.Second), 10, time.Minute); err != nil || len(ds) != 1 || ds[0].EventID != e3.ID {
			t.Fatalf("claim before the retry: %+v %v, want only the third (its lease ran out)", ds, err)
		}
		retry, err := st.ClaimDeliveries(ctx, next, 10, time.Minute)
		if err != nil || len(retry) != 1 || retry[0].ID != ds[1].ID || retry[0].Attempts != 1 {
			t.Fatalf("claim at the retry time: %+v %v", retry, err)
		}
		// Given up: failed for good; a long error is cut, still valid text.
		long := strings.Repeat("é", 600) // 1200 bytes
		if err := st.DeliveryFailed(ctx, ds[1].ID, 0, long, next.Add(time.Hour), true); err != nil {
			t.Fatal(err)
		}
		d := byID[ds[1].ID]
		for _, x := range deliveries(t, st, ws.ID, h.ID) {
			if x.ID == ds[1].ID {
				d = x
			}
		}
		if d.Status != "failed" || d.Attempts != 2 || d.LastStatus != 0 || d.NextAttempt != nil ||
			len(d.LastError) > 1000 || len(d.LastError) < 990 || !utf8.ValidString(d.LastError) || !strings.HasPrefix(long, strings.TrimRight(d.LastError, "?")) {
			t.Errorf("given up %+v (error %d bytes)", d, len(d.LastError))
		}
		if ds, err := st.ClaimDeliveries(ctx, next.Add(1000*time.Hour), 10, time.Minute); err != nil || len(ds) != 1 || ds[0].EventID != e3.ID {
			t.Fatalf("claim long after: %+v %v, want only the third: delivered and failed ones never come back", ds, err)
		}

		// An inactive webhook's deliveries are not handed out.
		if _, err := db.Exec(`UPDATE webhooks SET active = FALSE WHERE id = $1`, h.ID); err != nil {
			t.Fatal(err)
		}
		if ds, err := st.ClaimDeliveries(ctx, next.Add(2000*time.Hour), 10, time.Minute); err != nil || len(ds) != 0 {
			t.Fatalf("claim for an inactive webhook: %+v %v", ds, err)
		}
	})
}

// TestClaimDeliveriesTwoNodes has two stores on one database claim the
// same due deliveries at once: each is handed out exactly once.
func TestClaimDeliveriesTwoNodes(t *testing.T) {
	t.Parallel()
	forEachEngineTwice(t, func(t *testing.T, st, st2 *store.Store, db *sql.DB) {
		ctx := context.Background()
		ws := newWorkspace(t, st, "velo")
		newWebhook(t, st, ws.ID, "https://a.example.org/")
		newWebhook(t, st, ws.ID, "https://b.example.org/", "conversation.")
		at := time.Now().Add(time.Second)
		var events []model.Event
		for range 40 {
			events = append(events, recordEvent(t, st, ws.ID, "conversation.status", at))
		}
		now := store.TruncateTime(time.Now().Add(time.Minute))
		if n, err := st.EnqueueWebhookDeliveries(ctx, events, events[len(events)-1].ID, now); err != nil || n != 80 {
			t.Fatalf("enqueue %d %v, want 80", n, err)
		}
		var (
			mu      sync.Mutex
			claimed = map[int64]int{}
			wg      sync.WaitGroup
			errs    = make(chan error, 8)
		)
		for i := range 8 {
			node := st
			if i%2 == 1 {
				node = st2
			}
			wg.Go(func() {
				for range 100 { // bounded; an empty claim ends it much sooner
					ds, err := node.ClaimDeliveries(ctx, now, 7, time.Hour)
					if err != nil {
						errs <- err
						return
					}
					if len(ds) == 0 {
						return
					}
					mu.Lock()
					for _, id := range claimedIDs(ds) {
						claimed[id]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for id, n := range claimed {
			if n != 1 {
				t.Errorf("delivery %d claimed %d times", id, n)
			}
		}
		if len(claimed) != 80 {
			t.Fatalf("%d deliveries claimed, want 80", len(claimed))
		}
		for _, s := range []*store.Store{st, st2} {
			if ds, err := s.ClaimDeliveries(ctx, now.Add(time.Minute), 100, time.Hour); err != nil || len(ds) != 0 {
				t.Fatalf("claim after all were leased: %d %v", len(ds), err)
			}
		}
	})
}
