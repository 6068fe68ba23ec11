package store

import (
	"context"
	"database/sql"
	"fmt"

	"palabre/internal/model"
)

// Member returns one member of a workspace with its identities and tags,
// or ErrNotFound. A member merged into another is still found, with
// MergedInto saying where its identities and messages went.
func (s *Store) Member(ctx context.Context, workspaceID int64, id string) (model.Member, error) {
	var m model.Member
	var first, last int64
	var merged sql.NullString
	err := s.r.QueryRowContext(ctx, `SELECT id, workspace_id, display_name, is_staff, message_count, first_seen_at, last_seen_at, merged_into
		FROM members WHERE workspace_id = $1 AND id = $2`, workspaceID, id).
		Scan(&m.ID, &m.WorkspaceID, &m.DisplayName, &m.IsStaff, &m.MessageCount, &first, &last, &merged)
	if err != nil {
		return model.Member{}, fmt.Errorf("member %s: %w", id, s.translate(err))
	}
	m.FirstSeenAt, m.LastSeenAt, m.MergedInto = fromMicros(first), fromMicros(last), merged.String
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
	if err := rows.Err(); err != nil {
		return model.Member{}, fmt.Errorf("member %s identities: %w", id, err)
	}
	rows.Close()
	if m.Tags, err = memberTags(ctx, s.r, workspaceID, id); err != nil {
		return model.Member{}, err
	}
	return m, nil
}
