package bench

import (
	"context"
	"database/sql"
	"net/url"
	"testing"
)

// TestRunMetrics runs the metrics benchmark in a tiny configuration and
// checks that it measured what it says, not how fast: every workspace
// stored, every dashboard answered over its period, the rollups' answer
// the one counted from every fact; then times the kept database again.
func TestRunMetrics(t *testing.T) {
	forEachDatabase(t, "stores and counts for seconds", func(t *testing.T, db string) {
		opts := MetricsOptions{DB: db, Dir: t.TempDir(), Messages: 6000, Workspaces: 3, Years: 2, Share: 0.5, Requests: 2, Seed: 3, Keep: true}
		res, err := RunMetrics(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		// A workspace's last conversation may end a few messages over.
		if res.Stored.Messages < opts.Messages || res.Stored.Messages > opts.Messages+3*opts.Workspaces {
			t.Errorf("stored %d messages, want about %d", res.Stored.Messages, opts.Messages)
		}
		if res.Timed.Messages < 2900 || res.TimedYear.Messages < 1000 || res.TimedYear.Messages >= res.Timed.Messages ||
			res.Stored.Conversations == 0 || res.Stored.Members == 0 {
			t.Errorf("counts %+v, timed %+v, its year %+v", res.Stored, res.Timed, res.TimedYear)
		}
		if !res.Same || res.FromFactsMS <= 0 || res.EngineVersion == "" || res.Machine.Cores == 0 {
			t.Errorf("result %+v", res)
		}
		if len(res.Queries) != 6 || !res.Queries[5].Insights {
			t.Fatalf("%d dashboards timed", len(res.Queries))
		}
		for _, q := range res.Queries {
			if q.Time.N != opts.Requests || q.In == 0 || q.Time.P50 > q.Time.Max {
				t.Errorf("%s: %+v", q.Name, q)
			}
		}
		if year, month := res.Queries[0].In, res.Queries[4].In; year < 3*month {
			t.Errorf("the year counted %d messages, the last 30 days %d", year, month)
		}
		again, err := RunMetrics(context.Background(), MetricsOptions{Reuse: dsnOf(t, res.Kept, db), Requests: 1})
		if err != nil {
			t.Fatal(err)
		}
		if !again.Same || again.Timed.Messages != res.Timed.Messages || again.Queries[0].In != res.Queries[0].In {
			t.Errorf("timed again: %+v", again)
		}
	})
}

// dsnOf is the address of a database a run kept: the SQLite file, or the
// database named kept on the server at db, dropped when the test ends.
func dsnOf(t *testing.T, kept, db string) string {
	t.Helper()
	if db == EngineSQLite {
		return kept
	}
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + kept
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", db)
		if err != nil {
			t.Error(err)
			return
		}
		defer admin.Close()
		if _, err := admin.Exec(`DROP DATABASE ` + kept + ` WITH (FORCE)`); err != nil {
			t.Error(err)
		}
	})
	return u.String()
}
