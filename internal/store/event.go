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
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		e, err = insertEvent(ctx, tx, e)
		return err
	})
	if err != nil {
		return model.Event{}, s.translate(err)
	}
	return e, nil
}

// insertEvent appends e to the audit log through q, which may be the
// transaction of the change it records.
func insertEvent(ctx context.Context, q queryer, e model.Event) (model.Event, error) {
	row, err := eventRow(&e)
	if err != nil {
		return model.Event{}, err
	}
	err = q.QueryRowContext(ctx, eventInsert+` VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, row...).Scan(&e.ID)
	if err != nil {
		return model.Event{}, fmt.Errorf("record event %s: %w", e.Action, err)
	}
	return e, nil
}

// eventInsert starts the INSERT of events, whose values eventRow gives.
const eventInsert = `INSERT INTO events (workspace_id, actor, action, subject, detail, conversation_id, recipient_id, created_at)`

// eventRow checks e, dates it now when it has no time, brings its time to
// the store's precision, and gives the values of its row, in the order of
// eventInsert.
func eventRow(e *model.Event) ([]any, error) {
	if e.Actor == "" || e.Action == "" {
		return nil, fmt.Errorf("%w: an event needs an actor and an action", ErrInvalid)
	}
	if e.CreatedAt.IsZero() {
		e.CreatedAt = time.Now()
	}
	e.CreatedAt = TruncateTime(e.CreatedAt)
	return []any{nullID(e.WorkspaceID), e.Actor, e.Action, e.Subject, e.Detail, nullID(e.ConversationID), nullID(e.RecipientID),
		toMicros(e.CreatedAt)}, nil
}

// nullID is id as a bind parameter, NULL when 0.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

const eventColumns = `id, workspace_id, actor, action, subject, detail, conversation_id, recipient_id, created_at`

func scanEvent(row interface{ Scan(...any) error }) (model.Event, error) {
	var e model.Event
	var ws, conv, rcpt sql.NullInt64
	var at int64
	err := row.Scan(&e.ID, &ws, &e.Actor, &e.Action, &e.Subject, &e.Detail, &conv, &rcpt, &at)
	e.WorkspaceID, e.ConversationID, e.RecipientID = ws.Int64, conv.Int64, rcpt.Int64
	e.CreatedAt = fromMicros(at)
	return e, err
}

// scanEvents reads every row of an events query.
func scanEvents(rows *sql.Rows, err error) ([]model.Event, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []model.Event{}
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// LastEventID returns the id of the newest event, 0 when there is none.
func (s *Store) LastEventID(ctx context.Context) (int64, error) {
	var id int64
	if err := s.reader(ctx).QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM events`).Scan(&id); err != nil {
		return 0, fmt.Errorf("last event: %w", err)
	}
	return id, nil
}

// EventsAfter returns up to limit events of every workspace with an id
// greater than afterID, by id: what the live stream tails.
func (s *Store) EventsAfter(ctx context.Context, afterID int64, limit int) ([]model.Event, error) {
	if limit < 1 {
		return nil, fmt.Errorf("%w: events after %d: limit %d must be positive", ErrInvalid, afterID, limit)
	}
	out, err := scanEvents(s.reader(ctx).QueryContext(ctx, `SELECT `+eventColumns+` FROM events WHERE id > $1 ORDER BY id LIMIT $2`, afterID, limit))
	if err != nil {
		return nil, fmt.Errorf("events after %d: %w", afterID, err)
	}
	return out, nil
}

// EventsByID returns the events among ids that exist, by id.
func (s *Store) EventsByID(ctx context.Context, ids []int64) ([]model.Event, error) {
	var out []model.Event
	for len(ids) > 0 {
		n := min(len(ids), 500)
		page, err := scanEvents(s.reader(ctx).QueryContext(ctx, `SELECT `+eventColumns+` FROM events WHERE id`+s.d.inIDs(1)+` ORDER BY id`, s.d.idSet(ids[:n])))
		if err != nil {
			return nil, fmt.Errorf("events by id: %w", err)
		}
		out = append(out, page...)
		ids = ids[n:]
	}
	return out, nil
}

// ConversationEvents returns the history of a conversation of the
// workspace: every audit event about it, oldest first, at most limit
// (1 to 1000) after the event afterID.
func (s *Store) ConversationEvents(ctx context.Context, workspaceID, conversationID, afterID int64, limit int) ([]model.Event, error) {
	if limit < 1 || limit > 1000 {
		return nil, fmt.Errorf("%w: limit %d: must be between 1 and 1000", ErrInvalid, limit)
	}
	out, err := scanEvents(s.r.QueryContext(ctx, `SELECT `+eventColumns+` FROM events
		WHERE conversation_id = $1 AND workspace_id = $2 AND id > $3 ORDER BY id LIMIT $4`,
		conversationID, workspaceID, afterID, limit))
	if err != nil {
		return nil, fmt.Errorf("history of conversation %d: %w", conversationID, err)
	}
	return out, nil
}

// Events lists a workspace's audit log, newest first, at most limit lines
// (1 to 1000).
func (s *Store) Events(ctx context.Context, workspaceID int64, limit int) ([]model.Event, error) {
	if limit < 1 || limit > 1000 {
		return nil, fmt.Errorf("%w: limit %d: must be between 1 and 1000", ErrInvalid, limit)
	}
	out, err := scanEvents(s.r.QueryContext(ctx, `SELECT `+eventColumns+`
		FROM events WHERE workspace_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, workspaceID, limit))
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return out, nil
}
