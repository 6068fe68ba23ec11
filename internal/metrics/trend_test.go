package metrics_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"palabre/internal/metrics"
	"palabre/internal/metrics/metricstest"
)

func TestSplit(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, paris) }
	march := metrics.Period{From: day(2026, 3, 1), To: day(2026, 4, 1)}
	days, err := metrics.Split(march, metrics.Day, paris)
	if err != nil || len(days) != 31 {
		t.Fatalf("days of March: %d, %v", len(days), err)
	}
	// Sunday 29 March has 23 hours in Paris.
	if d := days[28]; !d.From.Equal(day(2026, 3, 29)) || d.To.Sub(d.From) != 23*time.Hour {
		t.Errorf("29 March: %+v", d)
	}
	weeks, err := metrics.Split(march, metrics.Week, paris)
	if err != nil || len(weeks) != 6 {
		t.Fatalf("weeks of March: %d, %v", len(weeks), err)
	}
	// Sunday 1 March alone, then weeks from Monday 2, then Monday 30
	// and Tuesday 31.
	if !weeks[0].To.Equal(day(2026, 3, 2)) || !weeks[1].From.Equal(day(2026, 3, 2)) || !weeks[5].From.Equal(day(2026, 3, 30)) ||
		!weeks[5].To.Equal(day(2026, 4, 1)) {
		t.Errorf("weeks: %+v", weeks)
	}
	months, err := metrics.Split(metrics.Period{From: day(2026, 1, 15), To: day(2026, 4, 10)}, metrics.Month, paris)
	if err != nil || len(months) != 4 || !months[0].From.Equal(day(2026, 1, 15)) || !months[1].From.Equal(day(2026, 2, 1)) ||
		!months[3].To.Equal(day(2026, 4, 10)) {
		t.Errorf("months: %+v, %v", months, err)
	}
	if _, err := metrics.Split(march, "hour", paris); err == nil || !strings.Contains(err.Error(), `step "hour"`) {
		t.Errorf("an hourly step: %v", err)
	}
	if _, err := metrics.Split(metrics.Period{From: day(2020, 1, 1), To: day(2026, 1, 1)}, metrics.Day, paris); err == nil {
		t.Error("six years by day: no error")
	}
	for _, c := range []struct {
		days int
		want string
	}{{1, metrics.Day}, {31, metrics.Day}, {32, metrics.Week}, {366, metrics.Week}, {600, metrics.Month}} {
		if got := metrics.Step(metrics.Period{From: day(2025, 1, 1), To: day(2025, 1, 1).AddDate(0, 0, c.days)}); got != c.want {
			t.Errorf("%d days: step %s, want %s", c.days, got, c.want)
		}
	}
}

// TestTrend: the weeks of the month add up to the month for what is
// counted once per message or conversation.
func TestTrend(t *testing.T) {
	f, p := metricstest.March(t)
	weeks, err := metrics.Split(p, metrics.Week, f.Clock.Location())
	if err != nil {
		t.Fatal(err)
	}
	month := metrics.Compute(f, p, nil)
	var sum metrics.Report
	for _, r := range metrics.Trend(f, weeks, nil) {
		sum.In += r.In
		sum.Out += r.Out
		sum.Conversations += r.Conversations
		sum.Resolution.Count += r.Resolution.Count
		sum.Sentiment.Positive += r.Sentiment.Positive
		sum.ResponseRate.Total += r.ResponseRate.Total
	}
	if sum.In != month.In || sum.Out != month.Out || sum.Conversations != month.Conversations ||
		sum.Resolution.Count != month.Resolution.Count || sum.Sentiment.Positive != month.Sentiment.Positive ||
		sum.ResponseRate.Total != month.ResponseRate.Total {
		t.Errorf("weeks add up to %+v, month %+v", sum, month)
	}
}

