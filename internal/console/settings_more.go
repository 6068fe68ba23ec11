package console

// Three settings pages of a workspace that its owners and managers use:
// importing a file, the routing rules (with a preview of what they would
// decide), and the team's profiles. Like every page, they change nothing
// themselves: the API does.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"palabre/internal/api"
	"palabre/internal/model"
	"palabre/internal/route"
	"palabre/internal/store"
)

func (c *Console) registerSettingsMore(mux Router) {
	mux.HandleFunc("GET /settings/workspaces/{slug}/import", c.page(c.importPage))
	mux.HandleFunc("POST /settings/workspaces/{slug}/import", c.importUpload)
	mux.HandleFunc("GET /settings/workspaces/{slug}/routing", c.page(c.routingPage))
	mux.HandleFunc("POST /settings/workspaces/{slug}/routing", c.page(c.routingForm))
	mux.HandleFunc("GET /settings/workspaces/{slug}/team", c.page(c.teamPage))
	mux.HandleFunc("POST /settings/workspaces/{slug}/team/{login}", c.page(c.teamSave))
}

// managedWorkspace is the workspace of a settings page, when the viewer
// manages it; any other is not found, as in the API.
func managedWorkspace(r *http.Request, v *viewer) (model.Workspace, error) {
	slug := r.PathValue("slug")
	i := slices.IndexFunc(v.Workspaces, func(ws model.Workspace) bool { return ws.Slug == slug })
	if i < 0 || !v.manages(v.Workspaces[i].ID) {
		return model.Workspace{}, fmt.Errorf("workspace %q: %w", slug, store.ErrNotFound)
	}
	return v.Workspaces[i], nil
}

func settingsPath(ws model.Workspace, section string) string {
	return "/settings/workspaces/" + url.PathEscape(ws.Slug) + "/" + section
}

func apiWorkspacePath(ws model.Workspace, rest string) string {
	return "/api/v1/workspaces/" + url.PathEscape(ws.Slug) + "/" + rest
}

// --- import ---------------------------------------------------------------

// importData fills settings_import.html.
type importData struct {
	settingsNav
	Workspace model.Workspace
	Formats   []string
	MaxMiB    int
	Channels  []model.Channel
	Stats     store.Stats
}

// importFormats are the choices of the format menu, "auto" first.
var importFormats = []string{"auto", "wxr", "rss", "atom", "ndjson", "csv"}

// maxUploadBytes bounds a file sent through the form; the API refuses
// larger ones itself (413), this only stops reading sooner.
const maxUploadBytes = 256<<20 + 64<<10

func (c *Console) importPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	d := importData{settingsNav: navFor(v, "import"), Workspace: ws, Formats: importFormats, MaxMiB: maxUploadBytes >> 20}
	if d.Channels, err = c.store.Channels(r.Context(), ws.ID); err != nil {
		return err
	}
	if d.Stats, err = c.store.WorkspaceStats(r.Context(), ws.ID); err != nil {
		return err
	}
	c.render(w, r, v, http.StatusOK, "settings_import.html",
		&layoutData{Title: v.P.T("Import into %s", ws.Name), Nav: "settings"}, d)
	return nil
}

