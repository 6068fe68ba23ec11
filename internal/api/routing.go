package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"palabre/internal/route"
	"palabre/internal/routing"
	"palabre/internal/store"
)

type rulesBody struct {
	Rules []route.Rule `json:"rules"`
}

// listRoutingRules answers a workspace's routing rules, in order.
func (h *handler) listRoutingRules(w http.ResponseWriter, r *http.Request) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessWork)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rules, err := h.store.RoutingRules(r.Context(), ws.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, rulesBody{Rules: rules})
}

// putRoutingRules replaces a workspace's routing rules.
func (h *handler) putRoutingRules(w http.ResponseWriter, r *http.Request) {
	var req rulesBody
	if err := decodeBody(w, r, 1<<20, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	ws, err := h.workspace(r, r.PathValue("slug"), accessManage)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if req.Rules == nil {
		h.fail(w, r, fmt.Errorf("%w: rules: give a list, [] for none", store.ErrInvalid))
		return
	}
	if err := route.ValidateRules(req.Rules); err != nil {
		h.fail(w, r, unprocessable{err})
		return
	}
	if err := h.store.SetRoutingRules(r.Context(), ws.ID, req.Rules, actor(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, req)
}

// routeNow routes the workspace's waiting conversations now, rather than
// at the server's next round.
func (h *handler) routeNow(w http.ResponseWriter, r *http.Request) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessManage)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sum, err := routing.RouteWorkspace(r.Context(), h.store, ws.ID, time.Now())
	if err != nil && !errors.Is(err, store.ErrConflict) {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, sum)
}
