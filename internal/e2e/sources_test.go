package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"palabre/internal/store"
	"palabre/internal/testutil"
)

// feedFarm serves many comment feeds, each answer slowed down so that
// polls overlap, and tracks how many requests are in flight: for each
// feed, and in all.
type feedFarm struct {
	*httptest.Server
	mu        sync.Mutex
	inFlight  map[string]int
	maxFeed   map[string]int // the most requests one feed had at once
	requests  map[string]int
	now, peak int // in flight in all, and the most at once
}

func newFeedFarm(t *testing.T) *feedFarm {
	f := &feedFarm{inFlight: map[string]int{}, maxFeed: map[string]int{}, requests: map[string]int{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		f.mu.Lock()
		f.inFlight[path]++
		f.maxFeed[path] = max(f.maxFeed[path], f.inFlight[path])
		f.requests[path]++
		f.now++
		f.peak = max(f.peak, f.now)
		f.mu.Unlock()
		defer func() {
			f.mu.Lock()
			f.inFlight[path]--
			f.now--
			f.mu.Unlock()
		}()
		time.Sleep(150 * time.Millisecond)
		id := strings.Trim(path, "/")
		io.WriteString(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Commentaires</title>`)
		for i := 1; i <= 2; i++ {
			fmt.Fprintf(w, `<item><title>Par : Lecteur</title><guid isPermaLink="false">https://blog.example/?p=%s#comment-%d</guid>
<link>https://blog.example/?p=%s#comment-%d</link><description>Commentaire %d</description><pubDate>Mon, 01 Apr 2024 10:0%d:00 +0000</pubDate></item>`, id, i, id, i, i, i)
		}
		io.WriteString(w, `</channel></rss>`)
	}))
	t.Cleanup(f.Close)
	return f
}

// TestTwoServersPollEachSourceOnce runs two palabre serve processes on one
// PostgreSQL database with 30 feed sources on one host. A node polls a
// host twice at once at most, so more than two requests at once means
// both nodes poll; yet no feed is ever asked twice at once, and every
// comment is stored once.
func TestTwoServersPollEachSourceOnce(t *testing.T) {
	t.Parallel()
	dsn := testutil.NewDSN(t, store.EnginePostgres)
	farm := newFeedFarm(t)
	base := strings.Replace(farm.URL, "127.0.0.1", "localhost", 1)
	run(t, "admin pass phrase 1\n", "user", "add", "admin", "--admin", "--db", dsn, "--password-file", "-")
	a := serve(t, dsn, "--sources-allow-hosts", "localhost")
	serve(t, dsn, "--sources-allow-hosts", "localhost")
	admin := as(t, dsn, a, "admin")
	admin.must(t, 201, "POST", "/api/v1/workspaces", map[string]string{"slug": "w", "name": "W"})
	const n = 30
	for i := range n {
		admin.must(t, 201, "POST", "/api/v1/workspaces/w/sources", map[string]any{
			"channel": "blog", "kind": "feed", "name": fmt.Sprintf("feed %02d", i), "interval_seconds": 15,
			"config": map[string]string{"url": fmt.Sprintf("%s/%d", base, i)}})
	}
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ws, err := st.WorkspaceBySlug(context.Background(), "w")
	if err != nil {
		t.Fatal(err)
	}
	polledTwice := func() bool {
		farm.mu.Lock()
		defer farm.mu.Unlock()
		for i := range n {
			// The first request was the API's, finding the feed.
			if farm.requests[fmt.Sprintf("/%d", i)] < 3 {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(90 * time.Second)
	for !polledTwice() {
		if time.Now().After(deadline) {
			t.Fatalf("not every feed polled twice within 90 s: %v", farm.requests)
		}
		time.Sleep(200 * time.Millisecond)
	}
	farm.mu.Lock()
	for path, m := range farm.maxFeed {
		if m > 1 {
			t.Errorf("feed %s was asked %d times at once", path, m)
		}
	}
	peak := farm.peak
	farm.mu.Unlock()
	if peak <= 2 {
		t.Errorf("at most %d requests at once: one node did all the polling, the test proves nothing", peak)
	}
	if got, err := st.CountMessages(context.Background(), ws.ID); err != nil || got != 2*n {
		t.Errorf("%d messages stored, want %d: %v", got, 2*n, err)
	}
	sources, err := st.Sources(context.Background(), ws.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range sources {
		if src.Health.Failures != 0 || src.Health.LastSuccessAt == nil {
			t.Errorf("%s: %+v", src.Name, src.Health)
		}
	}
}
