package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"palabre/internal/enrich"
	"palabre/internal/model"
)

// Correction is a CM's verdict on one analysis field of one message, kept
// for the audit and for the workspace model, which learns from every
// correction in order.
type Correction struct {
	ID          int64     `json:"id"`
	WorkspaceID int64     `json:"workspace_id"`
	MessageID   int64     `json:"message_id,omitempty"` // 0 once the message is gone
	Field       string    `json:"field"`
	OldValue    string    `json:"old_value"`
	NewValue    string    `json:"new_value"`
	Text        string    `json:"text"` // what the model learns from
	Actor       string    `json:"actor"`
	CreatedAt   time.Time `json:"created_at"`
}

// Message returns one stored message of a workspace. A message of another
// workspace is ErrNotFound too.
func (s *Store) Message(ctx context.Context, workspaceID, id int64) (StoredMessage, error) {
	row := s.r.QueryRowContext(ctx, `SELECT `+messageColumns+messageJoins+`
		WHERE m.id = $1 AND m.workspace_id = $2`, id, workspaceID)
	m, err := scanMessage(row)
	if errors.Is(err, sql.ErrNoRows) {
		return StoredMessage{}, fmt.Errorf("message %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return StoredMessage{}, fmt.Errorf("message %d: %w", id, err)
	}
	return m, nil
}

// AddCorrection stores a correction and, when it names a message, sets the
// message's field to the corrected value and marks it corrected, so that
// no later analysis overwrites it. The message must belong to the
// correction's workspace. The audit log records it in the same
// transaction.
func (s *Store) AddCorrection(ctx context.Context, c Correction) (Correction, error) {
	bit := CorrectedField(c.Field)
	if bit == 0 {
		return Correction{}, fmt.Errorf("%w: field %q cannot be corrected", ErrInvalid, c.Field)
	}
	if c.Actor == "" {
		return Correction{}, fmt.Errorf("%w: a correction needs an actor", ErrInvalid)
	}
	// Only values the workspace model can learn: one it cannot would make
	// every later replay of the workspace's corrections fail.
	if err := (enrich.Correction{Field: c.Field, Value: c.NewValue}).Validate(); err != nil {
		return Correction{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now()
	}
	c.CreatedAt = TruncateTime(c.CreatedAt)
	var column string
	var value any = c.NewValue
	switch c.Field {
	case "sentiment", "intent":
		column = c.Field
	case "spam", "needs_response":
		column = c.Field
		b, err := strconv.ParseBool(c.NewValue)
		if err != nil {
			return Correction{}, fmt.Errorf("%w: %s %q: want true or false", ErrInvalid, c.Field, c.NewValue)
		}
		value = b
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var message any
		if c.MessageID != 0 {
			message = c.MessageID
			// The score beside a corrected flag would contradict it: it
			// becomes certain.
			extra := ""
			switch c.Field {
			case "spam":
				extra = ", spam_score = CASE WHEN $1 THEN 1.0 ELSE 0.0 END"
			case "needs_response":
				extra = ", needs_response_score = CASE WHEN $1 THEN 1.0 ELSE 0.0 END"
			case "sentiment":
				extra = ", sentiment_score = CASE $1 WHEN 'pos' THEN 1.0 WHEN 'neg' THEN -1.0 ELSE 0.0 END"
			}
			res, err := tx.ExecContext(ctx, `UPDATE messages SET `+column+` = $1, corrected = corrected | $2`+extra+`
				WHERE id = $3 AND workspace_id = $4`, value, int64(bit), c.MessageID, c.WorkspaceID)
			if err != nil {
				return fmt.Errorf("update message %d: %w", c.MessageID, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("message %d: %w", c.MessageID, ErrNotFound)
			}
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO corrections
			(workspace_id, message_id, field, old_value, new_value, text, actor, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			c.WorkspaceID, message, c.Field, c.OldValue, c.NewValue, c.Text, c.Actor, toMicros(c.CreatedAt)).Scan(&c.ID)
		if err != nil {
			return fmt.Errorf("insert correction: %w", err)
		}
		detail, _ := json.Marshal(map[string]any{"field": c.Field, "old": c.OldValue, "new": c.NewValue})
		subject := "correction " + strconv.FormatInt(c.ID, 10)
		if c.MessageID != 0 {
			subject = "message " + strconv.FormatInt(c.MessageID, 10)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO events (workspace_id, actor, action, subject, detail, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, c.WorkspaceID, c.Actor, "analysis.correct", subject, string(detail), toMicros(c.CreatedAt))
		if err != nil {
			return fmt.Errorf("record correction event: %w", err)
		}
		return nil
	})
	if err != nil {
		return Correction{}, fmt.Errorf("correct %s: %w", c.Field, s.translate(err))
	}
	return c, nil
}

// Corrections lists a workspace's corrections in the order they were made.
func (s *Store) Corrections(ctx context.Context, workspaceID int64) ([]Correction, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, workspace_id, message_id, field, old_value, new_value, text, actor, created_at
		FROM corrections WHERE workspace_id = $1 ORDER BY id`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("list corrections: %w", err)
	}
	defer rows.Close()
	var out []Correction
	for rows.Next() {
		var c Correction
		var message sql.NullInt64
		var created int64
		if err := rows.Scan(&c.ID, &c.WorkspaceID, &message, &c.Field, &c.OldValue, &c.NewValue, &c.Text, &c.Actor, &created); err != nil {
			return nil, fmt.Errorf("list corrections: %w", err)
		}
		c.MessageID = message.Int64
		c.CreatedAt = fromMicros(created)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list corrections: %w", err)
	}
	return out, nil
}

// AnalysisInput is what analysing a stored message needs.
type AnalysisInput struct {
	ID        int64
	Title     string
	Body      string
	IsStaff   bool
	Corrected CorrectedFields
}

// AnalysisInputs returns up to limit messages of a workspace with ids
// above afterID, in id order.
func (s *Store) AnalysisInputs(ctx context.Context, workspaceID, afterID int64, limit int) ([]AnalysisInput, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, title, body, author_is_staff, corrected FROM messages
		WHERE workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3`, workspaceID, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("read messages to analyse: %w", err)
	}
	defer rows.Close()
	var out []AnalysisInput
	for rows.Next() {
		var in AnalysisInput
		if err := rows.Scan(&in.ID, &in.Title, &in.Body, &in.IsStaff, &in.Corrected); err != nil {
			return nil, fmt.Errorf("read messages to analyse: %w", err)
		}
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read messages to analyse: %w", err)
	}
	return out, nil
}

// Analysis is the computed analysis of one stored message.
type Analysis struct {
	ID int64
	model.Message
}

// Reanalysis is the checkpoint of a workspace's reanalysis: the analysis
// version it runs with, the last message done, and progress counts.
type Reanalysis struct {
	Version string
	LastID  int64
	Done    int64
	Total   int64
}

// ReanalysisState returns a workspace's unfinished reanalysis, if any.
func (s *Store) ReanalysisState(ctx context.Context, workspaceID int64) (Reanalysis, bool, error) {
	var r Reanalysis
	err := s.r.QueryRowContext(ctx, `SELECT fingerprint, last_message_id, done, total FROM reanalysis WHERE workspace_id = $1`,
		workspaceID).Scan(&r.Version, &r.LastID, &r.Done, &r.Total)
	if errors.Is(err, sql.ErrNoRows) {
		return Reanalysis{}, false, nil
	}
	if err != nil {
		return Reanalysis{}, false, fmt.Errorf("read reanalysis state: %w", err)
	}
	return r, true, nil
}

// CountMessages returns how many messages a workspace has.
func (s *Store) CountMessages(ctx context.Context, workspaceID int64) (int64, error) {
	var n int64
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE workspace_id = $1`, workspaceID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count messages: %w", err)
	}
	return n, nil
}

// SaveAnalyses writes analyses of stored messages of a workspace and the
// reanalysis checkpoint in one transaction, so that a run killed midway
// resumes after the last batch written. Fields a CM corrected keep their
// corrected value.
func (s *Store) SaveAnalyses(ctx context.Context, workspaceID int64, rows []Analysis, checkpoint Reanalysis) error {
	args := make([]any, 0, len(rows)*11)
	for i := range rows {
		m := &rows[i].Message
		topics, err := encodeTopics(m.Topics)
		if err != nil {
			return fmt.Errorf("message %d: %w", rows[i].ID, err)
		}
		args = append(args, rows[i].ID, m.Lang, floatArg(m.LangConfidence), m.Sentiment, floatArg(m.SentimentScore),
			m.Intent, boolArg(m.NeedsResponse), floatArg(m.NeedsResponseScore), boolArg(m.Spam), floatArg(m.SpamScore), topics)
	}
	d := s.d
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if len(args) > 0 {
			err := d.bulkUpdate(ctx, tx, `UPDATE messages SET
				lang = v.column2,
				lang_confidence = v.column3,
				sentiment = CASE WHEN messages.corrected & 1 <> 0 THEN messages.sentiment ELSE v.column4 END,
				sentiment_score = CASE WHEN messages.corrected & 1 <> 0 THEN messages.sentiment_score ELSE v.column5 END,
				intent = CASE WHEN messages.corrected & 2 <> 0 THEN messages.intent ELSE v.column6 END,
				needs_response = CASE WHEN messages.corrected & 8 <> 0 THEN messages.needs_response ELSE v.column7 END,
				needs_response_score = CASE WHEN messages.corrected & 8 <> 0 THEN messages.needs_response_score ELSE v.column8 END,
				spam = CASE WHEN messages.corrected & 4 <> 0 THEN messages.spam ELSE v.column9 END,
				spam_score = CASE WHEN messages.corrected & 4 <> 0 THEN messages.spam_score ELSE v.column10 END,
				topics = v.column11
				FROM`, []string{"BIGINT", "TEXT", "DOUBLE PRECISION", "TEXT", "DOUBLE PRECISION", "TEXT", "BOOLEAN",
				"DOUBLE PRECISION", "BOOLEAN", "DOUBLE PRECISION", "TEXT"}, args,
				`WHERE messages.id = v.column1 AND messages.workspace_id = `+strconv.FormatInt(workspaceID, 10))
			if err != nil {
				return fmt.Errorf("update analyses: %w", err)
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO reanalysis (workspace_id, fingerprint, last_message_id, done, total, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (workspace_id) DO UPDATE SET fingerprint = excluded.fingerprint,
				last_message_id = excluded.last_message_id, done = excluded.done, total = excluded.total,
				updated_at = excluded.updated_at`,
			workspaceID, checkpoint.Version, checkpoint.LastID, checkpoint.Done, checkpoint.Total, toMicros(time.Now()))
		if err != nil {
			return fmt.Errorf("save reanalysis checkpoint: %w", err)
		}
		return nil
	})
	if err != nil {
		return s.translate(err)
	}
	return nil
}

