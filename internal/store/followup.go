package store

// What a batch of new messages changes in the workflow of their
// conversations: who awaits an answer since when (the SLA clocks),
// conversations reopened by a customer writing again, and one live event
// per conversation touched.

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"palabre/internal/model"
)

// IngestActor is who new messages are recorded as in the audit log.
const IngestActor = "ingest"

// touched is what a batch brought to one conversation.
type touched struct {
	id       int64
	count    int
	created  bool
	customer int64 // newest customer message, Unix µs; 0 when none
}

// followUp brings the conversations of a batch's new messages up to date,
// recomputed from the stored thread (so messages arriving out of order are
// counted right): when they were opened and first answered (for the
// metrics, as refreshOpening sets them), their first response (the first
// staff message after a customer's: a brand's own opening post answers
// nobody) and the oldest customer message still unanswered, their SLA due
// times marked for recomputing — all in one statement. A conversation
// resolved or pending (or snoozed) before a customer's new message is
// reopened and handed back to routing; and each conversation gets one
// "message.new" event.
func (im *Importer) followUp(ctx context.Context, tx *sql.Tx, items []*IngestItem, convIDs map[string]int64, created []string) error {
	byID := make(map[int64]*touched)
	var order []*touched
	for _, it := range items {
		id := convIDs[it.Root]
		t := byID[id]
		if t == nil {
			t = &touched{id: id}
			byID[id] = t
			order = append(order, t)
		}
		t.count++
		m := &it.Message
		if !m.AuthorIsStaff && m.Status != model.StatusSpam && m.Status != model.StatusTrash {
			t.customer = max(t.customer, toMicros(m.CreatedAt))
		}
	}
	for _, root := range created {
		if t := byID[convIDs[root]]; t != nil {
			t.created = true
		}
	}
	ids := make([]int64, len(order))
	for i, t := range order {
		ids[i] = t.id
	}
	d := im.s.d
	_, err := tx.ExecContext(ctx, `UPDATE conversations SET
		opened_at = `+openingOf+`, answered_at = `+answerOf+`,
		first_response_at = (SELECT MIN(m.created_at) FROM messages m
			WHERE m.conversation_id = conversations.id AND m.author_is_staff
			AND m.created_at > (SELECT MIN(u.created_at) FROM messages u
				WHERE u.conversation_id = conversations.id AND NOT u.author_is_staff AND u.status NOT IN ($1, $2))),
		awaiting_since = (SELECT MIN(m.created_at) FROM messages m
			WHERE m.conversation_id = conversations.id AND NOT m.author_is_staff AND m.status NOT IN ($1, $2)
			AND m.created_at > COALESCE((SELECT MAX(r.created_at) FROM messages r
				WHERE r.conversation_id = conversations.id AND r.author_is_staff), -1)),
		sla_stale = TRUE
		WHERE id`+d.inIDs(3), model.StatusSpam, model.StatusTrash, d.idSet(ids))
	if err != nil {
		return fmt.Errorf("update response clocks: %w", err)
	}
	if err := im.reopen(ctx, tx, byID, ids); err != nil {
		return err
	}
	// One event a conversation, in one statement: a batch touches as
	// many conversations as it has messages, mostly.
	now := time.Now()
	events := make([]any, 0, 8*len(order))
	for _, t := range order {
		row, err := eventRow(&model.Event{WorkspaceID: im.ws.ID, ConversationID: t.id, Actor: IngestActor,
			Action: "message.new", Subject: fmt.Sprintf("conversation %d", t.id), CreatedAt: now,
			Detail: eventDetail(map[string]any{"messages": t.count, "new_conversation": t.created, "channel": im.ch.Name})})
		if err != nil {
			return err
		}
		events = append(events, row...)
	}
	if err := d.bulkInsert(ctx, tx, eventInsert, 8, events, ``, nil); err != nil {
		return fmt.Errorf("record message.new events: %w", err)
	}
	return nil
}

// reopen reopens the conversations among ids that were
// resolved or pending, or snoozed, before a customer's message of this
// batch: status open, snooze ended, the assignee kept as the previous one
// and the conversation handed back to routing.
func (im *Importer) reopen(ctx context.Context, tx *sql.Tx, byID map[int64]*touched, ids []int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, status, COALESCE(status_at, created_at), snoozed_until IS NOT NULL FROM conversations
		WHERE id`+im.s.d.inIDs(3)+` AND (status IN ($1, $2) OR snoozed_until IS NOT NULL)`, model.ConvResolved, model.ConvPending, im.s.d.idSet(ids))
	if err != nil {
		return fmt.Errorf("find conversations to reopen: %w", err)
	}
	type candidate struct {
		id      int64
		status  string
		since   int64
		snoozed bool
	}
	var cands []candidate
	for rows.Next() {
		var c candidate
		if err := rows.Scan(&c.id, &c.status, &c.since, &c.snoozed); err != nil {
			rows.Close()
			return fmt.Errorf("find conversations to reopen: %w", err)
		}
		cands = append(cands, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("find conversations to reopen: %w", err)
	}
	now := TruncateTime(time.Now())
	for _, c := range cands {
		if byID[c.id].customer <= c.since {
			continue // only history older than the last change arrived
		}
		subject := fmt.Sprintf("conversation %d", c.id)
		if c.status != model.ConvResolved && c.status != model.ConvPending {
			// Snoozed but not waiting: the customer wrote, end the snooze.
			if _, err := tx.ExecContext(ctx, `UPDATE conversations SET snoozed_until = NULL WHERE id = $1`, c.id); err != nil {
				return fmt.Errorf("unsnooze conversation %d: %w", c.id, err)
			}
			if _, err := insertEvent(ctx, tx, model.Event{WorkspaceID: im.ws.ID, ConversationID: c.id, Actor: IngestActor,
				Action: "conversation.unsnooze", Subject: subject, CreatedAt: now,
				Detail: eventDetail(map[string]any{"reason": "new message"})}); err != nil {
				return err
			}
			continue
		}
		_, err := tx.ExecContext(ctx, `UPDATE conversations SET status = $1, status_at = $2, resolved_at = NULL,
			snoozed_until = NULL, previous_assignee_id = COALESCE(assignee_id, previous_assignee_id),
			assignee_id = NULL, assigned_at = NULL, assignment_reason = $3,
			response_sla = '', resolution_sla = '', sla_stale = TRUE
			WHERE id = $4`, model.ConvOpen, toMicros(now), "reopened by a new message", c.id)
		if err != nil {
			return fmt.Errorf("reopen conversation %d: %w", c.id, err)
		}
		if _, err := insertEvent(ctx, tx, model.Event{WorkspaceID: im.ws.ID, ConversationID: c.id, Actor: IngestActor,
			Action: "conversation.status", Subject: subject, CreatedAt: now,
			Detail: eventDetail(map[string]any{"before": c.status, "after": model.ConvOpen, "reason": "new message"})}); err != nil {
			return err
		}
	}
	return nil
}
