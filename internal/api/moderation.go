package api

// Moderation: a CM approves, holds, marks as spam or trashes a customer's
// message; the outbox sends it to the platform where it can.

import (
	"net/http"
	"time"

	"palabre/internal/store"
)

// maxModerationBody bounds a moderation request's body.
const maxModerationBody = 4 << 10

type moderationRequest struct {
	Action string `json:"action"`
}

// moderate applies a moderation action to a customer's message: 200 with
// the action and whether it waits for the platform ("pending") or was
// applied in palabre only ("local").
func (h *handler) moderate(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "message")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req moderationRequest
	ws, ok := h.decodeForWorkspace(w, r, maxModerationBody, &req, accessWork)
	if !ok {
		return
	}
	m, err := h.store.ModerateMessage(r.Context(), ws.ID, id, req.Action, actor(r), time.Now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, m)
}

type moderationsResponse struct {
	Moderations []store.Moderation `json:"moderations"`
}

// listModerations answers a workspace's moderation actions sent, waiting
// or failed, newest first.
func (h *handler) listModerations(w http.ResponseWriter, r *http.Request) {
	ws, limit, err := h.sendingList(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out, err := h.store.Moderations(r.Context(), ws.ID, r.URL.Query().Get("status"), limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, moderationsResponse{Moderations: out})
}

// retryModeration sends again a moderation action that failed for good.
// 409 for one that has not failed.
func (h *handler) retryModeration(w http.ResponseWriter, r *http.Request) {
	ws, id, err := h.workspaceItem(r, accessWork, "moderation")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	m, err := h.store.RetryModeration(r.Context(), ws.ID, id, actor(r), time.Now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, m)
}