// importUpload hands the file of the import form to the API as it
// arrives, without keeping it in memory. It is not wrapped by page, which
// reads a whole form: the fields before the file (csrf, format, channel)
// are read one by one, then the file part is the API's request body.
func (c *Console) importUpload(w http.ResponseWriter, r *http.Request) {
	v, err := c.viewerOf(r)
	if errors.Is(err, errSignIn) {
		http.Error(w, "the session has ended; sign in again", http.StatusUnauthorized)
		return
	}
	if err != nil {
		c.fail(w, r, nil, err)
		return
	}
	ws, err := managedWorkspace(r, v)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	back := settingsPath(ws, "import")
	r.Body = http.MaxBytesReader(w, r.Body, maxUploadBytes)
	parts, err := r.MultipartReader()
	if err != nil {
		c.renderError(w, r, v, http.StatusBadRequest, v.P.T("The form could not be read."))
		return
	}
	fields := url.Values{}
	for {
		part, err := parts.NextPart()
		if err != nil {
			c.renderError(w, r, v, http.StatusBadRequest, v.P.T("Choose a file to import."))
			return
		}
		if part.FormName() != "file" {
			value, err := io.ReadAll(io.LimitReader(part, 4<<10))
			if err != nil {
				c.renderError(w, r, v, http.StatusBadRequest, v.P.T("The form could not be read."))
				return
			}
			fields.Set(part.FormName(), string(value))
			continue
		}
		if !sameToken(fields.Get("csrf"), v.CSRF) {
			c.renderError(w, r, v, http.StatusForbidden, v.P.T("The form expired; please try again."))
			return
		}
		c.sendImport(w, r, v, ws, fields, part, back)
		return
	}
}

// sendImport hands one uploaded file to the API and goes back to the
// import page with what it did.
func (c *Console) sendImport(w http.ResponseWriter, r *http.Request, v *viewer, ws model.Workspace, fields url.Values, file *multipart.Part, back string) {
	if file.FileName() == "" {
		setFlash(w, flash{Text: v.P.T("Choose a file to import."), Error: true})
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	q := url.Values{"format": {fields.Get("format")}, "channel": {fields.Get("channel")}, "name": {file.FileName()}}
	a, err := c.sendAPI(r, v, http.MethodPost, apiWorkspacePath(ws, "imports")+"?"+q.Encode(), file, "application/octet-stream")
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	done := ""
	if a.OK() {
		done = importSummary(v, a.Body)
	}
	c.finish(w, r, v, a, done, back)
}

// importResult is the API's answer to an import.
type importResult struct {
	Read, Inserted, Duplicates, Rejected, Conversations, Members int
	Rejections                                                   []string
}

// importSummary says what an import did, in the viewer's language, with
// the first bad records.
func importSummary(v *viewer, body []byte) string {
	var res importResult
	if err := json.Unmarshal(body, &res); err != nil {
		return v.P.T("Imported.")
	}
	s := v.P.T("Imported: %d read, %d new, %d already there, %d rejected; %d new conversations, %d new members.",
		res.Read, res.Inserted, res.Duplicates, res.Rejected, res.Conversations, res.Members)
	if n := min(len(res.Rejections), 3); n > 0 {
		s += " " + strings.Join(res.Rejections[:n], "; ")
	}
	return s
}

// --- routing rules ----------------------------------------------------------

// routingData fills settings_routing.html.
type routingData struct {
	settingsNav
	Workspace model.Workspace
	Rules     []ruleForm
	Team      []string // logins rules may assign to
	Preview   []previewRow
	Previewed bool
	Problem   string
	Unsaved   bool
}

// ruleForm is one rule as the form shows it.
type ruleForm struct {
	route.Rule
	Tags     string // comma separated
	Priority string // "" unchanged, else 0..3
}

// previewRow is one line of the API's routing preview.
type previewRow struct {
	ConversationID int64    `json:"conversation_id"`
	Subject        string   `json:"subject"`
	Channel        string   `json:"channel"`
	Assignee       string   `json:"assignee"`
	WouldAssign    string   `json:"would_assign"`
	Rule           string   `json:"rule"`
	Tags           []string `json:"tags"`
	Priority       int      `json:"priority"`
	Reason         string   `json:"reason"`
}

func (c *Console) routingPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	a, err := c.callAPI(r, v, http.MethodGet, apiWorkspacePath(ws, "routing-rules"), nil)
	if err != nil {
		return err
	}
	if !a.OK() {
		return fmt.Errorf("routing rules of %s: %d %s", ws.Slug, a.Status, a.Problem())
	}
	var body struct {
		Rules []route.Rule `json:"rules"`
	}
	if err := json.Unmarshal(a.Body, &body); err != nil {
		return fmt.Errorf("routing rules of %s: %w", ws.Slug, err)
	}
	forms := make([]ruleForm, len(body.Rules))
	for i, rule := range body.Rules {
		forms[i] = toRuleForm(rule)
	}
	return c.renderRouting(w, r, v, http.StatusOK, routingData{Workspace: ws, Rules: forms})
}

