package store

// Workflow: what CMs and managers change on conversations — status,
// priority, tags, snooze, assignee — one at a time or in bulk, each change
// an audit event about the conversation with its before and after.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"palabre/internal/model"
)

// ConversationChange is what to change on conversations; nil and empty
// fields are left alone.
type ConversationChange struct {
	Status     *string
	Priority   *int
	AddTags    []string
	RemoveTags []string
	// SnoozeUntil hides the conversation from the inbox until then (it
	// must be in the future); Unsnooze brings it back now.
	SnoozeUntil *time.Time
	Unsnooze    bool
	// Assignee is the login of the CM to assign; "" unassigns, which hands
	// the conversation back to routing.
	Assignee *string
}

// Empty reports whether the change changes nothing.
func (c ConversationChange) Empty() bool {
	return c.Status == nil && c.Priority == nil && len(c.AddTags) == 0 && len(c.RemoveTags) == 0 &&
		c.SnoozeUntil == nil && !c.Unsnooze && c.Assignee == nil
}

// validate checks the change and normalises its tags, at now.
func (c *ConversationChange) validate(now time.Time) error {
	var errs []error
	if c.Status != nil && !model.ValidConversationStatus(*c.Status) {
		errs = append(errs, fmt.Errorf("status %q: must be one of %s", *c.Status, strings.Join(model.ConversationStatuses(), ", ")))
	}
	if c.Priority != nil && !model.ValidPriority(*c.Priority) {
		errs = append(errs, fmt.Errorf("priority %d: must be between %d and %d", *c.Priority, model.PriorityNormal, model.PriorityCritical))
	}
	for _, list := range []*[]string{&c.AddTags, &c.RemoveTags} {
		var norm []string
		for _, t := range *list {
			n, err := model.NormalizeTag(t)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if !slices.Contains(norm, n) {
				norm = append(norm, n)
			}
		}
		*list = norm
	}
	for _, t := range c.AddTags {
		if slices.Contains(c.RemoveTags, t) {
			errs = append(errs, fmt.Errorf("tag %q: both added and removed", t))
		}
	}
	if c.SnoozeUntil != nil && !c.SnoozeUntil.After(now) {
		errs = append(errs, fmt.Errorf("snooze_until %s: must be in the future", c.SnoozeUntil.UTC().Format(time.RFC3339)))
	}
	if c.SnoozeUntil != nil && c.Unsnooze {
		errs = append(errs, errors.New("snooze_until and unsnooze: choose one"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalid, errors.Join(errs...))
	}
	return nil
}

// assignableRoles are the roles whose holders may be assigned
// conversations.
func assignable(role string) bool {
	return role == model.RoleOwner || role == model.RoleManager || role == model.RoleCM
}

// ChangeConversations applies one change to conversations of the workspace
// (one, or up to model.MaxBulkConversation for a bulk action) in one
// transaction: all of them change, or none when one is not found
// (ErrNotFound) or the change is invalid (ErrInvalid). Each field that
// really changes is an audit event about its conversation, by actor, with
// its before and after. It returns the conversations as they are after.
func (s *Store) ChangeConversations(ctx context.Context, workspaceID int64, ids []int64, ch ConversationChange, actor string, now time.Time) ([]model.Conversation, error) {
	switch {
	case len(ids) == 0:
		return nil, fmt.Errorf("%w: no conversation given", ErrInvalid)
	case len(ids) > model.MaxBulkConversation:
		return nil, fmt.Errorf("%w: %d conversations: at most %d at once", ErrInvalid, len(ids), model.MaxBulkConversation)
	}
	if err := ch.validate(now); err != nil {
		return nil, err
	}
	now = TruncateTime(now)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var assignee *int64
		var assigneeLogin string
		if ch.Assignee != nil && *ch.Assignee != "" {
			u, role, err := s.memberRole(ctx, tx, workspaceID, *ch.Assignee)
			if err != nil {
				return err
			}
			if !assignable(role) {
				return fmt.Errorf("%w: %s cannot be assigned conversations here: their role is %s", ErrInvalid, u.Login, role)
			}
			assignee, assigneeLogin = &u.ID, u.Login
		}
		seen := make(map[int64]bool, len(ids))
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			if err := s.changeOne(ctx, tx, workspaceID, id, ch, assignee, assigneeLogin, actor, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("change conversations: %w", err)
	}
	out := make([]model.Conversation, 0, len(ids))
	for _, id := range ids {
		c, err := s.WorkspaceConversation(ctx, workspaceID, id)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// current is what changeOne reads of a conversation before changing it.
type current struct {
	status   string
	priority int
	assignee sql.NullInt64
	login    string
	snoozed  sql.NullInt64
}

func (s *Store) changeOne(ctx context.Context, tx *sql.Tx, workspaceID, id int64, ch ConversationChange,
	assignee *int64, assigneeLogin, actor string, now time.Time) error {
	var cur current
	err := tx.QueryRowContext(ctx, `SELECT c.status, c.priority, c.assignee_id, COALESCE(u.login, ''), c.snoozed_until
		FROM conversations c LEFT JOIN users u ON u.id = c.assignee_id
		WHERE c.id = $1 AND c.workspace_id = $2`+s.d.forUpdate, id, workspaceID).
		Scan(&cur.status, &cur.priority, &cur.assignee, &cur.login, &cur.snoozed)
	if err != nil {
		return fmt.Errorf("conversation %d: %w", id, s.translate(err))
	}
	at := toMicros(now)
	event := func(action string, detail map[string]any) error {
		_, err := insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, ConversationID: id, Actor: actor,
			Action: action, Subject: fmt.Sprintf("conversation %d", id), Detail: eventDetail(detail), CreatedAt: now})
		return err
	}
	if ch.Status != nil && *ch.Status != cur.status {
		st := *ch.Status
		var resolved any
		if st == model.ConvResolved {
			resolved = at
		}
		// Closing a conversation ends its snooze; every status change asks
		// for the SLA clocks again.
		_, err := tx.ExecContext(ctx, `UPDATE conversations SET status = $1, status_at = $2, resolved_at = $3,
			snoozed_until = CASE WHEN $4 THEN NULL ELSE snoozed_until END, sla_stale = TRUE
			WHERE id = $5`, st, at, resolved, closed(st), id)
		if err != nil {
			return fmt.Errorf("conversation %d: status: %w", id, err)
		}
		if err := event("conversation.status", map[string]any{"before": cur.status, "after": st}); err != nil {
			return err
		}
	}
	if ch.Priority != nil && *ch.Priority != cur.priority {
		if _, err := tx.ExecContext(ctx, `UPDATE conversations SET priority = $1, sla_stale = TRUE WHERE id = $2`, *ch.Priority, id); err != nil {
			return fmt.Errorf("conversation %d: priority: %w", id, err)
		}
		if err := event("conversation.priority", map[string]any{"before": cur.priority, "after": *ch.Priority}); err != nil {
			return err
		}
	}
	if len(ch.AddTags) > 0 || len(ch.RemoveTags) > 0 {
		if err := s.changeTags(ctx, tx, id, ch.AddTags, ch.RemoveTags, event); err != nil {
			return err
		}
	}
	switch {
	case ch.SnoozeUntil != nil:
		until := toMicros(*ch.SnoozeUntil)
		if !cur.snoozed.Valid || cur.snoozed.Int64 != until {
			if _, err := tx.ExecContext(ctx, `UPDATE conversations SET snoozed_until = $1, status_at = $2 WHERE id = $3`, until, at, id); err != nil {
				return fmt.Errorf("conversation %d: snooze: %w", id, err)
			}
			var before any
			if cur.snoozed.Valid {
				before = fromMicros(cur.snoozed.Int64)
			}
			if err := event("conversation.snooze", map[string]any{"before": before, "after": fromMicros(until)}); err != nil {
				return err
			}
		}
	case ch.Unsnooze && cur.snoozed.Valid:
		if _, err := tx.ExecContext(ctx, `UPDATE conversations SET snoozed_until = NULL WHERE id = $1`, id); err != nil {
			return fmt.Errorf("conversation %d: unsnooze: %w", id, err)
		}
		if err := event("conversation.unsnooze", map[string]any{"before": fromMicros(cur.snoozed.Int64), "after": nil}); err != nil {
			return err
		}
	}
	if ch.Assignee != nil {
		var before, after any
		if cur.assignee.Valid {
			before = cur.login
		}
		switch {
		case assignee != nil && (!cur.assignee.Valid || cur.assignee.Int64 != *assignee):
			after = assigneeLogin
			_, err = tx.ExecContext(ctx, `UPDATE conversations SET assignee_id = $1, assignment_reason = $2, assigned_at = $3 WHERE id = $4`,
				*assignee, "assigned by "+actor, at, id)
		case assignee == nil && cur.assignee.Valid:
			_, err = tx.ExecContext(ctx, `UPDATE conversations SET assignee_id = NULL, previous_assignee_id = NULL,
				assignment_reason = $1, assigned_at = NULL WHERE id = $2`, "unassigned by "+actor, id)
		default:
			return nil
		}
		if err != nil {
			return fmt.Errorf("conversation %d: assignee: %w", id, err)
		}
		if err := event("conversation.assign", map[string]any{"before": before, "assignee": after, "reason": actor}); err != nil {
			return err
		}
	}
	return nil
}

// closed reports whether a status takes the conversation off the CMs'
// hands: resolved, ignored or spam.
func closed(status string) bool {
	return status == model.ConvResolved || status == model.ConvIgnored || status == model.ConvSpam
}

// changeTags adds and removes tags of one conversation, recording what
// really changed.
func (s *Store) changeTags(ctx context.Context, tx *sql.Tx, id int64, add, remove []string, event func(string, map[string]any) error) error {
	have, err := conversationTags(ctx, tx, id)
	if err != nil {
		return err
	}
	added, removed, err := tagChange(have, add, remove)
	if err != nil {
		return fmt.Errorf("conversation %d: %w", id, err)
	}
	for _, t := range added {
		if _, err := tx.ExecContext(ctx, `INSERT INTO conversation_tags (conversation_id, tag) VALUES ($1, $2)`, id, t); err != nil {
			return fmt.Errorf("conversation %d: tag %q: %w", id, t, err)
		}
	}
	for _, t := range removed {
		if _, err := tx.ExecContext(ctx, `DELETE FROM conversation_tags WHERE conversation_id = $1 AND tag = $2`, id, t); err != nil {
			return fmt.Errorf("conversation %d: untag %q: %w", id, t, err)
		}
	}
	if len(added) == 0 && len(removed) == 0 {
		return nil
	}
	return event("conversation.tags", map[string]any{"added": orEmpty(added), "removed": orEmpty(removed)})
}

// tagChange is what adding add and removing remove does to the tags
// have: the tags really added and really removed, or ErrInvalid when the
// result would hold more than model.MaxTagsPerConvo.
func tagChange(have, add, remove []string) (added, removed []string, err error) {
	for _, t := range add {
		if !slices.Contains(have, t) {
			added = append(added, t)
		}
	}
	for _, t := range remove {
		if slices.Contains(have, t) {
			removed = append(removed, t)
		}
	}
	if len(have)+len(added)-len(removed) > model.MaxTagsPerConvo {
		return nil, nil, fmt.Errorf("%w: at most %d tags", ErrInvalid, model.MaxTagsPerConvo)
	}
	return added, removed, nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// conversationTags returns one conversation's tags, sorted.
func conversationTags(ctx context.Context, q queryer, id int64) ([]string, error) {
	tags, err := column[string](ctx, q, `SELECT tag FROM conversation_tags WHERE conversation_id = $1 ORDER BY tag`, id)
	if err != nil {
		return nil, fmt.Errorf("tags of conversation %d: %w", id, err)
	}
	return tags, nil
}

// ConversationTags returns one conversation's tags, sorted.
func (s *Store) ConversationTags(ctx context.Context, id int64) ([]string, error) {
	return conversationTags(ctx, s.r, id)
}

// withTags fills in the tags of conversations, in one query.
func (s *Store) withTags(ctx context.Context, convs []model.Conversation) error {
	if len(convs) == 0 {
		return nil
	}
	at := make(map[int64]int, len(convs))
	ids := make([]int64, len(convs))
	for i, c := range convs {
		at[c.ID] = i
		ids[i] = c.ID
	}
	rows, err := s.r.QueryContext(ctx, `SELECT conversation_id, tag FROM conversation_tags
		WHERE conversation_id`+s.d.inIDs(1)+` ORDER BY conversation_id, tag`, s.d.idSet(ids))
	if err != nil {
		return fmt.Errorf("tags: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var t string
		if err := rows.Scan(&id, &t); err != nil {
			return fmt.Errorf("tags: %w", err)
		}
		c := &convs[at[id]]
		c.Tags = append(c.Tags, t)
	}
	return rows.Err()
}

// memberRole finds a user by login and their role in the workspace:
// ErrInvalid when there is no such user or they have no role there.
func (s *Store) memberRole(ctx context.Context, q queryer, workspaceID int64, login string) (model.User, string, error) {
	norm, err := NormalizeLogin(login)
	if err != nil {
		return model.User{}, "", err
	}
	var u model.User
	var role string
	err = q.QueryRowContext(ctx, `SELECT u.id, u.login, u.name, m.role FROM users u
		JOIN memberships m ON m.user_id = u.id AND m.workspace_id = $1
		WHERE u.login = $2 AND NOT u.disabled`, workspaceID, norm).Scan(&u.ID, &u.Login, &u.Name, &role)
	if errors.Is(err, sql.ErrNoRows) {
		return model.User{}, "", fmt.Errorf("%w: user %q has no role in this workspace", ErrInvalid, norm)
	}
	if err != nil {
		return model.User{}, "", fmt.Errorf("user %q: %w", norm, err)
	}
	return u, role, nil
}

// WorkspaceConversation returns one conversation of the workspace with its
// tags, or ErrNotFound — also when it belongs to another workspace.
func (s *Store) WorkspaceConversation(ctx context.Context, workspaceID, id int64) (model.Conversation, error) {
	c, err := scanConversation(s.r.QueryRowContext(ctx,
		`SELECT `+conversationColumns+conversationJoins+` WHERE c.id = $1 AND c.workspace_id = $2`, id, workspaceID))
	if err != nil {
		return model.Conversation{}, fmt.Errorf("conversation %d: %w", id, s.translate(err))
	}
	if c.Tags, err = conversationTags(ctx, s.r, id); err != nil {
		return model.Conversation{}, err
	}
	return c, nil
}

// WakeSnoozed brings back every conversation whose snooze ended by now,
// recording an event for each; it returns how many.
func (s *Store) WakeSnoozed(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, workspace_id, snoozed_until FROM conversations
			WHERE snoozed_until IS NOT NULL AND snoozed_until <= $1 ORDER BY snoozed_until LIMIT 1000`, toMicros(now))
		if err != nil {
			return err
		}
		type woke struct{ id, ws, until int64 }
		var due []woke
		for rows.Next() {
			var w woke
			if err := rows.Scan(&w.id, &w.ws, &w.until); err != nil {
				rows.Close()
				return err
			}
			due = append(due, w)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, w := range due {
			res, err := tx.ExecContext(ctx, `UPDATE conversations SET snoozed_until = NULL WHERE id = $1 AND snoozed_until = $2`, w.id, w.until)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				continue
			}
			if _, err := insertEvent(ctx, tx, model.Event{WorkspaceID: w.ws, ConversationID: w.id, Actor: "snooze",
				Action: "conversation.unsnooze", Subject: fmt.Sprintf("conversation %d", w.id),
				Detail: eventDetail(map[string]any{"before": fromMicros(w.until), "after": nil}), CreatedAt: now}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("wake snoozed conversations: %w", err)
	}
	return n, nil
}
