// Package store is palabre's persistence boundary. One Store type serves
// both engines — embedded SQLite (the default) and PostgreSQL — with the
// same behaviour: the SQL is shared, and the few engine differences (opening,
// migrations, error codes, a couple of function names) live in the sqlite
// and postgres sub-packages. Upper layers see only model types and the
// sentinel errors below.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"palabre/internal/store/postgres"
	"palabre/internal/store/sqlite"
)

// Sentinel errors callers branch on with errors.Is, whatever the engine.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
	ErrInvalid  = errors.New("invalid")
)

// Engine names.
const (
	EngineSQLite   = "sqlite"
	EnginePostgres = "postgres"
)

// Store is the database. It is safe for concurrent use.
type Store struct {
	engine string
	w      *sql.DB // writes (one connection on SQLite)
	r      *sql.DB // reads
	d      dialect
	close  func() error
}

// dialect holds the few spellings that differ between the engines.
type dialect struct {
	greatest, least string
	isUnique        func(error) bool
	anonymousParams bool // bind parameters written "?" instead of "$N"
	// oneByOneMemberUpdates: without planner statistics SQLite runs the
	// bulk UPDATE … FROM (VALUES …) of members as a walk over the table.
	oneByOneMemberUpdates bool
}

// p1 is the first bind parameter, for statements built with param.
func (d dialect) p1() string {
	if d.anonymousParams {
		return "?"
	}
	return "$1"
}

// IsPostgresDSN reports whether dsn names a PostgreSQL database.
func IsPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens the database named by dsn — a postgres:// URL selects
// PostgreSQL, anything else is a SQLite file path — and brings its schema up
// to date.
func Open(ctx context.Context, dsn string) (*Store, error) {
	var s *Store
	var migrations fs.FS
	if IsPostgresDSN(dsn) {
		db, err := postgres.Open(ctx, dsn)
		if err != nil {
			return nil, err
		}
		s = &Store{engine: EnginePostgres, w: db, r: db, close: db.Close,
			d: dialect{greatest: "GREATEST", least: "LEAST", isUnique: postgres.IsUniqueViolation}}
		migrations = postgres.Migrations
	} else {
		db, err := sqlite.Open(ctx, dsn)
		if err != nil {
			return nil, err
		}
		s = &Store{engine: EngineSQLite, w: db.Writer, r: db.Reader, close: db.Close,
			d: dialect{greatest: "MAX", least: "MIN", isUnique: sqlite.IsUniqueViolation,
				anonymousParams: true, oneByOneMemberUpdates: true}}
		migrations = sqlite.Migrations
	}
	if err := migrate(ctx, s.w, migrations); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// Engine names the database engine: "sqlite" or "postgres".
func (s *Store) Engine() string { return s.engine }

// Close releases the database.
func (s *Store) Close() error { return s.close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// translate maps engine errors to the sentinels.
func (s *Store) translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return ErrNotFound
	case s.d.isUnique(err):
		return fmt.Errorf("%w: %v", ErrConflict, err)
	}
	return err
}

// queryer is what reads need of *sql.DB and *sql.Tx alike, for the few
// reads that also run inside a write transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// inTx runs fn in a write transaction, committing when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Times are stored as Unix microseconds in both engines, so that ordering,
// precision and round trips are identical whatever the engine.

func toMicros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// TruncateTime brings t to the precision and zone the store keeps, so that
// callers can compare what they wrote with what they read back.
func TruncateTime(t time.Time) time.Time { return fromMicros(toMicros(t)) }
