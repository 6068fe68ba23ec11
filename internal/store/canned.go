package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"palabre/internal/model"
)

// checkCanned checks a canned reply's name, language and body; the caller
// checks the body's variables.
func checkCanned(c model.CannedReply) error {
	var errs []string
	if strings.TrimSpace(c.Name) == "" || utf8.RuneCountInString(c.Name) > model.MaxCannedNameLen || !utf8.ValidString(c.Name) {
		errs = append(errs, fmt.Sprintf("name: 1 to %d characters", model.MaxCannedNameLen))
	}
	if c.Language != "" && !model.ValidLanguage(c.Language) {
		errs = append(errs, fmt.Sprintf("language %q: a lower-case ISO 639-1 code such as fr or en, or empty for any", c.Language))
	}
	if strings.TrimSpace(c.Body) == "" || len(c.Body) > model.MaxReplyLen || !utf8.ValidString(c.Body) {
		errs = append(errs, fmt.Sprintf("body: 1 to %d bytes of text", model.MaxReplyLen))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: canned reply: %s", ErrInvalid, strings.Join(errs, "; "))
	}
	return nil
}

const cannedColumns = `id, name, language, body, usage_count, created_at, updated_at`

func scanCanned(row interface{ Scan(...any) error }) (model.CannedReply, error) {
	var c model.CannedReply
	var created, updated int64
	err := row.Scan(&c.ID, &c.Name, &c.Language, &c.Body, &c.UsageCount, &created, &updated)
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return c, err
}

// CannedReplies lists a workspace's canned replies by name and language;
// language, when not "", keeps those in that language and those for any.
func (s *Store) CannedReplies(ctx context.Context, workspaceID int64, language string) ([]model.CannedReply, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+cannedColumns+` FROM canned_replies
		WHERE workspace_id = $1 AND ($2 = '' OR language = $2 OR language = '') ORDER BY name, language`, workspaceID, language)
	if err != nil {
		return nil, fmt.Errorf("canned replies: %w", err)
	}
	defer rows.Close()
	out := []model.CannedReply{}
	for rows.Next() {
		c, err := scanCanned(rows)
		if err != nil {
			return nil, fmt.Errorf("canned replies: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CannedReply returns one canned reply of the workspace, or ErrNotFound.
func (s *Store) CannedReply(ctx context.Context, workspaceID, id int64) (model.CannedReply, error) {
	c, err := scanCanned(s.r.QueryRowContext(ctx, `SELECT `+cannedColumns+` FROM canned_replies WHERE id = $1 AND workspace_id = $2`, id, workspaceID))
	if err != nil {
		return model.CannedReply{}, fmt.Errorf("canned reply %d: %w", id, s.translate(err))
	}
	return c, nil
}

// SaveCannedReply creates a canned reply (c.ID 0) or replaces one of the
// workspace, recording an audit event; a name and language another reply
// of the workspace has is ErrConflict.
func (s *Store) SaveCannedReply(ctx context.Context, workspaceID int64, c model.CannedReply, actor string) (model.CannedReply, error) {
	if err := checkCanned(c); err != nil {
		return model.CannedReply{}, err
	}
	now := toMicros(time.Now())
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		action := "canned.update"
		if c.ID == 0 {
			action = "canned.create"
			err := tx.QueryRowContext(ctx, `INSERT INTO canned_replies (workspace_id, name, language, body, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`, workspaceID, c.Name, c.Language, c.Body, now).Scan(&c.ID)
			if err != nil {
				return s.translate(err)
			}
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE canned_replies SET name = $1, language = $2, body = $3, updated_at = $4
				WHERE id = $5 AND workspace_id = $6`, c.Name, c.Language, c.Body, now, c.ID, workspaceID)
			if err != nil {
				return s.translate(err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("canned reply %d: %w", c.ID, ErrNotFound)
			}
		}
		_, err := insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Actor: actor, Action: action,
			Subject: c.Name, Detail: eventDetail(map[string]any{"id": c.ID, "language": c.Language})})
		return err
	})
	if errors.Is(err, ErrConflict) {
		return model.CannedReply{}, fmt.Errorf("%w: a canned reply named %q in language %q exists", ErrConflict, c.Name, c.Language)
	}
	if err != nil {
		return model.CannedReply{}, fmt.Errorf("save canned reply %q: %w", c.Name, err)
	}
	return s.CannedReply(ctx, workspaceID, c.ID)
}

// DeleteCannedReply deletes a canned reply of the workspace.
func (s *Store) DeleteCannedReply(ctx context.Context, workspaceID, id int64, actor string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var name string
		err := tx.QueryRowContext(ctx, `DELETE FROM canned_replies WHERE id = $1 AND workspace_id = $2 RETURNING name`, id, workspaceID).Scan(&name)
		if err != nil {
			return s.translate(err)
		}
		_, err = insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Actor: actor, Action: "canned.delete",
			Subject: name, Detail: eventDetail(map[string]any{"id": id})})
		return err
	})
	if err != nil {
		return fmt.Errorf("delete canned reply %d: %w", id, err)
	}
	return nil
}
