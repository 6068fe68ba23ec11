package store

// The unified inbox: conversations across the workspaces a user may see,
// each with its headline message, and the sidebar's counts.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"palabre/internal/model"
)

// InboxFilter selects a page of the unified inbox across workspaces.
type InboxFilter struct {
	WorkspaceIDs []int64 // required, non-empty: the workspaces the caller may see
	Status       string  // one of the model conversation statuses; "" = all
	Open         bool    // statuses new, open, pending only (and not snoozed)
	AssigneeID   int64   // only conversations assigned to this user id; 0 = any
	Unassigned   bool
	// Participant keeps the conversations this user id was asked into
	// (the participants table); 0 = any.
	Participant int64
	// MentionsOf keeps the conversations with a note.mention event whose
	// recipient is this user id; 0 = any.
	MentionsOf int64
	// NeedsResponse keeps the conversations awaiting an answer
	// (awaiting_since set) whose status is new, open or pending.
	NeedsResponse bool
	// Tag, Topic, Sentiment, Lang, Intent and Channel keep only that
	// value; "" = any. Topic, Sentiment, Lang and Intent apply to the
	// row's headline message; Channel is the channel's name.
	Tag, Topic, Sentiment, Lang, Intent, Channel string
	Priority                                     *int
	// ByDue orders by response due time, soonest first, and keeps only the
	// conversations with one; otherwise the latest activity comes first.
	ByDue bool
	// Query keeps the conversations having a message that matches it, or a
	// message by a member who matches it (see search.go); "" = no search.
	Query  string
	Limit  int    // page size; 0 means 50, at most 500
	Cursor string // from the previous page's InboxPage.Next
}

// Headline is the message that stands for a conversation in the inbox:
// its latest non-staff message, or its root message when there is none.
type Headline struct {
	MessageID int64
	Author    string
	MemberID  string
	// Excerpt is the start of the body as plain text, whitespace
	// collapsed, at most headlineRunes runes, ending in "…" when cut.
	Excerpt                 string
	Lang, Sentiment, Intent string
	SentimentScore          *float64
	Topics                  []string
	NeedsResponse           *bool
	Spam                    *bool
	CreatedAt               time.Time
}

// InboxRow is one conversation of the inbox with its headline.
type InboxRow struct {
	model.Conversation
	Headline Headline
}

// InboxPage is one page of the inbox.
type InboxPage struct {
	Rows []InboxRow
	Next string // cursor of the following page; empty on the last
}

// headlineRunes bounds a headline's excerpt.
const headlineRunes = 180

// openStatuses are the statuses of conversations still to be dealt with,
// as an SQL list; the partial indexes of migration 0007 spell it the same.
const openStatuses = `('` + model.ConvNew + `', '` + model.ConvOpen + `', '` + model.ConvPending + `')`

// openCondition keeps the open conversations c that are not snoozed.
const openCondition = ` AND c.status IN ` + openStatuses + ` AND c.snoozed_until IS NULL`

// headlineJoin joins each conversation c to its headline message hm: the
// latest customer message, else the root, else the oldest message.
const headlineJoin = `
	LEFT JOIN messages hm ON hm.id = COALESCE(
		(SELECT m.id FROM messages m WHERE m.conversation_id = c.id AND NOT m.author_is_staff
			ORDER BY m.created_at DESC, m.id DESC LIMIT 1),
		(SELECT m.id FROM messages m WHERE m.channel_id = c.channel_id AND m.external_id = c.root_external_id),
		(SELECT m.id FROM messages m WHERE m.conversation_id = c.id ORDER BY m.created_at, m.id LIMIT 1))`

// headlineColumns are read by scanInboxRow after conversationColumns. The
// body is cut in SQL already, so that a long one does not travel whole.
const headlineColumns = `, hm.id, hm.author_name, hm.member_id, substr(hm.body, 1, 1000),
	hm.lang, hm.sentiment, hm.intent, hm.sentiment_score, hm.topics, hm.needs_response, hm.spam, hm.created_at`

