package api

// A workspace's monthly client report (internal/report): as JSON, or as
// the PDF, HTML page or CSV a client is sent.

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"palabre/internal/connector/email"
	"palabre/internal/i18n"
	"palabre/internal/metrics"
	"palabre/internal/model"
	"palabre/internal/report"
	"palabre/internal/store"
)

// showReport answers GET …/reports/{file}: the report of a month
// ("2026-10") as JSON, or as a file by its extension (2026-10.pdf,
// .html, .csv); in the workspace's language unless lang= says en or fr.
func (h *handler) showReport(w http.ResponseWriter, r *http.Request) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessRead)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	file := r.PathValue("file")
	format := strings.TrimPrefix(path.Ext(file), ".")
	month := strings.TrimSuffix(file, path.Ext(file))
	if format != "" && !slices.Contains(report.Formats(), format) {
		h.fail(w, r, fmt.Errorf("%w: a report is written as %s, not %q", store.ErrInvalid, strings.Join(report.Formats(), ", "), format))
		return
	}
	lang := report.Language(ws)
	if l := r.URL.Query().Get("lang"); l != "" {
		var ok bool
		if lang, ok = i18n.Parse(l); !ok {
			h.fail(w, r, fmt.Errorf("%w: lang %q: want en or fr", store.ErrInvalid, l))
			return
		}
	}
	now := time.Now()
	d, err := report.Build(r.Context(), h.store, ws, month, lang, now)
	if errors.Is(err, report.ErrBadMonth) || errors.Is(err, metrics.ErrBadQuery) {
		err = fmt.Errorf("%w: %v", store.ErrInvalid, err)
	}
	if format == "" {
		h.respondOr(w, r, d, err)
		return
	}
	name := ""
	if d != nil {
		name = report.FileName(d, format)
	}
	if format == "html" && err == nil {
		var csp string
		if csp, err = report.ContentSecurityPolicy(); err == nil {
			w.Header().Set("Content-Security-Policy", csp)
		}
	}
	h.sendFile(w, r, err, report.ContentType(format), name, func(out io.Writer) error { return report.Write(out, d, format, now) })
}

// maxDeliveriesShown is how many past deliveries a schedule shows.
const maxDeliveriesShown = 24

// scheduleAnswer is a workspace's report schedule, its latest deliveries,
// and whether the server sends e-mail at all.
type scheduleAnswer struct {
	Schedule   model.ReportSchedule   `json:"schedule"`
	Deliveries []model.ReportDelivery `json:"deliveries"`
	Mail       bool                   `json:"mail"`
}

// showReportSchedule answers a workspace's monthly report schedule.
func (h *handler) showReportSchedule(w http.ResponseWriter, r *http.Request) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessWork)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.answerSchedule(w, r, ws)
}

func (h *handler) answerSchedule(w http.ResponseWriter, r *http.Request, ws model.Workspace) {
	sc, err := h.store.ReportSchedule(r.Context(), ws.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.store.ReportDeliveries(r.Context(), ws.ID, maxDeliveriesShown)
	h.respondOr(w, r, scheduleAnswer{Schedule: sc, Deliveries: list, Mail: h.cfg.Mail}, err)
}

// putReportSchedule replaces it (managers and owners): enabled,
// recipients (bare addresses), lang.
func (h *handler) putReportSchedule(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Enabled    bool     `json:"enabled"`
		Recipients []string `json:"recipients"`
		Lang       string   `json:"lang"`
	}
	ws, ok := h.decodeForWorkspace(w, r, 16<<10, &req, accessManage)
	if !ok {
		return
	}
	recipients, err := bareAddresses(req.Recipients)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := time.Now()
	loc, err := report.Location(r.Context(), h.store, ws.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sc := model.ReportSchedule{Enabled: req.Enabled, Recipients: recipients, Lang: req.Lang}
	if _, err := h.store.SetReportSchedule(r.Context(), ws.ID, sc, now.In(loc).Format("2006-01"), actor(r), now); err != nil {
		h.fail(w, r, err)
		return
	}
	h.answerSchedule(w, r, ws)
}

// bareAddresses checks that each recipient given is one e-mail address,
// and answers them as email.Addresses reads them.
func bareAddresses(list []string) ([]string, error) {
	var out []string
	for _, rc := range list {
		addrs, err := email.Addresses(rc)
		if err != nil || len(addrs) != 1 {
			return nil, fmt.Errorf("%w: recipient %q is not one e-mail address", store.ErrInvalid, rc)
		}
		out = append(out, addrs[0].Address)
	}
	return out, nil
}

// sendReportNow sends a month's report to the schedule's recipients now,
// again if it was sent before (managers and owners): {"month": "2026-10"}.
func (h *handler) sendReportNow(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Month string `json:"month"`
	}
	ws, ok := h.decodeForWorkspace(w, r, 1<<10, &req, accessManage)
	if !ok {
		return
	}
	if _, _, err := report.Month(req.Month); err != nil {
		h.fail(w, r, fmt.Errorf("%w: %v", store.ErrInvalid, err))
		return
	}
	sc, err := h.store.ReportSchedule(r.Context(), ws.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(sc.Recipients) == 0 {
		h.fail(w, r, fmt.Errorf("%w: the monthly report has no recipient yet", store.ErrInvalid))
		return
	}
	now := time.Now()
	if _, err := h.store.QueueReport(r.Context(), ws.ID, req.Month, true, actor(r), now); err != nil {
		h.fail(w, r, err)
		return
	}
	h.answerSchedule(w, r, ws)
}
