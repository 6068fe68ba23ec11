package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"palabre/internal/analysis"
	"palabre/internal/api"
	"palabre/internal/auth"
	"palabre/internal/enrich"
	"palabre/internal/httpx"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// running is a server serving on a real listener until stopped or the end
// of the test.
type running struct {
	url    string
	cancel context.CancelFunc // cancels Serve's context
	done   chan struct{}      // closed when Serve returns
	err    error              // what Serve returned, once done is closed
}

// start serves s (whose handler a test may have wrapped) on 127.0.0.1.
// Tests that care how Serve ends call stop; otherwise it is stopped when the
// test ends.
func start(t *testing.T, s *Server) *running {
	t.Helper()
	ln, err := s.Listen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{url: s.URL(), cancel: cancel, done: make(chan struct{})}
	go func() {
		r.err = s.Serve(ctx, ln)
		close(r.done)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			t.Error("Serve did not return 30s after its context was cancelled")
		}
	})
	return r
}

// stop cancels Serve's context and returns what Serve returned.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	wait(t, r.done, "Serve to return")
	return r.err
}

// newServer makes a server on a free loopback port that logs into a buffer.
func newServer(t *testing.T, cfg Config, st *store.Store) (*Server, *testutil.SyncBuffer) {
	t.Helper()
	logs := &testutil.SyncBuffer{}
	cfg.Addr = "127.0.0.1:0"
	return New(cfg, st, registry(t, st), slog.New(slog.NewTextHandler(logs, nil))), logs
}

// seed stores a workspace whose name and conversation subject are markup,
// and returns the conversation's id.
func seed(t *testing.T, st *store.Store) int64 {
	t.Helper()
	ctx := context.Background()
	ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "velo", Name: `<script>alert("name")</script>`})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := st.EnsureChannel(ctx, ws.ID, "blog", "wordpress")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	root := store.IngestItem{
		Message: model.Message{ExternalID: "p1", ConversationExternalID: "p1", Kind: model.KindPost,
			Status: model.StatusApproved, Body: "hello", CreatedAt: at},
		Root: "p1", Subject: `<img src=x onerror=alert(1)> & co`,
	}
	if _, err := st.NewImporter(ws, ch).Write(ctx, []store.IngestItem{root}); err != nil {
		t.Fatal(err)
	}
	page, err := st.Conversations(ctx, ws.ID, store.ConversationFilter{})
	if err != nil || len(page.Conversations) != 1 {
		t.Fatalf("seed: %+v %v", page, err)
	}
	return page.Conversations[0].ID
}

type response struct {
	status int
	header http.Header
	body   string
}

// do sends a request, with a session cookie when one is given, and does
// not follow redirects.
func do(t *testing.T, method, url string, session ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range session {
		req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: secret})
	}
	client := &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read: %v", method, url, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(body)}
}

// checkSecurityHeaders checks the headers every response must carry.
func checkSecurityHeaders(t *testing.T, res response) {
	t.Helper()
	for name, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "same-origin",
		"X-Frame-Options":        "DENY",
	} {
		if got := res.header.Get(name); got != want {
			t.Errorf("%s %q, want %q", name, got, want)
		}
	}
	if csp := res.header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "default-src 'self'") {
		t.Errorf("Content-Security-Policy %q, want default-src 'self' first", csp)
	}
}

// checkProblem checks that res is a problem details answer for status.
func checkProblem(t *testing.T, res response, status int) httpx.Problem {
	t.Helper()
	if res.status != status {
		t.Fatalf("status %d, want %d; body %s", res.status, status, res.body)
	}
	if ct := res.header.Get("Content-Type"); ct != httpx.ContentTypeProblem {
		t.Errorf("Content-Type %q, want %q", ct, httpx.ContentTypeProblem)
	}
	var p httpx.Problem
	if err := json.Unmarshal([]byte(res.body), &p); err != nil {
		t.Fatalf("problem body %q: %v", res.body, err)
	}
	if p.Type != "about:blank" || p.Title != http.StatusText(status) || p.Status != status || p.Detail == "" {
		t.Errorf("problem %+v", p)
	}
	return p
}