// Inbox lists a page of the conversations of several workspaces, most
// recent activity first (or soonest response due first with ByDue), each
// with its headline. The cursor is keyset-based as for Conversations.
func (s *Store) Inbox(ctx context.Context, f InboxFilter) (InboxPage, error) {
	limit, err := checkInboxFilter(&f)
	if err != nil {
		return InboxPage{}, err
	}
	q := `SELECT ` + conversationColumns + headlineColumns + conversationJoins + headlineJoin +
		` WHERE c.workspace_id IN (` + idList(f.WorkspaceIDs) + `)`
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		q += fmt.Sprintf(cond, len(args))
	}
	if f.Status != "" {
		add(` AND c.status = $%d`, f.Status)
	}
	if f.Open {
		q += openCondition
	}
	if f.AssigneeID != 0 {
		add(` AND c.assignee_id = $%d`, f.AssigneeID)
	}
	if f.Unassigned {
		q += ` AND c.assignee_id IS NULL`
	}
	if f.Participant != 0 {
		add(` AND c.id IN (SELECT conversation_id FROM participants WHERE user_id = $%d)`, f.Participant)
	}
	if f.MentionsOf != 0 {
		add(` AND c.id IN (SELECT conversation_id FROM events WHERE recipient_id = $%d AND action = 'note.mention')`, f.MentionsOf)
	}
	if f.NeedsResponse {
		q += ` AND c.awaiting_since IS NOT NULL AND c.status IN ` + openStatuses
	}
	if f.Tag != "" {
		add(` AND c.id IN (SELECT conversation_id FROM conversation_tags WHERE tag = $%d)`, f.Tag)
	}
	if f.Topic != "" {
		// Topics are stored as a JSON array: look for the name as JSON
		// spells it, quotes included, so that "prix" does not find
		// "prix-fixe".
		name, _ := json.Marshal(f.Topic)
		find := `instr(hm.topics, $%d) > 0`
		if s.engine == EnginePostgres {
			find = `strpos(hm.topics, $%d) > 0`
		}
		add(` AND `+find, string(name))
	}
	if f.Sentiment != "" {
		add(` AND hm.sentiment = $%d`, f.Sentiment)
	}
	if f.Lang != "" {
		add(` AND hm.lang = $%d`, f.Lang)
	}
	if f.Intent != "" {
		add(` AND hm.intent = $%d`, f.Intent)
	}
	if f.Channel != "" {
		add(` AND ch.name = $%d`, f.Channel)
	}
	if f.Priority != nil {
		add(` AND c.priority = $%d`, *f.Priority)
	}
	if f.Query != "" {
		sq := parseSearchQuery(f.Query)
		if len(sq) == 0 {
			return InboxPage{}, nil // nothing searchable: nothing matches
		}
		cond, ok, err := s.searchCondition(ctx, f.WorkspaceIDs, sq, len(args)+1)
		if err != nil {
			return InboxPage{}, err
		}
		if !ok {
			return InboxPage{}, nil
		}
		q += cond.sql
		args = append(args, cond.args...)
	}
	key, order, cmp := `c.last_activity_at`, `DESC`, `<`
	if f.ByDue {
		key, order, cmp = `c.response_due_at`, `ASC`, `>`
		q += ` AND c.response_due_at IS NOT NULL`
	}
	if f.Cursor != "" {
		last, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return InboxPage{}, err
		}
		args = append(args, last, id)
		// The first term bounds the index range; the second is the
		// keyset's strict order.
		q += fmt.Sprintf(` AND %s %s= $%d AND (%s %s $%d OR c.id %s $%d)`,
			key, cmp, len(args)-1, key, cmp, len(args)-1, cmp, len(args))
	}
	args = append(args, limit+1)
	q += fmt.Sprintf(` ORDER BY %s %s, c.id %s LIMIT $%d`, key, order, order, len(args))

	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return InboxPage{}, fmt.Errorf("inbox: %w", err)
	}
	defer rows.Close()
	var page InboxPage
	for rows.Next() {
		r, err := scanInboxRow(rows)
		if err != nil {
			return InboxPage{}, fmt.Errorf("inbox: %w", err)
		}
		page.Rows = append(page.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return InboxPage{}, fmt.Errorf("inbox: %w", err)
	}
	rows.Close()
	if len(page.Rows) > limit {
		page.Rows = page.Rows[:limit]
		last := page.Rows[limit-1]
		key := toMicros(last.LastActivityAt)
		if f.ByDue {
			key = toMicros(*last.SLA.ResponseDueAt)
		}
		page.Next = encodeCursor(key, last.ID)
	}
	convs := make([]model.Conversation, len(page.Rows))
	for i := range page.Rows {
		convs[i] = page.Rows[i].Conversation
	}
	if err := s.withTags(ctx, convs); err != nil {
		return InboxPage{}, fmt.Errorf("inbox: %w", err)
	}
	for i := range page.Rows {
		page.Rows[i].Tags = convs[i].Tags
	}
	return page, nil
}

