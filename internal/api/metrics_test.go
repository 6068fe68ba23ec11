package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"palabre/internal/metrics"
	"palabre/internal/metrics/metricstest"
	"palabre/internal/model"
	"palabre/internal/sla"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// TestMetrics asks a workspace's metrics: the period is read in the time
// zone of its SLA calendar, sliced as asked, and bad requests are refused
// with a problem. (The figures themselves are checked against hand-worked
// answers in internal/metrics and internal/store.)
func TestMetrics(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		if err := st.SetSLASettings(ctx, w.a.ID, sla.Settings{Calendar: metricstest.Calendar()}, "test"); err != nil {
			t.Fatal(err)
		}
		var got struct {
			TimeZone string `json:"time_zone"`
			From, To string
			By       string
			Every    string
			Trend    []metrics.Report
			Total    metrics.Report
			Previous metrics.Report
			Groups   []struct {
				Key    string
				Report metrics.Report
			}
		}
		decode(t, w.as(t, model.RoleClient, "GET", "/api/v1/workspaces/velo/metrics?from=2026-03-01&to=2026-04-01", ""), http.StatusOK, &got)
		paris, err := time.LoadLocation("Europe/Paris")
		if err != nil {
			t.Fatal(err)
		}
		if got.TimeZone != "Europe/Paris" || got.From != "2026-03-01" || got.To != "2026-04-01" ||
			!got.Total.Period.From.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, paris)) || got.Total.Period.From.UTC().Hour() != 23 ||
			!got.Total.Period.To.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, paris)) || got.Total.Period.To.UTC().Hour() != 22 {
			t.Errorf("March in Paris: %s %s–%s, %+v", got.TimeZone, got.From, got.To, got.Total.Period)
		}
		if p := got.Previous.Period; !p.From.Equal(time.Date(2026, 2, 1, 0, 0, 0, 0, paris)) || !p.To.Equal(got.Total.Period.From) {
			t.Errorf("March is compared with %+v, want February", p)
		}
		if got.Every != "day" || len(got.Trend) != 31 || !got.Trend[30].Period.To.Equal(got.Total.Period.To) {
			t.Errorf("March's trend: every %s, %d steps", got.Every, len(got.Trend))
		}
		decode(t, w.as(t, model.RoleClient, "GET", "/api/v1/workspaces/velo/metrics?from=2026-03-01&to=2026-04-01&every=week", ""), http.StatusOK, &got)
		if got.Every != "week" || len(got.Trend) != 6 {
			t.Errorf("March by week: every %s, %d steps", got.Every, len(got.Trend))
		}
		// By default the 30 days up to today.
		decode(t, w.as(t, model.RoleCM, "GET", "/api/v1/workspaces/velo/metrics", ""), http.StatusOK, &got)
		today := time.Now().In(paris)
		if got.To != today.AddDate(0, 0, 1).Format("2006-01-02") || got.From != today.AddDate(0, 0, -29).Format("2006-01-02") {
			t.Errorf("default period %s–%s, today %s", got.From, got.To, today.Format(time.DateOnly))
		}
		// Over the world's years, sliced by channel: the slices add up to
		// the whole.
		since := today.AddDate(0, 0, -3600).Format("2006-01-02")
		decode(t, w.as(t, model.RoleCM, "GET", "/api/v1/workspaces/velo/metrics?by=channel&from="+since, ""), http.StatusOK, &got)
		if got.By != "channel" || len(got.Groups) == 0 || got.Total.In == 0 {
			t.Fatalf("by channel: %d groups, total %+v", len(got.Groups), got.Total)
		}
		in, out := 0, 0
		for _, g := range got.Groups {
			in, out = in+g.Report.In, out+g.Report.Out
		}
		if in != got.Total.In || out != got.Total.Out {
			t.Errorf("channels add up to %d in, %d out; the whole is %d, %d", in, out, got.Total.In, got.Total.Out)
		}
		// Across workspaces: in the time zone asked, of the sector asked.
		decode(t, w.as(t, model.RoleCM, "GET", "/api/v1/metrics?from=2026-03-01&to=2026-04-01&tz=America/New_York", ""), http.StatusOK, &got)
		if got.TimeZone != "America/New_York" || got.Total.Period.From.UTC().Hour() != 5 || got.By != "workspace" {
			t.Errorf("across, in New York: %s %+v by %s", got.TimeZone, got.Total.Period, got.By)
		}
		got.Groups = nil
		decode(t, w.as(t, model.RoleCM, "GET", "/api/v1/metrics?sector=nothing-here", ""), http.StatusOK, &got)
		if len(got.Groups) != 0 || got.Total.In != 0 {
			t.Errorf("a sector without workspaces: %d groups, %d in", len(got.Groups), got.Total.In)
		}
		checkProblem(t, w.as(t, model.RoleCM, "GET", "/api/v1/metrics?tz=Mars/Olympus", ""), http.StatusBadRequest, `tz "Mars/Olympus"`)
		checkProblem(t, w.as(t, model.RoleCM, "GET", "/api/v1/metrics?by=colour", ""), http.StatusBadRequest, `by "colour"`)
		for _, bad := range []struct{ query, says string }{
			{"from=2026-13-01", `from "2026-13-01"`},
			{"from=2026-03-01&to=2026-03-01", "not before"},
			{"from=2000-01-01&to=2026-01-01", "at most"},
			{"by=colour", `by "colour"`},
			{"every=hour", `step "hour"`},
			{"from=2020-01-01&to=2026-01-01&every=day", "more than 400 steps"},
		} {
			checkProblem(t, w.as(t, model.RoleCM, "GET", "/api/v1/workspaces/velo/metrics?"+bad.query, ""), http.StatusBadRequest, bad.says)
		}
	})
}

