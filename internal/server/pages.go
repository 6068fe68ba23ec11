package server

import (
	"bytes"
	"context"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"palabre/internal/api"
	"palabre/internal/auth"
	"palabre/internal/httpx"
	"palabre/internal/model"
	"palabre/internal/store"
)

//go:embed templates
var templateFiles embed.FS

// recentPerWorkspace is how many conversations the home page lists under
// each workspace.
const recentPerWorkspace = 5

// pingTimeout bounds the health check, so that a stuck database makes it
// fail rather than hang.
const pingTimeout = 2 * time.Second

// pages serves the server's own routes: the health check and the home page.
type pages struct {
	store     *store.Store
	authn     *api.Authenticator
	logger    *slog.Logger
	homePage  *template.Template
	loginPage *template.Template
}

func newPages(st *store.Store, authn *api.Authenticator, logger *slog.Logger) *pages {
	return &pages{
		store:  st,
		authn:  authn,
		logger: logger,
		// The templates are embedded and covered by tests: failing to parse
		// them is a build mistake, not a runtime condition.
		homePage:  template.Must(template.ParseFS(templateFiles, "templates/home.html")),
		loginPage: template.Must(template.ParseFS(templateFiles, "templates/login.html")),
	}
}

// loginCSRFCookie holds the sign-in form's CSRF token, which the form
// repeats: another site can post the form, not read the cookie.
const loginCSRFCookie = "palabre_login_csrf"

// loginData fills the sign-in page.
type loginData struct {
	CSRF, Login, Error string
	NoUsers            bool
}

// loginForm answers the sign-in page.
func (p *pages) loginForm(w http.ResponseWriter, r *http.Request) {
	p.renderLogin(w, r, http.StatusOK, "", "")
}

func (p *pages) renderLogin(w http.ResponseWriter, r *http.Request, status int, login, problem string) {
	token, err := auth.NewSecret()
	if err != nil {
		p.fail(w, r, err)
		return
	}
	n, err := p.store.CountUsers(r.Context())
	if err != nil {
		p.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: token, Path: "/login", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: api.SecureRequest(r)})
	p.render(w, r, status, p.loginPage, loginData{CSRF: token, Login: login, Error: problem, NoUsers: n == 0})
}

// login signs in from the form and goes to the home page.
func (p *pages) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		p.renderLogin(w, r, http.StatusBadRequest, "", "The form could not be read.")
		return
	}
	c, err := r.Cookie(loginCSRFCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostForm.Get("csrf"))) != 1 {
		p.renderLogin(w, r, http.StatusForbidden, "", "The form expired; please sign in again.")
		return
	}
	login := r.PostForm.Get("login")
	cookie, _, err := p.authn.SignIn(r.Context(), login, r.PostForm.Get("password"), api.ClientIP(r), api.SecureRequest(r))
	switch {
	case errors.Is(err, api.ErrWrongCredentials):
		p.renderLogin(w, r, http.StatusUnauthorized, login, "Wrong login or password.")
		return
	case errors.Is(err, api.ErrThrottled):
		w.Header().Set("Retry-After", "900")
		p.renderLogin(w, r, http.StatusTooManyRequests, login, "Too many failed sign-ins; try again later.")
		return
	case err != nil:
		p.fail(w, r, err)
		return
	}
	http.SetCookie(w, cookie)
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Path: "/login", MaxAge: -1})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// render executes a template fully before answering, so that a template
// error is a clean 500.
func (p *pages) render(w http.ResponseWriter, r *http.Request, status int, t *template.Template, data any) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		p.fail(w, r, fmt.Errorf("render %s: %w", t.Name(), err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	p.write(w, r, err)
}

// healthz answers 200 when the database answers, 503 otherwise.
func (p *pages) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), pingTimeout)
	defer cancel()
	w.Header().Set("Cache-Control", "no-store")
	if err := p.store.Ping(ctx); err != nil {
		p.logger.WarnContext(r.Context(), "health check failed", slog.Any("error", err))
		httpx.WriteProblem(w, http.StatusServiceUnavailable, "the database does not answer")
		return
	}
	p.write(w, r, httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"}))
}

// homeWorkspace is one workspace on the home page, with its latest
// conversations.
type homeWorkspace struct {
	model.Workspace
	Recent []model.Conversation
}

// home answers the home page: each workspace with links to its
// conversations in the API. The web console will replace it.
func (p *pages) home(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u, err := p.authn.SessionUser(r)
	if api.IsUnauthenticated(err) {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	all, err := p.store.Workspaces(ctx)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if !u.IsAdmin {
		ms, err := p.store.Memberships(ctx, u.ID)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		mine := map[int64]bool{}
		for _, m := range ms {
			mine[m.WorkspaceID] = api.SeesWorkspace(m.Role)
		}
		all = slices.DeleteFunc(all, func(ws model.Workspace) bool { return !mine[ws.ID] })
	}
	data := make([]homeWorkspace, 0, len(all))
	for _, ws := range all {
		page, err := p.store.Conversations(ctx, ws.ID, store.ConversationFilter{Limit: recentPerWorkspace})
		if err != nil {
			p.fail(w, r, fmt.Errorf("workspace %q: %w", ws.Slug, err))
			return
		}
		data = append(data, homeWorkspace{Workspace: ws, Recent: page.Conversations})
	}
	p.render(w, r, http.StatusOK, p.homePage, data)
}

// fail logs err and answers a generic 500 problem.
func (p *pages) fail(w http.ResponseWriter, r *http.Request, err error) {
	p.logger.ErrorContext(r.Context(), "request failed",
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
	httpx.WriteProblem(w, http.StatusInternalServerError, "internal error; the server log has the details")
}

// write logs the error of writing a response, if any.
func (p *pages) write(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		p.logger.WarnContext(r.Context(), "write response",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
	}
}