func (c *Console) renderRouting(w http.ResponseWriter, r *http.Request, v *viewer, status int, d routingData) error {
	team, err := c.teamOf(r, d.Workspace)
	if err != nil {
		return err
	}
	for _, u := range team {
		d.Team = append(d.Team, u.Login)
	}
	d.settingsNav = navFor(v, "routing")
	c.render(w, r, v, status, "settings_routing.html",
		&layoutData{Title: v.P.T("Routing rules of %s", d.Workspace.Name), Nav: "settings"}, d)
	return nil
}

// routingForm answers the rules form's buttons: add, remove and move a
// rule (shown again, not saved yet), preview the rules as edited, or
// save them.
func (c *Console) routingForm(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	forms := parseRuleForms(r.PostForm)
	d := routingData{Workspace: ws, Unsaved: true}
	op, arg, _ := strings.Cut(r.PostForm.Get("op"), ":")
	i, _ := strconv.Atoi(arg)
	inRange := i >= 0 && i < len(forms)
	switch {
	case op == "add":
		forms = append(forms, ruleForm{})
	case op == "remove" && inRange:
		forms = slices.Delete(forms, i, i+1)
	case op == "up" && inRange && i > 0:
		forms[i-1], forms[i] = forms[i], forms[i-1]
	case op == "down" && inRange && i < len(forms)-1:
		forms[i], forms[i+1] = forms[i+1], forms[i]
	case op == "preview" || op == "save":
		rules, err := toRules(forms)
		if err != nil {
			d.Rules, d.Problem = forms, err.Error()
			return c.renderRouting(w, r, v, http.StatusBadRequest, d)
		}
		if op == "save" {
			a, err := c.callAPI(r, v, http.MethodPut, apiWorkspacePath(ws, "routing-rules"), map[string]any{"rules": rules})
			if err != nil {
				return err
			}
			if a.OK() {
				setFlash(w, flash{Text: v.P.T("Routing rules saved.")})
				http.Redirect(w, r, settingsPath(ws, "routing"), http.StatusSeeOther)
				return nil
			}
			d.Rules, d.Problem = forms, a.Problem()
			return c.renderRouting(w, r, v, a.Status, d)
		}
		a, err := c.callAPI(r, v, http.MethodPost, apiWorkspacePath(ws, "routing-rules/preview"),
			map[string]any{"rules": rules, "limit": 50})
		if err != nil {
			return err
		}
		if !a.OK() {
			d.Rules, d.Problem = forms, a.Problem()
			return c.renderRouting(w, r, v, a.Status, d)
		}
		var body struct {
			Conversations []previewRow `json:"conversations"`
		}
		if err := json.Unmarshal(a.Body, &body); err != nil {
			return fmt.Errorf("routing preview of %s: %w", ws.Slug, err)
		}
		d.Preview, d.Previewed = body.Conversations, true
	}
	d.Rules = forms
	return c.renderRouting(w, r, v, http.StatusOK, d)
}

func toRuleForm(rule route.Rule) ruleForm {
	f := ruleForm{Rule: rule, Tags: strings.Join(rule.Then.Tags, ", ")}
	if rule.Then.Priority != nil {
		f.Priority = strconv.Itoa(*rule.Then.Priority)
	}
	return f
}

