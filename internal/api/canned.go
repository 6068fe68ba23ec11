package api

// Canned replies: a workspace's saved answers, and one rendered for a
// conversation.

import (
	"fmt"
	"net/http"
	"strconv"

	"palabre/internal/canned"
	"palabre/internal/model"
	"palabre/internal/store"
)

type cannedList struct {
	CannedReplies []model.CannedReply `json:"canned_replies"`
	// Variables are the names a canned reply may use.
	Variables []string `json:"variables"`
}

// listCanned answers a workspace's canned replies; ?language= keeps those
// in that language and those for any.
func (h *handler) listCanned(w http.ResponseWriter, r *http.Request) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessWork)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	lang := r.URL.Query().Get("language")
	if lang != "" && !model.ValidLanguage(lang) {
		h.fail(w, r, fmt.Errorf("%w: language %q: a lower-case ISO 639-1 code such as fr or en", store.ErrInvalid, lang))
		return
	}
	list, err := h.store.CannedReplies(r.Context(), ws.ID, lang)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, cannedList{CannedReplies: list, Variables: canned.Names()})
}

type cannedRequest struct {
	Name     string `json:"name"`
	Language string `json:"language"`
	Body     string `json:"body"`
}

// saveCanned creates (id 0) or replaces a canned reply; its variables must
// be known ones.
func (h *handler) saveCanned(w http.ResponseWriter, r *http.Request, id int64) {
	var req cannedRequest
	if err := decodeBody(w, r, int64(model.MaxReplyLen)+4<<10, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	ws, err := h.workspace(r, r.PathValue("slug"), accessWork)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := canned.Parse(req.Body); err != nil {
		h.fail(w, r, unprocessable{err})
		return
	}
	c, err := h.store.SaveCannedReply(r.Context(), ws.ID,
		model.CannedReply{ID: id, Name: req.Name, Language: req.Language, Body: req.Body}, actor(r))
	if err != nil {
		h.fail(w, r, unprocessableIfInvalid(err))
		return
	}
	status := http.StatusOK
	if id == 0 {
		status = http.StatusCreated
	}
	h.respondStatus(w, r, status, c)
}

func (h *handler) createCanned(w http.ResponseWriter, r *http.Request) { h.saveCanned(w, r, 0) }

func (h *handler) putCanned(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id", "canned reply")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.saveCanned(w, r, id)
}

// deleteCanned deletes a canned reply: managers and owners only.
func (h *handler) deleteCanned(w http.ResponseWriter, r *http.Request) {
	ws, id, err := h.workspaceItem(r, accessManage, "canned reply")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.store.DeleteCannedReply(r.Context(), ws.ID, id, actor(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// workspaceItem finds the workspace the path's slug names, checking that
// the caller may act there as need asks, and reads the path's id of one of
// its items (a what).
func (h *handler) workspaceItem(r *http.Request, need access, what string) (model.Workspace, int64, error) {
	id, err := pathID(r, "id", what)
	if err != nil {
		return model.Workspace{}, 0, err
	}
	ws, err := h.workspace(r, r.PathValue("slug"), need)
	return ws, id, err
}

// pathID reads the positive id named name from the path.
func pathID(r *http.Request, name, what string) (int64, error) {
	raw := r.PathValue(name)
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 {
		return 0, fmt.Errorf("%w: %s id %q: must be a positive whole number", store.ErrInvalid, what, raw)
	}
	return id, nil
}

type renderedCanned struct {
	CannedReply model.CannedReply `json:"canned_reply"`
	// Body is the canned reply with this conversation's values; send it
	// (edited or not) with canned_reply_id to count the use.
	Body   string        `json:"body"`
	Values canned.Values `json:"values"`
}

// renderCanned answers a canned reply filled in for a conversation: the
// member the reply goes to (the latest customer's message), the CM
// writing, the workspace, the subject and the channel.
func (h *handler) renderCanned(w http.ResponseWriter, r *http.Request) {
	cid, err := pathID(r, "cid", "canned reply")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	conv, ws, _, err := h.conversationFor(r, accessWork)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := h.store.CannedReply(r.Context(), ws.ID, cid)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	t, err := canned.Parse(c.Body)
	if err != nil { // saved before a variable was retired: say so
		h.fail(w, r, unprocessable{err})
		return
	}
	msgs, err := h.store.ConversationMessages(r.Context(), conv.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	me := principalOf(r.Context()).user
	cm := me.Name
	if cm == "" {
		cm = me.Login
	}
	v := canned.Values{
		canned.CMName: cm, canned.CMFirstName: canned.FirstName(cm),
		canned.WorkspaceName: ws.Name, canned.ConversationSubject: conv.Subject, canned.ChannelName: conv.Channel,
	}
	var latest *store.StoredMessage
	for i := range msgs {
		if !msgs[i].AuthorIsStaff && (latest == nil || msgs[i].CreatedAt.After(latest.CreatedAt)) {
			latest = &msgs[i]
		}
	}
	if latest != nil {
		v[canned.MemberName] = latest.AuthorName
		v[canned.MemberFirstName] = canned.FirstName(latest.AuthorName)
		v[canned.MemberHandle] = latest.AuthorHandle
	}
	h.respond(w, r, renderedCanned{CannedReply: c, Body: t.Render(v), Values: v})
}
