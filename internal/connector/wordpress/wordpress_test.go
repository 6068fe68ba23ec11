package wordpress

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"palabre/internal/connector"
	"palabre/internal/fetch"
)

// fakeSite answers the few REST routes the connector uses, from comments
// kept in memory, the way WordPress does: orderby=id, order=asc, offset,
// per_page and X-WP-Total.
type fakeSite struct {
	mu       sync.Mutex
	srv      *httptest.Server
	comments []map[string]any
	nextID   int64
	// comment, when set, answers /wp/v2/comments instead.
	comment http.HandlerFunc
	asked   []string // the comment list queries received
}

func newFakeSite(t *testing.T) *fakeSite {
	t.Helper()
	f := &fakeSite{nextID: 1}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSite) add(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		id := f.nextID
		f.nextID++
		f.comments = append(f.comments, map[string]any{
			"id": id, "post": 7, "parent": 0, "author": 0, "author_name": "Anne",
			"date_gmt": "2026-03-01T09:00:00", "status": "approved", "type": "comment",
			"content": map[string]string{"rendered": fmt.Sprintf("<p>comment %d</p>", id)},
		})
	}
}

func (f *fakeSite) hide(ids ...int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.comments {
		if slices.Contains(ids, c["id"].(int64)) {
			c["hidden"] = true
		}
	}
}

func (f *fakeSite) remove(ids ...int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.comments = slices.DeleteFunc(f.comments, func(c map[string]any) bool {
		return slices.Contains(ids, c["id"].(int64))
	})
}

func (f *fakeSite) serve(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/wp-json/":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"home":%q,"url":%q}`, "https://Blog.example/", "https://blog.example/wp")
	case "/wp-json/wp/v2/users/me":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":1,"username":"greg"}`)
	case "/wp-json/wp/v2/comments":
		f.mu.Lock()
		f.asked = append(f.asked, r.URL.RawQuery)
		h := f.comment
		f.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		f.list(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeSite) list(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := r.URL.Query()
	if q.Get("orderby") != "id" || q.Get("order") != "asc" {
		http.Error(w, "want orderby=id&order=asc", http.StatusBadRequest)
		return
	}
	per, _ := strconv.Atoi(q.Get("per_page"))
	off, _ := strconv.Atoi(q.Get("offset"))
	end := min(off+per, len(f.comments))
	// Like WordPress, count every row but leave out of the page those
	// the user may not read.
	page := []map[string]any{}
	if off < len(f.comments) {
		for _, c := range f.comments[off:end] {
			if c["hidden"] != true {
				page = append(page, c)
			}
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("X-WP-Total", strconv.Itoa(len(f.comments)))
	json.NewEncoder(w).Encode(page)
}

func newTestClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg, fetch.NewHTTPClient(true, 5*time.Second), func() time.Time {
		return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPollErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		maxBody   int64
		handler   http.HandlerFunc
		permanent bool
		retry     time.Duration
		says      []string
	}{
		{
			name: "malformed JSON",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `[{"id":1,"post":7}, {"id":]`)
			},
			permanent: true,
			says:      []string{"GET http://127.0.0.1:", "/wp-json/wp/v2/comments?", "not the JSON comment list expected at byte 27"},
		},
		{
			name: "not an array",
			handler: func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, `{"code":"rest_no_route"}`)
			},
			permanent: true,
			says:      []string{"not the JSON comment list expected", "cannot unmarshal object"},
		},
		{
			name: "an HTML page",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=UTF-8")
				fmt.Fprint(w, `<!DOCTYPE html><html><body>Maintenance</body></html>`)
			},
			permanent: true,
			says:      []string{"the answer is text/html: is this the site's REST API?"},
		},
		{
			name: "truncated body",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", "1000")
				fmt.Fprint(w, `[{"id":1,`)
			},
			says: []string{"answer cut short after 9 bytes", "unexpected EOF"},
		},
		{
			name:    "oversized body",
			maxBody: 1 << 20,
			handler: func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprint(w, "["+strings.Repeat(`{"id":1,"post":7},`, 1<<16)+`{"id":2}]`)
			},
			permanent: true,
			says:      []string{"answer larger than 1 MiB, the most palabre reads"},
		},
		{
			name: "429 with Retry-After",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "120")
				http.Error(w, "slow down", http.StatusTooManyRequests)
			},
			retry: 2 * time.Minute,
			says:  []string{"429 Too Many Requests", "slow down", "retry after 2m0s"},
		},
		{
			name: "500",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, `{"code":"internal_server_error"}`, http.StatusInternalServerError)
			},
			says: []string{"500 Internal Server Error", "internal_server_error"},
		},
		{
			name: "401",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, `{"code":"rest_forbidden"}`, http.StatusUnauthorized)
			},
			permanent: true,
			says:      []string{"401 Unauthorized", "rest_forbidden"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeSite(t)
			f.comment = tc.handler
			c := newTestClient(t, Config{SiteURL: f.srv.URL, MaxBody: tc.maxBody})
			b, err := c.Poll(context.Background(), connector.Cursor{})
			if err == nil {
				t.Fatalf("no error, batch %+v", b)
			}
			var temp *connector.TemporaryError
			if connector.IsPermanent(err) != tc.permanent || !tc.permanent && !errors.As(err, &temp) {
				t.Errorf("error %T %v: permanent %v, want %v", err, err, connector.IsPermanent(err), tc.permanent)
			}
			if got := connector.RetryAfter(err); got != tc.retry {
				t.Errorf("retry after %s, want %s", got, tc.retry)
			}
			for _, s := range tc.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}

