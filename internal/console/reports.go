package console

// Reports: a workspace's metrics over a period, as figures and charts
// drawn on the server (internal/chart), for its team and its clients.

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"palabre/internal/chart"
	"palabre/internal/httpx"
	"palabre/internal/i18n"
	"palabre/internal/insights"
	"palabre/internal/metrics"
	"palabre/internal/model"
	"palabre/internal/report"
	"palabre/internal/rollup"
	"palabre/internal/store"
)

func (c *Console) registerReports(mux Router) {
	mux.HandleFunc("GET /reports", c.page(c.reportsHome))
	mux.HandleFunc("GET /reports/{slug}", c.page(c.reports))
	mux.HandleFunc("GET /reports/{slug}/csv", c.page(c.reportsCSV))
	mux.HandleFunc("GET /reports/{slug}/insights.md", c.page(c.insightsFile))
	mux.HandleFunc("GET /reports/{slug}/insights.csv", c.page(c.insightsFile))
	mux.HandleFunc("POST /reports/{slug}/weights", c.page(c.saveWeights))
	mux.HandleFunc("GET /reports/{slug}/client", c.page(c.clientReport))
	mux.HandleFunc("POST /reports/{slug}/schedule", c.page(c.saveSchedule))
	mux.HandleFunc("POST /reports/{slug}/schedule/send", c.page(c.sendReport))
	mux.HandleFunc("POST /reports/{slug}/alerts", c.page(c.saveAlertSettings))
}

// reportsData fills reports.html.
type reportsData struct {
	Workspace  model.Workspace
	Workspaces []model.Workspace // those the viewer may see reports of
	Query      metrics.Query
	Answer     metrics.Answer
	// Insights are what the community said over the period.
	Insights insights.Answer
	// Manage: the viewer may change the engagement score's weights.
	Manage bool
	// Across: the page pools every workspace of Workspaces.
	Across bool
	// Slices are the ways the page may slice the figures.
	Slices  []string
	Problem string
	// Charts of the trend, and the labels of its steps.
	Volume, Sentiment, Response template.HTML
	Steps                       []string
	// Months a client report may be asked for, the newest first, and
	// the one picked by default (the last whole month).
	Months    []option
	LastMonth string
	// Schedule is the monthly report e-mail, shown to managers.
	Schedule *scheduleView
	// Alerts are the latest listening alerts, shown to the team, with
	// the first messages each names; AlertSettings their settings, to
	// managers.
	Alerts        []alertView
	AlertSettings *model.AlertSettings
	ShowAlerts    bool
}

// alertView is an alert with the first messages that caused it.
type alertView struct {
	model.Alert
	Quotes []store.AlertQuote
}

// alertsShown and quotesShown bound the alerts of a reports page.
const (
	alertsShown = 10
	quotesShown = 3
)

