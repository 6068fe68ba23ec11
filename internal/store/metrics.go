package store

// The facts a period's metrics are computed from (internal/metrics): the
// conversations of a workspace that were active in the period, resolved
// or due in it, or still open, with all their messages.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"palabre/internal/insights"
	"palabre/internal/metrics"
	"palabre/internal/model"
)

// metricConversations keeps the conversations of workspace $1 that may
// count in the period [$2, $3): begun before its end, and active in it,
// resolved or due in it, closed in it or still open.
const metricConversations = ` c.workspace_id = $1 AND c.created_at < $3 AND (c.last_activity_at >= $2
	OR c.resolved_at >= $2 OR c.response_due_at >= $2 OR c.status_at >= $2
	OR c.status NOT IN ('` + model.ConvResolved + `', '` + model.ConvIgnored + `', '` + model.ConvSpam + `'))`

// activeIn keeps, of metricConversations, those with a message, a
// resolution, a due time or a change of status in the period; the others
// only wait in its backlog.
const activeIn = ` (c.last_activity_at >= $2 OR COALESCE(c.resolved_at, 0) >= $2 OR COALESCE(c.response_due_at, 0) >= $2
	OR COALESCE(c.status_at, 0) >= $2)`

// openingOf and answerOf are, for the conversations of an UPDATE, when
// the first customer message came and when the team first wrote after
// it: what conversations.opened_at and answered_at keep.
const (
	openingOf = `(SELECT MIN(m.created_at) FROM messages m WHERE m.conversation_id = conversations.id AND NOT m.author_is_staff)`
	answerOf  = `(SELECT MIN(s.created_at) FROM messages s WHERE s.conversation_id = conversations.id AND s.author_is_staff
		AND s.created_at > ` + openingOf + `)`
)

// refreshOpening sets again when the conversations ids were opened and
// first answered, after messages were added to them.
func refreshOpening(ctx context.Context, tx *sql.Tx, d dialect, ids []int64) error {
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for len(ids) > 0 {
		n := min(len(ids), 500)
		set := d.idSet(ids[:n])
		ids = ids[n:]
		if _, err := tx.ExecContext(ctx, `UPDATE conversations SET opened_at = `+openingOf+`, answered_at = `+answerOf+`
			WHERE id`+d.inIDs(1), set); err != nil {
			return fmt.Errorf("opening of conversations: %w", err)
		}
	}
	return nil
}

// MetricFacts reads the facts of a workspace's metrics over p, as they
// stand at now. The clock is left to the caller (the workspace's SLA
// calendar). The conversations active in p come with all their messages;
// those that only wait in its backlog with their start and first answer
// (metrics.Conversation.Start, Answered, as conversations.opened_at and
// answered_at keep them) and their topics, not their messages: in a blog's workspace, where comments are seldom closed,
// those are most of them.
func (s *Store) MetricFacts(ctx context.Context, workspaceID int64, p metrics.Period, now time.Time) (metrics.Facts, error) {
	f := metrics.Facts{Now: now}
	args := []any{workspaceID, toMicros(p.From), toMicros(p.To)}
	index := map[int64]int{}
	err := queryEach(ctx, s.r, `SELECT `+metricConversationColumns(`CASE WHEN `+activeIn+` THEN NULL ELSE c.opened_at END`,
		`CASE WHEN `+activeIn+` THEN NULL ELSE c.answered_at END`)+`
		FROM conversations c JOIN channels ch ON ch.id = c.channel_id LEFT JOIN users u ON u.id = c.assignee_id
		WHERE`+metricConversations+` ORDER BY c.id`, args, func(rows *sql.Rows) error {
		c, err := scanMetricConversation(rows)
		index[c.ID] = len(f.Conversations)
		f.Conversations = append(f.Conversations, c)
		return err
	})
	if err != nil {
		return f, fmt.Errorf("metric facts: conversations: %w", err)
	}
	// The topics of the conversations that only wait, for slices by
	// topic: each set once.
	err = s.metricTopics(ctx, f, index, "", `FROM messages m JOIN conversations c ON c.id = m.conversation_id
		WHERE`+metricConversations+` AND NOT`+activeIn, args)
	if err != nil {
		return f, err
	}
	err = s.metricMessages(ctx, &f, index, "", `FROM messages m JOIN conversations c ON c.id = m.conversation_id
		LEFT JOIN members mb ON mb.workspace_id = m.workspace_id AND mb.id = m.member_id
		WHERE`+metricConversations+` AND`+activeIn, args)
	return f, err
}

