package metrics

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"
)

// csvHeader names the columns of WriteCSV.
var csvHeader = []string{"scope", "key", "from", "to", "in", "out", "conversations",
	"first_response_count", "first_response_median_seconds", "first_response_p90_seconds",
	"resolution_count", "resolution_median_seconds", "resolution_p90_seconds",
	"answered", "questions_and_complaints", "sla_kept", "sla_due", "with_expert", "started",
	"backlog_open", "backlog_median_age_seconds", "backlog_oldest_age_seconds", "backlog_unanswered",
	"positive", "neutral", "negative", "unknown_sentiment",
	"members_active", "members_new", "members_returning", "members_regular", "members_turned_around", "members_advocates"}

// WriteCSV writes an answer as CSV, one row per report: the period's
// total ("total"), each step of its trend ("step", keyed by its first
// local day), each slice ("channel", "assignee" or "topic", keyed by
// it). Times are RFC 3339 in the answer's time zone; a text that a
// spreadsheet would take for a formula is quoted with a leading '.
func WriteCSV(w io.Writer, a Answer) error {
	loc, err := time.LoadLocation(a.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	row := func(scope, key string, r Report) error {
		n := func(v int) string { return strconv.Itoa(v) }
		s := func(v int64) string { return strconv.FormatInt(v, 10) }
		return cw.Write([]string{scope, SafeCell(key), r.Period.From.In(loc).Format(time.RFC3339), r.Period.To.In(loc).Format(time.RFC3339),
			n(r.In), n(r.Out), n(r.Conversations),
			n(r.FirstResponse.Count), s(r.FirstResponse.Median), s(r.FirstResponse.P90),
			n(r.Resolution.Count), s(r.Resolution.Median), s(r.Resolution.P90),
			n(r.ResponseRate.Of), n(r.ResponseRate.Total), n(r.SLA.Of), n(r.SLA.Total), n(r.WithExpert.Of), n(r.WithExpert.Total),
			n(r.Backlog.Open), s(r.Backlog.MedianAge), s(r.Backlog.OldestAge), n(r.Backlog.Unanswered),
			n(r.Sentiment.Positive), n(r.Sentiment.Neutral), n(r.Sentiment.Negative), n(r.Sentiment.Unknown),
			n(r.Members.Active), n(r.Members.New), n(r.Members.Returning), n(r.Members.Regular), n(r.Members.TurnedAround), n(r.Members.Advocates)})
	}
	if err := row("total", "", a.Total); err != nil {
		return err
	}
	for _, r := range a.Trend {
		if err := row("step", r.Period.From.In(loc).Format(time.DateOnly), r); err != nil {
			return err
		}
	}
	for _, g := range a.Groups {
		if err := row(a.By, g.Key, g.Report); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// SafeCell keeps a spreadsheet from reading s as a formula: a text
// starting with = + - @ or a tab is quoted with a leading '.
func SafeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
