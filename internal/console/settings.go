package console

// The settings pages: a workspace's canned replies, service levels, topics
// and members (for its owners and managers), the viewer's own API tokens,
// and, for administrators, the workspaces and users of the instance. They
// read the store under the API's rules and change nothing themselves: every
// form is handed to the API, whose refusals are shown beside what was
// typed, so that nothing is lost.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"palabre/internal/auth"
	"palabre/internal/canned"
	"palabre/internal/model"
	"palabre/internal/sla"
	"palabre/internal/store"
)

func (c *Console) registerSettings(mux Router) {
	mux.HandleFunc("GET /settings", c.page(c.settingsHome))
	mux.HandleFunc("GET /settings/workspaces/{slug}", c.page(c.workspaceSettings))

	mux.HandleFunc("GET /settings/workspaces/{slug}/canned", c.page(c.cannedPage))
	mux.HandleFunc("POST /settings/workspaces/{slug}/canned", c.page(c.cannedSave))
	mux.HandleFunc("POST /settings/workspaces/{slug}/canned/{id}", c.page(c.cannedSave))
	mux.HandleFunc("POST /settings/workspaces/{slug}/canned/{id}/delete", c.page(c.cannedDelete))

	mux.HandleFunc("GET /settings/workspaces/{slug}/sla", c.page(c.slaPage))
	mux.HandleFunc("POST /settings/workspaces/{slug}/sla", c.page(c.slaSave))

	mux.HandleFunc("GET /settings/workspaces/{slug}/topics", c.page(c.topicsPage))
	mux.HandleFunc("POST /settings/workspaces/{slug}/topics", c.page(c.topicSave))
	mux.HandleFunc("POST /settings/workspaces/{slug}/topics/delete", c.page(c.topicDelete))

	mux.HandleFunc("GET /settings/workspaces/{slug}/members", c.page(c.membersPage))
	mux.HandleFunc("POST /settings/workspaces/{slug}/members", c.page(c.memberSave))
	mux.HandleFunc("POST /settings/workspaces/{slug}/members/remove", c.page(c.memberRemove))

	mux.HandleFunc("GET /settings/tokens", c.page(c.tokensPage))
	mux.HandleFunc("POST /settings/tokens", c.page(c.tokenCreate))
	mux.HandleFunc("POST /settings/tokens/{id}/revoke", c.page(c.tokenRevoke))
	mux.HandleFunc("POST /settings/password", c.page(c.passwordChange))

	mux.HandleFunc("GET /settings/workspaces", c.page(c.workspacesPage))
	mux.HandleFunc("POST /settings/workspaces", c.page(c.workspaceCreate))
	mux.HandleFunc("GET /settings/users", c.page(c.usersPage))
	mux.HandleFunc("POST /settings/users", c.page(c.userCreate))

	c.registerSettingsMore(mux)
}

// settingsData fills settings.html: the side navigation, and the one
// section Section names, whose own data is in the field of that name.
type settingsData struct {
	settingsNav
	Workspace model.Workspace // of a workspace's section
	// Problem is the API's refusal of the form shown again.
	Problem string

	Home       *homeSection
	Canned     *cannedSection
	SLA        *slaSection
	Topics     *topicsSection
	Members    *membersSection
	Tokens     *tokensSection
	Workspaces *workspacesSection
	Users      *usersSection
}

// settingsNav is what the settings' side navigation (parts/settings.html)
// shows: the section open, the workspaces the viewer manages, and whether
// they administer the instance.
type settingsNav struct {
	Section string // home, canned, sla, topics, members, team, routing, import, tokens, workspaces, users
	Managed []model.Workspace
	Admin   bool
}

// navFor is the side navigation of a settings section for the viewer.
func navFor(v *viewer, section string) settingsNav {
	return settingsNav{Section: section, Managed: managedBy(v), Admin: v.User.IsAdmin}
}

// renderSettings answers settings.html with the navigation filled in.
func (c *Console) renderSettings(w http.ResponseWriter, r *http.Request, v *viewer, status int, title string, d *settingsData) {
	d.settingsNav = navFor(v, d.Section)
	c.render(w, r, v, status, "settings.html", &layoutData{Title: title, Nav: "settings"}, d)
}

