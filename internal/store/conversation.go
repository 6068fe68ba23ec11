package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"palabre/internal/model"
)

const conversationColumns = `c.id, c.workspace_id, w.slug, c.channel_id, ch.name, c.root_external_id,
	c.subject, c.status, c.priority, c.message_count, c.created_at, c.last_activity_at,
	c.assignee_id, COALESCE(au.login, ''), c.assignment_reason, c.assigned_at,
	c.status_at, c.snoozed_until, c.awaiting_since, c.first_response_at, c.resolved_at,
	c.sla_policy, c.response_due_at, c.resolution_due_at, c.response_sla, c.resolution_sla`

const conversationJoins = ` FROM conversations c
	JOIN workspaces w ON w.id = c.workspace_id
	JOIN channels ch ON ch.id = c.channel_id
	LEFT JOIN users au ON au.id = c.assignee_id`

func scanConversation(row interface{ Scan(...any) error }) (model.Conversation, error) {
	var c model.Conversation
	var created, last int64
	var assignee, assigned, statusAt, snoozed, awaiting, firstResp, resolved, respDue, resolDue sql.NullInt64
	err := row.Scan(&c.ID, &c.WorkspaceID, &c.Workspace, &c.ChannelID, &c.Channel, &c.RootExternalID,
		&c.Subject, &c.Status, &c.Priority, &c.MessageCount, &created, &last,
		&assignee, &c.Assignee, &c.AssignmentReason, &assigned,
		&statusAt, &snoozed, &awaiting, &firstResp, &resolved,
		&c.SLA.Policy, &respDue, &resolDue, &c.SLA.Response, &c.SLA.Resolution)
	c.CreatedAt = fromMicros(created)
	c.LastActivityAt = fromMicros(last)
	if assignee.Valid {
		c.AssigneeID = &assignee.Int64
	}
	c.AssignedAt = timePtr(assigned)
	c.StatusAt, c.SnoozedUntil, c.AwaitingSince = timePtr(statusAt), timePtr(snoozed), timePtr(awaiting)
	c.FirstResponseAt, c.ResolvedAt = timePtr(firstResp), timePtr(resolved)
	c.SLA.ResponseDueAt, c.SLA.ResolutionDueAt = timePtr(respDue), timePtr(resolDue)
	c.Tags = []string{}
	return c, err
}

// ConversationFilter selects a page of a workspace's conversations.
type ConversationFilter struct {
	Status string // one of the model.Conv* statuses; empty for all
	// Assignee, a login, keeps only the conversations assigned to that
	// user; empty for all.
	Assignee string
	// Unassigned keeps only the conversations nobody holds.
	Unassigned bool
	// Participant, a user id, keeps only the conversations that user was
	// asked into (an expert's queue); 0 for all.
	Participant int64
	Tag         string
	// Priority, when not nil, keeps only that priority.
	Priority *int
	// Snoozed, when not nil, keeps only the snoozed (true) or the others.
	Snoozed *bool
	// ByDue sorts by response due time, soonest first, and keeps only the
	// conversations with one.
	ByDue  bool
	Limit  int    // page size; 0 means 50, at most 500
	Cursor string // from the previous page's ConversationPage.Next
}

// ConversationPage is one page of conversations, newest activity first.
type ConversationPage struct {
	Conversations []model.Conversation
	Next          string // cursor of the following page; empty on the last
}

