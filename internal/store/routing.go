package store

// Routing: what package route needs to decide who takes a conversation —
// the workspace's CMs with their profile and load, its rules, the
// conversations nobody has yet — and the compare-and-set that records a
// decision.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"palabre/internal/model"
	"palabre/internal/route"
)

// RoutingCandidates returns the users who may be assigned the workspace's
// conversations — those holding the role cm or manager there and not
// disabled — with their profile (the default one when they set none), their
// topic strengths in this workspace, how many of its conversations they
// hold open (new, open or pending) and when they were last assigned one.
// They come by user id.
func (s *Store) RoutingCandidates(ctx context.Context, workspaceID int64) ([]route.Candidate, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT u.id, u.login, u.name,
			COALESCE(p.languages, '[]'), COALESCE(p.time_zone, 'UTC'), COALESCE(p.hours, '{}'),
			COALESCE(p.capacity, 0), COALESCE(p.status, $2),
			(SELECT COUNT(*) FROM conversations c WHERE c.workspace_id = $1 AND c.assignee_id = u.id
				AND c.status IN ($5, $6, $7)),
			(SELECT MAX(c.assigned_at) FROM conversations c WHERE c.workspace_id = $1 AND c.assignee_id = u.id)
		FROM memberships m
		JOIN users u ON u.id = m.user_id
		LEFT JOIN profiles p ON p.user_id = u.id
		WHERE m.workspace_id = $1 AND m.role IN ($3, $4) AND NOT u.disabled
		ORDER BY u.id`, workspaceID, model.StatusAvailable, model.RoleCM, model.RoleManager,
		model.ConvNew, model.ConvOpen, model.ConvPending)
	if err != nil {
		return nil, fmt.Errorf("routing candidates: %w", err)
	}
	defer rows.Close()
	var cands []route.Candidate
	byID := make(map[int64]int)
	for rows.Next() {
		var c route.Candidate
		var languages, timeZone, hours, status string
		var last sql.NullInt64
		if err := rows.Scan(&c.UserID, &c.Login, &c.Name, &languages, &timeZone, &hours,
			&c.Capacity, &status, &c.Open, &last); err != nil {
			return nil, fmt.Errorf("routing candidates: %w", err)
		}
		if err := json.Unmarshal([]byte(languages), &c.Languages); err != nil {
			return nil, fmt.Errorf("routing candidates: %s: languages: %w", c.Login, err)
		}
		if err := json.Unmarshal([]byte(hours), &c.Hours); err != nil {
			return nil, fmt.Errorf("routing candidates: %s: hours: %w", c.Login, err)
		}
		// Profiles are validated when saved, so a zone that does not load
		// means the system lacks time zone data: better to stop than to
		// route by the wrong hours.
		if c.Location, err = time.LoadLocation(timeZone); err != nil {
			return nil, fmt.Errorf("routing candidates: %s: %w", c.Login, err)
		}
		c.Away = status == model.StatusAway
		if last.Valid {
			c.LastAssigned = fromMicros(last.Int64)
		}
		c.Topics = map[string]float64{}
		byID[c.UserID] = len(cands)
		cands = append(cands, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("routing candidates: %w", err)
	}
	rows.Close()
	if len(cands) == 0 {
		return cands, nil
	}
	rows, err = s.r.QueryContext(ctx, `SELECT user_id, topic, strength FROM specialisations WHERE workspace_id = $1`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("routing candidates: specialisations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var topic string
		var strength float64
		if err := rows.Scan(&id, &topic, &strength); err != nil {
			return nil, fmt.Errorf("routing candidates: specialisations: %w", err)
		}
		if i, ok := byID[id]; ok {
			cands[i].Topics[topic] = strength
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("routing candidates: specialisations: %w", err)
	}
	return cands, nil
}

// RoutingRules returns the workspace's routing rules in order; none when
// it has not set any.
func (s *Store) RoutingRules(ctx context.Context, workspaceID int64) ([]route.Rule, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name, rule FROM routing_rules WHERE workspace_id = $1 ORDER BY position`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("routing rules: %w", err)
	}
	defer rows.Close()
	rules := []route.Rule{}
	for rows.Next() {
		var name, raw string
		if err := rows.Scan(&name, &raw); err != nil {
			return nil, fmt.Errorf("routing rules: %w", err)
		}
		var r route.Rule
		if err := json.Unmarshal([]byte(raw), &r); err != nil {
			return nil, fmt.Errorf("routing rule %q: %w", name, err)
		}
		r.Name = name
		rules = append(rules, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("routing rules: %w", err)
	}
	return rules, nil
}

