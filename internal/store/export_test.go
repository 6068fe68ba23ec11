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
