// Package console serves palabre's web console: the pages community
// managers live in all day — the unified inbox, a conversation, a member,
// the settings — rendered on the server with html/template, in French or
// English, and enhanced by one small script (live updates over the event
// stream, keyboard shortcuts, optimistic changes) that they do not need to
// work.
//
// The console reads the store directly, under the same visibility rules as
// the API, but it changes nothing itself: every form is handed to the REST
// API in-process (see callAPI), so that one place decides who may do what,
// and the audit log, the events and the idempotency of a change are the
// same whether it came from a page, a script or another program.
package console

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"palabre/internal/analysis"
	"palabre/internal/api"
	"palabre/internal/httpx"
	"palabre/internal/i18n"
	"palabre/internal/model"
	"palabre/internal/store"
)

//go:embed templates static
var files embed.FS

// Console serves the web console's pages and assets. Make one with New.
type Console struct {
	store    *store.Store
	authn    *api.Authenticator
	api      http.Handler
	analysis *analysis.Registry
	logger   *slog.Logger
	pages    map[i18n.Lang]map[string]*template.Template
	assets   *assets
	now      func() time.Time
}

// Config is what a console needs from the server that hosts it.
type Config struct {
	Store    *store.Store
	Authn    *api.Authenticator
	API      http.Handler // the REST API, to which forms are handed
	Analysis *analysis.Registry
	Logger   *slog.Logger
}

// New prepares the console. The templates and assets are embedded and
// covered by tests: failing to parse them is a build mistake, so New
// panics then.
func New(cfg Config) *Console {
	c := &Console{store: cfg.Store, authn: cfg.Authn, api: cfg.API, analysis: cfg.Analysis,
		logger: cfg.Logger, now: time.Now}
	var err error
	if c.assets, err = loadAssets(files); err != nil {
		panic(err)
	}
	if c.pages, err = parsePages(files, c.assets); err != nil {
		panic(err)
	}
	return c
}

// Router is where the console's routes are registered: an
// *http.ServeMux, or anything that wants to know the console's routes
// (the security tests list them all, so that none is left out).
type Router interface {
	Handle(pattern string, handler http.Handler)
	HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request))
}

// Register adds the console's routes to mux.
func (c *Console) Register(mux Router) {
	mux.Handle("GET /static/", c.assets)
	mux.HandleFunc("GET /{$}", c.home)
	mux.HandleFunc("GET /login", c.loginForm)
	mux.HandleFunc("POST /login", c.login)
	mux.HandleFunc("POST /logout", c.logout)
	mux.HandleFunc("GET /inbox", c.page(c.inbox))
	mux.HandleFunc("GET /conversations/{id}", c.page(c.conversation))
	mux.HandleFunc("POST /conversations/{id}/{action}", c.page(c.conversationAction))
	mux.HandleFunc("POST /messages/{id}/correct", c.page(c.correct))
	mux.HandleFunc("POST /views", c.page(c.saveView))
	mux.HandleFunc("POST /views/{id}/delete", c.page(c.deleteView))
	mux.HandleFunc("POST /language", c.page(c.setLanguage))
	c.registerMembers(mux)
	c.registerReports(mux)
	c.registerSettings(mux)
	c.registerSources(mux)
	c.registerPrivacy(mux)
}

// pageNames are the templates under templates/, each rendered inside
// layout.html (but login.html, which stands alone).
var pageNames = []string{"login.html", "inbox.html", "conversation.html", "member.html", "error.html",
	"settings.html", "settings_import.html", "settings_routing.html", "settings_team.html", "settings_sources.html", "settings_privacy.html", "reports.html"}

// parsePages parses every page once per interface language, with the
// printing functions of that language bound: executing a page then costs
// no cloning.
func parsePages(fsys fs.FS, a *assets) (map[i18n.Lang]map[string]*template.Template, error) {
	out := map[i18n.Lang]map[string]*template.Template{}
	for _, lang := range i18n.Supported() {
		funcs := i18n.New(lang).Funcs()
		for k, v := range helperFuncs(a) {
			funcs[k] = v
		}
		out[lang] = map[string]*template.Template{}
		for _, name := range pageNames {
			t, err := template.New(name).Funcs(funcs).ParseFS(fsys,
				"templates/layout.html", "templates/parts/*.html", "templates/"+name)
			if err != nil {
				return nil, fmt.Errorf("console template %s: %w", name, err)
			}
			out[lang][name] = t
		}
	}
	return out, nil
}