// SetRoutingRules replaces the workspace's routing rules, kept in the
// order given. actor is recorded in the audit log.
func (s *Store) SetRoutingRules(ctx context.Context, workspaceID int64, rules []route.Rule, actor string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM routing_rules WHERE workspace_id = $1`, workspaceID); err != nil {
			return err
		}
		names := make([]string, len(rules))
		for i, r := range rules {
			raw, err := json.Marshal(r)
			if err != nil {
				return fmt.Errorf("rule %q: %w", r.Name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO routing_rules (workspace_id, position, name, rule) VALUES ($1, $2, $3, $4)`,
				workspaceID, i, r.Name, string(raw)); err != nil {
				return s.translate(err)
			}
			names[i] = r.Name
		}
		_, err := insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Actor: actor, Action: "routing.rules",
			Detail: eventDetail(map[string]any{"rules": names})})
		return err
	})
	if err != nil {
		return fmt.Errorf("set routing rules of workspace %d: %w", workspaceID, err)
	}
	return nil
}

// Unrouted is a conversation nobody is assigned to, as routing sees it.
type Unrouted struct {
	ID int64
	route.Conversation
}

// UnroutedConversations returns up to limit conversations of the workspace
// that nobody is assigned to and that still wait (status new or open), by
// id, starting after the id afterID (0: from the first), so that a caller
// who leaves some unassigned still gets through them all. Language, intent,
// sentiment, spam and author are the root message's (the latest message's
// when the root is not stored); topics gather every message's.
func (s *Store) UnroutedConversations(ctx context.Context, workspaceID, afterID int64, limit int) ([]Unrouted, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("%w: unrouted conversations: limit %d must be positive", ErrInvalid, limit)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT c.id, ch.name, c.priority, COALESCE(c.previous_assignee_id, 0),
			COALESCE(c.escalated_from_id, 0), c.root_external_id,
			m.external_id, m.lang, m.intent, m.sentiment, m.spam, m.topics, m.author_handle, m.author_email
		FROM conversations c
		JOIN channels ch ON ch.id = c.channel_id
		JOIN messages m ON m.conversation_id = c.id
		WHERE c.id IN (SELECT id FROM conversations
			WHERE workspace_id = $1 AND assignee_id IS NULL AND status IN ($2, $3) AND id > $4
			ORDER BY id LIMIT $5)
		ORDER BY c.id, m.created_at, m.external_id`,
		workspaceID, model.ConvNew, model.ConvOpen, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("unrouted conversations: %w", err)
	}
	defer rows.Close()
	var out []Unrouted
	rooted := false // whether the current conversation's root was seen
	for rows.Next() {
		var id int64
		var channel, root, ext, lang, intent, sentiment, topics, handle, email string
		var priority int
		var previous, escalated int64
		var spam sql.NullBool
		if err := rows.Scan(&id, &channel, &priority, &previous, &escalated, &root, &ext, &lang, &intent, &sentiment, &spam,
			&topics, &handle, &email); err != nil {
			return nil, fmt.Errorf("unrouted conversations: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].ID != id {
			out = append(out, Unrouted{ID: id, Conversation: route.Conversation{Channel: channel, Priority: priority,
				Previous: previous, Escalated: escalated, Topics: []string{}}})
			rooted = false
		}
		u := &out[len(out)-1]
		if !rooted { // the root, else each message in turn until the latest
			u.Lang, u.Intent, u.Sentiment, u.Spam = lang, intent, sentiment, spam.Valid && spam.Bool
			u.Author = joinAuthor(handle, email)
			rooted = ext == root
		}
		if u.Topics, err = addTopics(u.Topics, topics); err != nil {
			return nil, fmt.Errorf("unrouted conversation %d: topics: %w", id, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("unrouted conversations: %w", err)
	}
	return out, nil
}

// joinAuthor is route.Conversation's Author: handle and e-mail, either
// possibly empty, separated by a space.
func joinAuthor(handle, email string) string {
	switch {
	case handle == "":
		return email
	case email == "":
		return handle
	}
	return handle + " " + email
}

// Assign records routing's decision on a conversation of the workspace
// that nobody is assigned to: assignee (nil: nobody could take it) and the
// reason. It is a compare-and-set, so that two nodes routing at once never
// both assign: ErrConflict when someone was assigned meanwhile, ErrNotFound
// when the workspace has no such conversation. Assigning records the time
// and an audit event; a reason without assignee is recorded, with an event,
// only when it changed, so that routing again does not fill the log.
func (s *Store) Assign(ctx context.Context, conversationID, workspaceID int64, assignee *int64, reason, actor string) error {
	return s.ApplyDecision(ctx, conversationID, workspaceID, Decision{Assignee: assignee, Reason: reason, Priority: -1}, actor)
}

// Decision is what routing decided for one conversation.
type Decision struct {
	Assignee *int64 // nil: nobody could take it
	Reason   string
	// Tags are added to the conversation's; Priority replaces its
	// priority unless negative.
	Tags     []string
	Priority int
}

// ApplyDecision records routing's decision on a conversation as Assign
// does, and also its tags and priority (each an audit event when it
// changes anything), in the same transaction.
func (s *Store) ApplyDecision(ctx context.Context, conversationID, workspaceID int64, d Decision, actor string) error {
	conflicts, err := s.applyDecisions(ctx, workspaceID, []Routed{{ConversationID: conversationID, Decision: d}}, actor, false)
	if err != nil {
		return err
	}
	if len(conflicts) > 0 {
		return fmt.Errorf("assign conversation %d: %w: another assignment came first", conversationID, ErrConflict)
	}
	return nil
}

// Routed is routing's decision on one conversation.
type Routed struct {
	ConversationID int64
	Decision
}

// ApplyDecisions records many decisions as ApplyDecision does, in one
// transaction (one commit for a page of decisions, not one each). A
// conversation someone was assigned to meanwhile is left as it is: its id
// is returned among the conflicts. So is, on PostgreSQL, a conversation
// without rule actions that another transaction is writing (an import
// adding its messages): routing does not wait for it, holding the rows
// it locked already, which that import or the next may need; nobody
// holds it, and the next round routes it.
func (s *Store) ApplyDecisions(ctx context.Context, workspaceID int64, ds []Routed, actor string) (conflicts []int64, err error) {
	return s.applyDecisions(ctx, workspaceID, ds, actor, true)
}

// applyDecisions is ApplyDecisions; skipBusy says whether conversations
// being written are left (true) or waited for.
func (s *Store) applyDecisions(ctx context.Context, workspaceID int64, ds []Routed, actor string, skipBusy bool) (conflicts []int64, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		conflicts = conflicts[:0]
		logins := map[int64]string{}
		one := ds
		if !s.d.oneByOneMemberUpdates {
			// PostgreSQL: the plain decisions (no tags, same priority) as
			// two statements for the page, the others one by one.
			var plain []Routed
			one, plain = nil, nil
			for _, r := range ds {
				if len(r.Tags) == 0 && r.Priority < 0 {
					plain = append(plain, r)
				} else {
					one = append(one, r)
				}
			}
			c, err := s.applyPlainDecisions(ctx, tx, workspaceID, plain, actor, logins, skipBusy)
			if err != nil {
				return err
			}
			conflicts = append(conflicts, c...)
		}
		for _, r := range one {
			err := s.applyDecision(ctx, tx, workspaceID, r, actor, logins)
			if errors.Is(err, ErrConflict) {
				conflicts = append(conflicts, r.ConversationID)
				continue
			}
			if err != nil {
				return fmt.Errorf("assign conversation %d: %w", r.ConversationID, err)
			}
		}
		return nil
	})
	return conflicts, err
}

// busyConversations are those of ids not locked that are the
// workspace's: another transaction holds them (the others are left to
// the decisions' checks).
func (s *Store) busyConversations(ctx context.Context, tx *sql.Tx, workspaceID int64, ids []int64, locked map[int64]bool) ([]int64, error) {
	var rest []int64
	for _, id := range ids {
		if !locked[id] {
			rest = append(rest, id)
		}
	}
	if len(rest) == 0 {
		return nil, nil
	}
	busy, err := column[int64](ctx, tx, `SELECT id FROM conversations WHERE workspace_id = $1 AND id`+s.d.inIDs(2), workspaceID, s.d.idSet(rest))
	if err != nil {
		return nil, fmt.Errorf("lock conversations: %w", err)
	}
	return busy, nil
}

// applyPlainDecisions records decisions without rule actions in one
// UPDATE … FROM (VALUES …) with the same compare-and-set as applyDecision,
// and their audit events in one INSERT. It returns the conversations
// someone was assigned meanwhile (decisions to assign that did not apply),
// and with skipBusy those another transaction holds, left as they are.
func (s *Store) applyPlainDecisions(ctx context.Context, tx *sql.Tx, workspaceID int64, ds []Routed, actor string, logins map[int64]string, skipBusy bool) ([]int64, error) {
	if len(ds) == 0 {
		return nil, nil
	}
	// Lock the rows in id order first: two nodes routing the same page at
	// once then queue behind each other instead of deadlocking; or, with
	// skipBusy, take only those nobody holds.
	ids := make([]int64, len(ds))
	for i, r := range ds {
		ids[i] = r.ConversationID
	}
	lock := ` ORDER BY id FOR UPDATE`
	if skipBusy {
		lock += ` SKIP LOCKED`
	}
	locked := make(map[int64]bool, len(ds))
	if err := queryEach(ctx, tx, `SELECT id FROM conversations WHERE id`+s.d.inIDs(1)+lock,
		[]any{s.d.idSet(ids)}, func(rows *sql.Rows) error {
			var id int64
			err := rows.Scan(&id)
			locked[id] = true
			return err
		}); err != nil {
		return nil, fmt.Errorf("lock conversations: %w", err)
	}
	busy, err := s.busyConversations(ctx, tx, workspaceID, ids, locked)
	if err != nil {
		return nil, err
	}
	if len(busy) > 0 {
		ds = slices.DeleteFunc(slices.Clone(ds), func(r Routed) bool { return slices.Contains(busy, r.ConversationID) })
	}
	now := toMicros(time.Now())
	args := make([]any, 0, 4*len(ds))
	for _, r := range ds {
		var assignee, at any
		if r.Assignee != nil {
			assignee, at = *r.Assignee, now
		}
		args = append(args, r.ConversationID, assignee, r.Reason, at)
	}
	if len(ds) == 0 {
		return busy, nil
	}
	applied := map[int64]bool{}
	err = s.d.bulk(ctx, tx, `UPDATE conversations SET assignee_id = v.column2, assignment_reason = v.column3,
		assigned_at = v.column4,
		escalated_from_id = CASE WHEN v.column2 IS NULL THEN conversations.escalated_from_id END
		FROM (VALUES `, []string{"BIGINT", "BIGINT", "TEXT", "BIGINT"}, args,
		`) AS v WHERE conversations.id = v.column1 AND conversations.workspace_id = `+strconv.FormatInt(workspaceID, 10)+`
		AND conversations.assignee_id IS NULL
		AND (v.column2 IS NOT NULL OR conversations.assignment_reason <> v.column3)
		RETURNING conversations.id`, func(rows *sql.Rows) error {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			applied[id] = true
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("assign conversations: %w", err)
	}
	// What did not apply: someone holds it (a conflict), or it is nobody's
	// for the same reason as before, or it is not this workspace's.
	var missed []int64
	for _, r := range ds {
		if !applied[r.ConversationID] {
			missed = append(missed, r.ConversationID)
		}
	}
	held := map[int64]bool{}
	if len(missed) > 0 {
		err := queryEach(ctx, tx, `SELECT id, assignee_id IS NOT NULL FROM conversations
			WHERE workspace_id = $1 AND id`+s.d.inIDs(2),
			[]any{workspaceID, s.d.idSet(missed)}, func(rows *sql.Rows) error {
				var id int64
				var assigned bool
				err := rows.Scan(&id, &assigned)
				held[id] = assigned
				return err
			})
		if err != nil {
			return nil, fmt.Errorf("assign conversations: %w", err)
		}
	}
	conflicts := busy
	for _, r := range ds {
		if applied[r.ConversationID] {
			continue
		}
		assigned, found := held[r.ConversationID]
		switch {
		case !found:
			return nil, fmt.Errorf("conversation %d: %w", r.ConversationID, ErrNotFound)
		case assigned:
			conflicts = append(conflicts, r.ConversationID)
		}
	}
	var events []any
	at := TruncateTime(time.Now())
	for _, r := range ds {
		if !applied[r.ConversationID] {
			continue
		}
		detail, err := s.assignDetail(ctx, tx, r.Decision, logins)
		if err != nil {
			return nil, err
		}
		row, err := eventRow(&model.Event{WorkspaceID: workspaceID, ConversationID: r.ConversationID, Actor: actor,
			Action: "conversation.assign", Subject: fmt.Sprintf("conversation %d", r.ConversationID),
			Detail: detail, CreatedAt: at})
		if err != nil {
			return nil, err
		}
		events = append(events, row...)
	}
	if len(events) > 0 {
		if err := s.d.bulkInsert(ctx, tx, eventInsert, 8, events, ``, nil); err != nil {
			return nil, fmt.Errorf("record assignments: %w", err)
		}
	}
	return conflicts, nil
}

// applyDecision records one decision in tx; ErrConflict, with nothing
// written, when someone holds the conversation. logins caches assignees'
// logins.
func (s *Store) applyDecision(ctx context.Context, tx *sql.Tx, workspaceID int64, r Routed, actor string, logins map[int64]string) error {
	conversationID, assignee, reason := r.ConversationID, r.Assignee, r.Reason
	if err := s.applyRuleActions(ctx, tx, conversationID, workspaceID, r.Decision, actor); err != nil {
		return err
	}
	var res sql.Result
	var err error
	if assignee != nil {
		res, err = tx.ExecContext(ctx, `UPDATE conversations SET assignee_id = $1, assignment_reason = $2, assigned_at = $3,
				escalated_from_id = NULL
			WHERE id = $4 AND workspace_id = $5 AND assignee_id IS NULL`,
			*assignee, reason, toMicros(time.Now()), conversationID, workspaceID)
	} else {
		res, err = tx.ExecContext(ctx, `UPDATE conversations SET assignment_reason = $1
			WHERE id = $2 AND workspace_id = $3 AND assignee_id IS NULL AND assignment_reason <> $1`,
			reason, conversationID, workspaceID)
	}
	if err != nil {
		return s.translate(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		var current sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT assignee_id FROM conversations WHERE id = $1 AND workspace_id = $2`,
			conversationID, workspaceID).Scan(&current)
		switch {
		case err != nil:
			return s.translate(err)
		case current.Valid:
			return fmt.Errorf("%w: already assigned to user %d", ErrConflict, current.Int64)
		}
		return nil // nobody, for the same reason as before
	}
	detail, err := s.assignDetail(ctx, tx, r.Decision, logins)
	if err != nil {
		return err
	}
	_, err = insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, ConversationID: conversationID, Actor: actor,
		Action: "conversation.assign", Subject: fmt.Sprintf("conversation %d", conversationID), Detail: detail})
	return err
}

