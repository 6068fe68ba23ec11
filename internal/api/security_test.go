package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"palabre/internal/api"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// withCookie sends a cookie named name.
func withCookie(name, value string) opt {
	return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: name, Value: value}) }
}

// checkRetryAfter checks that a 429 says how long to wait: a positive
// number of seconds no longer than the throttling window.
func checkRetryAfter(t *testing.T, what string, res response) {
	t.Helper()
	if res.status != http.StatusTooManyRequests {
		t.Errorf("%s: status %d, want 429; body %s", what, res.status, res.body)
		return
	}
	if s, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || s <= 0 || s > 900 {
		t.Errorf("%s: Retry-After %q, want 1 to 900 seconds", what, res.header.Get("Retry-After"))
	}
	if cookie(res, api.SessionCookie) != nil {
		t.Errorf("%s: a throttled sign-in set a session cookie", what)
	}
}

// deviceOf signs who in from ip and returns the device cookie set.
func (w *world) deviceOf(t *testing.T, ip, who string, opts ...opt) *http.Cookie {
	t.Helper()
	res := w.signIn(t, ip, who, w.people[who].password, opts...)
	if res.status != http.StatusOK {
		t.Fatalf("sign in as %s from %s: status %d, body %s", who, ip, res.status, res.body)
	}
	c := cookie(res, api.DeviceCookie)
	if c == nil {
		t.Fatalf("sign in as %s set no %s cookie", who, api.DeviceCookie)
	}
	return c
}

