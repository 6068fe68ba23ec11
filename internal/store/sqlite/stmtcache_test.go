package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// openCaching opens a one-connection pool of the caching connector on a
// new file, and returns the connection's cache for inspection.
func openCaching(t testing.TB) (*sql.DB, func() *cachingConn) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cache.db")
	c, err := newCachingConnector("file:" + path + "?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	conn := func() *cachingConn {
		t.Helper()
		sc, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer sc.Close()
		var cc *cachingConn
		if err := sc.Raw(func(dc any) error { cc = dc.(*cachingConn); return nil }); err != nil {
			t.Fatal(err)
		}
		return cc
	}
	return db, conn
}

func TestStmtCacheReusesStatements(t *testing.T) {
	db, conn := openCaching(t)
	ctx := context.Background()
	for i := range 50 {
		if _, err := db.ExecContext(ctx, `INSERT INTO t (v) VALUES (?)`, fmt.Sprint("v", i)); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	for range 3 {
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM t WHERE v LIKE ?`, "v%").Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	if n != 50 {
		t.Fatalf("count = %d, want 50", n)
	}
	cc := conn()
	// The INSERT and the SELECT, each prepared once (the CREATE is not kept).
	if got := cc.lru.Len(); got != 2 {
		t.Fatalf("%d statements kept, want 2 (one per text)", got)
	}
	for el := cc.lru.Front(); el != nil; el = el.Next() {
		if cs := el.Value.(*cachedStmt); cs.busy {
			t.Errorf("statement %q still busy after its rows closed", cs.query)
		}
	}
}

// A query asked again while its own rows are open (a lookup inside a
// loop over its results, in a transaction) runs apart, and both give
// their rows.
func TestStmtCacheNestedSameQuery(t *testing.T) {
	db, _ := openCaching(t)
	ctx := context.Background()
	for i := range 5 {
		if _, err := db.ExecContext(ctx, `INSERT INTO t (id, v) VALUES (?, ?)`, i+1, fmt.Sprint("v", i+1)); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	const q = `SELECT id, v FROM t WHERE id >= ? ORDER BY id`
	outer, err := tx.QueryContext(ctx, q, 1)
	if err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for outer.Next() {
		var id int
		var v string
		if err := outer.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		var inner int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (`+q+`)`, id).Scan(&inner); err != nil {
			t.Fatal(err)
		}
		var again string
		if err := tx.QueryRowContext(ctx, q, id).Scan(&id, &again); err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, fmt.Sprintf("%s=%s/%d", v, again, inner))
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	outer.Close()
	want := "[v1=v1/5 v2=v2/4 v3=v3/3 v4=v4/2 v5=v5/1]"
	if got := fmt.Sprint(pairs); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// The cache keeps at most stmtCacheSize statements; one forgotten while
// its rows are open is closed with them, and its rows read to the end.
// The statement whose rows stay open is run twice first, to be kept.
func TestStmtCacheBounded(t *testing.T) {
	db, conn := openCaching(t)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `INSERT INTO t (v) VALUES ('a'), ('b')`); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var first string
	if err := tx.QueryRowContext(ctx, `SELECT v FROM t ORDER BY id`).Scan(&first); err != nil {
		t.Fatal(err)
	}
	open, err := tx.QueryContext(ctx, `SELECT v FROM t ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}

	if !open.Next() {
		t.Fatal("no first row")
	}
	for i := range stmtCacheSize + 10 {
		for range 2 { // kept the second time
			var n int
			if err := tx.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d + count(*) FROM t`, i)).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != i+2 {
				t.Fatalf("statement %d answered %d", i, n)
			}
		}
	}
	var v string
	if !open.Next() {
		t.Fatalf("the forgotten statement's rows ended early: %v", open.Err())
	}
	if err := open.Scan(&v); err != nil || v != "b" {
		t.Fatalf("second row = %q, %v", v, err)
	}
	if err := open.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := conn().lru.Len(); got != stmtCacheSize {
		t.Fatalf("%d statements kept, want the bound %d", got, stmtCacheSize)
	}
}

