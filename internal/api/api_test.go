package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"palabre/internal/analysis"
	"palabre/internal/api"
	"palabre/internal/auth"
	"palabre/internal/enrich"
	"palabre/internal/fetch"
	"palabre/internal/httpx"
	"palabre/internal/live"
	"palabre/internal/model"
	"palabre/internal/poll"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// t0 is when the seeded conversations start.
var t0 = time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)

// fixture is a seeded store served by the API on a real listener.
type fixture struct {
	base   string // http://127.0.0.1:port
	client *http.Client
	thread int64                // id of banque's threaded conversation
	logs   *testutil.SyncBuffer // what the API logged
	live   api.Live             // the live events the API serves
	// feedURL is a comment feed served on 127.0.0.1, for live sources.
	feedURL string
	sources *testSources
}

// testSources checks and shows sources' settings as palabre serve does,
// fetching from 127.0.0.1 (allowed explicitly), and counts the wakes.
type testSources struct {
	client *fetch.Client
	mu     sync.Mutex
	wakes  int
}

func (s *testSources) Settings(ctx context.Context, kind string, config []byte) ([]byte, error) {
	return poll.Settings(ctx, s.client, kind, config)
}

func (s *testSources) Shown(kind string, config []byte) map[string]any {
	return poll.Shown(kind, config)
}

func (s *testSources) Wake() {
	s.mu.Lock()
	s.wakes++
	s.mu.Unlock()
}

