package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"palabre/internal/httpx"
	"palabre/internal/model"
	"palabre/internal/store"
)

// Sources is what the API needs of the live sources besides the store:
// checking a source's settings (which may fetch, to find a page's feed),
// showing them without their secrets, and waking the scheduler.
type Sources interface {
	// Settings checks settings as a user gave them and returns them as
	// they are to be kept.
	Settings(ctx context.Context, kind string, config []byte) ([]byte, error)
	// Shown returns kept settings without their secrets.
	Shown(kind string, config []byte) map[string]any
	// Wake makes the scheduler look for due sources now.
	Wake()
}

// errNoSources answers the source routes of an API without a scheduler.
var errNoSources = errors.New("live sources are not run by this server")

// sourcesOff answers 503 when the server runs no live sources.
func (h *handler) sourcesOff(w http.ResponseWriter) bool {
	if h.cfg.Sources == nil {
		httpx.WriteProblem(w, http.StatusServiceUnavailable, errNoSources.Error())
		return true
	}
	return false
}

// sourceJSON is a source as the API shows it.
type sourceJSON struct {
	model.Source
	Config map[string]any `json:"config"`
}

type sourcesResponse struct {
	Sources []sourceJSON `json:"sources"`
}

// sourceRequest creates or changes a source; absent fields keep their
// value (or take the default, when creating).
type sourceRequest struct {
	Channel         string          `json:"channel"`
	Kind            string          `json:"kind"`
	Name            *string         `json:"name"`
	IntervalSeconds *int            `json:"interval_seconds"`
	Enabled         *bool           `json:"enabled"`
	Config          json.RawMessage `json:"config"`
}

// DefaultSourceInterval is how often a new source is polled unless told:
// often enough that a new comment shows within a minute, jitter and the
// poll's own time included.
const DefaultSourceInterval = 30

func (h *handler) showSource(ctx context.Context, src model.Source) (sourceJSON, error) {
	config, err := h.store.SourceConfig(ctx, src.WorkspaceID, src.ID)
	if err != nil {
		return sourceJSON{}, err
	}
	return sourceJSON{Source: src, Config: h.cfg.Sources.Shown(src.Kind, []byte(config))}, nil
}

// respondSource answers src as the API shows it.
func (h *handler) respondSource(w http.ResponseWriter, r *http.Request, status int, src model.Source) {
	out, err := h.showSource(r.Context(), src)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respondStatus(w, r, status, out)
}

