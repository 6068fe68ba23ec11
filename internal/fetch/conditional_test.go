package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"palabre/internal/connector"
)

func TestFetchConditional(t *testing.T) {
	const etag, modified = `"v1"`, "Wed, 25 Nov 2026 10:00:00 GMT"
	var mu sync.Mutex
	var asked []string
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.Header.Get("If-None-Match")+"|"+r.Header.Get("If-Modified-Since"))
		mu.Unlock()
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", modified)
		io.WriteString(w, "<rss/>")
	})
	c := (Client{AllowPrivate: true}).Reusing()
	ctx := context.Background()
	first, err := c.Fetch(ctx, Request{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(first.Body)
	first.Body.Close()
	if err != nil || string(b) != "<rss/>" || first.NotModified || first.ETag != etag || first.LastModified != modified {
		t.Fatalf("first: %+v %q %v", first, b, err)
	}
	again, err := c.Fetch(ctx, Request{URL: srv.URL, ETag: first.ETag, LastModified: first.LastModified})
	if err != nil || !again.NotModified || again.Body != nil {
		t.Fatalf("again: %+v %v", again, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"|", etag + "|" + modified}; strings.Join(asked, ",") != strings.Join(want, ",") {
		t.Errorf("validators sent: %q, want %q", asked, want)
	}
}

func TestFetchRetryAfter(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	})
	_, err := (&Client{AllowPrivate: true}).Fetch(context.Background(), Request{URL: srv.URL})
	if connector.RetryAfter(err) != 30*time.Second || connector.IsPermanent(err) {
		t.Fatalf("429: %v (retry after %s)", err, connector.RetryAfter(err))
	}
}

// TestFetchGzipBomb checks that the size limit counts the bytes a
// compressed answer expands to, not the bytes sent.
func TestFetchGzipBomb(t *testing.T) {
	var packed bytes.Buffer
	zw := gzip.NewWriter(&packed)
	zw.Write(bytes.Repeat([]byte("a"), 8<<20))
	zw.Close()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(packed.Bytes())
	})
	if packed.Len() > 64<<10 {
		t.Fatalf("the bomb is %d bytes packed", packed.Len())
	}
	resp, err := (&Client{AllowPrivate: true, MaxBytes: 1 << 20}).Fetch(context.Background(), Request{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if !errors.Is(err, ErrTooLarge) || n > 1<<20 {
		t.Fatalf("read %d bytes, error %v; want ErrTooLarge within 1 MiB", n, err)
	}
}

func TestFetchRefusesLoopbackAsPermanent(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {})
	_, err := (&Client{}).Fetch(context.Background(), Request{URL: srv.URL})
	if !errors.Is(err, ErrForbiddenAddress) || !connector.IsPermanent(err) {
		t.Fatalf("loopback: %v", err)
	}
}

// TestAllowHosts checks that a host the administrator allows is reached
// though it resolves to loopback, and that a redirect from it to another
// local name is still refused.
func TestAllowHosts(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/away" {
			http.Redirect(w, r, strings.Replace("http://"+r.Host+"/feed", "localhost", "127.0.0.1", 1), http.StatusFound)
			return
		}
		io.WriteString(w, "ok")
	})
	local := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	c := &Client{AllowHosts: []string{"LOCALHOST"}}
	resp, err := c.Fetch(context.Background(), Request{URL: local + "/feed"})
	if err != nil {
		t.Fatalf("allowed host: %v", err)
	}
	resp.Body.Close()
	if _, err := (&Client{}).Fetch(context.Background(), Request{URL: local + "/feed"}); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("localhost not allowed: %v", err)
	}
	if _, err := c.Fetch(context.Background(), Request{URL: local + "/away"}); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("redirect from an allowed host to 127.0.0.1: %v", err)
	}
}
