package server

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"palabre/internal/api"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// exchangeFrom is exchange from a loopback address of its own, such as
// 127.0.0.9, which the server takes for another client.
func exchangeFrom(t *testing.T, ip, method, url string, form url.Values, cookies []*http.Cookie, header map[string]string) response {
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
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s from %s: %v", method, url, ip, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read: %v", method, url, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

// formSignIn posts the sign-in page's form from ip, with a fresh CSRF
// pair and the given extra cookies and headers.
func formSignIn(t *testing.T, base, ip, login, password string, cookies []*http.Cookie, header map[string]string) response {
	t.Helper()
	_, c, token := signInPage(t, base)
	cookies = append([]*http.Cookie{{Name: c.Name, Value: c.Value}}, cookies...)
	form := url.Values{"login": {login}, "password": {password}, "csrf": {token}}
	return exchangeFrom(t, ip, "POST", base+"/login", form, cookies, header)
}

// pageCSRF GETs a console page under a session and returns the CSRF
// token its forms hold.
func pageCSRF(t *testing.T, base, path, session string) string {
	t.Helper()
	res := do(t, "GET", base+path, session)
	if res.status != http.StatusOK {
		t.Fatalf("GET %s: status %d", path, res.status)
	}
	m := csrfField.FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("GET %s: no CSRF field:\n%s", path, res.body)
	}
	return m[1]
}

// signedIn reports whether a session opens the console.
func signedIn(t *testing.T, base, session string) bool {
	t.Helper()
	res := do(t, "GET", base+"/inbox", session)
	return res.status == http.StatusOK
}

// TestSignInPageDeviceCookie is the sign-in page's share of the
// brute-force suite (the API's is in package api): an attacker failing at
// a login from many addresses through the form locks it for unknown
// devices (429, with a Retry-After of the time left), while the owner's
// browser, which holds the device cookie of an earlier sign-in, still
// signs in. A device cookie of another login does not.
func TestSignInPageDeviceCookie(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		_, password := signInUser(t, st, "lea", false)
		_, other := signInUser(t, st, "max", false)
		s, _ := newServer(t, Config{}, st)
		r := start(t, s)

		res := formSignIn(t, r.url, "127.0.3.1", "lea", password, nil, nil)
		device := setCookie(res, api.DeviceCookie)
		if res.status != http.StatusSeeOther || device == nil || !device.HttpOnly || device.SameSite != http.SameSiteLaxMode {
			t.Fatalf("first sign-in: status %d, device cookie %v; want 303 and an HttpOnly, SameSite=Lax device cookie", res.status, device)
		}
		maxDevice := setCookie(formSignIn(t, r.url, "127.0.3.2", "max", other, nil, nil), api.DeviceCookie)
		if maxDevice == nil {
			t.Fatal("max's sign-in set no device cookie")
		}

		for i := range 10 {
			res := formSignIn(t, r.url, fmt.Sprintf("127.0.3.%d", 10+i), "lea", "a wrong guess", nil, nil)
			checkHTML(t, res, http.StatusUnauthorized)
		}
		for name, cookies := range map[string][]*http.Cookie{
			"no device cookie":       nil,
			"max's device cookie":    {{Name: api.DeviceCookie, Value: maxDevice.Value}},
			"a forged device cookie": {{Name: api.DeviceCookie, Value: device.Value[:44] + strings.Repeat("A", 43)}},
		} {
			res := formSignIn(t, r.url, "127.0.3.30", "lea", password, cookies, nil)
			checkHTML(t, res, http.StatusTooManyRequests)
			if sec, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || sec <= 0 || sec > 900 {
				t.Errorf("%s: Retry-After %q, want 1 to 900 seconds", name, res.header.Get("Retry-After"))
			}
			if setCookie(res, api.SessionCookie) != nil || !strings.Contains(res.body, "Too many failed sign-ins") {
				t.Errorf("%s: the throttled page set a session or does not say why:\n%s", name, res.body)
			}
		}
		res = formSignIn(t, r.url, "127.0.3.31", "lea", password, []*http.Cookie{{Name: api.DeviceCookie, Value: device.Value}}, nil)
		if res.status != http.StatusSeeOther || setCookie(res, api.SessionCookie) == nil {
			t.Fatalf("lea's own browser while under attack: status %d, body %s", res.status, res.body)
		}
	})
}

