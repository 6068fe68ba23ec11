package store

// Replies written in palabre: stored as staff messages of the thread and
// queued in the outbox for the channel's connector, guarded against
// collisions with what arrived while the reply was being written.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"palabre/internal/model"
)

// ErrStale is what a reply gets when messages arrived in the conversation
// since the reply was started; the error is a *StaleError listing them.
var ErrStale = errors.New("conversation changed since the reply was started")

// StaleError lists the messages that arrived after the one a reply was
// written after.
type StaleError struct {
	Newer []StoredMessage
}

func (e *StaleError) Error() string {
	staff := 0
	for _, m := range e.Newer {
		if m.AuthorIsStaff {
			staff++
		}
	}
	return fmt.Sprintf("%d new message(s) arrived since the reply was started (%d from staff); read them, then send again or confirm",
		len(e.Newer), staff)
}

// Unwrap makes errors.Is(err, ErrStale) true.
func (e *StaleError) Unwrap() error { return ErrStale }

// ReplyPrefix starts the external id of every message written in palabre.
const ReplyPrefix = "palabre-reply:"

// Outbox statuses.
const (
	OutboxPending = "pending"
	OutboxSent    = "sent"
	OutboxFailed  = "failed"
)

// Reply is a reply a CM writes in a conversation.
type Reply struct {
	WorkspaceID    int64
	ConversationID int64
	Author         model.User
	Body           string
	// InReplyTo is the external id of the message answered; "" answers the
	// conversation's root.
	InReplyTo string
	// BasedOn is the id of the newest message of the conversation the
	// author had seen when writing; a reply is refused with a *StaleError
	// when newer messages exist, unless Confirm.
	BasedOn int64
	Confirm bool
	// ClientID, chosen by the writer's client, makes sending again
	// harmless: the same ClientID in the same channel gives back the reply
	// already stored. "" gets a random one.
	ClientID string
	// Status, when set, is the conversation's status after the reply
	// (say pending, waiting on the customer); otherwise a new conversation
	// becomes open and others keep theirs.
	Status string
	// CannedID names the canned reply used, whose usage count goes up.
	CannedID int64
}

// SentReply is a reply as stored: its message and its outbox entry.
type SentReply struct {
	Message  StoredMessage `json:"message"`
	OutboxID int64         `json:"outbox_id"`
	// Replayed is true when the same ClientID had already been sent.
	Replayed bool `json:"replayed"`
}

