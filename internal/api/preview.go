package api

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"palabre/internal/model"
	"palabre/internal/route"
	"palabre/internal/store"
)

// Bounds of a routing preview.
const (
	defaultPreviewLimit = 50
	maxPreviewLimit     = 200
)

// previewRequest is the body of a routing preview: the rules to try (the
// workspace's own when absent) and how many recent conversations to try
// them on.
type previewRequest struct {
	Rules []route.Rule `json:"rules"`
	Limit int          `json:"limit"`
}

// previewRow is what routing would decide for one conversation.
type previewRow struct {
	ConversationID int64    `json:"conversation_id"`
	Subject        string   `json:"subject"`
	Channel        string   `json:"channel"`
	Status         string   `json:"status"`
	Assignee       string   `json:"assignee"` // who holds it now; "" for nobody
	WouldAssign    string   `json:"would_assign"`
	Rule           string   `json:"rule"` // the rule that assigned; "" when scoring (or nobody) decided
	Tags           []string `json:"tags"`
	Priority       int      `json:"priority"`
	Reason         string   `json:"reason"`
}

type previewResponse struct {
	Conversations []previewRow `json:"conversations"`
}

// previewRouting answers what routing would decide, with the rules given,
// for the workspace's most recently active conversations — whoever holds
// them now — and changes nothing. Each is decided as if it were the next
// to arrive, against the CMs as they are now.
func (h *handler) previewRouting(w http.ResponseWriter, r *http.Request) {
	var req previewRequest
	ws, ok := h.decodeForWorkspace(w, r, 1<<20, &req, accessManage)
	if !ok {
		return
	}
	switch {
	case req.Limit == 0:
		req.Limit = defaultPreviewLimit
	case req.Limit < 0 || req.Limit > maxPreviewLimit:
		h.fail(w, r, fmt.Errorf("%w: limit %d: must be between 1 and %d", store.ErrInvalid, req.Limit, maxPreviewLimit))
		return
	}
	ctx := r.Context()
	if req.Rules == nil {
		var err error
		if req.Rules, err = h.store.RoutingRules(ctx, ws.ID); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if err := route.ValidateRules(req.Rules); err != nil {
		h.fail(w, r, unprocessable{err})
		return
	}
	cands, err := h.store.RoutingCandidates(ctx, ws.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	page, err := h.store.Conversations(ctx, ws.ID, store.ConversationFilter{Limit: req.Limit})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := time.Now()
	resp := previewResponse{Conversations: make([]previewRow, 0, len(page.Conversations))}
	for _, c := range page.Conversations {
		msgs, err := h.store.ConversationMessages(ctx, c.ID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		rc := routeConversation(c, msgs)
		d := route.Decide(now, rc, req.Rules, cands)
		row := previewRow{ConversationID: c.ID, Subject: c.Subject, Channel: c.Channel, Status: c.Status,
			Assignee: c.Assignee, Tags: d.Tags, Priority: d.Priority, Reason: d.Reason}
		if d.Assignee != nil {
			row.WouldAssign = d.Assignee.Login
			row.Rule = assigningRule(d.Assignee.Login, rc, req.Rules)
		}
		resp.Conversations = append(resp.Conversations, row)
	}
	h.respond(w, r, resp)
}

// routeConversation is what routing knows of a stored conversation: the
// analysis of its root message (of its latest when the root is not
// stored), and the topics of all its messages.
func routeConversation(c model.Conversation, msgs []store.StoredMessage) route.Conversation {
	rc := route.Conversation{Channel: c.Channel, Priority: c.Priority, Topics: []string{}}
	for _, m := range msgs {
		rc.Lang, rc.Intent, rc.Sentiment = m.Lang, m.Intent, m.Sentiment
		rc.Spam = m.Spam != nil && *m.Spam
		rc.Author = authorIDs(m.AuthorHandle, m.AuthorEmail)
		if m.ExternalID == c.RootExternalID {
			break
		}
	}
	for _, m := range msgs {
		for _, t := range m.Topics {
			if !slices.Contains(rc.Topics, t) {
				rc.Topics = append(rc.Topics, t)
			}
		}
	}
	return rc
}

// authorIDs is route.Conversation's Author: handle and e-mail, either
// possibly empty, separated by a space.
func authorIDs(handle, email string) string {
	if handle != "" && email != "" {
		return handle + " " + email
	}
	return handle + email
}

// assigningRule names the first rule that applies to c and assigns to
// login, which is the rule that decided when Decide assigned to login by
// a rule; "" when scoring decided.
func assigningRule(login string, c route.Conversation, rules []route.Rule) string {
	for _, r := range rules {
		if !r.When.Matches(c) {
			continue
		}
		if strings.EqualFold(r.Then.AssignTo, login) {
			return r.Name
		}
		if r.Then.Stop {
			break
		}
	}
	return ""
}