// parseRuleForms reads the rules of the form: the fields of rule i end
// in ".i", and "count" says how many there are.
func parseRuleForms(form url.Values) []ruleForm {
	n, _ := strconv.Atoi(form.Get("count"))
	n = max(0, min(n, route.MaxRules))
	forms := make([]ruleForm, n)
	for i := range forms {
		get := func(field string) string { return strings.TrimSpace(form.Get(field + "." + strconv.Itoa(i))) }
		forms[i] = ruleForm{Rule: route.Rule{Name: get("name"),
			When: route.Condition{Topic: get("topic"), Intent: get("intent"), Sentiment: get("sentiment"),
				Channel: get("channel"), Author: get("author"), Lang: get("lang")},
			Then: route.Action{AssignTo: get("assign_to"), Stop: get("stop") != ""}},
			Tags: get("tags"), Priority: get("priority")}
	}
	return forms
}

// toRules turns the form's rules into the API's; the API checks the rest.
func toRules(forms []ruleForm) ([]route.Rule, error) {
	rules := make([]route.Rule, len(forms))
	for i, f := range forms {
		rules[i] = f.Rule
		rules[i].Then.Tags = nil
		for t := range strings.SplitSeq(f.Tags, ",") {
			if t = strings.TrimSpace(t); t != "" {
				rules[i].Then.Tags = append(rules[i].Then.Tags, t)
			}
		}
		rules[i].Then.Priority = nil
		if f.Priority != "" {
			p, err := strconv.Atoi(f.Priority)
			if err != nil {
				return nil, fmt.Errorf("rule %d: priority %q is not a number", i+1, f.Priority)
			}
			rules[i].Then.Priority = &p
		}
	}
	return rules, nil
}

// --- team -------------------------------------------------------------------

// teamData fills settings_team.html.
type teamData struct {
	settingsNav
	Workspace model.Workspace
	Members   []teamMember
	Weekdays  []string
}

// teamMember is one CM or manager of the workspace with their profile as
// the API answers it (with the sector-spread warning), and this
// workspace's topic strengths as the form edits them.
type teamMember struct {
	Role    string
	Profile model.ProfileView
	Hours   map[string]string // weekday → "09:00-12:30, 14:00-18:00"
	Topics  string            // one "topic: strength" a line
	Problem string
}

// teamOf returns the workspace's CMs and managers: who routing may assign.
func (c *Console) teamOf(r *http.Request, ws model.Workspace) ([]model.User, error) {
	ms, err := c.store.WorkspaceMembers(r.Context(), ws.ID)
	if err != nil {
		return nil, err
	}
	var team []model.User
	for _, m := range ms {
		if m.Role != model.RoleCM && m.Role != model.RoleManager {
			continue
		}
		u, err := c.store.UserByID(r.Context(), m.UserID)
		if err != nil {
			return nil, err
		}
		team = append(team, u)
	}
	slices.SortFunc(team, func(a, b model.User) int { return strings.Compare(a.Login, b.Login) })
	return team, nil
}

func (c *Console) teamPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	ms, err := c.store.WorkspaceMembers(r.Context(), ws.ID)
	if err != nil {
		return err
	}
	roles := map[int64]string{}
	for _, m := range ms {
		roles[m.UserID] = m.Role
	}
	team, err := c.teamOf(r, ws)
	if err != nil {
		return err
	}
	d := teamData{settingsNav: navFor(v, "team"), Workspace: ws, Weekdays: model.Weekdays}
	for _, u := range team {
		p, err := c.profileOf(r, v, u.Login)
		if err != nil {
			return err
		}
		d.Members = append(d.Members, newTeamMember(ws, roles[u.ID], p))
	}
	c.render(w, r, v, http.StatusOK, "settings_team.html",
		&layoutData{Title: v.P.T("Team of %s", ws.Name), Nav: "settings"}, d)
	return nil
}

