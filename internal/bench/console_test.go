package bench

import (
	"context"
	"strings"
	"testing"

	"palabre/internal/model"
	"palabre/internal/testutil"
)

// TestRunConsole runs the console benchmark in a tiny configuration and
// checks that it measured what it says, not how fast: every page answered
// and showed something, the counts add up, percentiles in order.
func TestRunConsole(t *testing.T) {
	forEachDatabase(t, "imports and serves for seconds", func(t *testing.T, db string) {
		opts := ConsoleOptions{DB: db, Dir: t.TempDir(), Messages: 3000, CMs: 3, LongThread: 40, Requests: 4, WarmUp: 1, Seed: 7}
		res, err := RunConsole(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		checkConsole(t, res, opts)
	})
}

// forEachDatabase runs fn, in parallel, on each database a benchmark
// runs on: sqlite, and the test PostgreSQL server's URL. With -short it
// skips, saying how long the run takes (takes).
func forEachDatabase(t *testing.T, takes string, fn func(t *testing.T, db string)) {
	t.Helper()
	if testing.Short() {
		t.Skip(takes + "; skipped with -short")
	}
	t.Parallel()
	for _, engine := range []string{EngineSQLite, "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			db := engine
			if engine == "postgres" {
				db = testutil.PostgresURL(t)
			}
			fn(t, db)
		})
	}
}

func checkConsole(t *testing.T, r ConsoleResult, o ConsoleOptions) {
	t.Helper()
	if r.EngineVersion == "" || r.Machine.Cores == 0 || r.Date == "" {
		t.Errorf("engine, machine or date not described: %+v", r)
	}
	if r.Messages != o.Messages+o.LongThread || r.Conversations < o.Messages/maxThread {
		t.Errorf("%d messages in %d conversations", r.Messages, r.Conversations)
	}
	total := 0
	for _, n := range r.Status {
		total += n
	}
	// 70% new, open or pending (inboxStatus), shared out among the CMs.
	if total != r.Conversations || r.Open < r.Conversations*6/10 || r.Open > r.Conversations*8/10 {
		t.Errorf("open %d, statuses %v of %d conversations", r.Open, r.Status, r.Conversations)
	}
	if r.OpenFewest < 1 || r.OpenFewest > r.OpenMine || r.OpenMine > r.OpenMost || r.OpenMost*o.CMs < r.Open {
		t.Errorf("open per CM: fewest %d, mine %d, most %d of %d", r.OpenFewest, r.OpenMine, r.OpenMost, r.Open)
	}
	if r.Awaiting == 0 || r.Due != r.Awaiting {
		t.Errorf("%d conversations awaiting an answer, %d with a due time", r.Awaiting, r.Due)
	}
	if r.CM != "cm01" || r.Kept != "" {
		t.Errorf("signed in as %q, database kept %q", r.CM, r.Kept)
	}
	if len(r.Pages) != 11 {
		t.Fatalf("%d pages timed: %+v", len(r.Pages), r.Pages)
	}
	for _, p := range r.Pages {
		if p.Error != "" {
			t.Errorf("%s: %s", p.Name, p.Error)
		}
		checkLatency(t, p.Name+" client", p.Client, o.Requests)
		checkLatency(t, p.Name+" server", p.Server, o.Requests)
		if p.Server.P50 > p.Client.P50 {
			t.Errorf("%s: the server took longer (%v ms) than the client waited (%v ms)", p.Name, p.Server.P50, p.Client.P50)
		}
		if p.Items < 1 || p.Bytes < 1000 {
			t.Errorf("%s: %d items in %d bytes", p.Name, p.Items, p.Bytes)
		}
		switch {
		case strings.HasPrefix(p.Name, "conversation"):
			if p.Items < o.LongThread {
				t.Errorf("%s: %d messages shown, want at least %d", p.Name, p.Items, o.LongThread)
			}
		case p.Name == "inbox: mine":
			if p.Items != min(50, r.OpenMine) {
				t.Errorf("%s: %d rows, want %d", p.Name, p.Items, min(50, r.OpenMine))
			}
		case strings.HasPrefix(p.Name, "inbox") && p.Items > 50:
			t.Errorf("%s: %d rows on one page", p.Name, p.Items)
		}
	}
	if r.Status[model.ConvResolved] == 0 {
		t.Errorf("no resolved conversation: %v", r.Status)
	}
}
