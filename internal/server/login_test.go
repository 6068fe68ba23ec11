package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"palabre/internal/api"
	"palabre/internal/auth"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// loginCSRFCookie is the cookie of the sign-in form's CSRF token.
const loginCSRFCookie = "palabre_login_csrf"

// signInUser creates a user with a password hashed cheaply (these tests
// check sign-in, not argon2's cost) and returns the password.
func signInUser(t *testing.T, st *store.Store, login string, isAdmin bool) (model.User, string) {
	t.Helper()
	password := "pass phrase of " + login
	hash, err := auth.HashPassword(password, auth.Params{Memory: 64, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(context.Background(), model.User{Login: login, IsAdmin: isAdmin}, hash, "test")
	if err != nil {
		t.Fatal(err)
	}
	return u, password
}

// exchange sends a request with the given form (a POST when not nil),
// cookies and headers, and does not follow redirects.
func exchange(t *testing.T, method, url string, form url.Values, cookies []*http.Cookie, header map[string]string) response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read: %v", method, url, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

// setCookie returns the cookie named name that res sets, or nil.
func setCookie(res response, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: res.header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

var csrfField = regexp.MustCompile(`<input type="hidden" name="csrf" value="([^"]+)">`)

// signInPage GETs the sign-in page and returns it, its CSRF cookie and
// the token its form holds.
func signInPage(t *testing.T, base string) (response, *http.Cookie, string) {
	t.Helper()
	res := exchange(t, "GET", base+"/login", nil, nil, nil)
	if res.status != http.StatusOK {
		t.Fatalf("GET /login: status %d, body %s", res.status, res.body)
	}
	c := setCookie(res, loginCSRFCookie)
	if c == nil {
		t.Fatalf("GET /login set no %s cookie", loginCSRFCookie)
	}
	m := csrfField.FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("no CSRF field in the form:\n%s", res.body)
	}
	return res, c, m[1]
}

// postSignIn posts the sign-in form with a CSRF cookie (none when nil)
// and a CSRF field.
func postSignIn(t *testing.T, base, login, password string, csrfCookie *http.Cookie, csrf string, header map[string]string) response {
	t.Helper()
	var cookies []*http.Cookie
	if csrfCookie != nil {
		cookies = append(cookies, &http.Cookie{Name: csrfCookie.Name, Value: csrfCookie.Value})
	}
	form := url.Values{"login": {login}, "password": {password}, "csrf": {csrf}}
	return exchange(t, "POST", base+"/login", form, cookies, header)
}

// checkHTML checks that res is an HTML page of status with the headers
// every page carries.
func checkHTML(t *testing.T, res response, status int) {
	t.Helper()
	if res.status != status {
		t.Fatalf("status %d, want %d; body %s", res.status, status, res.body)
	}
	if ct := res.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := res.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	checkSecurityHeaders(t, res)
}

// addWorkspace stores a workspace with one conversation whose subject is
// "subject of " and the slug.
func addWorkspace(t *testing.T, st *store.Store, slug string) model.Workspace {
	t.Helper()
	ctx := context.Background()
	ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: slug, Name: strings.ToUpper(slug)})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := st.EnsureChannel(ctx, ws.ID, "forum", "wordpress")
	if err != nil {
		t.Fatal(err)
	}
	root := store.IngestItem{
		Message: model.Message{ExternalID: "r", ConversationExternalID: "r", Kind: model.KindPost,
			Status: model.StatusApproved, Body: "hello", CreatedAt: time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)},
		Root: "r", Subject: "subject of " + slug,
	}
	if _, err := st.NewImporter(ws, ch).Write(ctx, []store.IngestItem{root}); err != nil {
		t.Fatal(err)
	}
	return ws
}