// TestReports asks a month's client report as JSON and as each file, and
// refuses a bad month, format or language with a problem.
func TestReports(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		var d struct {
			Title, Month, Period string
			Summary              []string
			Figures              struct{ Rows [][]string }
		}
		decode(t, w.as(t, model.RoleClient, "GET", "/api/v1/workspaces/velo/reports/2026-03?lang=fr", ""), http.StatusOK, &d)
		if d.Title != "Rapport de communauté" || d.Month != "2026-03" || d.Period != "mars 2026" || len(d.Summary) == 0 || len(d.Figures.Rows) < 10 {
			t.Errorf("report %+v", d)
		}
		for ext, want := range map[string]string{".pdf": "%PDF-", ".html": "<!doctype html>", ".csv": "scope,key,from,to,in,out"} {
			res := w.as(t, model.RoleClient, "GET", "/api/v1/workspaces/velo/reports/2026-03"+ext, "")
			if res.status != http.StatusOK || !strings.HasPrefix(string(res.body), want) ||
				!strings.Contains(res.header.Get("Content-Disposition"), "palabre-velo-2026-03"+ext) {
				t.Errorf("%s: %d %q %.40q", ext, res.status, res.header.Get("Content-Disposition"), res.body)
			}
		}
		for _, path := range []string{"/reports/2026-13", "/reports/march", "/reports/2026-03.docx", "/reports/2026-03?lang=de"} {
			res := w.as(t, model.RoleClient, "GET", "/api/v1/workspaces/velo"+path, "")
			if res.status != http.StatusBadRequest || !strings.Contains(res.header.Get("Content-Type"), "problem+json") {
				t.Errorf("%s: %d %s", path, res.status, res.body)
			}
		}
		// A client of velo reads nothing of banque.
		if res := w.as(t, model.RoleClient, "GET", "/api/v1/workspaces/banque/reports/2026-03.pdf", ""); res.status != http.StatusNotFound {
			t.Errorf("another workspace's report: %d", res.status)
		}
	})
}

