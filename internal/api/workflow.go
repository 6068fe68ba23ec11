package api

// The CM's work on conversations: status, priority, tags, snooze and
// assignee (one or in bulk), history, internal notes, replies and the
// outbox.

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"palabre/internal/httpx"
	"palabre/internal/model"
	"palabre/internal/store"
)

// conversationFor loads the conversation the path's id names, its
// workspace and the caller's role there, and checks that the caller may
// act on it as need asks. Experts reach only the conversations they were
// asked into, for reading and notes; to anyone else, and for a
// conversation of a workspace the caller has no part in, it does not
// exist.
func (h *handler) conversationFor(r *http.Request, need access) (model.Conversation, model.Workspace, string, error) {
	var none model.Workspace
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 {
		return model.Conversation{}, none, "", fmt.Errorf("%w: conversation id %q: must be a positive whole number", store.ErrInvalid, raw)
	}
	notFound := fmt.Errorf("conversation %d: %w", id, store.ErrNotFound)
	conv, err := h.store.Conversation(r.Context(), id)
	if err != nil {
		return model.Conversation{}, none, "", err
	}
	ws, err := h.store.Workspace(r.Context(), conv.WorkspaceID)
	if err != nil {
		return model.Conversation{}, none, "", err
	}
	role, err := h.roleIn(r.Context(), ws)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return model.Conversation{}, none, "", notFound
	case err != nil:
		return model.Conversation{}, none, "", err
	case role == model.RoleExpert:
		asked, err := h.store.IsParticipant(r.Context(), id, principalOf(r.Context()).user.ID)
		switch {
		case err != nil:
			return model.Conversation{}, none, "", err
		case !asked:
			return model.Conversation{}, none, "", notFound
		case need > accessNote:
			return model.Conversation{}, none, "", forbidden{fmt.Errorf("an expert may read this conversation and add notes, no more")}
		}
	default:
		if err := checkRole(ws, role, need); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				err = notFound
			}
			return model.Conversation{}, none, "", err
		}
	}
	if conv.Tags, err = h.store.ConversationTags(r.Context(), id); err != nil {
		return model.Conversation{}, none, "", err
	}
	return conv, ws, role, nil
}

// changeRequest is the body of PATCH /conversations/{id} and, with ids,
// of a bulk action.
type changeRequest struct {
	Status      *string    `json:"status"`
	Priority    *int       `json:"priority"`
	AddTags     []string   `json:"add_tags"`
	RemoveTags  []string   `json:"remove_tags"`
	SnoozeUntil *time.Time `json:"snooze_until"`
	Unsnooze    bool       `json:"unsnooze"`
	Assignee    *string    `json:"assignee"`
}

// allowed is the change the request asks for, when it asks for one and
// the caller's role allows it: managers and owners assign anyone, a CM
// only takes a conversation or gives it back.
func (c changeRequest) allowed(r *http.Request, role string) (store.ConversationChange, error) {
	ch := store.ConversationChange{Status: c.Status, Priority: c.Priority, AddTags: c.AddTags, RemoveTags: c.RemoveTags,
		SnoozeUntil: c.SnoozeUntil, Unsnooze: c.Unsnooze, Assignee: c.Assignee}
	if c.Assignee != nil && !accessManage.allows(role) && *c.Assignee != "" &&
		!strings.EqualFold(strings.TrimSpace(*c.Assignee), principalOf(r.Context()).user.Login) {
		return ch, forbidden{fmt.Errorf("a CM may assign a conversation to themselves only; managers assign others")}
	}
	if ch.Empty() {
		return ch, fmt.Errorf("%w: nothing to change: give status, priority, add_tags, remove_tags, snooze_until, unsnooze or assignee", store.ErrInvalid)
	}
	return ch, nil
}

// actor names the caller in the audit log: their login.
func actor(r *http.Request) string { return principalOf(r.Context()).user.Login }