// profileOf reads a profile through the API, which adds the warning.
func (c *Console) profileOf(r *http.Request, v *viewer, login string) (model.ProfileView, error) {
	var p model.ProfileView
	a, err := c.callAPI(r, v, http.MethodGet, "/api/v1/users/"+url.PathEscape(login)+"/profile", nil)
	if err != nil {
		return p, err
	}
	if !a.OK() {
		return p, fmt.Errorf("profile of %s: %d %s", login, a.Status, a.Problem())
	}
	if err := json.Unmarshal(a.Body, &p); err != nil {
		return p, fmt.Errorf("profile of %s: %w", login, err)
	}
	return p, nil
}

func newTeamMember(ws model.Workspace, role string, p model.ProfileView) teamMember {
	m := teamMember{Role: role, Profile: p, Hours: map[string]string{}}
	for day, intervals := range p.Hours {
		m.Hours[day] = strings.Join(intervals, ", ")
	}
	var lines []string
	for _, s := range p.Specialisations {
		if s.Workspace == ws.Slug {
			lines = append(lines, s.Topic+": "+strconv.FormatFloat(s.Strength, 'f', -1, 64))
		}
	}
	m.Topics = strings.Join(lines, "\n")
	return m
}

// teamSave changes one person's profile from the team form: the fields
// shown replace theirs, and the topic strengths of this workspace replace
// those of this workspace (their strengths elsewhere stay).
func (c *Console) teamSave(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	back := settingsPath(ws, "team")
	login := r.PathValue("login")
	team, err := c.teamOf(r, ws)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(team, func(u model.User) bool { return u.Login == login }) {
		return fmt.Errorf("team member %q: %w", login, store.ErrNotFound)
	}
	cur, err := c.profileOf(r, v, login)
	if err != nil {
		return err
	}
	req, err := profileFromForm(r.PostForm, ws, cur.Profile)
	if err != nil {
		setFlash(w, flash{Text: err.Error(), Error: true})
		http.Redirect(w, r, back, http.StatusSeeOther)
		return nil
	}
	a, err := c.callAPI(r, v, http.MethodPut, "/api/v1/users/"+url.PathEscape(login)+"/profile", req)
	if err != nil {
		return err
	}
	done := v.P.T("Profile of %s saved.", login)
	if a.OK() {
		var p model.ProfileView
		if json.Unmarshal(a.Body, &p) == nil && p.Warning != "" {
			done += " " + p.Warning
		}
	}
	c.finish(w, r, v, a, done, back)
	return nil
}

// profileFromForm reads the team form over the current profile.
func profileFromForm(f url.Values, ws model.Workspace, cur model.Profile) (api.ProfileRequest, error) {
	p := api.ProfileRequest{Languages: []string{}, TimeZone: strings.TrimSpace(f.Get("time_zone")), Hours: model.WeeklyHours{},
		Status: f.Get("status"), Specialisations: []model.Specialisation{}}
	for l := range strings.FieldsFuncSeq(f.Get("languages"), func(r rune) bool { return r == ',' || r == ' ' }) {
		p.Languages = append(p.Languages, strings.ToLower(l))
	}
	if raw := strings.TrimSpace(f.Get("capacity")); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			return p, fmt.Errorf("capacity %q: give a whole number, 0 for no limit", raw)
		}
		p.Capacity = n
	}
	for _, day := range model.Weekdays {
		for iv := range strings.SplitSeq(f.Get("hours."+day), ",") {
			if iv = strings.TrimSpace(iv); iv != "" {
				p.Hours[day] = append(p.Hours[day], iv)
			}
		}
	}
	for _, s := range cur.Specialisations {
		if s.Workspace != ws.Slug {
			p.Specialisations = append(p.Specialisations, s)
		}
	}
	for line := range strings.Lines(f.Get("topics")) {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		topic, raw, ok := strings.Cut(line, ":")
		strength, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
		if !ok || err != nil {
			return p, fmt.Errorf("topic strength %q: write one \"topic: 0.8\" a line", line)
		}
		p.Specialisations = append(p.Specialisations, model.Specialisation{Workspace: ws.Slug,
			Topic: strings.TrimSpace(topic), Strength: strength})
	}
	return p, nil
}
