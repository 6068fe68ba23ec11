package security_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"palabre/internal/api"
	"palabre/internal/auth"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/webtest"
)

// longEnv runs the suites in full: every combination of the matrix and
// the whole XSS corpus through every input.
const longEnv = "PALABRE_SECURITY_LONG"

func long() bool { return os.Getenv(longEnv) == "1" }

// response is an answer of the server.
type response struct {
	status int
	header http.Header
	body   []byte
}

// caller is who makes a request: a signed-in browser (a session cookie,
// whose CSRF token goes with every change), an API token, or a stranger.
type caller struct {
	name    string
	role    string // the role in the world's own workspace; "" for strangers
	session *webtest.Session
	token   string
}

// client is a browser that follows no redirect, with the session's
// cookies if any.
func (c caller) client() *http.Client {
	if c.session != nil {
		return c.session.Client
	}
	// Long enough for an import of the whole corpus under -race on a
	// busy machine.
	return &http.Client{Timeout: 2 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// do sends a request as c to the server at base: an API call with a JSON
// body (the session's CSRF header with it), or a console form (the
// form's csrf field added), or a plain GET.
func (c caller) do(t testing.TB, base, method, path string, body []byte, contentType string, header map[string]string) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatalf("%s %s as %s: %v", method, path, c.name, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.session != nil {
		req.Header.Set(api.CSRFHeader, c.session.CSRF)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.client().Do(req)
	if err != nil {
		t.Fatalf("%s %s as %s: %v", method, path, c.name, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s as %s: read the answer: %v", method, path, c.name, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// json sends an API call with a JSON body ("" for none).
func (c caller) json(t testing.TB, base, method, path, body string) response {
	t.Helper()
	if body == "" {
		return c.do(t, base, method, path, nil, "", nil)
	}
	return c.do(t, base, method, path, []byte(body), "application/json", nil)
}

// form posts a console form with the session's CSRF token, asking for
// the API's answer rather than a redirect (as the console's script does).
func (c caller) form(t testing.TB, base, path string, f url.Values) response {
	t.Helper()
	g := url.Values{}
	for k, v := range f {
		g[k] = v
	}
	if c.session != nil {
		g.Set("csrf", c.session.CSRF)
	}
	return c.do(t, base, http.MethodPost, path, []byte(g.Encode()), "application/x-www-form-urlencoded",
		map[string]string{"Accept": "application/json"})
}

// side is one workspace of a world and the things in it that routes name
// by id.
type side struct {
	ws      model.Workspace
	channel string // the channel its messages were imported into
	owner   caller // its owner, with a read-write token, who plants its data
	ownerID int64
	login   string // a user with a role in it, other than its owner

	conv, msg  int64  // a conversation and its root message
	member     string // the author of conv
	topic      string
	canned     int64
	source     int64
	webhook    int64
	outbox     int64
	moderation int64
	view       int64 // a saved view of its owner
	token      int64 // an API token of its owner
}

// world is a server over two workspaces: own (velo), where one user per
// role works, and foreign (banque), whose owner alone works there.
type world struct {
	st        *store.Store
	base      string
	own       *side
	foreign   *side
	passwords map[string]string // by login
	// callers are everyone the matrix acts as: each role of own by session,
	// the CM's read-write API token, the owner's read-only API token, and
	// a stranger.
	callers []caller
}

// Roles of the own workspace, by login.
var ownRoles = []string{model.RoleOwner, model.RoleManager, model.RoleCM, model.RoleExpert, model.RoleClient}

// newWorld makes two workspaces, named ownName and foreignName, whose
// users' names end with their workspace's (the foreign one may carry a
// marker that must never reach the own workspace's users, the own one a
// hostile text), and serves them.
func newWorld(t *testing.T, st *store.Store, ownName, foreignName string) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{st: st, passwords: map[string]string{}}
	a, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "velo", Name: ownName, Language: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "banque", Name: foreignName, Language: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	w.base = webtest.Start(t, st)
	w.own = &side{ws: a, channel: "blog", login: model.RoleCM}
	w.foreign = &side{ws: b, channel: "forum", login: "bcm"}
	passwords := w.passwords
	ids := map[string]int64{}
	user := func(login, name string, ws model.Workspace, role string) {
		password := "pass phrase of " + login
		hash, err := auth.HashPassword(password, auth.Params{Memory: 64, Time: 1, Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		u, err := st.CreateUser(ctx, model.User{Login: login, Name: name}, hash, "test")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SetMembership(ctx, u.ID, ws.ID, role, "test"); err != nil {
			t.Fatal(err)
		}
		passwords[login], ids[login] = password, u.ID
	}
	for _, role := range ownRoles {
		user(role, strings.ToUpper(role[:1])+role[1:]+" of "+ownName, a, role)
	}
	user("bowner", "Owner of "+foreignName, b, model.RoleOwner)
	user("bcm", "CM of "+foreignName, b, model.RoleCM)
	for _, role := range ownRoles {
		w.callers = append(w.callers, caller{name: role, role: role, session: webtest.SignIn(t, w.base, role, passwords[role])})
	}
	token := func(login string, write bool) (string, int64) {
		secret, hash, err := auth.NewAPIToken()
		if err != nil {
			t.Fatal(err)
		}
		tok, err := st.CreateAPIToken(ctx, model.APIToken{UserID: ids[login], Name: "token of " + login, CanWrite: write}, hash, "test")
		if err != nil {
			t.Fatal(err)
		}
		return secret, tok.ID
	}
	cmToken, _ := token(model.RoleCM, true)
	readOnly, _ := token(model.RoleOwner, false)
	w.callers = append(w.callers,
		caller{name: "cm's API token", role: model.RoleCM, token: cmToken},
		caller{name: "owner's read-only API token", role: model.RoleOwner, token: readOnly},
		caller{name: "stranger"})
	for _, s := range []struct {
		side  *side
		login string
	}{{w.own, model.RoleOwner}, {w.foreign, "bowner"}} {
		secret, id := token(s.login, true)
		s.side.owner = caller{name: s.login, role: model.RoleOwner, token: secret}
		s.side.ownerID, s.side.token = ids[s.login], id
	}
	return w
}

// plantResult counts what the inputs did with the texts planted.
type plantResult struct {
	calls, refused int
}

// plant pushes texts through every input of s's workspace, as its owner:
// an import (every text, as a message's body and its author's name, in a
// conversation of its own), then, for each of the first `each` texts, a
// topic (before the import), a note, a reply, a tag, a member's note and
// tag, a canned reply, a source, a webhook and a saved view; then all of them at once in the
// service levels' names, routing rules, alert keywords and the owner's
// specialisations. A refusal (4xx) is fine, a 5xx fails the test. It
// fills the ids of s that routes need.
func (w *world) plant(t *testing.T, s *side, texts []string, each int) plantResult {
	t.Helper()
	ctx := context.Background()
	var pr plantResult
	call := func(method, path, body string) response {
		t.Helper()
		res := s.owner.json(t, w.base, method, path, body)
		pr.calls++
		if res.status >= 500 {
			t.Errorf("plant %s %s %s: status %d: %s", method, path, body, res.status, res.body)
		} else if res.status >= 400 {
			pr.refused++
			t.Logf("plant %s %s: refused (%d): %.200s", method, path, res.status, res.body)
		}
		return res
	}
	in := func(rest string) string { return "/api/v1/workspaces/" + s.ws.Slug + rest }
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}

	// Topics first, so that the import files its messages under them.
	for _, text := range texts[:min(each, len(texts))] {
		call(http.MethodPut, in("/topics/"+url.PathEscape(text)), enc(map[string]any{"terms": []string{text}}))
	}
	var nd strings.Builder
	now := time.Now().UTC().Add(-time.Hour)
	for i, text := range texts {
		at := now.Add(time.Duration(i) * time.Second).Format(time.RFC3339)
		root := fmt.Sprintf("t%d", i)
		for _, m := range []map[string]any{
			{"external_id": root, "conversation_external_id": root, "kind": "post", "author_name": text,
				"author_email": fmt.Sprintf("p%d@example.org", i), "body": text, "created_at": at},
			{"external_id": root + "-r", "conversation_external_id": root, "parent_external_id": root, "kind": "comment",
				"author_name": "Re " + text, "author_email": fmt.Sprintf("q%d@example.org", i), "body": text + " — pourquoi ?", "created_at": at},
		} {
			nd.WriteString(enc(m) + "\n")
		}
	}
	if res := call(http.MethodPost, in("/imports?format=ndjson&channel="+s.channel), nd.String()); res.status != http.StatusOK {
		t.Fatalf("import into %s: status %d: %s", s.ws.Slug, res.status, res.body)
	}
	for _, c := range w.conversations(t, s) {
		if c.RootExternalID == "t0" {
			s.conv = c.ID
		}
	}
	msgs, err := w.st.ConversationMessages(ctx, s.conv)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("conversation t0 of %s: %v, %v", s.ws.Slug, msgs, err)
	}
	s.msg, s.member = msgs[0].ID, msgs[0].MemberID
	conv := fmt.Sprintf("/api/v1/conversations/%d", s.conv)
	idOf := func(res response) int64 {
		var v struct {
			ID int64 `json:"id"`
		}
		if res.status < 300 {
			if err := json.Unmarshal(res.body, &v); err != nil {
				t.Fatalf("no id in %s: %v", res.body, err)
			}
		}
		return v.ID
	}
	keep := func(id *int64, v int64) {
		if *id == 0 {
			*id = v
		}
	}
	// Ids in paths are plain: a marker in them would come back in every
	// refusal that names what was asked for.
	s.topic = "tarifs"
	call(http.MethodPut, in("/topics/tarifs"), `{"terms":["tarif"]}`)
	keep(&s.source, idOf(call(http.MethodPost, in("/sources"), `{"channel":"hooks","kind":"webhook","name":"hooks","config":{}}`)))
	for i, text := range texts[:min(each, len(texts))] {
		call(http.MethodPost, conv+"/notes", enc(map[string]any{"body": text}))
		call(http.MethodPost, conv+"/replies", enc(map[string]any{"body": text, "confirm": true, "client_id": fmt.Sprintf("plant-%d", i)}))
		call(http.MethodPatch, conv, enc(map[string]any{"add_tags": []string{text}}))
		call(http.MethodPost, in("/people/"+s.member+"/notes"), enc(map[string]any{"body": text}))
		call(http.MethodPatch, in("/people/"+s.member), enc(map[string]any{"add_tags": []string{text}}))
		keep(&s.canned, idOf(call(http.MethodPost, in("/canned-replies"), enc(map[string]any{"name": text, "language": "fr", "body": text}))))
		keep(&s.source, idOf(call(http.MethodPost, in("/sources"), enc(map[string]any{"channel": "hooks", "kind": "webhook", "name": text, "config": map[string]any{}}))))
		keep(&s.webhook, idOf(call(http.MethodPost, in("/webhooks"), enc(map[string]any{"url": "https://hooks.example.com/in?x=" + url.QueryEscape(text), "events": []string{"conversation."}}))))
		call(http.MethodPost, in("/webhooks"), enc(map[string]any{"url": text, "events": []string{"conversation."}}))
		keep(&s.view, idOf(call(http.MethodPost, "/api/v1/me/views", enc(map[string]any{"name": text, "query": "q=" + url.QueryEscape(text)}))))
	}
	some := texts[:min(10, len(texts))]
	var policies, rules []map[string]any
	var specs []map[string]any
	for _, text := range some {
		policies = append(policies, map[string]any{"name": text, "first_response": "4h"})
		rules = append(rules, map[string]any{"name": text, "when": map[string]any{"channel": "nowhere"}, "then": map[string]any{"tags": []string{text}}})
		specs = append(specs, map[string]any{"workspace": s.ws.Slug, "topic": text, "strength": 0.5})
	}
	call(http.MethodPut, in("/sla"), enc(map[string]any{"calendar": map[string]any{"time_zone": "Europe/Paris"}, "policies": policies}))
	call(http.MethodPut, in("/routing-rules"), enc(map[string]any{"rules": rules}))
	call(http.MethodPut, in("/alert-settings"), enc(map[string]any{"enabled": true, "keywords": some}))
	login := s.owner.name
	call(http.MethodPut, "/api/v1/users/"+login+"/profile", enc(map[string]any{"languages": []string{"fr"}, "specialisations": specs}))
	call(http.MethodPost, in(fmt.Sprintf("/messages/%d/moderation", s.msg)), `{"action":"spam"}`)

	// What the server made of it: the ids the routes need.
	if s.canned == 0 {
		keep(&s.canned, idOf(call(http.MethodPost, in("/canned-replies"), `{"name":"plain","language":"fr","body":"Bonjour."}`)))
	}
	if s.webhook == 0 {
		keep(&s.webhook, idOf(call(http.MethodPost, in("/webhooks"), `{"url":"https://hooks.example.com/plain","events":["conversation."]}`)))
	}
	if s.view == 0 {
		keep(&s.view, idOf(call(http.MethodPost, "/api/v1/me/views", `{"name":"plain","query":"view=all"}`)))
	}
	out, err := w.st.Outbox(ctx, s.ws.ID, "", 10)
	if err != nil || len(out) == 0 {
		t.Fatalf("outbox of %s: %v, %v", s.ws.Slug, out, err)
	}
	s.outbox = out[0].ID
	// Only channels whose platform is told of moderations keep them; an
	// imported channel has none, so its moderation routes are called with
	// an id that names nothing (TestAuthorizationMatrix has real ones).
	mods, err := w.st.Moderations(ctx, s.ws.ID, "", 10)
	if err != nil {
		t.Fatalf("moderations of %s: %v", s.ws.Slug, err)
	}
	if s.moderation = 1 << 40; len(mods) > 0 {
		s.moderation = mods[0].ID
	}
	for name, id := range map[string]int64{"canned reply": s.canned, "source": s.source, "webhook": s.webhook, "view": s.view} {
		if id == 0 {
			t.Fatalf("no %s planted in %s", name, s.ws.Slug)
		}
	}
	return pr
}

// conversations are every conversation of s's workspace.
func (w *world) conversations(t *testing.T, s *side) []model.Conversation {
	t.Helper()
	var out []model.Conversation
	f := store.ConversationFilter{Limit: 500}
	for {
		page, err := w.st.Conversations(context.Background(), s.ws.ID, f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Conversations...)
		if page.Next == "" {
			return out
		}
		f.Cursor = page.Next
	}
}

// askExpert has the own workspace's owner ask its expert into the
// planted conversation, the only one they may then see.
func (w *world) askExpert(t *testing.T) {
	t.Helper()
	res := w.own.owner.json(t, w.base, http.MethodPost, fmt.Sprintf("/api/v1/conversations/%d/notes", w.own.conv),
		`{"body":"@expert, pouvez-vous regarder ?"}`)
	if res.status != http.StatusCreated && res.status != http.StatusOK {
		t.Fatalf("ask the expert in: status %d: %s", res.status, res.body)
	}
}

func itoa(n int64) string { return fmt.Sprint(n) }
