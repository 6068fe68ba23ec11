package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"palabre/internal/alerts"
	"palabre/internal/model"
)

// AlertSettings returns a workspace's alert settings, the defaults
// (turned off) when it has none.
func (s *Store) AlertSettings(ctx context.Context, workspaceID int64) (model.AlertSettings, error) {
	var raw string
	var updated int64
	err := s.r.QueryRowContext(ctx, `SELECT settings, updated_at FROM alert_settings WHERE workspace_id = $1`, workspaceID).Scan(&raw, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return alerts.Check(model.AlertSettings{})
	}
	if err != nil {
		return model.AlertSettings{}, fmt.Errorf("alert settings of workspace %d: %w", workspaceID, err)
	}
	var set model.AlertSettings
	if err := json.Unmarshal([]byte(raw), &set); err != nil {
		return set, fmt.Errorf("alert settings of workspace %d: %w", workspaceID, err)
	}
	set.UpdatedAt = fromMicros(updated)
	return set, nil
}

// SetAlertSettings replaces a workspace's alert settings (checked by
// alerts.Check; ErrInvalid otherwise), with an "alert.settings" event by
// actor. Set the first time, detection starts from the newest message:
// what was written before raises nothing.
func (s *Store) SetAlertSettings(ctx context.Context, workspaceID int64, set model.AlertSettings, actor string, now time.Time) (model.AlertSettings, error) {
	set, err := alerts.Check(set)
	if err != nil {
		return set, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := checkRecipients(set.Recipients); err != nil {
		return set, err
	}
	set.UpdatedAt = TruncateTime(now)
	raw, err := json.Marshal(set)
	if err != nil {
		return set, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var newest sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT MAX(id) FROM messages WHERE workspace_id = $1`, workspaceID).Scan(&newest); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_settings (workspace_id, settings, last_message_id, updated_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT (workspace_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`,
			workspaceID, string(raw), newest.Int64, toMicros(now)); err != nil {
			return err
		}
		_, err := insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Actor: actor, Action: "alert.settings",
			Detail: string(raw), CreatedAt: now})
		return err
	})
	if err != nil {
		return set, fmt.Errorf("alert settings of workspace %d: %w", workspaceID, s.translate(err))
	}
	return set, nil
}

// Watched is a workspace whose alerts are on, with the newest message
// detection has seen and the newest it holds.
type Watched struct {
	Workspace    model.Workspace
	Settings     model.AlertSettings
	Seen, Newest int64
}

