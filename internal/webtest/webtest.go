// Package webtest runs a real palabre server for tests of the web console
// — a real listener on 127.0.0.1 over a real store — and signs users in
// through the real sign-in form, so that tests see what a browser sees.
package webtest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"palabre/internal/analysis"
	"palabre/internal/auth"
	"palabre/internal/enrich"
	"palabre/internal/model"
	"palabre/internal/server"
	"palabre/internal/store"
	"palabre/internal/team"
)

// Start serves st on a free port of 127.0.0.1 until the test ends, with
// everything palabre serve runs besides (the live event stream, presence,
// routing and the other jobs, the live sources), and returns the server's
// base URL.
func Start(t testing.TB, st *store.Store) string {
	t.Helper()
	m, err := enrich.Default()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	an := analysis.NewRegistry(st, m)
	// Live sources in tests are servers on 127.0.0.1, allowed explicitly.
	tm := team.New(st, team.Config{Analysis: an, SourcesAllowPrivate: true}, logger)
	live := tm.Live()
	live.Heartbeat = time.Second
	srv := server.New(server.Config{Addr: "127.0.0.1:0", Live: live, Sources: tm.Sources()}, st, an, logger)
	ln, err := srv.Listen()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		tm.Run(ctx)
	}()
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
		<-ran
	})
	return srv.URL()
}

// User creates a user, with a password hashed cheaply (tests check the
// console, not argon2's cost), and returns it with its password.
func User(t testing.TB, st *store.Store, login string, isAdmin bool) (model.User, string) {
	t.Helper()
	password := "pass phrase of " + login
	hash, err := auth.HashPassword(password, auth.Params{Memory: 64, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(context.Background(), model.User{Login: login, Name: strings.ToUpper(login[:1]) + login[1:], IsAdmin: isAdmin}, hash, "test")
	if err != nil {
		t.Fatal(err)
	}
	return u, password
}

// Member creates a user with a role in a workspace and returns its password.
func Member(t testing.TB, st *store.Store, login string, ws model.Workspace, role string) string {
	t.Helper()
	u, password := User(t, st, login, false)
	if err := st.SetMembership(context.Background(), u.ID, ws.ID, role, "test"); err != nil {
		t.Fatal(err)
	}
	return password
}

// Session is a signed-in browser without JavaScript: a cookie jar, the
// session's CSRF token, and no following of redirects.
type Session struct {
	t      testing.TB
	Base   string
	Client *http.Client
	CSRF   string
}

// Page is an answer of the server.
type Page struct {
	Status int
	Header http.Header
	Body   string
}

// Location is where a redirect goes.
func (p Page) Location() string { return p.Header.Get("Location") }

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// SignIn signs login in through the sign-in form and returns the session.
func SignIn(t testing.TB, base, login, password string) *Session {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &Session{t: t, Base: base, Client: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	form := s.Get("/login")
	m := csrfInput.FindStringSubmatch(form.Body)
	if m == nil {
		t.Fatalf("sign-in page without a CSRF field: %s", form.Body)
	}
	res := s.Post("/login", url.Values{"csrf": {m[1]}, "login": {login}, "password": {password}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("sign in as %s: status %d: %s", login, res.Status, res.Body)
	}
	inbox := s.Get("/inbox")
	if m = csrfInput.FindStringSubmatch(inbox.Body); m == nil {
		t.Fatalf("inbox of %s without a CSRF field (status %d): %s", login, inbox.Status, inbox.Body)
	}
	s.CSRF = m[1]
	return s
}

// Get fetches a path.
func (s *Session) Get(path string) Page {
	s.t.Helper()
	return s.Do(http.MethodGet, path, nil, nil)
}

// Post sends a form as it is (add "csrf" yourself, or use Submit).
func (s *Session) Post(path string, form url.Values) Page {
	s.t.Helper()
	return s.Do(http.MethodPost, path, strings.NewReader(form.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

// Submit sends a form with the session's CSRF token, as the page's forms do.
func (s *Session) Submit(path string, form url.Values) Page {
	s.t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("csrf", s.CSRF)
	return s.Post(path, f)
}

// Do sends any request.
func (s *Session) Do(method, path string, body io.Reader, header map[string]string) Page {
	s.t.Helper()
	req, err := http.NewRequest(method, s.Base+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := s.Client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil && !errors.Is(err, io.EOF) {
		s.t.Fatalf("%s %s: read: %v", method, path, err)
	}
	return Page{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

// Cookie is the value of a cookie the session holds for the server, or "".
func (s *Session) Cookie(name string) string {
	u, _ := url.Parse(s.Base)
	for _, c := range s.Client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}
