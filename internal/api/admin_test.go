package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

func TestCreateWorkspace(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		var ws model.Workspace
		decode(t, w.as(t, admin, "POST", "/api/v1/workspaces", `{"slug":"cafe","name":"Café du coin","sector":"food","language":"fr"}`), 201, &ws)
		if ws.ID == 0 || ws.Slug != "cafe" || ws.Name != "Café du coin" || ws.Sector != "food" || ws.Language != "fr" || ws.CreatedAt.IsZero() {
			t.Errorf("created workspace %+v", ws)
		}
		if got, err := st.WorkspaceBySlug(context.Background(), "cafe"); err != nil || got.ID != ws.ID || got.Name != ws.Name {
			t.Errorf("stored workspace %+v, %v; want %+v", got, err, ws)
		}
		// The name defaults to the slug.
		decode(t, w.as(t, admin, "POST", "/api/v1/workspaces", `{"slug":"the-shop"}`), 201, &ws)
		if ws.Slug != "the-shop" || ws.Name != "the-shop" {
			t.Errorf("workspace without a name %+v", ws)
		}
		checkProblem(t, w.as(t, admin, "POST", "/api/v1/workspaces", `{"slug":"cafe","name":"Another"}`), http.StatusConflict)
		for _, slug := range []string{"", "Cafe", "café", "-cafe", "cafe-", "ca fe", strings.Repeat("a", 65)} {
			checkProblem(t, w.as(t, admin, "POST", "/api/v1/workspaces", `{"slug":"`+slug+`"}`), http.StatusUnprocessableEntity, "slug")
		}
		checkProblem(t, w.as(t, admin, "POST", "/api/v1/workspaces", `{"slug":"x","color":"red"}`), http.StatusBadRequest)
		// Only an administrator creates workspaces, even an owner.
		for _, who := range []string{model.RoleOwner, model.RoleManager, nobody} {
			checkProblem(t, w.as(t, who, "POST", "/api/v1/workspaces", `{"slug":"by-`+who+`"}`), http.StatusForbidden, "administrator")
		}
		all, err := st.Workspaces(context.Background())
		var slugs []string
		for _, ws := range all {
			slugs = append(slugs, ws.Slug)
		}
		slices.Sort(slugs)
		if want := []string{"banque", "cafe", "the-shop", "velo"}; err != nil || !slices.Equal(slugs, want) {
			t.Errorf("workspaces %v, %v; want %v", slugs, err, want)
		}
		// The administrator sees the new workspace; nobody else has a role there.
		if got := workspaceSlugs(t, w.as(t, admin, "GET", "/api/v1/workspaces", "").body); !slices.Equal(got, []string{"banque", "cafe", "the-shop", "velo"}) {
			t.Errorf("the administrator's workspaces %v", got)
		}
		if got := workspaceSlugs(t, w.as(t, model.RoleOwner, "GET", "/api/v1/workspaces", "").body); !slices.Equal(got, []string{"velo"}) {
			t.Errorf("the owner's workspaces %v", got)
		}
	})
}

func TestCreateUser(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		const pass = "une phrase de passe assez longue"
		res := w.as(t, admin, "POST", "/api/v1/users", `{"login":"Lea","name":"Léa Martin","password":"`+pass+`"}`)
		var u model.User
		decode(t, res, 201, &u)
		if u.ID == 0 || u.Login != "lea" || u.Name != "Léa Martin" || u.IsAdmin || u.Disabled || u.CreatedAt.IsZero() {
			t.Errorf("created user %+v", u)
		}
		if strings.Contains(string(res.body), "password") || strings.Contains(string(res.body), "argon2") {
			t.Errorf("the answer tells of the password: %s", res.body)
		}
		// The new user signs in with the password.
		if res := w.signIn(t, "", "lea", pass); res.status != 200 {
			t.Errorf("sign-in of the new user: status %d, body %s", res.status, res.body)
		}
		var admin2 model.User
		decode(t, w.as(t, admin, "POST", "/api/v1/users", `{"login":"boss","password":"`+pass+`","is_admin":true}`), 201, &admin2)
		if !admin2.IsAdmin || admin2.Name != "boss" {
			t.Errorf("created administrator %+v", admin2)
		}

		for _, weak := range []string{"", "short", "ninechars"} {
			checkProblem(t, w.as(t, admin, "POST", "/api/v1/users", `{"login":"weak","password":"`+weak+`"}`), http.StatusUnprocessableEntity, "password")
		}
		if _, err := st.UserByLogin(context.Background(), "weak"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a user with a weak password was stored: %v", err)
		}
		checkProblem(t, w.as(t, admin, "POST", "/api/v1/users", `{"login":"LEA","password":"`+pass+`"}`), http.StatusConflict)
		checkProblem(t, w.as(t, admin, "POST", "/api/v1/users", `{"login":"lea","password":"`+pass+`"}`), http.StatusConflict)
		checkProblem(t, w.as(t, admin, "POST", "/api/v1/users", `{"login":"<lea>","password":"`+pass+`"}`), http.StatusUnprocessableEntity, "login")
		checkProblem(t, w.as(t, admin, "POST", "/api/v1/users", `{"login":"x","password":"`+pass+`","role":"cm"}`), http.StatusBadRequest)

		var list struct {
			Users []model.User `json:"users"`
		}
		decode(t, w.as(t, admin, "GET", "/api/v1/users", ""), 200, &list)
		var logins []string
		for _, u := range list.Users {
			if !strings.HasPrefix(u.Login, "admin") || u.Login == admin { // leave out serve's own administrator
				logins = append(logins, u.Login)
			}
		}
		want := []string{admin, "boss", model.RoleClient, model.RoleCM, model.RoleExpert, "lea", model.RoleManager, nobody, outsider, model.RoleOwner, target}
		if !slices.Equal(logins, want) {
			t.Errorf("users %v, want %v", logins, want)
		}
		for _, who := range []string{model.RoleOwner, model.RoleCM, nobody} {
			checkProblem(t, w.as(t, who, "GET", "/api/v1/users", ""), http.StatusForbidden, "administrator")
			checkProblem(t, w.as(t, who, "POST", "/api/v1/users", `{"login":"by-`+who+`","password":"`+pass+`"}`), http.StatusForbidden, "administrator")
		}
	})
}

