package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// TestClaimSourcesOnce checks that two nodes claiming due sources at once
// never both get one, and that a node that lost its claim records
// nothing.
func TestClaimSourcesOnce(t *testing.T) {
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			dsn := testutil.NewDSN(t, engine)
			nodes := make([]*store.Store, 2)
			for i := range nodes {
				st, err := store.Open(ctx, dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { st.Close() })
				nodes[i] = st
			}
			st := nodes[0]
			ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "velo", Name: "Vélo"})
			if err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
			const n = 30
			for i := range n {
				_, err := st.CreateSource(ctx, ws.ID, model.Source{Channel: "blog", Kind: model.SourceFeed,
					Name: fmt.Sprintf("feed %02d", i), IntervalSeconds: 60, Enabled: true}, `{"url":"https://blog.example/feed/"}`, "test", now)
				if err != nil {
					t.Fatal(err)
				}
			}
			var mu sync.Mutex
			claimed := map[int64][]int{}
			var claims []store.SourceClaim
			var wg sync.WaitGroup
			for node, ns := range nodes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 10 {
						got, err := ns.ClaimSources(ctx, now, 7, time.Minute)
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						for _, c := range got {
							claimed[c.Source.ID] = append(claimed[c.Source.ID], node)
							claims = append(claims, c)
						}
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if len(claimed) != n {
				t.Fatalf("%d sources claimed, want %d", len(claimed), n)
			}
			for id, by := range claimed {
				if len(by) != 1 {
					t.Errorf("source %d claimed by nodes %v", id, by)
				}
			}
			// Held, they are not claimed again until the lease ends.
			if again, err := st.ClaimSources(ctx, now.Add(30*time.Second), 50, time.Minute); err != nil || len(again) != 0 {
				t.Fatalf("claimed again within the lease: %d, %v", len(again), err)
			}
			c := claims[0]
			// The lease ended and another node took the source: the first
			// node's outcome is refused, the second's kept.
			late := now.Add(2 * time.Minute)
			taken, err := nodes[1].ClaimSources(ctx, late, 50, time.Minute)
			if err != nil || len(taken) != n {
				t.Fatalf("after the leases: %d claimed, %v", len(taken), err)
			}
			err = st.FinishPoll(ctx, c, store.PollOutcome{At: late, Cursor: `{"etag":"old"}`, Items: 9, Next: late.Add(time.Minute)})
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("outcome of a lost claim: %v", err)
			}
			var mine store.SourceClaim
			for _, tc := range taken {
				if tc.Source.ID == c.Source.ID {
					mine = tc
				}
			}
			err = nodes[1].FinishPoll(ctx, mine, store.PollOutcome{At: late, Cursor: `{"etag":"new"}`, Items: 4, Next: late.Add(time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			src, err := st.Source(ctx, ws.ID, c.Source.ID)
			if err != nil || src.Health.ItemsSeen != 4 || src.Health.LastItems != 4 || !src.Health.NextPollAt.Equal(late.Add(time.Minute)) {
				t.Fatalf("after the kept outcome: %+v, %v", src.Health, err)
			}
			next, err := st.ClaimSources(ctx, late.Add(time.Minute), 50, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			for _, nc := range next {
				if nc.Source.ID == c.Source.ID && nc.Cursor != `{"etag":"new"}` {
					t.Errorf("cursor kept: %s", nc.Cursor)
				}
			}
		})
	}
}

func TestSourceSettings(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "velo", Name: "Vélo"})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
		ok := model.Source{Channel: "blog", Kind: model.SourceFeed, Name: "comments", IntervalSeconds: 60, Enabled: true}
		for _, bad := range []struct {
			src    model.Source
			config string
			says   string
		}{
			{model.Source{Channel: "blog", Kind: "gopher", Name: "x", IntervalSeconds: 60}, `{}`, "kind"},
			{model.Source{Channel: "blog", Kind: model.SourceFeed, Name: " ", IntervalSeconds: 60}, `{}`, "name"},
			{model.Source{Channel: "blog", Kind: model.SourceFeed, Name: "x", IntervalSeconds: 5}, `{}`, "interval_seconds"},
			{model.Source{Channel: "Not a slug", Kind: model.SourceFeed, Name: "x", IntervalSeconds: 60}, `{}`, "slug"},
			{ok, `{"url":`, "JSON"},
		} {
			if _, err := st.CreateSource(ctx, ws.ID, bad.src, bad.config, "test", now); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), bad.says) {
				t.Errorf("%+v %s: %v", bad.src, bad.config, err)
			}
		}
		src, err := st.CreateSource(ctx, ws.ID, ok, `{"url":"https://a.example/feed/"}`, "lea", now)
		if err != nil {
			t.Fatal(err)
		}
		if src.Channel != "blog" || src.CreatedBy != "lea" || !src.Health.NextPollAt.Equal(now) || src.Health.LastPollAt != nil {
			t.Fatalf("created: %+v", src)
		}
		if _, err := st.CreateSource(ctx, ws.ID, ok, `{}`, "lea", now); !errors.Is(err, store.ErrConflict) {
			t.Errorf("a second source of the same name: %v", err)
		}
		// A claim keeps its cursor; new settings start over and are due.
		claims, err := st.ClaimSources(ctx, now, 10, time.Minute)
		if err != nil || len(claims) != 1 {
			t.Fatalf("claim: %d, %v", len(claims), err)
		}
		if err := st.FinishPoll(ctx, claims[0], store.PollOutcome{At: now, Cursor: `{"etag":"x"}`, Next: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		off, name := false, "blog comments"
		later := now.Add(time.Minute)
		src, err = st.UpdateSource(ctx, ws.ID, src.ID, store.SourceChange{Name: &name, Enabled: &off}, "lea", later)
		if err != nil || src.Name != name || src.Enabled || !src.Health.NextPollAt.Equal(now.Add(time.Hour)) {
			t.Fatalf("renamed and disabled: %+v, %v", src, err)
		}
		if claims, _ := st.ClaimSources(ctx, now.Add(2*time.Hour), 10, time.Minute); len(claims) != 0 {
			t.Fatal("a disabled source was claimed")
		}
		on, config := true, `{"url":"https://b.example/feed/"}`
		src, err = st.UpdateSource(ctx, ws.ID, src.ID, store.SourceChange{Enabled: &on, Config: &config}, "lea", later)
		if err != nil || !src.Health.NextPollAt.Equal(later) {
			t.Fatalf("enabled with new settings: %+v, %v", src, err)
		}
		claims, err = st.ClaimSources(ctx, later, 10, time.Minute)
		if err != nil || len(claims) != 1 || claims[0].Cursor != `{}` || claims[0].Config != config {
			t.Fatalf("claim after new settings: %+v, %v", claims, err)
		}
		if err := st.DeleteSource(ctx, ws.ID, src.ID, "lea"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Source(ctx, ws.ID, src.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleted source: %v", err)
		}
		if err := st.PollSourceNow(ctx, ws.ID, src.ID, now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("poll a deleted source: %v", err)
		}
	})
}
