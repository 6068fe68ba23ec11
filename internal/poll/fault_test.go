package poll_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"palabre/internal/fetch"
	"palabre/internal/model"
	"palabre/internal/poll"
	"palabre/internal/store"
	"palabre/internal/testclock"
	"palabre/internal/testutil"
)

// faultyFeeds serves a good feed and feeds that fail in every way a
// server can: until healed, each path answers its fault; after, its own
// two comments.
type faultyFeeds struct {
	*httptest.Server
	healed chan struct{}
}

// faults are the paths of faultyFeeds and what the source's last error
// must say.
var faults = map[string]string{
	"/slow":      "deadline",
	"/error":     "500",
	"/busy":      "429",
	"/cut":       "unexpected EOF in element <item>",
	"/huge":      "exceeds the size limit",
	"/loop":      "redirects",
	"/private":   "not public",
	"/dies":      "unexpected EOF",
	"/malformed": "closed by </item>",
}

func feedXML(path string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>Commentaires</title>`)
	for i := 1; i <= 2; i++ {
		fmt.Fprintf(&b, `<item><title>Par : Lecteur %d</title><guid isPermaLink="false">https://blog.example/?p=1#comment-%s-%d</guid>
<link>https://blog.example/?p=1#comment-%s-%d</link><description>Commentaire %d de %s</description><pubDate>Mon, 01 Apr 2024 10:0%d:00 +0000</pubDate></item>`,
			i, strings.Trim(path, "/"), i, strings.Trim(path, "/"), i, i, path, i)
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

func newFaultyFeeds(t *testing.T) *faultyFeeds {
	f := &faultyFeeds{healed: make(chan struct{})}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-f.healed:
			io.WriteString(w, feedXML(r.URL.Path))
			return
		default:
		}
		switch r.URL.Path {
		case "/good":
			io.WriteString(w, feedXML(r.URL.Path))
		case "/slow":
			select {
			case <-time.After(20 * time.Second):
			case <-r.Context().Done():
			}
		case "/error":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "/busy":
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
		case "/cut":
			io.WriteString(w, feedXML(r.URL.Path)[:300])
		case "/malformed":
			io.WriteString(w, `<?xml version="1.0"?><rss version="2.0"><channel><item><title>a</item></channel></rss>`)
		case "/huge":
			io.WriteString(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>`)
			chunk := strings.Repeat("x", 64<<10)
			for range 64 {
				if _, err := io.WriteString(w, chunk); err != nil {
					return
				}
			}
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/private":
			// Sources reach this server as "localhost", allowed by name;
			// 127.0.0.1 is not.
			http.Redirect(w, r, strings.Replace("http://"+r.Host+"/good", "localhost", "127.0.0.1", 1), http.StatusFound)
		case "/dies":
			w.Header().Set("Content-Length", "100000")
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, feedXML(r.URL.Path)[:400])
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		}
	}))
	t.Cleanup(f.Close)
	return f
}

// TestSchedulerFaults polls a good feed beside feeds failing in every
// way at once: each failure is recorded with its reason, the good feed's
// comments are stored once, nothing of a broken feed is stored, and once
// the servers heal every source catches up without storing anything
// twice.
func TestSchedulerFaults(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		feeds := newFaultyFeeds(t)
		base := strings.Replace(feeds.URL, "127.0.0.1", "localhost", 1)
		ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "velo", Name: "Vélo"})
		if err != nil {
			t.Fatal(err)
		}
		clock := testclock.New(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC))
		ids := map[string]int64{}
		for _, path := range append([]string{"/good"}, keys(faults)...) {
			src, err := st.CreateSource(ctx, ws.ID, model.Source{Channel: "blog", Kind: model.SourceFeed, Name: path,
				IntervalSeconds: 60, Enabled: true}, `{"url":"`+base+path+`"}`, "test", clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			ids[path] = src.ID
		}
		client := (fetch.Client{AllowHosts: []string{"localhost"}, MaxBytes: 1 << 20}).Reusing()
		sched := &poll.Scheduler{Store: st, Factories: poll.Factories(client), Ingest: poll.StoreIngest(st, nil),
			Logger: slog.New(slog.DiscardHandler), Now: clock.Now, PollTimeout: 2 * time.Second, PerHost: 4}
		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			sched.Run(runCtx)
		}()
		defer func() {
			stop()
			<-done
		}()
		// waitPolled waits until every source's last poll ended at or
		// after at.
		waitPolled := func(at time.Time) map[string]model.Source {
			t.Helper()
			deadline := time.Now().Add(30 * time.Second)
			for {
				got := map[string]model.Source{}
				for path, id := range ids {
					src, err := st.Source(ctx, ws.ID, id)
					if err != nil {
						t.Fatal(err)
					}
					if src.Health.LastPollAt != nil && !src.Health.LastPollAt.Before(at) {
						got[path] = src
					}
				}
				if len(got) == len(ids) {
					return got
				}
				if time.Now().After(deadline) {
					t.Fatalf("after 30 s, %d of %d sources polled", len(got), len(ids))
				}
				sched.Wake()
				time.Sleep(20 * time.Millisecond)
			}
		}
		polled := waitPolled(clock.Now())
		if h := polled["/good"].Health; h.Failures != 0 || h.LastItems != 2 {
			t.Errorf("good feed: %+v", h)
		}
		for path, says := range faults {
			h := polled[path].Health
			if h.Failures != 1 || !strings.Contains(h.LastError, says) {
				t.Errorf("%s: failures %d, last error %q, want one saying %q", path, h.Failures, h.LastError, says)
			}
			if !h.NextPollAt.After(clock.Now()) {
				t.Errorf("%s: due again at once", path)
			}
		}
		if h := polled["/busy"].Health; h.NextPollAt.Sub(clock.Now()) < 2*time.Minute {
			t.Errorf("429 with Retry-After 120: next poll in %s", h.NextPollAt.Sub(clock.Now()))
		}
		if n, _ := st.CountMessages(ctx, ws.ID); n != 2 {
			t.Fatalf("%d messages stored after the faults, want the good feed's 2", n)
		}
		// The servers heal; an hour later every source is due and polled.
		close(feeds.healed)
		clock.Add(2 * time.Hour)
		polled = waitPolled(clock.Now())
		for path, src := range polled {
			if src.Health.Failures != 0 {
				t.Errorf("%s after healing: %+v", path, src.Health)
			}
		}
		// Every feed's two comments, once.
		if n, _ := st.CountMessages(ctx, ws.ID); n != int64(2*len(ids)) {
			t.Errorf("%d messages after healing, want %d", n, 2*len(ids))
		}
	})
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
