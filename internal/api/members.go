package api

// People: the member panel of a community member (identities, tags,
// notes, merges, conversations, sentiment over time), its notes, tags and
// merges; and the caller's saved inbox views and screen language.
//
// Community members live under /workspaces/{slug}/people/{id}:
// /workspaces/{slug}/members/{login} already names the users who hold a
// role in the workspace.

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"palabre/internal/metrics"
	"palabre/internal/model"
	"palabre/internal/store"
)

// memberPanel is the answer of GET /workspaces/{slug}/people/{id}.
type memberPanel struct {
	Member model.Member `json:"member"`
	// Notes are left out (null) for clients: staff notes are internal.
	Notes         []model.MemberNote         `json:"notes"`
	Merges        []model.MemberMerge        `json:"merges"`
	Conversations []store.MemberConversation `json:"conversations"`
	Sentiment     []store.SentimentPoint     `json:"sentiment"`
	// IdentityGroups are every identity, by kind and channel.
	IdentityGroups []store.IdentityGroup   `json:"identity_groups"`
	Channels       []store.ChannelActivity `json:"channels"`
	Fields         []store.MemberField     `json:"fields"`
	// Engagement is scored as the analytics score members, over the
	// period it names.
	Engagement metrics.MemberEngagement `json:"engagement"`
	// Suggestions are left out (null) for those who cannot merge.
	Suggestions []store.MergeSuggestion `json:"suggestions"`
}

// showMember answers a member's panel. Experts, who see no whole
// workspace, get 404 as for the workspace itself; clients get no notes.
// A member merged away answers as it is, with merged_into saying where
// its messages went.
func (h *handler) showMember(w http.ResponseWriter, r *http.Request) {
	ws, role, err := h.workspaceNeeding(r, r.PathValue("slug"), accessRead)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx, id := r.Context(), r.PathValue("id")
	var p memberPanel
	if p.Member, err = h.store.Member(ctx, ws.ID, id); err != nil {
		h.fail(w, r, err)
		return
	}
	p.Member.Identities, p.Member.Tags = nonNil(p.Member.Identities), nonNil(p.Member.Tags)
	if accessNote.allows(role) {
		if p.Notes, err = h.store.MemberNotes(ctx, ws.ID, id); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if p.Merges, err = h.store.MemberMerges(ctx, ws.ID, id); err != nil {
		h.fail(w, r, err)
		return
	}
	if p.Conversations, err = h.store.MemberConversations(ctx, ws.ID, id, 50); err != nil {
		h.fail(w, r, err)
		return
	}
	if p.Sentiment, err = h.store.MemberSentiment(ctx, ws.ID, id); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.member360(r, ws.ID, role, &p); err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, p)
}

// member360 fills in the rest of a member's panel: identities by kind
// and channel, messages by channel, custom fields, engagement, and, for
// those who may merge, the members who may be the same person.
func (h *handler) member360(r *http.Request, workspaceID int64, role string, p *memberPanel) error {
	ctx, id := r.Context(), p.Member.ID
	var err error
	if p.IdentityGroups, err = h.store.MemberIdentityGroups(ctx, workspaceID, id); err != nil {
		return err
	}
	if p.Channels, err = h.store.MemberChannels(ctx, workspaceID, id); err != nil {
		return err
	}
	if p.Fields, err = h.store.MemberFields(ctx, workspaceID, id); err != nil {
		return err
	}
	if p.Engagement, err = metrics.MemberScore(ctx, h.store, workspaceID, id, time.Now()); err != nil {
		return err
	}
	if accessWork.allows(role) {
		if p.Suggestions, err = h.store.MemberSuggestions(ctx, workspaceID, id, 0); err != nil {
			return err
		}
	}
	return nil
}

// suggestionsResponse lists merge suggestions.
type suggestionsResponse struct {
	Suggestions []store.MergeSuggestion `json:"suggestions"`
}

// suggestionLimit reads the limit of a list of suggestions: 10 when
// absent, else a whole number the store checks.
func suggestionLimit(r *http.Request) (int, error) {
	raw := r.URL.Query().Get("limit")
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%w: limit %q: must be a whole number between 1 and 100", store.ErrInvalid, raw)
	}
	return n, nil
}

// memberSuggestions answers the members who may be the same person as
// the path's, best first.
func (h *handler) memberSuggestions(w http.ResponseWriter, r *http.Request) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessWork)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	limit, err := suggestionLimit(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sg, err := h.store.MemberSuggestions(r.Context(), ws.ID, r.PathValue("id"), limit)
	h.respondOr(w, r, suggestionsResponse{Suggestions: sg}, err)
}

// mergeSuggestions answers the pairs of members of the workspace who may
// be one person, best first.
func (h *handler) mergeSuggestions(w http.ResponseWriter, r *http.Request) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessWork)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	limit, err := suggestionLimit(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sg, err := h.store.MergeSuggestions(r.Context(), ws.ID, limit)
	h.respondOr(w, r, suggestionsResponse{Suggestions: sg}, err)
}

// dismissSuggestion records that the member the body names (other) is
// not the same person as the path's, and answers the path's suggestions
// after.
func (h *handler) dismissSuggestion(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Other string `json:"other"`
	}
	ws, ok := h.decodeForWorkspace(w, r, 4<<10, &req, accessWork)
	if !ok {
		return
	}
	if req.Other == "" {
		h.fail(w, r, fmt.Errorf("%w: other: give the id of the member who is not the same person", store.ErrInvalid))
		return
	}
	id := r.PathValue("id")
	if err := h.store.DismissSuggestion(r.Context(), ws.ID, id, req.Other, actor(r), time.Now()); err != nil {
		h.fail(w, r, unprocessableIfInvalid(err))
		return
	}
	sg, err := h.store.MemberSuggestions(r.Context(), ws.ID, id, 0)
	h.respondOr(w, r, suggestionsResponse{Suggestions: sg}, err)
}

