package poll_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"palabre/internal/fetch"
	"palabre/internal/model"
	"palabre/internal/poll"
	"palabre/internal/store"
	"palabre/internal/testclock"
	"palabre/internal/testutil"
)

// feedServer serves a comment feed with n items, answering 304 to its
// own ETag, or the status set with fail.
type feedServer struct {
	*httptest.Server
	mu     sync.Mutex
	items  int
	status int    // when not 0, answered instead of the feed
	retry  string // Retry-After sent with status
	full   atomic.Int32
	same   atomic.Int32
}

func newFeedServer(t *testing.T, items int) *feedServer {
	f := &feedServer{items: items}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *feedServer) set(items, status int, retry string) {
	f.mu.Lock()
	f.items, f.status, f.retry = items, status, retry
	f.mu.Unlock()
}

func (f *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	items, status, retry := f.items, f.status, f.retry
	f.mu.Unlock()
	if status != 0 {
		if retry != "" {
			w.Header().Set("Retry-After", retry)
		}
		http.Error(w, "unavailable", status)
		return
	}
	etag := fmt.Sprintf(`"%d"`, items)
	if r.Header.Get("If-None-Match") == etag {
		f.same.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	f.full.Add(1)
	w.Header().Set("ETag", etag)
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>Commentaires sur Vélo</title>`)
	for i := 1; i <= items; i++ {
		fmt.Fprintf(&b, `<item><title>Par : Lecteur %d</title><link>https://blog.example/velo/#comment-%d</link>
<guid isPermaLink="false">https://blog.example/?p=7#comment-%d</guid><dc:creator xmlns:dc="http://purl.org/dc/elements/1.1/">Lecteur %d</dc:creator>
<description>Mon vélo numéro %d grince, que faire ?</description><pubDate>Mon, 01 Apr 2024 10:%02d:00 +0000</pubDate></item>`, i, i, i, i, i, i%60)
	}
	b.WriteString(`</channel></rss>`)
	io.WriteString(w, b.String())
}

// world is a workspace with one feed source, and a scheduler over it
// driven by a test clock.
type world struct {
	st    *store.Store
	ws    model.Workspace
	src   model.Source
	clock *testclock.Clock
	sched *poll.Scheduler
}

func newWorld(t *testing.T, st *store.Store, feedURL string) *world {
	t.Helper()
	ctx := context.Background()
	ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "velo", Name: "Vélo"})
	if err != nil {
		t.Fatal(err)
	}
	c := testclock.New(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
	src, err := st.CreateSource(ctx, ws.ID, model.Source{Channel: "blog", Kind: model.SourceFeed, Name: "comments",
		IntervalSeconds: 60, Enabled: true}, `{"url":"`+feedURL+`"}`, "test", c.Now())
	if err != nil {
		t.Fatal(err)
	}
	client := (fetch.Client{AllowPrivate: true}).Reusing()
	sched := &poll.Scheduler{Store: st, Factories: poll.Factories(client), Ingest: poll.StoreIngest(st, nil),
		Logger: slog.New(slog.DiscardHandler), Now: c.Now}
	return &world{st: st, ws: ws, src: src, clock: c, sched: sched}
}

// run runs the scheduler until the source's polls reach n, or fails.
func (w *world) run(t *testing.T, polls int) model.Source {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.sched.Run(ctx)
	}()
	defer func() {
		cancel()
		<-done
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		src, err := w.st.Source(context.Background(), w.ws.ID, w.src.ID)
		if err != nil {
			t.Fatal(err)
		}
		if pollsOf(src) >= polls {
			return src
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s: %d polls of the source, want %d; health %+v", pollsOf(src), polls, src.Health)
		}
		w.sched.Wake()
		time.Sleep(10 * time.Millisecond)
	}
}

// pollsOf counts a source's polls by when its last one ended: each test
// step moves the clock, so that a new poll has a new time.
func pollsOf(src model.Source) int {
	if src.Health.LastPollAt == nil {
		return 0
	}
	return int(src.Health.LastPollAt.Unix())
}

func TestSchedulerPollsAndBacksOff(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		feed := newFeedServer(t, 3)
		w := newWorld(t, st, feed.URL+"/feed/")
		start := w.clock.Now()
		at := func(d time.Duration) int { return int(start.Add(d).Unix()) }

		// The first poll reads the three comments and stores them.
		src := w.run(t, at(0))
		if src.Health.LastItems != 3 || src.Health.ItemsSeen != 3 || src.Health.Failures != 0 || src.Health.LastSuccessAt == nil {
			t.Fatalf("first poll: %+v", src.Health)
		}
		if n, _ := st.CountMessages(ctx, w.ws.ID); n != 3 {
			t.Fatalf("stored %d messages, want 3", n)
		}
		if next := src.Health.NextPollAt.Sub(start); next < 54*time.Second || next > 66*time.Second {
			t.Errorf("next poll in %s, want the interval ±10%%", next)
		}
		// Nothing changed: the server answers 304, nothing is stored.
		w.clock.Add(2 * time.Minute)
		src = w.run(t, at(2*time.Minute))
		if feed.same.Load() != 1 || src.Health.LastItems != 0 || src.Health.ItemsSeen != 3 {
			t.Fatalf("unchanged feed: %d 304 answers, health %+v", feed.same.Load(), src.Health)
		}
		// Two more comments: the five are read, the three known stay once.
		feed.set(5, 0, "")
		w.clock.Add(2 * time.Minute)
		src = w.run(t, at(4*time.Minute))
		if n, _ := st.CountMessages(ctx, w.ws.ID); n != 5 || src.Health.LastItems != 5 {
			t.Fatalf("grown feed: %d messages stored, health %+v", n, src.Health)
		}
		// A failing server: the error is kept and the next poll backs off.
		feed.set(5, http.StatusInternalServerError, "")
		w.clock.Add(2 * time.Minute)
		src = w.run(t, at(6*time.Minute))
		if src.Health.Failures != 1 || !strings.Contains(src.Health.LastError, "500") || src.Health.LastErrorAt == nil {
			t.Fatalf("failed poll: %+v", src.Health)
		}
		w.clock.Add(2 * time.Minute)
		src = w.run(t, at(8*time.Minute))
		if next := src.Health.NextPollAt.Sub(w.clock.Now()); src.Health.Failures != 2 || next < 96*time.Second || next > 144*time.Second {
			t.Fatalf("second failure: next poll in %s, want twice the interval ±20%%; %+v", next, src.Health)
		}
		// A server asking to wait is waited for.
		feed.set(5, http.StatusTooManyRequests, "3600")
		w.clock.Add(3 * time.Minute)
		src = w.run(t, at(11*time.Minute))
		if next := src.Health.NextPollAt.Sub(w.clock.Now()); next < time.Hour {
			t.Fatalf("429 with Retry-After 3600: next poll in %s", next)
		}
		// Asked to poll now, the source is polled despite the back-off,
		// and its health is good again.
		feed.set(5, 0, "")
		w.clock.Add(time.Minute)
		if err := st.PollSourceNow(ctx, w.ws.ID, w.src.ID, w.clock.Now()); err != nil {
			t.Fatal(err)
		}
		src = w.run(t, at(12*time.Minute))
		if src.Health.Failures != 0 || src.Health.LastError == "" {
			t.Fatalf("after poll now: %+v (the last error stays visible)", src.Health)
		}
		if n, _ := st.CountMessages(ctx, w.ws.ID); n != 5 {
			t.Fatalf("%d messages after all polls, want 5", n)
		}
	})
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		failures  int
		retry     time.Duration
		r         float64
		low, high time.Duration
	}{
		{1, 0, 0, 48 * time.Second, 48 * time.Second},
		{1, 0, 0.999, 71 * time.Second, 72 * time.Second},
		{3, 0, 0.5, 4 * time.Minute, 4 * time.Minute},
		{30, 0, 0.5, poll.MaxBackoff, poll.MaxBackoff},
		{1, 10 * time.Minute, 0.5, 10 * time.Minute, 10 * time.Minute},
	} {
		got := poll.Backoff(time.Minute, tc.failures, tc.retry, tc.r)
		if got < tc.low || got > tc.high {
			t.Errorf("%d failures, retry %s, r %.3f: %s, want %s to %s", tc.failures, tc.retry, tc.r, got, tc.low, tc.high)
		}
	}
	if j := poll.Jitter(time.Minute, 0.5); j != time.Minute {
		t.Errorf("jitter at the middle: %s", j)
	}
}

// TestFactoriesKeepConnectors checks that a WordPress source's connector
// is built once while its settings stay, and again when they change.
func TestFactoriesKeepConnectors(t *testing.T) {
	f := poll.Factories((fetch.Client{AllowPrivate: true}).Reusing())[model.SourceWordPress]
	src := model.Source{ID: 7, Kind: model.SourceWordPress}
	one := []byte(`{"site_url":"https://blog.example","user":"claire","app_password":"abcd efgh ijkl mnop"}`)
	a, err := f(src, one)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := f(src, one)
	if a.Poller != b.Poller {
		t.Error("the same settings built a second connector")
	}
	c, _ := f(src, []byte(`{"site_url":"https://other.example","user":"claire","app_password":"abcd efgh ijkl mnop"}`))
	if c.Poller == a.Poller || c.Host != "other.example" {
		t.Errorf("new settings kept the old connector (host %q)", c.Host)
	}
	if _, err := f(model.Source{ID: 8}, []byte(`{"site_url":"ftp://x"}`)); err == nil {
		t.Error("bad settings accepted")
	}
}
