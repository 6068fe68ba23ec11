package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"palabre/internal/api"
	"palabre/internal/auth"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// fastParams hash the test users' passwords cheaply: these tests check
// sign-in, not argon2's cost.
func fastParams() auth.Params { return auth.Params{Memory: 64, Time: 1, Threads: 1} }

// Who the authorization tests act as, besides the roles of workspace A.
const (
	admin    = "admin"    // an administrator, with no role anywhere
	nobody   = "nobody"   // a user with no role at all
	outsider = "outsider" // a CM of workspace B only, whose profile only admin reaches
	target   = "target"   // a user with no role, whose role the matrix changes
)

// world is the API over two workspaces, A (velo) and B (banque), with an
// administrator, one user per role in A (and none in B) and a user with no
// role, each with a password and a read-write API token; and, outside
// names, the outsider, a CM of B only. The expert is asked into convA (the
// owner @mentions them in a note), and into nothing else.
type world struct {
	*fixture
	st           *store.Store
	a, b         model.Workspace
	msgA, msgB   int64 // a message of each workspace
	convA, convB int64 // a conversation of each workspace
	names        []string
	people       map[string]person
}

// person is one user of a world. Their login is their name.
type person struct {
	user     model.User
	password string
	token    string // read-write, every workspace the user may see
}

func newWorld(t *testing.T, st *store.Store) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{fixture: serve(t, st), st: st, people: make(map[string]person)}
	var err error
	if w.a, err = st.WorkspaceBySlug(ctx, "velo"); err != nil {
		t.Fatal(err)
	}
	if w.b, err = st.WorkspaceBySlug(ctx, "banque"); err != nil {
		t.Fatal(err)
	}
	w.msgA, w.convA = firstMessage(t, st, w.a.ID, "p0")
	w.msgB, w.convB = firstMessage(t, st, w.b.ID, "r")
	w.names = []string{admin, model.RoleOwner, model.RoleManager, model.RoleCM, model.RoleExpert, model.RoleClient, nobody}
	for _, name := range w.names {
		p := w.addUser(t, name, name == admin)
		if model.ValidRole(name) {
			if err := st.SetMembership(ctx, p.user.ID, w.a.ID, name, "test"); err != nil {
				t.Fatal(err)
			}
		}
		p.token, _ = w.newToken(t, p.user.ID, model.APIToken{Name: "read-write", CanWrite: true})
		w.people[name] = p
	}
	// The owner asks the expert into conversation A, the only one they
	// may then see.
	if _, err := st.AddNote(ctx, w.a.ID, w.convA, w.people[model.RoleOwner].user, "@expert, pouvez-vous regarder ?", time.Now()); err != nil {
		t.Fatal(err)
	}
	o := w.addUser(t, outsider, false)
	if err := st.SetMembership(ctx, o.user.ID, w.b.ID, model.RoleCM, "test"); err != nil {
		t.Fatal(err)
	}
	w.people[outsider] = o
	w.people[target] = w.addUser(t, target, false)
	return w
}

// addUser creates a user whose login is login, with a password.
func (w *world) addUser(t *testing.T, login string, isAdmin bool) person {
	t.Helper()
	p := person{password: "pass phrase of " + login}
	hash, err := auth.HashPassword(p.password, fastParams())
	if err != nil {
		t.Fatal(err)
	}
	if p.user, err = w.st.CreateUser(context.Background(), model.User{Login: login, IsAdmin: isAdmin}, hash, "test"); err != nil {
		t.Fatal(err)
	}
	return p
}

// newToken creates an API token like tok for a user and returns its secret.
func (w *world) newToken(t *testing.T, userID int64, tok model.APIToken) (string, model.APIToken) {
	t.Helper()
	secret, hash, err := auth.NewAPIToken()
	if err != nil {
		t.Fatal(err)
	}
	tok.UserID = userID
	created, err := w.st.CreateAPIToken(context.Background(), tok, hash, "test")
	if err != nil {
		t.Fatal(err)
	}
	return secret, created
}

// opt adds credentials or headers to a request.
type opt func(*http.Request)

func withToken(token string) opt {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

func withAuthorization(value string) opt {
	return func(r *http.Request) { r.Header.Set("Authorization", value) }
}

func withSession(secret string) opt {
	return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: secret}) }
}

func withCSRF(token string) opt {
	return func(r *http.Request) { r.Header.Set(api.CSRFHeader, token) }
}

func withHeader(name, value string) opt {
	return func(r *http.Request) { r.Header.Set(name, value) }
}

// call makes a request with only the credentials opts give.
func (f *fixture) call(t *testing.T, method, path, body string, opts ...opt) response {
	t.Helper()
	return f.callFrom(t, "", method, path, body, opts...)
}

