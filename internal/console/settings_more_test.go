package console_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"testing"

	"palabre/internal/store"
	"palabre/internal/testutil"
	"palabre/internal/webtest"
)

// upload sends the import form without JavaScript: multipart, the file last.
func upload(t *testing.T, s *webtest.Session, slug, name string, content []byte) webtest.Page {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"csrf": s.CSRF, "format": "auto"} {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	return s.Do(http.MethodPost, "/settings/workspaces/"+slug+"/import", &buf, map[string]string{"Content-Type": mw.FormDataContentType()})
}

func messageCount(t *testing.T, st *store.Store, wsID int64) int {
	t.Helper()
	page, err := st.Conversations(context.Background(), wsID, store.ConversationFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range page.Conversations {
		n += c.MessageCount
	}
	return n
}

func TestSettingsMorePages(t *testing.T) {
	wxr, err := os.ReadFile(testutil.SharedData(t, "seed-thread.wxr.xml"))
	if err != nil {
		t.Fatal(err)
	}
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		a := newAgency(t, st)
		nadia, lea := a.session(t, "nadia"), a.session(t, "lea")

		t.Run("a CM may not open them", func(t *testing.T) {
			for _, p := range []string{"import", "routing", "team"} {
				if got := lea.Get("/settings/workspaces/velo/" + p); got.Status != http.StatusNotFound {
					t.Errorf("CM on %s: status %d", p, got.Status)
				}
			}
			if got := upload(t, lea, "velo", "seed.wxr.xml", wxr); got.Status != http.StatusNotFound {
				t.Errorf("CM upload: status %d", got.Status)
			}
		})

		t.Run("pages", func(t *testing.T) {
			contains(t, "import", nadia.Get("/settings/workspaces/velo/import"), `enctype="multipart/form-data"`, "settings.js", "<progress")
			contains(t, "routing", nadia.Get("/settings/workspaces/velo/routing"), `name="count" value="0"`)
			contains(t, "team", nadia.Get("/settings/workspaces/velo/team"), `action="/settings/workspaces/velo/team/hugo"`, `action="/settings/workspaces/velo/team/lea"`)
		})

		before := messageCount(t, st, a.velo.ID)
		t.Run("a bad file changes nothing", func(t *testing.T) {
			res := upload(t, nadia, "velo", "cut.xml", wxr[:len(wxr)/2])
			if res.Status != http.StatusSeeOther {
				t.Fatalf("bad upload: status %d", res.Status)
			}
			page := nadia.Get("/settings/workspaces/velo/import")
			contains(t, "after a bad file", page, "nothing was imported", `class="flash error"`)
			if n := messageCount(t, st, a.velo.ID); n != before {
				t.Fatalf("a bad file stored %d messages", n-before)
			}
		})

		t.Run("the WXR fixture, twice", func(t *testing.T) {
			if res := upload(t, nadia, "velo", "seed.wxr.xml", wxr); res.Status != http.StatusSeeOther {
				t.Fatalf("upload: status %d: %s", res.Status, res.Body)
			}
			contains(t, "after the import", nadia.Get("/settings/workspaces/velo/import"), "Imported:")
			added := messageCount(t, st, a.velo.ID) - before
			if added == 0 {
				t.Fatal("the WXR import stored nothing")
			}
			upload(t, nadia, "velo", "seed.wxr.xml", wxr)
			contains(t, "after the second import", nadia.Get("/settings/workspaces/velo/import"), " 0 new,")
			if n := messageCount(t, st, a.velo.ID) - before; n != added {
				t.Fatalf("the second import added %d messages", n-added)
			}
		})

		t.Run("routing preview changes nothing", func(t *testing.T) {
			form := url.Values{"count": {"1"}, "name.0": {"plaintes"}, "intent.0": {"complaint"}, "assign_to.0": {"hugo"}, "op": {"preview"}}
			res := nadia.Submit("/settings/workspaces/velo/routing", form)
			contains(t, "preview", res, "plaintes", `class="preview"`, "hugo")
			if rules, err := st.RoutingRules(context.Background(), a.velo.ID); err != nil || len(rules) != 0 {
				t.Fatalf("a preview saved rules: %v, %v", rules, err)
			}
			form.Set("op", "add")
			contains(t, "add", nadia.Submit("/settings/workspaces/velo/routing", form), `name="count" value="2"`)
			form.Set("op", "save")
			if res := nadia.Submit("/settings/workspaces/velo/routing", form); res.Status != http.StatusSeeOther {
				t.Fatalf("save: status %d: %s", res.Status, res.Body)
			}
			if rules, err := st.RoutingRules(context.Background(), a.velo.ID); err != nil || len(rules) != 1 || rules[0].Then.AssignTo != "hugo" {
				t.Fatalf("saved rules: %+v, %v", rules, err)
			}
		})

		t.Run("team profile", func(t *testing.T) {
			form := url.Values{"status": {"away"}, "languages": {"fr, en"}, "time_zone": {"Europe/Paris"}, "capacity": {"7"},
				"hours.mon": {"09:00-12:30"}, "topics": {"vélo: 0.9"}}
			if res := nadia.Submit("/settings/workspaces/velo/team/hugo", form); res.Status != http.StatusSeeOther {
				t.Fatalf("save profile: status %d", res.Status)
			}
			u, err := st.UserByLogin(context.Background(), "hugo")
			if err != nil {
				t.Fatal(err)
			}
			p, err := st.Profile(context.Background(), u.ID)
			if err != nil || p.Capacity != 7 || p.Status != "away" || len(p.Specialisations) != 1 || p.Specialisations[0].Strength != 0.9 {
				t.Fatalf("hugo's profile: %+v, %v", p, err)
			}
		})
	})
}
