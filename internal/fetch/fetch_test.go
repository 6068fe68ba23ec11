package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"palabre/internal/connector"
	"palabre/internal/version"
)

// serve starts a test server on 127.0.0.1 that runs h.
func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// treatAsPublic lets c reach srv as if it were a public server, while every
// other non-public address stays refused.
func treatAsPublic(c *Client, srv *httptest.Server) {
	u, _ := url.Parse(srv.URL)
	want := netip.MustParseAddrPort(u.Host)
	c.allowAddr = func(ap netip.AddrPort) bool { return ap == want }
}

func get(t *testing.T, c *Client, rawURL string) (string, error) {
	t.Helper()
	rc, err := c.Get(context.Background(), rawURL)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return string(b), err
}

func TestRefusesLoopback(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	u, _ := url.Parse(srv.URL)
	for _, target := range []string{srv.URL + "/feed", "http://localhost:" + u.Port() + "/feed"} {
		_, err := get(t, &Client{}, target)
		if !errors.Is(err, ErrForbiddenAddress) {
			t.Fatalf("Get(%s) error = %v, want ErrForbiddenAddress", target, err)
		}
		for _, want := range []string{"fetch " + target, "127.0.0.1:" + u.Port(), "loopback"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %q", err, want)
			}
		}
	}
	if hits.Load() != 0 {
		t.Errorf("server was reached %d times", hits.Load())
	}
}

func TestAllowPrivate(t *testing.T) {
	t.Parallel()
	var agent atomic.Value
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		agent.Store(r.UserAgent())
		fmt.Fprint(w, "<rss/>")
	})
	tests := []struct {
		client    *Client
		wantAgent string
	}{
		{&Client{AllowPrivate: true}, version.Read().UserAgent()},
		{&Client{AllowPrivate: true, UserAgent: "palabre-test"}, "palabre-test"},
	}
	for _, tt := range tests {
		got, err := get(t, tt.client, srv.URL)
		if err != nil || got != "<rss/>" {
			t.Fatalf("Get = %q, %v; want the body", got, err)
		}
		if agent.Load() != tt.wantAgent {
			t.Errorf("User-Agent %q, want %q", agent.Load(), tt.wantAgent)
		}
	}
}

func TestRedirectToLoopbackRefused(t *testing.T) {
	t.Parallel()
	var internalHits atomic.Int32
	internal := serve(t, func(w http.ResponseWriter, r *http.Request) {
		internalHits.Add(1)
		fmt.Fprint(w, "secret")
	})
	public := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, internal.URL+"/admin", http.StatusFound)
	})
	c := &Client{}
	treatAsPublic(c, public)
	_, err := get(t, c, public.URL+"/feed")
	if !errors.Is(err, ErrForbiddenAddress) || !strings.Contains(err.Error(), strings.TrimPrefix(internal.URL, "http://")) {
		t.Errorf("error = %v, want the redirect target refused", err)
	}
	if internalHits.Load() != 0 {
		t.Errorf("internal server was reached")
	}

	// The same client still reaches the "public" server itself.
	direct := serve(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	treatAsPublic(c, direct)
	if got, err := get(t, c, direct.URL); err != nil || got != "ok" {
		t.Errorf("Get(public) = %q, %v", got, err)
	}
}

func TestRedirectLimit(t *testing.T) {
	t.Parallel()
	// /hop/N redirects to /hop/N-1; /hop/0 answers.
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(r.URL.Path, "/hop/%d", &n)
		if n == 0 {
			fmt.Fprint(w, "arrived")
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusMovedPermanently)
	})
	tests := []struct {
		hops    int
		wantErr bool
	}{{0, false}, {1, false}, {5, false}, {6, true}, {50, true}}
	for _, tt := range tests {
		got, err := get(t, &Client{AllowPrivate: true}, fmt.Sprintf("%s/hop/%d", srv.URL, tt.hops))
		if tt.wantErr {
			if err == nil || !strings.Contains(err.Error(), "stopped after 5 redirects") {
				t.Errorf("%d hops: error %v, want the redirect limit", tt.hops, err)
			}
			continue
		}
		if err != nil || got != "arrived" {
			t.Errorf("%d hops: %q, %v", tt.hops, got, err)
		}
	}
}

func TestRedirectToOtherScheme(t *testing.T) {
	t.Parallel()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	_, err := get(t, &Client{AllowPrivate: true}, srv.URL)
	if err == nil || !strings.Contains(err.Error(), `scheme "file" is not allowed`) {
		t.Errorf("error = %v, want the file: redirect refused", err)
	}
}

func TestSizeCap(t *testing.T) {
	t.Parallel()
	const limit = 1000
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(r.URL.Query().Get("n"), "%d", &n)
		if r.URL.Query().Get("stream") != "" {
			// No Content-Length: the limit must hold while reading.
			w.(http.Flusher).Flush()
		} else {
			w.Header().Set("Content-Length", fmt.Sprint(n))
		}
		io.WriteString(w, strings.Repeat("x", n))
	})
	tests := []struct {
		query   string
		wantLen int
		wantErr bool
	}{
		{"n=1000", limit, false},
		{"n=1000&stream=1", limit, false},
		{"n=1001", 0, true},
		{"n=1001&stream=1", limit, true},
		{"n=100000&stream=1", limit, true},
	}
	for _, tt := range tests {
		got, err := get(t, &Client{AllowPrivate: true, MaxBytes: limit}, srv.URL+"/?"+tt.query)
		if tt.wantErr != errors.Is(err, ErrTooLarge) || len(got) != tt.wantLen {
			t.Errorf("%s: read %d bytes, error %v; want %d bytes, too large: %v", tt.query, len(got), err, tt.wantLen, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), srv.URL) {
			t.Errorf("%s: error %q does not name the URL", tt.query, err)
		}
	}
}

