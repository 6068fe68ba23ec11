package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"palabre/internal/model"
)

// StoredMessage is a message as the store keeps it: the portable record plus
// the store's own ids and its place in the thread.
type StoredMessage struct {
	ID             int64 `json:"id"`
	ConversationID int64 `json:"conversation_id"`
	Depth          int   `json:"depth"` // 0 for the root, 1 for its replies, …
	// Corrected lists the analysis fields a CM corrected, which a later
	// analysis leaves alone.
	Corrected CorrectedFields `json:"corrected,omitempty"`
	model.Message
}

// messageColumns are read in the order scanMessage expects; m is the
// messages alias and ch the channels alias.
const messageColumns = `m.id, m.conversation_id, ch.name, m.external_id, m.parent_external_id, c.root_external_id,
	m.kind, m.status, m.title, m.author_name, m.author_handle, m.author_email, m.author_url,
	m.author_is_staff, m.member_id, m.body, m.body_html, m.url, m.created_at,
	m.lang, m.sentiment, m.sentiment_score, m.intent, m.needs_response, m.spam, m.topics,
	m.lang_confidence, m.needs_response_score, m.spam_score, m.corrected`

const messageJoins = ` FROM messages m
	JOIN channels ch ON ch.id = m.channel_id
	JOIN conversations c ON c.id = m.conversation_id`

func scanMessage(row interface{ Scan(...any) error }) (StoredMessage, error) {
	var m StoredMessage
	var member sql.NullString
	var created int64
	var score, langConf, needsScore, spamScore sql.NullFloat64
	var needs, spam sql.NullBool
	var topics string
	err := row.Scan(&m.ID, &m.ConversationID, &m.Channel, &m.ExternalID, &m.ParentExternalID, &m.ConversationExternalID,
		&m.Kind, &m.Status, &m.Title, &m.AuthorName, &m.AuthorHandle, &m.AuthorEmail, &m.AuthorURL,
		&m.AuthorIsStaff, &member, &m.Body, &m.BodyHTML, &m.URL, &created,
		&m.Lang, &m.Sentiment, &score, &m.Intent, &needs, &spam, &topics,
		&langConf, &needsScore, &spamScore, &m.Corrected)
	if err != nil {
		return m, err
	}
	m.MemberID = member.String
	m.CreatedAt = fromMicros(created)
	m.SentimentScore = nullFloatPtr(score)
	m.LangConfidence = nullFloatPtr(langConf)
	m.NeedsResponseScore = nullFloatPtr(needsScore)
	m.SpamScore = nullFloatPtr(spamScore)
	m.NeedsResponse = nullBoolPtr(needs)
	m.Spam = nullBoolPtr(spam)
	if m.Topics, err = decodeTopics(topics); err != nil {
		return m, fmt.Errorf("message %d: topics: %w", m.ID, err)
	}
	return m, nil
}

// decodeTopics reads a message's topics column ("" holds none).
func decodeTopics(raw string) ([]string, error) {
	if raw == "" {
		return nil, nil
	}
	var topics []string
	err := json.Unmarshal([]byte(raw), &topics)
	return topics, err
}

// addTopics appends to dst the topics of a message's topics column it
// lacks.
func addTopics(dst []string, raw string) ([]string, error) {
	topics, err := decodeTopics(raw)
	for _, t := range topics {
		if !slices.Contains(dst, t) {
			dst = append(dst, t)
		}
	}
	return dst, err
}

// ConversationMessages returns a conversation's messages in thread order:
// each message followed by its replies, depth first, siblings oldest first.
// A reply whose parent is not stored follows the root, at depth 1.
func (s *Store) ConversationMessages(ctx context.Context, conversationID int64) ([]StoredMessage, error) {
	msgs, err := queryMessages(ctx, s.r, `SELECT `+messageColumns+messageJoins+`
		WHERE m.conversation_id = $1 ORDER BY m.created_at, m.external_id`, conversationID)
	if err != nil {
		return nil, fmt.Errorf("conversation %d messages: %w", conversationID, err)
	}
	return threadOrder(msgs), nil
}

// queryMessages reads the messages a query selects with messageColumns.
func queryMessages(ctx context.Context, q queryer, query string, args ...any) ([]StoredMessage, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StoredMessage
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// threadOrder sorts messages (given oldest first) depth first along their
// parent links. Cycles and missing parents cannot hide a message: anything
// not reached from a root is attached under the root level.
func threadOrder(msgs []StoredMessage) []StoredMessage {
	byExt := make(map[string]int, len(msgs))
	for i, m := range msgs {
		byExt[m.ExternalID] = i
	}
	children := make(map[string][]int)
	var tops []int
	for i, m := range msgs {
		p := m.ParentExternalID
		if _, ok := byExt[p]; ok && p != m.ExternalID {
			children[p] = append(children[p], i)
		} else {
			tops = append(tops, i)
		}
	}
	// The root comes first, then orphans in time order.
	sort.SliceStable(tops, func(a, b int) bool {
		ra := msgs[tops[a]].ExternalID == msgs[tops[a]].ConversationExternalID
		rb := msgs[tops[b]].ExternalID == msgs[tops[b]].ConversationExternalID
		return ra && !rb
	})
	out := make([]StoredMessage, 0, len(msgs))
	seen := make([]bool, len(msgs))
	var walk func(i, depth int)
	walk = func(i, depth int) {
		if seen[i] {
			return
		}
		seen[i] = true
		m := msgs[i]
		m.Depth = depth
		out = append(out, m)
		for _, c := range children[m.ExternalID] {
			walk(c, depth+1)
		}
	}
	hasRoot := len(tops) > 0 && msgs[tops[0]].ExternalID == msgs[tops[0]].ConversationExternalID
	for k, i := range tops {
		depth := 0
		if hasRoot && k > 0 {
			depth = 1
		}
		walk(i, depth)
	}
	for i := range msgs { // members of a parent cycle
		walk(i, 1)
	}
	return out
}

// ExportMessages calls fn for every message of the workspace in export
// order — creation time, then channel name, then external id — so that an
// export is reproducible byte for byte.
func (s *Store) ExportMessages(ctx context.Context, workspaceID int64, fn func(*model.Message) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT `+messageColumns+messageJoins+`
		WHERE m.workspace_id = $1 ORDER BY m.created_at, ch.name, m.external_id`, workspaceID)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if err := fn(&m.Message); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// Stats counts what a workspace holds.
type Stats struct {
	Conversations int `json:"conversations"`
	Messages      int `json:"messages"`
	StaffMessages int `json:"staff_messages"`
	Members       int `json:"members"`
}

// WorkspaceStats counts a workspace's conversations, messages and members.
func (s *Store) WorkspaceStats(ctx context.Context, workspaceID int64) (Stats, error) {
	var st Stats
	err := s.r.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM conversations WHERE workspace_id = $1),
		(SELECT COUNT(*) FROM messages WHERE workspace_id = $1),
		(SELECT COUNT(*) FROM messages WHERE workspace_id = $1 AND author_is_staff),
		(SELECT COUNT(*) FROM members WHERE workspace_id = $1)`, workspaceID).
		Scan(&st.Conversations, &st.Messages, &st.StaffMessages, &st.Members)
	if err != nil {
		return Stats{}, fmt.Errorf("workspace stats: %w", err)
	}
	return st, nil
}