// memberList is the answer of GET …/members.
type memberList struct {
	Members []struct{ Login, Name, Role string } `json:"members"`
}

func (m memberList) String() string {
	var out []string
	for _, x := range m.Members {
		out = append(out, x.Login+":"+x.Role)
	}
	return strings.Join(out, " ")
}

func TestMembers(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		const members = "/api/v1/workspaces/velo/members"
		const targetPath = members + "/" + target
		list := func(who string) string {
			t.Helper()
			var m memberList
			decode(t, w.as(t, who, "GET", members, ""), 200, &m)
			for _, x := range m.Members {
				if x.Name != x.Login { // the world's users are named by their login
					t.Errorf("member %+v", x)
				}
			}
			return m.String()
		}
		if got, want := list(model.RoleCM), "client:client cm:cm expert:expert manager:manager owner:owner"; got != want {
			t.Errorf("members of velo: %s, want %s", got, want)
		}
		role := func() string {
			t.Helper()
			r, err := st.Role(context.Background(), w.people[target].user.ID, w.a.ID)
			if errors.Is(err, store.ErrNotFound) {
				return ""
			}
			if err != nil {
				t.Fatal(err)
			}
			return r
		}

		// A manager gives and changes roles, except the owner role.
		res := w.as(t, model.RoleManager, "PUT", targetPath, `{"role":"cm"}`)
		if res.status != 200 || string(res.body) != `{"login":"target","name":"target","role":"cm"}`+"\n" {
			t.Fatalf("PUT cm: status %d, body %s", res.status, res.body)
		}
		if got := list(model.RoleManager); got != "client:client cm:cm expert:expert manager:manager owner:owner target:cm" {
			t.Errorf("members after the PUT: %s", got)
		}
		checkProblem(t, w.as(t, model.RoleManager, "PUT", targetPath, `{"role":"owner"}`), http.StatusForbidden, "owner")
		checkProblem(t, w.as(t, model.RoleManager, "PUT", members+"/manager", `{"role":"owner"}`), http.StatusForbidden, "owner")
		if got := role(); got != model.RoleCM {
			t.Errorf("role after refused promotions: %q", got)
		}
		// An owner makes an owner; then only an owner changes or takes that role.
		decode(t, w.as(t, model.RoleOwner, "PUT", targetPath, `{"role":"owner"}`), 200, new(any))
		checkProblem(t, w.as(t, model.RoleManager, "PUT", targetPath, `{"role":"client"}`), http.StatusForbidden, "owner")
		checkProblem(t, w.as(t, model.RoleManager, "DELETE", targetPath, ""), http.StatusForbidden, "owner")
		checkProblem(t, w.as(t, model.RoleManager, "DELETE", members+"/owner", ""), http.StatusForbidden, "owner")
		if got := role(); got != model.RoleOwner {
			t.Errorf("role after a manager's refused changes: %q", got)
		}
		if res := w.as(t, model.RoleOwner, "DELETE", targetPath, ""); res.status != 204 || len(res.body) != 0 {
			t.Fatalf("owner's DELETE: status %d, body %s", res.status, res.body)
		}
		if got := role(); got != "" {
			t.Errorf("role after DELETE: %q", got)
		}
		checkProblem(t, w.as(t, model.RoleOwner, "DELETE", targetPath, ""), http.StatusNotFound)
		// An administrator's role counts as owner's.
		decode(t, w.as(t, admin, "PUT", targetPath, `{"role":"owner"}`), 200, new(any))
		if res := w.as(t, admin, "DELETE", targetPath, ""); res.status != 204 {
			t.Errorf("admin's DELETE of an owner: status %d, body %s", res.status, res.body)
		}
		// A CM, a client and an expert change no role.
		checkProblem(t, w.as(t, model.RoleCM, "PUT", targetPath, `{"role":"client"}`), http.StatusForbidden, "cm")
		checkProblem(t, w.as(t, model.RoleClient, "PUT", targetPath, `{"role":"client"}`), http.StatusForbidden, "client")
		checkProblem(t, w.as(t, model.RoleExpert, "PUT", targetPath, `{"role":"client"}`), http.StatusNotFound)
		checkProblem(t, w.as(t, model.RoleClient, "GET", members, ""), http.StatusForbidden, "client")
		if got := role(); got != "" {
			t.Errorf("role after refused calls: %q", got)
		}
		// Bad requests.
		checkProblem(t, w.as(t, model.RoleOwner, "PUT", targetPath, `{"role":"admin"}`), http.StatusBadRequest, "role")
		checkProblem(t, w.as(t, model.RoleOwner, "PUT", targetPath, `{}`), http.StatusBadRequest, "role")
		checkProblem(t, w.as(t, model.RoleOwner, "PUT", members+"/nobody-here", `{"role":"cm"}`), http.StatusNotFound)
		checkProblem(t, w.as(t, model.RoleOwner, "PUT", "/api/v1/workspaces/banque/members/"+target, `{"role":"cm"}`), http.StatusNotFound)
		if got := list(model.RoleOwner); got != "client:client cm:cm expert:expert manager:manager owner:owner" {
			t.Errorf("members at the end: %s", got)
		}
	})
}