func validClientID(id string) bool {
	if id == "" || len(id) > 100 {
		return false
	}
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// AddReply stores r as a staff message of its conversation, queues it in
// the outbox and updates the conversation (message count, activity, the
// first response, nobody awaiting an answer any more, its status), all in
// one transaction with an audit event.
func (s *Store) AddReply(ctx context.Context, r Reply, now time.Time) (SentReply, error) {
	var errs []string
	switch {
	case strings.TrimSpace(r.Body) == "":
		errs = append(errs, "a reply needs a body")
	case len(r.Body) > model.MaxReplyLen:
		errs = append(errs, fmt.Sprintf("reply of %d bytes: at most %d", len(r.Body), model.MaxReplyLen))
	case !utf8.ValidString(r.Body):
		errs = append(errs, "reply: not valid UTF-8")
	}
	if r.Status != "" && !model.ValidConversationStatus(r.Status) {
		errs = append(errs, fmt.Sprintf("status %q: must be one of %s", r.Status, strings.Join(model.ConversationStatuses(), ", ")))
	}
	if r.ClientID == "" {
		var b [16]byte
		rand.Read(b[:])
		r.ClientID = hex.EncodeToString(b[:])
	} else if !validClientID(r.ClientID) {
		errs = append(errs, fmt.Sprintf("client_id %q: 1 to 100 letters, digits, - or _", r.ClientID))
	}
	if r.BasedOn <= 0 && !r.Confirm {
		errs = append(errs, "based_on: give the id of the newest message seen when writing (or confirm to send regardless)")
	}
	if len(errs) > 0 {
		return SentReply{}, fmt.Errorf("%w: %s", ErrInvalid, strings.Join(errs, "; "))
	}
	now = TruncateTime(now)
	var out SentReply
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var channelID int64
		var root, status string
		err := tx.QueryRowContext(ctx, `SELECT c.channel_id, c.root_external_id, c.status FROM conversations c
			WHERE c.id = $1 AND c.workspace_id = $2`+s.d.forUpdate, r.ConversationID, r.WorkspaceID).Scan(&channelID, &root, &status)
		if err != nil {
			return fmt.Errorf("conversation %d: %w", r.ConversationID, s.translate(err))
		}
		externalID := ReplyPrefix + r.ClientID
		if m, err := scanMessage(tx.QueryRowContext(ctx, `SELECT `+messageColumns+messageJoins+`
			WHERE m.channel_id = $1 AND m.external_id = $2`, channelID, externalID)); err == nil {
			if m.ConversationID != r.ConversationID {
				return fmt.Errorf("%w: client_id %q was used for another conversation", ErrConflict, r.ClientID)
			}
			out.Message, out.Replayed = m, true
			return tx.QueryRowContext(ctx, `SELECT id FROM outbox WHERE message_id = $1`, m.ID).Scan(&out.OutboxID)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("find reply %s: %w", externalID, err)
		}
		if !r.Confirm {
			newer, err := queryMessages(ctx, tx, `SELECT `+messageColumns+messageJoins+`
				WHERE m.conversation_id = $1 AND m.id > $2 ORDER BY m.id`, r.ConversationID, r.BasedOn)
			if err != nil {
				return fmt.Errorf("newer messages: %w", err)
			}
			if len(newer) > 0 {
				return &StaleError{Newer: newer}
			}
		}
		parent := root
		if r.InReplyTo != "" {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM messages WHERE conversation_id = $1 AND external_id = $2`,
				r.ConversationID, r.InReplyTo).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("%w: in_reply_to %q: no such message in conversation %d", ErrInvalid, r.InReplyTo, r.ConversationID)
			} else if err != nil {
				return err
			}
			parent = r.InReplyTo
		}
		at := toMicros(now)
		err = tx.QueryRowContext(ctx, `INSERT INTO messages (workspace_id, channel_id, conversation_id, external_id, parent_external_id,
				kind, status, author_name, author_handle, author_is_staff, body, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, TRUE, $10, $11) RETURNING id`,
			r.WorkspaceID, channelID, r.ConversationID, externalID, parent, model.KindReply, model.StatusApproved,
			r.Author.Name, r.Author.Login, r.Body, at).Scan(&out.Message.ID)
		if err != nil {
			return fmt.Errorf("insert reply: %w", s.translate(err))
		}
		if err := s.indexMessages(ctx, tx, []int64{out.Message.ID}); err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO outbox (workspace_id, channel_id, conversation_id, message_id, in_reply_to, body, next_attempt_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id`,
			r.WorkspaceID, channelID, r.ConversationID, out.Message.ID, parent, r.Body, at).Scan(&out.OutboxID)
		if err != nil {
			return fmt.Errorf("queue reply: %w", err)
		}
		after := status
		switch {
		case r.Status != "":
			after = r.Status
		case status == model.ConvNew:
			after = model.ConvOpen
		}
		var resolved any
		if after == model.ConvResolved {
			resolved = at
		}
		_, err = tx.ExecContext(ctx, `UPDATE conversations SET message_count = message_count + 1,
				last_activity_at = `+s.d.greatest+`(last_activity_at, $1),
				first_response_at = COALESCE(first_response_at, $1), awaiting_since = NULL,
				response_sla = '', sla_stale = TRUE,
				status = $2, status_at = CASE WHEN status = $2 THEN status_at ELSE $1 END,
				resolved_at = CASE WHEN status = $2 THEN resolved_at ELSE $3 END
			WHERE id = $4`, at, after, resolved, r.ConversationID)
		if err != nil {
			return fmt.Errorf("update conversation: %w", err)
		}
		if err := refreshOpening(ctx, tx, s.d, []int64{r.ConversationID}); err != nil {
			return err
		}
		if r.CannedID != 0 {
			res, err := tx.ExecContext(ctx, `UPDATE canned_replies SET usage_count = usage_count + 1 WHERE id = $1 AND workspace_id = $2`,
				r.CannedID, r.WorkspaceID)
			if err != nil {
				return fmt.Errorf("canned reply %d: %w", r.CannedID, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("%w: canned reply %d: not one of this workspace", ErrInvalid, r.CannedID)
			}
		}
		subject := fmt.Sprintf("conversation %d", r.ConversationID)
		detail := map[string]any{"message": out.Message.ID, "outbox": out.OutboxID, "in_reply_to": parent}
		if r.CannedID != 0 {
			detail["canned_reply"] = r.CannedID
		}
		if _, err := insertEvent(ctx, tx, model.Event{WorkspaceID: r.WorkspaceID, ConversationID: r.ConversationID,
			Actor: r.Author.Login, Action: "reply.add", Subject: subject, Detail: eventDetail(detail), CreatedAt: now}); err != nil {
			return err
		}
		if after != status {
			if _, err := insertEvent(ctx, tx, model.Event{WorkspaceID: r.WorkspaceID, ConversationID: r.ConversationID,
				Actor: r.Author.Login, Action: "conversation.status", Subject: subject, CreatedAt: now,
				Detail: eventDetail(map[string]any{"before": status, "after": after})}); err != nil {
				return err
			}
		}
		out.Message, err = scanMessage(tx.QueryRowContext(ctx, `SELECT `+messageColumns+messageJoins+` WHERE m.id = $1`, out.Message.ID))
		return err
	})
	if err != nil {
		return SentReply{}, fmt.Errorf("reply to conversation %d: %w", r.ConversationID, err)
	}
	return out, nil
}

