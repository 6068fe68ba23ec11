package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"palabre/internal/model"
	"palabre/internal/store"
)

// maxProfileBody bounds a profile PUT: 200 specialisations and a week of
// hours fit with room.
const maxProfileBody = 128 << 10

// ProfileRequest is the body of a profile PUT: a whole profile, without
// what the server decides (whose it is, when it changed). Absent fields
// take their default: no languages, UTC, no hours, no capacity limit,
// available, no specialisations.
type ProfileRequest struct {
	Languages       []string               `json:"languages"`
	TimeZone        string                 `json:"time_zone"`
	Hours           model.WeeklyHours      `json:"hours"`
	Capacity        int                    `json:"capacity"`
	Status          string                 `json:"status"`
	Specialisations []model.Specialisation `json:"specialisations"`
}

type statusRequest struct {
	Status string `json:"status"`
}

// showProfile answers a user's profile, with the sectors they work in and
// a warning when those are too many.
func (h *handler) showProfile(w http.ResponseWriter, r *http.Request) {
	u, err := h.profileUser(r.Context(), r.PathValue("login"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respondProfile(w, r, u)
}

// putProfile replaces a user's profile and answers it as showProfile does.
func (h *handler) putProfile(w http.ResponseWriter, r *http.Request) {
	u, err := h.profileUser(r.Context(), r.PathValue("login"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	def := model.DefaultProfile(u.ID)
	req := ProfileRequest{Languages: def.Languages, TimeZone: def.TimeZone, Hours: def.Hours,
		Status: def.Status, Specialisations: def.Specialisations}
	if err := decodeBody(w, r, maxProfileBody, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	p := model.Profile{UserID: u.ID, Languages: req.Languages, TimeZone: req.TimeZone, Hours: req.Hours,
		Capacity: req.Capacity, Status: req.Status, Specialisations: req.Specialisations}
	if err := h.store.SetProfile(r.Context(), p, actor(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respondProfile(w, r, u)
}

// putMyStatus sets whether the caller is available or away, and answers
// their profile.
func (h *handler) putMyStatus(w http.ResponseWriter, r *http.Request) {
	var req statusRequest
	if err := decodeBody(w, r, 4<<10, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	u := principalOf(r.Context()).user
	if err := h.store.SetStatus(r.Context(), u.ID, req.Status, actor(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respondProfile(w, r, u)
}

func (h *handler) respondProfile(w http.ResponseWriter, r *http.Request, u model.User) {
	p, err := h.store.Profile(r.Context(), u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sectors, err := h.store.SectorSpread(r.Context(), u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, model.NewProfileView(u, p, sectors, h.cfg.MaxSectors))
}

// profileUser finds the user named login, whose profile the caller may
// read and change: their own; anyone's for an administrator; for an owner
// or a manager, anyone who holds a role in a workspace they manage. A
// token limited to some workspaces reaches others' profiles only through
// those. Whoever the caller may not reach does not exist for them: 404,
// as for a login nobody has.
func (h *handler) profileUser(ctx context.Context, login string) (model.User, error) {
	p := principalOf(ctx)
	notFound := fmt.Errorf("user %q: %w", login, store.ErrNotFound)
	u, err := h.store.UserByLogin(ctx, login)
	if errors.Is(err, store.ErrNotFound) {
		return model.User{}, notFound
	}
	if err != nil {
		return model.User{}, err
	}
	if u.ID == p.user.ID {
		return u, nil
	}
	limited := p.token != nil && len(p.token.Workspaces) > 0
	if p.user.IsAdmin && !limited {
		return u, nil
	}
	theirs, err := h.accounts.Memberships(ctx, u.ID)
	if err != nil {
		return model.User{}, err
	}
	mine := make(map[int64]string)
	if !p.user.IsAdmin {
		ms, err := h.accounts.Memberships(ctx, p.user.ID)
		if err != nil {
			return model.User{}, err
		}
		for _, m := range ms {
			mine[m.WorkspaceID] = m.Role
		}
	}
	for _, m := range theirs {
		if limited && !slices.Contains(p.token.Workspaces, m.WorkspaceID) {
			continue
		}
		if p.user.IsAdmin || accessManage.allows(mine[m.WorkspaceID]) {
			return u, nil
		}
	}
	return model.User{}, notFound
}
