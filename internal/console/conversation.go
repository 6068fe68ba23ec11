package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"palabre/internal/model"
	"palabre/internal/store"
)

// conversationData fills conversation.html.
type conversationData struct {
	Conv      model.Conversation
	Workspace model.Workspace
	Role      string
	// CanWork: the viewer acts on the conversation (status, assignment,
	// replies); CanNote: reads and writes internal notes; Manage: assigns
	// anyone.
	CanWork, CanNote, Manage bool
	Messages                 []store.StoredMessage
	Notes                    []model.Note
	History                  []model.Event
	Canned                   []model.CannedReply
	Team                     []model.User // who a manager may assign it to
	SLA                      slaView
	// BasedOn is the newest message the viewer has seen: a reply written
	// on it is refused (409) when newer ones came meanwhile.
	BasedOn   int64
	InReplyTo string // the message a reply answers: the latest from a customer
	Author    string // who the conversation is with
	MemberID  string
	Draft     string
	Stale     []store.StoredMessage // the collision guard's newer messages
	// Outbox tells, by message id, how each reply written in palabre
	// went out to its platform.
	Outbox map[int64]*store.OutboxEntry
	// Moderations tells, by message id, how the moderation last asked of
	// a customer's message went out to its platform.
	Moderations map[int64]*store.Moderation
	Problem     string
	Back        string
}

// conversationFor reads a conversation the viewer may open, with their
// role in its workspace: an expert opens only those they were asked into;
// anything else is not found.
func (c *Console) conversationFor(r *http.Request, v *viewer) (model.Conversation, model.Workspace, string, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return model.Conversation{}, model.Workspace{}, "", fmt.Errorf("conversation %q: %w", r.PathValue("id"), store.ErrNotFound)
	}
	conv, err := c.store.Conversation(r.Context(), id)
	if err != nil {
		return conv, model.Workspace{}, "", err
	}
	role := v.Roles[conv.WorkspaceID]
	switch role {
	case model.RoleOwner, model.RoleManager, model.RoleCM, model.RoleClient:
	case model.RoleExpert:
		ok, err := c.store.IsParticipant(r.Context(), conv.ID, v.User.ID)
		if err != nil {
			return conv, model.Workspace{}, "", err
		}
		if !ok {
			return conv, model.Workspace{}, "", fmt.Errorf("conversation %d: %w", id, store.ErrNotFound)
		}
	default:
		return conv, model.Workspace{}, "", fmt.Errorf("conversation %d: %w", id, store.ErrNotFound)
	}
	ws, err := c.store.Workspace(r.Context(), conv.WorkspaceID)
	return conv, ws, role, err
}

// conversation answers a conversation's page.
func (c *Console) conversation(w http.ResponseWriter, r *http.Request, v *viewer) error {
	d, err := c.conversationData(r, v)
	if err != nil {
		return err
	}
	if part := r.URL.Query().Get("part"); part == "thread" || part == "side" || part == "notes" {
		return c.renderPart(w, r, v, "conversation.html", part, d)
	}
	c.render(w, r, v, http.StatusOK, "conversation.html", &layoutData{Title: subjectOf(d), Nav: "inbox"}, d)
	return nil
}

func subjectOf(d *conversationData) string {
	if d.Conv.Subject != "" {
		return d.Conv.Subject
	}
	return d.Author
}

