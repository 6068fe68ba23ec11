// Package sqlite holds what palabre's store needs to know about the embedded
// SQLite engine: how to open a database file with the right pragmas, the
// schema migrations, and how its errors map to the store's sentinels.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Migrations holds the numbered schema steps, applied in name order.
//
//go:embed migrations/*.sql
var Migrations embed.FS

// DB is an opened SQLite database: a single-connection pool for writes, so
// writers queue in Go instead of failing with SQLITE_BUSY, and a pool of
// readers that WAL lets run beside the writer.
type DB struct {
	Writer *sql.DB
	Reader *sql.DB
}

// Path is the file a SQLite database URL names: sqlite:path,
// file:path or the path alone.
func Path(dsn string) string {
	return strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "file:")
}

// Open opens (creating when needed) the SQLite database at path.
func Open(ctx context.Context, path string) (*DB, error) {
	path = Path(path)
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	pragmas := url.Values{}
	for _, p := range []string{
		"journal_mode(WAL)",
		"busy_timeout(10000)",
		"foreign_keys(1)",
		"synchronous(NORMAL)",
		"cache_size(-32000)",
		"temp_store(MEMORY)",
	} {
		pragmas.Add("_pragma", p)
	}
	writerDSN := "file:" + path + "?" + pragmas.Encode() + "&_txlock=immediate"
	readerDSN := "file:" + path + "?" + pragmas.Encode()

	wc, err := newCachingConnector(writerDSN)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w := sql.OpenDB(wc)
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	rc, err := newCachingConnector(readerDSN)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r := sql.OpenDB(rc)
	n := max(4, runtime.NumCPU())
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	return &DB{Writer: w, Reader: r}, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.Reader.Close(), db.Writer.Close())
}

// IsUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY
// constraint failure.
func IsUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}