func TestRoutes(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		conv := seed(t, st)
		s, _ := newServer(t, Config{}, st)
		r := start(t, s)
		session := adminSession(t, st)
		cases := []struct {
			method      string
			path        string
			status      int
			contentType string
			want        []string // body fragments
			not         []string // fragments the body must not hold
			allow       string
		}{
			{"GET", "/healthz", 200, httpx.ContentTypeJSON, []string{`{"status":"ok"}`}, nil, ""},
			{"GET", "/", 303, "text/html; charset=utf-8", nil, nil, ""},
			{"GET", "/inbox?view=all", 200, "text/html; charset=utf-8",
				[]string{fmt.Sprintf(`href="/conversations/%d"`, conv),
					`&lt;img src=x onerror=alert(1)&gt; &amp; co`},
				[]string{"<script>alert", "<img src=x"}, ""},
			{"GET", fmt.Sprintf("/conversations/%d", conv), 200, "text/html; charset=utf-8",
				[]string{`&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;`, `&lt;img src=x onerror=alert(1)&gt; &amp; co`},
				[]string{"<script>alert", "<img src=x"}, ""},
			{"GET", "/api/v1/workspaces", 200, httpx.ContentTypeJSON, []string{`"slug":"velo"`}, nil, ""},
			{"GET", "/api/v1/openapi.json", 200, httpx.ContentTypeJSON, []string{`"openapi"`}, nil, ""},
			{"GET", "/api/v1/nope", 404, httpx.ContentTypeProblem, []string{"/api/v1/nope"}, nil, ""},
			{"GET", "/nope", 404, httpx.ContentTypeProblem, []string{"/nope"}, nil, ""},
			{"GET", "/index.html", 404, httpx.ContentTypeProblem, nil, nil, ""},
			{"POST", "/healthz", 405, httpx.ContentTypeProblem, []string{"POST"}, nil, "GET, HEAD"},
			{"DELETE", "/", 405, httpx.ContentTypeProblem, []string{"DELETE"}, nil, "GET, HEAD"},
			{"PATCH", "/api/v1/workspaces", 405, httpx.ContentTypeProblem, []string{"PATCH"}, nil, "GET, HEAD, POST"},
		}
		for _, c := range cases {
			t.Run(c.method+" "+c.path, func(t *testing.T) {
				res := do(t, c.method, r.url+c.path, session)
				if res.status >= 400 {
					checkProblem(t, res, c.status)
				}
				if res.status != c.status {
					t.Fatalf("status %d, want %d; body %s", res.status, c.status, res.body)
				}
				if ct := res.header.Get("Content-Type"); ct != c.contentType {
					t.Errorf("Content-Type %q, want %q", ct, c.contentType)
				}
				checkSecurityHeaders(t, res)
				for _, w := range c.want {
					if !strings.Contains(res.body, w) {
						t.Errorf("body lacks %s:\n%s", w, res.body)
					}
				}
				for _, n := range c.not {
					if strings.Contains(res.body, n) {
						t.Errorf("body holds %s:\n%s", n, res.body)
					}
				}
				if got := res.header.Get("Allow"); got != c.allow {
					t.Errorf("Allow %q, want %q", got, c.allow)
				}
			})
		}
	})
}

func TestHomeWithoutWorkspaces(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		s, _ := newServer(t, Config{}, st)
		res := do(t, "GET", start(t, s).url+"/inbox", adminSession(t, st))
		if res.status != 200 || !strings.Contains(res.body, "No workspace yet") || strings.Contains(res.body, `class="rows"`) {
			t.Errorf("status %d, body:\n%s", res.status, res.body)
		}
	})
}

func TestHealthzWhenStoreClosed(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		s, logs := newServer(t, Config{}, st)
		r := start(t, s)
		session := adminSession(t, st)
		if res := do(t, "GET", r.url+"/healthz"); res.status != http.StatusOK {
			t.Fatalf("before close: status %d %s", res.status, res.body)
		}
		st.Close()
		res := do(t, "GET", r.url+"/healthz")
		p := checkProblem(t, res, http.StatusServiceUnavailable)
		checkSecurityHeaders(t, res)
		if strings.Contains(p.Detail, "closed") {
			t.Errorf("detail leaks the cause: %q", p.Detail)
		}
		if !strings.Contains(logs.String(), "health check failed") {
			t.Errorf("the log does not say why:\n%s", logs)
		}
		// The console's pages, which need the database too, fail cleanly.
		checkProblem(t, do(t, "GET", r.url+"/", session), http.StatusInternalServerError)
		checkProblem(t, do(t, "GET", r.url+"/inbox", session), http.StatusInternalServerError)
	})
}