// patchConversation changes one conversation's workflow fields.
func (h *handler) patchConversation(w http.ResponseWriter, r *http.Request) {
	var req changeRequest
	if err := decodeBody(w, r, 16<<10, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	conv, ws, role, err := h.conversationFor(r, accessWork)
	var ch store.ConversationChange
	if err == nil {
		ch, err = req.allowed(r, role)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	convs, err := h.store.ChangeConversations(r.Context(), ws.ID, []int64{conv.ID}, ch, actor(r), time.Now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, convs[0])
}

type bulkRequest struct {
	IDs []int64 `json:"ids"`
	changeRequest
}

// bulkChange applies one change to many conversations of a workspace, all
// or none.
func (h *handler) bulkChange(w http.ResponseWriter, r *http.Request) {
	var req bulkRequest
	if err := decodeBody(w, r, 64<<10, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	ws, role, err := h.workspaceNeeding(r, r.PathValue("slug"), accessWork)
	var ch store.ConversationChange
	if err == nil {
		ch, err = req.allowed(r, role)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	convs, err := h.store.ChangeConversations(r.Context(), ws.ID, req.IDs, ch, actor(r), time.Now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, conversationsResponse{Conversations: convs})
}

type historyResponse struct {
	Events []model.Event `json:"events"`
}

// conversationHistory answers a conversation's audit events, oldest first.
func (h *handler) conversationHistory(w http.ResponseWriter, r *http.Request) {
	conv, ws, role, err := h.conversationFor(r, accessRead)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	after, limit, err := pageParams(r, 200)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	events, err := h.store.ConversationEvents(r.Context(), ws.ID, conv.ID, after, limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	me := principalOf(r.Context()).user.ID
	shown := events[:0]
	for _, e := range events {
		// Notifications are their recipient's; notes, staff's.
		if (e.RecipientID != 0 && e.RecipientID != me) || (role == model.RoleClient && strings.HasPrefix(e.Action, "note.")) {
			continue
		}
		shown = append(shown, e)
	}
	h.respond(w, r, historyResponse{Events: shown})
}

// pageParams reads the after (an id) and limit parameters.
func pageParams(r *http.Request, def int) (after int64, limit int, err error) {
	q := r.URL.Query()
	limit = def
	if raw := q.Get("limit"); raw != "" {
		if limit, err = strconv.Atoi(raw); err != nil || limit < 1 || limit > 1000 {
			return 0, 0, fmt.Errorf("%w: limit %q: must be a whole number between 1 and 1000", store.ErrInvalid, raw)
		}
	}
	if raw := q.Get("after"); raw != "" {
		if after, err = strconv.ParseInt(raw, 10, 64); err != nil || after < 0 {
			return 0, 0, fmt.Errorf("%w: after %q: must be an id", store.ErrInvalid, raw)
		}
	}
	return after, limit, nil
}

type notesResponse struct {
	Notes []model.Note `json:"notes"`
}

// listNotes answers a conversation's internal notes: staff only, never a
// client.
func (h *handler) listNotes(w http.ResponseWriter, r *http.Request) {
	conv, ws, _, err := h.conversationFor(r, accessNote)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	notes, err := h.store.Notes(r.Context(), ws.ID, conv.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, notesResponse{Notes: notes})
}

// addNote adds an internal note; who it @mentions is asked in.
func (h *handler) addNote(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Body string `json:"body"`
	}
	if err := decodeBody(w, r, 64<<10, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	conv, ws, _, err := h.conversationFor(r, accessNote)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	note, err := h.store.AddNote(r.Context(), ws.ID, conv.ID, principalOf(r.Context()).user, req.Body, time.Now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respondStatus(w, r, http.StatusCreated, note)
}

type replyRequest struct {
	Body          string `json:"body"`
	InReplyTo     string `json:"in_reply_to"`
	BasedOn       int64  `json:"based_on"`
	Confirm       bool   `json:"confirm"`
	ClientID      string `json:"client_id"`
	Status        string `json:"status"`
	CannedReplyID int64  `json:"canned_reply_id"`
}

// staleProblem is the 409 of a reply written before newer messages
// arrived: the problem, and the messages to read.
type staleProblem struct {
	httpx.Problem
	Messages []store.StoredMessage `json:"messages"`
}

// addReply writes a reply: a staff message of the thread, queued in the
// outbox.
func (h *handler) addReply(w http.ResponseWriter, r *http.Request) {
	var req replyRequest
	if err := decodeBody(w, r, int64(model.MaxReplyLen)+4<<10, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	conv, ws, _, err := h.conversationFor(r, accessWork)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sent, err := h.store.AddReply(r.Context(), store.Reply{
		WorkspaceID: ws.ID, ConversationID: conv.ID, Author: principalOf(r.Context()).user,
		Body: req.Body, InReplyTo: req.InReplyTo, BasedOn: req.BasedOn, Confirm: req.Confirm,
		ClientID: req.ClientID, Status: req.Status, CannedID: req.CannedReplyID,
	}, time.Now())
	var stale *store.StaleError
	if errors.As(err, &stale) {
		if err := httpx.WriteProblemWith(w, http.StatusConflict, staleProblem{
			Problem: httpx.Problem{Type: "about:blank", Title: http.StatusText(http.StatusConflict),
				Status: http.StatusConflict, Detail: stale.Error()},
			Messages: stale.Newer}); err != nil {
			h.logger.ErrorContext(r.Context(), "api: write stale reply problem", slog.Any("error", err))
		}
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status := http.StatusCreated
	if sent.Replayed {
		status = http.StatusOK
	}
	h.respondStatus(w, r, status, sent)
}

type outboxResponse struct {
	Outbox []store.OutboxEntry `json:"outbox"`
}

// listOutbox answers a workspace's replies waiting for, or done with,
// their connector.
func (h *handler) listOutbox(w http.ResponseWriter, r *http.Request) {
	ws, limit, err := h.sendingList(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out, err := h.store.Outbox(r.Context(), ws.ID, r.URL.Query().Get("status"), limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, outboxResponse{Outbox: out})
}

// sendingList reads the workspace and limit of a listing of what the
// outbox sends (replies, moderation): a CM's, 100 by default, at most
// 500.
func (h *handler) sendingList(r *http.Request) (model.Workspace, int, error) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessWork)
	if err != nil {
		return ws, 0, err
	}
	_, limit, err := pageParams(r, 100)
	if err == nil && limit > 500 {
		err = fmt.Errorf("%w: limit %d: at most 500", store.ErrInvalid, limit)
	}
	return ws, limit, err
}

// retryOutbox sends again a reply that failed for good, once a CM has
// seen why (an interrupted attempt the platform cannot confirm, a reply
// it refused). 409 for a reply that has not failed.
func (h *handler) retryOutbox(w http.ResponseWriter, r *http.Request) {
	ws, id, err := h.workspaceItem(r, accessWork, "outbox entry")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	e, err := h.store.RetryOutbox(r.Context(), ws.ID, id, actor(r), time.Now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, e)
}
