package api

import (
	"context"
	"net/http"

	"palabre/internal/model"
)

type workspacesResponse struct {
	Workspaces []model.Workspace `json:"workspaces"`
}

// listWorkspaces answers the workspaces the caller has a role in (every
// one for an administrator), by slug.
func (h *handler) listWorkspaces(w http.ResponseWriter, r *http.Request) {
	all, err := h.readable(r.Context())
	h.respondOr(w, r, workspacesResponse{Workspaces: nonNil(all)}, err)
}

// readable lists the workspaces the caller may read.
func (h *handler) readable(ctx context.Context) ([]model.Workspace, error) {
	all, err := h.store.Workspaces(ctx)
	if err != nil {
		return nil, err
	}
	return h.visible(ctx, all)
}
