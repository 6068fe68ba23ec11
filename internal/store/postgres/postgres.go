// Package postgres holds what palabre's store needs to know about
// PostgreSQL: opening a pgx pool behind database/sql, the schema migrations,
// and how its errors map to the store's sentinels.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// Migrations holds the numbered schema steps, applied in name order.
//
//go:embed migrations/*.sql
var Migrations embed.FS

// Open connects to the PostgreSQL database named by a postgres:// URL.
// Its connections number 4 per core palabre may use (4 to 64), or
// pool_max_conns in the URL's query: more than the database server's
// cores can run at once only make them wait on each other (on 2 cores,
// 16 connections made the soak's webhook answers three times slower
// than 8, and 64 slower still).
func Open(ctx context.Context, dsn string) (*sql.DB, error) {
	dsn, conns, err := poolSize(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return open(ctx, dsn, conns)
}

// Pools are a store's connections in two pools: the writers', for
// transactions and for the reads that storing or announcing what arrives
// waits for; the readers', for the rest — a team's screens, their
// searches and reports.
type Pools struct {
	Writer, Reader *sql.DB
}

// OpenPools is Open with the connections parted in two pools: a quarter
// for the readers (one per core by default), the rest for the writers;
// with one connection in all, both are the same pool. The database
// server gives each busy connection an equal share of its cores: with
// as many readers as writers, a crowd of reads made the soak's webhook
// answers slower than the goal (a delivery p99 of 0.51 s over ten
// minutes on 2 cores); with a quarter, the reads wait among themselves
// instead (0.43 s; the reads' p99 went from 0.1–0.3 s to 0.2–0.6 s).
func OpenPools(ctx context.Context, dsn string) (Pools, error) {
	dsn, conns, err := poolSize(dsn)
	if err != nil {
		return Pools{}, fmt.Errorf("postgres: %w", err)
	}
	if conns < 2 {
		db, err := open(ctx, dsn, conns)
		return Pools{Writer: db, Reader: db}, err
	}
	readers := max(conns/4, 1)
	w, err := open(ctx, dsn, conns-readers)
	if err != nil {
		return Pools{}, err
	}
	r, err := open(ctx, dsn, readers)
	if err != nil {
		w.Close()
		return Pools{}, err
	}
	return Pools{Writer: w, Reader: r}, nil
}

// Close closes the pools.
func (p Pools) Close() error {
	if p.Reader == p.Writer {
		return p.Writer.Close()
	}
	return errors.Join(p.Writer.Close(), p.Reader.Close())
}

// open connects a pool of at most conns connections to dsn, a URL
// without pool_max_conns.
func open(ctx context.Context, dsn string, conns int) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	// Plan every statement with its actual values. A plan cached for a
	// statement prepared while a table was still empty (the first batch of
	// an import) keeps scanning it whole once it has grown.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	// No JIT compilation: palabre's queries read a page of rows, and the
	// planner's estimate for a search over a common word turned JIT on,
	// which spent 413 ms compiling a query that runs in 4.
	if _, set := cfg.RuntimeParams["jit"]; !set {
		cfg.RuntimeParams["jit"] = "off"
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	return db, nil
}

// poolSize returns dsn without its pool_max_conns parameter, which the
// server would refuse, and the connections it asks for (by default 4
// per core palabre may use, 4 to 64).
func poolSize(dsn string) (string, int, error) {
	conns := min(max(4*runtime.GOMAXPROCS(0), 4), 64)
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || !u.Query().Has("pool_max_conns") {
		return dsn, conns, nil // pgx says what is wrong with it, if anything
	}
	q := u.Query()
	v := q.Get("pool_max_conns")
	if conns, err = strconv.Atoi(v); err != nil || conns < 1 || conns > 1000 {
		return "", 0, fmt.Errorf("pool_max_conns=%q: a number of connections from 1 to 1000", v)
	}
	q.Del("pool_max_conns")
	u.RawQuery = q.Encode()
	return u.String(), conns, nil
}

// IsUniqueViolation reports whether err is a unique_violation (23505).
func IsUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// IsUnstorableText reports whether err is PostgreSQL refusing a text it
// cannot hold (a NUL character: character_not_in_repertoire, 22021, or
// untranslatable_character, 22P05), which SQLite stores.
func IsUnstorableText(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "22021" || pe.Code == "22P05")
}

// BinaryResults, given as a query's first argument, has its results sent
// in binary rather than as text: bytea comes as it is, not in hex twice
// as long to decode (the rollups' data). The statement is described
// first, one more round trip.
func BinaryResults() any { return pgx.QueryExecModeDescribeExec }

// CopyFrom loads rows into table through PostgreSQL's COPY protocol, on
// conn and so within whatever transaction conn is in. next returns each
// row's values in the order of columns, and false after the last one.
func CopyFrom(ctx context.Context, conn *sql.Conn, table string, columns []string, next func() ([]any, bool, error)) (int64, error) {
	var n int64
	err := conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("postgres: copy into %s: not a pgx connection (%T)", table, dc)
		}
		var err error
		n, err = c.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, &copySource{next: next})
		return err
	})
	return n, err
}

// copySource adapts a row function to pgx.CopyFromSource.
type copySource struct {
	next func() ([]any, bool, error)
	row  []any
	err  error
}

func (s *copySource) Next() bool {
	var ok bool
	s.row, ok, s.err = s.next()
	return ok && s.err == nil
}

func (s *copySource) Values() ([]any, error) { return s.row, nil }

func (s *copySource) Err() error { return s.err }