func TestRequestLog(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		s, logs := newServer(t, Config{}, st)
		r := start(t, s)
		do(t, "GET", r.url+"/healthz")
		do(t, "GET", r.url+"/api/v1/conversations/abc", adminSession(t, st))
		for _, want := range []string{
			"level=INFO msg=request method=GET path=/healthz status=200 duration=",
			"level=INFO msg=request method=GET path=/api/v1/conversations/abc status=400 duration=",
		} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("the log lacks %q:\n%s", want, logs)
			}
		}
	})
}

// TestPanicRecovery serves panicking handlers through the production
// middlewares.
func TestPanicRecovery(t *testing.T) {
	t.Parallel()
	logs := &testutil.SyncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("kaboom") })
	mux.HandleFunc("GET /late", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("partial answer"))
		http.NewResponseController(w).Flush()
		panic("late kaboom")
	})
	mux.HandleFunc("GET /fine", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("fine")) })
	url := serveHandler(t, logRequests(logger, secureHeaders(recoverPanics(logger, mux))))

	res := do(t, "GET", url+"/boom")
	p := checkProblem(t, res, http.StatusInternalServerError)
	checkSecurityHeaders(t, res)
	if strings.Contains(p.Detail, "kaboom") {
		t.Errorf("detail leaks the panic: %q", p.Detail)
	}
	for _, want := range []string{`msg="handler panicked" method=GET path=/boom panic=kaboom stack=`,
		"level=ERROR msg=request method=GET path=/boom status=500"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, logs)
		}
	}

	// A panic after the answer began cannot become a 500: the connection
	// is cut, so the client sees an error rather than a short body.
	client := &http.Client{Timeout: 10 * time.Second}
	late, err := client.Get(url + "/late")
	if err == nil {
		_, err = io.ReadAll(late.Body)
		late.Body.Close()
	}
	if err == nil {
		t.Error("GET /late: a truncated answer looked complete")
	}

	if res := do(t, "GET", url+"/fine"); res.status != 200 || res.body != "fine" {
		t.Errorf("after panics: %d %q", res.status, res.body)
	}
}

// serveHandler serves h on a real listener until the test ends.
func serveHandler(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ErrorLog: slog.NewLogLogger(slog.DiscardHandler, slog.LevelError)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// slowRoute puts a test-only route in front of s's own handler: GET /slow
// signals started, then answers "done" once release is closed.
func slowRoute(s *Server) (started, release chan struct{}) {
	started, release = make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		w.Write([]byte("done"))
	})
	mux.Handle("/", s.handler)
	s.handler = mux
	return started, release
}

type result struct {
	status int
	body   string
	err    error
}

// getAsync GETs url in the background.
func getAsync(url string) chan result {
	out := make(chan result, 1)
	go func() {
		client := &http.Client{Timeout: 30 * time.Second}
		res, err := client.Get(url)
		if err != nil {
			out <- result{err: err}
			return
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		out <- result{status: res.StatusCode, body: string(body), err: err}
	}()
	return out
}

func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// waitRefused waits until connecting to addr is refused.
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		conn.Close()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s still accepts connections", addr)
}

func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		s, logs := newServer(t, Config{ShutdownTimeout: 20 * time.Second}, st)
		started, release := slowRoute(s)
		r := start(t, s)
		addr := strings.TrimPrefix(r.url, "http://")

		slow := getAsync(r.url + "/slow")
		wait(t, started, "the slow request to start")
		r.cancel()

		waitRefused(t, addr)
		select {
		case <-r.done:
			t.Fatalf("Serve returned (%v) while a request was in flight", r.err)
		default:
		}
		close(release)
		if res := wait(t, slow, "the slow request"); res.err != nil || res.status != 200 || res.body != "done" {
			t.Errorf("in-flight request: %+v, want 200 done", res)
		}
		if err := r.stop(t); err != nil {
			t.Errorf("Serve: %v, want nil after a clean shutdown", err)
		}
		if _, err := http.Get(r.url + "/healthz"); err == nil {
			t.Error("a request after shutdown was answered")
		}
		if !strings.Contains(logs.String(), "shutting down") {
			t.Errorf("the log does not tell of the shutdown:\n%s", logs)
		}
	})
}