// TestLoginBruteForce is the brute-force suite of the sign-in: an attacker
// guessing at an account from many addresses locks it for every device it
// has not been signed in from (429 with Retry-After), while its owner, who
// shows the device cookie of an earlier sign-in, still signs in from
// anywhere. A forged device cookie, another login's, or the owner's stolen
// one does not lift the limit for long: each valid cookie has a limit of
// its own, and the per-address limit holds whatever cookie is shown.
//
// The short mode runs all of it; PALABRE_SECURITY_LONG=1 adds 50 more
// guesses from 50 more addresses, each refused.
func TestLoginBruteForce(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		ip := func(n int) string { return fmt.Sprintf("127.0.1.%d", n) }
		owner := w.people[model.RoleOwner]

		// The owner signed in earlier from two browsers, the manager from one.
		first := w.deviceOf(t, ip(1), model.RoleOwner)
		if !first.HttpOnly || first.SameSite != http.SameSiteLaxMode || first.Path != "/" ||
			time.Until(first.Expires) < 300*24*time.Hour || len(first.Value) < 80 {
			t.Errorf("device cookie %+v: want HttpOnly, SameSite=Lax, Path=/, a year, a nonce and a MAC", first)
		}
		second := w.deviceOf(t, ip(2), model.RoleOwner)
		managers := w.deviceOf(t, ip(3), model.RoleManager)
		if first.Value == second.Value {
			t.Error("two sign-ins got the same device cookie")
		}

		// An attacker fails 10 times from 10 addresses.
		for i := range 10 {
			res := w.signIn(t, ip(100+i), "owner", fmt.Sprintf("guess %d", i))
			checkProblem(t, res, http.StatusUnauthorized)
		}
		// Unknown devices are refused, even with the right password.
		checkRetryAfter(t, "the right password from a new address, no device cookie", w.signIn(t, ip(120), "owner", owner.password))
		for name, value := range map[string]string{
			"forged MAC":          first.Value[:len(first.Value)-2] + flip(first.Value[len(first.Value)-2:]),
			"forged nonce":        flip(first.Value[:2]) + first.Value[2:],
			"made up":             strings.Repeat("A", 43) + "." + strings.Repeat("B", 43),
			"another login's":     managers.Value,
			"truncated":           first.Value[:43],
			"the session's value": "x." + first.Value,
		} {
			checkRetryAfter(t, "the right password, device cookie: "+name,
				w.signIn(t, ip(121), "owner", owner.password, withCookie(api.DeviceCookie, value)))
		}
		// The long mode keeps guessing, from 50 more addresses: every guess
		// is refused before its password is checked.
		if os.Getenv("PALABRE_SECURITY_LONG") != "" {
			for i := range 50 {
				checkRetryAfter(t, fmt.Sprintf("guess %d past the limit", 11+i), w.signIn(t, fmt.Sprintf("127.0.4.%d", i), "owner", fmt.Sprintf("guess %d", 11+i)))
			}
		}
		// The owner, with either device cookie, signs in from a new address.
		res := w.signIn(t, ip(122), "owner", owner.password, withCookie(api.DeviceCookie, first.Value))
		if res.status != http.StatusOK {
			t.Fatalf("the owner with their device cookie while under attack: status %d, body %s", res.status, res.body)
		}
		if c := cookie(res, api.DeviceCookie); c == nil || c.Value == first.Value {
			t.Errorf("a sign-in with a device cookie renews it: got %v", c)
		}
		// The owner's success did not unlock the account for the attacker.
		checkRetryAfter(t, "the right password without a device cookie after the owner's sign-in",
			w.signIn(t, ip(123), "owner", owner.password))

		// A stolen device cookie gives its thief 10 guesses, no more —
		// and leaves the owner's other browser alone.
		for i := range 10 {
			res := w.signIn(t, ip(130+i), "owner", fmt.Sprintf("stolen %d", i), withCookie(api.DeviceCookie, first.Value))
			checkProblem(t, res, http.StatusUnauthorized)
		}
		checkRetryAfter(t, "the right password with a device cookie that failed 10 times",
			w.signIn(t, ip(140), "owner", owner.password, withCookie(api.DeviceCookie, first.Value)))
		if res := w.signIn(t, ip(141), "owner", owner.password, withCookie(api.DeviceCookie, second.Value)); res.status != http.StatusOK {
			t.Errorf("the owner's other device cookie: status %d, body %s", res.status, res.body)
		}

		// The per-address limit holds, device cookie or not.
		for i := range 10 {
			checkProblem(t, w.signIn(t, ip(150), fmt.Sprintf("nobody%d", i), "guess"), http.StatusUnauthorized)
		}
		checkRetryAfter(t, "a valid device cookie from an address that failed 10 times",
			w.signIn(t, ip(150), "manager", w.people[model.RoleManager].password, withCookie(api.DeviceCookie, managers.Value)))
		if res := w.signIn(t, ip(151), "manager", w.people[model.RoleManager].password, withCookie(api.DeviceCookie, managers.Value)); res.status != http.StatusOK {
			t.Errorf("the manager from another address: status %d, body %s", res.status, res.body)
		}
	})
}

// flip changes every letter of s, keeping it base64.
func flip(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
	}
	return string(b)
}

