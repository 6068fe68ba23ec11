package api

import (
	"net/http"

	"palabre/internal/model"
)

type workspacesResponse struct {
	Workspaces []model.Workspace `json:"workspaces"`
}

// listWorkspaces answers the workspaces the caller has a role in (every
// one for an administrator), by slug.
func (h *handler) listWorkspaces(w http.ResponseWriter, r *http.Request) {
	all, err := h.store.Workspaces(r.Context())
	if err == nil {
		all, err = h.visible(r.Context(), all)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, workspacesResponse{Workspaces: nonNil(all)})
}
