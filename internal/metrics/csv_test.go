package metrics_test

import (
	"bytes"
	"encoding/csv"
	"testing"

	"palabre/internal/metrics"
	"palabre/internal/metrics/metricstest"
)

func TestWriteCSV(t *testing.T) {
	f, p := metricstest.March(t)
	weeks, err := metrics.Split(p, metrics.Week, f.Clock.Location())
	if err != nil {
		t.Fatal(err)
	}
	a := metrics.Answer{TimeZone: "Europe/Paris", From: "2026-03-01", To: "2026-04-01", Total: metrics.Compute(f, p, nil),
		Every: metrics.Week, Trend: metrics.Trend(f, weeks, nil), By: "topic",
		Groups: []metrics.Group{{Key: "=HYPERLINK(\"x\")", Report: metrics.Compute(f, p, nil)}}}
	var b bytes.Buffer
	if err := metrics.WriteCSV(&b, a); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+1+6+1 {
		t.Fatalf("%d rows, want header, total, 6 weeks, 1 topic", len(rows))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	total := rows[1]
	for name, want := range map[string]string{"scope": "total", "from": "2026-03-01T00:00:00+01:00", "to": "2026-04-01T00:00:00+02:00",
		"in": "7", "out": "4", "first_response_median_seconds": "1800", "resolution_p90_seconds": "193500",
		"answered": "3", "questions_and_complaints": "4", "backlog_open": "3", "members_turned_around": "1"} {
		if got := total[col[name]]; got != want {
			t.Errorf("total %s = %q, want %q", name, got, want)
		}
	}
	if rows[2][col["scope"]] != "step" || rows[2][col["key"]] != "2026-03-01" || rows[3][col["key"]] != "2026-03-02" {
		t.Errorf("steps: %v, %v", rows[2][:4], rows[3][:4])
	}
	if got := rows[8][col["key"]]; rows[8][0] != "topic" || got != `'=HYPERLINK("x")` {
		t.Errorf("topic row: scope %q, key %q", rows[8][0], got)
	}
}