// managedBy lists the workspaces whose settings the viewer may change.
func managedBy(v *viewer) []model.Workspace {
	var out []model.Workspace
	for _, ws := range v.Workspaces {
		if v.manages(ws.ID) {
			out = append(out, ws)
		}
	}
	return out
}

// requireAdmin hides the instance's administration from everyone else, as
// anything they may not see.
func requireAdmin(v *viewer) error {
	if !v.User.IsAdmin {
		return fmt.Errorf("administration: %w", store.ErrNotFound)
	}
	return nil
}

// refused answers a form the API did not accept: the script gets the
// API's answer, a browser the page again, with what was typed and why.
// It reports false when the API accepted the form.
func (c *Console) refused(w http.ResponseWriter, r *http.Request, v *viewer, a apiAnswer, show func(status int, problem string)) bool {
	if a.OK() {
		return false
	}
	if wantsJSON(r) {
		c.finish(w, r, v, a, "", "")
		return true
	}
	show(a.Status, a.Problem())
	return true
}

// --- home -------------------------------------------------------------------

// homeSection is the settings' home: nothing more than the navigation
// shows, laid out with what each section is for.
type homeSection struct{}

func (c *Console) settingsHome(w http.ResponseWriter, r *http.Request, v *viewer) error {
	c.renderSettings(w, r, v, http.StatusOK, v.P.T("Settings"), &settingsData{settingsNav: settingsNav{Section: "home"}, Home: &homeSection{}})
	return nil
}

// workspaceSettings sends a workspace's settings to their first section.
func (c *Console) workspaceSettings(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	http.Redirect(w, r, settingsPath(ws, "canned"), http.StatusSeeOther)
	return nil
}

// --- canned replies -----------------------------------------------------------

// cannedSection lists a workspace's canned replies, with the form to
// write a new one or to edit one.
type cannedSection struct {
	Replies   []model.CannedReply
	Variables []cannedVariable
	Form      model.CannedReply // ID 0: a new one
	MaxName   int
	// Fallback shows how a variable is given a text for when its value
	// is empty.
	Fallback string
}

// cannedVariable is one variable a canned reply may use, as the help
// lists it.
type cannedVariable struct {
	Code, Help string
}

// cannedVariables lists the variables of canned replies with what they
// stand for, in the viewer's language.
func cannedVariables(v *viewer) []cannedVariable {
	help := map[string]string{
		canned.MemberName:          v.P.T("the member's name"),
		canned.MemberFirstName:     v.P.T("the member's first name"),
		canned.MemberHandle:        v.P.T("the member's handle on the channel, such as @lea"),
		canned.CMName:              v.P.T("the name of the CM answering"),
		canned.CMFirstName:         v.P.T("the first name of the CM answering"),
		canned.WorkspaceName:       v.P.T("the workspace's name"),
		canned.ConversationSubject: v.P.T("the conversation's subject or post title"),
		canned.ChannelName:         v.P.T("the channel the conversation came from"),
	}
	var out []cannedVariable
	for _, name := range canned.Names() {
		out = append(out, cannedVariable{Code: "{{" + name + "}}", Help: help[name]})
	}
	return out
}

func (c *Console) cannedPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	form := model.CannedReply{Language: ws.Language}
	if raw := r.URL.Query().Get("edit"); raw != "" {
		id, _ := strconv.ParseInt(raw, 10, 64)
		if form, err = c.store.CannedReply(r.Context(), ws.ID, id); err != nil {
			return err
		}
	}
	return c.renderCanned(w, r, v, http.StatusOK, ws, form, "")
}

func (c *Console) renderCanned(w http.ResponseWriter, r *http.Request, v *viewer, status int, ws model.Workspace, form model.CannedReply, problem string) error {
	list, err := c.store.CannedReplies(r.Context(), ws.ID, "")
	if err != nil {
		return err
	}
	c.renderSettings(w, r, v, status, v.P.T("Canned replies of %s", ws.Name), &settingsData{
		settingsNav: settingsNav{Section: "canned"}, Workspace: ws, Problem: problem,
		Canned: &cannedSection{Replies: list, Variables: cannedVariables(v), Form: form, MaxName: model.MaxCannedNameLen,
			Fallback: "{{ " + canned.MemberFirstName + " | " + v.P.T("fallback text") + " }}"}})
	return nil
}

