package store

// Moderation sent back: a CM approves, holds, marks as spam or trashes a
// customer's message. The message takes its new status at once; where a
// live source of its channel can moderate, the action waits in the
// moderations table for the outbox worker, which claims it, applies it
// on the platform and records how that went. Applying an action twice
// leaves the platform as once, so an attempt cut short is simply made
// again.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"palabre/internal/model"
)

// Moderation statuses besides OutboxPending, OutboxSent and OutboxFailed:
// ModerationLocal, the action was applied in palabre only, as no live
// source of the channel can send it.
const ModerationLocal = "local"

// Moderation is a moderation action on a customer's message and how it
// went out to the message's platform.
type Moderation struct {
	ID             int64  `json:"id,omitempty"`
	ConversationID int64  `json:"conversation_id"`
	MessageID      int64  `json:"message_id"`
	Channel        string `json:"channel"`
	Action         string `json:"action"`
	// MessageStatus is the message's status once the action applied.
	MessageStatus string `json:"message_status"`
	// Status: pending, sent, failed, or local (nothing to send).
	Status    string     `json:"status"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error,omitempty"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
	// NextAttemptAt is when a pending action is tried next.
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
}

// ModerateMessage applies action (model.ModApprove, …) to a customer's
// message of the workspace as asked by actor: the message takes the
// action's status, a "message.moderate" event is recorded, and the
// action is queued for the platform when a source of the channel can
// send it, replacing an action still waiting for the same message.
// ErrInvalid for an unknown action or a message the team wrote,
// ErrNotFound for a message not in the workspace.
func (s *Store) ModerateMessage(ctx context.Context, workspaceID, messageID int64, action, actor string, now time.Time) (Moderation, error) {
	status, ok := model.ModeratedStatus(action)
	if !ok {
		return Moderation{}, fmt.Errorf("%w: moderation action %q: must be one of %v", ErrInvalid, action, model.ModerationActions())
	}
	mod := Moderation{MessageID: messageID, Action: action, MessageStatus: status, Status: ModerationLocal,
		CreatedBy: actor, CreatedAt: now.UTC().Truncate(time.Microsecond)}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var channelID int64
		var staff bool
		err := tx.QueryRowContext(ctx, `SELECT m.channel_id, ch.name, m.conversation_id, m.author_is_staff
			FROM messages m JOIN channels ch ON ch.id = m.channel_id
			WHERE m.id = $1 AND m.workspace_id = $2`, messageID, workspaceID).
			Scan(&channelID, &mod.Channel, &mod.ConversationID, &staff)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("message %d: %w", messageID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if staff {
			return fmt.Errorf("%w: message %d was written by the team: only customers' messages are moderated", ErrInvalid, messageID)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET status = $1 WHERE id = $2`, status, messageID); err != nil {
			return err
		}
		sends, err := channelModerates(ctx, tx, channelID, action)
		if err != nil {
			return err
		}
		at := toMicros(now)
		if sends {
			// The lease is left as it is: an older action being sent
			// finishes first, and this one waits for it.
			err = tx.QueryRowContext(ctx, `INSERT INTO moderations (workspace_id, channel_id, conversation_id, message_id,
					action, next_attempt_at, created_by, created_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $6)
				ON CONFLICT (message_id) DO UPDATE SET action = excluded.action, status = 'pending', attempts = 0,
					next_attempt_at = excluded.next_attempt_at, last_error = '', created_by = excluded.created_by,
					created_at = excluded.created_at, sent_at = NULL
				RETURNING id`, workspaceID, channelID, mod.ConversationID, messageID, action, at, actor).Scan(&mod.ID)
			if err != nil {
				return err
			}
			mod.Status, mod.NextAttemptAt = OutboxPending, &mod.CreatedAt
		} else if _, err := tx.ExecContext(ctx, `DELETE FROM moderations WHERE message_id = $1`, messageID); err != nil {
			return err // an older action no longer stands for what the CM wants
		}
		_, err = insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, ConversationID: mod.ConversationID,
			Actor: actor, Action: "message.moderate", Subject: fmt.Sprintf("message %d", messageID),
			Detail: eventDetail(map[string]any{"action": action, "status": status, "sent": sends})})
		return err
	})
	if err != nil {
		return Moderation{}, fmt.Errorf("moderate message %d: %w", messageID, err)
	}
	return mod, nil
}