// callFrom makes a request from a loopback address of its own, such as
// 127.0.0.9, so that the API, which throttles sign-ins per client address,
// sees another client; "" is 127.0.0.1. Redirects are not followed.
func (f *fixture) callFrom(t *testing.T, ip, method, path, body string, opts ...opt) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	client := &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if ip != "" {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
		client.Transport = &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// cookie returns the cookie named name that res sets, or nil.
func cookie(res response, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: res.header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// meAnswer is the body of a login and of GET /api/v1/me.
type meAnswer struct {
	User        model.User         `json:"user"`
	Memberships []model.Membership `json:"memberships"`
	CSRFToken   string             `json:"csrf_token"`
	ExpiresAt   *time.Time         `json:"expires_at"`
}

// checkMe checks that body is a 200 answer of login or me for the person
// named who of w.
func checkMe(t *testing.T, w *world, who string, body []byte) meAnswer {
	t.Helper()
	var me meAnswer
	if err := json.Unmarshal(body, &me); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
	if me.User.Login != who || me.User.ID != w.people[who].user.ID || me.User.IsAdmin != (who == admin) {
		t.Errorf("user %+v, want %s", me.User, who)
	}
	var roles []string
	for _, m := range me.Memberships {
		roles = append(roles, m.Workspace+":"+m.Role)
	}
	var want []string
	if model.ValidRole(who) {
		want = []string{"velo:" + who}
	}
	if !slices.Equal(roles, want) || !bytes.Contains(body, []byte(`"memberships":[`)) {
		t.Errorf("memberships %v, want %v, in %s", roles, want, body)
	}
	if bytes.Contains(body, []byte("argon2")) || bytes.Contains(body, []byte("password")) {
		t.Errorf("the answer tells of the password: %s", body)
	}
	return me
}

// workspaceSlugs decodes a GET /api/v1/workspaces answer into its slugs,
// sorted.
func workspaceSlugs(t *testing.T, body []byte) []string {
	t.Helper()
	var got struct {
		Workspaces []model.Workspace `json:"workspaces"`
	}
	if err := json.Unmarshal(body, &got); err != nil || got.Workspaces == nil {
		t.Fatalf("workspaces: %v in %s", err, body)
	}
	slugs := []string{}
	for _, ws := range got.Workspaces {
		slugs = append(slugs, ws.Slug)
	}
	slices.Sort(slugs)
	return slugs
}

// outcome is the status each role of a workspace gets there on a route.
type outcome struct{ owner, manager, cm, expert, client int }

func (o outcome) of(role string) int {
	switch role {
	case model.RoleOwner:
		return o.owner
	case model.RoleManager:
		return o.manager
	case model.RoleCM:
		return o.cm
	case model.RoleExpert:
		return o.expert
	case model.RoleClient:
		return o.client
	}
	return http.StatusNotFound
}

// matrixRoute is one route of the API as the authorization matrix calls
// it.
type matrixRoute struct {
	pattern string // as in the route table and openapi.json
	// path is the route's path for the person named who, in A (own) or B;
	// routes outside a workspace ignore own.
	path func(w *world, who string, own bool) string
	body func(w *world, who string, own bool) string // nil for none
	// inWorkspace routes answer as roles says in A, 404 in B, and as
	// roles.owner in both to an administrator; the others answer ok to
	// everyone.
	inWorkspace bool
	roles       outcome
	ok          int
	// status, when set, decides instead of inWorkspace, roles and ok,
	// in A (own) and B.
	status func(who string, own bool) int
	check  func(t *testing.T, w *world, who string, body []byte) // of a 2xx answer
	// stream routes answer Server-Sent Events until the client leaves:
	// the matrix reads their headers and first lines (the body given to
	// check), then hangs up.
	stream bool
}

// want is the status the person named who gets on rt in A (own) or B.
func (rt matrixRoute) want(who string, own bool) int {
	switch {
	case rt.status != nil:
		return rt.status(who, own)
	case !rt.inWorkspace:
		return rt.ok
	case who == admin:
		return rt.roles.owner
	case !own:
		return http.StatusNotFound
	}
	return rt.roles.of(who)
}

func (w *world) ws(own bool) model.Workspace {
	if own {
		return w.a
	}
	return w.b
}

func (w *world) wsPath(own bool, rest string) string {
	return "/api/v1/workspaces/" + w.ws(own).Slug + rest
}

// matrixRoutes lists every route of the API; TestAuthorizationMatrix
// checks that openapi.json documents no other.
func matrixRoutes() []matrixRoute {
	fixed := func(p string) func(*world, string, bool) string {
		return func(*world, string, bool) string { return p }
	}
	in := func(rest string) func(*world, string, bool) string {
		return func(w *world, _ string, own bool) string { return w.wsPath(own, rest) }
	}
	// Experts reach no whole workspace: only the conversations they are
	// asked into.
	readable := outcome{owner: 200, manager: 200, cm: 200, expert: 404, client: 200}
	// What reads a conversation: the expert was asked into convA.
	convReadable := outcome{owner: 200, manager: 200, cm: 200, expert: 200, client: 200}
	// What works on a workspace: owner, manager and CM.
	working := outcome{owner: 200, manager: 200, cm: 200, expert: 404, client: 403}
	// What manages a workspace: owner and manager.
	managing := outcome{owner: 200, manager: 200, cm: 403, expert: 404, client: 403}
	// conv is the path of convA (own) or convB, then rest.
	conv := func(rest string) func(*world, string, bool) string {
		return func(w *world, _ string, own bool) string {
			if own {
				return fmt.Sprintf("/api/v1/conversations/%d%s", w.convA, rest)
			}
			return fmt.Sprintf("/api/v1/conversations/%d%s", w.convB, rest)
		}
	}
	side := func(own bool) string {
		if own {
			return "a"
		}
		return "b"
	}
	// A profile: in A, the CM's, which they, A's owner and manager and the
	// administrator reach; in B, the outsider's, which only the
	// administrator reaches.
	profilePath := func(_ *world, _ string, own bool) string {
		if own {
			return "/api/v1/users/" + model.RoleCM + "/profile"
		}
		return "/api/v1/users/" + outsider + "/profile"
	}
	profileStatus := func(who string, own bool) int {
		switch {
		case who == admin, own && (who == model.RoleOwner || who == model.RoleManager || who == model.RoleCM):
			return 200
		}
		return 404
	}
	checkProfile := func(t *testing.T, _ *world, _ string, body []byte) {
		if !bytes.Contains(body, []byte(`"sectors":[`)) || !bytes.Contains(body, []byte(`"time_zone":`)) {
			t.Errorf("not a profile view: %s", body)
		}
	}
	// What only an administrator of the instance may do.
	adminOnly := func(status int) func(string, bool) int {
		return func(who string, _ bool) int {
			if who == admin {
				return status
			}
			return http.StatusForbidden
		}
	}
	return []matrixRoute{
		// Signed, not authenticated: without a webhook on the channel,
		// every caller gets 404.
		{pattern: "POST /api/v1/hooks/{slug}/{channel}", path: fixed("/api/v1/hooks/velo/blog"), ok: http.StatusNotFound,
			body: func(*world, string, bool) string { return `{}` }},
		{pattern: "POST /api/v1/login", path: fixed("/api/v1/login"), ok: 200,
			body: func(w *world, who string, _ bool) string {
				return fmt.Sprintf(`{"login":%q,"password":%q}`, who, w.people[who].password)
			},
			check: func(t *testing.T, w *world, who string, body []byte) {
				if me := checkMe(t, w, who, body); me.CSRFToken == "" {
					t.Errorf("login answers no csrf_token: %s", body)
				}
			}},
		{pattern: "POST /api/v1/logout", path: fixed("/api/v1/logout"), ok: 204},
		{pattern: "DELETE /api/v1/sessions", path: fixed("/api/v1/sessions"), ok: 204},
		{pattern: "GET /api/v1/me", path: fixed("/api/v1/me"), ok: 200,
			check: func(t *testing.T, w *world, who string, body []byte) { checkMe(t, w, who, body) }},
		{pattern: "PUT /api/v1/me/status", path: fixed("/api/v1/me/status"), ok: 200,
			body: func(*world, string, bool) string { return `{"status":"away"}` },
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"login":"`+who+`"`)) || !bytes.Contains(body, []byte(`"status":"away"`)) {
					t.Errorf("not %s's profile, away: %s", who, body)
				}
			}},
		// A password is changed under a session, never with a token.
		{pattern: "PUT /api/v1/me/password", path: fixed("/api/v1/me/password"), ok: 403,
			body: func(w *world, who string, _ bool) string {
				return fmt.Sprintf(`{"current_password":%q,"new_password":"a new pass phrase"}`, w.people[who].password)
			}},
		{pattern: "GET /api/v1/users/{login}/profile", path: profilePath, status: profileStatus, check: checkProfile},
		{pattern: "PUT /api/v1/users/{login}/profile", path: profilePath, status: profileStatus, check: checkProfile,
			body: func(_ *world, who string, _ bool) string {
				return `{"languages":["fr"],"capacity":` + strconv.Itoa(len(who)) + `}`
			}},
		// Across workspaces: each caller counts those they may read.
		{pattern: "GET /api/v1/metrics", path: fixed("/api/v1/metrics?from=2020-01-01"), ok: 200,
			check: func(t *testing.T, w *world, who string, body []byte) {
				var a struct {
					Groups []struct{ Key string }
				}
				if err := json.Unmarshal(body, &a); err != nil {
					t.Fatalf("not metrics: %s", body)
				}
				var got []string
				for _, g := range a.Groups {
					got = append(got, g.Key)
				}
				want := []string(nil)
				switch who {
				case admin:
					want = []string{"banque", "velo"}
				case model.RoleOwner, model.RoleManager, model.RoleCM, model.RoleClient:
					want = []string{"velo"}
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s's metrics across workspaces: %v, want %v", who, got, want)
				}
			}},
		{pattern: "GET /api/v1/workspaces", path: fixed("/api/v1/workspaces"), ok: 200,
			check: func(t *testing.T, w *world, who string, body []byte) {
				want := []string{}
				switch who {
				case admin:
					want = []string{"banque", "velo"}
				case model.RoleOwner, model.RoleManager, model.RoleCM, model.RoleClient:
					want = []string{"velo"}
				}
				if got := workspaceSlugs(t, body); !slices.Equal(got, want) {
					t.Errorf("workspaces %v, want %v", got, want)
				}
			}},
		{pattern: "GET /api/v1/workspaces/{slug}/conversations", path: in("/conversations"),
			inWorkspace: true, roles: convReadable,
			check: func(t *testing.T, w *world, who string, body []byte) {
				ids := conversationIDs(t, body)
				if who == model.RoleExpert && !slices.Equal(ids, []int64{w.convA}) {
					t.Errorf("the expert's queue %v, want only conversation A %d", ids, w.convA)
				}
				if len(ids) == 0 {
					t.Errorf("no conversation listed: %s", body)
				}
			}},
		{pattern: "GET /api/v1/workspaces/{slug}/topics", path: in("/topics"), inWorkspace: true, roles: readable},
		{pattern: "PUT /api/v1/workspaces/{slug}/topics/{name}",
			path: func(w *world, who string, own bool) string { return w.wsPath(own, "/topics/put-"+who) },
			body: func(*world, string, bool) string { return `{"terms":["pneu","chambre à air"]}` }, inWorkspace: true,
			roles: outcome{owner: 201, manager: 201, cm: 403, expert: 404, client: 403}},
		{pattern: "DELETE /api/v1/workspaces/{slug}/topics/{name}",
			path:        func(w *world, who string, own bool) string { return w.wsPath(own, "/topics/del-"+who) },
			inWorkspace: true, roles: outcome{owner: 204, manager: 204, cm: 403, expert: 404, client: 403}},
		{pattern: "POST /api/v1/workspaces/{slug}/analyze", path: in("/analyze"),
			body:        func(*world, string, bool) string { return `{"text":"Mon colis n'est jamais arrivé, que faire ?"}` },
			inWorkspace: true, roles: readable,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"sentiment"`)) {
					t.Errorf("not an analysis: %s", body)
				}
			}},
		{pattern: "GET /api/v1/workspaces/{slug}/corrections", path: in("/corrections"), inWorkspace: true, roles: readable},
		{pattern: "POST /api/v1/workspaces/{slug}/messages/{id}/corrections",
			path: func(w *world, _ string, own bool) string {
				msg := w.msgB
				if own {
					msg = w.msgA
				}
				return w.wsPath(own, fmt.Sprintf("/messages/%d/corrections", msg))
			},
			body:        func(*world, string, bool) string { return `{"field":"sentiment","value":"neg"}` },
			inWorkspace: true, roles: outcome{owner: 201, manager: 201, cm: 201, expert: 404, client: 403}},
		{pattern: "GET /api/v1/workspaces/{slug}/routing-rules", path: in("/routing-rules"), inWorkspace: true, roles: working,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte(`{"rules":[`)) {
					t.Errorf("not a list of rules: %s", body)
				}
			}},
		{pattern: "PUT /api/v1/workspaces/{slug}/routing-rules", path: in("/routing-rules"), inWorkspace: true, roles: managing,
			// A rule that matches nothing, so that routing below changes
			// no tag.
			body: func(_ *world, who string, _ bool) string {
				return `{"rules":[{"name":"rule of ` + who + `","when":{"channel":"nowhere"},"then":{"tags":["rule-` + who + `"]}}]}`
			},
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"name":"rule of `+who+`"`)) {
					t.Errorf("not %s's rules: %s", who, body)
				}
			}},
		{pattern: "POST /api/v1/workspaces/{slug}/routing-rules/preview", path: in("/routing-rules/preview"), inWorkspace: true, roles: managing,
			body: func(*world, string, bool) string { return `{"rules":[],"limit":1}` },
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte(`{"conversations":[`)) {
					t.Errorf("not a routing preview: %s", body)
				}
			}},
		// An empty file: the import is refused after the caller's access
		// is checked, and the world stays as it is.
		{pattern: "POST /api/v1/workspaces/{slug}/imports", path: in("/imports"), inWorkspace: true,
			roles: outcome{owner: 422, manager: 422, cm: 403, expert: 404, client: 403}},
		{pattern: "POST /api/v1/workspaces/{slug}/route", path: in("/route"), inWorkspace: true, roles: managing,
			check: func(t *testing.T, w *world, who string, body []byte) {
				var sum struct{ Assigned, Unassigned *int }
				if err := json.Unmarshal(body, &sum); err != nil || sum.Assigned == nil || sum.Unassigned == nil {
					t.Errorf("not a routing summary: %s (%v)", body, err)
				}
			}},
		{pattern: "POST /api/v1/workspaces/{slug}/conversations/bulk", path: in("/conversations/bulk"), inWorkspace: true, roles: working,
			body: func(w *world, who string, own bool) string {
				id := w.convB
				if own {
					id = w.convA
				}
				return fmt.Sprintf(`{"ids":[%d],"add_tags":["bulk-%s"]}`, id, who)
			},
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"bulk-`+who+`"`)) || len(conversationIDs(t, body)) != 1 {
					t.Errorf("not one conversation tagged bulk-%s: %s", who, body)
				}
			}},
		{pattern: "GET /api/v1/workspaces/{slug}/metrics", path: in("/metrics?by=channel"), inWorkspace: true, roles: readable,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"total":{"period":`)) || !bytes.Contains(body, []byte(`"groups":[{"key":`)) {
					t.Errorf("not metrics by channel: %s", body)
				}
			}},
		{pattern: "GET /api/v1/workspaces/{slug}/metrics.csv", path: in("/metrics.csv?by=channel"), inWorkspace: true, roles: readable,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte("scope,key,from,to,in,out,")) || !bytes.Contains(body, []byte("\ntotal,,")) {
					t.Errorf("not metrics as CSV: %s", body)
				}
			}},
		{pattern: "GET /api/v1/workspaces/{slug}/engagement-weights", path: in("/engagement-weights"), inWorkspace: true, roles: readable,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte(`{"messages":`)) {
					t.Errorf("not weights: %s", body)
				}
			}},
		{pattern: "PUT /api/v1/workspaces/{slug}/engagement-weights", path: in("/engagement-weights"), inWorkspace: true, roles: managing,
			body: func(*world, string, bool) string {
				return `{"messages":1,"conversations":2,"days":3,"positive":2,"helpful":5,"negative":1}`
			},
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"helpful":5`)) {
					t.Errorf("weights not kept: %s", body)
				}
			}},
		{pattern: "GET /api/v1/workspaces/{slug}/insights", path: in("/insights?from=2020-01-01"), inWorkspace: true, roles: readable,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"topics":[{"topic":"","messages":`)) {
					t.Errorf("not insights: %s", body)
				}
			}},
		{pattern: "GET /api/v1/workspaces/{slug}/insights.md", path: in("/insights.md"), inWorkspace: true, roles: readable,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte("# What ")) || !bytes.Contains(body, []byte("## All messages")) {
					t.Errorf("not insights in Markdown: %s", body)
				}
			}},
		{pattern: "GET /api/v1/workspaces/{slug}/insights.csv", path: in("/insights.csv"), inWorkspace: true, roles: readable,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte("topic,kind,text,count,before,message_id,at")) {
					t.Errorf("not insights as CSV: %s", body)
				}
			}},
		{pattern: "GET /api/v1/workspaces/{slug}/reports/{file}", path: in("/reports/2026-10.csv"), inWorkspace: true, roles: readable,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte("2026-10-01")) {
					t.Errorf("not a report as CSV: %s", body)
				}
			}},
		{pattern: "GET /api/v1/workspaces/{slug}/report-schedule", path: in("/report-schedule"), inWorkspace: true, roles: working,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte(`{"schedule":{"enabled":`)) {
					t.Errorf("not a schedule: %s", body)
				}
			}},
		{pattern: "PUT /api/v1/workspaces/{slug}/report-schedule", path: in("/report-schedule"), inWorkspace: true, roles: managing,
			body: func(*world, string, bool) string { return `{"enabled":true,"recipients":["anne@example.org"]}` },
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"recipients":["anne@example.org"]`)) {
					t.Errorf("schedule not kept: %s", body)
				}
			}},
		{pattern: "POST /api/v1/workspaces/{slug}/report-schedule/send", path: in("/report-schedule/send"), inWorkspace: true, roles: managing,
			body: func(w *world, _ string, _ bool) string {
				for _, ws := range []model.Workspace{w.a, w.b} {
					sc := model.ReportSchedule{Enabled: true, Recipients: []string{"anne@example.org"}}
					if _, err := w.st.SetReportSchedule(context.Background(), ws.ID, sc, "2026-10", "test", time.Now()); err != nil {
						panic(err)
					}
				}
				return `{"month":"2026-10"}`
			},
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"month":"2026-10","status":"pending"`)) {
					t.Errorf("not queued: %s", body)
				}
			}},
		{pattern: "GET /api/v1/workspaces/{slug}/alert-settings", path: in("/alert-settings"), inWorkspace: true, roles: working,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"window_minutes":`)) {
					t.Errorf("not alert settings: %s", body)
				}
			}},
		{pattern: "PUT /api/v1/workspaces/{slug}/alert-settings", path: in("/alert-settings"), inWorkspace: true, roles: managing,
			body: func(*world, string, bool) string { return `{"enabled":true,"keywords":["rappel produit"]}` },
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"keywords":["rappel produit"]`)) {
					t.Errorf("settings not kept: %s", body)
				}
			}},
		{pattern: "GET /api/v1/workspaces/{slug}/alerts", path: in("/alerts"), inWorkspace: true, roles: working,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte(`{"alerts":[`)) {
					t.Errorf("not alerts: %s", body)
				}
			}},
		{pattern: "GET /api/v1/workspaces/{slug}/outbox", path: in("/outbox"), inWorkspace: true, roles: working,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte(`{"outbox":[`)) {
					t.Errorf("not an outbox: %s", body)
				}
			}},
		// A pending reply cannot be retried: those allowed get 409.
		{pattern: "POST /api/v1/workspaces/{slug}/outbox/{id}/retry",
			path: func(w *world, _ string, own bool) string {
				return w.wsPath(own, fmt.Sprintf("/outbox/%d/retry", w.outboxID(own)))
			},
			inWorkspace: true, roles: outcome{owner: 409, manager: 409, cm: 409, expert: 404, client: 403}},
		{pattern: "POST /api/v1/workspaces/{slug}/messages/{id}/moderation",
			path: func(w *world, _ string, own bool) string {
				msg := w.msgB
				if own {
					msg = w.msgA
				}
				return w.wsPath(own, fmt.Sprintf("/messages/%d/moderation", msg))
			},
			body:        func(*world, string, bool) string { return `{"action":"spam"}` },
			inWorkspace: true, roles: working,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"message_status":"spam","status":"pending"`)) {
					t.Errorf("not a pending moderation: %s", body)
				}
			}},
		{pattern: "GET /api/v1/workspaces/{slug}/moderations", path: in("/moderations"), inWorkspace: true, roles: working,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte(`{"moderations":[{`)) {
					t.Errorf("not a list of moderations: %s", body)
				}
			}},
		// A pending action cannot be retried: those allowed get 409.
		{pattern: "POST /api/v1/workspaces/{slug}/moderations/{id}/retry",
			path: func(w *world, _ string, own bool) string {
				return w.wsPath(own, fmt.Sprintf("/moderations/%d/retry", w.moderationID(own)))
			},
			inWorkspace: true, roles: outcome{owner: 409, manager: 409, cm: 409, expert: 404, client: 403}},
		{pattern: "GET /api/v1/conversations/{id}", path: conv(""), inWorkspace: true, roles: convReadable,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"messages":[{`)) {
					t.Errorf("not a conversation with its messages: %s", body)
				}
			}},
		{pattern: "PATCH /api/v1/conversations/{id}", path: conv(""), inWorkspace: true,
			roles: outcome{owner: 200, manager: 200, cm: 200, expert: 403, client: 403},
			body:  func(_ *world, who string, _ bool) string { return `{"add_tags":["patch-` + who + `"]}` },
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"patch-`+who+`"`)) {
					t.Errorf("not tagged patch-%s: %s", who, body)
				}
			}},
		{pattern: "GET /api/v1/conversations/{id}/history", path: conv("/history"), inWorkspace: true, roles: convReadable,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte(`{"events":[`)) {
					t.Errorf("not a history: %s", body)
				}
			}},
		{pattern: "GET /api/v1/conversations/{id}/notes", path: conv("/notes"), inWorkspace: true,
			roles: outcome{owner: 200, manager: 200, cm: 200, expert: 200, client: 403},
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte(`{"notes":[`)) {
					t.Errorf("not a list of notes: %s", body)
				}
			}},
		{pattern: "POST /api/v1/conversations/{id}/notes", path: conv("/notes"), inWorkspace: true,
			roles: outcome{owner: 201, manager: 201, cm: 201, expert: 201, client: 403},
			body:  func(_ *world, who string, _ bool) string { return `{"body":"note by ` + who + `"}` },
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"author":"`+who+`"`)) {
					t.Errorf("not %s's note: %s", who, body)
				}
			}},
		{pattern: "POST /api/v1/conversations/{id}/replies", path: conv("/replies"), inWorkspace: true,
			roles: outcome{owner: 201, manager: 201, cm: 201, expert: 403, client: 403},
			body: func(_ *world, who string, own bool) string {
				return `{"body":"reply by ` + who + `","confirm":true,"client_id":"matrix-` + who + `-` + side(own) + `"}`
			},
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"body":"reply by `+who+`"`)) || !bytes.Contains(body, []byte(`"replayed":false`)) {
					t.Errorf("not %s's new reply: %s", who, body)
				}
			}},
		{pattern: "GET /api/v1/users", path: fixed("/api/v1/users"), status: adminOnly(200),
			check: func(t *testing.T, w *world, _ string, body []byte) {
				for _, login := range append([]string{outsider, target}, w.names...) {
					if !bytes.Contains(body, []byte(`"login":"`+login+`"`)) {
						t.Errorf("users list lacks %s: %s", login, body)
					}
				}
			}},
		{pattern: "POST /api/v1/users", path: fixed("/api/v1/users"), status: adminOnly(201),
			body: func(_ *world, who string, own bool) string {
				return `{"login":"made-by-` + who + `-` + side(own) + `","password":"a long enough pass phrase"}`
			},
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"login":"made-by-`+who+`-`)) || bytes.Contains(body, []byte("pass phrase")) {
					t.Errorf("not a user made by %s, without their password: %s", who, body)
				}
			}},
		{pattern: "POST /api/v1/workspaces", path: fixed("/api/v1/workspaces"), status: adminOnly(201),
			body: func(_ *world, who string, own bool) string {
				return `{"slug":"ws-` + who + `-` + side(own) + `","name":"Made by ` + who + `"}`
			},
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"slug":"ws-`+who+`-`)) || !bytes.Contains(body, []byte(`"name":"Made by `+who+`"`)) {
					t.Errorf("not a workspace made by %s: %s", who, body)
				}
			}},
		{pattern: "GET /api/v1/workspaces/{slug}/members", path: in("/members"), inWorkspace: true, roles: working,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte(`{"members":[`)) || !bytes.Contains(body, []byte(`{"login":"leaver-cm","name":"leaver-cm","role":"client"}`)) {
					t.Errorf("not a list of members: %s", body)
				}
			}},
		// Each caller gives the target a role of its own (memberRoleBy), so
		// that the target's role after the matrix tells who last succeeded.
		{pattern: "PUT /api/v1/workspaces/{slug}/members/{login}", path: in("/members/" + target), inWorkspace: true,
			roles: managing,
			body:  func(_ *world, who string, _ bool) string { return `{"role":"` + memberRoleBy[who] + `"}` },
			check: func(t *testing.T, w *world, who string, body []byte) {
				if want := `{"login":"target","name":"target","role":"` + memberRoleBy[who] + `"}`; string(body) != want+"\n" {
					t.Errorf("PUT member as %s: %s, want %s", who, body, want)
				}
			}},
		// Each caller takes away the client role of a leaver of their own.
		{pattern: "DELETE /api/v1/workspaces/{slug}/members/{login}",
			path:        func(w *world, who string, own bool) string { return w.wsPath(own, "/members/leaver-"+who) },
			inWorkspace: true, roles: outcome{owner: 204, manager: 204, cm: 403, expert: 404, client: 403}},
		// Community members: m_person of A (own) or B, whom callers tag
		// and note, and a member per caller, merged into m_person, then
		// given back.
		{pattern: "GET /api/v1/workspaces/{slug}/people/{id}", path: in("/people/m_person"), inWorkspace: true, roles: readable,
			check: func(t *testing.T, w *world, who string, body []byte) {
				notes := []byte(`"notes":[`)
				if who == model.RoleClient {
					notes = []byte(`"notes":null`)
				}
				if !bytes.HasPrefix(body, []byte(`{"member":{"id":"m_person",`)) || !bytes.Contains(body, notes) ||
					!bytes.Contains(body, []byte(`"conversations":[{`)) || !bytes.Contains(body, []byte(`"sentiment":[{`)) {
					t.Errorf("not m_person's panel as %s sees it: %s", who, body)
				}
			}},
		{pattern: "PATCH /api/v1/workspaces/{slug}/people/{id}", path: in("/people/m_person"), inWorkspace: true, roles: working,
			body: func(_ *world, who string, _ bool) string { return `{"add_tags":["tag-` + who + `"]}` },
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"tag-`+who+`"`)) {
					t.Errorf("m_person not tagged by %s: %s", who, body)
				}
			}},
		{pattern: "POST /api/v1/workspaces/{slug}/people/{id}/notes", path: in("/people/m_person/notes"), inWorkspace: true,
			roles: outcome{owner: 201, manager: 201, cm: 201, expert: 404, client: 403},
			body:  func(_ *world, who string, _ bool) string { return `{"body":"note by ` + who + `"}` },
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"author":"`+who+`","body":"note by `+who+`"`)) {
					t.Errorf("not %s's note: %s", who, body)
				}
			}},
		{pattern: "POST /api/v1/workspaces/{slug}/people/{id}/merge", path: in("/people/m_person/merge"), inWorkspace: true, roles: working,
			body: func(_ *world, who string, _ bool) string { return `{"from":"m_from_` + who + `"}` },
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte(`{"id":"m_person",`)) {
					t.Errorf("not the member merged into: %s", body)
				}
			}},
		{pattern: "POST /api/v1/workspaces/{slug}/people/{id}/unmerge",
			path:        func(w *world, who string, own bool) string { return w.wsPath(own, "/people/m_from_"+who+"/unmerge") },
			inWorkspace: true, roles: working,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte(`{"id":"m_from_`+who+`",`)) || !bytes.Contains(body, []byte(`"message_count":1,`)) ||
					bytes.Contains(body, []byte(`merged_into`)) {
					t.Errorf("m_from_%s not given back: %s", who, body)
				}
			}},
		{pattern: "GET /api/v1/workspaces/{slug}/people/{id}/suggestions", path: in("/people/m_person/suggestions"), inWorkspace: true, roles: working,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte(`{"suggestions":[`)) {
					t.Errorf("not a list of suggestions: %s", body)
				}
			}},
		// Each caller says their own member is not the same person as
		// m_person.
		{pattern: "POST /api/v1/workspaces/{slug}/people/{id}/dismiss", path: in("/people/m_person/dismiss"), inWorkspace: true, roles: working,
			body: func(_ *world, who string, _ bool) string { return `{"other":"m_from_` + who + `"}` },
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte(`{"suggestions":[`)) || bytes.Contains(body, []byte(`"m_from_`+who+`"`)) {
					t.Errorf("m_from_%s still suggested: %s", who, body)
				}
			}},
		{pattern: "GET /api/v1/workspaces/{slug}/merge-suggestions", path: in("/merge-suggestions"), inWorkspace: true, roles: working,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte(`{"suggestions":[`)) {
					t.Errorf("not a list of suggestions: %s", body)
				}
			}},
		// Personal data: managers export m_person and erase the member
		// of their own that was merged and given back above.
		{pattern: "GET /api/v1/workspaces/{slug}/people/{id}/export", path: in("/people/m_person/export"), inWorkspace: true, roles: managing,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"member": "m_person"`)) || !bytes.Contains(body, []byte(`"table": "identities"`)) {
					t.Errorf("not m_person's export: %.300s", body)
				}
			}},
		{pattern: "POST /api/v1/workspaces/{slug}/people/{id}/erase",
			path:        func(w *world, who string, own bool) string { return w.wsPath(own, "/people/m_from_"+who+"/erase") },
			inWorkspace: true, roles: managing,
			body: func(_ *world, _ string, _ bool) string { return `{"mode":"anonymise"}` },
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"mode":"anonymise","members":1,`)) || !bytes.Contains(body, []byte(`"messages":1,`)) {
					t.Errorf("m_from_%s not erased: %s", who, body)
				}
			}},
		{pattern: "GET /api/v1/workspaces/{slug}/privacy", path: in("/privacy"), inWorkspace: true, roles: managing,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"erasure":"`)) {
					t.Errorf("not a privacy policy: %s", body)
				}
			}},
		{pattern: "PUT /api/v1/workspaces/{slug}/privacy", path: in("/privacy"), inWorkspace: true, roles: managing,
			body: func(_ *world, _ string, _ bool) string {
				return `{"erasure":"anonymise","retention_months":600,"retention_action":"purge"}`
			},
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"erasure":"anonymise","retention_months":600,"retention_action":"purge"`)) {
					t.Errorf("policy not set by %s: %s", who, body)
				}
			}},
		{pattern: "POST /api/v1/workspaces/{slug}/privacy/retention", path: in("/privacy/retention"), inWorkspace: true, roles: managing,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"action":"purge","months":600,`)) || !bytes.Contains(body, []byte(`"messages":0,`)) {
					t.Errorf("not a retention run: %s", body)
				}
			}},
		{pattern: "GET /api/v1/me/views", path: fixed("/api/v1/me/views"), ok: 200,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte(`{"views":[{`)) || !bytes.Contains(body, []byte(`"name":"to delete"`)) {
					t.Errorf("not %s's views: %s", who, body)
				}
			}},
		{pattern: "POST /api/v1/me/views", path: fixed("/api/v1/me/views"), ok: 201,
			body: func(_ *world, who string, _ bool) string { return `{"name":"view of ` + who + `","query":"view=mine"}` },
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"name":"view of `+who+`","query":"view=mine"`)) {
					t.Errorf("not %s's view: %s", who, body)
				}
			}},
		// Each caller deletes their own view "to delete" (own), or tries
		// the outsider's.
		{pattern: "DELETE /api/v1/me/views/{id}",
			path: func(w *world, who string, own bool) string {
				if own {
					return fmt.Sprintf("/api/v1/me/views/%d", w.viewID(who, "to delete"))
				}
				return fmt.Sprintf("/api/v1/me/views/%d", w.viewID(outsider, "kept"))
			},
			status: func(_ string, own bool) int {
				if own {
					return 204
				}
				return 404
			}},
		{pattern: "PUT /api/v1/me/language", path: fixed("/api/v1/me/language"), ok: 200,
			body: func(*world, string, bool) string { return `{"language":"fr"}` },
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"login":"`+who+`"`)) || !bytes.Contains(body, []byte(`"ui_language":"fr"`)) {
					t.Errorf("not %s in French: %s", who, body)
				}
			}},
		{pattern: "GET /api/v1/me/tokens", path: fixed("/api/v1/me/tokens"), ok: 200,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte(`{"tokens":[`)) || !bytes.Contains(body, []byte(`"name":"read-write"`)) ||
					bytes.Contains(body, []byte("plb_")) || !bytes.Contains(body, []byte(fmt.Sprintf(`"user_id":%d,`, w.people[who].user.ID))) {
					t.Errorf("not %s's tokens, without secrets: %s", who, body)
				}
			}},
		// A token for A (own) or B: 404 where the caller sees no workspace.
		{pattern: "POST /api/v1/me/tokens", path: fixed("/api/v1/me/tokens"),
			status: func(who string, own bool) int {
				if who == admin || own && model.ValidRole(who) && who != model.RoleExpert {
					return 201
				}
				return 404
			},
			body: func(w *world, who string, own bool) string {
				return `{"name":"made by ` + who + ` in ` + side(own) + `","workspaces":["` + w.ws(own).Slug + `"],"expires_in":"2160h"}`
			},
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"name":"made by `+who+` in `)) || !bytes.Contains(body, []byte(`"token":"plb_`)) ||
					!bytes.Contains(body, []byte(`"can_write":false`)) || !bytes.Contains(body, []byte(`"expires_at":"`)) {
					t.Errorf("not %s's new read-only token with its secret: %s", who, body)
				}
			}},
		// Each caller revokes their own token "to revoke" (own), or tries
		// the outsider's.
		{pattern: "DELETE /api/v1/me/tokens/{id}",
			path: func(w *world, who string, own bool) string {
				if own {
					return fmt.Sprintf("/api/v1/me/tokens/%d", w.tokenID(who, "to revoke"))
				}
				return fmt.Sprintf("/api/v1/me/tokens/%d", w.tokenID(outsider, "kept"))
			},
			status: func(_ string, own bool) int {
				if own {
					return 204
				}
				return 404
			}},
		{pattern: "GET /api/v1/workspaces/{slug}/canned-replies", path: in("/canned-replies?language=fr"), inWorkspace: true, roles: working,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte(`{"canned_replies":[{`)) || !bytes.Contains(body, []byte(`"variables":["member.name",`)) {
					t.Errorf("not a list of canned replies: %s", body)
				}
			}},
		{pattern: "POST /api/v1/workspaces/{slug}/canned-replies", path: in("/canned-replies"), inWorkspace: true,
			roles: outcome{owner: 201, manager: 201, cm: 201, expert: 404, client: 403},
			body: func(_ *world, who string, _ bool) string {
				return `{"name":"canned of ` + who + `","language":"fr","body":"Bonjour {{member.first_name | à vous}}, ici ` + who + `."}`
			},
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"name":"canned of `+who+`"`)) || !bytes.Contains(body, []byte(`"usage_count":0`)) {
					t.Errorf("not %s's canned reply: %s", who, body)
				}
			}},
		{pattern: "PUT /api/v1/workspaces/{slug}/canned-replies/{id}",
			path: func(w *world, _ string, own bool) string {
				return w.wsPath(own, fmt.Sprintf("/canned-replies/%d", w.cannedID(own, "to edit")))
			},
			inWorkspace: true, roles: working,
			body: func(_ *world, who string, _ bool) string {
				return `{"name":"to edit","body":"edited by ` + who + ` for {{cm.name}}"}`
			},
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"body":"edited by `+who+` for {{cm.name}}"`)) {
					t.Errorf("not edited by %s: %s", who, body)
				}
			}},
		{pattern: "DELETE /api/v1/workspaces/{slug}/canned-replies/{id}",
			path: func(w *world, who string, own bool) string {
				return w.wsPath(own, fmt.Sprintf("/canned-replies/%d", w.cannedID(own, "del-"+who)))
			},
			inWorkspace: true, roles: outcome{owner: 204, manager: 204, cm: 403, expert: 404, client: 403}},
		// "to edit" of A (own) or B, rendered in conversation A or B.
		{pattern: "GET /api/v1/conversations/{id}/canned-replies/{cid}",
			path: func(w *world, who string, own bool) string {
				return conv(fmt.Sprintf("/canned-replies/%d", w.cannedID(own, "to edit")))(w, who, own)
			},
			inWorkspace: true, roles: outcome{owner: 200, manager: 200, cm: 200, expert: 403, client: 403},
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(` for `+who+`","values":{`)) || !bytes.Contains(body, []byte(`"cm.name":"`+who+`"`)) {
					t.Errorf("not rendered for %s: %s", who, body)
				}
			}},
		{pattern: "GET /api/v1/workspaces/{slug}/webhooks", path: in("/webhooks"), inWorkspace: true, roles: managing,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte(`{"webhooks":[{`)) || bytes.Contains(body, []byte(`secret`)) {
					t.Errorf("not a list of webhooks without secrets: %s", body)
				}
			}},
		{pattern: "POST /api/v1/workspaces/{slug}/webhooks", path: in("/webhooks"), inWorkspace: true,
			roles: outcome{owner: 201, manager: 201, cm: 403, expert: 404, client: 403},
			body: func(_ *world, who string, own bool) string {
				return `{"url":"https://hooks.example.com/` + who + `-` + side(own) + `","events":["conversation."]}`
			},
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"url":"https://hooks.example.com/`+who+`-`)) || !bytes.Contains(body, []byte(`"secret":"whsec_`)) {
					t.Errorf("not %s's webhook with its secret: %s", who, body)
				}
			}},
		{pattern: "DELETE /api/v1/workspaces/{slug}/webhooks/{id}",
			path: func(w *world, who string, own bool) string {
				return w.wsPath(own, fmt.Sprintf("/webhooks/%d", w.webhookID(own, hookURL("del-"+who))))
			},
			inWorkspace: true, roles: outcome{owner: 204, manager: 204, cm: 403, expert: 404, client: 403}},
		{pattern: "GET /api/v1/workspaces/{slug}/webhooks/{id}/deliveries",
			path: func(w *world, _ string, own bool) string {
				return w.wsPath(own, fmt.Sprintf("/webhooks/%d/deliveries", w.webhookID(own, hookURL("kept"))))
			},
			inWorkspace: true, roles: managing,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if string(body) != `{"deliveries":[]}`+"\n" {
					t.Errorf("deliveries of a new webhook: %s", body)
				}
			}},
		// Live sources: a "kept" one in each workspace, and one per
		// caller to delete.
		{pattern: "GET /api/v1/workspaces/{slug}/sources", path: in("/sources"), inWorkspace: true, roles: working,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte(`{"sources":[`)) || !bytes.Contains(body, []byte(`"name":"kept"`)) {
					t.Errorf("sources: %s", body)
				}
			}},
		{pattern: "POST /api/v1/workspaces/{slug}/sources", path: in("/sources"), inWorkspace: true,
			roles: outcome{owner: 201, manager: 201, cm: 403, expert: 404, client: 403},
			body: func(w *world, who string, own bool) string {
				return `{"channel":"blog","kind":"feed","name":"source of ` + who + `-` + side(own) + `","config":{"url":"` + w.feedURL + `"}}`
			},
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"name":"source of `+who+`-`)) || !bytes.Contains(body, []byte(`"config":{"url":"`+w.feedURL+`"}`)) {
					t.Errorf("not %s's source: %s", who, body)
				}
			}},
		{pattern: "GET /api/v1/workspaces/{slug}/sources/{id}",
			path: func(w *world, _ string, own bool) string {
				return w.wsPath(own, fmt.Sprintf("/sources/%d", w.sourceID(own, "kept")))
			},
			inWorkspace: true, roles: working,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"name":"kept"`)) || !bytes.Contains(body, []byte(`"health":{`)) {
					t.Errorf("source: %s", body)
				}
			}},
		{pattern: "PATCH /api/v1/workspaces/{slug}/sources/{id}",
			path: func(w *world, _ string, own bool) string {
				return w.wsPath(own, fmt.Sprintf("/sources/%d", w.sourceID(own, "kept")))
			},
			body:        func(*world, string, bool) string { return `{"interval_seconds":300}` },
			inWorkspace: true, roles: managing,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"interval_seconds":300`)) {
					t.Errorf("changed source: %s", body)
				}
			}},
		{pattern: "DELETE /api/v1/workspaces/{slug}/sources/{id}",
			path: func(w *world, who string, own bool) string {
				return w.wsPath(own, fmt.Sprintf("/sources/%d", w.sourceID(own, "del-"+who)))
			},
			inWorkspace: true, roles: outcome{owner: 204, manager: 204, cm: 403, expert: 404, client: 403}},
		{pattern: "POST /api/v1/workspaces/{slug}/sources/{id}/poll",
			path: func(w *world, _ string, own bool) string {
				return w.wsPath(own, fmt.Sprintf("/sources/%d/poll", w.sourceID(own, "kept")))
			},
			inWorkspace: true, roles: outcome{owner: 202, manager: 202, cm: 202, expert: 404, client: 403}},
		{pattern: "GET /api/v1/workspaces/{slug}/sla", path: in("/sla"), inWorkspace: true, roles: readable,
			check: func(t *testing.T, w *world, who string, body []byte) {
				var got struct {
					Configured *bool           `json:"configured"`
					Settings   json.RawMessage `json:"settings"`
				}
				if err := json.Unmarshal(body, &got); err != nil || got.Configured == nil || !bytes.HasPrefix(got.Settings, []byte(`{"calendar":{`)) {
					t.Errorf("not SLA settings: %s (%v)", body, err)
				}
			}},
		{pattern: "PUT /api/v1/workspaces/{slug}/sla", path: in("/sla"), inWorkspace: true, roles: managing,
			body: func(_ *world, who string, _ bool) string {
				return `{"calendar":{"time_zone":"Europe/Paris"},"policies":[{"name":"sla of ` + who + `","first_response":"4h"}]}`
			},
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte(`{"configured":true,`)) || !bytes.Contains(body, []byte(`"name":"sla of `+who+`"`)) {
					t.Errorf("not %s's SLA: %s", who, body)
				}
			}},
		{pattern: "GET /api/v1/conversations/{id}/presence", path: conv("/presence"), inWorkspace: true, roles: convReadable,
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.HasPrefix(body, []byte(`{"presence":[`)) {
					t.Errorf("not a presence list: %s", body)
				}
			}},
		{pattern: "PUT /api/v1/conversations/{id}/presence", path: conv("/presence"), inWorkspace: true,
			roles: outcome{owner: 200, manager: 200, cm: 200, expert: 200, client: 403},
			body:  func(*world, string, bool) string { return `{"state":"viewing"}` },
			check: func(t *testing.T, w *world, who string, body []byte) {
				if !bytes.Contains(body, []byte(`"login":"`+who+`","state":"viewing"`)) {
					t.Errorf("%s not viewing: %s", who, body)
				}
			}},
		// The events of no workspace in particular are everyone's; those
		// of B, only the administrator's.
		{pattern: "GET /api/v1/events", stream: true,
			path: func(_ *world, _ string, own bool) string {
				if own {
					return "/api/v1/events"
				}
				return "/api/v1/events?workspace=banque"
			},
			status: func(who string, own bool) int {
				if own || who == admin {
					return 200
				}
				return 404
			},
			check: func(t *testing.T, w *world, who string, body []byte) {
				if string(body) != "retry: 2000" {
					t.Errorf("the stream begins with %q", body)
				}
			}},
		{pattern: "GET /api/v1/openapi.json", path: fixed("/api/v1/openapi.json"), ok: 200},
	}
}