// conversationData reads everything a conversation's page shows.
func (c *Console) conversationData(r *http.Request, v *viewer) (*conversationData, error) {
	ctx := r.Context()
	conv, ws, role, err := c.conversationFor(r, v)
	if err != nil {
		return nil, err
	}
	d := &conversationData{Conv: conv, Workspace: ws, Role: role, SLA: slaOf(v, conv),
		CanWork: v.works(ws.ID), Manage: v.manages(ws.ID),
		CanNote: v.works(ws.ID) || role == model.RoleExpert,
		Back:    localPath(r.URL.Query().Get("back"), "/inbox")}
	if d.Messages, err = c.store.ConversationMessages(ctx, conv.ID); err != nil {
		return nil, err
	}
	for _, m := range d.Messages {
		d.BasedOn = max(d.BasedOn, m.ID)
		if !m.AuthorIsStaff {
			d.InReplyTo, d.Author, d.MemberID = m.ExternalID, m.AuthorName, m.MemberID
		}
	}
	if d.Author == "" && len(d.Messages) > 0 {
		d.Author, d.MemberID = d.Messages[0].AuthorName, d.Messages[0].MemberID
	}
	if d.CanWork {
		entries, err := c.store.ConversationOutbox(ctx, ws.ID, conv.ID)
		if err != nil {
			return nil, err
		}
		d.Outbox = make(map[int64]*store.OutboxEntry, len(entries))
		for i, e := range entries {
			d.Outbox[e.MessageID] = &entries[i]
		}
		mods, err := c.store.ConversationModerations(ctx, ws.ID, conv.ID)
		if err != nil {
			return nil, err
		}
		d.Moderations = make(map[int64]*store.Moderation, len(mods))
		for i, m := range mods {
			d.Moderations[m.MessageID] = &mods[i]
		}
	}
	if d.CanNote {
		if d.Notes, err = c.store.Notes(ctx, ws.ID, conv.ID); err != nil {
			return nil, err
		}
	}
	events, err := c.store.ConversationEvents(ctx, ws.ID, conv.ID, 0, 200)
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		if strings.HasPrefix(e.Action, "note.") && !d.CanNote {
			continue // clients never see notes, not even that there were some
		}
		if e.RecipientID != 0 && e.RecipientID != v.User.ID {
			continue
		}
		d.History = append(d.History, e)
	}
	slices.Reverse(d.History)
	if d.CanWork {
		lang := ""
		if n := len(d.Messages); n > 0 {
			lang = d.Messages[n-1].Lang
		}
		if d.Canned, err = c.store.CannedReplies(ctx, ws.ID, lang); err != nil {
			return nil, err
		}
		if len(d.Canned) == 0 && lang != "" {
			if d.Canned, err = c.store.CannedReplies(ctx, ws.ID, ""); err != nil {
				return nil, err
			}
		}
	}
	if d.Manage {
		if d.Team, err = c.team(r, ws.ID); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// team lists the users who take conversations in a workspace (CMs,
// managers, owners), by login.
func (c *Console) team(r *http.Request, wsID int64) ([]model.User, error) {
	ms, err := c.store.WorkspaceMembers(r.Context(), wsID)
	if err != nil {
		return nil, err
	}
	users, err := c.store.Users(r.Context())
	if err != nil {
		return nil, err
	}
	byID := map[int64]model.User{}
	for _, u := range users {
		byID[u.ID] = u
	}
	var out []model.User
	for _, m := range ms {
		if u, ok := byID[m.UserID]; ok && !u.Disabled &&
			(m.Role == model.RoleCM || m.Role == model.RoleManager || m.Role == model.RoleOwner) {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b model.User) int { return strings.Compare(a.Login, b.Login) })
	return out, nil
}

// conversationAction hands one of the conversation page's forms to the
// API.
func (c *Console) conversationAction(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("conversation %q: %w", r.PathValue("id"), store.ErrNotFound)
	}
	f := r.PostForm
	base := "/api/v1/conversations/" + strconv.FormatInt(id, 10)
	back := "/conversations/" + strconv.FormatInt(id, 10)
	var (
		method, path = http.MethodPatch, base
		body         any
		done         string
	)
	switch r.PathValue("action") {
	case "status":
		s := f.Get("status")
		body, done = map[string]any{"status": s}, v.P.T("Status changed to %s.", v.P.T(s))
	case "assign":
		a := strings.TrimSpace(f.Get("assignee"))
		body = map[string]any{"assignee": a}
		done = v.P.T("Assigned to %s.", a)
		if a == "" {
			done = v.P.T("Unassigned.")
		}
	case "priority":
		p, err := strconv.Atoi(f.Get("priority"))
		if err != nil {
			p = -1 // the API says what is allowed
		}
		body, done = map[string]any{"priority": p}, v.P.T("Priority changed.")
	case "tags":
		body, done = map[string]any{"add_tags": splitList(f.Get("add")), "remove_tags": splitList(f.Get("remove"))}, v.P.T("Tags changed.")
	case "snooze":
		until, err := snoozeUntil(f.Get("for"), v.Now, v.Loc)
		if err != nil {
			setFlash(w, flash{Text: err.Error(), Error: true})
			http.Redirect(w, r, back, http.StatusSeeOther)
			return nil
		}
		body, done = map[string]any{"snooze_until": until}, v.P.T("Snoozed until %s.", v.P.DateTime(until, v.Loc))
	case "unsnooze":
		body, done = map[string]any{"unsnooze": true}, v.P.T("Snooze ended.")
	case "note":
		method, path = http.MethodPost, base+"/notes"
		body, done = map[string]any{"body": f.Get("body")}, v.P.T("Note added.")
		back += "#notes"
	case "reply":
		return c.reply(w, r, v, id)
	case "retry":
		what, field, sent := "outbox", "outbox", v.P.T("The reply will be sent again.")
		if f.Has("moderation") {
			what, field, sent = "moderations", "moderation", v.P.T("The moderation will be sent again.")
		}
		entry, err := strconv.ParseInt(f.Get(field), 10, 64)
		if err != nil || entry <= 0 {
			return fmt.Errorf("%s %q: %w", field, f.Get(field), store.ErrNotFound)
		}
		_, ws, _, err := c.conversationFor(r, v)
		if err != nil {
			return err
		}
		method, path = http.MethodPost, apiWorkspacePath(ws, what+"/"+strconv.FormatInt(entry, 10)+"/retry")
		body, done = nil, sent
	case "moderate":
		return c.moderate(w, r, v, id)
	default:
		return fmt.Errorf("action %q: %w", r.PathValue("action"), store.ErrNotFound)
	}
	return c.relay(w, r, v, method, path, body, done, back)
}

