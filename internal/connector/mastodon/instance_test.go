package mastodon

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"palabre/internal/fetch"
)

// A fake Mastodon instance on 127.0.0.1 that replays the answers of
// testdata/, which follow the entities of Mastodon's API documentation.

const testToken = "test-token"

// testNow is the clock of every test client.
var testNow = time.Date(2024, 5, 3, 12, 0, 0, 0, time.UTC)

// request is what the instance received.
type request struct {
	Method string
	Path   string
	Query  url.Values
	Form   url.Values
	Header http.Header
}

type instance struct {
	t   *testing.T
	srv *httptest.Server

	mu   sync.Mutex
	reqs []request
}

// newInstance starts an instance serving the default routes, each of
// which routes may replace (a nil handler removes it).
func newInstance(t *testing.T, routes map[string]http.HandlerFunc) *instance {
	t.Helper()
	in := &instance{t: t}
	all := map[string]http.HandlerFunc{
		"GET /api/v1/accounts/verify_credentials": serveFile("verify_credentials.json"),
		"GET /api/v1/notifications":               serveFile("notifications.json"),
		"GET /api/v1/accounts/108/statuses":       in.accountStatuses,
		"GET /api/v1/statuses/{id}/context":       in.context,
		"GET /api/v2/search":                      search(t, ""),
		"POST /api/v1/statuses":                   serveFile("status_posted.json"),
	}
	for pattern, h := range routes {
		all[pattern] = h
	}
	mux := http.NewServeMux()
	for pattern, h := range all {
		if h != nil {
			mux.HandleFunc(pattern, h)
		}
	}
	in.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("parse form: %v", err)
		}
		in.mu.Lock()
		in.reqs = append(in.reqs, request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Form: r.PostForm, Header: r.Header.Clone()})
		in.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			writeFile(w, http.StatusUnauthorized, "unauthorized.json")
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(in.srv.Close)
	return in
}

// client is a Client of the instance.
func (in *instance) client(cfg Config) *Client {
	in.t.Helper()
	cfg.InstanceURL = in.srv.URL
	if cfg.AccessToken == "" {
		cfg.AccessToken = testToken
	}
	c, err := New(cfg, fetch.NewHTTPClient(true, 5*time.Second), func() time.Time { return testNow })
	if err != nil {
		in.t.Fatalf("New: %v", err)
	}
	return c
}

// requests returns the requests received to path.
func (in *instance) requests(method, path string) []request {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []request
	for _, r := range in.reqs {
		if r.Method == method && r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// accountStatuses answers the scan of the account's posts with
// account_statuses.json, and Find's look at every latest status with the
// posted reply before them.
func (in *instance) accountStatuses(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("exclude_replies") == "true" {
		writeFile(w, http.StatusOK, "account_statuses.json")
		return
	}
	list := []any{readJSON(in.t, "status_posted.json")}
	list = append(list, readJSON(in.t, "account_statuses.json").([]any)...)
	writeJSON(w, http.StatusOK, list)
}

// context serves testdata/context_ID.json, and 404 for statuses without
// one.
func (in *instance) context(w http.ResponseWriter, r *http.Request) {
	name := "context_" + r.PathValue("id") + ".json"
	if _, err := os.Stat(filepath.Join("testdata", name)); err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "Record not found"})
		return
	}
	writeFile(w, http.StatusOK, name)
}

// search finds a status of the fixtures by its URI, giving it visibility
// when that is not "" (and none for "(none)").
func search(t *testing.T, visibility string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("type") != "statuses" || q.Get("resolve") != "true" {
			t.Errorf("search query = %v", q)
		}
		res := map[string]any{"accounts": []any{}, "statuses": []any{}, "hashtags": []any{}}
		if s := fixtureStatus(t, q.Get("q")); s != nil {
			switch visibility {
			case "":
			case "(none)":
				delete(s, "visibility")
			default:
				s["visibility"] = visibility
			}
			res["statuses"] = []any{s}
		}
		writeJSON(w, http.StatusOK, res)
	}
}

// fixtureStatus is the status of the fixtures whose uri is uri, or nil.
func fixtureStatus(t *testing.T, uri string) map[string]any {
	var all []any
	for _, n := range readJSON(t, "notifications.json").([]any) {
		all = append(all, n.(map[string]any)["status"])
	}
	all = append(all, readJSON(t, "account_statuses.json").([]any)...)
	for _, name := range []string{"context_110001.json", "context_110080.json"} {
		c := readJSON(t, name).(map[string]any)
		all = append(all, c["ancestors"].([]any)...)
		all = append(all, c["descendants"].([]any)...)
	}
	for _, s := range all {
		if m := s.(map[string]any); m["uri"] == uri {
			return m
		}
	}
	return nil
}

func serveFile(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { writeFile(w, http.StatusOK, name) }
}

func writeFile(w http.ResponseWriter, code int, name string) {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	w.Write(b)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	w.Write(b)
}

func readJSON(t *testing.T, name string) any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// mentionPage is a page of n mention notifications with ids first,
// first+1…, newest first as Mastodon sends them; each status answers
// parentOf(i), or nothing when it returns "".
func mentionPage(first, n int, parentOf func(i int) string) []any {
	page := make([]any, 0, n)
	for i := n - 1; i >= 0; i-- {
		id := first + i
		page = append(page, map[string]any{
			"id":   fmt.Sprint(id),
			"type": "mention",
			"status": map[string]any{
				"id":             fmt.Sprint(200000 + id),
				"uri":            fmt.Sprintf("https://far.example/statuses/%d", id),
				"created_at":     "2024-05-03T10:00:00.000Z",
				"in_reply_to_id": parentOf(i),
				"visibility":     "public",
				"content":        fmt.Sprintf("<p>@brand question %d</p>", id),
				"account":        map[string]any{"id": "900", "username": "zoe", "acct": "zoe@far.example", "display_name": "Zoé"},
			},
		})
	}
	return page
}
