package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"
	"time"

	"palabre/internal/model"
	"palabre/internal/sla"
	"palabre/internal/store"
	"palabre/internal/testutil"
	"palabre/internal/webtest"
)

// The settings pages of settings.go, through a real server and real
// sessions, on both engines: what a manager changes lands in the store,
// what a CM or a forged form tries changes nothing.

func cannedNamed(t *testing.T, st *store.Store, wsID int64, name string) (model.CannedReply, bool) {
	t.Helper()
	list, err := st.CannedReplies(context.Background(), wsID, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c.Name == name {
			return c, true
		}
	}
	return model.CannedReply{}, false
}

func topicTerms(t *testing.T, st *store.Store, wsID int64, name string) ([]string, bool) {
	t.Helper()
	topics, err := st.Topics(context.Background(), wsID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tp := range topics {
		if tp.Name == name {
			return tp.Terms, true
		}
	}
	return nil, false
}

func roleOf(t *testing.T, st *store.Store, login string, wsID int64) string {
	t.Helper()
	ctx := context.Background()
	u, err := st.UserByLogin(ctx, login)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := st.Memberships(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.WorkspaceID == wsID {
			return m.Role
		}
	}
	return ""
}

func seeOther(t *testing.T, what string, p webtest.Page, to string) {
	t.Helper()
	if p.Status != http.StatusSeeOther || p.Location() != to {
		t.Fatalf("%s: status %d to %q, want 303 to %q: %s", what, p.Status, p.Location(), to, p.Body)
	}
}

var (
	secretField   = regexp.MustCompile(`id="new-secret"[^>]*value="([^"]+)"`)
	passwordField = regexp.MustCompile(`id="new-password"[^>]*value="([^"]+)"`)
)

func TestSettingsPages(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		a := newAgency(t, st)
		webtest.User(t, st, "zoe", false) // a user without any role yet
		_, rootPassword := webtest.User(t, st, "root", true)
		nadia, lea := a.session(t, "nadia"), a.session(t, "lea")
		root := webtest.SignIn(t, a.base, "root", rootPassword)
		canned := "/settings/workspaces/velo/canned"

		t.Run("a CM sees no settings of the workspace", func(t *testing.T) {
			lacks(t, "CM's inbox", lea.Get("/inbox"), `href="/settings"`)
			contains(t, "manager's inbox", nadia.Get("/inbox"), `href="/settings"`)
			for _, section := range []string{"", "/canned", "/sla", "/topics", "/members"} {
				if got := lea.Get("/settings/workspaces/velo" + section); got.Status != http.StatusNotFound {
					t.Errorf("CM on %q: status %d", section, got.Status)
				}
			}
			res := lea.Submit(canned, url.Values{"name": {"Pirate"}, "body": {"Bonjour"}})
			if res.Status != http.StatusNotFound {
				t.Errorf("CM's canned form: status %d", res.Status)
			}
			if _, ok := cannedNamed(t, st, a.velo.ID, "Pirate"); ok {
				t.Error("a CM's form created a canned reply")
			}
			for _, p := range []string{"/settings/workspaces", "/settings/users"} {
				if got := nadia.Get(p); got.Status != http.StatusNotFound {
					t.Errorf("manager on %s: status %d", p, got.Status)
				}
			}
			home := nadia.Get("/settings")
			contains(t, "manager's settings", home, `href="/settings/workspaces/velo/canned"`, `href="/settings/tokens"`)
			lacks(t, "manager's settings", home, "/settings/workspaces/banque/", `href="/settings/users"`)
			if got := nadia.Get("/settings/workspaces/banque/canned"); got.Status != http.StatusNotFound {
				t.Errorf("manager on another workspace: status %d", got.Status)
			}
		})

		t.Run("a form without the CSRF token changes nothing", func(t *testing.T) {
			for _, form := range []url.Values{
				{"name": {"Forgée"}, "body": {"Bonjour"}},
				{"name": {"Forgée"}, "body": {"Bonjour"}, "csrf": {"not-the-token"}},
			} {
				if res := nadia.Post(canned, form); res.Status != http.StatusForbidden {
					t.Errorf("form with csrf %q: status %d", form.Get("csrf"), res.Status)
				}
			}
			if _, ok := cannedNamed(t, st, a.velo.ID, "Forgée"); ok {
				t.Error("a form without the CSRF token created a canned reply")
			}
			if res := nadia.Post("/settings/workspaces/velo/members", url.Values{"login": {"zoe"}, "role": {"cm"}}); res.Status != http.StatusForbidden {
				t.Errorf("members form without csrf: status %d", res.Status)
			}
			if r := roleOf(t, st, "zoe", a.velo.ID); r != "" {
				t.Errorf("a form without the CSRF token gave zoe the role %q", r)
			}
		})

		t.Run("canned replies", func(t *testing.T) {
			contains(t, "canned page", nadia.Get(canned), "Excuses", "{{member.first_name}}", `name="body"`, `for="canned-body"`)
			seeOther(t, "create", nadia.Submit(canned, url.Values{"name": {"Horaires"}, "language": {"fr"},
				"body": {"Bonjour {{member.first_name}}, nous ouvrons à 9 h."}}), canned)
			c, ok := cannedNamed(t, st, a.velo.ID, "Horaires")
			if !ok || c.Language != "fr" {
				t.Fatalf("created canned reply: %+v, %v", c, ok)
			}
			contains(t, "after create", nadia.Get(canned), "Horaires", "Canned reply Horaires created.")
			id := strconv.FormatInt(c.ID, 10)
			contains(t, "edit form", nadia.Get(canned+"?edit="+id), `action="/settings/workspaces/velo/canned/`+id+`"`, "nous ouvrons à 9 h.")

			res := nadia.Submit(canned+"/"+id, url.Values{"name": {"Horaires"}, "language": {"fr"}, "body": {"Bonjour {{membre.prenom}}"}})
			if res.Status != http.StatusUnprocessableEntity {
				t.Fatalf("unknown variable: status %d", res.Status)
			}
			contains(t, "refused edit", res, `class="problem"`, "membre.prenom", "Bonjour {{membre.prenom}}</textarea>")
			if c, _ := cannedNamed(t, st, a.velo.ID, "Horaires"); c.Body != "Bonjour {{member.first_name}}, nous ouvrons à 9 h." {
				t.Fatalf("a refused edit changed the body to %q", c.Body)
			}

			seeOther(t, "edit", nadia.Submit(canned+"/"+id, url.Values{"name": {"Horaires"}, "language": {""},
				"body": {"Nous ouvrons à 9 h, {{cm.first_name}}."}}), canned)
			if c, _ := cannedNamed(t, st, a.velo.ID, "Horaires"); c.Body != "Nous ouvrons à 9 h, {{cm.first_name}}." || c.Language != "" {
				t.Fatalf("edited canned reply: %+v", c)
			}
			seeOther(t, "delete", nadia.Submit(canned+"/"+id+"/delete", nil), canned)
			if _, ok := cannedNamed(t, st, a.velo.ID, "Horaires"); ok {
				t.Fatal("the canned reply is still there")
			}
		})

		t.Run("service levels", func(t *testing.T) {
			page := "/settings/workspaces/velo/sla"
			contains(t, "empty SLA", nadia.Get(page), `name="time_zone" value="UTC"`, `name="policies" value="1"`, `for="sla-h-mon"`)
			form := url.Values{"time_zone": {"Europe/Paris"}, "hours.mon": {"09:00-12:30, 14:00-18:00"}, "hours.tue": {"09:00-18:00"},
				"holidays": {"2026-12-25\r\n\r\n2027-01-01\r\n"}, "warn_before": {"15m"}, "notify": {"1"},
				"policies": {"3"},
				"name.0":   {"Standard"}, "first_response.0": {"4h"}, "resolution.0": {"48h"}, "order.0": {"2"},
				"name.1": {"Urgent"}, "priority.1": {"2", "3"}, "channels.1": {"blog, forum"}, "first_response.1": {"1h"}, "order.1": {"1"},
				"order.2": {"3"}, // the blank row
			}
			seeOther(t, "save", nadia.Submit(page, form), page)
			s, ok, err := st.SLASettings(ctx, a.velo.ID)
			if err != nil || !ok {
				t.Fatalf("SLA settings: %v, %v", ok, err)
			}
			if s.Calendar.TimeZone != "Europe/Paris" || len(s.Calendar.Hours["mon"]) != 2 || len(s.Calendar.Hours) != 2 ||
				len(s.Calendar.Holidays) != 2 || s.WarnBefore != sla.Duration(15*time.Minute) || !s.Escalation.Notify || s.Escalation.Reroute {
				t.Fatalf("saved SLA settings: %+v", s)
			}
			if len(s.Policies) != 2 || s.Policies[0].Name != "Urgent" || len(s.Policies[0].Priorities) != 2 ||
				len(s.Policies[0].Channels) != 2 || s.Policies[0].FirstResponse != sla.Duration(time.Hour) ||
				s.Policies[1].Name != "Standard" || s.Policies[1].Resolution != sla.Duration(48*time.Hour) {
				t.Fatalf("saved policies, in order: %+v", s.Policies)
			}
			contains(t, "saved SLA", nadia.Get(page), `value="Europe/Paris"`, `value="09:00-12:30, 14:00-18:00"`, "2027-01-01</textarea>",
				`name="policies" value="3"`, `value="Urgent"`, `name="priority.0" value="2" checked`)

			bad := url.Values{}
			for k, v := range form {
				bad[k] = v
			}
			bad.Set("time_zone", "Mars/Olympus")
			res := nadia.Submit(page, bad)
			if res.Status < 400 {
				t.Fatalf("a bad time zone: status %d", res.Status)
			}
			contains(t, "refused SLA", res, `class="problem"`, "Mars/Olympus")
			bad.Set("time_zone", "Europe/Paris")
			bad.Set("first_response.1", "2d")
			res = nadia.Submit(page, bad)
			if res.Status < 400 {
				t.Fatalf("a duration in days: status %d", res.Status)
			}
			contains(t, "refused SLA", res, `class="problem"`, "days are ambiguous", `value="2d"`)
			if s2, _, _ := st.SLASettings(ctx, a.velo.ID); s2.Calendar.TimeZone != "Europe/Paris" || s2.Policies[0].FirstResponse != sla.Duration(time.Hour) {
				t.Fatalf("a refused form changed the settings: %+v", s2)
			}

			remove := url.Values{}
			for k, v := range form {
				remove[k] = v
			}
			remove.Set("remove.0", "1")
			seeOther(t, "remove a policy", nadia.Submit(page, remove), page)
			if s, _, _ := st.SLASettings(ctx, a.velo.ID); len(s.Policies) != 1 || s.Policies[0].Name != "Urgent" {
				t.Fatalf("after removing Standard: %+v", s.Policies)
			}
		})

		t.Run("topics", func(t *testing.T) {
			page := "/settings/workspaces/velo/topics"
			seeOther(t, "add", nadia.Submit(page, url.Values{"name": {"livraison"}, "terms": {"livraison\r\ncolis\r\n\r\nlivreur"}}), page)
			if terms, ok := topicTerms(t, st, a.velo.ID, "livraison"); !ok || len(terms) != 3 {
				t.Fatalf("added topic: %q, %v", terms, ok)
			}
			contains(t, "topic list", nadia.Get(page), "livraison", "colis, livreur")
			contains(t, "edit form", nadia.Get(page+"?edit=livraison"), `name="editing"`, "livraison\ncolis\nlivreur</textarea>")
			seeOther(t, "edit", nadia.Submit(page, url.Values{"name": {"livraison"}, "editing": {"1"}, "terms": {"colis\nretard de livraison"}}), page)
			if terms, _ := topicTerms(t, st, a.velo.ID, "livraison"); len(terms) != 2 || terms[1] != "retard de livraison" {
				t.Fatalf("edited topic: %q", terms)
			}
			seeOther(t, "delete", nadia.Submit(page+"/delete", url.Values{"name": {"livraison"}}), page)
			if _, ok := topicTerms(t, st, a.velo.ID, "livraison"); ok {
				t.Fatal("the topic is still there")
			}
		})

		t.Run("members", func(t *testing.T) {
			page := "/settings/workspaces/velo/members"
			list := nadia.Get(page)
			contains(t, "members", list, "hugo", "lea", `<option value="manager"`)
			lacks(t, "a manager's role choices", list, `<option value="owner"`)
			seeOther(t, "add", nadia.Submit(page, url.Values{"login": {"zoe"}, "role": {"expert"}}), page)
			if r := roleOf(t, st, "zoe", a.velo.ID); r != model.RoleExpert {
				t.Fatalf("zoe's role: %q", r)
			}
			seeOther(t, "change", nadia.Submit(page, url.Values{"login": {"zoe"}, "role": {"cm"}}), page)
			if r := roleOf(t, st, "zoe", a.velo.ID); r != model.RoleCM {
				t.Fatalf("zoe's new role: %q", r)
			}
			res := nadia.Submit(page, url.Values{"login": {"zoe"}, "role": {"owner"}})
			if res.Status != http.StatusForbidden {
				t.Fatalf("a manager making an owner: status %d", res.Status)
			}
			contains(t, "refused owner", res, `class="problem"`)
			if r := roleOf(t, st, "zoe", a.velo.ID); r != model.RoleCM {
				t.Fatalf("a refused change gave zoe %q", r)
			}
			if res := nadia.Submit(page, url.Values{"login": {"nobody"}, "role": {"cm"}}); res.Status != http.StatusNotFound {
				t.Fatalf("an unknown login: status %d", res.Status)
			}
			contains(t, "an administrator's role choices", root.Get(page), `<option value="owner"`)
			seeOther(t, "an administrator makes an owner", root.Submit(page, url.Values{"login": {"zoe"}, "role": {"owner"}}), page)
			list = nadia.Get(page)
			contains(t, "an owner seen by a manager", list, "<td>zoe</td>")
			lacks(t, "an owner seen by a manager", list, `id="role-zoe"`, "Remove zoe")
			seeOther(t, "a manager removing an owner", nadia.Submit(page+"/remove", url.Values{"login": {"zoe"}}), page)
			contains(t, "after a refused removal", nadia.Get(page), `class="flash error"`, "owner")
			if r := roleOf(t, st, "zoe", a.velo.ID); r != model.RoleOwner {
				t.Fatalf("a manager's removal of an owner left %q", r)
			}
			seeOther(t, "remove", root.Submit(page+"/remove", url.Values{"login": {"zoe"}}), page)
			if r := roleOf(t, st, "zoe", a.velo.ID); r != "" {
				t.Fatalf("zoe still has the role %q", r)
			}
		})

		t.Run("API tokens", func(t *testing.T) {
			res := nadia.Submit("/settings/tokens", url.Values{"name": {"tableau de bord"}, "access": {"read"},
				"workspaces": {"velo"}, "expires_in": {"720h"}})
			if res.Status != http.StatusCreated {
				t.Fatalf("new token: status %d: %s", res.Status, res.Body)
			}
			m := secretField.FindStringSubmatch(res.Body)
			if m == nil {
				t.Fatalf("no secret on the page: %s", res.Body)
			}
			secret := m[1]
			list := nadia.Get("/settings/tokens")
			contains(t, "tokens", list, "tableau de bord", "Vélo Atelier")
			lacks(t, "tokens after", list, secret)
			u, err := st.UserByLogin(ctx, "nadia")
			if err != nil {
				t.Fatal(err)
			}
			ts, err := st.APITokens(ctx, u.ID)
			if err != nil || len(ts) != 1 || ts[0].CanWrite || len(ts[0].Workspaces) != 1 || ts[0].ExpiresAt == nil {
				t.Fatalf("tokens: %+v, %v", ts, err)
			}
			req, _ := http.NewRequest(http.MethodGet, a.base+"/api/v1/me", nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != http.StatusOK {
				t.Fatalf("the new token on /api/v1/me: %v, %v", r, err)
			} else {
				r.Body.Close()
			}
			seeOther(t, "revoke", nadia.Submit("/settings/tokens/"+strconv.FormatInt(ts[0].ID, 10)+"/revoke", nil), "/settings/tokens")
			if ts, _ := st.APITokens(ctx, u.ID); len(ts) != 0 {
				t.Fatalf("tokens after revoking: %+v", ts)
			}
		})

		t.Run("an administrator creates a workspace and users", func(t *testing.T) {
			home := root.Get("/settings")
			contains(t, "administrator's settings", home, `href="/settings/workspaces"`, `href="/settings/users"`, "/settings/workspaces/banque/canned")
			seeOther(t, "new workspace", root.Submit("/settings/workspaces", url.Values{"slug": {"mode"}, "name": {"Mode & Co"},
				"sector": {"retail"}, "language": {"fr"}}), "/settings/workspaces")
			ws, err := st.WorkspaceBySlug(ctx, "mode")
			if err != nil || ws.Name != "Mode & Co" || ws.Sector != "retail" {
				t.Fatalf("new workspace: %+v, %v", ws, err)
			}
			contains(t, "workspaces", root.Get("/settings/workspaces"), "Mode &amp; Co")
			res := root.Submit("/settings/workspaces", url.Values{"slug": {"Pas Bon"}, "name": {"Pas bon"}})
			if res.Status < 400 {
				t.Fatalf("a bad slug: status %d", res.Status)
			}
			contains(t, "refused workspace", res, `class="problem"`, `value="Pas Bon"`)

			res = root.Submit("/settings/users", url.Values{"login": {"paul"}, "name": {"Paul Durand"}})
			if res.Status != http.StatusCreated {
				t.Fatalf("new user: status %d: %s", res.Status, res.Body)
			}
			m := passwordField.FindStringSubmatch(res.Body)
			if m == nil {
				t.Fatalf("no password on the page: %s", res.Body)
			}
			lacks(t, "users after", root.Get("/settings/users"), m[1])
			webtest.SignIn(t, a.base, "paul", m[1])

			res = root.Submit("/settings/users", url.Values{"login": {"sam"}, "password": {"une phrase de passe"}, "is_admin": {"1"}})
			if res.Status != http.StatusCreated || passwordField.MatchString(res.Body) {
				t.Fatalf("new user with a password: status %d", res.Status)
			}
			if u, err := st.UserByLogin(ctx, "sam"); err != nil || !u.IsAdmin {
				t.Fatalf("sam: %+v, %v", u, err)
			}
			webtest.SignIn(t, a.base, "sam", "une phrase de passe")
			if res := nadia.Submit("/settings/users", url.Values{"login": {"eve"}}); res.Status != http.StatusNotFound {
				t.Fatalf("a manager creating a user: status %d", res.Status)
			}
			if _, err := st.UserByLogin(ctx, "eve"); err == nil {
				t.Fatal("a manager created a user")
			}
		})
	})
}