// TestReportSchedule sets a workspace's monthly report e-mail and asks a
// month sent now; bad recipients and months are refused.
func TestReportSchedule(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		path := "/api/v1/workspaces/velo/report-schedule"
		var got struct {
			Schedule   model.ReportSchedule
			Deliveries []model.ReportDelivery
			Mail       bool
		}
		decode(t, w.as(t, model.RoleCM, "GET", path, ""), http.StatusOK, &got)
		if got.Schedule.Enabled || got.Mail || len(got.Deliveries) != 0 {
			t.Errorf("before: %+v", got)
		}
		if res := w.as(t, model.RoleManager, "POST", path+"/send", `{"month":"2026-10"}`); res.status != http.StatusBadRequest ||
			!strings.Contains(string(res.body), "no recipient") {
			t.Errorf("send without recipients: %d %s", res.status, res.body)
		}
		for _, body := range []string{`{"enabled":true,"recipients":[]}`, `{"enabled":true,"recipients":["not an address"]}`,
			`{"enabled":true,"recipients":["a@example.org, b@example.org"]}`, `{"enabled":true,"recipients":["a@example.org"],"lang":"de"}`} {
			if res := w.as(t, model.RoleManager, "PUT", path, body); res.status != http.StatusBadRequest {
				t.Errorf("%s: %d %s", body, res.status, res.body)
			}
		}
		decode(t, w.as(t, model.RoleManager, "PUT", path, `{"enabled":true,"recipients":["Anne@Example.org"],"lang":"fr"}`), http.StatusOK, &got)
		if !got.Schedule.Enabled || len(got.Schedule.Recipients) != 1 || got.Schedule.Recipients[0] != "Anne@Example.org" ||
			got.Schedule.Since != time.Now().UTC().Format("2006-01") && got.Schedule.Since != time.Now().Format("2006-01") {
			t.Errorf("schedule %+v", got.Schedule)
		}
		if res := w.as(t, model.RoleManager, "POST", path+"/send", `{"month":"October"}`); res.status != http.StatusBadRequest {
			t.Errorf("a bad month: %d", res.status)
		}
		decode(t, w.as(t, model.RoleManager, "POST", path+"/send", `{"month":"2026-10"}`), http.StatusOK, &got)
		if len(got.Deliveries) != 1 || got.Deliveries[0].Month != "2026-10" || got.Deliveries[0].Status != model.DeliveryPending {
			t.Errorf("deliveries %+v", got.Deliveries)
		}
	})
}

// TestAlertSettings sets a workspace's listening alerts, defaults filled
// in, and refuses bad ones with a problem.
func TestAlertSettings(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		path := "/api/v1/workspaces/velo/alert-settings"
		var got model.AlertSettings
		decode(t, w.as(t, model.RoleCM, "GET", path, ""), http.StatusOK, &got)
		if got.Enabled || got.WindowMinutes != 60 || got.Factor != 3 || got.MinMessages != 5 {
			t.Errorf("defaults %+v", got)
		}
		for _, body := range []string{`{"window_minutes":5}`, `{"factor":200}`, `{"keywords":["..."]}`, `{"recipients":["nobody"]}`, `{"enabled":"yes"}`} {
			if res := w.as(t, model.RoleManager, "PUT", path, body); res.status != http.StatusBadRequest {
				t.Errorf("%s: %d %s", body, res.status, res.body)
			}
		}
		decode(t, w.as(t, model.RoleManager, "PUT", path, `{"enabled":true,"keywords":["Rappel produit"," concurrent "],"recipients":["cm@example.org"],"factor":4}`),
			http.StatusOK, &got)
		if !got.Enabled || len(got.Keywords) != 2 || got.Keywords[1] != "concurrent" || got.Factor != 4 || got.WindowMinutes != 60 {
			t.Errorf("kept %+v", got)
		}
		var list struct{ Alerts []model.Alert }
		decode(t, w.as(t, model.RoleCM, "GET", "/api/v1/workspaces/velo/alerts", ""), http.StatusOK, &list)
		if list.Alerts == nil || len(list.Alerts) != 0 {
			t.Errorf("alerts %+v", list)
		}
	})
}