// listSources answers a workspace's live sources and their health.
func (h *handler) listSources(w http.ResponseWriter, r *http.Request) {
	if h.sourcesOff(w) {
		return
	}
	ws, err := h.workspace(r, r.PathValue("slug"), accessWork)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.store.Sources(r.Context(), ws.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	configs, err := h.store.SourceConfigs(r.Context(), ws.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := sourcesResponse{Sources: []sourceJSON{}}
	for _, src := range list {
		out.Sources = append(out.Sources, sourceJSON{Source: src, Config: h.cfg.Sources.Shown(src.Kind, []byte(configs[src.ID]))})
	}
	h.respond(w, r, out)
}

// getSource answers one live source and its health.
func (h *handler) getSource(w http.ResponseWriter, r *http.Request) {
	if h.sourcesOff(w) {
		return
	}
	ws, id, err := h.workspaceItem(r, accessWork, "source")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	src, err := h.store.Source(r.Context(), ws.ID, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respondSource(w, r, http.StatusOK, src)
}

// createSource adds a live source, polled at once.
func (h *handler) createSource(w http.ResponseWriter, r *http.Request) {
	if h.sourcesOff(w) {
		return
	}
	var req sourceRequest
	if err := decodeBody(w, r, 32<<10, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	ws, err := h.workspace(r, r.PathValue("slug"), accessManage)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	src := model.Source{Channel: req.Channel, Kind: req.Kind, IntervalSeconds: DefaultSourceInterval, Enabled: true}
	if req.Name != nil {
		src.Name = *req.Name
	}
	if req.IntervalSeconds != nil {
		src.IntervalSeconds = *req.IntervalSeconds
	}
	if req.Enabled != nil {
		src.Enabled = *req.Enabled
	}
	if len(req.Config) == 0 {
		h.fail(w, r, unprocessable{fmt.Errorf("%w: config: the connector's settings are required", store.ErrInvalid)})
		return
	}
	kept, err := h.cfg.Sources.Settings(r.Context(), req.Kind, req.Config)
	if err != nil {
		h.fail(w, r, unprocessable{fmt.Errorf("%w: %v", store.ErrInvalid, err)})
		return
	}
	created, err := h.store.CreateSource(r.Context(), ws.ID, src, string(kept), actor(r), time.Now())
	if err != nil {
		h.fail(w, r, unprocessableIfInvalid(err))
		return
	}
	h.cfg.Sources.Wake()
	out, err := h.showSource(r.Context(), created)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if created.Kind == model.SourceWebhook {
		// The secret its senders sign with is shown this once.
		var cfg hookSettings
		if err := json.Unmarshal(kept, &cfg); err == nil {
			out.Config["secret"] = cfg.Secret
		}
	}
	h.respondStatus(w, r, http.StatusCreated, out)
}

// updateSource changes a live source. Settings are replaced whole; a
// secret sent back as the API shows it keeps its value.
func (h *handler) updateSource(w http.ResponseWriter, r *http.Request) {
	if h.sourcesOff(w) {
		return
	}
	var req sourceRequest
	if err := decodeBody(w, r, 32<<10, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	ws, id, err := h.workspaceItem(r, accessManage, "source")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx := r.Context()
	src, err := h.store.Source(ctx, ws.ID, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if req.Kind != "" && req.Kind != src.Kind || req.Channel != "" && req.Channel != src.Channel {
		h.fail(w, r, unprocessable{fmt.Errorf("%w: a source's kind and channel cannot change; create another source", store.ErrInvalid)})
		return
	}
	change := store.SourceChange{Name: req.Name, IntervalSeconds: req.IntervalSeconds, Enabled: req.Enabled}
	if len(req.Config) > 0 {
		old, err := h.store.SourceConfig(ctx, ws.ID, id)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		merged, err := keepSecrets(req.Config, []byte(old))
		if err != nil {
			h.fail(w, r, unprocessable{fmt.Errorf("%w: config: %v", store.ErrInvalid, err)})
			return
		}
		kept, err := h.cfg.Sources.Settings(ctx, src.Kind, merged)
		if err != nil {
			h.fail(w, r, unprocessable{fmt.Errorf("%w: %v", store.ErrInvalid, err)})
			return
		}
		config := string(kept)
		change.Config = &config
	}
	updated, err := h.store.UpdateSource(ctx, ws.ID, id, change, actor(r), time.Now())
	if err != nil {
		h.fail(w, r, unprocessableIfInvalid(err))
		return
	}
	h.cfg.Sources.Wake()
	h.respondSource(w, r, http.StatusOK, updated)
}

// keepSecrets replaces, in settings sent back, each secret shown hidden
// by its kept value.
func keepSecrets(sent, kept []byte) ([]byte, error) {
	var s, k map[string]any
	if err := json.Unmarshal(sent, &s); err != nil {
		return nil, errors.New("must be a JSON object")
	}
	if err := json.Unmarshal(kept, &k); err != nil {
		return sent, nil
	}
	for key, v := range s {
		if v == model.HiddenSecret {
			if old, ok := k[key]; ok {
				s[key] = old
			}
		}
	}
	return json.Marshal(s)
}

// deleteSource removes a live source; what it read stays.
func (h *handler) deleteSource(w http.ResponseWriter, r *http.Request) {
	ws, id, err := h.workspaceItem(r, accessManage, "source")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.store.DeleteSource(r.Context(), ws.ID, id, actor(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// pollSource makes a source due now, whatever its schedule or backoff.
func (h *handler) pollSource(w http.ResponseWriter, r *http.Request) {
	if h.sourcesOff(w) {
		return
	}
	ws, id, err := h.workspaceItem(r, accessWork, "source")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.store.PollSourceNow(r.Context(), ws.ID, id, time.Now()); err != nil {
		h.fail(w, r, err)
		return
	}
	h.cfg.Sources.Wake()
	src, err := h.store.Source(r.Context(), ws.ID, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respondSource(w, r, http.StatusAccepted, src)
}