// readAlerts reads a workspace's latest alerts and their first messages.
func (c *Console) readAlerts(r *http.Request, ws model.Workspace) ([]alertView, error) {
	list, err := c.store.Alerts(r.Context(), ws.ID, alertsShown)
	if err != nil {
		return nil, err
	}
	out := make([]alertView, len(list))
	for i, a := range list {
		out[i].Alert = a
		if out[i].Quotes, err = c.store.AlertQuotes(r.Context(), ws.ID, a.MessageIDs[:min(len(a.MessageIDs), quotesShown)]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// saveAlertSettings hands the alerts' form to the API.
func (c *Console) saveAlertSettings(w http.ResponseWriter, r *http.Request, v *viewer) error {
	d, err := reportQuery(r, v)
	if err != nil {
		return err
	}
	f := r.PostForm
	set := map[string]any{"enabled": f.Get("enabled") == "on", "keywords": formList(f.Get("keywords")),
		"recipients": strings.Fields(strings.Join(formList(f.Get("recipients")), " "))}
	if k, ok := formNumbers(f, set, "window_minutes", "factor", "min_messages"); !ok {
		setFlash(w, flash{Text: v.P.T("%s: %q is not a number.", k, f.Get(k)), Error: true})
		http.Redirect(w, r, "/reports/"+url.PathEscape(d.Workspace.Slug)+"#alerts", http.StatusSeeOther)
		return nil
	}
	return c.relay(w, r, v, http.MethodPut, apiWorkspacePath(d.Workspace, "alert-settings"), set,
		v.P.T("Alerts saved."), "/reports/"+url.PathEscape(d.Workspace.Slug)+"#alerts")
}

// scheduleView is what the API answers of a monthly report e-mail.
type scheduleView struct {
	Schedule   model.ReportSchedule   `json:"schedule"`
	Deliveries []model.ReportDelivery `json:"deliveries"`
	Mail       bool                   `json:"mail"`
}

// Recipients are the schedule's addresses, one a line.
func (s *scheduleView) Recipients() string { return strings.Join(s.Schedule.Recipients, "\n") }

// option is one choice of a select: its value and its label.
type option struct{ Value, Label string }

// reportMonths are the months a client report may be asked for at now in
// loc: the current one and the twelve before.
func reportMonths(p *i18n.Printer, now time.Time, loc *time.Location) []option {
	t := now.In(loc)
	first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
	out := make([]option, 13)
	for i := range out {
		m := first.AddDate(0, -i, 0)
		out[i] = option{Value: m.Format("2006-01"), Label: p.MonthYear(m, nil)}
	}
	out[0].Label = p.T("%s (so far)", out[0].Label)
	return out
}

// clientReport answers a month's client report: the page itself, or its
// PDF or CSV file.
func (c *Console) clientReport(w http.ResponseWriter, r *http.Request, v *viewer) error {
	d, err := reportQuery(r, v)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	format := cmp.Or(q.Get("format"), "html")
	if !slices.Contains(report.Formats(), format) {
		httpx.WriteProblem(w, http.StatusBadRequest, fmt.Sprintf("format %q: want pdf, html or csv", format))
		return nil
	}
	month := q.Get("month")
	if month == "" {
		if month, err = report.DefaultMonth(r.Context(), c.store, d.Workspace.ID, v.Now); err != nil {
			return err
		}
	}
	doc, err := report.Build(r.Context(), c.store, d.Workspace, month, v.P.Lang(), v.Now)
	if errors.Is(err, report.ErrBadMonth) || errors.Is(err, metrics.ErrBadQuery) {
		httpx.WriteProblem(w, http.StatusBadRequest, err.Error())
		return nil
	}
	if err != nil {
		return err
	}
	if format == "html" {
		csp, err := report.ContentSecurityPolicy()
		if err != nil {
			return err
		}
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("Content-Type", report.ContentType(format))
		h.Set("Cache-Control", "no-store")
		return report.WriteHTML(w, doc)
	}
	httpx.Attachment(w, report.ContentType(format), report.FileName(doc, format))
	return report.Write(w, doc, format, v.Now)
}

// reportWorkspaces are the workspaces whose reports the viewer sees: all
// theirs but those they are only an expert in.
func reportWorkspaces(v *viewer) []model.Workspace {
	var out []model.Workspace
	for _, ws := range v.Workspaces {
		if r := v.Roles[ws.ID]; r != "" && r != model.RoleExpert {
			out = append(out, ws)
		}
	}
	return out
}

// ReadsReports reports whether the viewer sees the reports of a
// workspace: owners, managers, CMs and clients do, experts do not.
func (v *viewer) ReadsReports() bool { return len(reportWorkspaces(v)) > 0 }

// reportsHome pools the reports of the viewer's workspaces, in their time
// zone, by workspace unless asked otherwise; with one workspace, it opens
// its reports.
func (c *Console) reportsHome(w http.ResponseWriter, r *http.Request, v *viewer) error {
	list := reportWorkspaces(v)
	if len(list) == 0 {
		return fmt.Errorf("reports: %w", store.ErrNotFound)
	}
	if len(list) == 1 {
		http.Redirect(w, r, "/reports/"+url.PathEscape(list[0].Slug), http.StatusSeeOther)
		return nil
	}
	q := r.URL.Query()
	d := reportsData{Workspaces: list, Across: true, Slices: []string{"workspace", "sector", "channel", "assignee", "topic"},
		Query: metrics.Query{From: q.Get("from"), To: q.Get("to"), Every: q.Get("every"), By: cmp.Or(q.Get("by"), "workspace")}}
	scopes := make([]metrics.Scope, len(list))
	for i, ws := range list {
		scopes[i] = metrics.Scope{ID: ws.ID, Slug: ws.Slug, Sector: ws.Sector}
	}
	ask := func(q metrics.Query) (metrics.Answer, error) {
		return metrics.AskAcross(r.Context(), c.store, scopes, q, v.Loc, v.Now)
	}
	return c.renderReports(w, r, v, &d, ask)
}

// reportQuery reads the workspace of a reports page and the query asked
// of it (sliced by channel unless asked otherwise).
func reportQuery(r *http.Request, v *viewer) (reportsData, error) {
	list := reportWorkspaces(v)
	i := slices.IndexFunc(list, func(ws model.Workspace) bool { return ws.Slug == r.PathValue("slug") })
	if i < 0 {
		return reportsData{}, fmt.Errorf("workspace %q: %w", r.PathValue("slug"), store.ErrNotFound)
	}
	q := r.URL.Query()
	d := reportsData{Workspace: list[i], Workspaces: list,
		Query: metrics.Query{From: q.Get("from"), To: q.Get("to"), Every: q.Get("every"), By: q.Get("by")}}
	if d.Query.By == "" {
		d.Query.By = "channel"
	}
	return d, nil
}

// reportsCSV answers a reports page's figures as a CSV file.
func (c *Console) reportsCSV(w http.ResponseWriter, r *http.Request, v *viewer) error {
	d, err := reportQuery(r, v)
	if err != nil {
		return err
	}
	a, err := rollup.Ask(r.Context(), c.store, d.Workspace.ID, d.Query, v.Now)
	if errors.Is(err, metrics.ErrBadQuery) {
		httpx.WriteProblem(w, http.StatusBadRequest, err.Error())
		return nil
	}
	if err != nil {
		return err
	}
	httpx.Attachment(w, httpx.ContentTypeCSV, fmt.Sprintf("palabre-%s-%s-%s.csv", d.Workspace.Slug, a.From, a.To))
	return metrics.WriteCSV(w, a)
}

// insightsFile answers a reports page's insights as a Markdown or CSV
// file.
func (c *Console) insightsFile(w http.ResponseWriter, r *http.Request, v *viewer) error {
	d, err := reportQuery(r, v)
	if err != nil {
		return err
	}
	a, err := insights.Ask(r.Context(), c.store, d.Workspace.ID, d.Query, v.Now)
	if errors.Is(err, metrics.ErrBadQuery) {
		httpx.WriteProblem(w, http.StatusBadRequest, err.Error())
		return nil
	}
	if err != nil {
		return err
	}
	name := fmt.Sprintf("palabre-%s-insights-%s-%s", d.Workspace.Slug, a.From, a.To)
	if strings.HasSuffix(r.URL.Path, ".csv") {
		httpx.Attachment(w, httpx.ContentTypeCSV, name+".csv")
		return insights.WriteCSV(w, a)
	}
	httpx.Attachment(w, "text/markdown; charset=utf-8", name+".md")
	return insights.WriteMarkdown(w, v.P.T("What the community of %s said", d.Workspace.Name), a)
}

// saveWeights hands the engagement score's weights to the API.
func (c *Console) saveWeights(w http.ResponseWriter, r *http.Request, v *viewer) error {
	d, err := reportQuery(r, v)
	if err != nil {
		return err
	}
	f := r.PostForm
	weights := map[string]any{}
	if k, ok := formNumbers(f, weights, "messages", "conversations", "days", "positive", "helpful", "negative"); !ok {
		setFlash(w, flash{Text: v.P.T("Weight %q: %s is not a number.", k, f.Get(k)), Error: true})
		http.Redirect(w, r, "/reports/"+url.PathEscape(d.Workspace.Slug)+"#engaged", http.StatusSeeOther)
		return nil
	}
	return c.relay(w, r, v, http.MethodPut, apiWorkspacePath(d.Workspace, "engagement-weights"), weights,
		v.P.T("Engagement score weights saved."), "/reports/"+url.PathEscape(d.Workspace.Slug)+"#engaged")
}

// reports answers a workspace's reports over the period asked.
func (c *Console) reports(w http.ResponseWriter, r *http.Request, v *viewer) error {
	d, err := reportQuery(r, v)
	if err != nil {
		return err
	}
	d.Manage, d.Slices = v.manages(d.Workspace.ID), []string{"channel", "assignee", "topic"}
	ask := func(q metrics.Query) (metrics.Answer, error) {
		return rollup.Ask(r.Context(), c.store, d.Workspace.ID, q, v.Now)
	}
	return c.renderReports(w, r, v, &d, ask)
}

// renderReports answers a reports page with what ask answers of its
// query.
func (c *Console) renderReports(w http.ResponseWriter, r *http.Request, v *viewer, d *reportsData, ask func(metrics.Query) (metrics.Answer, error)) error {
	status := http.StatusOK
	a, err := ask(d.Query)
	if errors.Is(err, metrics.ErrBadQuery) {
		// Asked again with the defaults; the form keeps what was typed.
		status, d.Problem = http.StatusBadRequest, err.Error()
		a, err = ask(metrics.Query{By: d.Slices[0]})
	}
	if err != nil {
		return err
	}
	d.Answer = a
	if !d.Across {
		if d.Insights, err = insights.Ask(r.Context(), c.store, d.Workspace.ID, metrics.Query{From: a.From, To: a.To}, v.Now); err != nil {
			return err
		}
	}
	if d.Query.From == "" {
		d.Query.From = a.From
	}
	if d.Query.To == "" {
		d.Query.To = a.To
	}
	if d.Query.Every == "" {
		d.Query.Every = a.Every
	}
	c.trendCharts(v, d)
	if !d.Across {
		loc, err := time.LoadLocation(a.TimeZone)
		if err != nil {
			return err
		}
		d.Months, d.LastMonth = reportMonths(v.P, v.Now, loc), report.LastMonth(v.Now, loc)
		if d.Manage {
			if d.Schedule, err = c.readSchedule(r, v, d.Workspace); err != nil {
				return err
			}
			set, err := c.store.AlertSettings(r.Context(), d.Workspace.ID)
			if err != nil {
				return err
			}
			d.AlertSettings = &set
		}
		if d.ShowAlerts = v.works(d.Workspace.ID); d.ShowAlerts {
			if d.Alerts, err = c.readAlerts(r, d.Workspace); err != nil {
				return err
			}
		}
	}
	title := v.P.T("Reports of %s", d.Workspace.Name)
	if d.Across {
		title = v.P.T("Reports of all my workspaces")
	}
	c.render(w, r, v, status, "reports.html", &layoutData{Title: title, Nav: "reports"}, *d)
	return nil
}

// trendCharts draws the answer's trend: messages in and out, customers'
// sentiment, and the median first response, per step.
func (c *Console) trendCharts(v *viewer, d *reportsData) {
	loc, err := time.LoadLocation(d.Answer.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	var charts []chart.Bars
	charts, d.Steps = report.TrendCharts(v.P, d.Answer.Trend, loc, report.ChartTitles{Volume: v.P.T("Messages in and out"),
		Response: v.P.T("Median first response, in business hours"), ResponseSeries: v.P.T("median first response")})
	d.Volume, d.Sentiment, d.Response = charts[0].SVG(), charts[1].SVG(), charts[2].SVG()
}

// readSchedule asks the API for a workspace's monthly report e-mail.
func (c *Console) readSchedule(r *http.Request, v *viewer, ws model.Workspace) (*scheduleView, error) {
	a, err := c.callAPI(r, v, http.MethodGet, apiWorkspacePath(ws, "report-schedule"), nil)
	if err != nil {
		return nil, err
	}
	if !a.OK() {
		return nil, fmt.Errorf("report schedule of %s: %d %s", ws.Slug, a.Status, a.Body)
	}
	var s scheduleView
	if err := json.Unmarshal(a.Body, &s); err != nil {
		return nil, fmt.Errorf("report schedule of %s: %w", ws.Slug, err)
	}
	return &s, nil
}

// saveSchedule hands the monthly report e-mail's form to the API.
func (c *Console) saveSchedule(w http.ResponseWriter, r *http.Request, v *viewer) error {
	d, err := reportQuery(r, v)
	if err != nil {
		return err
	}
	f := r.PostForm
	recipients := strings.Fields(strings.Join(formList(f.Get("recipients")), " "))
	return c.relay(w, r, v, http.MethodPut, apiWorkspacePath(d.Workspace, "report-schedule"),
		map[string]any{"enabled": f.Get("enabled") == "on", "recipients": recipients, "lang": f.Get("lang")},
		v.P.T("Monthly report e-mail saved."), "/reports/"+url.PathEscape(d.Workspace.Slug)+"#schedule")
}

// sendReport asks the API to send a month's report now.
func (c *Console) sendReport(w http.ResponseWriter, r *http.Request, v *viewer) error {
	d, err := reportQuery(r, v)
	if err != nil {
		return err
	}
	month := r.PostForm.Get("month")
	return c.relay(w, r, v, http.MethodPost, apiWorkspacePath(d.Workspace, "report-schedule/send"), map[string]any{"month": month},
		v.P.T("The report of %s is on its way.", month), "/reports/"+url.PathEscape(d.Workspace.Slug)+"#schedule")
}

// formList reads a form's field of one item a line (or separated by
// commas or semicolons), each trimmed, empty ones left out.
func formList(s string) []string {
	var out []string
	for _, item := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == ';' }) {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// formNumbers puts the form's fields keys, read as numbers, into out; it
// returns the first that is not a number, and false.
func formNumbers(f url.Values, out map[string]any, keys ...string) (string, bool) {
	for _, k := range keys {
		n, err := strconv.ParseFloat(strings.TrimSpace(f.Get(k)), 64)
		if err != nil {
			return k, false
		}
		out[k] = n
	}
	return "", true
}