// WatchedWorkspaces lists the workspaces whose alerts are on.
func (s *Store) WatchedWorkspaces(ctx context.Context) ([]Watched, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT w.id, w.slug, w.name, w.sector, w.language, a.settings, a.last_message_id,
			(SELECT COALESCE(MAX(m.id), 0) FROM messages m WHERE m.workspace_id = w.id)
		FROM alert_settings a JOIN workspaces w ON w.id = a.workspace_id ORDER BY w.id`)
	if err != nil {
		return nil, fmt.Errorf("watched workspaces: %w", err)
	}
	defer rows.Close()
	var out []Watched
	for rows.Next() {
		var w Watched
		var raw string
		if err := rows.Scan(&w.Workspace.ID, &w.Workspace.Slug, &w.Workspace.Name, &w.Workspace.Sector, &w.Workspace.Language,
			&raw, &w.Seen, &w.Newest); err != nil {
			return nil, fmt.Errorf("watched workspaces: %w", err)
		}
		if err := json.Unmarshal([]byte(raw), &w.Settings); err != nil {
			return nil, fmt.Errorf("alert settings of %s: %w", w.Workspace.Slug, err)
		}
		if w.Settings.Enabled {
			out = append(out, w)
		}
	}
	return out, rows.Err()
}

// AlertMessages returns the customers' messages of a workspace written
// from–to (spam and trash left out), at most limit, the newest first.
func (s *Store) AlertMessages(ctx context.Context, workspaceID int64, from, to time.Time, limit int) ([]alerts.Message, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT m.id, m.conversation_id, m.created_at, m.lang, m.sentiment, m.topics, m.body
		FROM messages m WHERE m.workspace_id = $1 AND m.created_at >= $2 AND m.created_at < $3 AND NOT m.author_is_staff
			AND m.status NOT IN ('`+model.StatusSpam+`', '`+model.StatusTrash+`')
		ORDER BY m.created_at DESC, m.id DESC LIMIT $4`, workspaceID, toMicros(from), toMicros(to), limit)
	if err != nil {
		return nil, fmt.Errorf("alert messages: %w", err)
	}
	defer rows.Close()
	var out []alerts.Message
	for rows.Next() {
		var m alerts.Message
		var at int64
		var topics string
		if err := rows.Scan(&m.ID, &m.ConversationID, &at, &m.Lang, &m.Sentiment, &topics, &m.Body); err != nil {
			return nil, fmt.Errorf("alert messages: %w", err)
		}
		m.At = fromMicros(at)
		if m.Topics, err = decodeTopics(topics); err != nil {
			return nil, fmt.Errorf("alert messages: topics of message %d: %w", m.ID, err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// AlertBaseline counts the customers' messages of a workspace written
// from–to as AlertMessages reads them: all, negative, by topic. The
// database counts; only the distinct sets of topics come back.
func (s *Store) AlertBaseline(ctx context.Context, workspaceID int64, from, to time.Time) (alerts.Counts, error) {
	c := alerts.Counts{Topics: map[string]int{}}
	err := queryEach(ctx, s.r, `SELECT m.sentiment = 'neg', m.topics, COUNT(*)
		FROM messages m WHERE m.workspace_id = $1 AND m.created_at >= $2 AND m.created_at < $3 AND NOT m.author_is_staff
			AND m.status NOT IN ('`+model.StatusSpam+`', '`+model.StatusTrash+`')
		GROUP BY m.sentiment = 'neg', m.topics`, []any{workspaceID, toMicros(from), toMicros(to)},
		func(rows *sql.Rows) error {
			var negative bool
			var raw string
			var n int
			if err := rows.Scan(&negative, &raw, &n); err != nil {
				return err
			}
			topics, err := decodeTopics(raw)
			if err != nil {
				return err
			}
			c.All += n
			if negative {
				c.Negative += n
			}
			for _, t := range topics {
				c.Topics[t] += n
			}
			return nil
		})
	if err != nil {
		return c, fmt.Errorf("alert baseline: %w", err)
	}
	return c, nil
}

// RaiseAlerts records the alerts detection found in a workspace up to
// its message newest, having seen up to seen before: a compare-and-set on
// seen, so that when two nodes detect at once one raises. Each alert new
// (of its kind, subject and bucket) gets an "alert.raised" event, which
// the live stream and webhooks carry; those raised are returned.
func (s *Store) RaiseAlerts(ctx context.Context, workspaceID int64, list []model.Alert, seen, newest int64, now time.Time) ([]model.Alert, error) {
	var raised []model.Alert
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		raised = nil
		res, err := tx.ExecContext(ctx, `UPDATE alert_settings SET last_message_id = $1 WHERE workspace_id = $2 AND last_message_id = $3`,
			newest, workspaceID, seen)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // another node looked first
		}
		for _, a := range list {
			a.WorkspaceID, a.CreatedAt = workspaceID, TruncateTime(now)
			ids, _ := json.Marshal(a.MessageIDs)
			err := tx.QueryRowContext(ctx, `INSERT INTO alerts (workspace_id, kind, subject, bucket, from_at, to_at, count, usual,
				message_ids, headline, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
				ON CONFLICT (workspace_id, kind, subject, bucket) DO NOTHING RETURNING id`,
				workspaceID, a.Kind, a.Subject, a.Bucket, toMicros(a.From), toMicros(a.To), a.Count, a.Usual, string(ids),
				a.Headline, toMicros(now)).Scan(&a.ID)
			if errors.Is(err, sql.ErrNoRows) {
				continue // raised before, this window
			}
			if err != nil {
				return err
			}
			detail, _ := json.Marshal(a)
			if _, err := insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Actor: "palabre", Action: "alert.raised",
				Subject: a.Kind, Detail: string(detail), CreatedAt: now}); err != nil {
				return err
			}
			raised = append(raised, a)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("raise alerts: %w", s.translate(err))
	}
	return raised, nil
}

const alertColumns = `id, workspace_id, kind, subject, bucket, from_at, to_at, count, usual, message_ids, headline, created_at, emailed_at`

func scanAlert(rows *sql.Rows, extra ...any) (model.Alert, error) {
	var a model.Alert
	var from, to, created int64
	var emailed sql.NullInt64
	var ids string
	dest := append([]any{&a.ID, &a.WorkspaceID, &a.Kind, &a.Subject, &a.Bucket, &from, &to, &a.Count, &a.Usual, &ids, &a.Headline, &created, &emailed}, extra...)
	if err := rows.Scan(dest...); err != nil {
		return a, err
	}
	a.From, a.To, a.CreatedAt = fromMicros(from), fromMicros(to), fromMicros(created)
	if emailed.Valid {
		at := fromMicros(emailed.Int64)
		a.EmailedAt = &at
	}
	return a, json.Unmarshal([]byte(ids), &a.MessageIDs)
}

