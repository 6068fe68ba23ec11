package security_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"palabre/internal/console"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// marker is planted in everything of the foreign workspace — its name,
// its people's names, messages, notes, tags, settings — and must never be
// in an answer to a user of the own workspace.
const marker = "QZX-FOREIGN-7731"

// route is one route of the API or of the console, as its route table
// declares it.
type route struct {
	console bool
	method  string
	path    string // the pattern's path, with its {parameters}
}

func (rt route) String() string {
	surface := "API"
	if rt.console {
		surface = "console"
	}
	return surface + " " + rt.method + " " + rt.path
}

// apiRoutes are the operations openapi.json documents, which
// TestOpenAPIMatchesRoutes keeps equal to the API's route table.
func apiRoutes(t *testing.T, w *world) []route {
	t.Helper()
	res := w.own.owner.json(t, w.base, http.MethodGet, "/api/v1/openapi.json", "")
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(res.body, &doc); err != nil || res.status != http.StatusOK {
		t.Fatalf("openapi.json: status %d, %v", res.status, err)
	}
	var out []route
	for path, ops := range doc.Paths {
		for method := range ops {
			out = append(out, route{method: strings.ToUpper(method), path: path})
		}
	}
	return out
}

// routeList records the routes the console registers.
type routeList []route

func (l *routeList) Handle(pattern string, _ http.Handler) { l.add(pattern) }
func (l *routeList) HandleFunc(pattern string, _ func(http.ResponseWriter, *http.Request)) {
	l.add(pattern)
}
func (l *routeList) add(pattern string) {
	method, path, _ := strings.Cut(pattern, " ")
	*l = append(*l, route{console: true, method: method, path: path})
}

// consoleRoutes are every route the console registers.
func consoleRoutes() []route {
	var l routeList
	console.New(console.Config{Logger: slog.New(slog.DiscardHandler)}).Register(&l)
	return l
}

// Values of the parameters that are not things of a workspace: one in
// short mode, each of them in long mode.
var (
	conversationActions = []string{"note", "status", "assign", "priority", "tags", "snooze", "unsnooze", "reply", "retry", "moderate"}
	memberActions       = []string{"tags", "note", "merge", "unmerge"}
	sourceActions       = []string{"poll", "pause", "resume", "delete"}
	reportFormats       = []string{"csv", "html", "pdf"}
)

// param is one {parameter} of a route's path, as the matrix fills it.
type param struct {
	// scoped parameters name a thing of one workspace (or of one user of
	// it): filled from the side the call is about.
	scoped bool
	values func(s *side) []string
}

// paramFor says how to fill the parameter name that follows the segment
// prev, or false for one the matrix does not know yet.
func paramFor(rt route, prev, name string) (param, bool) {
	one := func(f func(s *side) string) param {
		return param{scoped: true, values: func(s *side) []string { return []string{f(s)} }}
	}
	id := func(n int64) string { return fmt.Sprint(n) }
	pick := func(all []string) param {
		return param{values: func(*side) []string {
			if long() {
				return all
			}
			return all[:1]
		}}
	}
	switch name {
	case "slug":
		return one(func(s *side) string { return s.ws.Slug }), true
	case "channel":
		return one(func(s *side) string { return s.channel }), true
	case "cid":
		return one(func(s *side) string { return id(s.canned) }), true
	case "name":
		// A topic is named, not numbered: the same name in another
		// workspace is another topic, which an owner may make.
		return param{values: func(s *side) []string { return []string{s.topic} }}, true
	case "file":
		return param{values: func(*side) []string {
			month := time.Now().UTC().Format("2006-01")
			var out []string
			for _, f := range pickAll(reportFormats) {
				out = append(out, month+"."+f)
			}
			return out
		}}, true
	case "login":
		if prev == "members" && !rt.console {
			// Any user may be given a role in a workspace by its owner:
			// the user is not the workspace's.
			return param{values: func(*side) []string { return []string{"bcm"} }}, true
		}
		return one(func(s *side) string { return s.login }), true
	case "action":
		switch prev {
		case "conversations":
			return pick(conversationActions), true
		case "people":
			return pick(memberActions), true
		case "sources":
			return pick(sourceActions), true
		}
	case "id":
		f, ok := map[string]func(s *side) string{
			"conversations":  func(s *side) string { return id(s.conv) },
			"messages":       func(s *side) string { return id(s.msg) },
			"people":         func(s *side) string { return s.member },
			"canned-replies": func(s *side) string { return id(s.canned) },
			"canned":         func(s *side) string { return id(s.canned) },
			"sources":        func(s *side) string { return id(s.source) },
			"webhooks":       func(s *side) string { return id(s.webhook) },
			"outbox":         func(s *side) string { return id(s.outbox) },
			"moderations":    func(s *side) string { return id(s.moderation) },
			"tokens":         func(s *side) string { return id(s.token) },
			"views":          func(s *side) string { return id(s.view) },
		}[prev]
		if ok {
			return one(f), true
		}
	}
	return param{}, false
}

