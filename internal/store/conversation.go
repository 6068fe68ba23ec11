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
	c.assignee_id, COALESCE(au.login, ''), c.assignment_reason, c.assigned_at`

const conversationJoins = ` FROM conversations c
	JOIN workspaces w ON w.id = c.workspace_id
	JOIN channels ch ON ch.id = c.channel_id
	LEFT JOIN users au ON au.id = c.assignee_id`

func scanConversation(row interface{ Scan(...any) error }) (model.Conversation, error) {
	var c model.Conversation
	var created, last int64
	var assignee, assigned sql.NullInt64
	err := row.Scan(&c.ID, &c.WorkspaceID, &c.Workspace, &c.ChannelID, &c.Channel, &c.RootExternalID,
		&c.Subject, &c.Status, &c.Priority, &c.MessageCount, &created, &last,
		&assignee, &c.Assignee, &c.AssignmentReason, &assigned)
	c.CreatedAt = fromMicros(created)
	c.LastActivityAt = fromMicros(last)
	if assignee.Valid {
		c.AssigneeID = &assignee.Int64
	}
	c.AssignedAt = timePtr(assigned)
	return c, err
}

// ConversationFilter selects a page of a workspace's conversations.
type ConversationFilter struct {
	Status string // one of the model.Conv* statuses; empty for all
	// Assignee, a login, keeps only the conversations assigned to that
	// user; empty for all.
	Assignee string
	Limit    int    // page size; 0 means 50, at most 500
	Cursor   string // from the previous page's ConversationPage.Next
}

// ConversationPage is one page of conversations, newest activity first.
type ConversationPage struct {
	Conversations []model.Conversation
	Next          string // cursor of the following page; empty on the last
}

// Conversations lists a workspace's conversations, most recent activity
// first, a page at a time. The cursor is keyset-based, so pages stay stable
// while new messages arrive.
func (s *Store) Conversations(ctx context.Context, workspaceID int64, f ConversationFilter) (ConversationPage, error) {
	limit := f.Limit
	switch {
	case limit == 0:
		limit = 50
	case limit < 0 || limit > 500:
		return ConversationPage{}, fmt.Errorf("%w: limit %d: must be between 1 and 500", ErrInvalid, limit)
	}
	if f.Status != "" && !model.ValidConversationStatus(f.Status) {
		return ConversationPage{}, fmt.Errorf("%w: status %q: must be one of new, open, pending, resolved, ignored", ErrInvalid, f.Status)
	}
	q := `SELECT ` + conversationColumns + conversationJoins + ` WHERE c.workspace_id = $1`
	args := []any{workspaceID}
	if f.Status != "" {
		args = append(args, f.Status)
		q += fmt.Sprintf(` AND c.status = $%d`, len(args))
	}
	if f.Assignee != "" {
		login, err := NormalizeLogin(f.Assignee)
		if err != nil {
			return ConversationPage{}, fmt.Errorf("assignee: %w", err)
		}
		args = append(args, login)
		q += fmt.Sprintf(` AND au.login = $%d`, len(args))
	}
	if f.Cursor != "" {
		last, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return ConversationPage{}, err
		}
		args = append(args, last, id)
		q += fmt.Sprintf(` AND (c.last_activity_at < $%d OR (c.last_activity_at = $%d AND c.id < $%d))`,
			len(args)-1, len(args)-1, len(args))
	}
	args = append(args, limit+1)
	q += fmt.Sprintf(` ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $%d`, len(args))

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
		page.Next = encodeCursor(toMicros(last.LastActivityAt), last.ID)
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
