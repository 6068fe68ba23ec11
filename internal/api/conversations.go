package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"palabre/internal/model"
	"palabre/internal/store"
)

type conversationsResponse struct {
	Conversations []model.Conversation `json:"conversations"`
	NextCursor    string               `json:"next_cursor,omitempty"`
}

// listConversations answers a page of a workspace's conversations, most
// recent activity first. An expert sees only those they were asked into.
func (h *handler) listConversations(w http.ResponseWriter, r *http.Request) {
	filter, err := conversationFilter(r.URL.Query(), principalOf(r.Context()).user.Login)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ws, role, err := h.workspaceWithRole(r, r.PathValue("slug"))
	switch {
	case err != nil:
	case role == model.RoleExpert:
		filter.Participant = principalOf(r.Context()).user.ID
	default:
		err = checkRole(ws, role, accessRead)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	page, err := h.store.Conversations(r.Context(), ws.ID, filter)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, conversationsResponse{Conversations: nonNil(page.Conversations), NextCursor: page.Next})
}

// workspaceWithRole finds the workspace named slug in which the caller
// holds a role, any role, and answers it with the role; to anyone else it
// does not exist. A slug that no workspace can have is not found without
// asking the database, which might choke on it (PostgreSQL refuses NUL
// bytes and invalid UTF-8 in text).
func (h *handler) workspaceWithRole(r *http.Request, slug string) (model.Workspace, string, error) {
	if store.ValidateSlug(slug) != nil {
		return model.Workspace{}, "", fmt.Errorf("workspace %q: %w", slug, store.ErrNotFound)
	}
	ws, err := h.store.WorkspaceBySlug(r.Context(), slug)
	if err != nil {
		return model.Workspace{}, "", err
	}
	role, err := h.roleIn(r.Context(), ws)
	if err != nil {
		return model.Workspace{}, "", err
	}
	return ws, role, nil
}

// workspace finds the workspace named slug and checks that the caller may
// act on it as need asks.
func (h *handler) workspace(r *http.Request, slug string, need access) (model.Workspace, error) {
	ws, _, err := h.workspaceNeeding(r, slug, need)
	return ws, err
}

// workspaceNeeding is workspace, answering the caller's role too.
func (h *handler) workspaceNeeding(r *http.Request, slug string, need access) (model.Workspace, string, error) {
	ws, role, err := h.workspaceWithRole(r, slug)
	if err == nil {
		err = checkRole(ws, role, need)
	}
	if err != nil {
		return model.Workspace{}, "", err
	}
	return ws, role, nil
}

// conversationFilter reads the filter parameters: status, assignee
// ("me" is the caller), unassigned, tag, priority, snoozed, sort ("due":
// soonest response due first), limit and cursor. The store checks status,
// tag, priority, the cursor and the limit's upper bound; only what cannot
// reach it as typed is checked here. An explicit limit=0 is refused rather
// than passed on, where it would mean "the default".
func conversationFilter(q url.Values, me string) (store.ConversationFilter, error) {
	f := store.ConversationFilter{Status: q.Get("status"), Assignee: q.Get("assignee"), Tag: q.Get("tag"), Cursor: q.Get("cursor")}
	if f.Assignee == "me" {
		f.Assignee = me
	}
	if raw := q.Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			return f, fmt.Errorf("%w: limit %q: must be a whole number between 1 and 500", store.ErrInvalid, raw)
		}
		f.Limit = n
	}
	if raw := q.Get("priority"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil {
			return f, fmt.Errorf("%w: priority %q: must be a whole number", store.ErrInvalid, raw)
		}
		f.Priority = &n
	}
	if raw := q.Get("unassigned"); raw != "" {
		b, err := parseBool("unassigned", raw)
		if err != nil {
			return f, err
		}
		f.Unassigned = b
	}
	if raw := q.Get("snoozed"); raw != "" {
		b, err := parseBool("snoozed", raw)
		if err != nil {
			return f, err
		}
		f.Snoozed = &b
	}
	switch sort := q.Get("sort"); sort {
	case "", "activity":
	case "due":
		f.ByDue = true
	default:
		return f, fmt.Errorf("%w: sort %q: must be activity or due", store.ErrInvalid, sort)
	}
	return f, nil
}

func parseBool(name, raw string) (bool, error) {
	b, err := strconv.ParseBool(raw)
	if err != nil {
		return false, fmt.Errorf("%w: %s %q: must be true or false", store.ErrInvalid, name, raw)
	}
	return b, nil
}

type conversationResponse struct {
	Conversation model.Conversation    `json:"conversation"`
	Messages     []store.StoredMessage `json:"messages"`
}

// showConversation answers one conversation with its messages in thread
// order.
func (h *handler) showConversation(w http.ResponseWriter, r *http.Request) {
	conv, _, _, err := h.conversationFor(r, accessRead)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	msgs, err := h.store.ConversationMessages(r.Context(), conv.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, conversationResponse{Conversation: conv, Messages: nonNil(msgs)})
}