// assignDetail is the detail of a decision's audit event: the reason and
// the assignee's login (null for nobody); logins caches the logins.
func (s *Store) assignDetail(ctx context.Context, q queryer, d Decision, logins map[int64]string) (string, error) {
	detail := map[string]any{"reason": d.Reason, "assignee": nil}
	if d.Assignee != nil {
		login, ok := logins[*d.Assignee]
		if !ok {
			var err error
			if login, err = s.userLogin(ctx, q, *d.Assignee); err != nil {
				return "", err
			}
			logins[*d.Assignee] = login
		}
		detail["assignee"] = login
	}
	return eventDetail(detail), nil
}

// applyRuleActions gives a conversation nobody holds yet the tags and
// priority routing's rules decided.
func (s *Store) applyRuleActions(ctx context.Context, tx *sql.Tx, conversationID, workspaceID int64, d Decision, actor string) error {
	if len(d.Tags) == 0 && d.Priority < 0 {
		return nil
	}
	var priority int
	var held sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT c.priority, c.assignee_id FROM conversations c WHERE c.id = $1 AND c.workspace_id = $2`+s.d.forUpdate,
		conversationID, workspaceID).Scan(&priority, &held)
	if err != nil {
		return s.translate(err)
	}
	if held.Valid {
		return fmt.Errorf("%w: already assigned to user %d", ErrConflict, held.Int64)
	}
	ch := ConversationChange{AddTags: d.Tags}
	if d.Priority >= 0 && d.Priority != priority && model.ValidPriority(d.Priority) {
		ch.Priority = &d.Priority
	}
	if ch.Empty() {
		return nil
	}
	if err := ch.validate(time.Now()); err != nil {
		return err
	}
	return s.changeOne(ctx, tx, workspaceID, conversationID, ch, nil, "", actor, TruncateTime(time.Now()))
}
