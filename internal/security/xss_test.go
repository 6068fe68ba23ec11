package security_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// payload is one hostile text of testdata/xss.txt.
type payload struct {
	category string
	line     int
	text     string
}

// loadCorpus reads testdata/xss.txt.
func loadCorpus(t testing.TB) []payload {
	t.Helper()
	b, err := os.ReadFile("testdata/xss.txt")
	if err != nil {
		t.Fatal(err)
	}
	unescape := strings.NewReplacer(`\n`, "\n", `\r`, "\r", `\t`, "\t", `\0`, "\x00")
	var out []payload
	category := ""
	for i, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "## "):
		case strings.HasPrefix(line, "# "):
			category = strings.TrimPrefix(line, "# ")
		default:
			out = append(out, payload{category: category, line: i + 1, text: unescape.Replace(line)})
		}
	}
	if len(out) < 250 {
		t.Fatalf("testdata/xss.txt: %d payloads, want a few hundred", len(out))
	}
	return out
}

// representative are the first two payloads of each category: what
// short mode pushes through the inputs that take one text per call.
func representative(all []payload) []payload {
	var out []payload
	seen := map[string]int{}
	for _, p := range all {
		if seen[p.category] < 2 {
			seen[p.category]++
			out = append(out, p)
		}
	}
	return out
}

func texts(ps []payload) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.text
	}
	return out
}

// whose names the payloads a piece of an output comes from, for the
// failure messages.
func whose(corpus []payload, snippet string) string {
	for _, p := range corpus {
		if len(p.text) > 6 && strings.Contains(snippet, p.text) {
			return fmt.Sprintf(" (payload of xss.txt line %d, %s)", p.line, p.category)
		}
	}
	return ""
}

// hostileName names the own workspace, and ends its users' names, in the
// XSS suites: names are shown on every page.
const hostileName = `Vélo "'><img src=x onerror=window.__xss=1><script>window.__xss=1</script>`

// output is one answer the XSS suite reads.
type output struct {
	what string // method, path and who asked
	res  response
}

// TestXSSCorpus pushes the hostile texts of testdata/xss.txt through
// every input — an import's message bodies and author names (every
// payload, in short mode too; the workspace's and its users' names are
// hostile too), and, per payload, conversation notes,
// replies and tags, members' notes and tags, canned replies, topics,
// sources, webhooks' addresses, saved views, then service levels, routing
// rules, alert keywords and a CM's specialisations — and reads every
// output as the owner: each console page (the GET routes the console
// registers, plus a page per planted conversation and member), each GET
// route of the API, the exports (metrics.csv by topic, channel and
// assignee, insights.csv and .md, the monthly report in CSV and HTML,
// the console's CSV and Markdown downloads) and the event stream.
//
// HTML may hold no script but the console's own from /static/, no event
// handler attribute, no javascript:, vbscript: or data: URL in an
// attribute that loads or navigates, no frame, object, embed, base or
// refresh; JSON answers are application/json (problems
// application/problem+json) and parse; CSV cells never start with = + - @
// tab or CR (but numbers), and at least one was neutralised (the texts
// reached a CSV); Markdown holds no raw tag or javascript: link; each
// event of the stream is one line of JSON; every answer has the CSP and
// nosniff headers, and none is a 5xx.
//
// Short mode takes the first payload of each category for the inputs
// that take one text a call (the first two of each category, 26 texts); PALABRE_SECURITY_LONG=1
// takes all of them and reads the page of every planted conversation.
func TestXSSCorpus(t *testing.T) {
	t.Parallel()
	corpus := loadCorpus(t)
	each := representative(corpus)
	if long() {
		each = corpus
	}
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st, hostileName, "Banque")
		// The corpus goes in order: representatives first, so that
		// texts[:len(each)] are the ones planted everywhere.
		ordered := append(append([]payload{}, each...), corpus...)
		pr := w.plant(t, w.own, texts(ordered), len(each))
		w.plant(t, w.foreign, []string{"plain"}, 1)
		t.Logf("planted %d texts through %d calls, %d refused", len(ordered), pr.calls, pr.refused)

		outs := w.readEverything(t, len(each))
		neutralised := 0
		for _, o := range outs {
			neutralised += checkOutput(t, corpus, o)
		}
		if neutralised == 0 {
			t.Errorf("no CSV cell was neutralised in %d outputs: the formulas reached no CSV, the check checks nothing", len(outs))
		}
		t.Logf("%d outputs read, %d CSV cells neutralised", len(outs), neutralised)
	})
}

