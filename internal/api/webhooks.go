package api

import (
	"net/http"

	"palabre/internal/model"
	"palabre/internal/store"
)

type webhooksResponse struct {
	Webhooks []model.Webhook `json:"webhooks"`
}

// listWebhooks answers a workspace's webhooks, without their secrets.
func (h *handler) listWebhooks(w http.ResponseWriter, r *http.Request) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessManage)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.store.Webhooks(r.Context(), ws.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, webhooksResponse{Webhooks: list})
}

// createWebhook registers a webhook and answers its signing secret, this
// once.
func (h *handler) createWebhook(w http.ResponseWriter, r *http.Request) {
	var req struct {
		URL    string   `json:"url"`
		Events []string `json:"events"`
	}
	if err := decodeBody(w, r, 16<<10, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	ws, err := h.workspace(r, r.PathValue("slug"), accessManage)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	hook, err := h.store.CreateWebhook(r.Context(), ws.ID, model.Webhook{URL: req.URL, Events: req.Events}, actor(r))
	if err != nil {
		h.fail(w, r, unprocessableIfInvalid(err))
		return
	}
	h.respondStatus(w, r, http.StatusCreated, hook)
}

// deleteWebhook deletes a webhook and its deliveries.
func (h *handler) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	ws, id, err := h.workspaceItem(r, accessManage, "webhook")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.store.DeleteWebhook(r.Context(), ws.ID, id, actor(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type deliveriesResponse struct {
	Deliveries []store.WebhookDelivery `json:"deliveries"`
}

// listDeliveries answers a webhook's newest deliveries and how they went.
func (h *handler) listDeliveries(w http.ResponseWriter, r *http.Request) {
	ws, id, err := h.workspaceItem(r, accessManage, "webhook")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	_, limit, err := pageParams(r, 100)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.store.WebhookDeliveries(r.Context(), ws.ID, id, min(limit, 500))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, deliveriesResponse{Deliveries: list})
}
