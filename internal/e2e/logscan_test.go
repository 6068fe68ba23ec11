package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"palabre/internal/store"
	"palabre/internal/testutil"
	"palabre/internal/webhook"
)

// logged is a palabre serve process whose whole output — its log on
// standard error, and standard output — is kept.
type logged struct {
	base string
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{} // closed once the process has exited
}

func (l *logged) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.out.Write(p)
}

// serveLogged starts `palabre serve` on dsn, keeping all it writes.
func serveLogged(t *testing.T, dsn string, extra ...string) *logged {
	t.Helper()
	l := &logged{done: make(chan struct{})}
	args := append([]string{"serve", "--db", dsn, "--addr", "127.0.0.1:0"}, extra...)
	l.cmd = exec.Command(palabreBin(t), args...)
	stdout, err := l.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	l.cmd.Stderr = l
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			fmt.Fprintln(l, sc.Text())
			if m := servingAt.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		l.cmd.Wait()
		close(l.done)
	}()
	t.Cleanup(func() { l.stop() })
	select {
	case l.base = <-found:
		return l
	case <-time.After(30 * time.Second):
		l.stop()
		t.Fatalf("palabre serve did not say where it serves; output:\n%s", l.output())
	}
	return nil
}

// stop interrupts the server, waits for it to exit (killing it after 15
// s) and returns all it wrote.
func (l *logged) stop() string {
	l.cmd.Process.Signal(os.Interrupt)
	select {
	case <-l.done:
	case <-time.After(15 * time.Second):
		l.cmd.Process.Kill()
		<-l.done
	}
	return l.output()
}

func (l *logged) output() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.out.String()
}

// browser is an HTTP client with a cookie jar, as a browser signs in.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
	csrf   string // the session's CSRF token, once signed in through the API
}