func pickAll(all []string) []string {
	if long() {
		return all
	}
	return all[:1]
}

// segment is a piece of a route's path: literal text, or a parameter.
type segment struct {
	text  string
	param *param
}

// parse splits a route's path into segments, failing the test for a
// parameter the matrix does not know how to fill: a new route must be
// taught to the matrix, not skipped by it.
func parse(t *testing.T, rt route) []segment {
	t.Helper()
	var out []segment
	parts := strings.Split(rt.path, "/")
	for i, p := range parts {
		if !strings.HasPrefix(p, "{") {
			out = append(out, segment{text: p})
			continue
		}
		name := strings.Trim(p, "{}")
		if name == "$" { // "/{$}": the root alone
			out = append(out, segment{text: ""})
			continue
		}
		prev := "" // the last literal segment before it
		for j := i - 1; j >= 0 && prev == ""; j-- {
			if !strings.HasPrefix(parts[j], "{") {
				prev = parts[j]
			}
		}
		pm, ok := paramFor(rt, prev, name)
		if !ok {
			t.Fatalf("%s: the matrix does not know how to fill {%s} after %q; teach paramFor", rt, name, prev)
		}
		out = append(out, segment{param: &pm})
	}
	return out
}

// scoped counts the route's parameters that name a workspace's things.
func scoped(segs []segment) int {
	n := 0
	for _, s := range segs {
		if s.param != nil && s.param.scoped {
			n++
		}
	}
	return n
}

// paths fills segs: scoped parameters from own for the first `ownFirst`
// of them, from other for the rest; every value of the others.
func paths(segs []segment, own, other *side, ownFirst int) []string {
	out := []string{""}
	n := 0
	for i, s := range segs {
		sep := "/"
		if i == 0 {
			sep = ""
		}
		var vals []string
		switch {
		case s.param == nil:
			vals = []string{s.text}
		case s.param.scoped:
			from := other
			if n < ownFirst {
				from = own
			}
			n++
			vals = s.param.values(from)
		default:
			vals = s.param.values(own)
		}
		var next []string
		for _, p := range out {
			for _, v := range vals {
				next = append(next, p+sep+url.PathEscape(v))
			}
		}
		out = next
	}
	for i, p := range out {
		if p == "" {
			out[i] = "/"
		}
		if strings.HasSuffix(p, "/static/") {
			out[i] = p + "app.js"
		}
	}
	return out
}