// readEverything fetches, as the own workspace's owner, every output the
// suite checks.
func (w *world) readEverything(t *testing.T, planted int) []output {
	t.Helper()
	owner := w.callers[0]
	token := w.own.owner
	var outs []output
	get := func(c caller, p string) {
		res := c.json(t, w.base, http.MethodGet, p, "")
		outs = append(outs, output{what: "GET " + p + " as " + c.name, res: res})
	}
	for _, rt := range append(apiRoutes(t, w), consoleRoutes()...) {
		if rt.method != http.MethodGet {
			continue
		}
		segs := parse(t, rt)
		for _, p := range paths(segs, w.own, w.own, 99) {
			switch {
			case p == "/api/v1/events":
				res := w.peek(t, token, p+"?last_event_id=1", time.Second)
				outs = append(outs, output{what: "GET " + p + " (replay)", res: res})
			case rt.console:
				get(owner, p)
			default:
				get(token, p)
			}
		}
	}
	month := time.Now().UTC().Format("2006-01")
	for _, p := range []string{"/inbox?view=all", "/inbox?view=all&q=script", "/inbox?view=all&q=img",
		"/reports/velo/client", "/reports/velo/csv", "/reports/velo/insights.csv", "/reports/velo/insights.md",
		"/settings/workspaces/velo/team/" + model.RoleOwner} {
		get(owner, p)
	}
	for _, p := range []string{"/metrics.csv?by=topic", "/metrics.csv?by=channel", "/metrics.csv?by=assignee",
		"/insights.csv", "/insights.md", "/reports/" + month + ".csv", "/reports/" + month + ".html",
		"/conversations?limit=500", "/canned-replies", "/topics", "/sources", "/webhooks", "/sla", "/routing-rules", "/alert-settings"} {
		get(token, "/api/v1/workspaces/velo"+p)
	}
	get(token, "/api/v1/users/owner/profile")
	get(token, "/api/v1/me/views")
	// A page per planted conversation and its author.
	n := 0
	for _, c := range w.conversations(t, w.own) {
		if i, err := strconv.Atoi(strings.TrimPrefix(c.RootExternalID, "t")); err != nil || (i >= planted && !long()) {
			continue
		}
		n++
		get(owner, fmt.Sprintf("/conversations/%d", c.ID))
		msgs, err := w.st.ConversationMessages(t.Context(), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.MemberID != "" {
				get(owner, "/workspaces/velo/people/"+m.MemberID)
			}
		}
	}
	if n < planted {
		t.Errorf("%d planted conversations found, want at least %d", n, planted)
	}
	return outs
}

// checkOutput checks one answer and returns how many CSV cells it
// neutralised.
func checkOutput(t *testing.T, corpus []payload, o output) int {
	t.Helper()
	res := o.res
	if res.status >= 500 {
		t.Errorf("%s: status %d: %.300s", o.what, res.status, res.body)
	}
	if res.header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(res.header.Get("Content-Security-Policy"), "default-src") {
		t.Errorf("%s: status %d without CSP or nosniff: %v", o.what, res.status, res.header)
	}
	ct, _, _ := mime.ParseMediaType(res.header.Get("Content-Type"))
	isAPI := strings.Contains(o.what, " /api/v1/")
	switch ct {
	case "text/html":
		checkHTML(t, corpus, o)
	case "application/json", "application/problem+json":
		if !json.Valid(res.body) {
			t.Errorf("%s: %s that does not parse: %.300s", o.what, ct, res.body)
		}
		if ct == "application/problem+json" && res.status < 400 {
			t.Errorf("%s: a problem with status %d", o.what, res.status)
		}
	case "text/csv":
		return checkCSV(t, corpus, o)
	case "text/markdown":
		checkMarkdown(t, corpus, o)
	case "text/event-stream":
		checkEvents(t, corpus, o)
	case "application/pdf", "text/css", "text/javascript", "image/svg+xml":
	default:
		if res.status < 300 || isAPI {
			t.Errorf("%s: status %d, unexpected Content-Type %q", o.what, res.status, res.header.Get("Content-Type"))
		}
	}
	if isAPI && res.status >= 400 && ct != "application/problem+json" {
		t.Errorf("%s: status %d as %q, want application/problem+json", o.what, res.status, ct)
	}
	return 0
}

// loading are the attributes whose URL a browser loads or navigates to.
var loading = map[string]bool{"href": true, "src": true, "action": true, "formaction": true, "data": true,
	"poster": true, "background": true, "xlink:href": true, "codebase": true, "cite": true, "srcset": true, "ping": true}