// Conversations lists a workspace's conversations, most recent activity
// first (or soonest response due first), a page at a time. The cursor is
// keyset-based, so pages stay stable while new messages arrive.
func (s *Store) Conversations(ctx context.Context, workspaceID int64, f ConversationFilter) (ConversationPage, error) {
	limit := f.Limit
	switch {
	case limit == 0:
		limit = 50
	case limit < 0 || limit > 500:
		return ConversationPage{}, fmt.Errorf("%w: limit %d: must be between 1 and 500", ErrInvalid, limit)
	}
	if f.Status != "" && !model.ValidConversationStatus(f.Status) {
		return ConversationPage{}, fmt.Errorf("%w: status %q: must be one of %s", ErrInvalid, f.Status, strings.Join(model.ConversationStatuses(), ", "))
	}
	if f.Priority != nil && !model.ValidPriority(*f.Priority) {
		return ConversationPage{}, fmt.Errorf("%w: priority %d: must be between %d and %d", ErrInvalid, *f.Priority, model.PriorityNormal, model.PriorityCritical)
	}
	if f.Assignee != "" && f.Unassigned {
		return ConversationPage{}, fmt.Errorf("%w: assignee and unassigned: choose one", ErrInvalid)
	}
	q := `SELECT ` + conversationColumns + conversationJoins + ` WHERE c.workspace_id = $1`
	args := []any{workspaceID}
	add := func(cond string, v any) {
		args = append(args, v)
		q += fmt.Sprintf(cond, len(args))
	}
	if f.Status != "" {
		add(` AND c.status = $%d`, f.Status)
	}
	if f.Assignee != "" {
		login, err := NormalizeLogin(f.Assignee)
		if err != nil {
			return ConversationPage{}, fmt.Errorf("assignee: %w", err)
		}
		// By id, not by the joined login: the inbox index then gives the
		// page in order.
		add(` AND c.assignee_id = (SELECT id FROM users WHERE login = $%d)`, login)
	}
	if f.Unassigned {
		q += ` AND c.assignee_id IS NULL`
	}
	if f.Participant != 0 {
		add(` AND c.id IN (SELECT conversation_id FROM participants WHERE user_id = $%d)`, f.Participant)
	}
	if f.Tag != "" {
		tag, err := model.NormalizeTag(f.Tag)
		if err != nil {
			return ConversationPage{}, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		add(` AND c.id IN (SELECT conversation_id FROM conversation_tags WHERE tag = $%d)`, tag)
	}
	if f.Priority != nil {
		add(` AND c.priority = $%d`, *f.Priority)
	}
	if f.Snoozed != nil {
		if *f.Snoozed {
			q += ` AND c.snoozed_until IS NOT NULL`
		} else {
			q += ` AND c.snoozed_until IS NULL`
		}
	}
	key, order := `c.last_activity_at`, `DESC`
	if f.ByDue {
		key, order = `c.response_due_at`, `ASC`
		q += ` AND c.response_due_at IS NOT NULL`
	}
	if f.Cursor != "" {
		last, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return ConversationPage{}, err
		}
		cmp := `<`
		if order == `ASC` {
			cmp = `>`
		}
		args = append(args, last, id)
		q += fmt.Sprintf(` AND (%s %s $%d OR (%s = $%d AND c.id %s $%d))`,
			key, cmp, len(args)-1, key, len(args)-1, cmp, len(args))
	}
	args = append(args, limit+1)
	q += fmt.Sprintf(` ORDER BY %s %s, c.id %s LIMIT $%d`, key, order, order, len(args))

	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return ConversationPage{}, fmt.Errorf("list conversations: %w", err)
	}
	defer rows.Close()
	var page ConversationPage
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return ConversationPage{}, fmt.Errorf("list conversations: %w", err)
		}
		page.Conversations = append(page.Conversations, c)
	}
	if err := rows.Err(); err != nil {
		return ConversationPage{}, fmt.Errorf("list conversations: %w", err)
	}
	if len(page.Conversations) > limit {
		page.Conversations = page.Conversations[:limit]
		last := page.Conversations[limit-1]
		key := toMicros(last.LastActivityAt)
		if f.ByDue {
			key = toMicros(*last.SLA.ResponseDueAt)
		}
		page.Next = encodeCursor(key, last.ID)
	}
	if err := s.withTags(ctx, page.Conversations); err != nil {
		return ConversationPage{}, fmt.Errorf("list conversations: %w", err)
	}
	return page, nil
}

func encodeCursor(last, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(last, 10) + ":" + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (last, id int64, err error) {
	bad := fmt.Errorf("%w: cursor %q is not one this server gave", ErrInvalid, c)
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, 0, bad
	}
	a, b, ok := strings.Cut(string(raw), ":")
	if !ok {
		return 0, 0, bad
	}
	if last, err = strconv.ParseInt(a, 10, 64); err != nil {
		return 0, 0, bad
	}
	if id, err = strconv.ParseInt(b, 10, 64); err != nil {
		return 0, 0, bad
	}
	return last, id, nil
}

// Conversation returns one conversation by id, or ErrNotFound.
func (s *Store) Conversation(ctx context.Context, id int64) (model.Conversation, error) {
	c, err := scanConversation(s.r.QueryRowContext(ctx,
		`SELECT `+conversationColumns+conversationJoins+` WHERE c.id = $1`, id))
	if err != nil {
		return model.Conversation{}, fmt.Errorf("conversation %d: %w", id, s.translate(err))
	}
	return c, nil
}
