package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"palabre/internal/analysis"
	"palabre/internal/connector"
	"palabre/internal/httpx"
	"palabre/internal/ingest"
	"palabre/internal/model"
	"palabre/internal/routing"
	"palabre/internal/store"
)

// MaxImportBytes bounds the file an import uploads: 413 beyond.
const MaxImportBytes = 256 << 20

// maxShownRejections is how many bad records an import's answer lists
// one by one; the count says how many there were in all.
const maxShownRejections = 20

// importResponse is what `palabre import --json` prints, with the format
// and channel the import used and the first bad records ("line N:
// reason").
type importResponse struct {
	ingest.Summary
	Format     connector.Format `json:"format"`
	Channel    string           `json:"channel"`
	Rejections []string         `json:"rejections"`
}

// createImport imports the file sent as the request's body into a
// workspace, as `palabre import` does: a file whose structure is broken,
// or without any record, changes nothing (422); a partly bad one keeps
// its good records and lists the first bad ones. The workspace's
// unassigned conversations are routed afterwards.
func (h *handler) createImport(w http.ResponseWriter, r *http.Request) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessManage)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	format, err := connector.ParseFormat(q.Get("format"))
	if err != nil {
		h.fail(w, r, fmt.Errorf("%w: format: %v", store.ErrInvalid, err))
		return
	}
	channel := q.Get("channel")
	if channel != "" {
		if err := store.ValidateSlug(channel); err != nil {
			h.fail(w, r, fmt.Errorf("%w: channel: %v", store.ErrInvalid, err))
			return
		}
	}
	st, ok := h.store.(*store.Store)
	if !ok {
		// ingest writes in bulk through the store itself, not through the
		// methods the API declares.
		h.fail(w, r, errors.New("import: the API's store cannot import"))
		return
	}
	name := "upload"
	if n := strings.TrimSpace(q.Get("name")); n != "" && len(n) <= 200 && !strings.ContainsAny(n, "\r\n") {
		name = n
	}
	in, err := ingest.Spool(r.Context(), name, http.MaxBytesReader(w, r.Body, MaxImportBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		httpx.WriteProblem(w, http.StatusRequestEntityTooLarge,
			fmt.Sprintf("the file is larger than %d MiB; import it with palabre import", MaxImportBytes>>20))
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	defer in.Remove()

	resp := importResponse{Rejections: []string{}}
	bad := func(pos connector.Position, err error) {
		if len(resp.Rejections) < maxShownRejections {
			resp.Rejections = append(resp.Rejections, fmt.Sprintf("%s: %v", pos, err))
		}
	}
	plan, err := ingest.NewPlan(r.Context(), in, ingest.PlanOptions{Format: format, Channel: channel, Workspace: ws.Slug})
	if errors.Is(err, ingest.ErrNothingImported) {
		h.fail(w, r, unprocessable{err})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	opts := ingest.Options{Bad: bad}
	if h.analysis != nil {
		a, err := h.analysis.Analyzer(r.Context(), ws.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		opts.Enrich = analysis.NewEnricher(a).Enrich
	}
	resp.Summary, err = plan.Run(r.Context(), st, ws, actor(r), opts)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	resp.Format, resp.Channel = plan.Format, plan.Channel
	h.routeAfterImport(r, ws)
	h.respond(w, r, resp)
}

// routeAfterImport gives the imported conversations to the workspace's
// CMs now rather than at the server's next round, unless the server's
// routing job does as they arrive (Config.BackgroundRouting). The import is done
// whatever happens here: a failure is logged, and the next round retries.
func (h *handler) routeAfterImport(r *http.Request, ws model.Workspace) {
	if h.cfg.BackgroundRouting {
		return
	}
	_, err := routing.RouteWorkspace(r.Context(), h.store, ws.ID, time.Now())
	if err != nil && !errors.Is(err, store.ErrConflict) {
		h.logger.WarnContext(r.Context(), "api: route after import", slog.String("workspace", ws.Slug), slog.Any("error", err))
	}
}