// moderate hands a moderation button of a customer's message to the API,
// and says whether the platform will be told.
func (c *Console) moderate(w http.ResponseWriter, r *http.Request, v *viewer, convID int64) error {
	f := r.PostForm
	msg, err := strconv.ParseInt(f.Get("message"), 10, 64)
	if err != nil || msg <= 0 {
		return fmt.Errorf("message %q: %w", f.Get("message"), store.ErrNotFound)
	}
	_, ws, _, err := c.conversationFor(r, v)
	if err != nil {
		return err
	}
	a, err := c.callAPI(r, v, http.MethodPost, apiWorkspacePath(ws, "messages/"+strconv.FormatInt(msg, 10)+"/moderation"),
		map[string]string{"action": f.Get("action")})
	if err != nil {
		return err
	}
	var m store.Moderation
	done := ""
	if a.OK() && json.Unmarshal(a.Body, &m) == nil {
		done = moderationDone(v, m)
	}
	c.finish(w, r, v, a, done, "/conversations/"+strconv.FormatInt(convID, 10)+"#m"+strconv.FormatInt(msg, 10))
	return nil
}

// moderationDone says what a moderation action did, here and on the
// platform.
func moderationDone(v *viewer, m store.Moderation) string {
	var did string
	switch m.Action {
	case model.ModApprove:
		did = v.P.T("Published.")
	case model.ModUnapprove:
		did = v.P.T("Held for moderation.")
	case model.ModSpam:
		did = v.P.T("Marked as spam.")
	default:
		did = v.P.T("Moved to the trash.")
	}
	if m.Status == store.ModerationLocal {
		return did + " " + v.P.T("In palabre only: no live source of this channel can do it on its platform.")
	}
	return did + " " + v.P.T("The platform will be told.")
}