// memberRoleBy is the role each caller gives the target in the matrix:
// after it, the target's role in A is the manager's (the last caller
// allowed there) and in B the administrator's, and no refused caller's
// role is either.
var memberRoleBy = map[string]string{
	admin: model.RoleExpert, model.RoleOwner: model.RoleClient, model.RoleManager: model.RoleCM,
	model.RoleCM: model.RoleManager, model.RoleExpert: model.RoleClient, model.RoleClient: model.RoleManager, nobody: model.RoleClient,
}

// hookURL is the address of the matrix's webhook named name.
func hookURL(name string) string { return "https://hooks.example.com/" + name }

// cannedID is the id of the canned reply named name of A (own) or B; 0,
// which no route accepts, when there is none.
func (w *world) cannedID(own bool, name string) int64 {
	list, _ := w.st.CannedReplies(context.Background(), w.ws(own).ID, "")
	for _, c := range list {
		if c.Name == name {
			return c.ID
		}
	}
	return 0
}

// webhookID is the id of the webhook of A (own) or B at url; 0 when there
// is none.
func (w *world) webhookID(own bool, url string) int64 {
	list, _ := w.st.Webhooks(context.Background(), w.ws(own).ID)
	for _, h := range list {
		if h.URL == url {
			return h.ID
		}
	}
	return 0
}