// cannedSave creates a canned reply (no id in the path) or replaces one.
func (c *Console) cannedSave(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	f := r.PostForm
	form := model.CannedReply{Name: strings.TrimSpace(f.Get("name")), Language: strings.TrimSpace(f.Get("language")), Body: f.Get("body")}
	method, path, done := http.MethodPost, apiWorkspacePath(ws, "canned-replies"), v.P.T("Canned reply %s created.", form.Name)
	if raw := r.PathValue("id"); raw != "" {
		if form.ID, err = strconv.ParseInt(raw, 10, 64); err != nil || form.ID <= 0 {
			return fmt.Errorf("canned reply %q: %w", raw, store.ErrNotFound)
		}
		method, path, done = http.MethodPut, path+"/"+raw, v.P.T("Canned reply %s saved.", form.Name)
	}
	a, err := c.callAPI(r, v, method, path, map[string]string{"name": form.Name, "language": form.Language, "body": form.Body})
	if err != nil {
		return err
	}
	if c.refused(w, r, v, a, func(status int, problem string) {
		err = c.renderCanned(w, r, v, status, ws, form, problem)
	}) {
		return err
	}
	c.finish(w, r, v, a, done, settingsPath(ws, "canned"))
	return nil
}

func (c *Console) cannedDelete(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
		return fmt.Errorf("canned reply %q: %w", id, store.ErrNotFound)
	}
	return c.relay(w, r, v, http.MethodDelete, apiWorkspacePath(ws, "canned-replies/"+id), nil, v.P.T("Canned reply deleted."), settingsPath(ws, "canned"))
}

// --- service levels -----------------------------------------------------------

// slaSection is the form of a workspace's whole SLA settings.
type slaSection struct {
	Configured bool
	Form       slaForm
	Weekdays   []string
}

// slaForm is sla.Settings as the form shows and sends it: durations and
// lists as typed, so that a refused form comes back as it was.
type slaForm struct {
	TimeZone      string
	WarnBefore    string
	Hours         map[string]string // weekday → "09:00-12:30, 14:00-18:00"
	Holidays      string            // one date a line
	Policies      []policyForm
	Notify        bool
	Reroute       bool
	RaisePriority bool
}

// policyForm is one row of the policies' table.
type policyForm struct {
	Name       string
	Priorities []bool // by priority, model.PriorityNormal to model.PriorityCritical
	Channels   string // comma separated
	First      string
	Next       string
	Resolution string
}

// Blank reports a row left empty: the row offered for a new policy.
func (p policyForm) Blank() bool {
	return p.Name == "" && p.Channels == "" && p.First == "" && p.Next == "" && p.Resolution == "" &&
		!slices.Contains(p.Priorities, true)
}

