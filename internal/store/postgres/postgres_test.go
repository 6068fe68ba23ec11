package postgres_test

import (
	"context"
	"database/sql"
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
	for _, c := range []struct {
		query string
		want  int
	}{{"", min(max(4*runtime.GOMAXPROCS(0), 4), 64)}, {"pool_max_conns=3", 3}} {
		db, err := postgres.Open(ctx, testutil.WithQuery(dsn, c.query))
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
		if db, err := postgres.Open(ctx, testutil.WithQuery(dsn, bad)); err == nil || !strings.Contains(err.Error(), "pool_max_conns") {
			if db != nil {
				db.Close()
			}
			t.Errorf("%q: %v, want a refusal naming pool_max_conns", bad, err)
		}
	}
}

// TestOpenPools: the connections are parted in a writers' pool and a
// readers' one, a quarter for the readers (at least one); a single
// connection makes one pool serving both; a bad count is refused as by
// Open.
func TestOpenPools(t *testing.T) {
	ctx := context.Background()
	dsn := testutil.NewDSN(t, store.EnginePostgres)
	all := min(max(4*runtime.GOMAXPROCS(0), 4), 64)
	for _, c := range []struct {
		query          string
		writer, reader int
	}{{"", all - all/4, all / 4}, {"pool_max_conns=8", 6, 2}, {"pool_max_conns=3", 2, 1}, {"pool_max_conns=1", 1, 1}} {
		p, err := postgres.OpenPools(ctx, testutil.WithQuery(dsn, c.query))
		if err != nil {
			t.Fatalf("%q: %v", c.query, err)
		}
		for name, db := range map[string]*sql.DB{"writer": p.Writer, "reader": p.Reader} {
			var one int
			if err := db.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil || one != 1 {
				t.Errorf("%q: a query on the %s: %d %v", c.query, name, one, err)
			}
		}
		if got := p.Writer.Stats().MaxOpenConnections; got != c.writer {
			t.Errorf("%q: writers' pool of %d, want %d", c.query, got, c.writer)
		}
		if got := p.Reader.Stats().MaxOpenConnections; got != c.reader {
			t.Errorf("%q: readers' pool of %d, want %d", c.query, got, c.reader)
		}
		if shared := p.Writer == p.Reader; shared != (c.query == "pool_max_conns=1") {
			t.Errorf("%q: one pool for both: %v", c.query, shared)
		}
		if err := p.Close(); err != nil {
			t.Errorf("%q: close: %v", c.query, err)
		}
	}
	if p, err := postgres.OpenPools(ctx, testutil.WithQuery(dsn, "pool_max_conns=0")); err == nil || !strings.Contains(err.Error(), "pool_max_conns") {
		if err == nil {
			p.Close()
		}
		t.Errorf("pool_max_conns=0: %v, want a refusal naming it", err)
	}
}
