package console

// The live sources of a workspace: what palabre polls for it, how the
// polls go, and the forms to add a feed, poll now, pause, resume and
// remove — each handed to the API.

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"palabre/internal/api"
	"palabre/internal/model"
	"palabre/internal/poll"
	"palabre/internal/store"
)

func (c *Console) registerSources(mux *http.ServeMux) {
	mux.HandleFunc("GET /settings/workspaces/{slug}/sources", c.page(c.sourcesPage))
	mux.HandleFunc("POST /settings/workspaces/{slug}/sources", c.page(c.sourceAdd))
	mux.HandleFunc("POST /settings/workspaces/{slug}/sources/{id}/{action}", c.page(c.sourceAction))
}

// sourceRow is one source on the page, its settings without secrets.
type sourceRow struct {
	model.Source
	URL string // a feed's address
}

// sourcesData fills settings_sources.html.
type sourcesData struct {
	settingsNav
	Workspace model.Workspace
	Sources   []sourceRow
	Channels  []model.Channel
	Form      sourceForm
	Problem   string
}

// sourceForm is the "add a feed" form as sent.
type sourceForm struct {
	Name, Channel, URL string
	Interval           int
}

// sourceIntervals are the choices of the form's interval menu, in seconds.
var sourceIntervals = []int{30, 60, 300, 900, 3600}

func (c *Console) sourcesPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	return c.renderSources(w, r, v, http.StatusOK, ws, sourceForm{Channel: "blog", Interval: api.DefaultSourceInterval}, "")
}

func (c *Console) renderSources(w http.ResponseWriter, r *http.Request, v *viewer, status int, ws model.Workspace, form sourceForm, problem string) error {
	ctx := r.Context()
	d := sourcesData{settingsNav: navFor(v, "sources"), Workspace: ws, Form: form, Problem: problem}
	list, err := c.store.Sources(ctx, ws.ID)
	if err != nil {
		return err
	}
	for _, src := range list {
		config, err := c.store.SourceConfig(ctx, ws.ID, src.ID)
		if err != nil {
			return err
		}
		row := sourceRow{Source: src}
		if u, ok := poll.Shown(src.Kind, []byte(config))["url"].(string); ok {
			row.URL = u
		}
		d.Sources = append(d.Sources, row)
	}
	if d.Channels, err = c.store.Channels(ctx, ws.ID); err != nil {
		return err
	}
	c.render(w, r, v, status, "settings_sources.html",
		&layoutData{Title: v.P.T("Live sources of %s", ws.Name), Nav: "settings"}, d)
	return nil
}

// sourceAdd adds a comment feed (or the page that announces one).
func (c *Console) sourceAdd(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	f := r.PostForm
	form := sourceForm{Name: strings.TrimSpace(f.Get("name")), Channel: strings.TrimSpace(f.Get("channel")),
		URL: strings.TrimSpace(f.Get("url"))}
	form.Interval, _ = strconv.Atoi(f.Get("interval"))
	if form.Name == "" {
		form.Name = form.URL
	}
	a, err := c.callAPI(r, v, http.MethodPost, apiWorkspacePath(ws, "sources"), map[string]any{
		"channel": form.Channel, "kind": model.SourceFeed, "name": form.Name,
		"interval_seconds": form.Interval, "config": map[string]string{"url": form.URL}})
	if err != nil {
		return err
	}
	if wantsJSON(r) || a.OK() {
		c.finish(w, r, v, a, v.P.T("Source added: its first poll is under way."), settingsPath(ws, "sources"))
		return nil
	}
	return c.renderSources(w, r, v, a.Status, ws, form, a.Problem())
}

// sourceAction polls a source now, pauses, resumes or removes it.
func (c *Console) sourceAction(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
		return fmt.Errorf("source %q: %w", id, store.ErrNotFound)
	}
	path := apiWorkspacePath(ws, "sources/"+url.PathEscape(id))
	back := settingsPath(ws, "sources")
	switch r.PathValue("action") {
	case "poll":
		return c.relay(w, r, v, http.MethodPost, path+"/poll", nil, v.P.T("The source will be polled in a moment."), back)
	case "pause":
		return c.relay(w, r, v, http.MethodPatch, path, map[string]bool{"enabled": false}, v.P.T("Source paused."), back)
	case "resume":
		return c.relay(w, r, v, http.MethodPatch, path, map[string]bool{"enabled": true}, v.P.T("Source resumed."), back)
	case "delete":
		return c.relay(w, r, v, http.MethodDelete, path, nil, v.P.T("Source removed; what it read stays."), back)
	}
	return fmt.Errorf("action %q: %w", r.PathValue("action"), store.ErrNotFound)
}