// serveFeed serves a small comment feed on 127.0.0.1 until the test ends
// and returns its address.
func serveFeed(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Commentaires</title>
<item><title>Par : Alice</title><link>https://blog.example/velo/#comment-1</link><guid>https://blog.example/?p=1#comment-1</guid>
<description>Super vélo</description><pubDate>Mon, 01 Apr 2024 10:00:00 +0000</pubDate></item></channel></rss>`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/feed/"
}

// serve seeds st and serves the API over a real TCP listener until the
// test ends.
func serve(t *testing.T, st *store.Store) *fixture {
	t.Helper()
	f := &fixture{client: authorized(t, st), logs: &testutil.SyncBuffer{}}
	f.thread = seed(t, st)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m, err := enrich.Default()
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(f.logs, nil))
	f.live = runLive(t, st, logger)
	f.feedURL = serveFeed(t)
	f.sources = &testSources{client: (fetch.Client{AllowPrivate: true}).Reusing()}
	srv := &http.Server{Handler: api.New(api.Config{Live: f.live, Sources: f.sources}, st, analysis.NewRegistry(st, m), nil, logger)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	f.base = "http://" + ln.Addr().String()
	return f
}

// runLive runs the live events of st — a hub woken at each commit, and
// presence carried by a local bus — until the test ends. st is the test's
// own, so its commit hook is this hub's alone.
func runLive(t *testing.T, st *store.Store, logger *slog.Logger) api.Live {
	t.Helper()
	hub := live.NewHub(st, logger, live.HubOptions{Poll: 50 * time.Millisecond})
	bus := live.NewLocalBus()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if err := hub.Run(ctx); err != nil {
			t.Errorf("live hub: %v", err)
		}
	}()
	go func() {
		defer wg.Done()
		bus.Listen(ctx, func(payload []byte) {
			if err := hub.HandleMessage(payload); err != nil {
				t.Errorf("live bus message %s: %v", payload, err)
			}
		})
	}()
	st.OnCommit(hub.Wake)
	t.Cleanup(func() {
		st.OnCommit(nil)
		cancel()
		wg.Wait()
	})
	// The hub has started once it knows where live delivery starts; a
	// test may then break the store without failing the hub's start.
	started, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	sub := hub.Subscribe(nil)
	defer sub.Close()
	if _, err := sub.Replay(started, 0, nil); err != nil {
		t.Fatalf("live hub: %v", err)
	}
	return api.Live{Hub: hub, Presence: live.NewPresence(30 * time.Second), Bus: bus, Heartbeat: 200 * time.Millisecond}
}

// authorized returns an HTTP client that acts as a new administrator of
// st, with a read-write API token, unless a request sets its own
// Authorization header.
func authorized(t *testing.T, st *store.Store) *http.Client {
	t.Helper()
	ctx := context.Background()
	u, err := st.CreateUser(ctx, model.User{Login: fmt.Sprintf("admin%d", time.Now().UnixNano()), IsAdmin: true}, "x", "test")
	if err != nil {
		t.Fatal(err)
	}
	token, hash, err := auth.NewAPIToken()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateAPIToken(ctx, model.APIToken{UserID: u.ID, Name: "tests", CanWrite: true}, hash, "test"); err != nil {
		t.Fatal(err)
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: bearer{token: token}}
}

// bearer adds an API token to requests that carry no Authorization.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("Authorization") == "" && r.Header.Get("Cookie") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+b.token)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// seed stores two workspaces: velo, with seven one-message conversations
// p0…p6 (p5 and p6 share their activity time, to exercise the cursor's
// tie-break), and banque, with one threaded conversation whose id it
// returns.
func seed(t *testing.T, st *store.Store) int64 {
	t.Helper()
	ctx := context.Background()
	velo, blog := workspace(t, st, "velo", "blog")
	var items []store.IngestItem
	for i := range 7 {
		id := fmt.Sprintf("p%d", i)
		items = append(items, message(id, "", id, t0.Add(time.Duration(min(i, 5))*time.Hour)))
	}
	if _, err := st.NewImporter(velo, blog).Write(ctx, items); err != nil {
		t.Fatal(err)
	}
	banque, forum := workspace(t, st, "banque", "forum")
	thread := []store.IngestItem{
		message("r", "", "r", t0),
		message("a", "r", "r", t0.Add(time.Hour)),
		message("a1", "a", "r", t0.Add(2*time.Hour)),
		message("b", "r", "r", t0.Add(30*time.Minute)),
		message("a2", "a", "r", t0.Add(90*time.Minute)),
	}
	if _, err := st.NewImporter(banque, forum).Write(ctx, thread); err != nil {
		t.Fatal(err)
	}
	page, err := st.Conversations(ctx, banque.ID, store.ConversationFilter{})
	if err != nil || len(page.Conversations) != 1 {
		t.Fatalf("seeded banque: %+v, %v", page, err)
	}
	return page.Conversations[0].ID
}

func workspace(t *testing.T, st *store.Store, slug, channel string) (model.Workspace, model.Channel) {
	t.Helper()
	ctx := context.Background()
	ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: slug, Name: strings.ToUpper(slug)})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := st.EnsureChannel(ctx, ws.ID, channel, "wordpress")
	if err != nil {
		t.Fatal(err)
	}
	return ws, ch
}

func message(ext, parent, root string, at time.Time) store.IngestItem {
	m := model.Message{ExternalID: ext, ParentExternalID: parent, ConversationExternalID: root,
		Kind: model.KindReply, Status: model.StatusApproved, Body: "body of " + ext, CreatedAt: at,
		AuthorName: "author of " + ext}
	if parent == "" {
		m.Kind = model.KindPost
	} else if parent == root {
		m.Kind = model.KindComment
	}
	it := store.IngestItem{Message: m, Root: root}
	if ext == root {
		it.Subject = "subject " + ext
	}
	return it
}

// response is what a request got back.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (f *fixture) do(t *testing.T, method, path string) response {
	t.Helper()
	req, err := http.NewRequest(method, f.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: body}
}

// getJSON GETs path, checks it is a 200 JSON answer and decodes it into v.
func (f *fixture) getJSON(t *testing.T, path string, v any) response {
	t.Helper()
	res := f.do(t, http.MethodGet, path)
	if res.status != http.StatusOK {
		t.Fatalf("GET %s: status %d, body %s", path, res.status, res.body)
	}
	checkJSONHeaders(t, res)
	if err := json.Unmarshal(res.body, v); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, res.body)
	}
	return res
}

func checkJSONHeaders(t *testing.T, res response) {
	t.Helper()
	if ct := res.header.Get("Content-Type"); ct != httpx.ContentTypeJSON {
		t.Errorf("Content-Type %q, want %q", ct, httpx.ContentTypeJSON)
	}
	if v := res.header.Get("X-Content-Type-Options"); v != "nosniff" {
		t.Errorf("X-Content-Type-Options %q, want nosniff", v)
	}
}

// checkProblem checks that res is an RFC 9457 problem for status whose
// detail holds every fragment of want.
func checkProblem(t *testing.T, res response, status int, want ...string) {
	t.Helper()
	if res.status != status {
		t.Fatalf("status %d, want %d; body %s", res.status, status, res.body)
	}
	if ct := res.header.Get("Content-Type"); ct != httpx.ContentTypeProblem {
		t.Errorf("Content-Type %q, want %q", ct, httpx.ContentTypeProblem)
	}
	if v := res.header.Get("X-Content-Type-Options"); v != "nosniff" {
		t.Errorf("X-Content-Type-Options %q, want nosniff", v)
	}
	var p map[string]any
	if err := json.Unmarshal(res.body, &p); err != nil {
		t.Fatalf("problem body: %v in %s", err, res.body)
	}
	if p["type"] != "about:blank" || p["title"] != http.StatusText(status) || p["status"] != float64(status) {
		t.Errorf("problem %s: want type about:blank, title %q, status %d", res.body, http.StatusText(status), status)
	}
	detail, _ := p["detail"].(string)
	if detail == "" {
		t.Errorf("problem %s: no detail", res.body)
	}
	for _, w := range want {
		if !strings.Contains(detail, w) {
			t.Errorf("problem detail %q lacks %q", detail, w)
		}
	}
}

func TestRequests(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		f := serve(t, st)
		thread := fmt.Sprint(f.thread)
		cases := []struct {
			name   string
			method string // GET when empty
			path   string
			status int
			want   []string // fragments of the body, or of a problem's detail
			allow  string   // the Allow header of a 405
		}{
			{name: "workspaces", path: "/api/v1/workspaces", status: 200,
				want: []string{`{"workspaces":[{"id":`, `"slug":"banque"`, `"slug":"velo"`, `"name":"VELO"`, `"created_at":"`}},
			{name: "conversations", path: "/api/v1/workspaces/velo/conversations", status: 200,
				want: []string{`{"conversations":[{"id":`, `"root_external_id":"p6"`, `"root_external_id":"p0"`,
					`"subject":"subject p3"`, `"status":"new"`, `"workspace":"velo"`, `"channel":"blog"`,
					`"last_activity_at":"2024-03-01T15:00:00Z"`}},
			{name: "status filter, matching", path: "/api/v1/workspaces/velo/conversations?status=new&limit=7", status: 200,
				want: []string{`"root_external_id":"p6"`, `"root_external_id":"p0"`}},
			{name: "status filter, none", path: "/api/v1/workspaces/velo/conversations?status=resolved", status: 200,
				want: []string{`{"conversations":[]}`}},
			{name: "empty parameters mean defaults", path: "/api/v1/workspaces/velo/conversations?status=&limit=&cursor=", status: 200,
				want: []string{`"root_external_id":"p6"`, `"root_external_id":"p0"`}},
			{name: "conversation", path: "/api/v1/conversations/" + thread, status: 200,
				want: []string{`{"conversation":{"id":` + thread, `"messages":[{"id":`, `"depth":0`, `"depth":2`,
					`"external_id":"a1"`, `"parent_external_id":"a"`, `"conversation_external_id":"r"`,
					`"body":"body of b"`, `"author_name":"author of r"`, `"kind":"post"`, `"created_at":"2024-03-01T10:00:00Z"`}},
			{name: "openapi", path: "/api/v1/openapi.json", status: 200, want: []string{`"openapi": "3.1.0"`}},

			{name: "unknown workspace", path: "/api/v1/workspaces/nope/conversations", status: 404,
				want: []string{`workspace "nope"`, "not found"}},
			{name: "limit not a number", path: "/api/v1/workspaces/velo/conversations?limit=abc", status: 400,
				want: []string{`limit "abc"`}},
			{name: "limit zero", path: "/api/v1/workspaces/velo/conversations?limit=0", status: 400, want: []string{"limit"}},
			{name: "limit negative", path: "/api/v1/workspaces/velo/conversations?limit=-3", status: 400, want: []string{"limit"}},
			{name: "limit too large", path: "/api/v1/workspaces/velo/conversations?limit=501", status: 400, want: []string{"limit 501"}},
			{name: "limit overflows", path: "/api/v1/workspaces/velo/conversations?limit=99999999999999999999", status: 400, want: []string{"limit"}},
			{name: "bad status", path: "/api/v1/workspaces/velo/conversations?status=closed", status: 400,
				want: []string{`status "closed"`}},
			{name: "bad cursor", path: "/api/v1/workspaces/velo/conversations?cursor=%21%21", status: 400,
				want: []string{`cursor "!!"`}},
			{name: "well-formed base64, bad cursor", path: "/api/v1/workspaces/velo/conversations?cursor=YWJj", status: 400,
				want: []string{"cursor"}},
			{name: "non-numeric id", path: "/api/v1/conversations/abc", status: 400, want: []string{`id "abc"`}},
			{name: "zero id", path: "/api/v1/conversations/0", status: 400, want: []string{`id "0"`}},
			{name: "negative id", path: "/api/v1/conversations/-4", status: 400, want: []string{`id "-4"`}},
			{name: "id overflows", path: "/api/v1/conversations/99999999999999999999", status: 400, want: []string{"id"}},
			{name: "unknown id", path: "/api/v1/conversations/999999", status: 404, want: []string{"conversation 999999", "not found"}},
			{name: "unknown path", path: "/api/v1/nope", status: 404, want: []string{"/api/v1/nope"}},
			{name: "api root", path: "/api/v1/", status: 404, want: []string{"/api/v1/"}},
			{name: "workspace without route", path: "/api/v1/workspaces/velo", status: 404, want: []string{"/api/v1/workspaces/velo"}},
			{name: "POST on a GET route", method: "POST", path: "/api/v1/workspaces/velo/topics", status: 405,
				want: []string{"POST", "/api/v1/workspaces/velo/topics"}, allow: "GET, HEAD"},
			{name: "DELETE a conversation", method: "DELETE", path: "/api/v1/conversations/" + thread, status: 405,
				want: []string{"DELETE"}, allow: "GET, HEAD, PATCH"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				method := c.method
				if method == "" {
					method = http.MethodGet
				}
				res := f.do(t, method, c.path)
				if c.status >= 400 {
					checkProblem(t, res, c.status, c.want...)
				} else {
					if res.status != c.status {
						t.Fatalf("status %d, want %d; body %s", res.status, c.status, res.body)
					}
					checkJSONHeaders(t, res)
					if !json.Valid(res.body) {
						t.Fatalf("invalid JSON: %s", res.body)
					}
					for _, w := range c.want {
						if !bytes.Contains(res.body, []byte(w)) {
							t.Errorf("body lacks %s:\n%s", w, res.body)
						}
					}
				}
				if got := res.header.Get("Allow"); got != c.allow {
					t.Errorf("Allow %q, want %q", got, c.allow)
				}
			})
		}
	})
}

