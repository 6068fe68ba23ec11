package store

import (
	"context"
	"fmt"

	"palabre/internal/model"
)

// Member returns one member of a workspace with its identities, or
// ErrNotFound.
func (s *Store) Member(ctx context.Context, workspaceID int64, id string) (model.Member, error) {
	var m model.Member
	var first, last int64
	err := s.r.QueryRowContext(ctx, `SELECT id, workspace_id, display_name, is_staff, message_count, first_seen_at, last_seen_at
		FROM members WHERE workspace_id = $1 AND id = $2`, workspaceID, id).
		Scan(&m.ID, &m.WorkspaceID, &m.DisplayName, &m.IsStaff, &m.MessageCount, &first, &last)
	if err != nil {
		return model.Member{}, fmt.Errorf("member %s: %w", id, s.translate(err))
	}
	m.FirstSeenAt, m.LastSeenAt = fromMicros(first), fromMicros(last)
	rows, err := s.r.QueryContext(ctx, `SELECT kind, value FROM identities
		WHERE workspace_id = $1 AND member_id = $2 ORDER BY kind, key`, workspaceID, id)
	if err != nil {
		return model.Member{}, fmt.Errorf("member %s identities: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var i model.Identity
		if err := rows.Scan(&i.Kind, &i.Value); err != nil {
			return model.Member{}, fmt.Errorf("member %s identities: %w", id, err)
		}
		m.Identities = append(m.Identities, i)
	}
	return m, rows.Err()
}