// outboxID is the id of the first reply in the outbox of A (own) or B.
func (w *world) outboxID(own bool) int64 {
	list, _ := w.st.Outbox(context.Background(), w.ws(own).ID, "", 500)
	if len(list) == 0 {
		return 0
	}
	return list[len(list)-1].ID
}

// moderationID is the id of the moderation action of A (own) or B.
func (w *world) moderationID(own bool) int64 {
	list, _ := w.st.Moderations(context.Background(), w.ws(own).ID, "", 500)
	if len(list) == 0 {
		return 0
	}
	return list[0].ID
}

// sourceID is the id of the source of A (own) or B named name; 0 when
// there is none.
func (w *world) sourceID(own bool, name string) int64 {
	list, _ := w.st.Sources(context.Background(), w.ws(own).ID)
	for _, s := range list {
		if s.Name == name {
			return s.ID
		}
	}
	return 0
}

// tokenID is the id of the API token named name of the person named who;
// 0 when there is none.
func (w *world) tokenID(who, name string) int64 {
	list, _ := w.st.APITokens(context.Background(), w.people[who].user.ID)
	for _, tok := range list {
		if tok.Name == name {
			return tok.ID
		}
	}
	return 0
}

func (rt matrixRoute) method() string { m, _, _ := strings.Cut(rt.pattern, " "); return m }

