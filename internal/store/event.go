package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"palabre/internal/model"
)

// RecordEvent appends one line to the audit log and returns it with its id.
// A zero CreatedAt means now.
func (s *Store) RecordEvent(ctx context.Context, e model.Event) (model.Event, error) {
	e, err := insertEvent(ctx, s.w, e)
	if err != nil {
		return model.Event{}, s.translate(err)
	}
	return e, nil
}

// insertEvent appends e to the audit log through q, which may be the
// transaction of the change it records.
func insertEvent(ctx context.Context, q queryer, e model.Event) (model.Event, error) {
	if e.Actor == "" || e.Action == "" {
		return model.Event{}, fmt.Errorf("%w: an event needs an actor and an action", ErrInvalid)
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now()
	}
	e.CreatedAt = TruncateTime(e.CreatedAt)
	var ws any
	if e.WorkspaceID != 0 {
		ws = e.WorkspaceID
	}
	err := q.QueryRowContext(ctx, `INSERT INTO events (workspace_id, actor, action, subject, detail, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		ws, e.Actor, e.Action, e.Subject, e.Detail, toMicros(e.CreatedAt)).Scan(&e.ID)
	if err != nil {
		return model.Event{}, fmt.Errorf("record event %s: %w", e.Action, err)
	}
	return e, nil
}

// Events lists a workspace's audit log, newest first, at most limit lines
// (1 to 1000).
func (s *Store) Events(ctx context.Context, workspaceID int64, limit int) ([]model.Event, error) {
	if limit < 1 || limit > 1000 {
		return nil, fmt.Errorf("%w: limit %d: must be between 1 and 1000", ErrInvalid, limit)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, workspace_id, actor, action, subject, detail, created_at
		FROM events WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, workspaceID, limit)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	var out []model.Event
	for rows.Next() {
		var e model.Event
		var ws sql.NullInt64
		var at int64
		if err := rows.Scan(&e.ID, &ws, &e.Actor, &e.Action, &e.Subject, &e.Detail, &at); err != nil {
			return nil, fmt.Errorf("list events: %w", err)
		}
		e.WorkspaceID = ws.Int64
		e.CreatedAt = fromMicros(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