// apiBody is the JSON body the matrix sends to an API route that takes
// one, naming things of other where it names any (crossed reports
// whether it does).
func apiBody(rt route, other *side, n int) (body string, crossed bool) {
	p := rt.path
	switch {
	case strings.HasSuffix(p, "/imports"):
		return `{"external_id":"matrix","body":"matrix","created_at":"2026-01-01T00:00:00Z"}`, false
	case strings.HasSuffix(p, "/profile"):
		return `{"languages":["fr"],"capacity":3}`, false
	case strings.HasSuffix(p, "/members/{login}"):
		return `{"role":"cm"}`, false
	case strings.HasSuffix(p, "/merge"), strings.HasSuffix(p, "/unmerge"):
		return `{"from":"` + other.member + `"}`, true
	case strings.HasSuffix(p, "/notes"):
		return `{"body":"matrix"}`, false
	case strings.HasSuffix(p, "/replies"):
		return fmt.Sprintf(`{"body":"matrix","confirm":true,"client_id":"matrix-%d"}`, n), false
	case strings.Contains(p, "/canned-replies"):
		return `{"name":"matrix","language":"fr","body":"matrix"}`, false
	case strings.HasSuffix(p, "/sources"):
		return `{"channel":"hooks","kind":"webhook","name":"matrix","config":{}}`, false
	case strings.HasSuffix(p, "/sources/{id}"):
		return `{"interval_seconds":300}`, false
	case strings.HasSuffix(p, "/webhooks"):
		return `{"url":"https://hooks.example.com/matrix","events":["conversation."]}`, false
	case strings.HasSuffix(p, "/topics/{name}"):
		return `{"terms":["matrix"]}`, false
	case strings.HasSuffix(p, "/analyze"):
		return `{"text":"matrix"}`, false
	case strings.HasSuffix(p, "/corrections"):
		return `{"field":"sentiment","value":"neg"}`, false
	case strings.HasSuffix(p, "/routing-rules"):
		return `{"rules":[]}`, false
	case strings.HasSuffix(p, "/preview"):
		return `{"rules":[],"limit":1}`, false
	case strings.HasSuffix(p, "/engagement-weights"):
		return `{"messages":1,"conversations":2,"days":3,"positive":2,"helpful":5,"negative":1}`, false
	case strings.HasSuffix(p, "/report-schedule"):
		return `{"enabled":true,"recipients":["anne@example.org"]}`, false
	case strings.HasSuffix(p, "/send"):
		return `{"month":"` + time.Now().UTC().Format("2006-01") + `"}`, false
	case strings.HasSuffix(p, "/alert-settings"):
		return `{"enabled":true,"keywords":["matrix"]}`, false
	case strings.HasSuffix(p, "/sla"):
		return `{"calendar":{"time_zone":"Europe/Paris"},"policies":[{"name":"matrix","first_response":"4h"}]}`, false
	case strings.HasSuffix(p, "/bulk"):
		return fmt.Sprintf(`{"ids":[%d],"add_tags":["matrix"]}`, other.conv), true
	case strings.HasSuffix(p, "/moderation"):
		return `{"action":"spam"}`, false
	case strings.HasSuffix(p, "/presence"):
		return `{"state":"viewing"}`, false
	case p == "/api/v1/conversations/{id}":
		return `{"add_tags":["matrix"]}`, false
	case p == "/api/v1/me/tokens":
		return `{"name":"matrix","workspaces":["` + other.ws.Slug + `"]}`, true
	case p == "/api/v1/me/views":
		return `{"name":"matrix","query":"ws=` + other.ws.Slug + `"}`, false
	case p == "/api/v1/me/status":
		return `{"status":"away"}`, false
	case p == "/api/v1/me/language":
		return `{"language":"fr"}`, false
	}
	return `{}`, false
}

// consoleForm is what the matrix posts to a console form: every field
// any form reads, naming things of other where one names a thing.
func consoleForm(other *side) url.Values {
	return url.Values{"body": {"matrix"}, "name": {"matrix"}, "status": {"pending"}, "priority": {"1"},
		"tags": {"matrix"}, "add": {"matrix"}, "message": {fmt.Sprint(other.msg)}, "from": {other.member},
		"action": {"spam"}, "role": {model.RoleCM}, "login": {"bcm"}, "terms": {"matrix"}, "topic": {other.topic},
		"language": {"fr"}, "query": {"ws=" + other.ws.Slug}, "for": {"tomorrow"}, "confirm": {"1"},
		"ids": {fmt.Sprint(other.conv)}, "workspaces": {other.ws.Slug}, "kind": {"webhook"}, "channel": {"hooks"},
		"ws": {other.ws.Slug}, "conversation": {fmt.Sprint(other.conv)}, "field": {"sentiment"}, "value": {"neg"}}
}

