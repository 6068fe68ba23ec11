package api

// Administration over the API: workspaces and users (administrators),
// a workspace's members and their roles (its owners and managers), and
// the caller's own API tokens.

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"palabre/internal/auth"
	"palabre/internal/model"
	"palabre/internal/store"
)

// requireAdmin refuses callers who do not administer the instance.
func requireAdmin(r *http.Request) error {
	if !principalOf(r.Context()).user.IsAdmin {
		return forbidden{errors.New("only an administrator of the instance may do this")}
	}
	return nil
}

// createWorkspace creates a workspace (a brand, a client of the agency).
func (h *handler) createWorkspace(w http.ResponseWriter, r *http.Request) {
	if err := requireAdmin(r); err != nil {
		h.fail(w, r, err)
		return
	}
	var req model.Workspace
	if err := decodeBody(w, r, 16<<10, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := store.ValidateSlug(req.Slug); err != nil {
		h.fail(w, r, unprocessable{err})
		return
	}
	if req.Name == "" {
		req.Name = req.Slug
	}
	ws, err := h.store.CreateWorkspace(r.Context(), model.Workspace{Slug: req.Slug, Name: req.Name, Sector: req.Sector, Language: req.Language})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respondStatus(w, r, http.StatusCreated, ws)
}

type usersResponse struct {
	Users []model.User `json:"users"`
}

// listUsers answers every user of the instance.
func (h *handler) listUsers(w http.ResponseWriter, r *http.Request) {
	if err := requireAdmin(r); err != nil {
		h.fail(w, r, err)
		return
	}
	users, err := h.store.Users(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, usersResponse{Users: nonNil(users)})
}

// createUser creates a user with a password.
func (h *handler) createUser(w http.ResponseWriter, r *http.Request) {
	if err := requireAdmin(r); err != nil {
		h.fail(w, r, err)
		return
	}
	var req struct {
		Login    string `json:"login"`
		Name     string `json:"name"`
		Password string `json:"password"`
		IsAdmin  bool   `json:"is_admin"`
	}
	if err := decodeBody(w, r, 16<<10, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	hash, err := auth.HashPassword(req.Password, h.cfg.PasswordParams)
	if err != nil {
		h.fail(w, r, unprocessable{fmt.Errorf("password: %w", err)})
		return
	}
	u, err := h.store.CreateUser(r.Context(), model.User{Login: req.Login, Name: req.Name, IsAdmin: req.IsAdmin}, hash, actor(r))
	if err != nil {
		h.fail(w, r, unprocessableIfInvalid(err))
		return
	}
	h.respondStatus(w, r, http.StatusCreated, u)
}

// member is one user's role in a workspace.
type member struct {
	Login string `json:"login"`
	Name  string `json:"name"`
	Role  string `json:"role"`
}

type membersResponse struct {
	Members []member `json:"members"`
}

// listMembers answers who holds which role in a workspace.
func (h *handler) listMembers(w http.ResponseWriter, r *http.Request) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessWork)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ms, err := h.store.WorkspaceMembers(r.Context(), ws.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := []member{}
	for _, m := range ms {
		u, err := h.store.UserByID(r.Context(), m.UserID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		out = append(out, member{Login: u.Login, Name: u.Name, Role: m.Role})
	}
	h.respond(w, r, membersResponse{Members: out})
}

// memberTarget finds the workspace and the user a membership route names,
// and checks the caller may change the user's role there from before to
// after: owners and managers manage roles; only an owner makes or unmakes
// an owner.
func (h *handler) memberTarget(r *http.Request, after string) (model.Workspace, model.User, error) {
	ws, mine, err := h.workspaceNeeding(r, r.PathValue("slug"), accessManage)
	if err != nil {
		return model.Workspace{}, model.User{}, err
	}
	login, err := store.NormalizeLogin(r.PathValue("login"))
	if err != nil {
		return model.Workspace{}, model.User{}, err
	}
	u, err := h.store.UserByLogin(r.Context(), login)
	if err != nil {
		return model.Workspace{}, model.User{}, err
	}
	before, err := h.accounts.Role(r.Context(), u.ID, ws.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return model.Workspace{}, model.User{}, err
	}
	if mine != model.RoleOwner && (before == model.RoleOwner || after == model.RoleOwner) {
		return model.Workspace{}, model.User{}, forbidden{errors.New("only an owner of the workspace gives or takes the owner role")}
	}
	return ws, u, nil
}

// putMember gives a user a role in a workspace (or changes it).
func (h *handler) putMember(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Role string `json:"role"`
	}
	if err := decodeBody(w, r, 1<<10, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if !model.ValidRole(req.Role) {
		h.fail(w, r, fmt.Errorf("%w: role %q: must be owner, manager, cm, expert or client", store.ErrInvalid, req.Role))
		return
	}
	ws, u, err := h.memberTarget(r, req.Role)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.store.SetMembership(r.Context(), u.ID, ws.ID, req.Role, actor(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, member{Login: u.Login, Name: u.Name, Role: req.Role})
}

// deleteMember takes a user's role in a workspace away.
func (h *handler) deleteMember(w http.ResponseWriter, r *http.Request) {
	ws, u, err := h.memberTarget(r, "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.store.DeleteMembership(r.Context(), u.ID, ws.ID, actor(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type tokensResponse struct {
	Tokens []model.APIToken `json:"tokens"`
}

// listTokens answers the caller's API tokens (never their secrets).
func (h *handler) listTokens(w http.ResponseWriter, r *http.Request) {
	ts, err := h.store.APITokens(r.Context(), principalOf(r.Context()).user.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, tokensResponse{Tokens: nonNil(ts)})
}

type createdToken struct {
	model.APIToken
	// Token is the secret, shown this once.
	Token string `json:"token"`
}

// createToken makes the caller an API token, scoped to some of their
// workspaces (none: all of them) and read-only unless write.
func (h *handler) createToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name       string   `json:"name"`
		Workspaces []string `json:"workspaces"`
		Write      bool     `json:"write"`
		ExpiresIn  string   `json:"expires_in"`
	}
	if err := decodeBody(w, r, 16<<10, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	p := principalOf(r.Context())
	if err := tokenMayManageTokens(p); err != nil {
		h.fail(w, r, err)
		return
	}
	t := model.APIToken{UserID: p.user.ID, Name: req.Name, CanWrite: req.Write, Workspaces: []int64{}}
	for _, slug := range req.Workspaces {
		ws, err := h.workspace(r, slug, accessRead)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !slices.Contains(t.Workspaces, ws.ID) {
			t.Workspaces = append(t.Workspaces, ws.ID)
		}
	}
	if req.ExpiresIn != "" {
		d, err := time.ParseDuration(req.ExpiresIn)
		if err != nil || d <= 0 {
			h.fail(w, r, fmt.Errorf("%w: expires_in %q: a positive duration such as 2160h", store.ErrInvalid, req.ExpiresIn))
			return
		}
		at := time.Now().Add(d)
		t.ExpiresAt = &at
	}
	secret, hash, err := auth.NewAPIToken()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	created, err := h.store.CreateAPIToken(r.Context(), t, hash, actor(r))
	if err != nil {
		h.fail(w, r, unprocessableIfInvalid(err))
		return
	}
	h.respondStatus(w, r, http.StatusCreated, createdToken{APIToken: created, Token: secret})
}

// tokenMayManageTokens refuses a token narrower than its user — scoped to
// some workspaces, or read-only — the making or revoking of tokens: a
// token never acts wider than itself.
func tokenMayManageTokens(p *principal) error {
	if p.token != nil && (!p.token.CanWrite || len(p.token.Workspaces) > 0) {
		return forbidden{errors.New("a token may make or revoke tokens only when it reaches every workspace and may write; sign in instead")}
	}
	return nil
}

// deleteToken revokes one of the caller's API tokens.
func (h *handler) deleteToken(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "token")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := principalOf(r.Context())
	if p.token == nil || p.token.ID != id { // any token may revoke itself
		if err := tokenMayManageTokens(p); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if err := h.store.RevokeAPIToken(r.Context(), p.user.ID, id, actor(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