type conversationsPage struct {
	Conversations []model.Conversation `json:"conversations"`
	NextCursor    *string              `json:"next_cursor"`
}

func TestPagination(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		f := serve(t, st)
		var all conversationsPage
		f.getJSON(t, "/api/v1/workspaces/velo/conversations", &all)
		want := []string{"p6", "p5", "p4", "p3", "p2", "p1", "p0"}
		if got := roots(all.Conversations); !slices.Equal(got, want) {
			t.Fatalf("one page: %v, want %v", got, want)
		}
		if all.NextCursor != nil {
			t.Fatalf("one page: next_cursor %q on the last page", *all.NextCursor)
		}

		var walked []string
		var sizes []int
		seen := make(map[int64]bool)
		path := "/api/v1/workspaces/velo/conversations?limit=3"
		for range 10 { // a cursor that never ends fails below
			var page conversationsPage
			f.getJSON(t, path, &page)
			sizes = append(sizes, len(page.Conversations))
			for _, c := range page.Conversations {
				if seen[c.ID] {
					t.Errorf("conversation %d (%s) listed twice", c.ID, c.RootExternalID)
				}
				seen[c.ID] = true
			}
			walked = append(walked, roots(page.Conversations)...)
			if page.NextCursor == nil {
				break
			}
			if *page.NextCursor == "" {
				t.Fatal("next_cursor present but empty")
			}
			path = "/api/v1/workspaces/velo/conversations?limit=3&cursor=" + url.QueryEscape(*page.NextCursor)
		}
		if !slices.Equal(sizes, []int{3, 3, 1}) {
			t.Errorf("page sizes %v, want [3 3 1]", sizes)
		}
		if !slices.Equal(walked, want) {
			t.Errorf("pages walked %v, want %v (the one-page order)", walked, want)
		}
	})
}