func (rt matrixRoute) bodyFor(w *world, who string, own bool) string {
	if rt.body == nil {
		return ""
	}
	return rt.body(w, who, own)
}

// checkEveryRouteListed checks that routes are exactly the operations
// openapi.json documents, which TestOpenAPIMatchesRoutes keeps in step
// with the route table: a new route without a line in the matrix fails.
func checkEveryRouteListed(t *testing.T, w *world, routes []matrixRoute) {
	t.Helper()
	res := w.call(t, http.MethodGet, "/api/v1/openapi.json", "", withToken(w.people[admin].token))
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(res.body, &doc); err != nil || res.status != http.StatusOK {
		t.Fatalf("openapi.json: status %d, %v", res.status, err)
	}
	var documented, listed []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	for _, rt := range routes {
		listed = append(listed, rt.pattern)
	}
	slices.Sort(documented)
	slices.Sort(listed)
	if len(listed) != len(documented) || !slices.Equal(listed, documented) {
		t.Fatalf("the matrix lists %d routes, openapi.json documents %d operations:\nlisted     %v\ndocumented %v",
			len(listed), len(documented), listed, documented)
	}
}

func topicNames(t *testing.T, st *store.Store, workspaceID int64) []string {
	t.Helper()
	vocab, err := st.Topics(context.Background(), workspaceID)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, tp := range vocab {
		names = append(names, tp.Name)
	}
	slices.Sort(names)
	return names
}

func correctionCount(t *testing.T, st *store.Store, workspaceID int64) int {
	t.Helper()
	cs, err := st.Corrections(context.Background(), workspaceID)
	if err != nil {
		t.Fatal(err)
	}
	return len(cs)
}

// TestAuthorizationMatrix calls every route as every kind of user, in
// their own workspace and in another, with read-write API tokens.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		routes := matrixRoutes()
		checkEveryRouteListed(t, w, routes)
		ctx := context.Background()
		// Every user's topic to delete exists in both workspaces, so that
		// a 404 or 403 is the caller's access, not a missing topic.
		for _, who := range w.names {
			for _, ws := range []model.Workspace{w.a, w.b} {
				if _, err := st.SetTopic(ctx, ws.ID, model.Topic{Name: "del-" + who, Terms: []string{"frein"}}, "test"); err != nil {
					t.Fatal(err)
				}
			}
		}
		setUpAdminMatrix(t, w)
		setUpPeopleMatrix(t, w)

		for _, rt := range routes {
			for _, who := range w.names {
				sides := []bool{true}
				if rt.inWorkspace || rt.status != nil {
					sides = []bool{true, false}
				}
				for _, own := range sides {
					where := "A"
					if !own {
						where = "B"
					}
					path := rt.path(w, who, own)
					var res response
					if rt.stream {
						res = w.peekStream(t, path, withToken(w.people[who].token))
					} else {
						res = w.call(t, rt.method(), path, rt.bodyFor(w, who, own), withToken(w.people[who].token))
					}
					want := rt.want(who, own)
					if res.status != want {
						t.Errorf("%s as %s in %s (%s): status %d, want %d; body %s",
							rt.pattern, who, where, path, res.status, want, res.body)
						continue
					}
					if want >= 400 {
						if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
							t.Errorf("%s as %s in %s: Content-Type %q of a %d", rt.pattern, who, where, ct, want)
						}
					} else if rt.check != nil {
						rt.check(t, w, who, res.body)
					}
				}
			}
		}

		// Refusals changed nothing; allowed changes happened.
		wantA := []string{"del-client", "del-cm", "del-expert", "del-nobody", "put-admin", "put-manager", "put-owner"}
		wantB := []string{"del-client", "del-cm", "del-expert", "del-manager", "del-nobody", "del-owner", "put-admin"}
		if got := topicNames(t, st, w.a.ID); !slices.Equal(got, wantA) {
			t.Errorf("topics of A after the matrix: %v, want %v", got, wantA)
		}
		if got := topicNames(t, st, w.b.ID); !slices.Equal(got, wantB) {
			t.Errorf("topics of B after the matrix: %v, want %v", got, wantB)
		}
		// admin, owner, manager and cm corrected in A; only admin in B.
		if n := correctionCount(t, st, w.a.ID); n != 4 {
			t.Errorf("%d corrections in A, want 4", n)
		}
		if n := correctionCount(t, st, w.b.ID); n != 1 {
			t.Errorf("%d corrections in B, want 1", n)
		}
		// The CM's profile was last set by the CM, after admin, owner and
		// manager (in the order of names); the outsider's only by admin.
		for login, capacity := range map[string]int{model.RoleCM: len(model.RoleCM), outsider: len(admin)} {
			p, err := st.Profile(ctx, w.people[login].user.ID)
			if err != nil || p.Capacity != capacity || !slices.Equal(p.Languages, []string{"fr"}) {
				t.Errorf("profile of %s after the matrix: %+v, %v; want capacity %d", login, p, err, capacity)
			}
		}
		checkWorkAfterMatrix(t, w)
		checkAdminAfterMatrix(t, w)
		checkPeopleAfterMatrix(t, w)
	})
}

// checkWorkAfterMatrix checks what the matrix's calls on conversations
// left: what was allowed happened, once per caller allowed; what was
// refused left no trace.
func checkWorkAfterMatrix(t *testing.T, w *world) {
	t.Helper()
	ctx := context.Background()
	// Tags: admin, owner, manager and cm in A; only admin in B.
	for _, c := range []struct {
		id   int64
		want []string
	}{
		{w.convA, []string{"bulk-admin", "bulk-cm", "bulk-manager", "bulk-owner", "patch-admin", "patch-cm", "patch-manager", "patch-owner"}},
		{w.convB, []string{"bulk-admin", "patch-admin"}},
	} {
		if got, err := w.st.ConversationTags(ctx, c.id); err != nil || !slices.Equal(got, c.want) {
			t.Errorf("tags of conversation %d after the matrix: %v, %v; want %v", c.id, got, err, c.want)
		}
	}
	// Notes: the owner's that asked the expert in, then one per caller
	// allowed, in the order of names; the client's was refused.
	for _, c := range []struct {
		ws, id int64
		want   []string
	}{
		{w.a.ID, w.convA, []string{model.RoleOwner, admin, model.RoleOwner, model.RoleManager, model.RoleCM, model.RoleExpert}},
		{w.b.ID, w.convB, []string{admin}},
	} {
		notes, err := w.st.Notes(ctx, c.ws, c.id)
		var authors []string
		for _, n := range notes {
			authors = append(authors, n.Author)
		}
		if err != nil || !slices.Equal(authors, c.want) {
			t.Errorf("authors of the notes of conversation %d: %v, %v; want %v", c.id, authors, err, c.want)
		}
	}
	// Replies: admin, owner, manager and cm in A, newest first; admin in
	// B. The expert's and the client's were refused.
	for _, c := range []struct {
		ws   int64
		want []string
	}{
		// Newest first; the first is the one the matrix tried to retry.
		{w.a.ID, []string{"reply by cm", "reply by manager", "reply by owner", "reply by admin", "Une réponse en attente"}},
		{w.b.ID, []string{"reply by admin", "Une réponse en attente"}},
	} {
		out, err := w.st.Outbox(ctx, c.ws, "", 500)
		var bodies []string
		for _, e := range out {
			bodies = append(bodies, e.Body)
		}
		if err != nil || !slices.Equal(bodies, c.want) {
			t.Errorf("outbox of workspace %d: %v, %v; want %v", c.ws, bodies, err, c.want)
		}
	}
	// Routing rules: the last caller allowed in A is the manager, in B
	// admin.
	for ws, want := range map[int64]string{w.a.ID: "rule of manager", w.b.ID: "rule of admin"} {
		rules, err := w.st.RoutingRules(ctx, ws)
		if err != nil || len(rules) != 1 || rules[0].Name != want {
			t.Errorf("routing rules of workspace %d: %+v, %v; want %q only", ws, rules, err, want)
		}
	}
	// Routing: in A, the manager is away (PUT /me/status) and the CM
	// available with a capacity of 2 (their profile, set last by
	// themselves): the CM took two conversations, nobody the five others.
	// In B, the outsider, its CM, took its conversation.
	for _, c := range []struct {
		f    store.ConversationFilter
		want int
	}{
		{store.ConversationFilter{Assignee: model.RoleCM}, 2},
		{store.ConversationFilter{Unassigned: true}, 5},
	} {
		page, err := w.st.Conversations(ctx, w.a.ID, c.f)
		if err != nil || len(page.Conversations) != c.want {
			t.Errorf("conversations of A with %+v after routing: %d, %v; want %d", c.f, len(page.Conversations), err, c.want)
		}
	}
	if c, err := w.st.Conversation(ctx, w.convB); err != nil || c.Assignee != outsider {
		t.Errorf("conversation B after routing: assignee %q, %v; want %s", c.Assignee, err, outsider)
	}
	// SLA: set last by the manager in A, by admin in B.
	for ws, want := range map[int64]string{w.a.ID: "sla of manager", w.b.ID: "sla of admin"} {
		s, ok, err := w.st.SLASettings(ctx, ws)
		if err != nil || !ok || len(s.Policies) != 1 || s.Policies[0].Name != want {
			t.Errorf("SLA of workspace %d: %+v, %v, %v; want %q only", ws, s, ok, err, want)
		}
	}
	// Presence: who was allowed is viewing conversation A, admin alone B.
	for c, want := range map[int64][]string{
		w.convA: {admin, model.RoleCM, model.RoleExpert, model.RoleManager, model.RoleOwner},
		w.convB: {admin},
	} {
		var logins []string
		for _, e := range w.live.Presence.Get(c, time.Now()) {
			logins = append(logins, e.Login+" "+e.State)
			if e.State != "viewing" {
				t.Errorf("presence %+v", e)
			}
		}
		var wantLogins []string
		for _, login := range want {
			wantLogins = append(wantLogins, login+" viewing")
		}
		if !slices.Equal(logins, wantLogins) {
			t.Errorf("presence in conversation %d after the matrix: %v, want %v", c, logins, wantLogins)
		}
	}
}