// dangerousScheme reports whether a URL, as a browser reads it (control
// characters and spaces dropped, any case), runs or renders a document.
func dangerousScheme(v string) bool {
	v = strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return r
	}, strings.ToLower(v))
	return strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "vbscript:") ||
		(strings.HasPrefix(v, "data:") && !strings.HasPrefix(v, "data:image/png") && !strings.HasPrefix(v, "data:image/gif") &&
			!strings.HasPrefix(v, "data:image/jpeg"))
}

// checkHTML parses a page as a browser would and looks for anything that
// runs or loads what the page did not mean to.
func checkHTML(t *testing.T, corpus []payload, o output) {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(o.res.body))
	if err != nil {
		t.Errorf("%s: HTML that does not parse: %v", o.what, err)
		return
	}
	bad := func(n *html.Node, why string) {
		var b bytes.Buffer
		_ = html.Render(&b, n)
		s := b.String()
		if len(s) > 300 {
			s = s[:300]
		}
		t.Errorf("%s: %s: %s%s", o.what, why, s, whose(corpus, s))
	}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.Data {
		case "script":
			src := attr(n, "src")
			if !strings.HasPrefix(src, "/static/") || n.FirstChild != nil {
				bad(n, "a script that is not the console's")
			}
		case "iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal":
			bad(n, "a <"+n.Data+">")
		case "meta":
			if attr(n, "http-equiv") != "" {
				bad(n, "a <meta http-equiv>")
			}
		case "link":
			if href := attr(n, "href"); !strings.HasPrefix(href, "/static/") {
				bad(n, "a <link> to elsewhere")
			}
		case "style":
			// A standalone report styles itself in its head, under a CSP
			// hash; a payload's <style> lands in the body.
			if n.Parent == nil || n.Parent.Data != "head" {
				bad(n, "a <style> element")
			}
		}
		for _, a := range n.Attr {
			key := strings.ToLower(a.Key)
			if a.Namespace != "" {
				key = a.Namespace + ":" + key
			}
			switch {
			case strings.HasPrefix(key, "on"):
				bad(n, "an event handler attribute "+key)
			case key == "srcdoc":
				bad(n, "a srcdoc attribute")
			case (loading[key] || strings.HasSuffix(key, ":href")) && dangerousScheme(a.Val):
				bad(n, "a "+key+" that runs script")
			case key == "style" && (strings.Contains(strings.ToLower(a.Val), "url(") || strings.Contains(strings.ToLower(a.Val), "expression")):
				bad(n, "a style attribute that loads or runs")
			}
		}
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

// checkCSV reads a CSV export as a spreadsheet would: no cell may start
// with what makes it a formula, unless it is a number.
func checkCSV(t *testing.T, corpus []payload, o output) int {
	t.Helper()
	if o.res.status >= 300 {
		return 0
	}
	r := csv.NewReader(bytes.NewReader(o.res.body))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Errorf("%s: CSV that does not parse: %v", o.what, err)
		return 0
	}
	neutralised := 0
	for i, row := range rows {
		for j, cell := range row {
			if cell == "" {
				continue
			}
			if _, err := strconv.ParseFloat(cell, 64); err == nil {
				continue
			}
			if strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("%s: row %d cell %d is a formula: %q%s", o.what, i+1, j+1, cell, whose(corpus, cell))
			}
			if len(cell) > 1 && cell[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(cell[1])) {
				neutralised++
			}
		}
	}
	return neutralised
}

var (
	rawTag       = regexp.MustCompile(`(^|[^\\])<[A-Za-z/!?]`)
	scriptedLink = regexp.MustCompile(`(?i)(^|[^\\])\]\(\s*(javascript|vbscript|data):`)
)

// checkMarkdown reads a Markdown export: a renderer must find no raw tag
// and no link that runs script.
func checkMarkdown(t *testing.T, corpus []payload, o output) {
	t.Helper()
	for i, line := range strings.Split(string(o.res.body), "\n") {
		if m := rawTag.FindString(line); m != "" || scriptedLink.MatchString(line) {
			t.Errorf("%s: line %d holds a raw tag or a scripted link: %q%s", o.what, i+1, line, whose(corpus, line))
		}
	}
}

var eventName = regexp.MustCompile(`^[a-z_.]+$`)

