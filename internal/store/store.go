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
	"strconv"
	"strings"
	"sync/atomic"
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
	// committed, when set, is called after each write transaction
	// commits: the live stream's cue to look for new events.
	committed atomic.Pointer[func()]
	// dense remembers the searches found common for a while (inbox.go).
	dense denseSearches
	// stems remembers the stems of the words indexed lately (search.go).
	stems stemCache
}

// OnCommit makes the store call fn after each write transaction commits
// (fn must not block); nil stops it. With PostgreSQL, transactions that
// record events also notify the channel LiveChannel, so that the other
// palabre processes on the same database learn of them too.
func (s *Store) OnCommit(fn func()) {
	if fn == nil {
		s.committed.Store(nil)
		return
	}
	s.committed.Store(&fn)
}

// LiveChannel is the PostgreSQL notification channel of live events.
const LiveChannel = "palabre_live"

// LiveWake is the payload of a notification that events were recorded.
const LiveWake = `{"kind":"wake"}`

func (s *Store) afterCommit() {
	if fn := s.committed.Load(); fn != nil {
		(*fn)()
	}
}

// urgentKey marks a context made by Urgent.
type urgentKey struct{}

// Urgent returns ctx marked for the reads that storing or announcing what
// arrives waits for: an inbound webhook's look-ups, the live hub's reading
// of new events. On PostgreSQL they go through the writers' connections,
// which the crowd of readers does not hold; on SQLite nothing changes.
func Urgent(ctx context.Context) context.Context {
	return context.WithValue(ctx, urgentKey{}, true)
}

// reader is the pool ctx's reads go through: the writers' for urgent
// reads on PostgreSQL, the readers' otherwise (SQLite's one writer is
// busy enough).
func (s *Store) reader(ctx context.Context) *sql.DB {
	if s.engine == EnginePostgres && ctx.Value(urgentKey{}) != nil {
		return s.w
	}
	return s.r
}

// dialect holds the few spellings that differ between the engines.
type dialect struct {
	greatest, least string
	isUnique        func(error) bool
	// badText tells an error of a text the engine cannot store.
	badText         func(error) bool
	anonymousParams bool // bind parameters written "?" instead of "$N"
	// oneByOneMemberUpdates: without planner statistics SQLite runs the
	// bulk UPDATE … FROM (VALUES …) of members as a walk over the table.
	oneByOneMemberUpdates bool
	// forUpdate locks the rows of table c a transaction reads before
	// changing them; SQLite needs nothing, its writes are serialised.
	forUpdate string
	// idArrays: a set of ids is bound as an array (PostgreSQL's = ANY),
	// not as a JSON text read by json_each (SQLite).
	idArrays bool
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
		pools, err := postgres.OpenPools(ctx, dsn)
		if err != nil {
			return nil, err
		}
		s = &Store{engine: EnginePostgres, w: pools.Writer, r: pools.Reader, close: pools.Close,
			d: dialect{greatest: "GREATEST", least: "LEAST", isUnique: postgres.IsUniqueViolation, badText: postgres.IsUnstorableText, forUpdate: " FOR UPDATE OF c", idArrays: true}}
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
	if err := s.Optimize(ctx); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// Optimize refreshes the statistics the query planner chooses indexes by,
// where they are missing or stale. SQLite keeps none until asked: without
// them it may walk a whole workspace's messages by the wrong index (a
// member's page took 60 ms instead of 3 at 100,000 messages). It is cheap
// (analysis_limit bounds the rows read a table) and runs at open, after
// imports and hourly. PostgreSQL's autovacuum does this by itself.
//
// SQLite's other connections (the readers) load the statistics with the
// schema and, when ANALYZE only rewrites sqlite_stat1, keep planning with
// the old ones: after a large import they went on walking the wrong index
// (a busy member's page at 200,000 messages: 120 ms instead of 11) until
// they were closed. So Optimize then changes the schema — a table created
// and dropped in one transaction — which makes every connection read the
// schema, and the new statistics, again before its next statement.
func (s *Store) Optimize(ctx context.Context) error {
	if s.engine != EngineSQLite {
		return nil
	}
	for _, pragma := range []string{`PRAGMA analysis_limit = 1000`, `PRAGMA optimize = 0x10002`} {
		if _, err := s.w.ExecContext(ctx, pragma); err != nil {
			return fmt.Errorf("store: optimize: %w", err)
		}
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, stmt := range []string{`CREATE TABLE statistics_reload (x INTEGER)`, `DROP TABLE statistics_reload`} {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: optimize: reload statistics: %w", err)
	}
	return nil
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
	case s.d.badText != nil && s.d.badText(err):
		return fmt.Errorf("%w: a text holds a NUL character: %v", ErrInvalid, err)
	}
	return err
}

// queryer is what reads need of *sql.DB and *sql.Tx alike, for the few
// reads that also run inside a write transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// idList writes ids as the list of an SQL IN (…): ids are integers of our
// own, so they may be written inline rather than bound. Each list makes a
// new statement for the engine to parse and plan, though: what runs often
// (imports, reads of the inbox) binds its ids as one parameter instead
// (dialect.inIDs).
func idList(ids []int64) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	return b.String()
}

// column reads every row of a one-column query into a slice (empty, not
// nil, when there is none).
func column[T any](ctx context.Context, q queryer, query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
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
	if s.engine == EnginePostgres {
		// Other palabre processes on this database learn at commit that
		// something changed: their live streams look for new events.
		// PostgreSQL delivers it only if the transaction commits.
		if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, LiveChannel, LiveWake); err != nil {
			tx.Rollback()
			return fmt.Errorf("notify: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	s.afterCommit()
	return nil
}

// Times are stored as Unix microseconds in both engines, so that ordering,
// precision and round trips are identical whatever the engine.

func toMicros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// TruncateTime brings t to the precision and zone the store keeps, so that
// callers can compare what they wrote with what they read back.
func TruncateTime(t time.Time) time.Time { return fromMicros(toMicros(t)) }