// setUpAdminMatrix stores what the matrix's administration routes act
// on, so that a 404 or 403 is the caller's access, not a missing thing: in
// A and B, a canned reply to edit and one to delete per caller, a webhook
// to keep and one to delete per caller, and a leaver per caller, a client
// whose role the caller takes away; and, per caller, a token to revoke,
// and the outsider's token that no one else may revoke.
func setUpAdminMatrix(t *testing.T, w *world) {
	t.Helper()
	ctx := context.Background()
	for _, ws := range []model.Workspace{w.a, w.b} {
		for _, name := range []string{"to edit", "kept"} {
			if _, err := w.st.SaveCannedReply(ctx, ws.ID, model.CannedReply{Name: name, Body: "Bonjour {{member.name}}"}, "test"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.st.CreateWebhook(ctx, ws.ID, model.Webhook{URL: hookURL("kept")}, "test"); err != nil {
			t.Fatal(err)
		}
		conv, msg := w.convA, w.msgA
		if ws.ID == w.b.ID {
			conv, msg = w.convB, w.msgB
		}
		if _, err := w.st.AddReply(ctx, store.Reply{WorkspaceID: ws.ID, ConversationID: conv, Author: w.people[model.RoleOwner].user,
			Body: "Une réponse en attente", BasedOn: msg, Confirm: true}, time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := w.st.CreateSource(ctx, ws.ID, model.Source{Channel: "blog", Kind: model.SourceFeed, Name: "kept",
			IntervalSeconds: 60}, `{"url":"`+w.feedURL+`"}`, "test", time.Now()); err != nil {
			t.Fatal(err)
		}
		// A paused WordPress source moderates the message's channel: a
		// moderation action waits in the outbox.
		c, err := w.st.Conversation(ctx, conv)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.st.CreateSource(ctx, ws.ID, model.Source{Channel: c.Channel, Kind: model.SourceWordPress, Name: "moderating",
			IntervalSeconds: 60}, `{}`, "test", time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := w.st.ModerateMessage(ctx, ws.ID, msg, model.ModSpam, "test", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	for _, who := range w.names {
		leaver := w.addUser(t, "leaver-"+who, false)
		for _, ws := range []model.Workspace{w.a, w.b} {
			if _, err := w.st.SaveCannedReply(ctx, ws.ID, model.CannedReply{Name: "del-" + who, Body: "Au revoir"}, "test"); err != nil {
				t.Fatal(err)
			}
			if _, err := w.st.CreateWebhook(ctx, ws.ID, model.Webhook{URL: hookURL("del-" + who)}, "test"); err != nil {
				t.Fatal(err)
			}
			if _, err := w.st.CreateSource(ctx, ws.ID, model.Source{Channel: "blog", Kind: model.SourceFeed, Name: "del-" + who,
				IntervalSeconds: 60}, `{"url":"`+w.feedURL+`"}`, "test", time.Now()); err != nil {
				t.Fatal(err)
			}
			if err := w.st.SetMembership(ctx, leaver.user.ID, ws.ID, model.RoleClient, "test"); err != nil {
				t.Fatal(err)
			}
		}
		w.newToken(t, w.people[who].user.ID, model.APIToken{Name: "to revoke"})
	}
	w.newToken(t, w.people[outsider].user.ID, model.APIToken{Name: "kept"})
}

// setUpPeopleMatrix stores what the matrix's people routes act on: in A
// and B, the community member m_person, and a member m_from_<caller> per
// caller, to merge into m_person; and, per caller, a saved view to delete,
// and the outsider's view that no one else may delete.
func setUpPeopleMatrix(t *testing.T, w *world) {
	t.Helper()
	ctx := context.Background()
	// Their messages are comments of conversations p0 of A and r of B,
	// so that the matrix's conversations stay as they are.
	for _, c := range []struct {
		ws            model.Workspace
		channel, root string
	}{{w.a, "blog", "p0"}, {w.b, "forum", "r"}} {
		ch, err := w.st.EnsureChannel(ctx, c.ws.ID, c.channel, "wordpress")
		if err != nil {
			t.Fatal(err)
		}
		score := -0.5
		person := func(ext, id string) store.IngestItem {
			return store.IngestItem{Root: c.root, NewMemberID: id, DisplayName: id,
				Identities: []store.IdentityKey{{Key: "email:" + id + "@example.org", Kind: model.IdentityEmail, Value: id + "@example.org"}},
				Message: model.Message{ExternalID: ext, ParentExternalID: c.root, ConversationExternalID: c.root, Kind: model.KindComment,
					Status: model.StatusApproved, Body: "body of " + ext, CreatedAt: t0, Sentiment: "neg", SentimentScore: &score}}
		}
		items := []store.IngestItem{person("person-1", "m_person")}
		for _, who := range w.names {
			items = append(items, person("from-"+who, "m_from_"+who))
		}
		if _, err := w.st.NewImporter(c.ws, ch).Write(ctx, items); err != nil {
			t.Fatal(err)
		}
	}
	for _, who := range append([]string{outsider}, w.names...) {
		name := "to delete"
		if who == outsider {
			name = "kept"
		}
		if _, err := w.st.SaveView(ctx, w.people[who].user.ID, name, "view=all"); err != nil {
			t.Fatal(err)
		}
	}
}

// viewID is the id of the saved view named name of the person named who;
// 0 when there is none.
func (w *world) viewID(who, name string) int64 {
	list, _ := w.st.SavedViews(context.Background(), w.people[who].user.ID)
	for _, v := range list {
		if v.Name == name {
			return v.ID
		}
	}
	return 0
}

// checkPeopleAfterMatrix checks what the matrix's calls on people left:
// m_person tagged and noted by each caller allowed, every merge undone;
// and views and languages changed for their callers only.
func checkPeopleAfterMatrix(t *testing.T, w *world) {
	t.Helper()
	ctx := context.Background()
	for _, c := range []struct {
		ws   model.Workspace
		whos []string
	}{{w.a, []string{admin, model.RoleCM, model.RoleManager, model.RoleOwner}}, {w.b, []string{admin}}} {
		m, err := w.st.Member(ctx, c.ws.ID, "m_person")
		var tags, notes []string
		for _, who := range c.whos {
			tags = append(tags, "tag-"+who)
			notes = append(notes, "note by "+who)
		}
		slices.Sort(tags)
		slices.Sort(notes)
		if err != nil || !slices.Equal(m.Tags, tags) || m.MessageCount != 1 || len(m.Identities) != 1 {
			t.Errorf("m_person of %s after the matrix: %+v, %v; want tags %v", c.ws.Slug, m, err, tags)
		}
		list, err := w.st.MemberNotes(ctx, c.ws.ID, "m_person")
		var got []string
		for _, n := range list {
			got = append(got, n.Body)
		}
		slices.Sort(got)
		if err != nil || !slices.Equal(got, notes) {
			t.Errorf("notes on m_person of %s after the matrix: %v, %v; want %v", c.ws.Slug, got, err, notes)
		}
		if merges, err := w.st.MemberMerges(ctx, c.ws.ID, "m_person"); err != nil || len(merges) != 0 {
			t.Errorf("merges into m_person of %s after the matrix: %+v, %v", c.ws.Slug, merges, err)
		}
	}
	for _, who := range w.names {
		views, err := w.st.SavedViews(ctx, w.people[who].user.ID)
		if err != nil || len(views) != 1 || views[0].Name != "view of "+who {
			t.Errorf("views of %s after the matrix: %+v, %v", who, views, err)
		}
		if u, err := w.st.UserByLogin(ctx, who); err != nil || u.UILanguage != "fr" {
			t.Errorf("language of %s after the matrix: %+v, %v", who, u, err)
		}
	}
	if views, _ := w.st.SavedViews(ctx, w.people[outsider].user.ID); len(views) != 1 || views[0].Name != "kept" {
		t.Errorf("the outsider's views after the matrix: %+v", views)
	}
}

// checkAdminAfterMatrix checks what the matrix's calls on administration
// routes left: what was allowed happened, once per caller allowed; what
// was refused left no trace.
func checkAdminAfterMatrix(t *testing.T, w *world) {
	t.Helper()
	ctx := context.Background()
	allowedIn := func(who string, own bool, roles ...string) bool {
		return who == admin || own && slices.Contains(roles, who)
	}
	// Users and workspaces: the administrator's only, one per side.
	for _, who := range w.names {
		for _, s := range []string{"a", "b"} {
			_, err := w.st.UserByLogin(ctx, "made-by-"+who+"-"+s)
			if made := err == nil; made != (who == admin) {
				t.Errorf("user made-by-%s-%s exists: %v (%v)", who, s, made, err)
			}
		}
	}
	all, err := w.st.Workspaces(ctx)
	var slugs []string
	for _, ws := range all {
		slugs = append(slugs, ws.Slug)
	}
	slices.Sort(slugs)
	if want := []string{"banque", "velo", "ws-admin-a", "ws-admin-b"}; err != nil || !slices.Equal(slugs, want) {
		t.Errorf("workspaces after the matrix: %v, %v; want %v", slugs, err, want)
	}
	// The target's role: the manager's in A, the administrator's in B.
	for ws, want := range map[int64]string{w.a.ID: memberRoleBy[model.RoleManager], w.b.ID: memberRoleBy[admin]} {
		if got, err := w.st.Role(ctx, w.people[target].user.ID, ws); err != nil || got != want {
			t.Errorf("the target's role in workspace %d: %q, %v; want %q", ws, got, err, want)
		}
	}
	// Leavers: those of admin, owner and manager left A; admin's left B.
	for _, who := range w.names {
		leaver, err := w.st.UserByLogin(ctx, "leaver-"+who)
		if err != nil {
			t.Fatal(err)
		}
		for _, own := range []bool{true, false} {
			_, err := w.st.Role(ctx, leaver.ID, w.ws(own).ID)
			if left := errors.Is(err, store.ErrNotFound); left != allowedIn(who, own, model.RoleOwner, model.RoleManager) {
				t.Errorf("leaver-%s left workspace %s: %v (%v)", who, w.ws(own).Slug, left, err)
			}
		}
	}
	// Tokens: each caller revoked their own "to revoke" and made one for
	// each workspace they see; the outsider's survived every attempt.
	for _, who := range w.names {
		want := []string{"read-write"}
		if allowedIn(who, true, model.RoleOwner, model.RoleManager, model.RoleCM, model.RoleClient) {
			want = append(want, "made by "+who+" in a")
		}
		if who == admin {
			want = append(want, "made by admin in b")
		}
		list, err := w.st.APITokens(ctx, w.people[who].user.ID)
		var names []string
		for _, tok := range list {
			names = append(names, tok.Name)
		}
		if err != nil || !slices.Equal(names, want) {
			t.Errorf("tokens of %s after the matrix: %v, %v; want %v", who, names, err, want)
		}
	}
	if w.tokenID(outsider, "kept") == 0 {
		t.Error("the outsider's token was revoked by another user")
	}
	// Canned replies and webhooks: created by those allowed, deleted by
	// owners, managers and admin only, edited last by the CM in A.
	for _, own := range []bool{true, false} {
		canned, hooks := []string{"kept", "to edit"}, []string{hookURL("kept")}
		where := "b"
		if own {
			where = "a"
		}
		for _, who := range w.names {
			if allowedIn(who, own, model.RoleOwner, model.RoleManager, model.RoleCM) {
				canned = append(canned, "canned of "+who)
			}
			if !allowedIn(who, own, model.RoleOwner, model.RoleManager) {
				canned = append(canned, "del-"+who)
				hooks = append(hooks, hookURL("del-"+who))
			} else {
				hooks = append(hooks, hookURL(who+"-"+where))
			}
		}
		slices.Sort(canned)
		slices.Sort(hooks)
		list, err := w.st.CannedReplies(ctx, w.ws(own).ID, "")
		var gotCanned []string
		edited := ""
		for _, c := range list {
			gotCanned = append(gotCanned, c.Name)
			if c.Name == "to edit" {
				edited = c.Body
			}
		}
		slices.Sort(gotCanned)
		if err != nil || !slices.Equal(gotCanned, canned) {
			t.Errorf("canned replies of %s after the matrix: %v, %v; want %v", w.ws(own).Slug, gotCanned, err, canned)
		}
		lastEditor := admin
		if own {
			lastEditor = model.RoleCM
		}
		if want := "edited by " + lastEditor + " for {{cm.name}}"; edited != want {
			t.Errorf("canned reply to edit of %s: %q, want %q", w.ws(own).Slug, edited, want)
		}
		hs, err := w.st.Webhooks(ctx, w.ws(own).ID)
		var gotHooks []string
		for _, h := range hs {
			gotHooks = append(gotHooks, h.URL)
		}
		slices.Sort(gotHooks)
		if err != nil || !slices.Equal(gotHooks, hooks) {
			t.Errorf("webhooks of %s after the matrix: %v, %v; want %v", w.ws(own).Slug, gotHooks, err, hooks)
		}
	}
}

// conversationIDs decodes the ids of a list of conversations.
func conversationIDs(t *testing.T, body []byte) []int64 {
	t.Helper()
	var got struct {
		Conversations []model.Conversation `json:"conversations"`
	}
	if err := json.Unmarshal(body, &got); err != nil || got.Conversations == nil {
		t.Fatalf("conversations: %v in %s", err, body)
	}
	ids := []int64{}
	for _, c := range got.Conversations {
		ids = append(ids, c.ID)
	}
	return ids
}

// TestForbiddenLooksLikeMissing checks that a workspace, conversation or
// message the caller may not see answers as one that does not exist.
func TestForbiddenLooksLikeMissing(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		owner := withToken(w.people[model.RoleOwner].token)
		pairs := []struct{ method, hidden, missing, body string }{
			{"GET", "/api/v1/workspaces/banque/topics", "/api/v1/workspaces/nope/topics", ""},
			{"PUT", "/api/v1/workspaces/banque/topics/x", "/api/v1/workspaces/nope/topics/x", `{"terms":["x"]}`},
			{"GET", fmt.Sprintf("/api/v1/conversations/%d", w.convB), "/api/v1/conversations/999999", ""},
			// A message of B asked for under A, where the owner may correct.
			{"POST", fmt.Sprintf("/api/v1/workspaces/velo/messages/%d/corrections", w.msgB),
				"/api/v1/workspaces/velo/messages/999999/corrections", `{"field":"sentiment","value":"neg"}`},
		}
		for _, p := range pairs {
			hidden := w.call(t, p.method, p.hidden, p.body, owner)
			missing := w.call(t, p.method, p.missing, p.body, owner)
			checkProblem(t, hidden, http.StatusNotFound, "not found")
			checkProblem(t, missing, http.StatusNotFound, "not found")
			// Only the name or id asked for differs.
			norm := func(b []byte, path string) string {
				s := string(b)
				for _, part := range strings.Split(path, "/") {
					if part != "" && part != "api" && part != "v1" {
						s = strings.ReplaceAll(s, part, "…")
					}
				}
				return s
			}
			if h, m := norm(hidden.body, p.hidden), norm(missing.body, p.missing); h != m {
				t.Errorf("%s: hidden %s, missing %s", p.method, h, m)
			}
		}
		if n := correctionCount(t, st, w.b.ID); n != 0 {
			t.Errorf("a correction of B's message reached B: %d", n)
		}
	})
}

// checkUnauthenticated checks a 401 problem asking for credentials.
func checkUnauthenticated(t *testing.T, res response) {
	t.Helper()
	checkProblem(t, res, http.StatusUnauthorized)
	if got := res.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer ") {
		t.Errorf("WWW-Authenticate %q, want a Bearer challenge", got)
	}
}

func TestReadOnlyToken(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		ctx := context.Background()
		owner := w.people[model.RoleOwner]
		readOnly, _ := w.newToken(t, owner.user.ID, model.APIToken{Name: "read-only"})
		if _, err := st.SetTopic(ctx, w.a.ID, model.Topic{Name: "Freins", Terms: []string{"frein"}}, "test"); err != nil {
			t.Fatal(err)
		}
		correction := fmt.Sprintf("/api/v1/workspaces/velo/messages/%d/corrections", w.msgA)
		cases := []struct {
			method, path, body string
			status             int
		}{
			{"GET", "/api/v1/workspaces/velo/topics", "", 200},
			{"GET", "/api/v1/workspaces/velo/conversations", "", 200},
			{"POST", "/api/v1/workspaces/velo/analyze", `{"text":"bonjour"}`, 200},
			{"PUT", "/api/v1/workspaces/velo/topics/Livraison", `{"terms":["colis"]}`, 403},
			{"DELETE", "/api/v1/workspaces/velo/topics/Freins", "", 403},
			{"POST", correction, `{"field":"sentiment","value":"neg"}`, 403},
			{"DELETE", "/api/v1/sessions", "", 403},
			{"POST", "/api/v1/logout", "", 204},
		}
		for _, c := range cases {
			res := w.call(t, c.method, c.path, c.body, withToken(readOnly))
			if c.status == 403 {
				checkProblem(t, res, 403, "read-only")
			} else if res.status != c.status {
				t.Errorf("%s %s: status %d, want %d; body %s", c.method, c.path, res.status, c.status, res.body)
			}
		}
		if got := topicNames(t, st, w.a.ID); !slices.Equal(got, []string{"Freins"}) {
			t.Errorf("topics after a read-only token's writes: %v", got)
		}
		if n := correctionCount(t, st, w.a.ID); n != 0 {
			t.Errorf("%d corrections after a read-only token's", n)
		}
		// The same writes with the owner's read-write token pass.
		if res := w.call(t, "PUT", "/api/v1/workspaces/velo/topics/Livraison", `{"terms":["colis"]}`, withToken(owner.token)); res.status != 201 {
			t.Errorf("read-write PUT: status %d, body %s", res.status, res.body)
		}
		if res := w.call(t, "POST", correction, `{"field":"sentiment","value":"neg"}`, withToken(owner.token)); res.status != 201 {
			t.Errorf("read-write correction: status %d, body %s", res.status, res.body)
		}
	})
}

func TestScopedToken(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		adm := w.people[admin]
		scoped, _ := w.newToken(t, adm.user.ID, model.APIToken{Name: "velo only", CanWrite: true, Workspaces: []int64{w.a.ID}})
		cases := []struct {
			method, path, body string
			status             int
		}{
			{"GET", "/api/v1/workspaces/velo/conversations", "", 200},
			{"GET", fmt.Sprintf("/api/v1/conversations/%d", w.convA), "", 200},
			{"PUT", "/api/v1/workspaces/velo/topics/Livraison", `{"terms":["colis"]}`, 201},
			{"GET", "/api/v1/workspaces/banque/conversations", "", 404},
			{"GET", "/api/v1/workspaces/banque/topics", "", 404},
			{"GET", "/api/v1/workspaces/banque/corrections", "", 404},
			{"GET", fmt.Sprintf("/api/v1/conversations/%d", w.convB), "", 404},
			{"PUT", "/api/v1/workspaces/banque/topics/Frais", `{"terms":["frais"]}`, 404},
			{"POST", "/api/v1/workspaces/banque/analyze", `{"text":"bonjour"}`, 404},
			{"POST", fmt.Sprintf("/api/v1/workspaces/banque/messages/%d/corrections", w.msgB), `{"field":"sentiment","value":"neg"}`, 404},
		}
		for _, c := range cases {
			res := w.call(t, c.method, c.path, c.body, withToken(scoped))
			if res.status != c.status {
				t.Errorf("%s %s with a token for velo: status %d, want %d; body %s", c.method, c.path, res.status, c.status, res.body)
			}
		}
		res := w.call(t, "GET", "/api/v1/workspaces", "", withToken(scoped))
		if got := workspaceSlugs(t, res.body); !slices.Equal(got, []string{"velo"}) {
			t.Errorf("workspaces with a token for velo: %v", got)
		}
		// The administrator's own unscoped token reaches B.
		if res := w.call(t, "GET", "/api/v1/workspaces/banque/conversations", "", withToken(adm.token)); res.status != 200 {
			t.Errorf("unscoped admin token in banque: status %d", res.status)
		}
		if got := topicNames(t, st, w.b.ID); len(got) != 0 {
			t.Errorf("topics of B after the scoped token's PUT: %v", got)
		}
	})
}

