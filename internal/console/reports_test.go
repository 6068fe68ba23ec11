package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"palabre/internal/metrics"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// TestReports opens a workspace's reports: its figures are the metrics'
// (checked against hand-worked answers in internal/metrics), drawn as
// SVG, for the team and the workspace's client, not for an expert or
// another workspace's client; a bad period is said and the defaults shown.
func TestReports(t *testing.T) {
	st := testutil.NewStore(t, store.EngineSQLite)
	a := newAgency(t, st)
	lea, marc, claire := a.session(t, "lea"), a.session(t, "marc"), a.session(t, "claire")
	// A client of one workspace goes to its reports; Léa, CM of two, sees
	// both pooled, by workspace.
	if res := marc.Get("/reports"); res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/reports/velo" {
		t.Fatalf("/reports for a client: %d to %q", res.Status, res.Header.Get("Location"))
	}
	// The menu leads CMs and clients to the reports, not experts.
	contains(t, "a CM's menu", lea.Get("/inbox"), `href="/reports"`)
	contains(t, "a client's menu", marc.Get("/inbox"), `href="/reports"`)
	lacks(t, "an expert's menu", claire.Get("/inbox"), `href="/reports"`)
	all := lea.Get("/reports")
	if all.Status != http.StatusOK {
		t.Fatalf("/reports for Léa: %d", all.Status)
	}
	contains(t, "all my workspaces", all, "All my workspaces", "By workspace", `<th scope="row">banque</th>`, `<th scope="row">velo</th>`, `<svg class="chart"`)
	lacks(t, "all my workspaces", all, "What the community said")
	contains(t, "all my workspaces by sector", lea.Get("/reports?by=sector"), "By sector")
	want, err := metrics.Ask(context.Background(), st, a.velo.ID, metrics.Query{By: "channel"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if want.Total.In == 0 {
		t.Fatal("the agency wrote nothing in the last 30 days")
	}
	page := lea.Get("/reports/velo")
	contains(t, "reports", page, `<svg class="chart"`, "Messages from the community</dt><dd>"+fmt.Sprint(want.Total.In)+"</dd>",
		"Messages from the team</dt><dd>"+fmt.Sprint(want.Total.Out)+"</dd>", "By channel", `<th scope="row">blog</th>`)
	if n := strings.Count(page.Body, `<svg class="chart"`); n != 3 {
		t.Errorf("%d charts, want 3", n)
	}
	contains(t, "client", marc.Get("/reports/velo"), `<svg class="chart"`)
	if res := marc.Get("/reports/banque"); res.Status != http.StatusNotFound {
		t.Errorf("a client of velo opening banque's reports: %d", res.Status)
	}
	if res := claire.Get("/reports/velo"); res.Status != http.StatusNotFound {
		t.Errorf("an expert opening the reports: %d", res.Status)
	}
	bad := lea.Get("/reports/velo?from=2026-02-30&every=week")
	if bad.Status != http.StatusBadRequest {
		t.Fatalf("a bad date: %d", bad.Status)
	}
	contains(t, "bad date", bad, `class="problem"`, `from &#34;2026-02-30&#34;`, `value="2026-02-30"`, `<svg class="chart"`)
	file := marc.Get("/reports/velo/csv?every=week&by=topic")
	if file.Status != http.StatusOK || !strings.HasPrefix(file.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(file.Header.Get("Content-Disposition"), `filename="palabre-velo-`) ||
		!strings.HasPrefix(file.Body, "scope,key,from,to,in,out,") || !strings.Contains(file.Body, "\ntotal,,") ||
		!strings.Contains(file.Body, fmt.Sprintf(",%d,%d,", want.Total.In, want.Total.Out)) {
		t.Errorf("CSV: %d %q %q\n%s", file.Status, file.Header.Get("Content-Type"), file.Header.Get("Content-Disposition"), file.Body)
	}
	if res := lea.Get("/reports/velo/csv?to=yesterday"); res.Status != http.StatusBadRequest {
		t.Errorf("CSV of a bad period: %d", res.Status)
	}
	contains(t, "insights", page, "What the community said", "Questions asked most", "Quand ouvrez-vous le samedi ?")
	md := marc.Get("/reports/velo/insights.md")
	if md.Status != http.StatusOK || !strings.HasPrefix(md.Header.Get("Content-Type"), "text/markdown") ||
		!strings.HasPrefix(md.Body, "# What the community of Vélo Atelier said") || !strings.Contains(md.Body, "Quand ouvrez-vous le samedi ?") {
		t.Errorf("insights as Markdown: %d %q\n%s", md.Status, md.Header.Get("Content-Type"), md.Body)
	}
	if f := lea.Get("/reports/velo/insights.csv"); f.Status != http.StatusOK || !strings.HasPrefix(f.Body, "topic,kind,text,count,before,message_id,at\n") {
		t.Errorf("insights as CSV: %d\n%s", f.Status, f.Body)
	}
	if res := claire.Get("/reports/velo/insights.md"); res.Status != http.StatusNotFound {
		t.Errorf("an expert's insights: %d", res.Status)
	}
	// The most engaged members; the weights of their score, which a
	// manager changes and a CM does not see.
	contains(t, "engaged", page, "Most engaged members", "/workspaces/velo/people/")
	lacks(t, "engaged, for a CM", page, `action="/reports/velo/weights"`)
	nadia := a.session(t, "nadia")
	contains(t, "engaged, for a manager", nadia.Get("/reports/velo"), `action="/reports/velo/weights"`)
	weights := url.Values{"messages": {"1"}, "conversations": {"2"}, "days": {"3"}, "positive": {"2"}, "helpful": {"7.5"}, "negative": {"1"}}
	if res := nadia.Submit("/reports/velo/weights", weights); res.Status != http.StatusSeeOther {
		t.Fatalf("weights: %d", res.Status)
	}
	if w, err := st.EngagementWeights(context.Background(), a.velo.ID); err != nil || w.Helpful != 7.5 {
		t.Errorf("weights kept: %+v, %v", w, err)
	}
	weights.Set("days", "many")
	nadia.Submit("/reports/velo/weights", weights)
	contains(t, "a bad weight", nadia.Get("/reports/velo"), "is not a number")
	lea.Submit("/reports/velo/weights", url.Values{"messages": {"9"}, "conversations": {"9"}, "days": {"9"}, "positive": {"9"}, "helpful": {"9"}, "negative": {"9"}})
	if w, _ := st.EngagementWeights(context.Background(), a.velo.ID); w.Messages == 9 {
		t.Error("a CM changed the weights")
	}
	weeks := lea.Get("/reports/velo?every=week&by=assignee")
	contains(t, "by week and assignee", weeks, "By assignee", `<option value="week" selected>`)
}

// TestClientReport opens a month's client report from the reports page:
// the page (its style allowed by its hash alone), the PDF and the CSV;
// a client of another workspace and an expert get nothing.
func TestClientReport(t *testing.T) {
	st := testutil.NewStore(t, store.EngineSQLite)
	a := newAgency(t, st)
	marc, claire := a.session(t, "marc"), a.session(t, "claire")
	month := time.Now().Format("2006-01")
	contains(t, "the reports page", marc.Get("/reports/velo"), `action="/reports/velo/client"`, `<option value="`+month+`">`)
	page := marc.Get("/reports/velo/client?month=" + month + "&format=html")
	csp := page.Header.Get("Content-Security-Policy")
	if page.Status != http.StatusOK || !strings.Contains(csp, "style-src 'sha256-") || !strings.Contains(csp, "default-src 'none'") {
		t.Fatalf("report page: %d, policy %q", page.Status, csp)
	}
	contains(t, "the report page", page, "<h1>Community report<small>Vélo Atelier · ", `<svg class="chart"`, "Key figures")
	pdf := marc.Get("/reports/velo/client?month=" + month + "&format=pdf")
	if pdf.Status != http.StatusOK || !strings.HasPrefix(pdf.Body, "%PDF-") || pdf.Header.Get("Content-Type") != "application/pdf" ||
		!strings.Contains(pdf.Header.Get("Content-Disposition"), "palabre-velo-"+month+".pdf") {
		t.Errorf("PDF: %d %q %q", pdf.Status, pdf.Header.Get("Content-Type"), pdf.Header.Get("Content-Disposition"))
	}
	if csv := marc.Get("/reports/velo/client?month=" + month + "&format=csv"); csv.Status != http.StatusOK || !strings.HasPrefix(csv.Body, "scope,key,from,to,") {
		t.Errorf("CSV: %d %.80q", csv.Status, csv.Body)
	}
	for _, q := range []string{"month=2026-13", "month=" + month + "&format=docx"} {
		if res := marc.Get("/reports/velo/client?" + q); res.Status != http.StatusBadRequest {
			t.Errorf("%s: %d", q, res.Status)
		}
	}
	if res := marc.Get("/reports/banque/client?month=" + month); res.Status != http.StatusNotFound {
		t.Errorf("a client of velo, banque's report: %d", res.Status)
	}
	if res := claire.Get("/reports/velo/client?month=" + month); res.Status != http.StatusNotFound {
		t.Errorf("an expert, a client report: %d", res.Status)
	}
}

// TestReportScheduleForm lets a manager send the monthly report by e-mail
// from the reports page; a CM does not see the form.
func TestReportScheduleForm(t *testing.T) {
	st := testutil.NewStore(t, store.EngineSQLite)
	a := newAgency(t, st)
	lea, nadia := a.session(t, "lea"), a.session(t, "nadia")
	lacks(t, "a CM's reports", lea.Get("/reports/velo"), `action="/reports/velo/schedule"`)
	page := nadia.Get("/reports/velo")
	contains(t, "a manager's reports", page, `action="/reports/velo/schedule"`, "Monthly report by e-mail", "This server sends no e-mail yet")
	lacks(t, "no recipient yet", page, `action="/reports/velo/schedule/send"`)
	if res := nadia.Submit("/reports/velo/schedule", url.Values{"enabled": {"on"}, "recipients": {"anne@example.org\nnot an address"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("schedule: %d", res.Status)
	}
	contains(t, "a bad recipient", nadia.Get("/reports/velo"), "is not one e-mail address")
	nadia.Submit("/reports/velo/schedule", url.Values{"enabled": {"on"}, "recipients": {"anne@example.org\r\npaul@example.org"}, "lang": {"fr"}})
	sc, err := st.ReportSchedule(context.Background(), a.velo.ID)
	if err != nil || !sc.Enabled || len(sc.Recipients) != 2 || sc.Lang != "fr" {
		t.Fatalf("schedule kept: %+v, %v", sc, err)
	}
	month := time.Now().AddDate(0, -1, 0).Format("2006-01")
	if res := nadia.Submit("/reports/velo/schedule/send", url.Values{"month": {month}}); res.Status != http.StatusSeeOther {
		t.Fatalf("send: %d", res.Status)
	}
	contains(t, "queued", nadia.Get("/reports/velo"), "is on its way", `<tr><th scope="row">`+month+`</th><td>pending</td>`)
	if res := lea.Submit("/reports/velo/schedule", url.Values{"recipients": {"x@example.org"}}); res.Status == http.StatusOK {
		t.Errorf("a CM changed the schedule")
	}
	if sc, _ := st.ReportSchedule(context.Background(), a.velo.ID); len(sc.Recipients) != 2 {
		t.Errorf("a CM changed the schedule: %+v", sc)
	}
}

// TestAlertsSection shows the team the latest alerts with the messages
// that caused them, and lets a manager set what raises one.
func TestAlertsSection(t *testing.T) {
	st := testutil.NewStore(t, store.EngineSQLite)
	a := newAgency(t, st)
	lea, nadia, marc := a.session(t, "lea"), a.session(t, "nadia"), a.session(t, "marc")
	contains(t, "a CM, no alert yet", lea.Get("/reports/velo"), "Listening alerts", "No alert yet.")
	lacks(t, "a CM", lea.Get("/reports/velo"), `action="/reports/velo/alerts"`)
	lacks(t, "a client", marc.Get("/reports/velo"), "Listening alerts")
	form := url.Values{"enabled": {"on"}, "keywords": {"rappel produit\r\nconcurrent"}, "recipients": {"cm@example.org"},
		"window_minutes": {"30"}, "factor": {"4"}, "min_messages": {"3"}}
	if res := nadia.Submit("/reports/velo/alerts", form); res.Status != http.StatusSeeOther {
		t.Fatalf("alerts form: %d", res.Status)
	}
	set, err := st.AlertSettings(context.Background(), a.velo.ID)
	if err != nil || !set.Enabled || len(set.Keywords) != 2 || set.WindowMinutes != 30 || set.Factor != 4 || set.MinMessages != 3 {
		t.Fatalf("settings kept: %+v, %v", set, err)
	}
	form.Set("factor", "lots")
	nadia.Submit("/reports/velo/alerts", form)
	contains(t, "a bad factor", nadia.Get("/reports/velo"), "is not a number")
	// An alert naming one of velo's messages.
	page, err := st.Conversations(context.Background(), a.velo.ID, store.ConversationFilter{Limit: 1})
	if err != nil || len(page.Conversations) == 0 {
		t.Fatal(err)
	}
	convID := page.Conversations[0].ID
	msgs, err := st.ConversationMessages(context.Background(), convID)
	if err != nil || len(msgs) == 0 {
		t.Fatal(err)
	}
	msg := msgs[0]
	watched, err := st.WatchedWorkspaces(context.Background())
	if err != nil || len(watched) != 1 {
		t.Fatalf("watched %+v, %v", watched, err)
	}
	now := time.Now()
	raised, err := st.RaiseAlerts(context.Background(), a.velo.ID, []model.Alert{{Kind: "keyword", Subject: "concurrent", From: now.Add(-time.Hour),
		To: now, Count: 1, MessageIDs: []int64{msg.ID}, Bucket: msg.ID, Headline: `Keyword "concurrent": 1 new message`}},
		watched[0].Seen, watched[0].Newest, now)
	if err != nil || len(raised) != 1 {
		t.Fatalf("raised %+v, %v", raised, err)
	}
	contains(t, "an alert", lea.Get("/reports/velo"), `Keyword &#34;concurrent&#34;: 1 new message`,
		fmt.Sprintf(`href="/conversations/%d#m%d"`, convID, msg.ID))
}
