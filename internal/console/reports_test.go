package console_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"palabre/internal/metrics"
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
	if res := lea.Get("/reports"); res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/reports/") {
		t.Fatalf("/reports: %d to %q", res.Status, res.Header.Get("Location"))
	}
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
	weeks := lea.Get("/reports/velo?every=week&by=assignee")
	contains(t, "by week and assignee", weeks, "By assignee", `<option value="week" selected>`)
}
