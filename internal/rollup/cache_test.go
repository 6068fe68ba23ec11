package rollup

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"palabre/internal/ingest"
	"palabre/internal/metrics"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// countingSource counts the answers counted (one read of the engagement
// weights each)
// and how many are counted at once, and may be made to fail.
type countingSource struct {
	*store.Store
	asked, now, most atomic.Int32
	fail             atomic.Bool
	hold             chan struct{} // when set, each count waits on it
	delay            time.Duration // each count takes that long at least
}

func (c *countingSource) EngagementWeights(ctx context.Context, workspaceID int64) (metrics.Weights, error) {
	c.asked.Add(1)
	n := c.now.Add(1)
	defer c.now.Add(-1)
	for {
		m := c.most.Load()
		if n <= m || c.most.CompareAndSwap(m, n) {
			break
		}
	}
	if c.hold != nil {
		<-c.hold
	}
	time.Sleep(c.delay)
	if c.fail.Load() {
		return metrics.Weights{}, errors.New("the database went away")
	}
	return c.Store.EngagementWeights(ctx, workspaceID)
}

// TestCache: a question asked again within the time to live is answered
// once; asked meanwhile, it waits for that answer; a failure is not
// kept; at most the slots given count at once.
func TestCache(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "velo", Name: "Vélo"})
		if err != nil {
			t.Fatal(err)
		}
		m := model.Message{ExternalID: "a", ConversationExternalID: "a", Body: "Bonjour ?", AuthorName: "Anne",
			AuthorEmail: "anne@example.org", CreatedAt: testNow.Add(-time.Hour)}
		if _, err := ingest.Import(ctx, st, ingest.FromMessages([]model.Message{m}), ingest.Options{Workspace: ws, Channel: "blog"}); err != nil {
			t.Fatal(err)
		}
		src := &countingSource{Store: st}
		c := NewCache(5*time.Second, 8, 2)
		q := metrics.Query{From: "2026-11-01", To: "2026-12-01"}
		a1, err := c.Ask(ctx, src, ws.ID, q, testNow)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Ask(ctx, st, ws.ID, q, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if a1.Total.In != want.Total.In || a1.Total.In != 1 {
			t.Fatalf("cached answer %d messages in, uncached %d", a1.Total.In, want.Total.In)
		}
		if _, err := c.Ask(ctx, src, ws.ID, q, testNow.Add(4*time.Second)); err != nil || src.asked.Load() != 1 {
			t.Errorf("asked again within the time to live: counted %d times (%v)", src.asked.Load(), err)
		}
		if _, err := c.Ask(ctx, src, ws.ID, metrics.Query{From: "2026-10-01", To: "2026-11-01"}, testNow); err != nil || src.asked.Load() != 2 {
			t.Errorf("another question: counted %d times (%v)", src.asked.Load(), err)
		}
		// No longer fresh, but less than twice its life old: the answer
		// kept, at once, while it is counted again.
		m.ExternalID = "b"
		if _, err := ingest.Import(ctx, st, ingest.FromMessages([]model.Message{m}), ingest.Options{Workspace: ws, Channel: "blog"}); err != nil {
			t.Fatal(err)
		}
		src.hold = make(chan struct{})
		answered := make(chan metrics.Answer, 1)
		go func() {
			a, err := c.Ask(ctx, src, ws.ID, q, testNow.Add(6*time.Second))
			if err != nil {
				t.Error(err)
			}
			answered <- a
		}()
		select {
		case a := <-answered:
			if a.Total.In != 1 {
				t.Errorf("the answer kept, asked again: %d messages in, want the 1 counted before", a.Total.In)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("an answer no longer fresh waited for its count")
		}
		close(src.hold)
		c.Wait()
		src.hold = nil
		if src.asked.Load() != 3 {
			t.Errorf("asked after the time to live: counted %d times, want it counted again", src.asked.Load())
		}
		if a, err := c.Ask(ctx, src, ws.ID, q, testNow.Add(7*time.Second)); err != nil || a.Total.In != 2 || src.asked.Load() != 3 {
			t.Errorf("asked once counted again: %d messages in, counted %d times (%v), want 2 and 3", a.Total.In, src.asked.Load(), err)
		}
		// Twice its life old: counted before it is answered.
		c.Wait()
		if _, err := c.Ask(ctx, src, ws.ID, q, testNow.Add(18*time.Second)); err != nil || src.asked.Load() != 4 {
			t.Errorf("asked after twice the time to live: counted %d times (%v)", src.asked.Load(), err)
		}

		// A failure is answered, not kept.
		src.fail.Store(true)
		later := testNow.Add(time.Minute)
		if _, err := c.Ask(ctx, src, ws.ID, q, later); err == nil {
			t.Fatal("a failing count answered no error")
		}
		src.fail.Store(false)
		if _, err := c.Ask(ctx, src, ws.ID, q, later); err != nil || src.asked.Load() != 6 {
			t.Errorf("after a failure: counted %d times (%v), want it counted again", src.asked.Load(), err)
		}

		// Ten askers of one question while it is counted: one count.
		// Ten questions at once: two counted at a time.
		for _, distinct := range []bool{false, true} {
			src.asked.Store(0)
			src.most.Store(0)
			src.hold = make(chan struct{})
			at := testNow.Add(time.Hour)
			if distinct {
				at = at.Add(time.Hour)
			}
			var wg sync.WaitGroup
			for i := range 10 {
				wg.Go(func() {
					qi := q
					if distinct {
						qi.From = time.Date(2026, time.Month(1+i), 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
					}
					if _, err := c.Ask(ctx, src, ws.ID, qi, at); err != nil {
						t.Error(err)
					}
				})
			}
			time.Sleep(100 * time.Millisecond)
			close(src.hold)
			wg.Wait()
			src.hold = nil
			switch {
			case !distinct && src.asked.Load() != 1:
				t.Errorf("ten askers of one question: counted %d times", src.asked.Load())
			case distinct && (src.asked.Load() != 10 || src.most.Load() > 2):
				t.Errorf("ten questions: counted %d, at most %d at once, want 10 and 2", src.asked.Load(), src.most.Load())
			}
		}
	})
}

// TestCacheCost: an answer that takes long to count stays fresh
// CostFactor times as long.
func TestCacheCost(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "velo", Name: "Vélo"})
		if err != nil {
			t.Fatal(err)
		}
		src := &countingSource{Store: st, delay: 200 * time.Millisecond}
		c := NewCache(10*time.Millisecond, 8, 2)
		q := metrics.Query{From: "2026-11-01", To: "2026-12-01"}
		for _, after := range []time.Duration{0, 500 * time.Millisecond, 790 * time.Millisecond} {
			if _, err := c.Ask(ctx, src, ws.ID, q, testNow.Add(after)); err != nil {
				t.Fatal(err)
			}
		}
		if n := src.asked.Load(); n != 1 {
			t.Errorf("an answer that took 200 ms, asked again within 800 ms: counted %d times, want once", n)
		}
		if _, err := c.Ask(ctx, src, ws.ID, q, testNow.Add(5*time.Second)); err != nil {
			t.Fatal(err)
		}
		c.Wait()
		if n := src.asked.Load(); n != 2 {
			t.Errorf("asked again after 5 s: counted %d times, want twice", n)
		}
	})
}