// reply sends the composer's reply. When newer messages arrived since the
// page was read, the API refuses it (409) with them: the page shows them
// above the kept draft, and the CM sends again, on purpose.
func (c *Console) reply(w http.ResponseWriter, r *http.Request, v *viewer, id int64) error {
	f := r.PostForm
	based, _ := strconv.ParseInt(f.Get("based_on"), 10, 64)
	canned, _ := strconv.ParseInt(f.Get("canned_reply_id"), 10, 64)
	req := map[string]any{"body": f.Get("body"), "in_reply_to": f.Get("in_reply_to"), "based_on": based,
		"confirm": f.Get("confirm") != "", "client_id": f.Get("client_id"), "status": f.Get("then"),
		"canned_reply_id": canned}
	a, err := c.callAPI(r, v, http.MethodPost, "/api/v1/conversations/"+strconv.FormatInt(id, 10)+"/replies", req)
	if err != nil {
		return err
	}
	if a.Status != http.StatusConflict || wantsJSON(r) {
		c.finish(w, r, v, a, v.P.T("Reply sent."), "/conversations/"+strconv.FormatInt(id, 10))
		return nil
	}
	var stale struct {
		Messages []store.StoredMessage `json:"messages"`
	}
	if err := json.Unmarshal(a.Body, &stale); err != nil {
		return fmt.Errorf("read the API's collision answer: %w", err)
	}
	d, err := c.conversationData(r, v)
	if err != nil {
		return err
	}
	d.Draft, d.Stale = f.Get("body"), stale.Messages
	d.BasedOn = based // sending again must say "I saw them": confirm does
	c.render(w, r, v, http.StatusConflict, "conversation.html",
		&layoutData{Title: subjectOf(d), Nav: "inbox",
			Flash: flash{Text: v.P.T("New messages arrived while you were writing: read them, then send again."), Error: true}}, d)
	return nil
}

// correct hands a one-click correction of a message's analysis to the API.
func (c *Console) correct(w http.ResponseWriter, r *http.Request, v *viewer) error {
	f := r.PostForm
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("message %q: %w", r.PathValue("id"), store.ErrNotFound)
	}
	// The workspace comes from the form: a slug, never a path of its own
	// (which could steer the call to another route of the API).
	slug := f.Get("ws")
	if store.ValidateSlug(slug) != nil {
		return fmt.Errorf("workspace %q: %w", slug, store.ErrNotFound)
	}
	path := "/api/v1/workspaces/" + url.PathEscape(slug) + "/messages/" + strconv.FormatInt(id, 10) + "/corrections"
	a, err := c.callAPI(r, v, http.MethodPost, path, map[string]string{"field": f.Get("field"), "value": f.Get("value")})
	if err != nil {
		return err
	}
	back := "/inbox"
	if conv := f.Get("conversation"); conv != "" {
		back = "/conversations/" + conv + "#m" + strconv.FormatInt(id, 10)
	}
	c.finish(w, r, v, a, v.P.T("Correction saved: the analysis learns from it."), back)
	return nil
}

// splitList splits "a, b ,c" into its non-empty items.
func splitList(s string) []string {
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// snoozeUntil reads the snooze menu's choice: a duration such as "1h" or
// "3h", "tomorrow" (9:00 next day, the CM's time), "monday" (9:00 next
// Monday), or a date-time from the picker ("2026-11-26T14:00").
func snoozeUntil(choice string, now time.Time, loc *time.Location) (time.Time, error) {
	local := now.In(loc)
	nine := func(days int) time.Time {
		return time.Date(local.Year(), local.Month(), local.Day()+days, 9, 0, 0, 0, loc)
	}
	switch choice {
	case "tomorrow":
		return nine(1), nil
	case "monday":
		days := (8 - int(local.Weekday())) % 7
		if days == 0 {
			days = 7
		}
		return nine(days), nil
	}
	if d, err := time.ParseDuration(choice); err == nil && d > 0 && d <= 90*24*time.Hour {
		return now.Add(d), nil
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04", choice, loc); err == nil {
		if !t.After(now) {
			return time.Time{}, fmt.Errorf("snooze until %s: that time has passed", choice)
		}
		return t, nil
	}
	return time.Time{}, errors.New("snooze: choose a time")
}
