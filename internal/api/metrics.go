package api

// A workspace's metrics over a period, in its time zone (its SLA
// calendar's), whole, by step and sliced by channel, assignee or topic,
// as JSON or CSV; across workspaces; and what its community said (per
// topic: questions asked most, representative quotes, emerging terms), as
// JSON, Markdown or CSV.

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"palabre/internal/httpx"
	"palabre/internal/insights"
	"palabre/internal/metrics"
	"palabre/internal/model"
	"palabre/internal/store"
)

// showMetrics answers a workspace's metrics (metrics.Query's parameters:
// from, to, every, by).
func (h *handler) showMetrics(w http.ResponseWriter, r *http.Request) {
	_, a, err := h.askMetrics(r)
	h.respondOr(w, r, a, err)
}

// showMetricsCSV answers the same as CSV (metrics.WriteCSV), as a file.
func (h *handler) showMetricsCSV(w http.ResponseWriter, r *http.Request) {
	slug, a, err := h.askMetrics(r)
	h.sendFile(w, r, err, httpx.ContentTypeCSV, fmt.Sprintf("palabre-%s-%s-%s.csv", slug, a.From, a.To),
		func(out io.Writer) error { return metrics.WriteCSV(out, a) })
}

// askMetrics answers the metrics query of r for the workspace of its
// path, which the caller may read.
func (h *handler) askMetrics(r *http.Request) (string, metrics.Answer, error) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessRead)
	if err != nil {
		return "", metrics.Answer{}, err
	}
	q := r.URL.Query()
	a, err := h.answers.Ask(r.Context(), h.store, ws.ID, metrics.Query{From: q.Get("from"), To: q.Get("to"), Every: q.Get("every"), By: q.Get("by")}, time.Now())
	if errors.Is(err, metrics.ErrBadQuery) {
		err = fmt.Errorf("%w: %v", store.ErrInvalid, err)
	}
	return ws.Slug, a, err
}

// showWeights answers the weights of a workspace's engagement score.
func (h *handler) showWeights(w http.ResponseWriter, r *http.Request) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessRead)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	weights, err := h.store.EngagementWeights(r.Context(), ws.ID)
	h.respondOr(w, r, weights, err)
}

// putWeights replaces them (managers and owners).
func (h *handler) putWeights(w http.ResponseWriter, r *http.Request) {
	var weights metrics.Weights
	ws, ok := h.decodeForWorkspace(w, r, 4<<10, &weights, accessManage)
	if !ok {
		return
	}
	if err := h.store.SetEngagementWeights(r.Context(), ws.ID, weights, time.Now()); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, weights)
}

// showMetricsAcross answers the metrics of every workspace the caller may
// read (those of one sector with sector=), pooled, in the time zone tz
// (UTC by default), by workspace unless asked otherwise.
func (h *handler) showMetricsAcross(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	loc, err := time.LoadLocation(cmp.Or(q.Get("tz"), "UTC"))
	if err != nil || q.Get("tz") == "Local" {
		h.fail(w, r, fmt.Errorf("%w: tz %q: want a time zone such as Europe/Paris", store.ErrInvalid, q.Get("tz")))
		return
	}
	all, err := h.readable(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var scopes []metrics.Scope
	for _, ws := range all {
		if sector := q.Get("sector"); sector == "" || ws.Sector == sector {
			scopes = append(scopes, metrics.Scope{ID: ws.ID, Slug: ws.Slug, Sector: ws.Sector})
		}
	}
	mq := metrics.Query{From: q.Get("from"), To: q.Get("to"), Every: q.Get("every"), By: cmp.Or(q.Get("by"), "workspace")}
	a, err := metrics.AskAcross(r.Context(), h.store, scopes, mq, loc, time.Now())
	if errors.Is(err, metrics.ErrBadQuery) {
		err = fmt.Errorf("%w: %v", store.ErrInvalid, err)
	}
	h.respondOr(w, r, a, err)
}

// showInsights answers a workspace's insights over from–to.
func (h *handler) showInsights(w http.ResponseWriter, r *http.Request) {
	_, a, err := h.askInsights(r)
	h.respondOr(w, r, a, err)
}

// showInsightsMarkdown answers them as a Markdown file.
func (h *handler) showInsightsMarkdown(w http.ResponseWriter, r *http.Request) {
	ws, a, err := h.askInsights(r)
	h.sendFile(w, r, err, "text/markdown; charset=utf-8", fmt.Sprintf("palabre-%s-insights-%s-%s.md", ws.Slug, a.From, a.To),
		func(out io.Writer) error { return insights.WriteMarkdown(out, "What "+ws.Name+"'s community said", a) })
}

// showInsightsCSV answers them as a CSV file.
func (h *handler) showInsightsCSV(w http.ResponseWriter, r *http.Request) {
	ws, a, err := h.askInsights(r)
	h.sendFile(w, r, err, httpx.ContentTypeCSV, fmt.Sprintf("palabre-%s-insights-%s-%s.csv", ws.Slug, a.From, a.To),
		func(out io.Writer) error { return insights.WriteCSV(out, a) })
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