func durationText(d sla.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// slaFormOf shows settings in the form.
func slaFormOf(s sla.Settings) slaForm {
	f := slaForm{TimeZone: s.Calendar.TimeZone, WarnBefore: durationText(s.WarnBefore), Hours: map[string]string{},
		Holidays: strings.Join(s.Calendar.Holidays, "\n"), Notify: s.Escalation.Notify, Reroute: s.Escalation.Reroute,
		RaisePriority: s.Escalation.RaisePriority}
	if f.TimeZone == "" {
		f.TimeZone = "UTC"
	}
	for day, intervals := range s.Calendar.Hours {
		f.Hours[day] = strings.Join(intervals, ", ")
	}
	for _, p := range s.Policies {
		pf := policyForm{Name: p.Name, Priorities: make([]bool, model.PriorityCritical+1), Channels: strings.Join(p.Channels, ", "),
			First: durationText(p.FirstResponse), Next: durationText(p.NextResponse), Resolution: durationText(p.Resolution)}
		for _, pr := range p.Priorities {
			if model.ValidPriority(pr) {
				pf.Priorities[pr] = true
			}
		}
		f.Policies = append(f.Policies, pf)
	}
	return f
}

// parseSLAForm reads the form: rows ticked for removal and rows left
// blank are dropped, and the others are put in the order their "order"
// fields give (rows apply first to last).
func parseSLAForm(form url.Values) slaForm {
	get := func(k string) string { return strings.TrimSpace(form.Get(k)) }
	f := slaForm{TimeZone: get("time_zone"), WarnBefore: get("warn_before"), Hours: map[string]string{},
		Holidays: get("holidays"), Notify: form.Get("notify") != "", Reroute: form.Get("reroute") != "",
		RaisePriority: form.Get("raise_priority") != ""}
	for _, day := range model.Weekdays {
		f.Hours[day] = get("hours." + day)
	}
	type row struct {
		order int
		p     policyForm
	}
	var rows []row
	n, _ := strconv.Atoi(form.Get("policies"))
	for i := range max(0, min(n, sla.MaxPolicies+1)) {
		k := func(field string) string { return field + "." + strconv.Itoa(i) }
		p := policyForm{Name: get(k("name")), Priorities: make([]bool, model.PriorityCritical+1), Channels: get(k("channels")),
			First: get(k("first_response")), Next: get(k("next_response")), Resolution: get(k("resolution"))}
		for _, raw := range form[k("priority")] {
			if pr, err := strconv.Atoi(raw); err == nil && model.ValidPriority(pr) {
				p.Priorities[pr] = true
			}
		}
		if form.Get(k("remove")) != "" || p.Blank() {
			continue
		}
		order, err := strconv.Atoi(get(k("order")))
		if err != nil {
			order = i + 1
		}
		rows = append(rows, row{order, p})
	}
	slices.SortStableFunc(rows, func(a, b row) int { return a.order - b.order })
	for _, r := range rows {
		f.Policies = append(f.Policies, r.p)
	}
	return f
}

// slaRequest is the body of the API's SLA PUT, durations as typed (the
// API reads and checks them).
type slaRequest struct {
	Calendar   slaCalendarRequest `json:"calendar"`
	WarnBefore string             `json:"warn_before"`
	Policies   []policyRequest    `json:"policies"`
	Escalation sla.Escalation     `json:"escalation"`
}

type slaCalendarRequest struct {
	TimeZone string              `json:"time_zone"`
	Hours    map[string][]string `json:"hours"`
	Holidays []string            `json:"holidays"`
}

type policyRequest struct {
	Name          string   `json:"name"`
	Priorities    []int    `json:"priorities"`
	Channels      []string `json:"channels"`
	FirstResponse string   `json:"first_response"`
	NextResponse  string   `json:"next_response"`
	Resolution    string   `json:"resolution"`
}

// orZero is a duration field as typed, "0s" (no target) when empty.
func orZero(s string) string {
	if s == "" {
		return "0s"
	}
	return s
}

// request turns the form into the API's body. Days without hours are left
// out: no day at all means open around the clock.
func (f slaForm) request() slaRequest {
	req := slaRequest{Calendar: slaCalendarRequest{TimeZone: f.TimeZone, Hours: map[string][]string{}, Holidays: []string{}},
		WarnBefore: orZero(f.WarnBefore), Policies: []policyRequest{},
		Escalation: sla.Escalation{Notify: f.Notify, Reroute: f.Reroute, RaisePriority: f.RaisePriority}}
	for _, day := range model.Weekdays {
		if intervals := splitList(f.Hours[day]); len(intervals) > 0 {
			req.Calendar.Hours[day] = intervals
		}
	}
	for line := range strings.Lines(f.Holidays) {
		if line = strings.TrimSpace(line); line != "" {
			req.Calendar.Holidays = append(req.Calendar.Holidays, line)
		}
	}
	for _, p := range f.Policies {
		pr := policyRequest{Name: p.Name, Priorities: []int{}, Channels: splitList(p.Channels),
			FirstResponse: orZero(p.First), NextResponse: orZero(p.Next), Resolution: orZero(p.Resolution)}
		for prio, on := range p.Priorities {
			if on {
				pr.Priorities = append(pr.Priorities, prio)
			}
		}
		req.Policies = append(req.Policies, pr)
	}
	return req
}

func (c *Console) slaPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	s, ok, err := c.store.SLASettings(r.Context(), ws.ID)
	if err != nil {
		return err
	}
	c.renderSLA(w, r, v, http.StatusOK, ws, &slaSection{Configured: ok, Form: slaFormOf(s)}, "")
	return nil
}