// TestPasswordChangeEndsSessions: changing one's password ends every
// session of one's own — the one that changed it included, which is
// replaced by a new session set on the answer — leaves other users'
// sessions alone, and lets the new password (not the old one) sign in.
// A wrong current password, a weak new one, a missing CSRF token or an
// API token change nothing.
func TestPasswordChangeEndsSessions(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		owner := w.people[model.RoleOwner]
		changer, csrf := w.session(t, model.RoleOwner)
		elsewhere, _ := w.session(t, model.RoleOwner)
		someoneElse, _ := w.session(t, model.RoleCM)
		const path = "/api/v1/me/password"
		body := func(current, next string) string {
			return fmt.Sprintf(`{"current_password":%q,"new_password":%q}`, current, next)
		}
		const newPassword = "a brand new pass phrase"

		for _, try := range []struct {
			name   string
			body   string
			opts   []opt
			status int
		}{
			{"wrong current password", body("not it", newPassword), []opt{withSession(changer), withCSRF(csrf)}, 403},
			{"weak new password", body(owner.password, "short"), []opt{withSession(changer), withCSRF(csrf)}, 422},
			{"no CSRF token", body(owner.password, newPassword), []opt{withSession(changer)}, 403},
			{"foreign Origin", body(owner.password, newPassword), []opt{withSession(changer), withCSRF(csrf), withHeader("Origin", "https://evil.example")}, 403},
			{"an API token", body(owner.password, newPassword), []opt{withToken(owner.token)}, 403},
			{"unknown field", `{"current_password":"x","new_password":"y","admin":true}`, []opt{withSession(changer), withCSRF(csrf)}, 400},
		} {
			res := w.call(t, "PUT", path, try.body, try.opts...)
			if res.status != try.status {
				t.Errorf("%s: PUT %s: status %d, want %d; body %s", try.name, path, res.status, try.status, res.body)
			}
			checkProblem(t, res, try.status)
			if cookie(res, api.SessionCookie) != nil {
				t.Errorf("%s: a refused change set a session cookie", try.name)
			}
		}
		if res := w.signIn(t, "127.0.2.1", "owner", owner.password); res.status != http.StatusOK {
			t.Fatalf("the refused changes changed the password: sign-in status %d", res.status)
		}

		res := w.call(t, "PUT", path, body(owner.password, newPassword), withSession(changer), withCSRF(csrf))
		if res.status != http.StatusOK {
			t.Fatalf("change: status %d, body %s", res.status, res.body)
		}
		fresh := cookie(res, api.SessionCookie)
		if fresh == nil || fresh.Value == "" || fresh.Value == changer || !fresh.HttpOnly {
			t.Fatalf("the change answered session cookie %v, want a new HttpOnly one", fresh)
		}
		me := checkMe(t, w, model.RoleOwner, res.body)
		if me.CSRFToken == "" || me.CSRFToken == csrf {
			t.Errorf("the change answered CSRF token %q, want the new session's", me.CSRFToken)
		}
		for name, s := range map[string]string{"the changing session": changer, "another browser's": elsewhere} {
			checkUnauthenticated(t, w.call(t, "GET", "/api/v1/me", "", withSession(s)))
			if t.Failed() {
				t.Fatalf("%s session lives on after the password change", name)
			}
		}
		if res := w.call(t, "GET", "/api/v1/me", "", withSession(fresh.Value)); res.status != http.StatusOK {
			t.Errorf("the new session: status %d", res.status)
		}
		if res := w.call(t, "GET", "/api/v1/me", "", withSession(someoneElse)); res.status != http.StatusOK {
			t.Errorf("another user's session after the change: status %d", res.status)
		}
		if res := w.call(t, "GET", "/api/v1/me", "", withToken(owner.token)); res.status != http.StatusOK {
			t.Errorf("the owner's API token after the change: status %d (tokens are revoked apart)", res.status)
		}
		checkProblem(t, w.signIn(t, "127.0.2.2", "owner", owner.password), http.StatusUnauthorized)
		if res := w.signIn(t, "127.0.2.3", "owner", newPassword); res.status != http.StatusOK {
			t.Errorf("sign-in with the new password: status %d", res.status)
		}
	})
}

// TestLogoutEndsTheSessionForGood: after a logout, the old cookie opens
// nothing, reads included, and its CSRF token with it.
func TestLogoutEndsTheSessionForGood(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		secret, csrf := w.session(t, model.RoleOwner)
		if res := w.call(t, "POST", "/api/v1/logout", "", withSession(secret), withCSRF(csrf)); res.status != http.StatusNoContent {
			t.Fatalf("logout: status %d", res.status)
		}
		for _, req := range []struct{ method, path, body string }{
			{"GET", "/api/v1/workspaces", ""},
			{"GET", "/api/v1/workspaces/velo/conversations", ""},
			{"PUT", "/api/v1/workspaces/velo/topics/Livraison", `{"terms":["colis"]}`},
			{"DELETE", "/api/v1/sessions", ""},
		} {
			res := w.call(t, req.method, req.path, req.body, withSession(secret), withCSRF(csrf))
			if res.status != http.StatusUnauthorized {
				t.Errorf("%s %s with a logged-out session: status %d, want 401; body %s", req.method, req.path, res.status, res.body)
			}
		}
	})
}