// addMemberNote adds a staff note on a member.
func (h *handler) addMemberNote(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Body string `json:"body"`
	}
	ws, ok := h.decodeForWorkspace(w, r, 64<<10, &req, accessWork)
	if !ok {
		return
	}
	note, err := h.store.AddMemberNote(r.Context(), ws.ID, r.PathValue("id"), principalOf(r.Context()).user, req.Body, time.Now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respondStatus(w, r, http.StatusCreated, note)
}

// patchMember adds and removes a member's tags, sets and removes its
// custom fields, and answers the member.
func (h *handler) patchMember(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AddTags      []string          `json:"add_tags"`
		RemoveTags   []string          `json:"remove_tags"`
		SetFields    map[string]string `json:"set_fields"`
		RemoveFields []string          `json:"remove_fields"`
	}
	ws, ok := h.decodeForWorkspace(w, r, 64<<10, &req, accessWork)
	if !ok {
		return
	}
	id := r.PathValue("id")
	tags := len(req.AddTags) > 0 || len(req.RemoveTags) > 0
	fields := len(req.SetFields) > 0 || len(req.RemoveFields) > 0
	if !tags && !fields {
		h.fail(w, r, fmt.Errorf("%w: nothing to change: give add_tags, remove_tags, set_fields or remove_fields", store.ErrInvalid))
		return
	}
	if fields {
		if _, err := h.store.SetMemberFields(r.Context(), ws.ID, id, req.SetFields, req.RemoveFields, actor(r), time.Now()); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if tags {
		if _, err := h.store.SetMemberTags(r.Context(), ws.ID, id, req.AddTags, req.RemoveTags, actor(r)); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.respondMember(w, r, ws.ID, id)
}

// respondMember answers a member as Member reads it.
func (h *handler) respondMember(w http.ResponseWriter, r *http.Request, workspaceID int64, id string) {
	m, err := h.store.Member(r.Context(), workspaceID, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	m.Identities, m.Tags = nonNil(m.Identities), nonNil(m.Tags)
	h.respond(w, r, m)
}

// mergeMember merges the member the body names (from) into the path's,
// and answers the survivor.
func (h *handler) mergeMember(w http.ResponseWriter, r *http.Request) {
	var req struct {
		From string `json:"from"`
	}
	ws, ok := h.decodeForWorkspace(w, r, 4<<10, &req, accessWork)
	if !ok {
		return
	}
	if req.From == "" {
		h.fail(w, r, fmt.Errorf("%w: from: give the id of the member to merge into this one", store.ErrInvalid))
		return
	}
	if _, err := h.store.MergeMembers(r.Context(), ws.ID, r.PathValue("id"), req.From, actor(r), time.Now()); err != nil {
		h.fail(w, r, unprocessableIfInvalid(err))
		return
	}
	h.respondMember(w, r, ws.ID, r.PathValue("id"))
}

// unmergeMember undoes the merge of the path's member (merged away) and
// answers it as it is back.
func (h *handler) unmergeMember(w http.ResponseWriter, r *http.Request) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessWork)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.store.UnmergeMember(r.Context(), ws.ID, r.PathValue("id"), actor(r), time.Now()); err != nil {
		h.fail(w, r, unprocessableIfInvalid(err))
		return
	}
	h.respondMember(w, r, ws.ID, r.PathValue("id"))
}

type viewsResponse struct {
	Views []model.SavedView `json:"views"`
}

// listViews answers the caller's saved inbox views, by name.
func (h *handler) listViews(w http.ResponseWriter, r *http.Request) {
	views, err := h.store.SavedViews(r.Context(), principalOf(r.Context()).user.ID)
	h.respondOr(w, r, viewsResponse{Views: views}, err)
}

// saveView saves an inbox view of the caller; under a name they already
// use, it replaces that view's query.
func (h *handler) saveView(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name  string `json:"name"`
		Query string `json:"query"`
	}
	if err := decodeBody(w, r, 8<<10, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	v, err := h.store.SaveView(r.Context(), principalOf(r.Context()).user.ID, req.Name, req.Query)
	if err != nil {
		h.fail(w, r, unprocessableIfInvalid(err))
		return
	}
	h.respondStatus(w, r, http.StatusCreated, v)
}

// deleteView deletes one of the caller's saved views.
func (h *handler) deleteView(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "saved view")
	if err == nil {
		err = h.store.DeleteSavedView(r.Context(), principalOf(r.Context()).user.ID, id)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// putMyLanguage sets the language of the caller's screens: "en", "fr",
// or "" to follow the browser. It answers the caller.
func (h *handler) putMyLanguage(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Language *string `json:"language"`
	}
	if err := decodeBody(w, r, 1<<10, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if req.Language == nil {
		h.fail(w, r, fmt.Errorf(`%w: language: give "en", "fr", or "" to follow the browser`, store.ErrInvalid))
		return
	}
	me := principalOf(r.Context()).user
	if err := h.store.SetUILanguage(r.Context(), me.ID, *req.Language, me.Login); err != nil {
		h.fail(w, r, unprocessableIfInvalid(err))
		return
	}
	u, err := h.store.UserByID(r.Context(), me.ID)
	h.respondOr(w, r, u, err)
}