// OutboxEntry is a reply waiting for, or done with, its channel's
// connector.
type OutboxEntry struct {
	ID             int64      `json:"id"`
	ConversationID int64      `json:"conversation_id"`
	MessageID      int64      `json:"message_id"`
	Channel        string     `json:"channel"`
	InReplyTo      string     `json:"in_reply_to"`
	Body           string     `json:"body"`
	Status         string     `json:"status"`
	Attempts       int        `json:"attempts"`
	LastError      string     `json:"last_error,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	SentAt         *time.Time `json:"sent_at,omitempty"`
	// NextAttemptAt is when a pending reply is tried next.
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	// ExternalID and URL are the reply's on the platform, once sent.
	ExternalID string `json:"external_id,omitempty"`
	URL        string `json:"url,omitempty"`
}

// Outbox lists a workspace's outbox, newest first, at most limit entries
// (1 to 500); status "" lists every status.
func (s *Store) Outbox(ctx context.Context, workspaceID int64, status string, limit int) ([]OutboxEntry, error) {
	if err := checkOutboxList(status, limit); err != nil {
		return nil, err
	}
	return s.outboxWhere(ctx, `o.workspace_id = $1 AND ($2 = '' OR o.status = $2) ORDER BY o.id DESC LIMIT $3`, workspaceID, status, limit)
}

// checkOutboxList checks the status and limit of a listing of the outbox
// or of moderation actions.
func checkOutboxList(status string, limit int) error {
	if limit < 1 || limit > 500 {
		return fmt.Errorf("%w: limit %d: must be between 1 and 500", ErrInvalid, limit)
	}
	if status != "" && status != OutboxPending && status != OutboxSent && status != OutboxFailed {
		return fmt.Errorf("%w: status %q: must be pending, sent or failed", ErrInvalid, status)
	}
	return nil
}

// outboxWhere lists the outbox entries o that cond (its WHERE clause and
// order) keeps.
func (s *Store) outboxWhere(ctx context.Context, cond string, args ...any) ([]OutboxEntry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT o.id, o.conversation_id, o.message_id, ch.name, o.in_reply_to, o.body,
			o.status, o.attempts, o.last_error, o.created_at, o.sent_at, o.next_attempt_at, o.external_id, o.url
		FROM outbox o JOIN channels ch ON ch.id = o.channel_id
		WHERE `+cond, args...)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	defer rows.Close()
	out := []OutboxEntry{}
	for rows.Next() {
		var e OutboxEntry
		var created, next int64
		var sent sql.NullInt64
		if err := rows.Scan(&e.ID, &e.ConversationID, &e.MessageID, &e.Channel, &e.InReplyTo, &e.Body,
			&e.Status, &e.Attempts, &e.LastError, &created, &sent, &next, &e.ExternalID, &e.URL); err != nil {
			return nil, fmt.Errorf("outbox: %w", err)
		}
		e.CreatedAt, e.SentAt = fromMicros(created), timePtr(sent)
		if e.Status == OutboxPending {
			n := fromMicros(next)
			e.NextAttemptAt = &n
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