func roots(cs []model.Conversation) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.RootExternalID)
	}
	return out
}

func TestConversationThread(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		f := serve(t, st)
		var got struct {
			Conversation model.Conversation `json:"conversation"`
			Messages     []map[string]any   `json:"messages"`
		}
		f.getJSON(t, fmt.Sprintf("/api/v1/conversations/%d", f.thread), &got)
		if got.Conversation.ID != f.thread || got.Conversation.MessageCount != 5 || got.Conversation.Workspace != "banque" {
			t.Errorf("conversation %+v", got.Conversation)
		}
		// Depth first, siblings oldest first: b (30 min) before a (1 h),
		// a's replies a2 (90 min) before a1 (2 h).
		want := []string{"r@0", "b@1", "a@1", "a2@2", "a1@2"}
		var order []string
		ids := make(map[float64]bool)
		for _, m := range got.Messages {
			order = append(order, fmt.Sprintf("%v@%v", m["external_id"], m["depth"]))
			id, _ := m["id"].(float64)
			if id <= 0 || ids[id] {
				t.Errorf("message %v: id %v missing or repeated", m["external_id"], m["id"])
			}
			ids[id] = true
			if m["conversation_id"] != float64(f.thread) {
				t.Errorf("message %v: conversation_id %v", m["external_id"], m["conversation_id"])
			}
			created, _ := m["created_at"].(string)
			if at, err := time.Parse(time.RFC3339, created); err != nil || !strings.HasSuffix(created, "Z") || at.Before(t0) {
				t.Errorf("message %v: created_at %q is not RFC 3339 UTC", m["external_id"], created)
			}
			for _, field := range []string{"channel", "external_id", "conversation_external_id", "kind", "author_name", "author_is_staff", "body"} {
				if _, ok := m[field]; !ok {
					t.Errorf("message %v lacks %s", m["external_id"], field)
				}
			}
		}
		if !slices.Equal(order, want) {
			t.Errorf("thread order %v, want %v", order, want)
		}
	})
}

