package store

// Sending the outbox: a node claims due replies whose channel has a live
// source able to send them, marks each attempt begun before asking the
// platform, and records what the platform made of it. An attempt found
// begun by a later claim was cut short, and the platform is asked before
// the reply is sent again.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"palabre/internal/model"
)

// sendingKinds are the kinds of source that can send replies, as an SQL
// list.
const sendingKinds = `('` + model.SourceWordPress + `', '` + model.SourceEmail + `', '` + model.SourceMastodon + `')`

// maxReferences bounds the thread a reply names (e-mail References).
const maxReferences = 50

// OutboxClaim is a reply a node has claimed to send, with what its
// channel's connector needs to send it.
type OutboxClaim struct {
	Entry       OutboxEntry
	WorkspaceID int64
	Token       string
	// Interrupted: an earlier attempt began and its end was never
	// recorded; the platform may have the reply already.
	Interrupted bool
	// The source that sends it: the channel's first enabled source of a
	// kind that can.
	SourceID     int64
	SourceKind   string
	SourceConfig string
	// The conversation: its root's external id and subject; the thread
	// from the root to the message answered (external ids); who wrote
	// the message answered; who writes the reply.
	RootExternalID string
	Subject        string
	References     []string
	To             model.Message
	AuthorName     string
}

// ClaimOutbox returns up to limit pending replies due at now that no other
// node holds and that a live source of their channel can send, each
// claimed until now+lease by a compare-and-set.
func (s *Store) ClaimOutbox(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]OutboxClaim, error) {
	q := leased[OutboxClaim]{what: "outbox entry", many: "outbox", table: "outbox", cond: `status = 'pending'`,
		query: `SELECT o.id, o.workspace_id, o.conversation_id, o.message_id, ch.name, o.in_reply_to, o.body,
				o.status, o.attempts, o.last_error, o.created_at, o.lease_token, o.sending_at, so.id, so.kind, so.config
			FROM outbox o JOIN channels ch ON ch.id = o.channel_id
			JOIN sources so ON so.id = (SELECT MIN(s2.id) FROM sources s2
				WHERE s2.channel_id = o.channel_id AND s2.enabled AND s2.kind IN ` + sendingKinds + `)
			WHERE o.status = 'pending' AND o.next_attempt_at <= $1 AND o.lease_until <= $1
			ORDER BY o.next_attempt_at, o.id LIMIT $2`,
		scan: func(rows *sql.Rows) (OutboxClaim, error) {
			var c OutboxClaim
			var created int64
			var sending sql.NullInt64
			e := &c.Entry
			err := rows.Scan(&e.ID, &c.WorkspaceID, &e.ConversationID, &e.MessageID, &e.Channel, &e.InReplyTo, &e.Body,
				&e.Status, &e.Attempts, &e.LastError, &created, &c.Token, &sending, &c.SourceID, &c.SourceKind, &c.SourceConfig)
			e.CreatedAt, c.Interrupted = fromMicros(created), sending.Valid
			return c, err
		},
		lease: func(c *OutboxClaim) (int64, *string) { return c.Entry.ID, &c.Token }}
	out, err := q.claim(ctx, s, now, limit, lease)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if err := s.outboxContext(ctx, &out[i]); err != nil {
			return nil, fmt.Errorf("claim outbox entry %d: %w", out[i].Entry.ID, err)
		}
	}
	return out, nil
}