// metricTopics reads into the conversations of f at index the topics of
// their customers' messages a query finds (its WITH, FROM and WHERE, with
// m the messages): each set once.
func (s *Store) metricTopics(ctx context.Context, f metrics.Facts, index map[int64]int, with, from string, args []any) error {
	err := queryEach(ctx, s.r, with+`SELECT m.conversation_id, m.topics `+from+` AND NOT m.author_is_staff AND m.topics <> ''
		GROUP BY m.conversation_id, m.topics`, args, func(rows *sql.Rows) error {
		var id int64
		var topics string
		if err := rows.Scan(&id, &topics); err != nil {
			return err
		}
		if i, ok := index[id]; ok {
			return conversationTopics(&f.Conversations[i], topics)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("metric facts: topics: %w", err)
	}
	return nil
}

// metricConversationColumns are the columns scanMetricConversation
// reads, with start and answered for metrics.Conversation's. LIMIT 1
// OFFSET 0 keeps PostgreSQL from finding whether an expert was asked in
// by hashing every participant of every workspace (126 ms for a day of
// a large one) rather than looking each conversation up (17 ms).
func metricConversationColumns(start, answered string) string {
	return `c.id, ch.name, COALESCE(u.login, ''), c.status, c.status_at, c.resolved_at, c.response_due_at, c.last_activity_at,
		EXISTS (SELECT 1 FROM participants pa WHERE pa.conversation_id = c.id LIMIT 1 OFFSET 0), ` + start + `, ` + answered
}

// scanMetricConversation reads a conversation of metricConversationColumns.
func scanMetricConversation(rows *sql.Rows) (metrics.Conversation, error) {
	var c metrics.Conversation
	var state string
	var status, resolved, due, start, answered sql.NullInt64
	var last int64
	if err := rows.Scan(&c.ID, &c.Channel, &c.Assignee, &state, &status, &resolved, &due, &last, &c.WithExpert,
		&start, &answered); err != nil {
		return c, err
	}
	c.ResolvedAt, c.ResponseDueAt = timePtr(resolved), timePtr(due)
	c.Start, c.Answered = timePtr(start), timePtr(answered)
	if state == model.ConvResolved || state == model.ConvIgnored || state == model.ConvSpam {
		closed := fromMicros(last)
		if status.Valid {
			closed = fromMicros(status.Int64)
		}
		c.ClosedAt = &closed
	}
	return c, nil
}

// metricMessages reads into f the messages of a query (its WITH, FROM
// and WHERE, with m the messages and mb their members), and the topics of
// customers' messages into the conversations of f at index.
func (s *Store) metricMessages(ctx context.Context, f *metrics.Facts, index map[int64]int, with, from string, args []any) error {
	f.FirstSeen, f.Names = map[string]time.Time{}, map[string]string{}
	err := queryEach(ctx, s.r, with+`SELECT m.conversation_id, m.author_is_staff, m.created_at, m.sentiment, m.intent, m.topics,
			COALESCE(m.member_id, ''), COALESCE(mb.first_seen_at, 0), COALESCE(mb.display_name, '') `+from, args,
		func(rows *sql.Rows) error {
			var m metrics.Message
			var at, seen int64
			var topics, name string
			if err := rows.Scan(&m.ConversationID, &m.Staff, &at, &m.Sentiment, &m.Intent, &topics, &m.MemberID, &seen, &name); err != nil {
				return err
			}
			m.At = fromMicros(at)
			if m.MemberID != "" {
				f.FirstSeen[m.MemberID], f.Names[m.MemberID] = fromMicros(seen), name
			}
			f.Messages = append(f.Messages, m)
			if topics == "" || m.Staff {
				return nil
			}
			if i, ok := index[m.ConversationID]; ok {
				return conversationTopics(&f.Conversations[i], topics)
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("metric facts: messages: %w", err)
	}
	return nil
}

// conversationTopics adds to c's topics those of a message's topics
// column.
func conversationTopics(c *metrics.Conversation, raw string) error {
	var err error
	if c.Topics, err = addTopics(c.Topics, raw); err != nil {
		return fmt.Errorf("topics of a message of conversation %d: %w", c.ID, err)
	}
	return nil
}

// InsightMessages reads the customers' messages of a workspace written in
// p, the newest first, at most limit, for insights.
func (s *Store) InsightMessages(ctx context.Context, workspaceID int64, p metrics.Period, limit int) ([]insights.Message, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT m.id, m.conversation_id, m.created_at, m.lang, m.author_name, m.body, m.intent, m.sentiment, m.topics
		FROM messages m WHERE m.workspace_id = $1 AND m.created_at >= $2 AND m.created_at < $3 AND NOT m.author_is_staff
			AND m.status NOT IN ('`+model.StatusSpam+`', '`+model.StatusTrash+`')
		ORDER BY m.created_at DESC, m.id DESC LIMIT $4`, workspaceID, toMicros(p.From), toMicros(p.To), limit)
	if err != nil {
		return nil, fmt.Errorf("insight messages: %w", err)
	}
	defer rows.Close()
	out := []insights.Message{}
	for rows.Next() {
		var m insights.Message
		var at int64
		var topics string
		if err := rows.Scan(&m.ID, &m.ConversationID, &at, &m.Lang, &m.Author, &m.Body, &m.Intent, &m.Sentiment, &topics); err != nil {
			return nil, fmt.Errorf("insight messages: %w", err)
		}
		m.At = fromMicros(at)
		if m.Topics, err = decodeTopics(topics); err != nil {
			return nil, fmt.Errorf("insight messages: topics of message %d: %w", m.ID, err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// EngagementWeights returns the weights of a workspace's engagement
// score: its own, or metrics.DefaultWeights.
func (s *Store) EngagementWeights(ctx context.Context, workspaceID int64) (metrics.Weights, error) {
	var raw string
	err := s.r.QueryRowContext(ctx, `SELECT weights FROM engagement_weights WHERE workspace_id = $1`, workspaceID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return metrics.DefaultWeights(), nil
	}
	if err != nil {
		return metrics.Weights{}, fmt.Errorf("engagement weights of workspace %d: %w", workspaceID, err)
	}
	var w metrics.Weights
	if err := json.Unmarshal([]byte(raw), &w); err != nil {
		return metrics.Weights{}, fmt.Errorf("engagement weights of workspace %d: %w", workspaceID, err)
	}
	return w, nil
}

// SetEngagementWeights replaces the weights of a workspace's engagement
// score, which must be valid (ErrInvalid otherwise).
func (s *Store) SetEngagementWeights(ctx context.Context, workspaceID int64, w metrics.Weights, now time.Time) error {
	if err := w.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	raw, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("engagement weights: %w", err)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO engagement_weights (workspace_id, weights, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (workspace_id) DO UPDATE SET weights = excluded.weights, updated_at = excluded.updated_at`,
		workspaceID, string(raw), toMicros(now))
	if err != nil {
		return fmt.Errorf("engagement weights of workspace %d: %w", workspaceID, err)
	}
	return nil
}