// TestSessionCrossSite: a request that changes something under a session
// cookie is refused (403) when the browser says it comes from another
// site — by Origin, or by Referer when there is no Origin — even with
// the right CSRF token; the same request from this site, or from a client
// that sends neither header, passes. Sign-ins posted by another site are
// refused too. API tokens are not concerned: no browser sends them on its
// own.
func TestSessionCrossSite(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		secret, csrf := w.session(t, model.RoleOwner)
		self := w.base // http://127.0.0.1:PORT
		host := strings.TrimPrefix(self, "http://")
		const topic = "/api/v1/workspaces/velo/topics/Livraison"
		refused := map[string][]opt{
			"foreign Origin":              {withHeader("Origin", "https://evil.example")},
			"Origin on another port":      {withHeader("Origin", "http://127.0.0.1:1")},
			"Origin null":                 {withHeader("Origin", "null")},
			"Origin without host":         {withHeader("Origin", "file://")},
			"foreign Referer, no Origin":  {withHeader("Referer", "https://evil.example/page?x="+host)},
			"Referer of a look-alike":     {withHeader("Referer", "http://"+host+".evil.example/")},
			"own Referer, foreign Origin": {withHeader("Origin", "https://evil.example"), withHeader("Referer", self+"/inbox")},
		}
		for name, extra := range refused {
			for _, req := range []struct{ method, path, body string }{
				{"PUT", topic, `{"terms":["colis"]}`},
				{"DELETE", "/api/v1/sessions", ""},
				{"POST", "/api/v1/logout", ""},
			} {
				opts := append([]opt{withSession(secret), withCSRF(csrf)}, extra...)
				res := w.call(t, req.method, req.path, req.body, opts...)
				if res.status != http.StatusForbidden || !strings.Contains(string(res.body), "cross-site") {
					t.Errorf("%s: %s %s with the right CSRF token: status %d, body %s; want 403 cross-site",
						name, req.method, req.path, res.status, res.body)
				}
			}
			res := w.signIn(t, "", "owner", w.people[model.RoleOwner].password, extra...)
			if res.status != http.StatusForbidden || cookie(res, api.SessionCookie) != nil {
				t.Errorf("%s: sign-in: status %d, body %s; want 403 and no session", name, res.status, res.body)
			}
		}
		if got := topicNames(t, st, w.a.ID); len(got) != 0 {
			t.Errorf("topics after cross-site writes: %v", got)
		}
		if res := w.call(t, "GET", "/api/v1/me", "", withSession(secret)); res.status != http.StatusOK {
			t.Fatalf("the session after refused cross-site logouts: status %d", res.status)
		}
		// Reads are not concerned; this site's own requests pass.
		if res := w.call(t, "GET", "/api/v1/workspaces", "", withSession(secret), withHeader("Origin", "https://evil.example")); res.status != http.StatusOK {
			t.Errorf("a cross-site read: status %d (reads change nothing)", res.status)
		}
		for name, extra := range map[string][]opt{
			"own Origin":                   {withHeader("Origin", self)},
			"own Referer":                  {withHeader("Referer", self+"/conversations/1")},
			"neither":                      nil,
			"Origin of the proxy's host":   {withHeader("Origin", "https://palabre.example"), withHeader("X-Forwarded-Host", "palabre.example")},
			"own Origin, default port too": {withHeader("Origin", "https://palabre.example"), withHeader("X-Forwarded-Host", "palabre.example:443")},
		} {
			opts := append([]opt{withSession(secret), withCSRF(csrf)}, extra...)
			if res := w.call(t, "PUT", topic, `{"terms":["colis"]}`, opts...); res.status != http.StatusOK && res.status != http.StatusCreated {
				t.Errorf("%s: PUT %s: status %d, body %s", name, topic, res.status, res.body)
			}
		}
		if res := w.signIn(t, "", "owner", w.people[model.RoleOwner].password, withHeader("Origin", self)); res.status != http.StatusOK {
			t.Errorf("a sign-in from this site: status %d, body %s", res.status, res.body)
		}
		// A token is not a browser's ambient credential: Origin is not asked.
		if res := w.call(t, "PUT", topic, `{"terms":["colis"]}`, withToken(w.people[model.RoleOwner].token), withHeader("Origin", "https://evil.example")); res.status != http.StatusOK {
			t.Errorf("PUT with an API token and a foreign Origin: status %d, body %s", res.status, res.body)
		}
	})
}