// viewer is the signed-in user of a request, with what every page needs
// to know of them.
type viewer struct {
	User model.User
	CSRF string
	Lang i18n.Lang
	P    *i18n.Printer
	Loc  *time.Location
	// Roles is the user's role in each workspace they may open (an
	// administrator is owner everywhere).
	Roles map[int64]string
	// Workspaces are those the user sees conversations of (all but the
	// ones where they are only an expert), by name.
	Workspaces []model.Workspace
	// Asked are the workspaces where the user is an expert, who sees only
	// the conversations they were asked into.
	Asked []model.Workspace
	Now   time.Time
}

// manages reports whether the viewer may change a workspace's settings.
func (v *viewer) manages(wsID int64) bool {
	r := v.Roles[wsID]
	return r == model.RoleOwner || r == model.RoleManager
}

// works reports whether the viewer may act on a workspace's conversations.
func (v *viewer) works(wsID int64) bool {
	return v.manages(wsID) || v.Roles[wsID] == model.RoleCM
}

// ManagesAny reports whether the viewer manages at least one workspace:
// the settings link shows then.
func (v *viewer) ManagesAny() bool {
	for id := range v.Roles {
		if v.manages(id) {
			return true
		}
	}
	return v.User.IsAdmin
}

// workspaceIDs are the ids of ws.
func workspaceIDs(ws []model.Workspace) []int64 {
	ids := make([]int64, len(ws))
	for i, w := range ws {
		ids[i] = w.ID
	}
	return ids
}

// errSignIn means the request has no valid session: the page sends the
// browser to the sign-in form.
var errSignIn = errors.New("sign in first")

// viewerOf resolves the request's session into a viewer.
func (c *Console) viewerOf(r *http.Request) (*viewer, error) {
	ctx := r.Context()
	u, csrf, err := c.authn.Session(r)
	if api.IsUnauthenticated(err) {
		return nil, errSignIn
	}
	if err != nil {
		return nil, err
	}
	v := &viewer{User: u, CSRF: csrf, Roles: map[int64]string{}, Now: c.now(), Loc: time.UTC}
	v.Lang = i18n.Negotiate(u.UILanguage, r.Header.Get("Accept-Language"))
	v.P = i18n.New(v.Lang)
	if prof, err := c.store.Profile(ctx, u.ID); err == nil && prof.TimeZone != "" {
		if loc, err := time.LoadLocation(prof.TimeZone); err == nil {
			v.Loc = loc
		}
	}
	all, err := c.store.Workspaces(ctx)
	if err != nil {
		return nil, err
	}
	if u.IsAdmin {
		for _, ws := range all {
			v.Roles[ws.ID] = model.RoleOwner
		}
	} else {
		ms, err := c.store.Memberships(ctx, u.ID)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			v.Roles[m.WorkspaceID] = m.Role
		}
	}
	for _, ws := range all {
		switch role := v.Roles[ws.ID]; {
		case api.SeesWorkspace(role):
			v.Workspaces = append(v.Workspaces, ws)
		case role == model.RoleExpert:
			v.Asked = append(v.Asked, ws)
		}
	}
	byName := func(a, b model.Workspace) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	}
	slices.SortFunc(v.Workspaces, byName)
	slices.SortFunc(v.Asked, byName)
	return v, nil
}

// handlerFunc is a page handler: it gets the viewer and answers, or
// returns an error that page turns into the right answer.
type handlerFunc func(w http.ResponseWriter, r *http.Request, v *viewer) error