// Alerts lists a workspace's alerts, the newest first, at most limit.
func (s *Store) Alerts(ctx context.Context, workspaceID int64, limit int) ([]model.Alert, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+alertColumns+` FROM alerts WHERE workspace_id = $1
		ORDER BY created_at DESC, id DESC LIMIT $2`, workspaceID, limit)
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	defer rows.Close()
	out := []model.Alert{}
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, fmt.Errorf("alerts: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AlertMail is an alert whose e-mail a node holds the lease of.
type AlertMail struct {
	model.Alert
	Attempts int
	Token    string
}

// ClaimAlertMails returns up to limit alerts not yet e-mailed, due at now,
// of workspaces whose alerts are on, each claimed until now+lease.
func (s *Store) ClaimAlertMails(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]AlertMail, error) {
	q := leased[AlertMail]{what: "alert e-mail", many: "alert e-mails", table: "alerts", cond: `emailed_at IS NULL`,
		query: `SELECT ` + alertColumns + `, mail_attempts, lease_token FROM alerts
			WHERE emailed_at IS NULL AND mail_attempts < ` + fmt.Sprint(MaxAlertMailAttempts) + ` AND mail_next_at <= $1 AND lease_until <= $1
				AND created_at > $1 - ` + fmt.Sprint(maxAlertMailAge.Microseconds()) + `
			ORDER BY created_at, id LIMIT $2`,
		scan: func(rows *sql.Rows) (AlertMail, error) {
			var m AlertMail
			a, err := scanAlert(rows, &m.Attempts, &m.Token)
			m.Alert = a
			return m, err
		},
		lease: func(m *AlertMail) (int64, *string) { return m.ID, &m.Token }}
	return q.claim(ctx, s, now, limit, lease)
}

// MaxAlertMailAttempts bounds the attempts at an alert's e-mail, and
// maxAlertMailAge its age (e-mail turned on later sends none of the
// alerts before): an alert late by hours is no alert.
const (
	MaxAlertMailAttempts = 5
	maxAlertMailAge      = 6 * time.Hour
)

// AlertMailed records a claimed alert's e-mail sent at now, or, with a
// failure reason, tried and due again at next.
func (s *Store) AlertMailed(ctx context.Context, m AlertMail, reason string, next, now time.Time) error {
	var res sql.Result
	var err error
	if reason == "" {
		res, err = s.w.ExecContext(ctx, `UPDATE alerts SET emailed_at = $1, mail_attempts = mail_attempts + 1, mail_error = '',
			lease_token = '', lease_until = 0 WHERE id = $2 AND lease_token = $3`, toMicros(now), m.ID, m.Token)
	} else {
		res, err = s.w.ExecContext(ctx, `UPDATE alerts SET mail_attempts = mail_attempts + 1, mail_error = $1, mail_next_at = $2,
			lease_token = '', lease_until = 0 WHERE id = $3 AND lease_token = $4`, clipReason(reason), toMicros(next), m.ID, m.Token)
	}
	return claimed(res, err, fmt.Sprintf("alert %d: record its e-mail", m.ID))
}

// AlertQuote is a message an alert names, as its e-mail quotes it.
type AlertQuote struct {
	ID, ConversationID int64
	At                 time.Time
	Author, Body       string
}

// AlertQuotes returns the messages of a workspace with the given ids, in
// that order (those not found left out).
func (s *Store) AlertQuotes(ctx context.Context, workspaceID int64, ids []int64) ([]AlertQuote, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	byID := map[int64]AlertQuote{}
	err := queryEach(ctx, s.r, `SELECT id, conversation_id, created_at, author_name, body FROM messages
		WHERE workspace_id = $1 AND id`+s.d.inIDs(2), []any{workspaceID, s.d.idSet(ids)},
		func(rows *sql.Rows) error {
			var q AlertQuote
			var at int64
			if err := rows.Scan(&q.ID, &q.ConversationID, &at, &q.Author, &q.Body); err != nil {
				return err
			}
			q.At = fromMicros(at)
			byID[q.ID] = q
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("alert quotes: %w", err)
	}
	var out []AlertQuote
	for _, id := range ids {
		if q, ok := byID[id]; ok {
			out = append(out, q)
		}
	}
	return out, nil
}
