// Package testutil gives tests real stores: a fresh SQLite file, and a
// fresh schema in the PostgreSQL server that scripts/test starts.
//
// PALABRE_TEST_POSTGRES holds that server's URL. Without it PostgreSQL
// tests skip, saying why — unless PALABRE_REQUIRE_POSTGRES=1 (set by
// scripts/test and CI), which turns the skip into a failure so that a run
// can never pass while silently testing one engine.
package testutil

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for schema set-up

	"palabre/internal/store"
)

// ForEachEngine runs fn as a subtest on a fresh store of each engine.
func ForEachEngine(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	t.Helper()
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			fn(t, NewStore(t, engine))
		})
	}
}

// NewStore opens a fresh, migrated store of the given engine, closed when
// the test ends.
func NewStore(t testing.TB, engine string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), NewDSN(t, engine))
	if err != nil {
		t.Fatalf("open %s store: %v", engine, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// NewRaw opens a fresh, migrated store of the given engine and, beside
// it, a plain connection to the same database, for tests that write what
// no store method does (a state the workflow would have left, a change
// the triggers must see); both closed when the test ends.
func NewRaw(t testing.TB, engine string) (*store.Store, *sql.DB) {
	t.Helper()
	dsn := NewDSN(t, engine)
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open %s store: %v", engine, err)
	}
	t.Cleanup(func() { st.Close() })
	driver := "pgx"
	if engine == store.EngineSQLite {
		driver, dsn = "sqlite", "file:"+dsn+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return st, db
}

// NewDSN returns the address of a fresh, empty database of the given
// engine: a file in the test's temporary directory, or a new PostgreSQL
// schema dropped when the test ends.
func NewDSN(t testing.TB, engine string) string {
	t.Helper()
	if engine == store.EngineSQLite {
		return filepath.Join(t.TempDir(), "palabre.db")
	}
	base := PostgresURL(t)
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("postgres: create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("PALABRE_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// WithQuery returns the database URL dsn with query ("name=value")
// added to its own.
func WithQuery(dsn, query string) string {
	switch {
	case query == "":
		return dsn
	case strings.Contains(dsn, "?"):
		return dsn + "&" + query
	}
	return dsn + "?" + query
}

// PostgresURL returns the test server's URL, or skips (fails when
// PALABRE_REQUIRE_POSTGRES=1) when there is none.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("PALABRE_TEST_POSTGRES")
	if u == "" {
		if os.Getenv("PALABRE_REQUIRE_POSTGRES") == "1" {
			t.Fatal("PALABRE_TEST_POSTGRES is not set but PALABRE_REQUIRE_POSTGRES=1: run ./scripts/test")
		}
		t.Skip("PostgreSQL tests need PALABRE_TEST_POSTGRES; ./scripts/test starts a server and sets it")
	}
	return u
}

// SharedData returns the path of a file under ../shared/data, skipping the
// test with a clear message when that folder is absent.
func SharedData(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv("PALABRE_SHARED_DATA")
	if dir == "" {
		dir = findShared()
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared fixture %s is absent (set PALABRE_SHARED_DATA to the shared/data folder): %v", name, err)
	}
	return p
}

// findShared looks for shared/data beside the repository, walking up from
// the working directory (go test runs in the package's folder).
func findShared() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(dir), "shared", "data")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// ForgetSearchIndex empties the search index of the SQLite database at
// path and marks every message to be indexed again, as a migration that
// changes the index leaves a database.
func ForgetSearchIndex(t testing.TB, path string) {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, stmt := range []string{`DELETE FROM message_search`, `INSERT INTO search_backfill (id, message_id) SELECT 1, MAX(id) FROM messages`} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("forget the search index: %v", err)
		}
	}
}

// Eventually retries check every 100 ms until it reports true, or fails
// the test after timeout, saying what it waited for.
func Eventually(t testing.TB, what string, timeout time.Duration, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting after %s: %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Paris reads "2006-01-02 15:04" as a wall-clock time in Paris, or skips
// t when the machine has no time zone database.
func Paris(t testing.TB, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	at, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return at
}