func TestBefore(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, paris) }
	for _, c := range []struct {
		from, to, wantFrom time.Time
	}{
		{day(2026, 3, 1), day(2026, 4, 1), day(2026, 2, 1)},    // March against February
		{day(2026, 1, 1), day(2026, 4, 1), day(2025, 10, 1)},   // a quarter against the one before
		{day(2026, 3, 10), day(2026, 3, 17), day(2026, 3, 3)},  // a week against the one before
		{day(2026, 3, 29), day(2026, 3, 31), day(2026, 3, 27)}, // two days, one of 23 hours
	} {
		got := metrics.Resolved{Period: metrics.Period{From: c.from, To: c.to}}.Before()
		if !got.From.Equal(c.wantFrom) || !got.To.Equal(c.from) {
			t.Errorf("before %s–%s: %s–%s, want from %s", c.from, c.to, got.From, got.To, c.wantFrom)
		}
	}
}

// TestTrendIsEachStep checks that the trend, counted in one pass over the
// facts, gives for every step exactly the report of that step alone:
// medians, backlog and members included, by day and by week, for the
// whole workspace and for a slice.
func TestTrendIsEachStep(t *testing.T) {
	f, p := metricstest.March(t)
	for _, every := range []string{metrics.Day, metrics.Week} {
		steps, err := metrics.Split(p, every, f.Clock.Location())
		if err != nil {
			t.Fatal(err)
		}
		for name, keep := range map[string]func(metrics.Conversation) bool{
			"all": nil, "lea": func(c metrics.Conversation) bool { return c.Assignee == "lea" },
		} {
			got := metrics.Trend(f, steps, keep)
			busy := 0
			for i, s := range steps {
				want := metrics.Compute(f, s, keep)
				if got[i] != want {
					t.Errorf("%s by %s, step %d:\n got %+v\nwant %+v", name, every, i, got[i], want)
				}
				if want.In > 0 && want.Backlog.Open > 0 {
					busy++
				}
			}
			if busy == 0 {
				t.Errorf("%s by %s: no step with messages and a backlog: the test proves little", name, every)
			}
		}
	}
}

// TestMergeDays merges the partial reports of each day (and of each
// week) of the hand-built month, kept as JSON between, and finds exactly
// the month's report: what rollups kept day by day will be merged from.
func TestMergeDays(t *testing.T) {
	f, p := metricstest.March(t)
	for _, every := range []string{metrics.Day, metrics.Week} {
		steps, err := metrics.Split(p, every, f.Clock.Location())
		if err != nil {
			t.Fatal(err)
		}
		for name, keep := range map[string]func(metrics.Conversation) bool{
			"all": nil, "forum": func(c metrics.Conversation) bool { return c.Channel == "forum" },
		} {
			parts := metrics.Partials(f, steps, keep)
			for i := range parts {
				b, err := json.Marshal(parts[i])
				if err != nil {
					t.Fatal(err)
				}
				parts[i] = metrics.Partial{}
				if err := json.Unmarshal(b, &parts[i]); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := metrics.Merge(parts...); err == nil {
				t.Errorf("%s, %s: partials merged without keys", name, every)
			}
			dict := metricstest.NewDictionary(f.Names)
			merged, err := metrics.Merge(dict.Key(t, parts...)...)
			if err != nil {
				t.Fatal(err)
			}
			if keep == nil {
				ge, err := merged.EngagedNamed(context.Background(), metrics.DefaultWeights(), 10, dict)
				if err != nil {
					t.Fatal(err)
				}
				we := metrics.Engaged(f, p, metrics.DefaultWeights(), 10)
				if len(ge) < 3 || !slices.Equal(ge, we) {
					t.Errorf("%s merged, the most engaged:\n got %+v\nwant %+v", every, ge, we)
				}
			}
			got := merged.Finish()
			want := metrics.Compute(f, p, keep)
			if !got.Period.From.Equal(want.Period.From) || !got.Period.To.Equal(want.Period.To) {
				t.Errorf("%s, %s merged: period %+v, want %+v", name, every, got.Period, want.Period)
			}
			got.Period = want.Period // the same instants, in the steps' zone
			if got != want {
				t.Errorf("%s, %s merged:\n got %+v\nwant %+v", name, every, got, want)
			}
			if keep == nil && (want.Members.Regular+want.Members.TurnedAround == 0 || want.FirstResponse.Count < 2 || want.Backlog.Open == 0) {
				t.Errorf("%s: the month %+v tests little", name, want)
			}
		}
	}
}