func TestPollRefusesPrivateAddresses(t *testing.T) {
	t.Parallel()
	f := newFakeSite(t)
	// The client palabre serve uses refuses 127.0.0.1: no retrying.
	c, err := New(Config{SiteURL: f.srv.URL}, fetch.NewHTTPClient(false, 5*time.Second), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Poll(context.Background(), connector.Cursor{})
	if !connector.IsPermanent(err) || !errors.Is(err, fetch.ErrForbiddenAddress) {
		t.Fatalf("error %v", err)
	}
}

func TestEndpoint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{SiteURL: "https://blog.example"}, "https://blog.example/wp-json/wp/v2/comments?page=2"},
		{Config{SiteURL: "https://blog.example/sub/"}, "https://blog.example/sub/wp-json/wp/v2/comments?page=2"},
		{Config{SiteURL: "https://blog.example", APIURL: "https://blog.example/?rest_route=/"}, "https://blog.example/?page=2&rest_route=%2Fwp%2Fv2%2Fcomments"},
		{Config{SiteURL: "https://blog.example", APIURL: "https://api.example/json/"}, "https://api.example/json/wp/v2/comments?page=2"},
	} {
		c, err := New(tc.cfg, fetch.NewHTTPClient(false, 0), time.Now)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.endpoint("/wp/v2/comments", map[string][]string{"page": {"2"}}); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.cfg, got, tc.want)
		}
	}
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	hc := fetch.NewHTTPClient(false, 0)
	for _, cfg := range []Config{
		{},
		{SiteURL: "blog.example"},
		{SiteURL: "ftp://blog.example"},
		{SiteURL: "https://blog.example", APIURL: "/wp-json"},
		{SiteURL: "https://blog.example", User: "greg"},
		{SiteURL: "https://blog.example", PerPage: 1},
		{SiteURL: "https://blog.example", PerPage: 101},
	} {
		if _, err := New(cfg, hc, time.Now); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
	c, err := New(Config{SiteURL: "https://Blog.example/"}, nil, nil)
	if err != nil || c.Host() != "Blog.example" || c.cfg.PerPage != DefaultPerPage || c.cfg.MaxBody != DefaultMaxBody {
		t.Errorf("defaults: %+v, %v", c, err)
	}
}

func TestParseConfig(t *testing.T) {
	t.Parallel()
	cfg, err := ParseConfig([]byte(`{"site_url":"https://blog.example","user":"greg","app_password":"abcd efgh","per_page":50}`))
	if err != nil || cfg != (Config{SiteURL: "https://blog.example", User: "greg", AppPassword: "abcd efgh", PerPage: 50}) {
		t.Errorf("%+v, %v", cfg, err)
	}
	for _, bad := range []string{
		``, `[]`, `{"site_url":"https://blog.example","password":"x"}`, `{"site_url":"blog.example"}`,
		`{"site_url":"https://blog.example","user":"greg"}`, `{"site_url":"https://blog.example","per_page":500}`,
	} {
		if _, err := ParseConfig([]byte(bad)); err == nil || !strings.HasPrefix(err.Error(), "wordpress settings: ") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}