// createdToken is the answer of POST /api/v1/me/tokens.
type createdToken struct {
	model.APIToken
	Token string `json:"token"`
}

func TestTokens(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		const topics = "/api/v1/workspaces/velo/topics"
		create := func(who, body string) createdToken {
			t.Helper()
			var c createdToken
			decode(t, w.as(t, who, "POST", "/api/v1/me/tokens", body), 201, &c)
			if !strings.HasPrefix(c.Token, "plb_") || c.ID == 0 || c.UserID != w.people[who].user.ID {
				t.Fatalf("created token %+v", c)
			}
			return c
		}

		// A token for velo only, that may write and expires in 90 days.
		before := time.Now()
		ci := create(model.RoleOwner, `{"name":"ci","workspaces":["velo","velo"],"write":true,"expires_in":"2160h"}`)
		if ci.Name != "ci" || !ci.CanWrite || !slices.Equal(ci.Workspaces, []int64{w.a.ID}) || ci.ExpiresAt == nil ||
			ci.ExpiresAt.Before(before.Add(2160*time.Hour-time.Minute)) || ci.ExpiresAt.After(time.Now().Add(2160*time.Hour+time.Minute)) {
			t.Errorf("token ci %+v", ci)
		}
		if res := w.call(t, "PUT", topics+"/Livraison", `{"terms":["colis"]}`, withToken(ci.Token)); res.status != 201 {
			t.Errorf("PUT with the new token: status %d, body %s", res.status, res.body)
		}
		// A read-only token, for every workspace of the owner.
		ro := create(model.RoleOwner, `{"name":"ro"}`)
		if ro.CanWrite || len(ro.Workspaces) != 0 || ro.ExpiresAt != nil {
			t.Errorf("token ro %+v", ro)
		}
		if res := w.call(t, "GET", topics, "", withToken(ro.Token)); res.status != 200 {
			t.Errorf("GET with the read-only token: status %d", res.status)
		}
		checkProblem(t, w.call(t, "PUT", topics+"/Freins", `{"terms":["frein"]}`, withToken(ro.Token)), http.StatusForbidden, "read-only")
		checkProblem(t, w.call(t, "POST", "/api/v1/me/tokens", `{"name":"wider"}`, withToken(ro.Token)), http.StatusForbidden, "read-only")
		checkProblem(t, w.call(t, "DELETE", fmt.Sprintf("/api/v1/me/tokens/%d", ci.ID), "", withToken(ro.Token)), http.StatusForbidden, "read-only")
		// A scoped token, even one that may write, makes no token.
		checkProblem(t, w.call(t, "POST", "/api/v1/me/tokens", `{"name":"wider","write":true}`, withToken(ci.Token)), http.StatusForbidden, "token")

		// An administrator's token scoped to velo reaches velo only.
		adm := create(admin, `{"name":"velo only","workspaces":["velo"],"write":true}`)
		if got := workspaceSlugs(t, w.call(t, "GET", "/api/v1/workspaces", "", withToken(adm.Token)).body); !slices.Equal(got, []string{"velo"}) {
			t.Errorf("workspaces of the scoped token: %v", got)
		}
		checkProblem(t, w.call(t, "GET", "/api/v1/workspaces/banque/topics", "", withToken(adm.Token)), http.StatusNotFound)
		checkProblem(t, w.call(t, "GET", fmt.Sprintf("/api/v1/conversations/%d", w.convB), "", withToken(adm.Token)), http.StatusNotFound)
		create(admin, `{"name":"banque","workspaces":["banque"]}`)

		// Under a session, with its CSRF token.
		secret, csrf := w.session(t, model.RoleCM)
		res := w.call(t, "POST", "/api/v1/me/tokens", `{"name":"from the console"}`, withSession(secret), withCSRF(csrf))
		if res.status != 201 || !strings.Contains(string(res.body), `"token":"plb_`) {
			t.Errorf("token made under a session: status %d, body %s", res.status, res.body)
		}

		// Workspaces the caller does not see, and bad requests.
		for _, body := range []string{`{"name":"x","workspaces":["banque"]}`, `{"name":"x","workspaces":["nope"]}`, `{"name":"x","workspaces":["Not A Slug"]}`} {
			checkProblem(t, w.as(t, model.RoleOwner, "POST", "/api/v1/me/tokens", body), http.StatusNotFound)
		}
		checkProblem(t, w.as(t, model.RoleExpert, "POST", "/api/v1/me/tokens", `{"name":"x","workspaces":["velo"]}`), http.StatusNotFound)
		for _, exp := range []string{"soon", "-1h", "0s"} {
			checkProblem(t, w.as(t, model.RoleOwner, "POST", "/api/v1/me/tokens", `{"name":"x","expires_in":"`+exp+`"}`), http.StatusBadRequest, "expires_in")
		}
		checkProblem(t, w.as(t, model.RoleOwner, "POST", "/api/v1/me/tokens", `{"name":""}`), http.StatusUnprocessableEntity, "name")

		// Each lists their own tokens, without secrets.
		var list struct {
			Tokens []model.APIToken `json:"tokens"`
		}
		res = w.as(t, model.RoleOwner, "GET", "/api/v1/me/tokens", "")
		decode(t, res, 200, &list)
		var names []string
		for _, tok := range list.Tokens {
			names = append(names, tok.Name)
		}
		if !slices.Equal(names, []string{"read-write", "ci", "ro"}) || strings.Contains(string(res.body), "plb_") {
			t.Errorf("the owner's tokens %v in %s", names, res.body)
		}
		decode(t, w.as(t, nobody, "GET", "/api/v1/me/tokens", ""), 200, &list)
		if len(list.Tokens) != 1 || list.Tokens[0].Name != "read-write" {
			t.Errorf("nobody's tokens %+v", list.Tokens)
		}

		// Revoking: another's token is not found; one's own is gone.
		checkProblem(t, w.as(t, model.RoleCM, "DELETE", fmt.Sprintf("/api/v1/me/tokens/%d", ci.ID), ""), http.StatusNotFound)
		checkProblem(t, w.as(t, admin, "DELETE", fmt.Sprintf("/api/v1/me/tokens/%d", ci.ID), ""), http.StatusNotFound)
		if res := w.call(t, "GET", topics, "", withToken(ci.Token)); res.status != 200 {
			t.Fatalf("ci after others' attempts: status %d", res.status)
		}
		if res := w.as(t, model.RoleOwner, "DELETE", fmt.Sprintf("/api/v1/me/tokens/%d", ci.ID), ""); res.status != 204 || len(res.body) != 0 {
			t.Fatalf("revoke: status %d, body %s", res.status, res.body)
		}
		checkUnauthenticated(t, w.call(t, "GET", topics, "", withToken(ci.Token)))
		checkProblem(t, w.as(t, model.RoleOwner, "DELETE", fmt.Sprintf("/api/v1/me/tokens/%d", ci.ID), ""), http.StatusNotFound)
		checkProblem(t, w.as(t, model.RoleOwner, "DELETE", "/api/v1/me/tokens/x", ""), http.StatusBadRequest, "token id")
		// A token revokes itself.
		if res := w.call(t, "DELETE", fmt.Sprintf("/api/v1/me/tokens/%d", adm.ID), "", withToken(adm.Token)); res.status != 204 {
			t.Errorf("a token revoking itself: status %d, body %s", res.status, res.body)
		}
		checkUnauthenticated(t, w.call(t, "GET", "/api/v1/me", "", withToken(adm.Token)))
	})
}
