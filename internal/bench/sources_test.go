package bench

import (
	"context"
	"testing"
	"time"
)

// TestRunSources runs the sources benchmark small and checks that it
// measured what it says, not how fast: feeds were polled, comments
// published while measuring were stored with a lag within one interval
// and a poll, and the process's usage was read.
func TestRunSources(t *testing.T) {
	forEachDatabase(t, "polls for half a minute", func(t *testing.T, db string) {
		opts := SourcesOptions{DB: db, Dir: t.TempDir(), Sources: 12, Hosts: 3, Interval: 15 * time.Second,
			Change: 4 * time.Second, Items: 5, Duration: 30 * time.Second}
		r, err := RunSources(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if r.EngineVersion == "" || r.Machine.Cores == 0 || r.Sources != 12 || r.Hosts != 3 {
			t.Errorf("not described: %+v", r)
		}
		// Each feed gains a comment every 4 s: those published in the
		// first few seconds are due by the end.
		if r.Published < 12 || r.Stored != r.Published || r.Lag.N != r.Stored {
			t.Errorf("published %d, stored %d, lags %d", r.Published, r.Stored, r.Lag.N)
		}
		if r.Lag.P50 > r.Lag.P99 || r.Lag.P99 > r.Lag.Max || r.Lag.Max > ms(opts.Interval*11/10+5*time.Second) {
			t.Errorf("lags %+v beyond an interval and a poll", r.Lag)
		}
		if r.Polls < 12 || r.Failed != 0 || r.NotModified > r.Polls {
			t.Errorf("polls %d, 304 %d, failed %d", r.Polls, r.NotModified, r.Failed)
		}
		if r.MaxRSSMiB <= 0 || r.HeapMiB <= 0 || r.CPUCores <= 0 {
			t.Errorf("usage not read: %+v", r)
		}
		if !r.Met() {
			t.Errorf("a 15 s interval missed the 60 s target: %+v", r.Lag)
		}
	})
}
