package metrics_test

import (
	"testing"
	"time"

	"palabre/internal/metrics"
	"palabre/internal/metrics/metricstest"
)

// TestBacklogs finds the backlog at the end of each day and each week of
// the hand-built month in one sweep, for the whole workspace and by
// channel, and compares it with each day's report.
func TestBacklogs(t *testing.T) {
	f, p := metricstest.March(t)
	loc := f.Clock.Location()
	for _, every := range []string{metrics.Day, metrics.Week} {
		steps, err := metrics.Split(p, every, loc)
		if err != nil {
			t.Fatal(err)
		}
		ends := make([]time.Time, len(steps))
		for i, s := range steps {
			ends[i] = s.To
		}
		open, err := metrics.Openings(f, "channel")
		if err != nil {
			t.Fatal(err)
		}
		busy := 0
		for i, got := range metrics.Backlogs(open, ends) {
			want := metrics.Trend(f, steps, nil)[i].Backlog
			if got != want {
				t.Errorf("by %s, step %d: backlog %+v, want %+v", every, i, got, want)
			}
			if want.Open > 1 && want.Unanswered > 0 && want.MedianAge != want.OldestAge {
				busy++
			}
		}
		if busy == 0 {
			t.Errorf("by %s: no step whose backlog tells ages apart: the test proves little", every)
		}
		for channel, backlogs := range metrics.BacklogsBy(open, ends) {
			want := metrics.Trend(f, steps, func(c metrics.Conversation) bool { return c.Channel == channel })
			for i, got := range backlogs {
				if got != want[i].Backlog {
					t.Errorf("by %s, channel %s, step %d: backlog %+v, want %+v", every, channel, i, got, want[i].Backlog)
				}
			}
		}
	}
}