// TestConsoleCrossSite: a console form posted with the right CSRF token
// is still refused (403, nothing done) when the browser says another site
// sent it — by Origin, or by Referer without Origin — and so is the
// sign-in form; the same forms from this site pass.
func TestConsoleCrossSite(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		lea, password := signInUser(t, st, "lea", false)
		s, _ := newServer(t, Config{}, st)
		r := start(t, s)
		res := formSignIn(t, r.url, "127.0.0.1", "lea", password, nil, nil)
		session := setCookie(res, api.SessionCookie)
		if session == nil {
			t.Fatalf("sign-in: status %d, no session", res.status)
		}
		csrf := pageCSRF(t, r.url, "/settings/tokens", session.Value)
		cookies := []*http.Cookie{{Name: api.SessionCookie, Value: session.Value}}
		foreign := map[string]map[string]string{
			"foreign Origin":             {"Origin": "https://evil.example"},
			"Origin null":                {"Origin": "null"},
			"foreign Referer, no Origin": {"Referer": "https://evil.example/form"},
		}
		for name, header := range foreign {
			for _, f := range []struct {
				path string
				form url.Values
			}{
				{"/language", url.Values{"csrf": {csrf}, "language": {"fr"}}},
				{"/settings/tokens", url.Values{"csrf": {csrf}, "name": {"cross-site"}, "access": {"write"}}},
				{"/settings/password", url.Values{"csrf": {csrf}, "current_password": {password}, "new_password": {"a cross-site pass phrase"}}},
				{"/logout", url.Values{"csrf": {csrf}}},
			} {
				res := exchange(t, "POST", r.url+f.path, f.form, cookies, header)
				if res.status != http.StatusForbidden || !strings.Contains(res.body, "sent from another site") {
					t.Errorf("%s: POST %s with the right CSRF token: status %d, want 403 saying why; body:\n%s", name, f.path, res.status, res.body)
				}
			}
			res := formSignIn(t, r.url, "127.0.0.1", "lea", password, nil, header)
			if res.status != http.StatusForbidden || setCookie(res, api.SessionCookie) != nil {
				t.Errorf("%s: sign-in form: status %d, want 403 and no session", name, res.status)
			}
		}
		if !signedIn(t, r.url, session.Value) {
			t.Fatal("the session ended after refused cross-site logouts")
		}
		if ts, err := st.APITokens(t.Context(), lea.ID); err != nil || len(ts) != 0 {
			t.Errorf("tokens after refused cross-site forms: %v, %v", ts, err)
		}
		if res := formSignIn(t, r.url, "127.0.0.1", "lea", password, nil, nil); res.status != http.StatusSeeOther {
			t.Errorf("the password changed by a refused cross-site form: sign-in status %d", res.status)
		}
		// From this site, the same form passes.
		res = exchange(t, "POST", r.url+"/language", url.Values{"csrf": {csrf}, "language": {"fr"}}, cookies,
			map[string]string{"Origin": r.url, "Referer": r.url + "/inbox"})
		if res.status != http.StatusSeeOther {
			t.Errorf("POST /language from this site: status %d, body %s", res.status, res.body)
		}
	})
}

// TestConsolePasswordChange: changing one's password from the console
// signs out every other browser of one's own, keeps this one signed in
// under a new session cookie, and leaves other users alone.
func TestConsolePasswordChange(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		_, password := signInUser(t, st, "lea", false)
		_, maxPassword := signInUser(t, st, "max", false)
		s, _ := newServer(t, Config{}, st)
		r := start(t, s)
		session := func(login, pw string) string {
			res := formSignIn(t, r.url, "127.0.0.1", login, pw, nil, nil)
			c := setCookie(res, api.SessionCookie)
			if c == nil {
				t.Fatalf("sign in as %s: status %d", login, res.status)
			}
			return c.Value
		}
		here, elsewhere, maxs := session("lea", password), session("lea", password), session("max", maxPassword)
		csrf := pageCSRF(t, r.url, "/settings/tokens", here)
		cookies := []*http.Cookie{{Name: api.SessionCookie, Value: here}}

		res := exchange(t, "POST", r.url+"/settings/password", url.Values{"csrf": {csrf},
			"current_password": {"not the pass phrase"}, "new_password": {"a brand new pass phrase"}}, cookies, nil)
		if res.status != http.StatusSeeOther || setCookie(res, api.SessionCookie) != nil || !signedIn(t, r.url, here) {
			t.Fatalf("a wrong current password: status %d, cookies %v; want a redirect changing nothing", res.status, res.header.Values("Set-Cookie"))
		}
		res = exchange(t, "POST", r.url+"/settings/password", url.Values{"csrf": {csrf},
			"current_password": {password}, "new_password": {"a brand new pass phrase"}}, cookies, nil)
		fresh := setCookie(res, api.SessionCookie)
		if res.status != http.StatusSeeOther || fresh == nil || fresh.Value == "" || fresh.Value == here {
			t.Fatalf("change: status %d, session cookie %v; want a redirect and a new session", res.status, fresh)
		}
		if signedIn(t, r.url, here) || signedIn(t, r.url, elsewhere) {
			t.Error("a session opened with the old password lives on")
		}
		if !signedIn(t, r.url, fresh.Value) {
			t.Error("the new session does not open the console")
		}
		if !signedIn(t, r.url, maxs) {
			t.Error("another user's session ended")
		}
		if res := formSignIn(t, r.url, "127.0.0.1", "lea", "a brand new pass phrase", nil, nil); res.status != http.StatusSeeOther {
			t.Errorf("sign-in with the new password: status %d", res.status)
		}
	})
}