// TestStoreFailureIsHidden checks that an error the client cannot help is a
// 500 whose detail tells nothing of it, while the log has it.
func TestStoreFailureIsHidden(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		f := serve(t, st)
		st.Close()
		for _, path := range []string{
			"/api/v1/workspaces",
			"/api/v1/workspaces/velo/conversations",
			fmt.Sprintf("/api/v1/conversations/%d", f.thread),
		} {
			res := f.do(t, http.MethodGet, path)
			checkProblem(t, res, http.StatusInternalServerError, "internal error")
			if bytes.Contains(res.body, []byte("closed")) || bytes.Contains(res.body, []byte("sql")) {
				t.Errorf("GET %s: the problem leaks the cause: %s", path, res.body)
			}
		}
		logs := f.logs.String()
		if !strings.Contains(logs, "database is closed") || !strings.Contains(logs, "path=/api/v1/workspaces") {
			t.Errorf("the log lacks the cause:\n%s", logs)
		}
	})
}

// TestHostileInput sends odd requests: each gets a 2xx or 4xx JSON answer,
// never a 5xx or a dropped connection.
func TestHostileInput(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		f := serve(t, st)
		long := strings.Repeat("x", 4000)
		for _, path := range []string{
			"/api/v1/workspaces/%00/conversations",
			"/api/v1/workspaces/%2F..%2F/conversations",
			"/api/v1/workspaces/" + long + "/conversations",
			"/api/v1/workspaces/v%C3%A9lo/conversations",
			"/api/v1/workspaces/velo'%3B--/conversations",
			"/api/v1/workspaces/velo/conversations?limit=1e3",
			"/api/v1/workspaces/velo/conversations?limit=%20",
			"/api/v1/workspaces/velo/conversations?limit=1&limit=abc",
			"/api/v1/workspaces/velo/conversations?status=%00",
			"/api/v1/workspaces/velo/conversations?cursor=" + long,
			"/api/v1/workspaces/velo/conversations?cursor=OTk5OTk5OTk5OTk5OTk5OTk5OTk6MQ",
			"/api/v1/workspaces/velo/conversations?cursor=LTE6LTE", // "-1:-1"
			"/api/v1/workspaces/velo/conversations?cursor=%FF%FE",
			"/api/v1/conversations/%20",
			"/api/v1/conversations/1.5",
			"/api/v1/conversations/0x10",
			"/api/v1/conversations/" + long,
			"/api/v1/conversations/9223372036854775807",
			"/api/v1/%FF",
		} {
			res := f.do(t, http.MethodGet, path)
			if res.status >= 500 || !json.Valid(res.body) {
				t.Errorf("GET %.80s: status %d, body %.200s", path, res.status, res.body)
			}
		}
		if strings.Contains(f.logs.String(), "level=ERROR") {
			t.Errorf("hostile input logged errors:\n%s", f.logs)
		}
	})
}