func TestRefusedTokens(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		ctx := context.Background()
		cm := w.people[model.RoleCM]
		const path = "/api/v1/workspaces/velo/topics"
		works := func(t *testing.T, token string) {
			t.Helper()
			if res := w.call(t, "GET", path, "", withToken(token)); res.status != 200 {
				t.Fatalf("before: status %d, body %s", res.status, res.body)
			}
		}

		t.Run("revoked", func(t *testing.T) {
			token, tok := w.newToken(t, cm.user.ID, model.APIToken{Name: "to revoke"})
			works(t, token)
			if err := st.RevokeAPIToken(ctx, cm.user.ID, tok.ID, "test"); err != nil {
				t.Fatal(err)
			}
			checkUnauthenticated(t, w.call(t, "GET", path, "", withToken(token)))
		})
		t.Run("expired", func(t *testing.T) {
			expires := time.Now().Add(1500 * time.Millisecond)
			token, _ := w.newToken(t, cm.user.ID, model.APIToken{Name: "short-lived", ExpiresAt: &expires})
			works(t, token)
			time.Sleep(time.Until(expires) + 50*time.Millisecond)
			checkUnauthenticated(t, w.call(t, "GET", path, "", withToken(token)))
		})
		t.Run("unknown", func(t *testing.T) {
			token, _, err := auth.NewAPIToken()
			if err != nil {
				t.Fatal(err)
			}
			checkUnauthenticated(t, w.call(t, "GET", path, "", withToken(token)))
		})
		t.Run("disabled user", func(t *testing.T) {
			gone := w.addUser(t, "gone", false)
			if err := st.SetMembership(ctx, gone.user.ID, w.a.ID, model.RoleCM, "test"); err != nil {
				t.Fatal(err)
			}
			token, _ := w.newToken(t, gone.user.ID, model.APIToken{Name: "gone's"})
			works(t, token)
			if err := st.SetUserDisabled(ctx, gone.user.ID, true, "test"); err != nil {
				t.Fatal(err)
			}
			checkUnauthenticated(t, w.call(t, "GET", path, "", withToken(token)))
			checkUnauthenticated(t, w.call(t, "GET", "/api/v1/me", "", withToken(token)))
			// Enabled again, the kept token works again.
			if err := st.SetUserDisabled(ctx, gone.user.ID, false, "test"); err != nil {
				t.Fatal(err)
			}
			works(t, token)
		})
		t.Run("malformed", func(t *testing.T) {
			token := cm.token
			for _, authz := range []string{
				"Bearer",
				"Bearer ",
				"Bearer nope",
				"Bearer plb_",
				"Bearer " + token + "x",
				"Bearer " + token[:len(token)-1],
				"Bearer " + strings.ToUpper(token),
				"Bearer " + strings.Replace(token, "plb_", "xyz_", 1),
				"Basic " + token,
				"Basic dXNlcjpwYXNzd29yZA==",
				"Token " + token,
				"Bearer" + token,
				token,
			} {
				t.Run(authz, func(t *testing.T) {
					checkUnauthenticated(t, w.call(t, "GET", path, "", withAuthorization(authz)))
				})
			}
			// The scheme is case-insensitive (RFC 9110).
			if res := w.call(t, "GET", path, "", withAuthorization("bearer "+token)); res.status != 200 {
				t.Errorf("lower-case bearer: status %d", res.status)
			}
		})
	})
}

// signIn posts a login from ip ("" for 127.0.0.1).
func (w *world) signIn(t *testing.T, ip, login, password string, opts ...opt) response {
	t.Helper()
	return w.callFrom(t, ip, "POST", "/api/v1/login", jsonBody(t, map[string]string{"login": login, "password": password}), opts...)
}

// session signs the person named who in and returns the session secret
// and its CSRF token.
func (w *world) session(t *testing.T, who string) (secret, csrf string) {
	t.Helper()
	res := w.signIn(t, "", who, w.people[who].password)
	if res.status != http.StatusOK {
		t.Fatalf("login as %s: status %d, body %s", who, res.status, res.body)
	}
	c := cookie(res, api.SessionCookie)
	if c == nil {
		t.Fatalf("login as %s set no session cookie", who)
	}
	var me meAnswer
	if err := json.Unmarshal(res.body, &me); err != nil || me.CSRFToken == "" {
		t.Fatalf("login as %s: %v, no CSRF token in %s", who, err, res.body)
	}
	return c.Value, me.CSRFToken
}

func TestLogin(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		owner := w.people[model.RoleOwner]
		before := time.Now()
		res := w.signIn(t, "", " Owner ", owner.password) // logins are trimmed and case-insensitive
		if res.status != http.StatusOK {
			t.Fatalf("login: status %d, body %s", res.status, res.body)
		}
		checkJSONHeaders(t, res)
		c := cookie(res, api.SessionCookie)
		if c == nil {
			t.Fatalf("no %s cookie in %v", api.SessionCookie, res.header["Set-Cookie"])
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure || len(c.Value) < 43 {
			t.Errorf("session cookie %s: want HttpOnly, SameSite=Lax, Path=/, not Secure over HTTP, a long secret", c)
		}
		if lo, hi := before.Add(api.SessionLifetime-time.Minute), time.Now().Add(api.SessionLifetime+time.Minute); c.Expires.Before(lo) || c.Expires.After(hi) {
			t.Errorf("cookie expires %v, want about %v from now", c.Expires, api.SessionLifetime)
		}
		me := checkMe(t, w, model.RoleOwner, res.body)
		if me.CSRFToken == "" || me.CSRFToken == c.Value || me.ExpiresAt == nil {
			t.Errorf("login answer %s: want a CSRF token other than the secret, and expires_at", res.body)
		}
		if bytes.Contains(res.body, []byte(c.Value)) {
			t.Errorf("the body repeats the session secret: %s", res.body)
		}

		// GET /me with the cookie answers the same user and CSRF token.
		meRes := w.call(t, "GET", "/api/v1/me", "", withSession(c.Value))
		if meRes.status != 200 {
			t.Fatalf("me: status %d, body %s", meRes.status, meRes.body)
		}
		if again := checkMe(t, w, model.RoleOwner, meRes.body); again.CSRFToken != me.CSRFToken {
			t.Errorf("me answers CSRF token %q, login %q", again.CSRFToken, me.CSRFToken)
		}
		// The session sees what its user may see, and no more.
		if res := w.call(t, "GET", "/api/v1/workspaces", "", withSession(c.Value)); !slices.Equal(workspaceSlugs(t, res.body), []string{"velo"}) {
			t.Errorf("workspaces of the owner's session: %s", res.body)
		}
		if res := w.call(t, "GET", "/api/v1/workspaces/banque/topics", "", withSession(c.Value)); res.status != 404 {
			t.Errorf("the owner's session in banque: status %d", res.status)
		}

		// Behind a TLS proxy the cookie is Secure.
		res = w.signIn(t, "", "owner", owner.password, withHeader("X-Forwarded-Proto", "https"))
		if c := cookie(res, api.SessionCookie); res.status != 200 || c == nil || !c.Secure {
			t.Errorf("login over HTTPS: status %d, cookie %v, want Secure", res.status, c)
		}
	})
}

func TestLoginFailures(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		ctx := context.Background()
		gone := w.addUser(t, "gone", false)
		if err := st.SetUserDisabled(ctx, gone.user.ID, true, "test"); err != nil {
			t.Fatal(err)
		}
		const ip = "127.0.0.2"
		wrong := w.signIn(t, ip, "owner", "not the pass phrase")
		checkProblem(t, wrong, http.StatusUnauthorized)
		for name, res := range map[string]response{
			"unknown login":  w.signIn(t, ip, "stranger", "not the pass phrase"),
			"invalid login":  w.signIn(t, ip, "<bad login>", "not the pass phrase"),
			"disabled user":  w.signIn(t, ip, "gone", gone.password),
			"empty password": w.signIn(t, ip, "owner", ""),
		} {
			if res.status != wrong.status || !bytes.Equal(res.body, wrong.body) {
				t.Errorf("%s: %d %s; a wrong password: %d %s", name, res.status, res.body, wrong.status, wrong.body)
			}
			if c := cookie(res, api.SessionCookie); c != nil {
				t.Errorf("%s set a session cookie", name)
			}
		}
		for _, body := range []string{"", "{", `{"login":"owner","password":"x","extra":1}`, `["owner"]`} {
			res := w.callFrom(t, ip, "POST", "/api/v1/login", body)
			checkProblem(t, res, http.StatusBadRequest)
		}
	})
}