// renderSLA shows the SLA form, with a blank row to add a policy.
func (c *Console) renderSLA(w http.ResponseWriter, r *http.Request, v *viewer, status int, ws model.Workspace, s *slaSection, problem string) {
	s.Weekdays = model.Weekdays
	if len(s.Form.Policies) < sla.MaxPolicies {
		s.Form.Policies = append(s.Form.Policies, policyForm{Priorities: make([]bool, model.PriorityCritical+1)})
	}
	c.renderSettings(w, r, v, status, v.P.T("Service levels of %s", ws.Name),
		&settingsData{settingsNav: settingsNav{Section: "sla"}, Workspace: ws, Problem: problem, SLA: s})
}

func (c *Console) slaSave(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	form := parseSLAForm(r.PostForm)
	a, err := c.callAPI(r, v, http.MethodPut, apiWorkspacePath(ws, "sla"), form.request())
	if err != nil {
		return err
	}
	if c.refused(w, r, v, a, func(status int, problem string) {
		_, configured, _ := c.store.SLASettings(r.Context(), ws.ID)
		c.renderSLA(w, r, v, status, ws, &slaSection{Configured: configured, Form: form}, problem)
	}) {
		return nil
	}
	c.finish(w, r, v, a, v.P.T("Service levels saved."), settingsPath(ws, "sla"))
	return nil
}

// --- topics -------------------------------------------------------------------

// topicsSection lists a workspace's topics, with the form to add one or
// to edit one's terms.
type topicsSection struct {
	Topics  []model.Topic
	Name    string // of the topic edited, or typed for a new one
	Terms   string // one a line
	Editing bool
}

func (c *Console) topicsPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	topics, err := c.store.Topics(r.Context(), ws.ID)
	if err != nil {
		return err
	}
	s := &topicsSection{Topics: topics}
	if name := r.URL.Query().Get("edit"); name != "" {
		i := slices.IndexFunc(topics, func(t model.Topic) bool { return t.Name == name })
		if i < 0 {
			return fmt.Errorf("topic %q: %w", name, store.ErrNotFound)
		}
		s.Name, s.Terms, s.Editing = name, strings.Join(topics[i].Terms, "\n"), true
	}
	c.renderSettings(w, r, v, http.StatusOK, v.P.T("Topics of %s", ws.Name), &settingsData{settingsNav: settingsNav{Section: "topics"}, Workspace: ws, Topics: s})
	return nil
}

// topicSave creates a topic or replaces its terms, one a line in the form.
func (c *Console) topicSave(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	f := r.PostForm
	name := strings.TrimSpace(f.Get("name"))
	terms := []string{}
	for line := range strings.Lines(f.Get("terms")) {
		if line = strings.TrimSpace(line); line != "" {
			terms = append(terms, line)
		}
	}
	a, err := c.callAPI(r, v, http.MethodPut, apiWorkspacePath(ws, "topics/"+url.PathEscape(name)), map[string]any{"terms": terms})
	if err != nil {
		return err
	}
	if c.refused(w, r, v, a, func(status int, problem string) {
		var topics []model.Topic
		if topics, err = c.store.Topics(r.Context(), ws.ID); err != nil {
			return
		}
		c.renderSettings(w, r, v, status, v.P.T("Topics of %s", ws.Name), &settingsData{settingsNav: settingsNav{Section: "topics"}, Workspace: ws,
			Problem: problem, Topics: &topicsSection{Topics: topics, Name: name, Terms: f.Get("terms"), Editing: f.Get("editing") != ""}})
	}) {
		return err
	}
	c.finish(w, r, v, a, v.P.T("Topic %s saved.", name), settingsPath(ws, "topics"))
	return nil
}