func TestHomeRedirectsToSignIn(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		seed(t, st)
		s, _ := newServer(t, Config{}, st)
		r := start(t, s)
		for name, session := range map[string][]string{
			"no session":      nil,
			"unknown session": {"bm90IGEgc2Vzc2lvbiBhdCBhbGwgYnV0IGxvbmcgZW5vdWdo"},
			"empty session":   {""},
		} {
			res := do(t, "GET", r.url+"/", session...)
			if res.status != http.StatusSeeOther || res.header.Get("Location") != "/login" {
				t.Errorf("%s: status %d, Location %q; want 303 to /login", name, res.status, res.header.Get("Location"))
			}
			if strings.Contains(res.body, "velo") {
				t.Errorf("%s: the redirect shows a workspace: %s", name, res.body)
			}
			checkSecurityHeaders(t, res)
		}
	})
}

func TestSignInPage(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		s, _ := newServer(t, Config{}, st)
		r := start(t, s)
		res, c, token := signInPage(t, r.url)
		checkHTML(t, res, http.StatusOK)
		for _, want := range []string{
			`<form method="post" action="/login"`,
			`name="login"`,
			`name="password" type="password"`,
			`<button type="submit"`,
		} {
			if !strings.Contains(res.body, want) {
				t.Errorf("the page lacks %s:\n%s", want, res.body)
			}
		}
		if c.Value != token || len(token) < 43 {
			t.Errorf("CSRF cookie %q, form token %q: want the same long secret", c.Value, token)
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/login" || c.Secure {
			t.Errorf("CSRF cookie %s: want HttpOnly, SameSite=Strict, Path=/login, not Secure over HTTP", c)
		}
		if _, _, again := signInPage(t, r.url); again == token {
			t.Error("two visits got the same CSRF token")
		}
		if strings.Contains(res.body, `role="alert"`) {
			t.Errorf("a fresh page shows an error:\n%s", res.body)
		}
	})
}

// TestNoUserHint checks that the sign-in page tells how to create the
// first administrator only while there is no user.
func TestNoUserHint(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		s, _ := newServer(t, Config{}, st)
		r := start(t, s)
		const hint = "No user yet"
		res, c, token := signInPage(t, r.url)
		if !strings.Contains(res.body, hint) || !strings.Contains(res.body, "palabre user add") {
			t.Errorf("no user, no hint:\n%s", res.body)
		}
		// A sign-in attempt while there is none still shows it.
		res = postSignIn(t, r.url, "lea", "pass phrase of lea", c, token, nil)
		checkHTML(t, res, http.StatusUnauthorized)
		if !strings.Contains(res.body, hint) {
			t.Errorf("failed sign-in without users lacks the hint:\n%s", res.body)
		}

		_, password := signInUser(t, st, "lea", false)
		res, c, token = signInPage(t, r.url)
		if strings.Contains(res.body, hint) {
			t.Errorf("the hint shows with a user:\n%s", res.body)
		}
		res = postSignIn(t, r.url, "lea", password+"x", c, token, nil)
		checkHTML(t, res, http.StatusUnauthorized)
		if strings.Contains(res.body, hint) {
			t.Errorf("the hint shows on a failed sign-in with a user:\n%s", res.body)
		}
	})
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		mine := addWorkspace(t, st, "velo")
		addWorkspace(t, st, "banque")
		lea, password := signInUser(t, st, "lea", false)
		if err := st.SetMembership(ctx, lea.ID, mine.ID, model.RoleCM, "test"); err != nil {
			t.Fatal(err)
		}
		s, _ := newServer(t, Config{}, st)
		r := start(t, s)

		_, c, token := signInPage(t, r.url)
		res := postSignIn(t, r.url, "Lea", password, c, token, nil)
		if res.status != http.StatusSeeOther || res.header.Get("Location") != "/" {
			t.Fatalf("sign-in: status %d, Location %q; want 303 to /; body %s", res.status, res.header.Get("Location"), res.body)
		}
		checkSecurityHeaders(t, res)
		session := setCookie(res, api.SessionCookie)
		if session == nil || session.Value == "" {
			t.Fatalf("no session cookie in %v", res.header["Set-Cookie"])
		}
		if !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" || session.Secure {
			t.Errorf("session cookie %s: want HttpOnly, SameSite=Lax, Path=/, not Secure over HTTP", session)
		}
		if gone := setCookie(res, loginCSRFCookie); gone == nil || gone.MaxAge >= 0 {
			t.Errorf("the CSRF cookie is not cleared: %v", gone)
		}

		if home := do(t, "GET", r.url+"/", session.Value); home.status != http.StatusSeeOther || home.header.Get("Location") != "/inbox" {
			t.Errorf("home with a session: %d to %q, want 303 to /inbox", home.status, home.header.Get("Location"))
		}
		inbox := do(t, "GET", r.url+"/inbox?view=all", session.Value)
		checkHTML(t, inbox, http.StatusOK)
		for _, want := range []string{`href="/conversations/`, "subject of velo"} {
			if !strings.Contains(inbox.body, want) {
				t.Errorf("the inbox lacks %s:\n%s", want, inbox.body)
			}
		}
		for _, not := range []string{"banque", "BANQUE"} {
			if strings.Contains(inbox.body, not) {
				t.Errorf("the inbox shows %s, where lea has no role:\n%s", not, inbox.body)
			}
		}
		// The API takes the same session.
		ws := do(t, "GET", r.url+"/api/v1/workspaces", session.Value)
		if ws.status != 200 || !strings.Contains(ws.body, `"slug":"velo"`) || strings.Contains(ws.body, "banque") {
			t.Errorf("the API with the page's session: %d %s", ws.status, ws.body)
		}
	})
}