func TestShutdownTimeoutCutsRequests(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		s, _ := newServer(t, Config{ShutdownTimeout: 200 * time.Millisecond}, st)
		started, release := slowRoute(s)
		defer close(release)
		r := start(t, s)
		slow := getAsync(r.url + "/slow")
		wait(t, started, "the slow request to start")
		begin := time.Now()
		err := r.stop(t)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Serve: %v, want a deadline error", err)
		}
		if d := time.Since(begin); d > 5*time.Second {
			t.Errorf("shutdown took %s with a 200ms timeout", d)
		}
		if res := wait(t, slow, "the cut request"); res.err == nil {
			t.Errorf("the cut request got an answer: %+v", res)
		}
	})
}

func TestListenAndURL(t *testing.T) {
	t.Parallel()
	st := testutil.NewStore(t, store.EngineSQLite)
	s, _ := newServer(t, Config{}, st)
	if u := s.URL(); u != "" {
		t.Errorf("URL before Listen: %q", u)
	}
	ln, err := s.Listen()
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || strings.HasSuffix(s.URL(), ":0") {
		t.Errorf("URL after Listen on port 0: %q", s.URL())
	}
	if s.URL() != "http://"+ln.Addr().String() {
		t.Errorf("URL %q, listener on %s", s.URL(), ln.Addr())
	}

	// The same address again is taken: the error names it.
	busy := New(Config{Addr: ln.Addr().String()}, st, registry(t, st), slog.New(slog.DiscardHandler))
	if _, err := busy.Listen(); err == nil || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Errorf("Listen on a busy address: %v", err)
	}

	// A server given a listener it did not open learns its address too.
	own, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := newServer(t, Config{}, st)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- other.Serve(ctx, own) }()
	if res := do(t, "GET", "http://"+own.Addr().String()+"/healthz"); res.status != http.StatusOK {
		t.Errorf("Serve on a given listener: status %d", res.status)
	}
	if other.URL() != "http://"+own.Addr().String() {
		t.Errorf("URL %q, listener on %s", other.URL(), own.Addr())
	}
	cancel()
	if err := wait(t, served, "Serve to return"); err != nil {
		t.Errorf("Serve: %v", err)
	}

	// Serving on a closed listener fails at once, context or not.
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	if err := s.Serve(context.Background(), closed); err == nil {
		t.Error("Serve on a closed listener: no error")
	}
}

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	got := Config{WriteTimeout: time.Minute}.withDefaults()
	want := Config{Addr: DefaultAddr, ReadTimeout: 15 * time.Second, WriteTimeout: time.Minute,
		IdleTimeout: 2 * time.Minute, ShutdownTimeout: 10 * time.Second, MaxSectors: 3}
	if got != want {
		t.Errorf("defaults %+v, want %+v", got, want)
	}
}

// adminSession stores an administrator with an open session and returns
// the session's secret, the value of its cookie.
func adminSession(t *testing.T, st *store.Store) string {
	t.Helper()
	ctx := context.Background()
	u, err := st.CreateUser(ctx, model.User{Login: fmt.Sprintf("admin%d", time.Now().UnixNano()), IsAdmin: true}, "x", "test")
	if err != nil {
		t.Fatal(err)
	}
	secret, err := auth.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateSession(ctx, auth.HashSecret(secret), u.ID, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	return secret
}

// registry returns the analysis registry a server over st uses.
func registry(t *testing.T, st *store.Store) *analysis.Registry {
	t.Helper()
	m, err := enrich.Default()
	if err != nil {
		t.Fatal(err)
	}
	return analysis.NewRegistry(st, m)
}
