package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"palabre/internal/idempotency"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

func TestIdempotencyKeyLifecycle(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ana := newUser(t, st, "ana", false)
		bo := newUser(t, st, "bo", false)
		now := time.Now()

		begin := func(userID int64, key, fp string, at time.Time) *idempotency.Record {
			t.Helper()
			rec, err := st.BeginIdempotent(ctx, userID, key, fp, at)
			if err != nil {
				t.Fatalf("begin %d/%s: %v", userID, key, err)
			}
			return rec
		}

		if rec := begin(ana.ID, "k1", "fp-a", now); rec != nil {
			t.Fatalf("a new key is owned at once, got record %+v", rec)
		}
		rec := begin(ana.ID, "k1", "fp-a", now.Add(time.Second))
		if rec == nil || !rec.InProgress() || rec.Fingerprint != "fp-a" || !rec.CreatedAt.Equal(store.TruncateTime(now)) {
			t.Fatalf("second begin while in progress: %+v, want fp-a, status 0, created at the first begin", rec)
		}
		if rec := begin(bo.ID, "k1", "fp-b", now); rec != nil {
			t.Fatalf("keys are per user, but bo found ana's: %+v", rec)
		}

		body := `{"id":42,"text":"Bonjour, réglé ✓"}`
		if err := st.FinishIdempotent(ctx, ana.ID, "k1", 201, "application/json; charset=utf-8", []byte(body)); err != nil {
			t.Fatal(err)
		}
		rec = begin(ana.ID, "k1", "fp-a", now.Add(time.Minute))
		if rec == nil || rec.Status != 201 || rec.ContentType != "application/json; charset=utf-8" ||
			string(rec.Body) != body || rec.Fingerprint != "fp-a" {
			t.Fatalf("replay record %+v", rec)
		}
		// A different request with the same key sees the first one's
		// fingerprint, and changes nothing.
		rec = begin(ana.ID, "k1", "fp-other", now.Add(time.Minute))
		if rec == nil || rec.Fingerprint != "fp-a" || rec.Status != 201 {
			t.Fatalf("conflicting begin: %+v, want the stored fp-a record", rec)
		}
		if err := st.FinishIdempotent(ctx, ana.ID, "k1", 200, "", nil); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("finishing an answered key: %v, want ErrNotFound", err)
		}
		// Releasing an answered key keeps it.
		if err := st.ReleaseIdempotent(ctx, ana.ID, "k1"); err != nil {
			t.Fatal(err)
		}
		if rec := begin(ana.ID, "k1", "fp-a", now.Add(time.Minute)); rec == nil || rec.Status != 201 {
			t.Fatalf("release dropped an answered key: %+v", rec)
		}

		// Release frees a key in progress for any request.
		begin(ana.ID, "k2", "fp-1", now)
		if err := st.ReleaseIdempotent(ctx, ana.ID, "k2"); err != nil {
			t.Fatal(err)
		}
		if rec := begin(ana.ID, "k2", "fp-2", now); rec != nil {
			t.Fatalf("a released key is still taken: %+v", rec)
		}
		if err := st.ReleaseIdempotent(ctx, ana.ID, "never-used"); err != nil {
			t.Fatalf("releasing an unknown key: %v", err)
		}
		if err := st.FinishIdempotent(ctx, ana.ID, "never-used", 200, "", nil); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("finishing an unknown key: %v, want ErrNotFound", err)
		}

		// What TEXT columns cannot keep is refused, and the key stays ours.
		for _, c := range []struct {
			status      int
			contentType string
			body        []byte
		}{
			{200, "", []byte{0xff, 0xfe}},
			{200, "", []byte("a\x00b")},
			{200, "text/plain\x00", nil},
			{0, "", nil},
			{600, "", nil},
		} {
			if err := st.FinishIdempotent(ctx, ana.ID, "k2", c.status, c.contentType, c.body); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("finish %d %q %q: %v, want ErrInvalid", c.status, c.contentType, c.body, err)
			}
		}
		if rec := begin(ana.ID, "k2", "fp-2", now); rec == nil || !rec.InProgress() {
			t.Fatalf("after refused finishes: %+v, want still in progress", rec)
		}
		for _, key := range []string{"", string(make([]byte, idempotency.MaxKeyLen+1)), "a\x00", "\xff"} {
			if _, err := st.BeginIdempotent(ctx, ana.ID, key, "fp", now); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("begin with key %q: %v, want ErrInvalid", key, err)
			}
		}
	})
}