// channelModerates reports whether a source of the channel, paused or
// not, can send action to its platform.
func channelModerates(ctx context.Context, q queryer, channelID int64, action string) (bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT kind FROM sources WHERE channel_id = $1`, channelID)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	found := false
	for rows.Next() {
		var kind string
		if err := rows.Scan(&kind); err != nil {
			return false, err
		}
		found = found || model.Moderates(kind, action)
	}
	return found, rows.Err()
}

// moderatingKinds are the kinds of source that can moderate, as an SQL
// list.
const moderatingKinds = `('` + model.SourceWordPress + `', '` + model.SourceEmail + `')`

// ModerationClaim is a moderation action a node has claimed to send, with
// what its channel's connector needs.
type ModerationClaim struct {
	Moderation
	WorkspaceID int64
	Token       string
	// ExternalID is the message's id on its platform.
	ExternalID string
	// The source that sends it: the channel's first enabled source of a
	// kind that can moderate.
	SourceID     int64
	SourceKind   string
	SourceConfig string
}

// ClaimModerations returns up to limit pending moderation actions due at
// now that no other node holds and that a live source of their channel
// can send, each claimed until now+lease by a compare-and-set.
func (s *Store) ClaimModerations(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]ModerationClaim, error) {
	q := leased[ModerationClaim]{what: "moderation", many: "moderations", table: "moderations", cond: `status = 'pending'`,
		query: `SELECT mo.id, mo.workspace_id, mo.conversation_id, mo.message_id, ch.name, mo.action,
				mo.status, mo.attempts, mo.last_error, mo.created_by, mo.created_at, mo.lease_token, m.external_id, so.id, so.kind, so.config
			FROM moderations mo JOIN channels ch ON ch.id = mo.channel_id JOIN messages m ON m.id = mo.message_id
			JOIN sources so ON so.id = (SELECT MIN(s2.id) FROM sources s2
				WHERE s2.channel_id = mo.channel_id AND s2.enabled AND s2.kind IN ` + moderatingKinds + `)
			WHERE mo.status = 'pending' AND mo.next_attempt_at <= $1 AND mo.lease_until <= $1
			ORDER BY mo.next_attempt_at, mo.id LIMIT $2`,
		scan: func(rows *sql.Rows) (ModerationClaim, error) {
			var c ModerationClaim
			var created int64
			err := rows.Scan(&c.ID, &c.WorkspaceID, &c.ConversationID, &c.MessageID, &c.Channel, &c.Action,
				&c.Status, &c.Attempts, &c.LastError, &c.CreatedBy, &created, &c.Token, &c.ExternalID,
				&c.SourceID, &c.SourceKind, &c.SourceConfig)
			c.CreatedAt = fromMicros(created)
			c.MessageStatus, _ = model.ModeratedStatus(c.Action)
			return c, err
		},
		lease: func(c *ModerationClaim) (int64, *string) { return c.ID, &c.Token }}
	return q.claim(ctx, s, now, limit, lease)
}

// ModerationSent records that the platform applied a claimed action and
// releases the claim. A "moderation.sent" event is recorded. When the CM
// asked another action meanwhile, that one stays pending.
func (s *Store) ModerationSent(ctx context.Context, c ModerationClaim, now time.Time) error {
	return s.finishModeration(ctx, c, func(tx *sql.Tx) (sql.Result, error) {
		return tx.ExecContext(ctx, `UPDATE moderations SET status = 'sent', attempts = attempts + 1, sent_at = $1,
			last_error = '', lease_token = '', lease_until = 0 WHERE id = $2 AND lease_token = $3 AND action = $4`,
			toMicros(now), c.ID, c.Token, c.Action)
	}, "moderation.sent", map[string]any{"moderation": c.ID, "action": c.Action})
}

// ModerationFailed records a failed attempt at a claimed action: due
// again at next, or failed for good when giveUp (a "moderation.failed"
// event then tells the conversation). When the CM asked another action
// meanwhile, that one is tried instead, at once.
func (s *Store) ModerationFailed(ctx context.Context, c ModerationClaim, reason string, next time.Time, giveUp bool, now time.Time) error {
	status, event := OutboxPending, ""
	if giveUp {
		status, event = OutboxFailed, "moderation.failed"
	}
	reason = clipReason(reason)
	return s.finishModeration(ctx, c, func(tx *sql.Tx) (sql.Result, error) {
		return tx.ExecContext(ctx, `UPDATE moderations SET status = $1, attempts = attempts + 1, last_error = $2,
			next_attempt_at = $3, lease_token = '', lease_until = 0 WHERE id = $4 AND lease_token = $5 AND action = $6`,
			status, reason, toMicros(next), c.ID, c.Token, c.Action)
	}, event, map[string]any{"moderation": c.ID, "action": c.Action, "reason": reason})
}

// finishModeration records how a claimed action went with update, and
// the event named (none when ""). When update finds the row asking
// another action now, the claim is only released.
func (s *Store) finishModeration(ctx context.Context, c ModerationClaim, update func(*sql.Tx) (sql.Result, error), event string, detail map[string]any) error {
	what := fmt.Sprintf("moderation %d", c.ID)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := update(tx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			res, err := tx.ExecContext(ctx, `UPDATE moderations SET lease_token = '', lease_until = 0 WHERE id = $1 AND lease_token = $2`,
				c.ID, c.Token)
			return claimed(res, err, what+": release it")
		}
		if event == "" {
			return nil
		}
		_, err = insertEvent(ctx, tx, model.Event{WorkspaceID: c.WorkspaceID, ConversationID: c.ConversationID,
			Actor: OutboxActor, Action: event, Subject: fmt.Sprintf("message %d", c.MessageID), Detail: eventDetail(detail)})
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// RetryModeration makes a failed moderation action of the workspace
// pending again, due at now, as asked by actor (a "moderation.retry"
// event). ErrNotFound when there is no such action, ErrConflict when it
// has not failed.
func (s *Store) RetryModeration(ctx context.Context, workspaceID, id int64, actor string, now time.Time) (Moderation, error) {
	if err := s.retryFailed(ctx, "moderations", "moderation", "moderation.retry", workspaceID, id, actor, now); err != nil {
		return Moderation{}, fmt.Errorf("retry moderation %d: %w", id, err)
	}
	list, err := s.moderationsWhere(ctx, `mo.workspace_id = $1 AND mo.id = $2`, workspaceID, id)
	return first(list, err, "moderation", id)
}

// Moderations lists a workspace's moderation actions, newest first, at
// most limit (1 to 500); status "" lists every status.
func (s *Store) Moderations(ctx context.Context, workspaceID int64, status string, limit int) ([]Moderation, error) {
	if err := checkOutboxList(status, limit); err != nil {
		return nil, err
	}
	return s.moderationsWhere(ctx, `mo.workspace_id = $1 AND ($2 = '' OR mo.status = $2) ORDER BY mo.id DESC LIMIT $3`, workspaceID, status, limit)
}

// ConversationModerations lists the moderation actions waiting for, or
// done with, the platform of a conversation's messages, oldest first.
func (s *Store) ConversationModerations(ctx context.Context, workspaceID, conversationID int64) ([]Moderation, error) {
	return s.moderationsWhere(ctx, `mo.workspace_id = $1 AND mo.conversation_id = $2 ORDER BY mo.id`, workspaceID, conversationID)
}

// moderationsWhere lists the moderation actions mo that cond (its WHERE
// clause and order) keeps.
func (s *Store) moderationsWhere(ctx context.Context, cond string, args ...any) ([]Moderation, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT mo.id, mo.conversation_id, mo.message_id, ch.name, mo.action, mo.status,
			mo.attempts, mo.last_error, mo.created_by, mo.created_at, mo.sent_at, mo.next_attempt_at
		FROM moderations mo JOIN channels ch ON ch.id = mo.channel_id
		WHERE `+cond, args...)
	if err != nil {
		return nil, fmt.Errorf("moderations: %w", err)
	}
	defer rows.Close()
	out := []Moderation{}
	for rows.Next() {
		var m Moderation
		var created, next int64
		var sent sql.NullInt64
		if err := rows.Scan(&m.ID, &m.ConversationID, &m.MessageID, &m.Channel, &m.Action, &m.Status,
			&m.Attempts, &m.LastError, &m.CreatedBy, &created, &sent, &next); err != nil {
			return nil, fmt.Errorf("moderations: %w", err)
		}
		m.CreatedAt, m.SentAt = fromMicros(created), timePtr(sent)
		m.MessageStatus, _ = model.ModeratedStatus(m.Action)
		if m.Status == OutboxPending {
			n := fromMicros(next)
			m.NextAttemptAt = &n
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// FollowStatuses gives messages of a workspace's channel the moderation
// status their platform says now (external id → status): a comment held,
// approved, spammed or trashed on its site since it was read shows so,
// with a "message.status" event. A message whose moderation asked in
// palabre waits for the platform, or failed there, keeps the status the
// CM gave it; unknown messages and statuses are left alone. It returns
// how many messages changed.
func (s *Store) FollowStatuses(ctx context.Context, workspaceID int64, channel string, statuses map[string]string) (int, error) {
	if len(statuses) == 0 {
		return 0, nil
	}
	ch, err := s.Channel(ctx, workspaceID, channel)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("follow statuses in %s: %w", channel, err)
	}
	ids := make([]string, 0, len(statuses))
	for id, st := range statuses {
		if model.ValidStatus(st) {
			ids = append(ids, id)
		}
	}
	// Read first, on the readers: most polls change nothing, and then
	// take no write.
	type row struct {
		id, conv  int64
		ext, from string
	}
	var differ []row
	err = s.d.inList(ctx, s.r, `SELECT m.id, m.conversation_id, m.external_id, m.status FROM messages m
		WHERE NOT EXISTS (SELECT 1 FROM moderations mo WHERE mo.message_id = m.id AND mo.status IN ('pending', 'failed'))
			AND m.channel_id = `+s.d.p1()+` AND m.external_id`, []any{ch.ID}, ids, ``, func(r *sql.Rows) error {
		var w row
		if err := r.Scan(&w.id, &w.conv, &w.ext, &w.from); err != nil {
			return err
		}
		if w.from != statuses[w.ext] {
			differ = append(differ, w)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("follow statuses in %s: %w", channel, err)
	}
	if len(differ) == 0 {
		return 0, nil
	}
	changed := 0
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		changed = 0
		for _, w := range differ {
			// Still as read, and still no moderation waiting.
			to := statuses[w.ext]
			res, err := tx.ExecContext(ctx, `UPDATE messages SET status = $1 WHERE id = $2 AND status = $3
				AND NOT EXISTS (SELECT 1 FROM moderations mo WHERE mo.message_id = messages.id AND mo.status IN ('pending', 'failed'))`,
				to, w.id, w.from)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			_, err = insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, ConversationID: w.conv, Actor: IngestActor,
				Action: "message.status", Subject: fmt.Sprintf("message %d", w.id),
				Detail: eventDetail(map[string]any{"from": w.from, "to": to})})
			if err != nil {
				return err
			}
			changed++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("follow statuses in %s: %w", channel, err)
	}
	return changed, nil
}
