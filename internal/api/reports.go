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

	"palabre/internal/i18n"
	"palabre/internal/metrics"
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