func (c *Console) topicDelete(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	name := r.PostForm.Get("name")
	return c.relay(w, r, v, http.MethodDelete, apiWorkspacePath(ws, "topics/"+url.PathEscape(name)), nil, v.P.T("Topic %s deleted.", name), settingsPath(ws, "topics"))
}

// --- members ------------------------------------------------------------------

// membersSection lists who holds which role in a workspace.
type membersSection struct {
	Members []memberRole
	// Roles are those the viewer may give: only an owner gives the owner
	// role.
	Roles []string
	Login string // typed in the form to add someone
	Role  string
}

// memberRole is one user's role in the workspace.
type memberRole struct {
	User model.User
	Role string
	// Fixed: the viewer may not change it (an owner, for a manager).
	Fixed bool
}

// rolesGivenBy lists the roles someone holding role may give.
func rolesGivenBy(role string) []string {
	roles := []string{model.RoleManager, model.RoleCM, model.RoleExpert, model.RoleClient}
	if role == model.RoleOwner {
		roles = append([]string{model.RoleOwner}, roles...)
	}
	return roles
}

func (c *Console) membersPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	return c.renderMembers(w, r, v, http.StatusOK, ws, &membersSection{Role: model.RoleCM}, "")
}

func (c *Console) renderMembers(w http.ResponseWriter, r *http.Request, v *viewer, status int, ws model.Workspace, s *membersSection, problem string) error {
	ms, err := c.store.WorkspaceMembers(r.Context(), ws.ID)
	if err != nil {
		return err
	}
	mine := v.Roles[ws.ID]
	for _, m := range ms {
		u, err := c.store.UserByID(r.Context(), m.UserID)
		if err != nil {
			return err
		}
		s.Members = append(s.Members, memberRole{User: u, Role: m.Role, Fixed: m.Role == model.RoleOwner && mine != model.RoleOwner})
	}
	slices.SortFunc(s.Members, func(a, b memberRole) int { return strings.Compare(a.User.Login, b.User.Login) })
	s.Roles = rolesGivenBy(mine)
	c.renderSettings(w, r, v, status, v.P.T("Members of %s", ws.Name), &settingsData{settingsNav: settingsNav{Section: "members"}, Workspace: ws, Problem: problem, Members: s})
	return nil
}

// memberSave gives someone a role in the workspace, or changes theirs.
func (c *Console) memberSave(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	login, role := strings.TrimSpace(r.PostForm.Get("login")), r.PostForm.Get("role")
	if login == "" {
		return c.renderMembers(w, r, v, http.StatusBadRequest, ws, &membersSection{Role: role}, v.P.T("Give the login of the person to add."))
	}
	a, err := c.callAPI(r, v, http.MethodPut, apiWorkspacePath(ws, "members/"+url.PathEscape(login)), map[string]string{"role": role})
	if err != nil {
		return err
	}
	if c.refused(w, r, v, a, func(status int, problem string) {
		err = c.renderMembers(w, r, v, status, ws, &membersSection{Login: login, Role: role}, problem)
	}) {
		return err
	}
	c.finish(w, r, v, a, v.P.T("%s is now %s here.", login, v.P.T(role)), settingsPath(ws, "members"))
	return nil
}

func (c *Console) memberRemove(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	login := strings.TrimSpace(r.PostForm.Get("login"))
	return c.relay(w, r, v, http.MethodDelete, apiWorkspacePath(ws, "members/"+url.PathEscape(login)), nil, v.P.T("%s no longer has a role here.", login), settingsPath(ws, "members"))
}

// --- API tokens -----------------------------------------------------------------

// tokensSection lists the viewer's API tokens, with the form to make one,
// and the secret of the one just made, shown this once.
type tokensSection struct {
	Tokens     []tokenRow
	Workspaces []model.Workspace // those a token may be narrowed to
	Created    *createdToken
	Form       tokenForm
	Expiries   []tokenExpiry
}

// tokenRow is a token with the names of the workspaces it is narrowed to.
type tokenRow struct {
	model.APIToken
	WorkspaceNames []string
}