// public routes answer strangers.
func public(rt route) bool {
	return rt.console && rt.method == http.MethodGet && (rt.path == "/login" || rt.path == "/static/")
}

// readOnlyPosts are the API's POSTs that change nothing, which a
// read-only token may make (the route table marks them readOnly).
var readOnlyPosts = []string{"/api/v1/logout", "/api/v1/workspaces/{slug}/analyze", "/api/v1/workspaces/{slug}/routing-rules/preview"}

// verdict says what is wrong with res, an answer to c on rt about side
// ("own", "foreign", or "mixed": the first thing its own, the others
// foreign), or "" when nothing is.
func verdict(rt route, c caller, where string, res response) string {
	if res.status >= 500 {
		return "a server error"
	}
	if bytes.Contains(res.body, []byte(marker)) {
		i := bytes.Index(res.body, []byte(marker))
		return fmt.Sprintf("the foreign marker in the answer: …%s…", res.body[max(0, i-120):min(len(res.body), i+60)])
	}
	for name, vals := range res.header {
		if strings.Contains(strings.Join(vals, " "), marker) {
			return "the foreign marker in the header " + name
		}
	}
	ok := res.status < 300
	redirect := res.status >= 300 && res.status < 400
	stranger := c.session == nil && (c.token == "" || rt.console)
	switch {
	case stranger && public(rt) && where == "own":
		return ""
	case stranger && redirect:
		if loc := res.header.Get("Location"); !strings.HasPrefix(loc, "/login") {
			return "a stranger sent to " + loc
		}
		return ""
	case stranger && ok:
		return "a stranger's call succeeded"
	case where != "own" && (ok || redirect):
		return "a call about another workspace's things succeeded"
	case where == "own" && rt.console && c.session != nil && ok && !slices.Contains(consoleRoles(rt), c.role):
		return "a page its role may not open answered"
	case c.token != "" && !c.canWrite() && rt.method != http.MethodGet && ok &&
		!(rt.method == http.MethodPost && slices.Contains(readOnlyPosts, rt.path)):
		return "a read-only token changed something"
	}
	return ""
}

// consoleRoles are the roles of a workspace that may open a console page
// about it (the API's TestAuthorizationMatrix checks the forms' changes,
// which the console hands to the API): its settings are its owners' and
// managers', administrators' pages nobody's here, and an expert sees only
// the conversations they were asked into, not the workspace's reports or
// people.
func consoleRoles(rt route) []string {
	switch p := rt.path; {
	case p == "/settings/workspaces" || p == "/settings/users":
		return nil
	case strings.HasPrefix(p, "/settings/workspaces/"):
		return []string{model.RoleOwner, model.RoleManager}
	case strings.HasPrefix(p, "/reports/") || strings.HasPrefix(p, "/workspaces/{slug}/people/"):
		return []string{model.RoleOwner, model.RoleManager, model.RoleCM, model.RoleClient}
	}
	return ownRoles
}

func (c caller) canWrite() bool { return !strings.Contains(c.name, "read-only") }

