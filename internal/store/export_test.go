package store

import (
	"context"
	"database/sql"
	"time"
)

// QueryRowForTest runs a query on the store's readers, for tests that
// check the connections' settings.
func (s *Store) QueryRowForTest(ctx context.Context, query string, args ...any) *sql.Row {
	return s.r.QueryRowContext(ctx, query, args...)
}

// ExecForTest runs a statement on the store's writer, for tests that set
// up tables of their own.
func (s *Store) ExecForTest(ctx context.Context, query string, args ...any) error {
	_, err := s.w.ExecContext(ctx, query, args...)
	return err
}

// ReaderForTest holds one of the store's reader connections, for tests of
// what a long-lived reader sees.
func (s *Store) ReaderForTest(ctx context.Context) (*sql.Conn, error) {
	return s.r.Conn(ctx)
}

// SearchDenseForTest makes the store take a search for common, as if its
// probe had found thousands of matches: its dense path is then tried on
// a small fixture.
func (s *Store) SearchDenseForTest(query string) {
	s.dense.remember(parseSearchQuery(query).fts5(), time.Now())
}

// ScrubClassesForTest returns the tables an erasure scrubs, with their
// text columns, and those it leaves alone, with why.
func ScrubClassesForTest() (map[string][]string, map[string]string) {
	swept := make(map[string][]string)
	for _, t := range scrubTargets {
		swept[t.table] = t.columns
	}
	return swept, unscrubbed
}

// InListForTest runs the dialect's chunked IN list on the readers.
func (s *Store) InListForTest(ctx context.Context, head string, lead []any, values []string, scan func(*sql.Rows) error) error {
	return s.d.inList(ctx, s.r, head, lead, values, ``, scan)
}
