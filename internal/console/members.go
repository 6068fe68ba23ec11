package console

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"palabre/internal/metrics"
	"palabre/internal/model"
	"palabre/internal/store"
)

func (c *Console) registerMembers(mux Router) {
	mux.HandleFunc("GET /workspaces/{slug}/people/{id}", c.page(c.member))
	mux.HandleFunc("POST /workspaces/{slug}/people/{id}/{action}", c.page(c.memberAction))
}

// memberData fills member.html.
type memberData struct {
	Member    model.Member
	Workspace model.Workspace
	CanWork   bool
	ShowNotes bool
	// CanManage shows the personal data section; Erasure is the
	// workspace's erasure mode, the form's default.
	CanManage     bool
	Erasure       string
	Notes         []model.MemberNote
	Conversations []store.MemberConversation
	Sentiment     []store.SentimentPoint
	Merges        []model.MemberMerge
	Chart         []chartBar
	ChartWidth    int
	// The member 360.
	IdentityGroups []store.IdentityGroup
	Channels       []store.ChannelActivity
	Fields         []store.MemberField
	Engagement     metrics.MemberEngagement
	EngagementText string // the score, rounded to one decimal
	Suggestions    []suggestionView
}

// suggestionView is a merge suggestion as the member page shows it: the
// score as a percentage.
type suggestionView struct {
	store.MergeSuggestion
	Percent int
}

// chartBar is one month of the member's sentiment chart, in the chart's
// own units (the SVG is drawn by the template; no script, no style).
type chartBar struct {
	X, PosY, PosH, NeuY, NeuH, NegY, NegH int
	Label                                 string
	Point                                 store.SentimentPoint
}

// chartHeight is the height of the sentiment chart's bars area, in SVG units.
const chartHeight = 80

func sentimentChart(v *viewer, pts []store.SentimentPoint) []chartBar {
	peak := 1
	for _, p := range pts {
		peak = max(peak, p.Messages)
	}
	bars := make([]chartBar, len(pts))
	for i, p := range pts {
		scale := func(n int) int { return n * chartHeight / peak }
		neg, neu, pos := scale(p.Negative), scale(p.Neutral), scale(p.Positive)
		bars[i] = chartBar{X: i * 24, Point: p, Label: v.P.Date(p.Month, v.Loc),
			NegY: chartHeight - neg, NegH: neg,
			NeuY: chartHeight - neg - neu, NeuH: neu,
			PosY: chartHeight - neg - neu - pos, PosH: pos}
	}
	return bars
}

// memberWorkspace is the workspace of a member's page, when the viewer
// sees its members: owners, managers, CMs and clients do; experts do not.
func (c *Console) memberWorkspace(r *http.Request, v *viewer) (model.Workspace, error) {
	slug := r.PathValue("slug")
	i := slices.IndexFunc(v.Workspaces, func(ws model.Workspace) bool { return ws.Slug == slug })
	if i < 0 {
		return model.Workspace{}, fmt.Errorf("workspace %q: %w", slug, store.ErrNotFound)
	}
	return v.Workspaces[i], nil
}