// TestSignInBehindTLSProxy checks that the cookies are Secure when a
// proxy says the request came over HTTPS, as the API's login does.
func TestSignInBehindTLSProxy(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		_, password := signInUser(t, st, "lea", false)
		s, _ := newServer(t, Config{}, st)
		r := start(t, s)
		https := map[string]string{"X-Forwarded-Proto": "https"}
		page := exchange(t, "GET", r.url+"/login", nil, nil, https)
		if c := setCookie(page, loginCSRFCookie); c == nil || !c.Secure {
			t.Errorf("CSRF cookie over HTTPS %v, want Secure", c)
		}
		_, c, token := signInPage(t, r.url)
		res := postSignIn(t, r.url, "lea", password, c, token, https)
		if session := setCookie(res, api.SessionCookie); res.status != http.StatusSeeOther || session == nil || !session.Secure {
			t.Errorf("sign-in over HTTPS: status %d, session cookie %v; want Secure", res.status, session)
		}
	})
}

// TestHomeHidesExpertWorkspaces checks that the inbox lists what the API
// lets a user see: an expert sees no conversation of the workspace.
func TestHomeHidesExpertWorkspaces(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ws := addWorkspace(t, st, "velo")
		expert, password := signInUser(t, st, "expert", false)
		if err := st.SetMembership(context.Background(), expert.ID, ws.ID, model.RoleExpert, "test"); err != nil {
			t.Fatal(err)
		}
		s, _ := newServer(t, Config{}, st)
		r := start(t, s)
		_, c, token := signInPage(t, r.url)
		res := postSignIn(t, r.url, "expert", password, c, token, nil)
		session := setCookie(res, api.SessionCookie)
		if res.status != http.StatusSeeOther || session == nil {
			t.Fatalf("sign-in: status %d, body %s", res.status, res.body)
		}
		// The API lists an expert only the conversations they were asked
		// into: none yet.
		if listed := do(t, "GET", r.url+"/api/v1/workspaces/velo/conversations", session.Value); listed.status != http.StatusOK ||
			strings.TrimSpace(listed.body) != `{"conversations":[]}` {
			t.Fatalf("the API lists the expert conversations: %d %s", listed.status, listed.body)
		}
		home := do(t, "GET", r.url+"/inbox?view=all", session.Value)
		checkHTML(t, home, http.StatusOK)
		if strings.Contains(home.body, "subject of velo") || strings.Contains(home.body, `href="/conversations/`) {
			t.Errorf("the inbox shows the expert what the API hides:\n%s", home.body)
		}
	})
}