// TestCrossWorkspaceMatrix calls every route of the API (as openapi.json
// lists them) and of the console (as it registers them) as every caller —
// the owner, manager, CM, expert and client of the own workspace signed
// in, the CM's read-write API token, the owner's read-only API token, and
// a stranger — about the own workspace's things (console pages as each
// role may open them: see consoleRoles) and about a foreign
// workspace's (and, for routes naming two things, the own workspace's
// first thing with the foreign one's others, and bodies naming foreign
// things). Nothing about the foreign workspace may succeed, no stranger
// may get past the sign-in, no read-only token may change anything, no
// call may fail with a 5xx, and no answer — lists, searches, exports,
// reports, the event stream — may hold the marker planted in everything
// of the foreign workspace. The foreign workspace is checked unchanged
// afterwards.
//
// Calls about the own workspace's things are GETs for signed-in callers
// (the API's TestAuthorizationMatrix checks each role's rights); strangers
// and tokens make every call. Short mode fills the parameters that are not
// a workspace's things ({action} of the console's forms, {file} of the
// reports) with one value each; PALABRE_SECURITY_LONG=1 with all of them
// (every form action, every report format).
func TestCrossWorkspaceMatrix(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st, "Vélo Atelier", "Banque "+marker)
		w.plant(t, w.own, []string{"zorglub velo-own"}, 1)
		w.plant(t, w.foreign, []string{"zorglub " + marker}, 1)
		w.askExpert(t)
		before := foreignState(t, w)

		routes := append(apiRoutes(t, w), consoleRoutes()...)
		calls, failures := 0, 0
		n := 0
		for _, rt := range routes {
			segs := parse(t, rt)
			type variant struct {
				where    string
				paths    []string
				bodySide *side
			}
			variants := []variant{{"own", paths(segs, w.own, w.own, 99), w.own}}
			_, crossed := apiBody(rt, w.foreign, 0)
			crossed = crossed && rt.method != http.MethodGet
			if k := scoped(segs); k > 0 || crossed {
				variants = append(variants, variant{"foreign", paths(segs, w.own, w.foreign, 0), w.foreign})
				if k > 1 || (k == 1 && crossed) {
					variants = append(variants, variant{"mixed", paths(segs, w.own, w.foreign, 1), w.foreign})
				}
			}
			for _, v := range variants {
				for _, c := range w.callers {
					signedIn := c.session != nil || (c.token != "" && !rt.console)
					if v.where == "own" && signedIn && rt.method != http.MethodGet && (c.token == "" || c.canWrite()) {
						continue // the API's own matrix checks what each role may do
					}
					for _, p := range v.paths {
						n++
						var res response
						switch {
						case p == "/api/v1/events":
							res = w.peek(t, c, p, 300*time.Millisecond)
						case rt.console && rt.method != http.MethodGet:
							res = c.form(t, w.base, p, consoleForm(v.bodySide))
						case rt.method == http.MethodGet || rt.method == http.MethodDelete:
							res = c.json(t, w.base, rt.method, p, "")
						default:
							body, _ := apiBody(rt, v.bodySide, n)
							res = c.json(t, w.base, rt.method, p, body)
						}
						calls++
						if why := verdict(rt, c, v.where, res); why != "" {
							failures++
							t.Errorf("%s as %s about %s things (%s %s): %s; status %d, body %.300s",
								rt, c.name, v.where, rt.method, p, why, res.status, res.body)
						}
					}
				}
			}
		}
		t.Logf("%d routes, %d calls, %d failed", len(routes), calls, failures)

		if after := foreignState(t, w); after != before {
			t.Errorf("the foreign workspace changed during the matrix:\nbefore %s\nafter  %s", before, after)
		}
		checkSearches(t, w)
		checkFormTargets(t, w)
		checkEventStream(t, w)
	})
}

// checkSearches searches a word in both workspaces' texts: the own
// workspace's rows come back, the foreign ones' never.
func checkSearches(t *testing.T, w *world) {
	t.Helper()
	for _, c := range w.callers[:3] { // owner, manager, CM: who see every conversation
		for _, p := range []string{"/inbox?view=all&q=zorglub", "/api/v1/workspaces/velo/conversations?q=zorglub",
			"/api/v1/workspaces/velo/conversations?q=" + url.QueryEscape(marker), "/inbox?view=all&ws=banque"} {
			res := c.json(t, w.base, http.MethodGet, p, "")
			if res.status != http.StatusOK || bytes.Contains(res.body, []byte(marker)) {
				t.Errorf("GET %s as %s: status %d, foreign marker %v", p, c.name, res.status, bytes.Contains(res.body, []byte(marker)))
			}
			if strings.Contains(p, "zorglub") && !bytes.Contains(res.body, []byte("velo-own")) {
				t.Errorf("GET %s as %s: the own workspace's conversation is not found: the search checks nothing", p, c.name)
			}
		}
	}
}

