package api

// A workspace's metrics over a period, in its time zone (its SLA
// calendar's), whole and sliced by channel, assignee or topic.

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"palabre/internal/metrics"
	"palabre/internal/sla"
	"palabre/internal/store"
)

// maxMetricDays bounds a metrics period.
const maxMetricDays = 3660

// metricsResponse is a workspace's metrics over a period.
type metricsResponse struct {
	TimeZone string         `json:"time_zone"`
	From     string         `json:"from"` // local dates, to exclusive
	To       string         `json:"to"`
	Total    metrics.Report `json:"total"`
	// Every is the step of Trend: the metrics of each day, week or
	// month of the period.
	Every  string           `json:"every"`
	Trend  []metrics.Report `json:"trend"`
	By     string           `json:"by,omitempty"`
	Groups []metricGroup    `json:"groups,omitempty"`
}

// metricGroup is one slice: the conversations of a channel, of an
// assignee ("" for none), or about a topic.
type metricGroup struct {
	Key    string         `json:"key"`
	Report metrics.Report `json:"report"`
}

// showMetrics answers a workspace's metrics from the local date from to
// the local date to (exclusive; by default the last 30 days).
func (h *handler) showMetrics(w http.ResponseWriter, r *http.Request) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessRead)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	settings, ok, err := h.store.SLASettings(r.Context(), ws.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	cal := sla.Calendar{TimeZone: "UTC"}
	if ok {
		cal = settings.Calendar
	}
	clock, err := cal.Compile()
	if err != nil {
		h.fail(w, r, fmt.Errorf("the workspace's SLA calendar: %w", err))
		return
	}
	now := time.Now()
	q := r.URL.Query()
	p, from, to, err := metricPeriod(q.Get("from"), q.Get("to"), clock.Location(), now)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	every := q.Get("every")
	if every == "" {
		every = metrics.Step(p)
	}
	steps, err := metrics.Split(p, every, clock.Location())
	if err != nil {
		h.fail(w, r, fmt.Errorf("%w: %v", store.ErrInvalid, err))
		return
	}
	by := q.Get("by")
	key, err := metricKeys(by)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	facts, err := h.store.MetricFacts(r.Context(), ws.ID, p, now)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	facts.Clock = clock
	out := metricsResponse{TimeZone: clock.Location().String(), From: from, To: to, Total: metrics.Compute(facts, p, nil),
		Every: every, Trend: metrics.Trend(facts, steps, nil), By: by}
	if key != nil {
		var keys []string
		for _, c := range facts.Conversations {
			for _, k := range key(c) {
				if !slices.Contains(keys, k) {
					keys = append(keys, k)
				}
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			rep := metrics.Compute(facts, p, func(c metrics.Conversation) bool { return slices.Contains(key(c), k) })
			if rep.In+rep.Out+rep.Conversations+rep.Resolution.Count+rep.SLA.Total+rep.Backlog.Open > 0 {
				out.Groups = append(out.Groups, metricGroup{Key: k, Report: rep})
			}
		}
		out.Groups = nonNil(out.Groups)
	}
	h.respond(w, r, out)
}

// metricKeys returns what slices by slice a conversation into.
func metricKeys(by string) (func(metrics.Conversation) []string, error) {
	switch by {
	case "":
		return nil, nil
	case "channel":
		return func(c metrics.Conversation) []string { return []string{c.Channel} }, nil
	case "assignee":
		return func(c metrics.Conversation) []string { return []string{c.Assignee} }, nil
	case "topic":
		return func(c metrics.Conversation) []string { return c.Topics }, nil
	}
	return nil, fmt.Errorf("%w: by %q: must be channel, assignee or topic", store.ErrInvalid, by)
}

// metricPeriod reads a period of local dates in loc, from inclusive, to
// exclusive; by default the 30 days up to today.
func metricPeriod(from, to string, loc *time.Location, now time.Time) (metrics.Period, string, string, error) {
	const layout = "2006-01-02"
	today := now.In(loc)
	day := func(name, s string, def time.Time) (time.Time, error) {
		if s == "" {
			return time.Date(def.Year(), def.Month(), def.Day(), 0, 0, 0, 0, loc), nil
		}
		t, err := time.ParseInLocation(layout, s, loc)
		if err != nil {
			return t, fmt.Errorf("%w: %s %q: want a date such as 2026-03-01", store.ErrInvalid, name, s)
		}
		return t, nil
	}
	end, err := day("to", to, today.AddDate(0, 0, 1))
	if err != nil {
		return metrics.Period{}, "", "", err
	}
	start, err := day("from", from, end.AddDate(0, 0, -30))
	if err != nil {
		return metrics.Period{}, "", "", err
	}
	if !start.Before(end) {
		return metrics.Period{}, "", "", fmt.Errorf("%w: from %s is not before to %s", store.ErrInvalid, start.Format(layout), end.Format(layout))
	}
	if end.Sub(start) > maxMetricDays*24*time.Hour {
		return metrics.Period{}, "", "", fmt.Errorf("%w: from %s to %s: at most %d days", store.ErrInvalid, start.Format(layout), end.Format(layout), maxMetricDays)
	}
	return metrics.Period{From: start, To: end}, start.Format(layout), end.Format(layout), nil
}