// checkInboxFilter checks f, normalises its tag, and returns the page size.
func checkInboxFilter(f *InboxFilter) (int, error) {
	var errs []string
	if len(f.WorkspaceIDs) == 0 {
		errs = append(errs, "workspace ids: at least one is needed")
	}
	limit := f.Limit
	switch {
	case limit == 0:
		limit = 50
	case limit < 0 || limit > 500:
		errs = append(errs, fmt.Sprintf("limit %d: must be between 1 and 500", limit))
	}
	if f.Status != "" && !model.ValidConversationStatus(f.Status) {
		errs = append(errs, fmt.Sprintf("status %q: must be one of %s", f.Status, strings.Join(model.ConversationStatuses(), ", ")))
	}
	if f.Priority != nil && !model.ValidPriority(*f.Priority) {
		errs = append(errs, fmt.Sprintf("priority %d: must be between %d and %d", *f.Priority, model.PriorityNormal, model.PriorityCritical))
	}
	if f.AssigneeID != 0 && f.Unassigned {
		errs = append(errs, "assignee and unassigned: choose one")
	}
	for _, id := range []struct {
		name string
		v    int64
	}{{"assignee", f.AssigneeID}, {"participant", f.Participant}, {"mentions of", f.MentionsOf}} {
		if id.v < 0 {
			errs = append(errs, fmt.Sprintf("%s %d: not a user id", id.name, id.v))
		}
	}
	if f.Tag != "" {
		tag, err := model.NormalizeTag(f.Tag)
		if err != nil {
			errs = append(errs, err.Error())
		}
		f.Tag = tag
	}
	if len(errs) > 0 {
		return 0, fmt.Errorf("%w: %s", ErrInvalid, strings.Join(errs, "; "))
	}
	return limit, nil
}

func scanInboxRow(rows *sql.Rows) (InboxRow, error) {
	var r InboxRow
	var id, created sql.NullInt64
	var author, member, body, lang, sentiment, intent, topics sql.NullString
	var score sql.NullFloat64
	var needs, spam sql.NullBool
	dest := []any{&id, &author, &member, &body, &lang, &sentiment, &intent, &score, &topics, &needs, &spam, &created}
	c, err := scanConversation(scanTail{rows, dest})
	if err != nil {
		return r, err
	}
	r.Conversation = c
	h := &r.Headline
	h.MessageID = id.Int64
	h.Author, h.MemberID, h.Excerpt = author.String, member.String, excerpt(body.String)
	h.Lang, h.Sentiment, h.Intent = lang.String, sentiment.String, intent.String
	h.SentimentScore, h.NeedsResponse, h.Spam = nullFloatPtr(score), nullBoolPtr(needs), nullBoolPtr(spam)
	h.Topics = []string{}
	if t, err := decodeTopics(topics.String); err != nil {
		return r, fmt.Errorf("message %d: topics: %w", id.Int64, err)
	} else if t != nil {
		h.Topics = t
	}
	if created.Valid {
		h.CreatedAt = fromMicros(created.Int64)
	}
	return r, nil
}

// scanTail lets scanConversation read a row that has more columns: those
// after the conversation's go to tail.
type scanTail struct {
	rows *sql.Rows
	tail []any
}

func (s scanTail) Scan(dest ...any) error { return s.rows.Scan(append(dest, s.tail...)...) }

// excerpt is the start of body with its whitespace collapsed, at most
// headlineRunes runes, ending in "…" when cut.
func excerpt(body string) string {
	text := strings.Join(strings.Fields(body), " ")
	if utf8.RuneCountInString(text) <= headlineRunes {
		return text
	}
	n := 0
	for i := range text {
		if n == headlineRunes-1 {
			return strings.TrimRight(text[:i], " ") + "…"
		}
		n++
	}
	return text
}

// InboxCounts are the sidebar numbers for a user over some workspaces.
// Mine, Unassigned and NeedsResponse count open conversations (new, open
// or pending, not snoozed); Mentions counts the open conversations in which
// the user was @mentioned; DueSoon the open ones whose response is due
// within the next hour or overdue.
type InboxCounts struct {
	Mine, Unassigned, NeedsResponse, Mentions, DueSoon int
}