func TestStatusErrors(t *testing.T) {
	t.Parallel()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/gone":
			http.NotFound(w, r)
		case "/moved":
			http.Redirect(w, r, "/gone", http.StatusFound)
		case "/broken":
			http.Error(w, "boom", http.StatusInternalServerError)
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		}
	})
	tests := []struct{ path, want string }{
		{"/gone", "fetch " + srv.URL + "/gone: server answered 404 Not Found: 404 page not found"},
		{"/moved", "fetch " + srv.URL + "/moved (redirected to " + srv.URL + "/gone): server answered 404 Not Found: 404 page not found"},
		{"/broken", "fetch " + srv.URL + "/broken: server answered 500 Internal Server Error: boom"},
		{"/empty", ""},
	}
	for _, tt := range tests {
		_, err := get(t, &Client{AllowPrivate: true}, srv.URL+tt.path)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || err.Error() != tt.want) {
			t.Errorf("%s: error %v, want %q", tt.path, err, tt.want)
		}
		// A server error may pass; a missing page will not come back.
		if err != nil && connector.IsPermanent(err) != (tt.path != "/broken") {
			t.Errorf("%s: permanent %v", tt.path, connector.IsPermanent(err))
		}
	}
}

func TestTimeouts(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow-body" {
			io.WriteString(w, "start")
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	c := &Client{AllowPrivate: true, Timeout: 200 * time.Millisecond}

	start := time.Now()
	_, err := get(t, c, srv.URL+"/slow-headers")
	if err == nil || !strings.Contains(err.Error(), srv.URL) || time.Since(start) > 5*time.Second {
		t.Errorf("slow headers: error %v after %v, want a timeout naming the URL", err, time.Since(start))
	}

	got, err := get(t, c, srv.URL+"/slow-body")
	if err == nil || got != "start" || !strings.Contains(err.Error(), srv.URL) {
		t.Errorf("slow body: read %q, error %v; want the start then a timeout", got, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, err = (&Client{AllowPrivate: true}).Get(ctx, srv.URL+"/slow-headers")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: error %v, want context.Canceled", err)
	}
}

func TestBadURLs(t *testing.T) {
	t.Parallel()
	tests := []struct{ url, want string }{
		{"ftp://example.com/feed", `scheme "ftp" is not allowed`},
		{"file:///etc/passwd", `scheme "file" is not allowed`},
		{"/relative/feed", `scheme "" is not allowed`},
		{"", `scheme "" is not allowed`},
		{"http:///nohost", "URL has no host"},
		{"http://[::1", "missing ']'"},
		{"https://user:secret@example.invalid:99999/", "invalid port"},
	}
	for _, tt := range tests {
		_, err := (&Client{}).Get(context.Background(), tt.url)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Get(%q) error = %v, want it to mention %q", tt.url, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("error %q leaks the password", err)
		}
	}
}

func TestNonPublic(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"8.8.8.8":            "",
		"93.184.216.34":      "",
		"2606:4700::1111":    "",
		"127.0.0.1":          "loopback address",
		"127.8.9.10":         "loopback address",
		"::1":                "loopback address",
		"::ffff:127.0.0.1":   "loopback address",
		"10.1.2.3":           "private address",
		"172.16.0.1":         "private address",
		"192.168.1.1":        "private address",
		"fd00::1":            "private address",
		"169.254.169.254":    "link-local address",
		"fe80::1":            "link-local address",
		"0.0.0.0":            "unspecified address",
		"::":                 "unspecified address",
		"224.0.0.1":          "link-local address",
		"239.1.2.3":          "multicast address",
		"ff05::2":            "multicast address",
		"100.64.0.1":         "shared (carrier-grade NAT) address",
		"0.1.2.3":            `"this network" address`,
		"192.0.2.10":         "documentation address",
		"2001:db8::1":        "documentation address",
		"255.255.255.255":    "reserved address",
		"198.18.0.1":         "benchmarking address",
		"64:ff9b::a00:1":     "private address behind an IPv6 translation prefix",
		"64:ff9b::808:808":   "",
		"2002:7f00:1::":      "loopback address behind an IPv6 translation prefix",
		"2002:808:808::":     "",
		"::127.0.0.1":        "reserved address",
		"fec0::1":            "site-local address",
		"64:ff9b:1::1":       "local-use translation address",
		"2001:0:4136:e378::": "IETF protocol assignment",
	}
	for addr, want := range tests {
		if got := nonPublic(netip.MustParseAddr(addr)); got != want {
			t.Errorf("nonPublic(%s) = %q, want %q", addr, got, want)
		}
	}
	if got := nonPublic(netip.Addr{}); got != "invalid address" {
		t.Errorf("nonPublic(zero) = %q", got)
	}
}
