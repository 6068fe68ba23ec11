package store

import (
	"context"
	"database/sql"
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