// outboxContext fills in what the connector needs of a claimed reply's
// conversation.
func (s *Store) outboxContext(ctx context.Context, c *OutboxClaim) error {
	var channelID int64
	err := s.r.QueryRowContext(ctx, `SELECT c.channel_id, c.root_external_id, c.subject FROM conversations c WHERE c.id = $1`,
		c.Entry.ConversationID).Scan(&channelID, &c.RootExternalID, &c.Subject)
	if err != nil {
		return s.translate(err)
	}
	if err := s.r.QueryRowContext(ctx, `SELECT author_name FROM messages WHERE id = $1`, c.Entry.MessageID).Scan(&c.AuthorName); err != nil {
		return s.translate(err)
	}
	// The thread, from the message answered up to the root.
	next := c.Entry.InReplyTo
	if next == "" {
		next = c.RootExternalID
	}
	var refs []string
	for i := 0; next != "" && i < maxReferences; i++ {
		var m model.Message
		err := s.r.QueryRowContext(ctx, `SELECT external_id, parent_external_id, author_name, author_handle, author_email, title
			FROM messages WHERE channel_id = $1 AND external_id = $2`, channelID, next).
			Scan(&m.ExternalID, &m.ParentExternalID, &m.AuthorName, &m.AuthorHandle, &m.AuthorEmail, &m.Title)
		if errors.Is(err, sql.ErrNoRows) {
			refs = append(refs, next) // known by id only (a post never imported)
			break
		}
		if err != nil {
			return err
		}
		if i == 0 {
			c.To = m
		}
		refs = append(refs, m.ExternalID)
		if m.ParentExternalID == m.ExternalID {
			break
		}
		next = m.ParentExternalID
	}
	for i, j := 0, len(refs)-1; i < j; i, j = i+1, j-1 {
		refs[i], refs[j] = refs[j], refs[i]
	}
	c.References = refs
	return nil
}

// SendingTo reports whether a reply to a channel of the workspace is being
// sent at now: its attempt began and the node sending it still holds it.
// A poll that read the channel meanwhile may have read that reply.
func (s *Store) SendingTo(ctx context.Context, workspaceID int64, channel string, now time.Time) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox o JOIN channels ch ON ch.id = o.channel_id
		WHERE o.status = 'pending' AND o.sending_at IS NOT NULL AND o.lease_until > $1
			AND ch.workspace_id = $2 AND ch.name = $3`, toMicros(now), workspaceID, channel).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("replies being sent to %s: %w", channel, err)
	}
	return n > 0, nil
}

// BeginOutboxAttempt records that an attempt to send a claimed reply
// begins, before the platform is asked: if it never ends (a crash), the
// next claim knows the platform may have the reply. ErrConflict when the
// claim was lost.
func (s *Store) BeginOutboxAttempt(ctx context.Context, c OutboxClaim, now time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, sending_at = $1
		WHERE id = $2 AND lease_token = $3 AND status = 'pending'`, toMicros(now), c.Entry.ID, c.Token)
	return claimed(res, err, fmt.Sprintf("outbox entry %d: begin sending", c.Entry.ID))
}

// ReplySent records that a claimed reply is on the platform as
// externalID: the entry is sent, and the reply's message takes the
// platform's id, so that polling the platform finds it stored already. A
// "reply.sent" event is recorded.
func (s *Store) ReplySent(ctx context.Context, c OutboxClaim, externalID, url string, now time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'sent', external_id = $1, url = $2, sent_at = $3,
			sending_at = NULL, last_error = '', lease_token = '', lease_until = 0
			WHERE id = $4 AND lease_token = $5`, externalID, url, toMicros(now), c.Entry.ID, c.Token)
		if err := claimed(res, err, fmt.Sprintf("outbox entry %d: record it sent", c.Entry.ID)); err != nil {
			return err
		}
		if externalID != "" {
			// Unless a poll stored the platform's copy first: then the
			// reply keeps palabre's id.
			_, err = tx.ExecContext(ctx, `UPDATE messages SET external_id = $1, url = CASE WHEN $2 = '' THEN url ELSE $2 END
				WHERE id = $3 AND NOT EXISTS (SELECT 1 FROM messages o WHERE o.channel_id = messages.channel_id AND o.external_id = $1)`,
				externalID, url, c.Entry.MessageID)
			if err != nil {
				return err
			}
		}
		_, err = insertEvent(ctx, tx, model.Event{WorkspaceID: c.WorkspaceID, ConversationID: c.Entry.ConversationID,
			Actor: OutboxActor, Action: "reply.sent", Subject: fmt.Sprintf("message %d", c.Entry.MessageID),
			Detail: eventDetail(map[string]any{"outbox": c.Entry.ID, "external_id": externalID, "url": url})})
		return err
	})
	if err != nil {
		return fmt.Errorf("outbox entry %d: %w", c.Entry.ID, err)
	}
	return nil
}

// OutboxActor is who the audit log says sent or failed to send a reply.
const OutboxActor = "outbox"

// ReplyFailed records a failed attempt: due again at next, or failed for
// good when giveUp (a "reply.failed" event then tells the conversation).
func (s *Store) ReplyFailed(ctx context.Context, c OutboxClaim, reason string, next time.Time, giveUp bool, now time.Time) error {
	status := OutboxPending
	if giveUp {
		status = OutboxFailed
	}
	reason = clipReason(reason)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET status = $1, last_error = $2, next_attempt_at = $3,
			sending_at = NULL, lease_token = '', lease_until = 0 WHERE id = $4 AND lease_token = $5`,
			status, reason, toMicros(next), c.Entry.ID, c.Token)
		if err := claimed(res, err, fmt.Sprintf("outbox entry %d: record a failure", c.Entry.ID)); err != nil {
			return err
		}
		if !giveUp {
			return nil
		}
		_, err = insertEvent(ctx, tx, model.Event{WorkspaceID: c.WorkspaceID, ConversationID: c.Entry.ConversationID,
			Actor: OutboxActor, Action: "reply.failed", Subject: fmt.Sprintf("message %d", c.Entry.MessageID),
			Detail: eventDetail(map[string]any{"outbox": c.Entry.ID, "reason": reason})})
		return err
	})
	if err != nil {
		return fmt.Errorf("outbox entry %d: %w", c.Entry.ID, err)
	}
	return nil
}