// TestLoginThrottling makes each request from its own loopback address
// where the address limit must not interfere.
func TestLoginThrottling(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		ip := func(n int) string { return fmt.Sprintf("127.0.0.%d", n) }
		checkThrottled := func(t *testing.T, res response) {
			t.Helper()
			checkProblem(t, res, http.StatusTooManyRequests)
			if s, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || s <= 0 {
				t.Errorf("Retry-After %q, want a positive number of seconds", res.header.Get("Retry-After"))
			}
			if c := cookie(res, api.SessionCookie); c != nil {
				t.Error("a throttled login set a session cookie")
			}
		}

		t.Run("per login", func(t *testing.T) {
			owner := w.people[model.RoleOwner]
			for i := range 10 {
				checkProblem(t, w.signIn(t, ip(10+i), "owner", "wrong guess"), http.StatusUnauthorized)
			}
			checkThrottled(t, w.signIn(t, ip(20), "owner", owner.password))
			checkThrottled(t, w.signIn(t, ip(21), "OWNER", owner.password))
			// Other logins, from the same address, are not throttled.
			if res := w.signIn(t, ip(20), "manager", w.people[model.RoleManager].password); res.status != 200 {
				t.Errorf("another login: status %d, body %s", res.status, res.body)
			}
		})
		t.Run("a success resets the login's count", func(t *testing.T) {
			cm := w.people[model.RoleCM]
			for i := range 9 {
				checkProblem(t, w.signIn(t, ip(30+i), "cm", "wrong guess"), http.StatusUnauthorized)
			}
			if res := w.signIn(t, ip(39), "cm", cm.password); res.status != 200 {
				t.Fatalf("after 9 failures: status %d, body %s", res.status, res.body)
			}
			for i := range 9 {
				checkProblem(t, w.signIn(t, ip(40+i), "cm", "wrong guess"), http.StatusUnauthorized)
			}
			if res := w.signIn(t, ip(49), "cm", cm.password); res.status != 200 {
				t.Fatalf("after 9 failures, a success and 9 failures: status %d, body %s", res.status, res.body)
			}
		})
		t.Run("per address", func(t *testing.T) {
			for i := range 10 {
				checkProblem(t, w.signIn(t, ip(60), fmt.Sprintf("guess%d", i), "wrong guess"), http.StatusUnauthorized)
			}
			client := w.people[model.RoleClient]
			checkThrottled(t, w.signIn(t, ip(60), "client", client.password))
			if res := w.signIn(t, ip(61), "client", client.password); res.status != 200 {
				t.Errorf("from another address: status %d, body %s", res.status, res.body)
			}
		})
	})
}

func TestSessionCSRF(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		secret, csrf := w.session(t, model.RoleOwner)
		_, otherCSRF := w.session(t, model.RoleOwner)
		const topic = "/api/v1/workspaces/velo/topics/Livraison"
		const body = `{"terms":["colis"]}`
		refusals := map[string][]opt{
			"no header":               {withSession(secret)},
			"empty header":            {withSession(secret), withCSRF("")},
			"wrong token":             {withSession(secret), withCSRF("0123456789abcdef")},
			"the secret as token":     {withSession(secret), withCSRF(secret)},
			"another session's token": {withSession(secret), withCSRF(otherCSRF)},
			"token and more":          {withSession(secret), withCSRF(csrf + "0")},
			"token cut short":         {withSession(secret), withCSRF(csrf[:len(csrf)-1])},
		}
		for name, opts := range refusals {
			for _, req := range []struct{ method, path, body string }{
				{"PUT", topic, body},
				{"DELETE", "/api/v1/workspaces/velo/topics/Freins", ""},
				{"POST", "/api/v1/workspaces/velo/analyze", `{"text":"bonjour"}`},
				{"POST", fmt.Sprintf("/api/v1/workspaces/velo/messages/%d/corrections", w.msgA), `{"field":"sentiment","value":"neg"}`},
				{"POST", "/api/v1/logout", ""},
				{"DELETE", "/api/v1/sessions", ""},
			} {
				res := w.call(t, req.method, req.path, req.body, opts...)
				if res.status != http.StatusForbidden || !bytes.Contains(res.body, []byte(api.CSRFHeader)) {
					t.Errorf("%s: %s %s: status %d, body %s; want 403 naming %s", name, req.method, req.path, res.status, res.body, api.CSRFHeader)
				}
			}
		}
		if got := topicNames(t, st, w.a.ID); len(got) != 0 {
			t.Errorf("topics after refused writes: %v", got)
		}
		if n := correctionCount(t, st, w.a.ID); n != 0 {
			t.Errorf("%d corrections after refused writes", n)
		}
		// The refused logouts ended nothing.
		if res := w.call(t, "GET", "/api/v1/me", "", withSession(secret)); res.status != 200 {
			t.Fatalf("me after refused logouts: status %d", res.status)
		}
		// Reads need no token; writes pass with the right one.
		if res := w.call(t, "GET", "/api/v1/workspaces/velo/topics", "", withSession(secret)); res.status != 200 {
			t.Errorf("GET without a CSRF token: status %d", res.status)
		}
		if res := w.call(t, "PUT", topic, body, withSession(secret), withCSRF(csrf)); res.status != 201 {
			t.Errorf("PUT with the CSRF token: status %d, body %s", res.status, res.body)
		}
		if res := w.call(t, "POST", "/api/v1/workspaces/velo/analyze", `{"text":"bonjour"}`, withSession(secret), withCSRF(csrf)); res.status != 200 {
			t.Errorf("analyze with the CSRF token: status %d, body %s", res.status, res.body)
		}
	})
}

func TestLogout(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		secret, csrf := w.session(t, model.RoleOwner)
		other, _ := w.session(t, model.RoleOwner)
		res := w.call(t, "POST", "/api/v1/logout", "", withSession(secret), withCSRF(csrf))
		if res.status != http.StatusNoContent {
			t.Fatalf("logout: status %d, body %s", res.status, res.body)
		}
		if c := cookie(res, api.SessionCookie); c == nil || c.Value != "" || c.MaxAge >= 0 || c.Path != "/" {
			t.Errorf("logout's cookie %v, want it cleared", c)
		}
		checkUnauthenticated(t, w.call(t, "GET", "/api/v1/me", "", withSession(secret)))
		checkUnauthenticated(t, w.call(t, "POST", "/api/v1/logout", "", withSession(secret), withCSRF(csrf)))
		// The user's other session lives on.
		if res := w.call(t, "GET", "/api/v1/me", "", withSession(other)); res.status != 200 {
			t.Errorf("the other session after logout: status %d", res.status)
		}
	})
}

func TestLogoutEverywhere(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		first, csrf := w.session(t, model.RoleOwner)
		second, _ := w.session(t, model.RoleOwner)
		someoneElse, _ := w.session(t, model.RoleCM)
		for _, s := range []string{first, second, someoneElse} {
			if res := w.call(t, "GET", "/api/v1/me", "", withSession(s)); res.status != 200 {
				t.Fatalf("before: status %d", res.status)
			}
		}
		res := w.call(t, "DELETE", "/api/v1/sessions", "", withSession(first), withCSRF(csrf))
		if res.status != http.StatusNoContent {
			t.Fatalf("DELETE /api/v1/sessions: status %d, body %s", res.status, res.body)
		}
		if c := cookie(res, api.SessionCookie); c == nil || c.Value != "" || c.MaxAge >= 0 {
			t.Errorf("cookie %v, want it cleared", c)
		}
		checkUnauthenticated(t, w.call(t, "GET", "/api/v1/me", "", withSession(first)))
		checkUnauthenticated(t, w.call(t, "GET", "/api/v1/me", "", withSession(second)))
		if res := w.call(t, "GET", "/api/v1/me", "", withSession(someoneElse)); res.status != 200 {
			t.Errorf("another user's session: status %d", res.status)
		}
	})
}

func TestDisabledUserSession(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		ctx := context.Background()
		secret, _ := w.session(t, model.RoleClient)
		if res := w.call(t, "GET", "/api/v1/me", "", withSession(secret)); res.status != 200 {
			t.Fatalf("before: status %d", res.status)
		}
		id := w.people[model.RoleClient].user.ID
		if err := st.SetUserDisabled(ctx, id, true, "test"); err != nil {
			t.Fatal(err)
		}
		checkUnauthenticated(t, w.call(t, "GET", "/api/v1/me", "", withSession(secret)))
		checkUnauthenticated(t, w.call(t, "GET", "/api/v1/workspaces/velo/topics", "", withSession(secret)))
		// Enabling the user again does not bring the session back.
		if err := st.SetUserDisabled(ctx, id, false, "test"); err != nil {
			t.Fatal(err)
		}
		checkUnauthenticated(t, w.call(t, "GET", "/api/v1/me", "", withSession(secret)))
	})
}

// TestNoCredentials calls every route but the public ones (login, and the
// inbound webhook, signed instead: TestInboundHook) without credentials,
// and with credentials that are not.
func TestNoCredentials(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		secret, _ := w.session(t, model.RoleOwner)
		if res := w.call(t, "GET", "/api/v1/me", "", withSession(secret)); res.status != 200 {
			t.Fatalf("the session: status %d", res.status)
		}
		for _, rt := range matrixRoutes() {
			if rt.pattern == "POST /api/v1/login" || rt.pattern == "POST /api/v1/hooks/{slug}/{channel}" {
				continue
			}
			for _, own := range []bool{true, false} {
				path := rt.path(w, model.RoleOwner, own)
				for name, opts := range map[string][]opt{
					"none":               nil,
					"empty cookie":       {withSession("")},
					"unknown cookie":     {withSession("bm90IGEgc2Vzc2lvbg")},
					"token as cookie":    {withSession(w.people[admin].token)},
					"empty bearer":       {withAuthorization("Bearer ")},
					"session as bearer":  {withAuthorization("Bearer " + secret)},
					"CSRF header alone":  {withCSRF("x")},
					"cookie of another":  {func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "session", Value: secret}) }},
					"bearer over cookie": {withAuthorization("Bearer nope"), withSession(secret)},
				} {
					res := w.call(t, rt.method(), path, rt.bodyFor(w, model.RoleOwner, own), opts...)
					if res.status != http.StatusUnauthorized {
						t.Errorf("%s %s with %s: status %d, want 401; body %s", rt.method(), path, name, res.status, res.body)
						continue
					}
					checkUnauthenticated(t, res)
				}
			}
		}
		// Login needs none.
		if res := w.signIn(t, "", "manager", w.people[model.RoleManager].password); res.status != 200 {
			t.Errorf("login without credentials: status %d, body %s", res.status, res.body)
		}
		// Nothing was changed by all those calls.
		if got := topicNames(t, st, w.a.ID); len(got) != 0 {
			t.Errorf("topics: %v", got)
		}
	})
}

// TestRoutingWithoutCredentials checks that paths no route serves and
// methods a route does not take answer 404 and 405 before asking who calls.
func TestRoutingWithoutCredentials(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		cases := []struct {
			method, path string
			status       int
			allow        string
		}{
			{"GET", "/api/v1/nope", 404, ""},
			{"GET", "/api/v1/", 404, ""},
			{"GET", "/api/v1/workspaces/velo", 404, ""},
			{"GET", "/api/v1/workspaces/velo/members/cm/role", 404, ""},
			{"POST", "/api/v1/nope", 404, ""},
			{"GET", "/api/v1/login", 405, "POST"},
			{"DELETE", "/api/v1/login", 405, "POST"},
			{"GET", "/api/v1/logout", 405, "POST"},
			{"GET", "/api/v1/sessions", 405, "DELETE"},
			{"PUT", "/api/v1/me", 405, "GET, HEAD"},
			{"PATCH", "/api/v1/workspaces", 405, "GET, HEAD, POST"},
			{"PATCH", "/api/v1/workspaces/velo/topics/x", 405, "DELETE, PUT"},
			{"GET", "/api/v1/workspaces/velo/analyze", 405, "POST"},
			{"DELETE", fmt.Sprintf("/api/v1/conversations/%d", w.convA), 405, "GET, HEAD, PATCH"},
		}
		for _, c := range cases {
			for _, opts := range [][]opt{nil, {withAuthorization("Bearer nope")}} {
				res := w.call(t, c.method, c.path, "", opts...)
				if res.status != c.status {
					t.Errorf("%s %s: status %d, want %d; body %s", c.method, c.path, res.status, c.status, res.body)
					continue
				}
				checkProblem(t, res, c.status, c.path)
				if got := res.header.Get("Allow"); got != c.allow {
					t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
				}
				if got := res.header.Get("WWW-Authenticate"); got != "" {
					t.Errorf("%s %s: WWW-Authenticate %q on a %d", c.method, c.path, got, c.status)
				}
			}
		}
	})
}