// TestEveryUnsafeRouteRefusesCrossSite sends, under a session and with
// its right CSRF token, a request to every route openapi.json documents
// with a method that changes something (but the inbound hooks, which
// other sites call by design), from another site: each is refused with
// 403 before it acts. The short mode sends each one foreign Origin;
// PALABRE_SECURITY_LONG=1 sends every kind of foreign origin to each.
func TestEveryUnsafeRouteRefusesCrossSite(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		secret, csrf := w.session(t, model.RoleOwner)
		res := w.call(t, "GET", "/api/v1/openapi.json", "", withSession(secret))
		var doc struct {
			Paths map[string]map[string]json.RawMessage `json:"paths"`
		}
		if err := json.Unmarshal(res.body, &doc); err != nil {
			t.Fatalf("openapi.json: %v", err)
		}
		foreign := []map[string]string{{"Origin": "https://evil.example"}}
		if os.Getenv("PALABRE_SECURITY_LONG") != "" {
			foreign = append(foreign, map[string]string{"Origin": "null"}, map[string]string{"Referer": "https://evil.example/x"},
				map[string]string{"Origin": "http://127.0.0.1:1"}, map[string]string{"Origin": "https://evil.example", "Referer": w.base + "/"})
		}
		fill := strings.NewReplacer("{slug}", "velo", "{id}", "1", "{cid}", "1", "{login}", "owner", "{name}", "x",
			"{file}", "x", "{channel}", "x")
		paths := slices.Sorted(func(yield func(string) bool) {
			for p := range doc.Paths {
				if !yield(p) {
					return
				}
			}
		})
		n := 0
		for _, path := range paths {
			if strings.HasPrefix(path, "/api/v1/hooks/") {
				continue
			}
			for method := range doc.Paths[path] {
				method = strings.ToUpper(method)
				if method == "GET" || method == "HEAD" || method == "OPTIONS" {
					continue
				}
				for _, header := range foreign {
					opts := []opt{withSession(secret), withCSRF(csrf)}
					for k, v := range header {
						opts = append(opts, withHeader(k, v))
					}
					res := w.call(t, method, fill.Replace(path), "{}", opts...)
					if res.status != http.StatusForbidden || !strings.Contains(string(res.body), "cross-site") {
						t.Errorf("%s %s with %v: status %d, body %s; want 403 cross-site", method, path, header, res.status, res.body)
					}
					n++
				}
			}
		}
		if n < 30 {
			t.Fatalf("only %d requests sent: openapi.json lists fewer unsafe routes than palabre has", n)
		}
		if res := w.call(t, "GET", "/api/v1/me", "", withSession(secret)); res.status != http.StatusOK {
			t.Errorf("the session after the refused requests: status %d", res.status)
		}
	})
}

// TestRetryAfterSeconds: the header says the time left, rounded up, at
// least a second; an error that is not a throttling gives the window.
func TestRetryAfterSeconds(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err  error
		want string
	}{
		{&api.ThrottledError{RetryAfter: 1500 * time.Millisecond}, "2"},
		{&api.ThrottledError{RetryAfter: 14*time.Minute + 59*time.Second}, "899"},
		{&api.ThrottledError{RetryAfter: time.Millisecond}, "1"},
		{&api.ThrottledError{}, "1"},
		{fmt.Errorf("sign in: %w", &api.ThrottledError{RetryAfter: time.Minute}), "60"},
		{api.ErrThrottled, "900"},
	} {
		if got := api.RetryAfterSeconds(c.err); got != c.want {
			t.Errorf("RetryAfterSeconds(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
