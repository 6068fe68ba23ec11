package api

// A workspace's metrics over a period, in its time zone (its SLA
// calendar's), whole, by step and sliced by channel, assignee or topic.

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"palabre/internal/metrics"
	"palabre/internal/store"
)

// showMetrics answers a workspace's metrics (metrics.Query's parameters:
// from, to, every, by).
func (h *handler) showMetrics(w http.ResponseWriter, r *http.Request) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessRead)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	a, err := metrics.Ask(r.Context(), h.store, ws.ID, metrics.Query{From: q.Get("from"), To: q.Get("to"), Every: q.Get("every"), By: q.Get("by")}, time.Now())
	if errors.Is(err, metrics.ErrBadQuery) {
		err = fmt.Errorf("%w: %v", store.ErrInvalid, err)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, a)
}