func TestSignInRefusals(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		_, password := signInUser(t, st, "lea", false)
		s, _ := newServer(t, Config{}, st)
		r := start(t, s)

		t.Run("wrong password", func(t *testing.T) {
			_, c, token := signInPage(t, r.url)
			for _, login := range []string{"lea", "stranger"} {
				res := postSignIn(t, r.url, login, "not the pass phrase", c, token, nil)
				checkHTML(t, res, http.StatusUnauthorized)
				if !strings.Contains(res.body, "Wrong login or password.") || !strings.Contains(res.body, fmt.Sprintf(`value="%s"`, login)) {
					t.Errorf("login %s: the page does not say so, or forgets the login:\n%s", login, res.body)
				}
				if setCookie(res, api.SessionCookie) != nil {
					t.Errorf("login %s: a failed sign-in set a session cookie", login)
				}
				if csrfField.FindStringSubmatch(res.body) == nil || setCookie(res, loginCSRFCookie) == nil {
					t.Errorf("login %s: the page cannot be posted again", login)
				}
			}
		})

		t.Run("CSRF", func(t *testing.T) {
			_, c, token := signInPage(t, r.url)
			_, other, otherToken := signInPage(t, r.url)
			for name, try := range map[string]struct {
				cookie *http.Cookie
				token  string
			}{
				"no cookie":        {nil, token},
				"no field":         {c, ""},
				"neither":          {nil, ""},
				"mismatched":       {c, otherToken},
				"mismatched too":   {other, token},
				"empty cookie":     {&http.Cookie{Name: loginCSRFCookie, Value: ""}, ""},
				"token and more":   {c, token + "x"},
				"token cut short":  {c, token[:len(token)-1]},
				"cookie elsewhere": {&http.Cookie{Name: "csrf", Value: token}, token},
			} {
				res := postSignIn(t, r.url, "lea", password, try.cookie, try.token, nil)
				checkHTML(t, res, http.StatusForbidden)
				if !strings.Contains(res.body, "The form expired") {
					t.Errorf("%s: the page does not say why:\n%s", name, res.body)
				}
				if setCookie(res, api.SessionCookie) != nil {
					t.Errorf("%s: a session cookie was set", name)
				}
			}
			// The right pair still signs in.
			if res := postSignIn(t, r.url, "lea", password, c, token, nil); res.status != http.StatusSeeOther {
				t.Errorf("matching CSRF: status %d", res.status)
			}
		})

		t.Run("escaping", func(t *testing.T) {
			_, c, token := signInPage(t, r.url)
			for _, login := range []string{`<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`} {
				res := postSignIn(t, r.url, login, "not the pass phrase", c, token, nil)
				checkHTML(t, res, http.StatusUnauthorized)
				for _, bad := range []string{"<script", "<img", `"><`} {
					if strings.Contains(res.body, bad) {
						t.Errorf("login %s: the page holds %s unescaped:\n%s", login, bad, res.body)
					}
				}
				if !strings.Contains(res.body, "&lt;") {
					t.Errorf("login %s: not echoed escaped:\n%s", login, res.body)
				}
			}
		})
	})
}

// TestSignInThrottlingShared checks that the page and the API count
// failures together, as one Authenticator serves both.
func TestSignInThrottlingShared(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		_, password := signInUser(t, st, "lea", false)
		s, _ := newServer(t, Config{}, st)
		r := start(t, s)
		_, c, token := signInPage(t, r.url)
		for range 10 {
			res := postSignIn(t, r.url, "lea", "wrong guess", c, token, nil)
			checkHTML(t, res, http.StatusUnauthorized)
		}
		res := postSignIn(t, r.url, "lea", password, c, token, nil)
		checkHTML(t, res, http.StatusTooManyRequests)
		if !strings.Contains(res.body, "Too many failed sign-ins") || setCookie(res, api.SessionCookie) != nil {
			t.Errorf("throttled page: %s", res.body)
		}
		body := fmt.Sprintf(`{"login":"lea","password":%q}`, password)
		req, err := http.NewRequest("POST", r.url+"/api/v1/login", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		apiRes, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		apiRes.Body.Close()
		if apiRes.StatusCode != http.StatusTooManyRequests {
			t.Errorf("the API's login after the page's failures: status %d, want 429", apiRes.StatusCode)
		}
	})
}
