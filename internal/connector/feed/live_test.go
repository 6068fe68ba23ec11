package feed

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"palabre/internal/connector"
	"palabre/internal/connector/connectortest"
	"palabre/internal/fetch"
)

func TestPollerConditional(t *testing.T) {
	data := connectortest.SharedFixture(t, "seed-thread.comments.rss.xml")
	var full, notModified atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"seed"` {
			notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full.Add(1)
		w.Header().Set("ETag", `"seed"`)
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(data)
	}))
	defer srv.Close()
	cfg, err := ParseConfig([]byte(`{"url":"` + srv.URL + `/feed"}`))
	if err != nil {
		t.Fatal(err)
	}
	p := NewPoller(cfg, (fetch.Client{AllowPrivate: true}).Reusing())
	if p.Host() != "127.0.0.1" {
		t.Errorf("host %q", p.Host())
	}
	ctx := context.Background()
	b, err := p.Poll(ctx, connector.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(connector.Messages(b.Records)); got != strings.Count(string(data), "<item>") || got == 0 {
		t.Fatalf("first poll: %d messages", got)
	}
	if b.Cursor.ETag != `"seed"` || b.NotModified || b.More {
		t.Fatalf("first poll: %+v", b.Cursor)
	}
	again, err := p.Poll(ctx, b.Cursor)
	if err != nil || !again.NotModified || len(again.Records) != 0 || again.Cursor != b.Cursor {
		t.Fatalf("second poll: %+v, %v", again, err)
	}
	if full.Load() != 1 || notModified.Load() != 1 {
		t.Errorf("server: %d full answers, %d 304", full.Load(), notModified.Load())
	}
}

func TestPollerBadFeeds(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cut":
			w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>a</tit`))
		case "/html":
			w.Write([]byte(`<!doctype html><html><body>not a feed</body></html>`))
		case "/busy":
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	client := (fetch.Client{AllowPrivate: true}).Reusing()
	for _, path := range []string{"/cut", "/html", "/busy"} {
		_, err := NewPoller(Config{URL: srv.URL + path}, client).Poll(context.Background(), connector.Cursor{})
		if err == nil || !strings.Contains(err.Error(), srv.URL+path) {
			t.Errorf("%s: error %v, want one naming the feed", path, err)
		}
		if path == "/busy" && connector.RetryAfter(err) == 0 {
			t.Errorf("%s: Retry-After lost: %v", path, err)
		}
	}
	if _, err := NewPoller(Config{URL: srv.URL}, (fetch.Client{}).Reusing()).Poll(context.Background(), connector.Cursor{}); !errors.Is(err, fetch.ErrForbiddenAddress) {
		t.Errorf("loopback without leave: %v", err)
	}
}

func TestParseConfig(t *testing.T) {
	for _, bad := range []string{`{}`, `{"url":"ftp://x/feed"}`, `{"url":"/feed"}`, `{"url":"https://x","extra":1}`, `[`} {
		if _, err := ParseConfig([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func TestDiscover(t *testing.T) {
	var base string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/2024/05/velo/":
			w.Write([]byte(`<!DOCTYPE html><html lang="fr"><head><title>Vélo</title>
<link rel="alternate" type="application/rss+xml" title="Blog &raquo; Flux" href="` + base + `/feed/">
<link rel="alternate" type="application/rss+xml" title="Blog &raquo; Flux des commentaires" href="/comments/feed/">
<link rel="alternate" type="application/rss+xml" title="Blog &raquo; Vélo Flux des commentaires" href="feed/">
</head><body><link rel="alternate" type="application/rss+xml" title="late comments" href="/nope/"></body></html>`))
		case "/home":
			w.Write([]byte(`<html><head><link rel="ALTERNATE stylesheet" type="application/atom+xml" href="/atom"></head></html>`))
		case "/none":
			w.Write([]byte(`<html><head><title>nothing</title></head></html>`))
		case "/feed.xml":
			w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>`))
		}
	}))
	defer srv.Close()
	base = srv.URL
	client := (fetch.Client{AllowPrivate: true}).Reusing()
	for path, want := range map[string]string{
		"/2024/05/velo/": srv.URL + "/2024/05/velo/feed/", // the article's own comment feed
		"/home":          srv.URL + "/atom",
		"/feed.xml":      srv.URL + "/feed.xml",
	} {
		got, err := Discover(context.Background(), client, srv.URL+path)
		if err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", path, got, err, want)
		}
	}
	if _, err := Discover(context.Background(), client, srv.URL+"/none"); err == nil || !strings.Contains(err.Error(), "announces no RSS or Atom feed") {
		t.Errorf("/none: %v", err)
	}
}

// TestNoExternalEntities checks that a feed declaring external entities
// (a file, a URL) gets neither read: Go's XML decoder never loads them,
// and an entity it does not know leaves the item bad or the feed unread,
// not filled with what the entity names.
func TestNoExternalEntities(t *testing.T) {
	var fetched atomic.Int32
	probe := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fetched.Add(1) }))
	defer probe.Close()
	secret := t.TempDir() + "/secret.txt"
	if err := os.WriteFile(secret, []byte("TOP-SECRET-CONTENT"), 0o600); err != nil {
		t.Fatal(err)
	}
	feedXML := `<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY file SYSTEM "file://` + secret + `"><!ENTITY remote SYSTEM "` + probe.URL + `/x">]>
<rss version="2.0"><channel><title>x</title>
<item><title>a</title><guid>https://blog.example/?p=1#comment-1</guid><description>&file; &remote;</description><pubDate>Mon, 01 Apr 2024 10:00:00 +0000</pubDate></item>
</channel></rss>`
	r := NewReader(strings.NewReader(feedXML), Options{})
	var read []string
	for {
		rec, err := r.Next()
		if err != nil {
			break
		}
		read = append(read, rec.Message.Body, rec.Message.BodyHTML)
		if rec.Err != nil {
			read = append(read, rec.Err.Error())
		}
	}
	if s := strings.Join(read, " "); strings.Contains(s, "TOP-SECRET") {
		t.Errorf("an external entity was read: %s", s)
	}
	if fetched.Load() != 0 {
		t.Error("an external entity was fetched")
	}
}
