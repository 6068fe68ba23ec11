package api

import (
	"errors"
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
// recent activity first.
func (h *handler) listConversations(w http.ResponseWriter, r *http.Request) {
	filter, err := conversationFilter(r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ws, err := h.workspace(r, r.PathValue("slug"), accessRead)
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

// workspace finds the workspace named slug and checks that the caller may
// act on it as need asks. A slug that no workspace can have is not found
// without asking the database, which might choke on it (PostgreSQL refuses
// NUL bytes and invalid UTF-8 in text).
func (h *handler) workspace(r *http.Request, slug string, need access) (model.Workspace, error) {
	if store.ValidateSlug(slug) != nil {
		return model.Workspace{}, fmt.Errorf("workspace %q: %w", slug, store.ErrNotFound)
	}
	ws, err := h.store.WorkspaceBySlug(r.Context(), slug)
	if err != nil {
		return model.Workspace{}, err
	}
	if err := h.authorize(r.Context(), ws, need); err != nil {
		return model.Workspace{}, err
	}
	return ws, nil
}

// conversationFilter reads the status, assignee, limit and cursor parameters. The
// store checks status, the cursor and the limit's upper bound; only what
// cannot reach it as an int is checked here. An explicit limit=0 is refused
// rather than passed on, where it would mean "the default".
func conversationFilter(q url.Values) (store.ConversationFilter, error) {
	f := store.ConversationFilter{Status: q.Get("status"), Assignee: q.Get("assignee"), Cursor: q.Get("cursor")}
	if raw := q.Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			return f, fmt.Errorf("%w: limit %q: must be a whole number between 1 and 500", store.ErrInvalid, raw)
		}
		f.Limit = n
	}
	return f, nil
}

type conversationResponse struct {
	Conversation model.Conversation    `json:"conversation"`
	Messages     []store.StoredMessage `json:"messages"`
}

// showConversation answers one conversation with its messages in thread
// order.
func (h *handler) showConversation(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 {
		h.fail(w, r, fmt.Errorf("%w: conversation id %q: must be a positive whole number", store.ErrInvalid, raw))
		return
	}
	conv, err := h.store.Conversation(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ws, err := h.store.Workspace(r.Context(), conv.WorkspaceID)
	if err == nil {
		err = h.authorize(r.Context(), ws, accessRead)
	}
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = fmt.Errorf("conversation %d: %w", id, store.ErrNotFound)
		}
		h.fail(w, r, err)
		return
	}
	msgs, err := h.store.ConversationMessages(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, conversationResponse{Conversation: conv, Messages: nonNil(msgs)})
}