// checkFormTargets posts console forms whose fields name where the API
// call goes with paths instead of names: they must not reach another
// route of the API.
func checkFormTargets(t *testing.T, w *world) {
	t.Helper()
	owner := w.callers[0]
	for _, ws := range []string{"", "velo/route?", "velo/../banque", "velo%2Froute"} {
		p := fmt.Sprintf("/messages/%d/correct", w.own.msg)
		res := owner.form(t, w.base, p, url.Values{"ws": {ws}, "field": {"sentiment"}, "value": {"neg"}})
		if res.status != http.StatusNotFound {
			t.Errorf("POST %s with ws=%q: status %d, want 404; body %.300s", p, ws, res.status, res.body)
		}
	}
}

// checkEventStream replays the event stream from its start to every
// caller, after the foreign owner changed a conversation with the marker:
// the own workspace's events come, the foreign ones' never.
func checkEventStream(t *testing.T, w *world) {
	t.Helper()
	res := w.foreign.owner.json(t, w.base, http.MethodPost, fmt.Sprintf("/api/v1/conversations/%d/notes", w.foreign.conv),
		`{"body":"zorglub `+marker+` late"}`)
	if res.status >= 300 {
		t.Fatalf("foreign note: status %d: %s", res.status, res.body)
	}
	own := fmt.Sprintf(`"conversation_id":%d`, w.own.conv)
	for _, c := range w.callers {
		res := w.peek(t, c, "/api/v1/events?last_event_id=1", time.Second)
		if bytes.Contains(res.body, []byte(marker)) || bytes.Contains(res.body, []byte(fmt.Sprintf(`"workspace_id":%d`, w.foreign.ws.ID))) {
			t.Errorf("the event stream of %s tells of the foreign workspace: %.500s", c.name, res.body)
		}
		if c.role != "" && c.role != model.RoleClient && !bytes.Contains(res.body, []byte(own)) {
			t.Errorf("the event stream of %s (status %d) replays nothing of the own conversation: the check checks nothing: %.300s",
				c.name, res.status, res.body)
		}
	}
}

// peek reads an event stream for a while, then hangs up.
func (w *world) peek(t *testing.T, c caller, path string, wait time.Duration) response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.client().Do(req)
	if err != nil {
		t.Fatalf("GET %s as %s: %v", path, c.name, err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	_, _ = io.Copy(&buf, bufio.NewReader(res.Body)) // ends when the wait does
	return response{status: res.StatusCode, header: res.Header, body: buf.Bytes()}
}

// foreignState is what the foreign workspace holds that the matrix's
// calls could have changed, as one text.
func foreignState(t *testing.T, w *world) string {
	t.Helper()
	ctx := context.Background()
	s := w.foreign
	var parts []any
	add := func(v any, err error) {
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, v)
	}
	c, err := w.st.Conversation(ctx, s.conv)
	add([]any{c.Status, c.Assignee, c.Priority}, err)
	add(w.st.ConversationTags(ctx, s.conv))
	notes, err := w.st.Notes(ctx, s.ws.ID, s.conv)
	add(len(notes), err)
	add(w.st.CannedReplies(ctx, s.ws.ID, ""))
	srcs, err := w.st.Sources(ctx, s.ws.ID)
	var names []string
	for _, src := range srcs {
		names = append(names, fmt.Sprint(src.ID, src.Name, src.Enabled, src.IntervalSeconds))
	}
	add(names, err)
	add(w.st.Webhooks(ctx, s.ws.ID))
	add(w.st.Topics(ctx, s.ws.ID))
	add(w.st.SavedViews(ctx, s.ownerID))
	toks, err := w.st.APITokens(ctx, s.ownerID)
	var live []string
	for _, tok := range toks {
		live = append(live, fmt.Sprint(tok.ID, tok.Name))
	}
	add(live, err)
	add(w.st.WorkspaceMembers(ctx, s.ws.ID))
	m, err := w.st.Member(ctx, s.ws.ID, s.member)
	add([]any{m.Tags, m.MergedInto}, err)
	mn, err := w.st.MemberNotes(ctx, s.ws.ID, s.member)
	add(len(mn), err)
	out, err := w.st.Outbox(ctx, s.ws.ID, "", 100)
	add(len(out), err)
	b, err := json.Marshal(parts)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