// InboxCounts counts, for the user, what the inbox sidebar shows.
func (s *Store) InboxCounts(ctx context.Context, workspaceIDs []int64, userID int64, now time.Time) (InboxCounts, error) {
	if len(workspaceIDs) == 0 {
		return InboxCounts{}, fmt.Errorf("%w: workspace ids: at least one is needed", ErrInvalid)
	}
	// One pass over the open conversations counts them all; the mentions'
	// subquery is read once.
	var n InboxCounts
	err := s.r.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN c.assignee_id = $1 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.assignee_id IS NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.awaiting_since IS NOT NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.id IN (SELECT conversation_id FROM events WHERE recipient_id = $1 AND action = 'note.mention') THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.response_due_at <= $2 THEN 1 ELSE 0 END), 0)
		FROM conversations c WHERE c.workspace_id IN (`+idList(workspaceIDs)+`)`+openCondition,
		userID, toMicros(now.Add(time.Hour))).
		Scan(&n.Mine, &n.Unassigned, &n.NeedsResponse, &n.Mentions, &n.DueSoon)
	if err != nil {
		return InboxCounts{}, fmt.Errorf("inbox counts: %w", err)
	}
	return n, nil
}

// sparseMatches bounds the messages a search lists up front: fewer, and
// the inbox keeps the conversations they belong to; more, and the word is
// common enough that walking the conversations in page order and checking
// each finds a page sooner.
const sparseMatches = 5000

// condition is an SQL fragment with its arguments.
type condition struct {
	sql  string
	args []any
}

// searchCondition returns the condition keeping the conversations c with a
// message of the workspaces matching q, or by a member matching it, its
// parameters numbered from n; ok is false when nothing can match.
func (s *Store) searchCondition(ctx context.Context, workspaceIDs []int64, q searchQuery, n int) (condition, bool, error) {
	ws := idList(workspaceIDs)
	// The matching messages first, from the index alone and at most
	// sparseMatches+1 of them: past that the word is common, and the
	// conversations are better checked one by one in page order.
	probe, arg := `SELECT rowid FROM message_search WHERE message_search MATCH $1`, any(q.fts5())
	if s.engine == EnginePostgres {
		probe, arg = `SELECT message_id FROM message_search WHERE terms @@ CAST($1 AS tsquery)`, q.tsquery()
	}
	// A search found common a moment ago is common still (matches only
	// come and go slowly): its probe, which reads thousands of matches
	// (10 to 30 ms on PostgreSQL), is not made again.
	key := q.fts5()
	dense := s.dense.known(key, time.Now())
	var matched []int64
	var err error
	if !dense {
		if matched, err = column[int64](ctx, s.r, probe+` LIMIT $2`, arg, sparseMatches+1); err != nil {
			return condition{}, false, fmt.Errorf("inbox search: %w", err)
		}
		dense = len(matched) > sparseMatches
	}
	var ids []int64
	if !dense {
		var subs []string
		if len(matched) > 0 {
			subs = append(subs, `SELECT conversation_id FROM messages WHERE id`+s.d.inIDs(1)+` AND workspace_id IN (`+ws+`)`)
		}
		members, memberArg := s.matchMembers(q, 1)
		subs = append(subs, `SELECT m.conversation_id FROM messages m WHERE m.workspace_id IN (`+ws+`)
			AND (m.workspace_id, m.member_id) IN (`+members+`) LIMIT $2`)
		seen := make(map[int64]bool)
		for i, sub := range subs {
			var found []int64
			if i == len(subs)-1 {
				found, err = column[int64](ctx, s.r, sub, memberArg, sparseMatches+1)
			} else {
				found, err = column[int64](ctx, s.r, sub, s.d.idSet(matched))
			}
			if err != nil {
				return condition{}, false, fmt.Errorf("inbox search: %w", err)
			}
			if len(found) > sparseMatches {
				dense = true
				break
			}
			for _, id := range found {
				if !seen[id] {
					seen[id] = true
					ids = append(ids, id)
				}
			}
		}
	}
	if !dense {
		if len(ids) == 0 {
			return condition{}, false, nil
		}
		return condition{sql: ` AND c.id` + s.d.inIDs(n), args: []any{s.d.idSet(ids)}}, true, nil
	}
	s.dense.remember(key, time.Now())
	msgs, msgArg := s.matchMessages(q, n)
	members, memberArg := s.matchMembers(q, n+1)
	// Two EXISTS, each walking only the conversation's own messages (an
	// OR in one, or a condition on the workspace, lets SQLite walk every
	// message of the workspace for each conversation instead). OFFSET 0
	// keeps PostgreSQL from turning them into hashed sets of every match
	// of the common word (400 ms at 1,000,000 messages).
	keep := ``
	if s.engine == EnginePostgres {
		msgs = fmt.Sprintf(`m.id IN (SELECT s.message_id FROM message_search s WHERE s.message_id = m.id AND s.terms @@ CAST($%d AS tsquery))`, n)
		keep = ` OFFSET 0`
	}
	return condition{sql: ` AND (EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND ` + msgs + keep + `)
		OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND (m.workspace_id, m.member_id) IN (` + members + `)` + keep + `))`,
		args: []any{msgArg, memberArg}}, true, nil
}

// denseSearches remembers, for denseFor, the searches whose probe found
// more than sparseMatches matches: the dense path is right for any
// search, only slower than the sparse one for rare words, so a search
// that became rare meanwhile is still answered right. It is safe for
// concurrent use; the zero value is ready.
type denseSearches struct {
	mu    sync.Mutex
	until map[string]time.Time
}

// Bounds of denseSearches.
const (
	denseFor      = 10 * time.Minute
	maxDenseKnown = 1000
)

func (d *denseSearches) known(key string, now time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return now.Before(d.until[key])
}

func (d *denseSearches) remember(key string, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.until == nil || len(d.until) >= maxDenseKnown {
		d.until = make(map[string]time.Time)
	}
	d.until[key] = now.Add(denseFor)
}