func newBrowser(t *testing.T, base string) *browser {
	jar := &jar{cookies: map[string]*http.Cookie{}}
	return &browser{t: t, base: base, client: &http.Client{Jar: jar, Timeout: 15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// jar keeps the last value of each cookie, whatever its path: enough for
// one site.
type jar struct {
	mu      sync.Mutex
	cookies map[string]*http.Cookie
}

func (j *jar) SetCookies(_ *url.URL, cs []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, c := range cs {
		if c.MaxAge < 0 || c.Value == "" {
			delete(j.cookies, c.Name)
			continue
		}
		j.cookies[c.Name] = c
	}
}

func (j *jar) Cookies(*url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []*http.Cookie
	for _, c := range j.cookies {
		out = append(out, &http.Cookie{Name: c.Name, Value: c.Value})
	}
	return out
}

func (b *browser) cookie(name string) string {
	j := b.client.Jar.(*jar)
	j.mu.Lock()
	defer j.mu.Unlock()
	if c := j.cookies[name]; c != nil {
		return c.Value
	}
	return ""
}

// do sends a request with a JSON body (or a form, when body is
// url.Values) and the session's CSRF token, and answers the status and
// body.
func (b *browser) do(method, path string, body any, header map[string]string) (int, []byte) {
	b.t.Helper()
	var rd io.Reader
	contentType := ""
	switch v := body.(type) {
	case nil:
	case url.Values:
		rd, contentType = strings.NewReader(v.Encode()), "application/x-www-form-urlencoded"
	case []byte:
		rd, contentType = bytes.NewReader(v), "application/json"
	default:
		raw, err := json.Marshal(v)
		if err != nil {
			b.t.Fatal(err)
		}
		rd, contentType = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequest(method, b.base+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if b.csrf != "" {
		req.Header.Set("X-CSRF-Token", b.csrf)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return res.StatusCode, out
}

// must is do, failing unless the status is want.
func (b *browser) must(want int, method, path string, body any, header map[string]string) []byte {
	b.t.Helper()
	status, out := b.do(method, path, body, header)
	if status != want {
		b.t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, out)
	}
	return out
}

var formCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// formToken GETs a console page and returns the CSRF token of its forms.
func (b *browser) formToken(path string) string {
	b.t.Helper()
	page := b.must(200, "GET", path, nil, nil)
	m := formCSRF.FindSubmatch(page)
	if m == nil {
		b.t.Fatalf("GET %s: no form token", path)
	}
	return string(m[1])
}

// signInForm posts the console's sign-in form.
func (b *browser) signInForm(login, password string) int {
	b.t.Helper()
	token := b.formToken("/login")
	status, _ := b.do("POST", "/login", url.Values{"login": {login}, "password": {password}, "csrf": {token}}, nil)
	return status
}

// signInAPI signs in through the API and keeps the CSRF token answered.
func (b *browser) signInAPI(login, password string) int {
	b.t.Helper()
	status, out := b.do("POST", "/api/v1/login", map[string]string{"login": login, "password": password}, nil)
	if status == 200 {
		var me struct {
			CSRF string `json:"csrf_token"`
		}
		if err := json.Unmarshal(out, &me); err != nil || me.CSRF == "" {
			b.t.Fatalf("login answered no CSRF token: %s", out)
		}
		b.csrf = me.CSRF
	}
	return status
}

// TestLogsHoldNoSecret runs palabre serve, on each engine, through what
// handles secrets — sign-ins with right and wrong passwords on the API
// and the sign-in page, device cookies, API tokens made and used (and
// unknown ones tried), sources with connector secrets (WordPress
// application password, Mastodon token, IMAP and SMTP passwords, inbound
// webhook secret) that then fail to poll, an inbound delivery signed
// right and one signed wrong, an outgoing webhook whose deliveries fail,
// password changes through the API and the console, and sign-outs — then
// reads everything the process wrote: no password, token, session cookie,
// device cookie, CSRF token or connector or webhook secret may appear.
//
// The short mode (the default) waits for the sources' first poll
// failures; PALABRE_SECURITY_LONG=1 also waits for the webhook's retried
// deliveries and lets the failing sources poll again.
func TestLogsHoldNoSecret(t *testing.T) {
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			logsHoldNoSecret(t, testutil.NewDSN(t, engine))
		})
	}
}

func logsHoldNoSecret(t *testing.T, dsn string) {
	long := os.Getenv("PALABRE_SECURITY_LONG") != ""
	secrets := map[string]string{} // what → value
	keep := func(what, value string) string {
		if len(value) < 6 {
			t.Fatalf("secret %s %q is too short to look for", what, value)
		}
		secrets[what] = value
		return value
	}
	adminPassword := keep("admin's first password", "Adm1n-first-pass-phrase")
	run(t, adminPassword+"\n", "user", "add", "admin", "--admin", "--db", dsn, "--password-file", "-")
	srv := serveLogged(t, dsn, "--sources-allow-hosts", "127.0.0.1", "--webhooks-allow-private")

	// Sign-ins, wrong then right, on the API and on the page.
	api := newBrowser(t, srv.base)
	if s := api.signInAPI("admin", keep("a wrong password on the API", "Wrong-guess-on-the-api")); s != 401 {
		t.Fatalf("a wrong password on the API: status %d", s)
	}
	if s := api.signInAPI("nobody-here", keep("a password for an unknown login", "Guess-for-nobody-here")); s != 401 {
		t.Fatalf("an unknown login: status %d", s)
	}
	if s := api.signInAPI("admin", adminPassword); s != 200 {
		t.Fatalf("sign-in on the API: status %d", s)
	}
	keep("the API session's cookie", api.cookie("palabre_session"))
	keep("the API session's CSRF token", api.csrf)
	keep("the API sign-in's device cookie", api.cookie("palabre_device"))
	page := newBrowser(t, srv.base)
	if s := page.signInForm("admin", keep("a wrong password on the page", "Wrong-guess-on-the-page")); s != 401 {
		t.Fatalf("a wrong password on the page: status %d", s)
	}
	if s := page.signInForm("admin", adminPassword); s != 303 {
		t.Fatalf("sign-in on the page: status %d", s)
	}
	keep("the page session's cookie", page.cookie("palabre_session"))
	keep("the page's device cookie", page.cookie("palabre_device"))

	// An API token, made, used, and unknown ones tried.
	var tok struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(api.must(201, "POST", "/api/v1/me/tokens", map[string]any{"name": "scan", "write": true}, nil), &tok); err != nil {
		t.Fatal(err)
	}
	keep("an API token", tok.Token)
	bearer := newBrowser(t, srv.base)
	bearer.must(200, "GET", "/api/v1/me", nil, map[string]string{"Authorization": "Bearer " + tok.Token})
	unknown := keep("an unknown API token", "plb_"+strings.Repeat("Zq9", 14)+"x")
	bearer.must(401, "GET", "/api/v1/me", nil, map[string]string{"Authorization": "Bearer " + unknown})
	bearer.must(401, "GET", "/api/v1/me", nil, map[string]string{"Authorization": "Basic " + keep("a malformed credential", "bm90LWEtdG9rZW46c2VjcmV0")})
	bearer.must(401, "GET", "/api/v1/me", nil, map[string]string{"Cookie": "palabre_session=" + keep("a forged session cookie", "forged-session-cookie-value")})
	bearer.must(401, "GET", "/api/v1/me?access_token="+keep("a token in a query string", "query-string-token-0123"), nil, nil)

	// Sources with secrets, on addresses where nothing answers: they fail
	// to poll, and say so in the log.
	admin := client{base: srv.base, token: tok.Token}
	admin.must(t, 201, "POST", "/api/v1/workspaces", map[string]string{"slug": "w", "name": "W"})
	for kind, config := range map[string]map[string]any{
		"wordpress": {"site_url": "http://127.0.0.1:9/blog", "user": "editor", "app_password": keep("a WordPress application password", "abcd EFGH ijkl MNOP qrst UVWX")},
		"mastodon":  {"instance_url": "http://127.0.0.1:9", "access_token": keep("a Mastodon token", "mastodon-access-token-0123456789")},
		"email": {"imap_addr": "127.0.0.1:9", "imap_user": "support", "imap_password": keep("an IMAP password", "imap-Pass-phrase-42"),
			"imap_tls": "none", "smtp_addr": "127.0.0.1:9", "smtp_user": "support", "smtp_password": keep("an SMTP password", "smtp-Pass-phrase-43"),
			"smtp_tls": "none", "from": "support@example.com"},
		"webhook": {"secret": keep("an inbound webhook's secret", "whsec_inbound-secret-0123456789abcdef")},
	} {
		a := admin.call(t, "POST", "/api/v1/workspaces/w/sources", map[string]any{
			"channel": kind, "kind": kind, "name": kind, "interval_seconds": 60, "config": config})
		if a.status != 201 {
			t.Fatalf("create a %s source: status %d: %s", kind, a.status, a.body)
		}
		for what, v := range secrets {
			// An inbound webhook's secret is shown once, on creation, for
			// its senders to sign with.
			if bytes.Contains(a.body, []byte(v)) && !(kind == "webhook" && what == "an inbound webhook's secret") {
				t.Errorf("the API's answer to a new %s source shows %s: %s", kind, what, a.body)
			}
		}
	}
	// An outgoing webhook to an address where nothing answers, told of
	// every event.
	var hook struct {
		Secret string `json:"secret"`
	}
	if err := json.Unmarshal(admin.must(t, 201, "POST", "/api/v1/workspaces/w/webhooks",
		map[string]any{"url": "http://127.0.0.1:9/hook"}).body, &hook); err != nil {
		t.Fatal(err)
	}
	keep("an outgoing webhook's secret", hook.Secret)

	// An inbound delivery signed right, one signed wrong, one whose
	// signature header is the secret itself.
	delivery := []byte(`{"external_id":"h1","body":"Bonjour, une question ?","author_name":"Ana","created_at":"2026-11-20T10:00:00Z"}`)
	inbound := newBrowser(t, srv.base)
	for name, header := range map[string]string{
		"signed":          webhook.Sign([]byte(secrets["an inbound webhook's secret"]), time.Now(), delivery),
		"signed wrong":    webhook.Sign([]byte("not the secret"), time.Now(), delivery),
		"the secret bare": secrets["an inbound webhook's secret"],
	} {
		if s, out := inbound.do("POST", "/api/v1/hooks/w/webhook", delivery, map[string]string{"Palabre-Signature": header}); s >= 500 {
			t.Fatalf("inbound delivery %s: status %d: %s", name, s, out)
		}
	}
	// Password changes: a wrong current password, then right, on the API
	// and on the page; the old sessions end.
	api.must(403, "PUT", "/api/v1/me/password", map[string]string{
		"current_password": keep("a wrong current password", "Not-the-current-one"), "new_password": "Whatever-new-phrase"}, nil)
	api.must(200, "PUT", "/api/v1/me/password", map[string]string{
		"current_password": adminPassword, "new_password": keep("the admin's second password", "Adm1n-second-pass-phrase")}, nil)
	keep("the session opened by the password change", api.cookie("palabre_session"))
	// The page's session ended with the others: it signs in again.
	page.must(303, "GET", "/settings/tokens", nil, nil)
	if s := page.signInForm("admin", secrets["the admin's second password"]); s != 303 {
		t.Fatalf("sign-in on the page with the second password: status %d", s)
	}
	keep("the page's second session's cookie", page.cookie("palabre_session"))
	form := url.Values{"csrf": {page.formToken("/settings/tokens")}, "current_password": {secrets["the admin's second password"]},
		"new_password": {keep("the admin's third password", "Adm1n-third-pass-phrase")}}
	keep("the console's form token", form.Get("csrf"))
	if s, out := page.do("POST", "/settings/password", form, nil); s != 303 {
		t.Fatalf("the console's password change: status %d: %s", s, out)
	}
	keep("the session opened by the console's password change", page.cookie("palabre_session"))
	if s := newBrowser(t, srv.base).signInAPI("admin", secrets["the admin's third password"]); s != 200 {
		t.Fatalf("sign-in with the third password: status %d", s)
	}
	page.must(303, "POST", "/logout", url.Values{"csrf": {page.formToken("/inbox")}}, nil)

	// Wait for the failures to reach the log: every source's first poll,
	// and in the long mode the webhook's retries and more polls.
	need := []string{"wordpress", "mastodon", "email"}
	deadline := time.Now().Add(30 * time.Second)
	if long {
		deadline = time.Now().Add(150 * time.Second)
	}
	for time.Now().Before(deadline) {
		out := srv.output()
		polled := 0
		for _, kind := range need {
			if strings.Contains(out, "kind="+kind) || strings.Contains(out, `source=`+kind) {
				polled++
			}
		}
		if strings.Contains(out, "webhook delivery failed") {
			polled++
		}
		if polled == len(need)+1 && !long {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	out := srv.stop()
	if !strings.Contains(out, "status=401") || !strings.Contains(out, "/api/v1/login") {
		t.Fatalf("the log does not hold the requests made; is it the server's?\n%s", out)
	}
	for what, v := range secrets {
		if !strings.Contains(out, v) {
			continue
		}
		var lines []string
		for line := range strings.Lines(out) {
			if strings.Contains(line, v) {
				lines = append(lines, strings.TrimSpace(line))
			}
		}
		t.Errorf("the server's output holds %s (%q), in %d lines:\n%s", what, v, len(lines), strings.Join(lines, "\n"))
	}
	if testing.Verbose() {
		t.Logf("%d secrets looked for in %d bytes of output", len(secrets), len(out))
	}
}
