package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// do sends a GET through c and returns the body of a 2xx answer.
func do(t *testing.T, c *http.Client, rawURL string) (string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return string(b), fmt.Errorf("status %s", resp.Status)
	}
	return string(b), err
}

func TestNewHTTPClientRefusesLoopback(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	u, _ := url.Parse(srv.URL)
	c := NewHTTPClient(false, 0)
	for _, target := range []string{srv.URL, "http://localhost:" + u.Port() + "/hook"} {
		_, err := do(t, c, target)
		if !errors.Is(err, ErrForbiddenAddress) || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("GET %s: error %v, want ErrForbiddenAddress naming loopback", target, err)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("server was reached %d times", hits.Load())
	}
}

func TestNewHTTPClientAllowPrivate(t *testing.T) {
	t.Parallel()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/moved":
			http.Redirect(w, r, "/here", http.StatusFound)
		case "/away":
			http.Redirect(w, r, "ftp://example.com/", http.StatusFound)
		default:
			fmt.Fprint(w, "ok "+r.URL.Path)
		}
	})
	c := NewHTTPClient(true, 5*time.Second)
	for _, path := range []string{"/", "/moved"} {
		got, err := do(t, c, srv.URL+path)
		want := "ok /"
		if path == "/moved" {
			want = "ok /here"
		}
		if err != nil || got != want {
			t.Errorf("GET %s = %q, %v; want %q", path, got, err, want)
		}
	}
	_, err := do(t, c, srv.URL+"/away")
	if err == nil || !strings.Contains(err.Error(), `scheme "ftp" is not allowed`) {
		t.Errorf("redirect to ftp: error %v, want it refused", err)
	}
}

func TestNewHTTPClientTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	c := NewHTTPClient(true, 200*time.Millisecond)
	start := time.Now()
	_, err := do(t, c, srv.URL)
	if err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("error %v after %v, want a timeout", err, time.Since(start))
	}
	if c.Timeout != 200*time.Millisecond {
		t.Errorf("Timeout = %v", c.Timeout)
	}
	if d := NewHTTPClient(false, 0).Timeout; d != DefaultTimeout {
		t.Errorf("zero timeout gave %v, want DefaultTimeout", d)
	}
}