func TestIdempotencyKeyExpiry(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ana := newUser(t, st, "ana", false)
		now := time.Now()
		old := now.Add(-idempotency.KeyTTL - time.Minute)
		young := now.Add(-idempotency.KeyTTL + time.Minute)

		for key, at := range map[string]time.Time{"old-done": old, "old-stuck": old, "young": young} {
			if rec, err := st.BeginIdempotent(ctx, ana.ID, key, "fp-then", at); err != nil || rec != nil {
				t.Fatalf("begin %s: %+v, %v", key, rec, err)
			}
		}
		if err := st.FinishIdempotent(ctx, ana.ID, "old-done", 201, "text/plain", []byte("then")); err != nil {
			t.Fatal(err)
		}
		if err := st.FinishIdempotent(ctx, ana.ID, "young", 201, "text/plain", []byte("then")); err != nil {
			t.Fatal(err)
		}

		// Expired keys, answered or stuck in progress, are taken over.
		for _, key := range []string{"old-done", "old-stuck"} {
			rec, err := st.BeginIdempotent(ctx, ana.ID, key, "fp-now", now)
			if err != nil || rec != nil {
				t.Fatalf("begin expired %s: %+v, %v; want it owned", key, rec, err)
			}
			rec, err = st.BeginIdempotent(ctx, ana.ID, key, "fp-now", now)
			if err != nil || rec == nil || rec.Fingerprint != "fp-now" || !rec.InProgress() ||
				len(rec.Body) != 0 || !rec.CreatedAt.Equal(store.TruncateTime(now)) {
				t.Fatalf("taken-over %s: %+v, %v; want fp-now in progress since now, nothing of the old answer", key, rec, err)
			}
		}
		rec, err := st.BeginIdempotent(ctx, ana.ID, "young", "fp-now", now)
		if err != nil || rec == nil || rec.Fingerprint != "fp-then" || string(rec.Body) != "then" {
			t.Fatalf("a key younger than the TTL: %+v, %v; want the stored answer", rec, err)
		}

		// Purging before now-TTL removes nothing: the old keys were taken
		// over and "young" is younger …
		n, err := st.PurgeIdempotencyKeys(ctx, now.Add(-idempotency.KeyTTL))
		if err != nil || n != 0 {
			t.Fatalf("purge at TTL: %d, %v; want 0 (the old keys were taken over)", n, err)
		}
		// … and a later cut-off takes "young" (and only it).
		n, err = st.PurgeIdempotencyKeys(ctx, young.Add(time.Second))
		if err != nil || n != 1 {
			t.Fatalf("purge after young: %d, %v; want 1", n, err)
		}
		if rec, err := st.BeginIdempotent(ctx, ana.ID, "young", "fp-now", now); err != nil || rec != nil {
			t.Fatalf("purged key: %+v, %v; want it free", rec, err)
		}
		if rec, err := st.BeginIdempotent(ctx, ana.ID, "old-done", "fp-now", now); err != nil || rec == nil {
			t.Fatalf("purge removed a key newer than the cut-off: %+v, %v", rec, err)
		}
	})
}

// TestIdempotencyKeyConcurrentBegin claims the same keys from 8 goroutines
// spread over two stores on one database, as two palabre nodes would.
func TestIdempotencyKeyConcurrentBegin(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dsn := testutil.NewDSN(t, engine)
			var nodes [2]*store.Store
			for i := range nodes {
				st, err := store.Open(ctx, dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				nodes[i] = st
			}
			ana := newUser(t, nodes[0], "ana", false)
			const goroutines, rounds = 8, 10
			for round := range rounds {
				key := fmt.Sprintf("key-%d", round)
				var wg sync.WaitGroup
				var mu sync.Mutex
				owners, seen := 0, 0
				var errs []error
				start := make(chan struct{})
				for g := range goroutines {
					wg.Go(func() {
						<-start
						rec, err := nodes[g%2].BeginIdempotent(ctx, ana.ID, key, "fp", time.Now())
						mu.Lock()
						defer mu.Unlock()
						switch {
						case err != nil:
							errs = append(errs, err)
						case rec == nil:
							owners++
						case rec.Fingerprint == "fp" && rec.InProgress():
							seen++
						default:
							errs = append(errs, fmt.Errorf("unexpected record %+v", rec))
						}
					})
				}
				close(start)
				wg.Wait()
				if len(errs) > 0 || owners != 1 || seen != goroutines-1 {
					t.Fatalf("round %d: %d owners, %d saw it in progress, errors %v; want exactly 1 owner", round, owners, seen, errs)
				}
			}
		})
	}
}
