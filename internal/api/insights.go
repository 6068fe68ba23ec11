package api

// What a workspace's community said over a period, per topic: questions
// asked most, representative quotes, emerging terms; as JSON, Markdown or
// CSV.

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"palabre/internal/httpx"
	"palabre/internal/insights"
	"palabre/internal/metrics"
	"palabre/internal/model"
	"palabre/internal/store"
)

// showInsights answers a workspace's insights over from–to.
func (h *handler) showInsights(w http.ResponseWriter, r *http.Request) {
	_, a, err := h.askInsights(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, a)
}

// showInsightsMarkdown answers them as a Markdown file.
func (h *handler) showInsightsMarkdown(w http.ResponseWriter, r *http.Request) {
	ws, a, err := h.askInsights(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.Attachment(w, "text/markdown; charset=utf-8", fmt.Sprintf("palabre-%s-insights-%s-%s.md", ws.Slug, a.From, a.To))
	if err := insights.WriteMarkdown(w, "What "+ws.Name+"'s community said", a); err != nil {
		h.logger.ErrorContext(r.Context(), "api: write insights as Markdown", slog.Any("error", err))
	}
}

// showInsightsCSV answers them as a CSV file.
func (h *handler) showInsightsCSV(w http.ResponseWriter, r *http.Request) {
	ws, a, err := h.askInsights(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.Attachment(w, httpx.ContentTypeCSV, fmt.Sprintf("palabre-%s-insights-%s-%s.csv", ws.Slug, a.From, a.To))
	if err := insights.WriteCSV(w, a); err != nil {
		h.logger.ErrorContext(r.Context(), "api: write insights as CSV", slog.Any("error", err))
	}
}

// askInsights answers the insights of r's period for the workspace of its
// path, which the caller may read.
func (h *handler) askInsights(r *http.Request) (model.Workspace, insights.Answer, error) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessRead)
	if err != nil {
		return ws, insights.Answer{}, err
	}
	q := r.URL.Query()
	a, err := insights.Ask(r.Context(), h.store, ws.ID, metrics.Query{From: q.Get("from"), To: q.Get("to")}, time.Now())
	if errors.Is(err, metrics.ErrBadQuery) {
		err = fmt.Errorf("%w: %v", store.ErrInvalid, err)
	}
	return ws, a, err
}
