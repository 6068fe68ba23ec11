package server

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

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
	store    *store.Store
	logger   *slog.Logger
	homePage *template.Template
}

func newPages(st *store.Store, logger *slog.Logger) *pages {
	return &pages{
		store:  st,
		logger: logger,
		// The template is embedded and covered by tests: failing to parse
		// it is a build mistake, not a runtime condition.
		homePage: template.Must(template.ParseFS(templateFiles, "templates/home.html")),
	}
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
	all, err := p.store.Workspaces(ctx)
	if err != nil {
		p.fail(w, r, err)
		return
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
	// Render fully before answering, so that a template error is a clean 500.
	var buf bytes.Buffer
	if err := p.homePage.Execute(&buf, data); err != nil {
		p.fail(w, r, fmt.Errorf("render home page: %w", err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err = buf.WriteTo(w)
	p.write(w, r, err)
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