// member answers a member's page: who this person is across channels.
func (c *Console) member(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ctx := r.Context()
	ws, err := c.memberWorkspace(r, v)
	if err != nil {
		return err
	}
	m, err := c.store.Member(ctx, ws.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if m.MergedInto != "" {
		http.Redirect(w, r, "/workspaces/"+ws.Slug+"/people/"+url.PathEscape(m.MergedInto), http.StatusSeeOther)
		return nil
	}
	d := memberData{Member: m, Workspace: ws, CanWork: v.works(ws.ID), ShowNotes: v.works(ws.ID), CanManage: v.manages(ws.ID)}
	if d.CanManage {
		set, err := c.store.PrivacySettings(ctx, ws.ID)
		if err != nil {
			return err
		}
		d.Erasure = set.Erasure
	}
	if d.ShowNotes {
		if d.Notes, err = c.store.MemberNotes(ctx, ws.ID, m.ID); err != nil {
			return err
		}
	}
	if d.Conversations, err = c.store.MemberConversations(ctx, ws.ID, m.ID, 50); err != nil {
		return err
	}
	if d.Sentiment, err = c.store.MemberSentiment(ctx, ws.ID, m.ID); err != nil {
		return err
	}
	if d.Merges, err = c.store.MemberMerges(ctx, ws.ID, m.ID); err != nil {
		return err
	}
	if err := c.member360(r, ws.ID, &d); err != nil {
		return err
	}
	d.Chart = sentimentChart(v, d.Sentiment)
	d.ChartWidth = max(24*len(d.Chart), 24)
	name := m.DisplayName
	if name == "" {
		name = m.ID
	}
	c.render(w, r, v, http.StatusOK, "member.html", &layoutData{Title: name, Nav: "inbox"}, d)
	return nil
}

// member360 fills in the member page's identities by kind and channel,
// messages by channel, custom fields, engagement score and, for those who
// may merge, its merge suggestions.
func (c *Console) member360(r *http.Request, workspaceID int64, d *memberData) error {
	ctx, id := r.Context(), d.Member.ID
	var err error
	if d.IdentityGroups, err = c.store.MemberIdentityGroups(ctx, workspaceID, id); err != nil {
		return err
	}
	if d.Channels, err = c.store.MemberChannels(ctx, workspaceID, id); err != nil {
		return err
	}
	if d.Fields, err = c.store.MemberFields(ctx, workspaceID, id); err != nil {
		return err
	}
	if d.Engagement, err = metrics.MemberScore(ctx, c.store, workspaceID, id, time.Now()); err != nil {
		return err
	}
	d.EngagementText = fmt.Sprintf("%.1f", d.Engagement.Score)
	if !d.CanWork {
		return nil
	}
	sg, err := c.store.MemberSuggestions(ctx, workspaceID, id, 0)
	if err != nil {
		return err
	}
	for _, s := range sg {
		d.Suggestions = append(d.Suggestions, suggestionView{MergeSuggestion: s, Percent: int(math.Round(100 * s.Score))})
	}
	return nil
}

// memberAction hands one of the member page's forms to the API.
func (c *Console) memberAction(w http.ResponseWriter, r *http.Request, v *viewer) error {
	slug, id := r.PathValue("slug"), r.PathValue("id")
	f := r.PostForm
	base := "/api/v1/workspaces/" + url.PathEscape(slug) + "/people/" + url.PathEscape(id)
	back := "/workspaces/" + url.PathEscape(slug) + "/people/" + url.PathEscape(id)
	var (
		method = http.MethodPost
		path   string
		body   any
		done   string
	)
	switch r.PathValue("action") {
	case "note":
		path, body, done = base+"/notes", map[string]string{"body": f.Get("body")}, v.P.T("Note added.")
	case "tags":
		method, path = http.MethodPatch, base
		body, done = map[string]any{"add_tags": splitList(f.Get("add")), "remove_tags": splitList(f.Get("remove"))}, v.P.T("Tags changed.")
	case "merge":
		from := strings.TrimSpace(f.Get("from"))
		path, body, done = base+"/merge", map[string]string{"from": from}, v.P.T("Members merged.")
	case "fields":
		method, path = http.MethodPatch, base
		set := map[string]string{}
		if k := f.Get("key"); strings.TrimSpace(k) != "" {
			set[k] = f.Get("value")
		}
		body, done = map[string]any{"set_fields": set, "remove_fields": f["remove"]}, v.P.T("Fields changed.")
	case "dismiss":
		path, body, done = base+"/dismiss", map[string]string{"other": f.Get("other")}, v.P.T("Not suggested again.")
	case "unmerge":
		path, done = base+"/unmerge", v.P.T("Merge undone.")
		back = localPath(f.Get("back"), back)
	default:
		return fmt.Errorf("action %q: %w", r.PathValue("action"), store.ErrNotFound)
	}
	return c.relay(w, r, v, method, path, body, done, back)
}
