package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"palabre/internal/httpx"
	"palabre/internal/store"
)

// pingTimeout bounds the health check, so that a stuck database makes it
// fail rather than hang.
const pingTimeout = 2 * time.Second

// pages serves the server's own route: the health check.
type pages struct {
	store  *store.Store
	logger *slog.Logger
}

func newPages(st *store.Store, logger *slog.Logger) *pages {
	return &pages{store: st, logger: logger}
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
	if err := httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"}); err != nil {
		p.logger.WarnContext(r.Context(), "write response", slog.String("path", r.URL.Path), slog.Any("error", err))
	}
}
