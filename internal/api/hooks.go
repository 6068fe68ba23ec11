package api

// The inbound webhook: forms and automation tools post messages to
// /api/v1/hooks/{workspace}/{channel}, signed with the channel's secret
// (docs/INBOUND.md). It answers without a session or token: the signature
// is the credential.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"palabre/internal/analysis"
	"palabre/internal/connector/inbound"
	"palabre/internal/httpx"
	"palabre/internal/ingest"
	"palabre/internal/model"
	"palabre/internal/store"
)

// errNoHook: the channel has no inbound webhook.
var errNoHook = errors.New("no inbound webhook here")

// hookSettings is what the API reads of an inbound webhook's settings:
// the secret its senders sign with.
type hookSettings struct {
	Secret string `json:"secret"`
}

// hookProblem is a 400 answer listing the messages that cannot be stored.
type hookProblem struct {
	httpx.Problem
	Errors []hookError `json:"errors"`
}

type hookError struct {
	Pointer string `json:"pointer"`
	Detail  string `json:"detail"`
}

type hookResponse struct {
	Read       int `json:"read"`
	Inserted   int `json:"inserted"`
	Duplicates int `json:"duplicates"`
}

// inboundHook stores the messages of a signed delivery.
func (h *handler) inboundHook(w http.ResponseWriter, r *http.Request) {
	// What the delivery waits for is read through the writers'
	// connections (on PostgreSQL), not behind the readers' crowd.
	ctx := store.Urgent(r.Context())
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, inbound.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		httpx.WriteProblem(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body has more than %d bytes", inbound.MaxBodyBytes))
		return
	case err != nil:
		httpx.WriteProblem(w, http.StatusBadRequest, "the body could not be read: "+err.Error())
		return
	}
	st, ok := h.store.(*store.Store)
	if !ok || h.hooks == nil {
		h.fail(w, r, errors.New("inbound webhook: the API's store cannot import"))
		return
	}
	// The same answer for an unknown workspace, channel or a channel
	// without a webhook: none tells what exists.
	notFound := func() { httpx.WriteProblem(w, http.StatusNotFound, errNoHook.Error()) }
	ws, err := h.store.WorkspaceBySlug(ctx, r.PathValue("slug"))
	if errors.Is(err, store.ErrNotFound) {
		notFound()
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sources, err := h.store.Sources(ctx, ws.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := time.Now()
	var src *model.Source
	verr := errNoHook
	for i, s := range sources {
		if s.Kind != model.SourceWebhook || !s.Enabled || s.Channel != r.PathValue("channel") {
			continue
		}
		config, err := h.store.SourceConfig(ctx, ws.ID, s.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		var cfg hookSettings
		if err := json.Unmarshal([]byte(config), &cfg); err != nil || cfg.Secret == "" {
			continue
		}
		if verr = inbound.Verify([]byte(cfg.Secret), r.Header.Get(inbound.SignatureHeader), body, now, inbound.DefaultTolerance); verr == nil {
			src = &sources[i]
			break
		}
	}
	if src == nil {
		if errors.Is(verr, errNoHook) {
			notFound()
			return
		}
		httpx.WriteProblem(w, http.StatusUnauthorized, verr.Error())
		return
	}
	switch err := inbound.CheckReplay(ctx, st, src.ChannelID, body, now); {
	case errors.Is(err, inbound.ErrReplayed):
		httpx.WriteProblem(w, http.StatusConflict, "this delivery was accepted already")
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	records, err := inbound.Parse(body)
	var batch *inbound.BatchError
	switch {
	case errors.Is(err, inbound.ErrTooLarge):
		httpx.WriteProblem(w, http.StatusRequestEntityTooLarge, err.Error())
		return
	case errors.As(err, &batch):
		p := hookProblem{Problem: httpx.Problem{Type: "about:blank", Title: http.StatusText(http.StatusBadRequest),
			Status: http.StatusBadRequest, Detail: fmt.Sprintf("%d of %d messages cannot be stored", len(batch.Errors), batch.Total)}}
		for _, e := range batch.Errors {
			p.Errors = append(p.Errors, hookError{Pointer: e.Pointer(), Detail: e.Err.Error()})
		}
		if err := httpx.WriteProblemWith(w, http.StatusBadRequest, p); err != nil {
			h.logger.ErrorContext(ctx, "inbound webhook", "error", err)
		}
		return
	case err != nil:
		httpx.WriteProblem(w, http.StatusBadRequest, err.Error())
		return
	}
	opts := ingest.Options{Workspace: ws, Channel: src.Channel, ChannelKind: model.SourceWebhook}
	if h.analysis != nil {
		a, err := h.analysis.Analyzer(ctx, ws.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		opts.Enrich = analysis.NewEnricher(a).Enrich
	}
	for i := range records {
		records[i].Message.Channel = src.Channel
	}
	ch, err := st.EnsureChannel(ctx, ws.ID, src.Channel, model.SourceWebhook)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// The messages and the delivery, remembered so that a replay is
	// refused, are stored in one transaction, shared with the other
	// deliveries to the channel that arrive meanwhile.
	delivery := store.Delivery{Key: inbound.DeliveryKey(body), Until: inbound.RememberUntil(now, inbound.DefaultTolerance)}
	sum, err := h.hooks.Write(ctx, ws, ch, store.Group{Items: ingest.Items(opts, records), Delivery: &delivery})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.routeAfterImport(r, ws)
	h.respond(w, r, hookResponse{Read: len(records), Inserted: sum.Inserted, Duplicates: sum.Duplicates})
}
