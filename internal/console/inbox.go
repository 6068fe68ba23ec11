package console

import (
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

// Inbox views: each a question a CM asks of their queue.
const (
	viewOpen       = "open"       // every open conversation
	viewMine       = "mine"       // open and assigned to me
	viewUnassigned = "unassigned" // open and nobody holds it
	viewMentions   = "mentions"   // someone @mentioned me in a note
	viewNeeds      = "needs"      // a customer waits for an answer
	viewDue        = "due"        // by SLA due time, soonest first
	viewAsked      = "asked"      // an expert's: the conversations I was asked into
	viewAll        = "all"        // every conversation, whatever its status
)

// inboxQuery is the inbox's state, all in its address so that it can be
// bookmarked, shared and saved as a view.
type inboxQuery struct {
	View, Workspace, Status, Tag, Topic, Sentiment, Lang, Channel, Intent, Priority, Q, Cursor string
}

// inboxFields are the query parameters in their canonical order.
var inboxFields = []string{"view", "ws", "status", "tag", "topic", "sentiment", "lang", "channel", "intent", "priority", "q", "cursor"}

func (q *inboxQuery) field(name string) *string {
	switch name {
	case "view":
		return &q.View
	case "ws":
		return &q.Workspace
	case "status":
		return &q.Status
	case "tag":
		return &q.Tag
	case "topic":
		return &q.Topic
	case "sentiment":
		return &q.Sentiment
	case "lang":
		return &q.Lang
	case "channel":
		return &q.Channel
	case "intent":
		return &q.Intent
	case "priority":
		return &q.Priority
	case "q":
		return &q.Q
	case "cursor":
		return &q.Cursor
	}
	return nil
}

func parseInboxQuery(vals url.Values) inboxQuery {
	var q inboxQuery
	for _, f := range inboxFields {
		*q.field(f) = strings.TrimSpace(vals.Get(f))
	}
	return q
}

// Encode is the query string of q, without the cursor.
func (q inboxQuery) Encode() string {
	vals := url.Values{}
	for _, f := range inboxFields {
		if v := *q.field(f); v != "" && f != "cursor" {
			vals.Set(f, v)
		}
	}
	return vals.Encode()
}

// URL is the inbox address of q.
func (q inboxQuery) URL() string {
	if e := q.Encode(); e != "" {
		return "/inbox?" + e
	}
	return "/inbox"
}

// pageURL is the address of the page of q that cursor starts.
func (q inboxQuery) pageURL(cursor string) string {
	e := q.Encode()
	if e != "" {
		e += "&"
	}
	return "/inbox?" + e + "cursor=" + url.QueryEscape(cursor)
}

// With is the address of q with one parameter changed (and the page back
// to the first); an empty value removes the parameter.
func (q inboxQuery) With(name, value string) string {
	if p := q.field(name); p != nil {
		*p = value
	}
	q.Cursor = ""
	return q.URL()
}

// Filtered reports whether any filter beyond the view is set.
func (q inboxQuery) Filtered() bool {
	return q.Workspace != "" || q.Status != "" || q.Tag != "" || q.Topic != "" || q.Sentiment != "" ||
		q.Lang != "" || q.Channel != "" || q.Intent != "" || q.Priority != "" || q.Q != ""
}

// viewLink is one view in the inbox's side bar.
type viewLink struct {
	Key, Label, URL string
	Count           int
	Counted, Active bool
}

// inboxRow is one row of the inbox, with what the page shows of it.
type inboxRow struct {
	store.InboxRow
	Colour  string
	SLA     slaView
	CanWork bool
}

// slaView is a conversation's response clock as the page shows it.
type slaView struct {
	Due   *time.Time
	Left  string // "45 min", "-2 h 05"
	State string // "", "ok", "soon", "breached"
}

func slaOf(v *viewer, c model.Conversation) slaView {
	due := c.SLA.ResponseDueAt
	if due == nil || c.AwaitingSince == nil {
		return slaView{}
	}
	left := due.Sub(v.Now)
	s := slaView{Due: due, Left: v.P.Duration(left.Truncate(time.Minute)), State: "ok"}
	switch {
	case left < 0 || c.SLA.Response == "breached":
		s.State = "breached"
	case left < time.Hour || c.SLA.Response == "warning":
		s.State = "soon"
	}
	return s
}

// inboxData fills inbox.html.
type inboxData struct {
	Q          inboxQuery
	Rows       []inboxRow
	Next       string
	Views      []viewLink
	Saved      []model.SavedView
	Workspaces []model.Workspace
	Channels   []string
	Topics     []string
	Members    []memberHit
	Problem    string
	Multi      bool // rows come from several workspaces: show which
	// Indexing: what was stored before the search index is still being
	// indexed, so a search may miss it.
	Indexing bool
}

// memberHit is a member found by the inbox's search.
type memberHit struct {
	model.Member
	Workspace string
}

// inbox answers the unified inbox.
func (c *Console) inbox(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ctx := r.Context()
	q := parseInboxQuery(r.URL.Query())
	if q.View == "" {
		q.View = viewOpen
		if len(v.Workspaces) == 0 && len(v.Asked) > 0 {
			q.View = viewAsked
		}
	}
	f, scope, problem := c.inboxFilter(v, q)
	d := inboxData{Q: q, Problem: problem, Workspaces: scope, Multi: len(scope) > 1}
	if problem == "" && len(f.WorkspaceIDs) > 0 {
		page, err := c.store.Inbox(ctx, f)
		if errors.Is(err, store.ErrInvalid) {
			d.Problem = err.Error()
		} else if err != nil {
			return err
		}
		for _, row := range page.Rows {
			d.Rows = append(d.Rows, inboxRow{InboxRow: row, SLA: slaOf(v, row.Conversation), CanWork: v.works(row.WorkspaceID)})
		}
		if page.Next != "" {
			d.Next = q.pageURL(page.Next)
		}
	}
	// The script refreshes the rows alone on every burst of live events:
	// the side bar, the filters' choices and the members found are the
	// whole page's.
	if r.URL.Query().Get("part") == "rows" {
		return c.renderPart(w, r, v, "inbox.html", "rows", d)
	}
	if problem == "" && q.Q != "" && q.Cursor == "" && len(f.WorkspaceIDs) > 0 {
		var err error
		if d.Indexing, err = c.store.SearchIndexPending(ctx); err != nil {
			return err
		}
		ms, err := c.store.SearchMembers(ctx, f.WorkspaceIDs, q.Q, 5)
		if err != nil && !errors.Is(err, store.ErrInvalid) {
			return err
		}
		slugs := map[int64]string{}
		for _, ws := range scope {
			slugs[ws.ID] = ws.Slug
		}
		for _, m := range ms {
			d.Members = append(d.Members, memberHit{Member: m, Workspace: slugs[m.WorkspaceID]})
		}
	}
	var counts store.InboxCounts
	if ids := workspaceIDs(v.Workspaces); len(ids) > 0 {
		var err error
		if counts, err = c.store.InboxCounts(ctx, ids, v.User.ID, v.Now); err != nil {
			return err
		}
	}
	d.Views = c.views(v, q, counts)
	var err error
	if d.Saved, err = c.store.SavedViews(ctx, v.User.ID); err != nil {
		return err
	}
	if d.Channels, d.Topics, err = c.vocabulary(r, scope); err != nil {
		return err
	}
	title := v.P.T("Inbox")
	for _, vl := range d.Views {
		if vl.Active {
			title = vl.Label
		}
	}
	c.render(w, r, v, http.StatusOK, "inbox.html", &layoutData{Title: title, Nav: "inbox", Counts: counts, Search: q.Q}, d)
	return nil
}

// inboxFilter turns the inbox's address into the store's filter, over the
// workspaces the view covers. A bad value is a problem to show, not an
// error: the page still renders, with the filters to fix it.
func (c *Console) inboxFilter(v *viewer, q inboxQuery) (store.InboxFilter, []model.Workspace, string) {
	f := store.InboxFilter{Tag: q.Tag, Topic: q.Topic, Sentiment: q.Sentiment, Lang: q.Lang,
		Channel: q.Channel, Intent: q.Intent, Query: q.Q, Cursor: q.Cursor, Status: q.Status}
	scope := v.Workspaces
	switch q.View {
	case viewOpen:
		f.Open = q.Status == ""
	case viewMine:
		f.AssigneeID, f.Open = v.User.ID, q.Status == ""
	case viewUnassigned:
		f.Unassigned, f.Open = true, q.Status == ""
	case viewMentions:
		f.MentionsOf = v.User.ID
	case viewNeeds:
		f.NeedsResponse = true
	case viewDue:
		f.ByDue, f.Open = true, q.Status == ""
	case viewAsked:
		scope, f.Participant = v.Asked, v.User.ID
	case viewAll:
	default:
		return f, scope, v.P.T("Unknown view %q.", q.View)
	}
	if q.Workspace != "" {
		i := slices.IndexFunc(scope, func(ws model.Workspace) bool { return ws.Slug == q.Workspace })
		if i < 0 {
			return f, scope, v.P.T("No workspace %q among yours.", q.Workspace)
		}
		scope = scope[i : i+1]
	}
	if q.Priority != "" {
		p, err := strconv.Atoi(q.Priority)
		if err != nil || !model.ValidPriority(p) {
			return f, scope, v.P.T("Priority %q: must be a number from 0 to 3.", q.Priority)
		}
		f.Priority = &p
	}
	f.WorkspaceIDs = workspaceIDs(scope)
	return f, scope, ""
}

// views are the side bar's views, with the viewer's counts.
func (c *Console) views(v *viewer, q inboxQuery, n store.InboxCounts) []viewLink {
	var out []viewLink
	add := func(key, label string, count int, counted bool) {
		vq := q
		vq.View = key
		out = append(out, viewLink{Key: key, Label: label, URL: vq.With("cursor", ""), Count: count, Counted: counted, Active: q.View == key})
	}
	if len(v.Workspaces) > 0 {
		add(viewOpen, v.P.T("All open"), 0, false)
		add(viewMine, v.P.T("Mine"), n.Mine, true)
		add(viewUnassigned, v.P.T("Unassigned"), n.Unassigned, true)
		add(viewMentions, v.P.T("Mentions"), n.Mentions, true)
		add(viewNeeds, v.P.T("Needs response"), n.NeedsResponse, true)
		add(viewDue, v.P.T("By SLA due"), n.DueSoon, true)
		add(viewAll, v.P.T("All conversations"), 0, false)
	}
	if len(v.Asked) > 0 {
		add(viewAsked, v.P.T("Asked into"), 0, false)
	}
	return out
}

// vocabulary lists the channels and topics of the workspaces in scope,
// for the filters' choices.
func (c *Console) vocabulary(r *http.Request, scope []model.Workspace) (channels, topics []string, err error) {
	for _, ws := range scope {
		chs, err := c.store.Channels(r.Context(), ws.ID)
		if err != nil {
			return nil, nil, fmt.Errorf("workspace %s channels: %w", ws.Slug, err)
		}
		for _, ch := range chs {
			channels = append(channels, ch.Name)
		}
		ts, err := c.store.Topics(r.Context(), ws.ID)
		if err != nil {
			return nil, nil, fmt.Errorf("workspace %s topics: %w", ws.Slug, err)
		}
		for _, t := range ts {
			topics = append(topics, t.Name)
		}
	}
	slices.Sort(channels)
	slices.Sort(topics)
	return slices.Compact(channels), slices.Compact(topics), nil
}

// saveView saves the inbox's current address under a name.
func (c *Console) saveView(w http.ResponseWriter, r *http.Request, v *viewer) error {
	name := strings.TrimSpace(r.PostForm.Get("name"))
	query := parseInboxQuery(mustParseQuery(r.PostForm.Get("query"))).Encode()
	sv, err := c.store.SaveView(r.Context(), v.User.ID, name, query)
	if errors.Is(err, store.ErrInvalid) {
		setFlash(w, flash{Text: err.Error(), Error: true})
		http.Redirect(w, r, "/inbox?"+query, http.StatusSeeOther)
		return nil
	}
	if err != nil {
		return err
	}
	setFlash(w, flash{Text: v.P.T("View %q saved.", sv.Name)})
	http.Redirect(w, r, "/inbox?"+sv.Query, http.StatusSeeOther)
	return nil
}

// deleteView forgets one of the viewer's saved views.
func (c *Console) deleteView(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return fmt.Errorf("view %q: %w", r.PathValue("id"), store.ErrNotFound)
	}
	if err := c.store.DeleteSavedView(r.Context(), v.User.ID, id); err != nil {
		return err
	}
	setFlash(w, flash{Text: v.P.T("View deleted.")})
	http.Redirect(w, r, "/inbox", http.StatusSeeOther)
	return nil
}

func mustParseQuery(s string) url.Values {
	vals, err := url.ParseQuery(strings.TrimPrefix(s, "?"))
	if err != nil {
		return url.Values{}
	}
	return vals
}