// createdToken is the API's answer to a new token: its secret is shown on
// this page only.
type createdToken struct {
	Name   string `json:"name"`
	Secret string `json:"token"`
}

// tokenForm is the form to make a token, as typed.
type tokenForm struct {
	Name       string
	Write      bool
	Workspaces []string // slugs
	ExpiresIn  string
}

// tokenExpiry is one choice of a new token's lifetime.
type tokenExpiry struct{ Value, Label string }

func tokenExpiries(v *viewer) []tokenExpiry {
	return []tokenExpiry{{"", v.P.T("Never")}, {"720h", v.P.T("In 30 days")}, {"2160h", v.P.T("In 90 days")}, {"8760h", v.P.T("In a year")}}
}

func (c *Console) tokensPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	return c.renderTokens(w, r, v, http.StatusOK, &tokensSection{Form: tokenForm{ExpiresIn: "2160h"}}, "")
}

func (c *Console) renderTokens(w http.ResponseWriter, r *http.Request, v *viewer, status int, s *tokensSection, problem string) error {
	ts, err := c.store.APITokens(r.Context(), v.User.ID)
	if err != nil {
		return err
	}
	all, err := c.store.Workspaces(r.Context())
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, ws := range all {
		names[ws.ID] = ws.Name
	}
	for _, t := range ts {
		row := tokenRow{APIToken: t}
		for _, id := range t.Workspaces {
			row.WorkspaceNames = append(row.WorkspaceNames, names[id])
		}
		s.Tokens = append(s.Tokens, row)
	}
	s.Workspaces, s.Expiries = v.Workspaces, tokenExpiries(v)
	c.renderSettings(w, r, v, status, v.P.T("My API tokens"), &settingsData{settingsNav: settingsNav{Section: "tokens"}, Problem: problem, Tokens: s})
	return nil
}

// tokenCreate makes the viewer a token and shows its secret on the page
// it answers, never again: it is not kept anywhere (not even in a flash
// message), so reloading the list does not show it.
func (c *Console) tokenCreate(w http.ResponseWriter, r *http.Request, v *viewer) error {
	f := r.PostForm
	form := tokenForm{Name: strings.TrimSpace(f.Get("name")), Write: f.Get("access") == "write",
		Workspaces: f["workspaces"], ExpiresIn: f.Get("expires_in")}
	workspaces := form.Workspaces
	if workspaces == nil {
		workspaces = []string{}
	}
	a, err := c.callAPI(r, v, http.MethodPost, "/api/v1/me/tokens",
		map[string]any{"name": form.Name, "write": form.Write, "workspaces": workspaces, "expires_in": form.ExpiresIn})
	if err != nil {
		return err
	}
	if wantsJSON(r) {
		c.finish(w, r, v, a, "", "/settings/tokens")
		return nil
	}
	if !a.OK() {
		return c.renderTokens(w, r, v, a.Status, &tokensSection{Form: form}, a.Problem())
	}
	var created createdToken
	if err := json.Unmarshal(a.Body, &created); err != nil {
		return fmt.Errorf("read the API's new token: %w", err)
	}
	if created.Secret == "" {
		return errors.New("read the API's new token: no secret in the answer")
	}
	return c.renderTokens(w, r, v, http.StatusCreated, &tokensSection{Created: &created, Form: tokenForm{ExpiresIn: "2160h"}}, "")
}

func (c *Console) tokenRevoke(w http.ResponseWriter, r *http.Request, v *viewer) error {
	id := r.PathValue("id")
	if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
		return fmt.Errorf("token %q: %w", id, store.ErrNotFound)
	}
	return c.relay(w, r, v, http.MethodDelete, "/api/v1/me/tokens/"+id, nil, v.P.T("Token revoked: it no longer works."), "/settings/tokens")
}

// --- administration: workspaces and users -------------------------------------

// workspacesSection lists every workspace of the instance, with the form
// to create one.
type workspacesSection struct {
	Workspaces []model.Workspace
	Form       model.Workspace
}

func (c *Console) workspacesPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := requireAdmin(v); err != nil {
		return err
	}
	return c.renderWorkspaces(w, r, v, http.StatusOK, model.Workspace{Language: "fr"}, "")
}

