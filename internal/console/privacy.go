package console

// Personal data in the console: a workspace's privacy policy (erasure
// mode, retention) on its settings page, and on a member's page the
// export of everything held on them and their erasure. Owners and
// managers only; the API decides and records each action.

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"palabre/internal/model"
	"palabre/internal/store"
)

func (c *Console) registerPrivacy(mux Router) {
	mux.HandleFunc("GET /settings/workspaces/{slug}/privacy", c.page(c.privacyPage))
	mux.HandleFunc("POST /settings/workspaces/{slug}/privacy", c.page(c.privacySave))
	mux.HandleFunc("POST /settings/workspaces/{slug}/privacy/retention", c.page(c.privacyRetain))
	mux.HandleFunc("POST /workspaces/{slug}/people/{id}/erase", c.page(c.memberErase))
}

// privacyData fills settings_privacy.html.
type privacyData struct {
	settingsNav
	Workspace model.Workspace
	Settings  model.PrivacySettings
	Problem   string
}

func (c *Console) privacyPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	set, err := c.store.PrivacySettings(r.Context(), ws.ID)
	if err != nil {
		return err
	}
	c.renderPrivacy(w, r, v, http.StatusOK, ws, set, "")
	return nil
}

func (c *Console) renderPrivacy(w http.ResponseWriter, r *http.Request, v *viewer, status int, ws model.Workspace, set model.PrivacySettings, problem string) {
	d := privacyData{settingsNav: navFor(v, "privacy"), Workspace: ws, Settings: set, Problem: problem}
	c.render(w, r, v, status, "settings_privacy.html", &layoutData{Title: v.P.T("Personal data in %s", ws.Name), Nav: "settings"}, d)
}

func (c *Console) privacySave(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	f := r.PostForm
	set := model.PrivacySettings{Erasure: f.Get("erasure"), RetentionAction: f.Get("retention_action")}
	if m := strings.TrimSpace(f.Get("retention_months")); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil {
			c.renderPrivacy(w, r, v, http.StatusUnprocessableEntity, ws, set, v.P.T("The retention must be a whole number of months."))
			return nil
		}
		set.RetentionMonths = n
	}
	a, err := c.callAPI(r, v, http.MethodPut, apiWorkspacePath(ws, "privacy"), set)
	if err != nil {
		return err
	}
	if c.refused(w, r, v, a, func(status int, problem string) { c.renderPrivacy(w, r, v, status, ws, set, problem) }) {
		return nil
	}
	c.finish(w, r, v, a, v.P.T("Privacy policy saved."), settingsPath(ws, "privacy"))
	return nil
}

func (c *Console) privacyRetain(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	return c.relay(w, r, v, http.MethodPost, apiWorkspacePath(ws, "privacy/retention"), nil,
		v.P.T("Retention applied."), settingsPath(ws, "privacy"))
}

// memberErase erases a member once the form's confirmation repeats the
// member's id, and goes back to the inbox: the member's page is gone.
func (c *Console) memberErase(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if _, err := c.store.Member(r.Context(), ws.ID, id); err != nil {
		return err
	}
	page := "/workspaces/" + url.PathEscape(ws.Slug) + "/people/" + url.PathEscape(id)
	if strings.TrimSpace(r.PostForm.Get("confirm")) != id {
		setFlash(w, flash{Text: v.P.T("Type the member id to confirm the erasure."), Error: true})
		http.Redirect(w, r, page, http.StatusSeeOther)
		return nil
	}
	mode := r.PostForm.Get("mode")
	if mode != store.ErasureDelete && mode != store.ErasureAnonymise {
		return fmt.Errorf("%w: erasure mode %q", store.ErrInvalid, mode)
	}
	a, err := c.callAPI(r, v, http.MethodPost, apiWorkspacePath(ws, "people/"+url.PathEscape(id)+"/erase"), map[string]string{"mode": mode})
	if err != nil {
		return err
	}
	back := page
	if a.OK() {
		back = "/inbox"
	}
	c.finish(w, r, v, a, v.P.T("The person was erased."), back)
	return nil
}
