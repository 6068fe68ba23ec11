package postgres_test

import (
	"context"
	"runtime"
	"strings"
	"testing"

	"palabre/internal/store"
	"palabre/internal/store/postgres"
	"palabre/internal/testutil"
)

// TestPoolSize: the connections are 4 per core by default, as many as
// pool_max_conns says when given (the parameter is not sent to the
// server, which would refuse it), and a bad count is refused, named.
func TestPoolSize(t *testing.T) {
	ctx := context.Background()
	dsn := testutil.NewDSN(t, store.EnginePostgres)
	join := "?"
	if strings.Contains(dsn, "?") {
		join = "&"
	}
	for _, c := range []struct {
		query string
		want  int
	}{{"", min(max(4*runtime.GOMAXPROCS(0), 4), 64)}, {"pool_max_conns=3", 3}} {
		url := dsn
		if c.query != "" {
			url += join + c.query
		}
		db, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatalf("%q: %v", c.query, err)
		}
		var one int
		if err := db.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil || one != 1 {
			t.Errorf("%q: a query: %d %v", c.query, one, err)
		}
		if got := db.Stats().MaxOpenConnections; got != c.want {
			t.Errorf("%q: %d connections at most, want %d", c.query, got, c.want)
		}
		db.Close()
	}
	for _, bad := range []string{"pool_max_conns=0", "pool_max_conns=many"} {
		if db, err := postgres.Open(ctx, dsn+join+bad); err == nil || !strings.Contains(err.Error(), "pool_max_conns") {
			if db != nil {
				db.Close()
			}
			t.Errorf("%q: %v, want a refusal naming pool_max_conns", bad, err)
		}
	}
}