func (c *Console) renderWorkspaces(w http.ResponseWriter, r *http.Request, v *viewer, status int, form model.Workspace, problem string) error {
	all, err := c.store.Workspaces(r.Context())
	if err != nil {
		return err
	}
	c.renderSettings(w, r, v, status, v.P.T("Workspaces"), &settingsData{settingsNav: settingsNav{Section: "workspaces"}, Problem: problem,
		Workspaces: &workspacesSection{Workspaces: all, Form: form}})
	return nil
}

func (c *Console) workspaceCreate(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := requireAdmin(v); err != nil {
		return err
	}
	f := r.PostForm
	form := model.Workspace{Slug: strings.TrimSpace(f.Get("slug")), Name: strings.TrimSpace(f.Get("name")),
		Sector: strings.TrimSpace(f.Get("sector")), Language: strings.TrimSpace(f.Get("language"))}
	a, err := c.callAPI(r, v, http.MethodPost, "/api/v1/workspaces",
		map[string]string{"slug": form.Slug, "name": form.Name, "sector": form.Sector, "language": form.Language})
	if err != nil {
		return err
	}
	if c.refused(w, r, v, a, func(status int, problem string) {
		err = c.renderWorkspaces(w, r, v, status, form, problem)
	}) {
		return err
	}
	c.finish(w, r, v, a, v.P.T("Workspace %s created.", form.Slug), "/settings/workspaces")
	return nil
}

// usersSection lists every user of the instance, with the form to create
// one, and the password of the one just created, shown this once.
type usersSection struct {
	Users   []model.User
	Form    model.User
	Created *createdUser
}

// createdUser is a new user's login and password, shown once.
type createdUser struct {
	Login, Password string
	Generated       bool
}

func (c *Console) usersPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := requireAdmin(v); err != nil {
		return err
	}
	return c.renderUsers(w, r, v, http.StatusOK, &usersSection{}, "")
}

func (c *Console) renderUsers(w http.ResponseWriter, r *http.Request, v *viewer, status int, s *usersSection, problem string) error {
	users, err := c.store.Users(r.Context())
	if err != nil {
		return err
	}
	slices.SortFunc(users, func(a, b model.User) int { return strings.Compare(a.Login, b.Login) })
	s.Users = users
	c.renderSettings(w, r, v, status, v.P.T("Users"), &settingsData{settingsNav: settingsNav{Section: "users"}, Problem: problem, Users: s})
	return nil
}

// newPassword makes a password for a new user: 20 characters of a random
// secret, as palabre user add makes.
func newPassword() (string, error) {
	secret, err := auth.NewSecret()
	if err != nil {
		return "", fmt.Errorf("generate a password: %w", err)
	}
	return secret[:20], nil
}

// userCreate creates a user with the password typed, or a generated one,
// and shows the password on the page it answers, never again.
func (c *Console) userCreate(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if err := requireAdmin(v); err != nil {
		return err
	}
	f := r.PostForm
	form := model.User{Login: strings.TrimSpace(f.Get("login")), Name: strings.TrimSpace(f.Get("name")), IsAdmin: f.Get("is_admin") != ""}
	password, generated := f.Get("password"), false
	if password == "" {
		var err error
		if password, err = newPassword(); err != nil {
			return err
		}
		generated = true
	}
	a, err := c.callAPI(r, v, http.MethodPost, "/api/v1/users",
		map[string]any{"login": form.Login, "name": form.Name, "password": password, "is_admin": form.IsAdmin})
	if err != nil {
		return err
	}
	if wantsJSON(r) {
		c.finish(w, r, v, a, "", "/settings/users")
		return nil
	}
	if !a.OK() {
		return c.renderUsers(w, r, v, a.Status, &usersSection{Form: form}, a.Problem())
	}
	var u model.User
	if err := json.Unmarshal(a.Body, &u); err != nil {
		return fmt.Errorf("read the API's new user: %w", err)
	}
	return c.renderUsers(w, r, v, http.StatusCreated, &usersSection{Created: &createdUser{Login: u.Login, Password: password, Generated: generated}}, "")
}