// FinishReanalysis removes a workspace's checkpoint and records the run in
// the audit log.
func (s *Store) FinishReanalysis(ctx context.Context, workspaceID int64, actor string, r Reanalysis) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM reanalysis WHERE workspace_id = $1`, workspaceID); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"version": r.Version, "messages": r.Done})
		_, err := tx.ExecContext(ctx, `INSERT INTO events (workspace_id, actor, action, subject, detail, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, workspaceID, actor, "analysis.reanalyze", "", string(detail), toMicros(time.Now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("finish reanalysis: %w", s.translate(err))
	}
	return nil
}

// AnalysisStamp changes whenever a workspace's vocabulary or corrections
// change, so that every palabre node sharing the database knows when its
// copy of the workspace's analyzer is stale.
func (s *Store) AnalysisStamp(ctx context.Context, workspaceID int64) (string, error) {
	var corrections, lastCorrection, topics, lastTopic int64
	err := s.reader(ctx).QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM corrections WHERE workspace_id = $1),
		(SELECT COALESCE(MAX(id), 0) FROM corrections WHERE workspace_id = $1),
		(SELECT COUNT(*) FROM topics WHERE workspace_id = $1),
		(SELECT COALESCE(MAX(updated_at), 0) FROM topics WHERE workspace_id = $1)`, workspaceID).
		Scan(&corrections, &lastCorrection, &topics, &lastTopic)
	if err != nil {
		return "", fmt.Errorf("analysis stamp: %w", err)
	}
	return fmt.Sprintf("c%d.%d-t%d.%d", corrections, lastCorrection, topics, lastTopic), nil
}