// page wraps a page handler: it resolves the viewer (sending strangers to
// the sign-in form), checks the CSRF token of forms, and renders errors.
func (c *Console) page(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := c.viewerOf(r)
		if errors.Is(err, errSignIn) {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			httpx.WriteProblem(w, http.StatusUnauthorized, "the session has ended; sign in again")
			return
		}
		if err != nil {
			c.fail(w, r, nil, err)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			if err := r.ParseMultipartForm(maxForm); err != nil && !errors.Is(err, http.ErrNotMultipart) {
				c.renderError(w, r, v, http.StatusBadRequest, v.P.T("The form could not be read."))
				return
			}
			if !sameToken(r.PostForm.Get("csrf"), v.CSRF) {
				c.renderError(w, r, v, http.StatusForbidden, v.P.T("The form expired; please try again."))
				return
			}
			if api.CheckOrigin(r) != nil {
				c.renderError(w, r, v, http.StatusForbidden, v.P.T("This form was sent from another site; nothing was done."))
				return
			}
		}
		if err := h(w, r, v); err != nil {
			c.fail(w, r, v, err)
		}
	}
}

// maxForm bounds a form's size (uploads of files to import go elsewhere).
const maxForm = 1 << 20

// fail answers a handler's error: 404 for what the viewer may not see or
// what does not exist, 400 for bad input, 500 otherwise (logged).
func (c *Console) fail(w http.ResponseWriter, r *http.Request, v *viewer, err error) {
	status, msg := http.StatusInternalServerError, ""
	switch {
	case errors.Is(err, store.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, store.ErrInvalid):
		status, msg = http.StatusBadRequest, err.Error()
	default:
		c.logger.ErrorContext(r.Context(), "page failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
	}
	if v == nil {
		httpx.WriteProblem(w, status, http.StatusText(status))
		return
	}
	if msg == "" {
		switch status {
		case http.StatusNotFound:
			msg = v.P.T("This page does not exist, or you may not see it.")
		default:
			msg = v.P.T("Something went wrong; the server log has the details.")
		}
	}
	c.renderError(w, r, v, status, msg)
}

// renderError answers the error page.
func (c *Console) renderError(w http.ResponseWriter, r *http.Request, v *viewer, status int, msg string) {
	c.render(w, r, v, status, "error.html", &layoutData{Title: v.P.T("Error")}, msg)
}

// layoutData is what layout.html needs besides the page's own data.
type layoutData struct {
	Title  string
	Nav    string // the active section: inbox, settings
	Flash  flash
	Counts store.InboxCounts
	Search string // the search box's text
	Body   any
	V      *viewer
	Assets *assets
	// Page is the page's name, for the script (data-page on <body>).
	Page string
}

// render executes a page fully before answering, so that a template error
// is a clean 500.
func (c *Console) render(w http.ResponseWriter, r *http.Request, v *viewer, status int, name string, d *layoutData, body any) {
	d.V, d.Body, d.Assets, d.Page = v, body, c.assets, strings.TrimSuffix(name, ".html")
	if d.Flash.Text == "" {
		d.Flash = takeFlash(w, r)
	}
	lang := i18n.English
	if v != nil {
		lang = v.Lang
	}
	var buf bytes.Buffer
	if err := c.pages[lang][name].ExecuteTemplate(&buf, name, d); err != nil {
		c.logger.ErrorContext(r.Context(), "render page", slog.String("page", name), slog.Any("error", err))
		httpx.WriteProblem(w, http.StatusInternalServerError, "internal error; the server log has the details")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", string(lang))
	h.Add("Vary", "Accept-Language, Cookie")
	w.WriteHeader(status)
	if _, err := buf.WriteTo(w); err != nil {
		c.logger.WarnContext(r.Context(), "write page", slog.String("page", name), slog.Any("error", err))
	}
}

// renderPart answers one named block of a page, without the layout: the
// script refreshes parts of a page with it when live events arrive.
func (c *Console) renderPart(w http.ResponseWriter, r *http.Request, v *viewer, page, part string, body any) error {
	var buf bytes.Buffer
	if err := c.pages[v.Lang][page].ExecuteTemplate(&buf, part, &layoutData{V: v, Body: body, Assets: c.assets}); err != nil {
		return fmt.Errorf("render %s of %s: %w", part, page, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	_, err := buf.WriteTo(w)
	if err != nil {
		c.logger.WarnContext(r.Context(), "write page part", slog.String("page", page), slog.Any("error", err))
	}
	return nil
}

// home sends the signed-in to their inbox and the others to sign in.
func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	_, err := c.authn.SessionUser(r)
	if api.IsUnauthenticated(err) {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	if err != nil {
		c.fail(w, r, nil, err)
		return
	}
	http.Redirect(w, r, "/inbox", http.StatusSeeOther)
}