// An error leaves the statement usable: a failed insert, then the same
// text succeeding.
func TestStmtCacheAfterError(t *testing.T) {
	db, _ := openCaching(t)
	ctx := context.Background()
	const q = `INSERT INTO t (id, v) VALUES (?, ?)`
	if _, err := db.ExecContext(ctx, q, 1, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, q, 1, "b"); err == nil {
		t.Fatal("a duplicate id was accepted")
	}
	if _, err := db.ExecContext(ctx, q, 2, "c"); err != nil {
		t.Fatalf("the statement failed after an error: %v", err)
	}
	var got string
	if err := db.QueryRowContext(ctx, `SELECT group_concat(v, ',') FROM t`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "a,c" {
		t.Fatalf("rows = %q, want a,c", got)
	}
}

// BenchmarkStmtCache compares a small indexed read through the cache with
// the driver's own path, which prepares the statement every time.
func BenchmarkStmtCache(b *testing.B) {
	ctx := context.Background()
	const q = `SELECT t.v FROM t WHERE t.id = ? AND t.v IS NOT NULL AND t.v <> '' ORDER BY t.id LIMIT 1`
	for _, cached := range []bool{true, false} {
		b.Run(fmt.Sprintf("cached=%v", cached), func(b *testing.B) {
			var db *sql.DB
			if cached {
				db, _ = openCaching(b)
			} else {
				path := filepath.Join(b.TempDir(), "plain.db")
				var err error
				if db, err = sql.Open("sqlite", "file:"+path); err != nil {
					b.Fatal(err)
				}
				defer db.Close()
				if _, err := db.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := db.ExecContext(ctx, `INSERT INTO t (id, v) VALUES (1, 'one')`); err != nil {
				b.Fatal(err)
			}
			var v string
			for b.Loop() {
				if err := db.QueryRowContext(ctx, q, 1).Scan(&v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A text run once is not kept: statements made for one use do not push
// out those that run all the time.
func TestStmtCacheKeepsOnSecondUse(t *testing.T) {
	db, conn := openCaching(t)
	ctx := context.Background()
	for i := range 3 * stmtCacheSize {
		if _, err := db.ExecContext(ctx, fmt.Sprintf(`INSERT INTO t (v) VALUES ('%d')`, i)); err != nil {
			t.Fatal(err)
		}
	}
	if got := conn().lru.Len(); got != 0 {
		t.Fatalf("%d statements of one use kept, want none", got)
	}
	for range 2 {
		if _, err := db.ExecContext(ctx, `DELETE FROM t WHERE v = ?`, "0"); err != nil {
			t.Fatal(err)
		}
	}
	cc := conn()
	if cc.lru.Len() != 1 || cc.lru.Front().Value.(*cachedStmt).query != `DELETE FROM t WHERE v = ?` {
		t.Fatalf("after a second use: %d statements kept", cc.lru.Len())
	}
}

func TestStmtCacheable(t *testing.T) {
	for q, want := range map[string]bool{
		`SELECT 1`:                             true,
		"\n\t\tSELECT id FROM t":               true,
		"WITH x AS (SELECT 1) SELECT * FROM x": true,
		"insert into t (v) values (?)":         true,
		"UPDATE t SET v = ?":                   true,
		"DELETE FROM t":                        true,
		"(SELECT 1) UNION (SELECT 2)":          true,
		"PRAGMA cache_size = 10":               false,
		"EXPLAIN QUERY PLAN SELECT 1":          false,
		"CREATE TABLE x (a)":                   false,
		"DROP TABLE x":                         false,
		"VACUUM INTO 'x.db'":                   false,
		"ANALYZE":                              false,
		"BEGIN IMMEDIATE":                      false,
		"SELECT '" + strings.Repeat("x", maxCachedQuery) + "'": false,
	} {
		if got := cacheable(q); got != want {
			t.Errorf("cacheable(%.40q) = %v, want %v", q, got, want)
		}
	}
}