// checkEvents reads an event stream: each field is one line, each event
// has a plain name and a JSON object, so that no text can forge an event.
func checkEvents(t *testing.T, corpus []payload, o output) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(o.res.body))
	sc.Buffer(nil, 1<<20)
	events := 0
	for sc.Scan() {
		line := sc.Text()
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "", "retry", "id":
		case "event":
			if !eventName.MatchString(value) {
				t.Errorf("%s: event named %q%s", o.what, value, whose(corpus, value))
			}
			events++
		case "data":
			if !json.Valid([]byte(value)) {
				t.Errorf("%s: data that is not one line of JSON: %q%s", o.what, value, whose(corpus, value))
			}
		default:
			t.Errorf("%s: a line that is no field of an event: %q%s", o.what, line, whose(corpus, line))
		}
	}
	if events == 0 {
		t.Errorf("%s: no event replayed: the check checks nothing", o.what)
	}
}

// TestSecurityHeaders checks that every kind of answer carries the
// Content-Security-Policy and nosniff headers, errors included: 404s of
// the console and of the API, 405s, 400s, 401s, 403s, the sign-in
// throttle's 429, static assets, the health check, the event stream, and
// the 500s of a server whose database went away. (A handler's panic is
// checked by the server's TestPanicRecovery through the same
// middlewares.)
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st, "Vélo Atelier", "Banque")
		owner, token, stranger := w.callers[0], w.own.owner, w.callers[len(w.callers)-1]
		check := func(what string, res response, status int) {
			t.Helper()
			if status != 0 && res.status != status {
				t.Errorf("%s: status %d, want %d: %.200s", what, res.status, status, res.body)
			}
			if got := res.header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("%s (status %d): X-Content-Type-Options %q", what, res.status, got)
			}
			if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") ||
				strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("%s (status %d): Content-Security-Policy %q", what, res.status, csp)
			}
			if res.header.Get("Content-Type") == "" && res.status != http.StatusNoContent && res.status != http.StatusSeeOther {
				t.Errorf("%s (status %d): no Content-Type", what, res.status)
			}
		}
		for _, c := range []struct {
			who    caller
			method string
			path   string
			body   string
			status int
		}{
			{stranger, "GET", "/nowhere", "", 404},
			{owner, "GET", "/nowhere", "", 404},
			{owner, "GET", "/conversations/999999", "", 404},
			{token, "GET", "/api/v1/nowhere", "", 404},
			{token, "GET", "/api/v1/conversations/999999", "", 404},
			{owner, "DELETE", "/inbox", "", 405},
			{token, "PUT", "/api/v1/me", "{}", 405},
			{token, "POST", "/api/v1/me/views", "{not json", 400},
			{token, "GET", "/api/v1/workspaces/velo/conversations?limit=x", "", 400},
			{stranger, "GET", "/api/v1/me", "", 401},
			{stranger, "POST", "/views", "", 401},
			{stranger, "GET", "/inbox", "", 303},
			{stranger, "GET", "/login", "", 200},
			{stranger, "GET", "/static/app.js", "", 200},
			{stranger, "GET", "/static/app.css", "", 200},
			{stranger, "GET", "/static/nothing.js", "", 404},
			{stranger, "GET", "/healthz", "", 200},
			{token, "GET", "/api/v1/openapi.json", "", 200},
		} {
			check(c.method+" "+c.path+" as "+c.who.name, c.who.json(t, w.base, c.method, c.path, c.body), c.status)
		}
		form := owner.do(t, w.base, http.MethodPost, "/views", []byte("name=x"), "application/x-www-form-urlencoded", nil)
		check("a console form without its CSRF token", form, http.StatusForbidden)
		check("the event stream", w.peek(t, token, "/api/v1/events", 300*time.Millisecond), http.StatusOK)

		// The sign-in throttle, from an address of its own.
		var last response
		for range 12 {
			last = callFrom(t, "127.0.0.42", w.base+"/api/v1/login", `{"login":"owner","password":"wrong"}`)
		}
		check("the 12th failed sign-in", last, http.StatusTooManyRequests)

		// A server whose database went away answers 500s.
		st.Close()
		check("the inbox without a database", owner.json(t, w.base, http.MethodGet, "/inbox", ""), http.StatusInternalServerError)
		check("the API without a database", token.json(t, w.base, http.MethodGet, "/api/v1/me", ""), http.StatusInternalServerError)
	})
}

// callFrom posts JSON from a loopback address of its own, which the sign-in
// throttle counts apart.
func callFrom(t *testing.T, ip, url, body string) response {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
	res, err := client.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s from %s: %v", url, ip, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}