// RetryOutbox makes a failed reply of the workspace pending again, due at
// now, as asked by actor (a "reply.retry" event). ErrNotFound when there
// is no such entry, ErrConflict when it has not failed.
func (s *Store) RetryOutbox(ctx context.Context, workspaceID, id int64, actor string, now time.Time) (OutboxEntry, error) {
	if err := s.retryFailed(ctx, "outbox", "reply", "reply.retry", workspaceID, id, actor, now); err != nil {
		return OutboxEntry{}, fmt.Errorf("retry outbox entry %d: %w", id, err)
	}
	return s.outboxEntry(ctx, workspaceID, id)
}

// retryFailed makes a failed row of table (outbox, moderations) of the
// workspace pending again, due at now, as asked by actor, with the event
// named. ErrNotFound when there is no such row, ErrConflict when it has
// not failed (the noun says what it is).
func (s *Store) retryFailed(ctx context.Context, table, noun, event string, workspaceID, id int64, actor string, now time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var status string
		var conv, msg int64
		err := tx.QueryRowContext(ctx, `SELECT status, conversation_id, message_id FROM `+table+` WHERE id = $1 AND workspace_id = $2`,
			id, workspaceID).Scan(&status, &conv, &msg)
		if err != nil {
			return s.translate(err)
		}
		if status != OutboxFailed {
			return fmt.Errorf("%w: the %s is %s, not failed", ErrConflict, noun, status)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET status = 'pending', next_attempt_at = $1 WHERE id = $2`, toMicros(now), id); err != nil {
			return err
		}
		_, err = insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, ConversationID: conv, Actor: actor,
			Action: event, Subject: fmt.Sprintf("message %d", msg), Detail: eventDetail(map[string]any{table: id})})
		return err
	})
}

// outboxEntry returns one entry of the workspace's outbox.
func (s *Store) outboxEntry(ctx context.Context, workspaceID, id int64) (OutboxEntry, error) {
	list, err := s.outboxWhere(ctx, `o.workspace_id = $1 AND o.id = $2`, workspaceID, id)
	return first(list, err, "outbox entry", id)
}

// first returns the row a listing by id found (what, id), ErrNotFound
// when none.
func first[T any](list []T, err error, what string, id int64) (T, error) {
	var none T
	if err != nil {
		return none, err
	}
	if len(list) == 0 {
		return none, fmt.Errorf("%s %d: %w", what, id, ErrNotFound)
	}
	return list[0], nil
}

// ConversationOutbox lists the outbox entries of a conversation of the
// workspace, oldest first: how each reply written in palabre went out.
func (s *Store) ConversationOutbox(ctx context.Context, workspaceID, conversationID int64) ([]OutboxEntry, error) {
	return s.outboxWhere(ctx, `o.workspace_id = $1 AND o.conversation_id = $2 ORDER BY o.id`, workspaceID, conversationID)
}
