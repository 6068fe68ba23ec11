package store

// People: what the member panel shows and changes of a community member —
// staff notes and tags, their conversations and sentiment over time — and
// merging two members found to be one person, which can be undone.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"palabre/internal/model"
)

// memberTags returns one member's tags, sorted.
func memberTags(ctx context.Context, q queryer, workspaceID int64, id string) ([]string, error) {
	tags, err := column[string](ctx, q, `SELECT tag FROM member_tags WHERE workspace_id = $1 AND member_id = $2 ORDER BY tag`,
		workspaceID, id)
	if err != nil {
		return nil, fmt.Errorf("member %s tags: %w", id, err)
	}
	return tags, nil
}

// memberState is what a change reads of a member before making it.
type memberState struct {
	staff      bool
	mergedInto string
}

// lockMember reads a member of the workspace in a write transaction,
// locking its row on PostgreSQL; ErrNotFound when the workspace has no
// such member.
func (s *Store) lockMember(ctx context.Context, tx *sql.Tx, workspaceID int64, id string) (memberState, error) {
	var st memberState
	var merged sql.NullString
	// The alias c is the one dialect.forUpdate names.
	err := tx.QueryRowContext(ctx, `SELECT c.is_staff, c.merged_into FROM members c WHERE c.workspace_id = $1 AND c.id = $2`+s.d.forUpdate,
		workspaceID, id).Scan(&st.staff, &merged)
	if err != nil {
		return memberState{}, fmt.Errorf("member %s: %w", id, s.translate(err))
	}
	st.mergedInto = merged.String
	return st, nil
}

// liveMember is lockMember for a change that only a member not merged away
// may take.
func (s *Store) liveMember(ctx context.Context, tx *sql.Tx, workspaceID int64, id string) (memberState, error) {
	st, err := s.lockMember(ctx, tx, workspaceID, id)
	if err == nil && st.mergedInto != "" {
		err = fmt.Errorf("%w: member %s was merged into %s", ErrInvalid, id, st.mergedInto)
	}
	return st, err
}

func memberEvent(ctx context.Context, tx *sql.Tx, workspaceID int64, memberID, actor, action string, now time.Time, detail map[string]any) error {
	_, err := insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Actor: actor, Action: action,
		Subject: "member " + memberID, Detail: eventDetail(detail), CreatedAt: now})
	return err
}

// AddMemberNote adds a staff note by author on a member of the workspace
// (not one merged away), and records a "member.note" event.
func (s *Store) AddMemberNote(ctx context.Context, workspaceID int64, memberID string, author model.User, body string, now time.Time) (model.MemberNote, error) {
	switch {
	case strings.TrimSpace(body) == "":
		return model.MemberNote{}, fmt.Errorf("%w: a note needs a body", ErrInvalid)
	case len(body) > model.MaxNoteLen:
		return model.MemberNote{}, fmt.Errorf("%w: note of %d bytes: at most %d", ErrInvalid, len(body), model.MaxNoteLen)
	case !utf8.ValidString(body):
		return model.MemberNote{}, fmt.Errorf("%w: note: not valid UTF-8", ErrInvalid)
	}
	now = TruncateTime(now)
	n := model.MemberNote{MemberID: memberID, Author: author.Login, Body: body, CreatedAt: now}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.liveMember(ctx, tx, workspaceID, memberID); err != nil {
			return err
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO member_notes (workspace_id, member_id, author_id, author, body, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			workspaceID, memberID, nullID(author.ID), author.Login, body, toMicros(now)).Scan(&n.ID)
		if err != nil {
			return fmt.Errorf("insert note: %w", err)
		}
		return memberEvent(ctx, tx, workspaceID, memberID, author.Login, "member.note", now, map[string]any{"note": n.ID})
	})
	if err != nil {
		return model.MemberNote{}, fmt.Errorf("add note to member %s: %w", memberID, err)
	}
	return n, nil
}

// MemberNotes returns the staff notes on a member of the workspace, and
// those on the members merged into it, oldest first.
func (s *Store) MemberNotes(ctx context.Context, workspaceID int64, memberID string) ([]model.MemberNote, error) {
	rows, err := s.r.QueryContext(ctx, `WITH RECURSIVE merged (id) AS (
			SELECT CAST($2 AS TEXT)
			UNION SELECT m.id FROM members m JOIN merged g ON m.merged_into = g.id WHERE m.workspace_id = $1 AND m.merged_into IS NOT NULL
		)
		SELECT n.id, n.member_id, n.author, n.body, n.created_at FROM member_notes n
		WHERE n.workspace_id = $1 AND n.member_id IN (SELECT id FROM merged) ORDER BY n.id`, workspaceID, memberID)
	if err != nil {
		return nil, fmt.Errorf("notes of member %s: %w", memberID, err)
	}
	defer rows.Close()
	notes := []model.MemberNote{}
	for rows.Next() {
		var n model.MemberNote
		var at int64
		if err := rows.Scan(&n.ID, &n.MemberID, &n.Author, &n.Body, &at); err != nil {
			return nil, fmt.Errorf("notes of member %s: %w", memberID, err)
		}
		n.CreatedAt = fromMicros(at)
		notes = append(notes, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notes of member %s: %w", memberID, err)
	}
	return notes, nil
}

// normalizeTags normalises a list of tags (model.NormalizeTag), each once.
func normalizeTags(tags []string) ([]string, error) {
	var out []string
	var errs []error
	for _, t := range tags {
		n, err := model.NormalizeTag(t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, errors.Join(errs...)
}

// SetMemberTags adds and removes tags of a member of the workspace (not
// one merged away) and returns its tags after, sorted. Tags are normalised
// as conversations' are (model.NormalizeTag); a member has at most
// model.MaxTagsPerConvo. A change that changes something records a
// "member.tags" event by actor.
func (s *Store) SetMemberTags(ctx context.Context, workspaceID int64, memberID string, add, remove []string, actor string) ([]string, error) {
	add, errAdd := normalizeTags(add)
	remove, errRemove := normalizeTags(remove)
	if err := errors.Join(errAdd, errRemove); err != nil {
		return nil, fmt.Errorf("tag member %s: %w: %w", memberID, ErrInvalid, err)
	}
	for _, t := range add {
		if slices.Contains(remove, t) {
			return nil, fmt.Errorf("tag member %s: %w: tag %q: both added and removed", memberID, ErrInvalid, t)
		}
	}
	var after []string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.liveMember(ctx, tx, workspaceID, memberID); err != nil {
			return err
		}
		have, err := memberTags(ctx, tx, workspaceID, memberID)
		if err != nil {
			return err
		}
		added, removed, err := tagChange(have, add, remove)
		if err != nil {
			return err
		}
		for _, t := range added {
			if _, err := tx.ExecContext(ctx, `INSERT INTO member_tags (workspace_id, member_id, tag) VALUES ($1, $2, $3)`,
				workspaceID, memberID, t); err != nil {
				return fmt.Errorf("tag %q: %w", t, err)
			}
		}
		for _, t := range removed {
			if _, err := tx.ExecContext(ctx, `DELETE FROM member_tags WHERE workspace_id = $1 AND member_id = $2 AND tag = $3`,
				workspaceID, memberID, t); err != nil {
				return fmt.Errorf("untag %q: %w", t, err)
			}
		}
		if after, err = memberTags(ctx, tx, workspaceID, memberID); err != nil {
			return err
		}
		if len(added) == 0 && len(removed) == 0 {
			return nil
		}
		return memberEvent(ctx, tx, workspaceID, memberID, actor, "member.tags", time.Now(),
			map[string]any{"added": orEmpty(added), "removed": orEmpty(removed)})
	})
	if err != nil {
		return nil, fmt.Errorf("tag member %s: %w", memberID, err)
	}
	return after, nil
}

// MemberConversation is one of a member's conversations, for the member
// panel.
type MemberConversation struct {
	model.Conversation
	Messages       int       `json:"member_messages"`           // by this member
	Sentiment      string    `json:"sentiment,omitempty"`       // of their latest message
	SentimentScore *float64  `json:"sentiment_score,omitempty"` // of their latest message
	LastMessageAt  time.Time `json:"last_message_at"`           // their latest message
}

// checkMember reports ErrNotFound when the workspace has no such member.
func (s *Store) checkMember(ctx context.Context, workspaceID int64, id string) error {
	var one int
	err := s.r.QueryRowContext(ctx, `SELECT 1 FROM members WHERE workspace_id = $1 AND id = $2`, workspaceID, id).Scan(&one)
	if err != nil {
		return fmt.Errorf("member %s: %w", id, s.translate(err))
	}
	return nil
}

// MemberConversations returns the conversations a member of the workspace
// wrote in, their latest message there first, at most limit (0 means 50,
// at most 500).
func (s *Store) MemberConversations(ctx context.Context, workspaceID int64, memberID string, limit int) ([]MemberConversation, error) {
	switch {
	case limit == 0:
		limit = 50
	case limit < 0 || limit > 500:
		return nil, fmt.Errorf("%w: limit %d: must be between 1 and 500", ErrInvalid, limit)
	}
	if err := s.checkMember(ctx, workspaceID, memberID); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+conversationColumns+`, a.n, a.last`+conversationJoins+`
		JOIN (SELECT conversation_id, COUNT(*) AS n, MAX(created_at) AS last FROM messages
			WHERE workspace_id = $1 AND member_id = $2 GROUP BY conversation_id
			ORDER BY last DESC, conversation_id DESC LIMIT $3) a ON a.conversation_id = c.id
		ORDER BY a.last DESC, c.id DESC`, workspaceID, memberID, limit)
	if err != nil {
		return nil, fmt.Errorf("conversations of member %s: %w", memberID, err)
	}
	defer rows.Close()
	out := []MemberConversation{}
	at := make(map[int64]int)
	var ids []int64
	for rows.Next() {
		var mc MemberConversation
		var last int64
		var err error
		mc.Conversation, err = scanConversation(scanFunc(func(dest ...any) error {
			return rows.Scan(append(dest, &mc.Messages, &last)...)
		}))
		if err != nil {
			return nil, fmt.Errorf("conversations of member %s: %w", memberID, err)
		}
		mc.LastMessageAt = fromMicros(last)
		at[mc.ID] = len(out)
		ids = append(ids, mc.ID)
		out = append(out, mc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("conversations of member %s: %w", memberID, err)
	}
	rows.Close()
	if len(ids) == 0 {
		return out, nil
	}
	// The member's messages of these conversations in time order: the
	// last one of each gives its sentiment.
	rows, err = s.r.QueryContext(ctx, `SELECT conversation_id, sentiment, sentiment_score FROM messages
		WHERE workspace_id = $1 AND member_id = $2 AND conversation_id`+s.d.inIDs(3)+`
		ORDER BY conversation_id, created_at, id`, workspaceID, memberID, s.d.idSet(ids))
	if err != nil {
		return nil, fmt.Errorf("conversations of member %s: sentiment: %w", memberID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var conv int64
		var sentiment string
		var score sql.NullFloat64
		if err := rows.Scan(&conv, &sentiment, &score); err != nil {
			return nil, fmt.Errorf("conversations of member %s: sentiment: %w", memberID, err)
		}
		mc := &out[at[conv]]
		mc.Sentiment, mc.SentimentScore = sentiment, nil
		if score.Valid {
			mc.SentimentScore = &score.Float64
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("conversations of member %s: sentiment: %w", memberID, err)
	}
	rows.Close()
	tags, err := s.r.QueryContext(ctx, `SELECT conversation_id, tag FROM conversation_tags
		WHERE conversation_id`+s.d.inIDs(1)+` ORDER BY conversation_id, tag`, s.d.idSet(ids))
	if err != nil {
		return nil, fmt.Errorf("conversations of member %s: tags: %w", memberID, err)
	}
	defer tags.Close()
	for tags.Next() {
		var conv int64
		var tag string
		if err := tags.Scan(&conv, &tag); err != nil {
			return nil, fmt.Errorf("conversations of member %s: tags: %w", memberID, err)
		}
		mc := &out[at[conv]]
		mc.Tags = append(mc.Tags, tag)
	}
	if err := tags.Err(); err != nil {
		return nil, fmt.Errorf("conversations of member %s: tags: %w", memberID, err)
	}
	return out, nil
}

// scanFunc makes a function a row for scanConversation.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// SentimentPoint is one month of a member's sentiment: how many messages
// they wrote that month (UTC), how many of each sentiment, and the mean
// sentiment score of those that have one (0 when none has).
type SentimentPoint struct {
	Month     time.Time `json:"month"`
	Messages  int       `json:"messages"`
	Positive  int       `json:"positive"`
	Negative  int       `json:"negative"`
	Neutral   int       `json:"neutral"`
	MeanScore float64   `json:"mean_score"`
}

// MemberSentiment returns a member's sentiment over time: one point per
// month (UTC) in which they wrote, oldest first.
func (s *Store) MemberSentiment(ctx context.Context, workspaceID int64, memberID string) ([]SentimentPoint, error) {
	if err := s.checkMember(ctx, workspaceID, memberID); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT created_at, sentiment, sentiment_score FROM messages
		WHERE workspace_id = $1 AND member_id = $2 ORDER BY created_at`, workspaceID, memberID)
	if err != nil {
		return nil, fmt.Errorf("sentiment of member %s: %w", memberID, err)
	}
	defer rows.Close()
	out := []SentimentPoint{}
	var sum float64
	var scored int
	flush := func() {
		if n := len(out); n > 0 && scored > 0 {
			out[n-1].MeanScore = sum / float64(scored)
		}
		sum, scored = 0, 0
	}
	for rows.Next() {
		var at int64
		var sentiment string
		var score sql.NullFloat64
		if err := rows.Scan(&at, &sentiment, &score); err != nil {
			return nil, fmt.Errorf("sentiment of member %s: %w", memberID, err)
		}
		t := fromMicros(at)
		month := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
		if len(out) == 0 || !out[len(out)-1].Month.Equal(month) {
			flush()
			out = append(out, SentimentPoint{Month: month})
		}
		p := &out[len(out)-1]
		p.Messages++
		switch sentiment {
		case "pos":
			p.Positive++
		case "neg":
			p.Negative++
		case "neu":
			p.Neutral++
		}
		if score.Valid {
			sum += score.Float64
			scored++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sentiment of member %s: %w", memberID, err)
	}
	flush()
	return out, nil
}

// Merges.

// MergeMembers merges member from into member into, both of the
// workspace: every identity and message of from moves to into (so later
// imports by those identities land on into), from's tags are added to
// into's, and both members' counters are computed again. from's row stays,
// marked merged (Member tells where it went), out of member search, so
// that UnmergeMember can undo the merge. A "member.merge" event is
// recorded. ErrInvalid for a member merged into itself, from or into
// merged away already; ErrNotFound when either is not of the workspace.
func (s *Store) MergeMembers(ctx context.Context, workspaceID int64, into, from string, actor string, now time.Time) (model.Member, error) {
	if into == from {
		return model.Member{}, fmt.Errorf("merge member %s: %w: a member cannot be merged into itself", from, ErrInvalid)
	}
	now = TruncateTime(now)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// Lock in a fixed order, so that two merges of the same pair
		// cannot wait on each other.
		first, second := into, from
		if second < first {
			first, second = second, first
		}
		states := make(map[string]memberState, 2)
		for _, id := range []string{first, second} {
			st, err := s.lockMember(ctx, tx, workspaceID, id)
			if err != nil {
				return err
			}
			states[id] = st
		}
		if m := states[from].mergedInto; m != "" {
			return fmt.Errorf("%w: member %s was already merged into %s", ErrInvalid, from, m)
		}
		if m := states[into].mergedInto; m != "" {
			return fmt.Errorf("%w: member %s was merged into %s: merge into that one", ErrInvalid, into, m)
		}
		var lastMessage int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM messages`).Scan(&lastMessage); err != nil {
			return err
		}
		var identities, messages int
		err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM identities WHERE workspace_id = $1 AND member_id = $2),
			(SELECT COUNT(*) FROM messages WHERE workspace_id = $1 AND member_id = $2)`, workspaceID, from).Scan(&identities, &messages)
		if err != nil {
			return err
		}
		var mergeID int64
		err = tx.QueryRowContext(ctx, `INSERT INTO member_merges (workspace_id, into_id, from_id, actor, created_at,
				last_message_id, into_staff, from_staff, identities, messages)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			workspaceID, into, from, actor, toMicros(now), lastMessage, states[into].staff, states[from].staff,
			identities, messages).Scan(&mergeID)
		if err != nil {
			return fmt.Errorf("record merge: %w", err)
		}
		steps := []struct {
			what, q string
			args    []any
		}{
			{"record identities", `INSERT INTO member_merge_identities (merge_id, key, side)
				SELECT $1, key, CASE WHEN member_id = $3 THEN 'from' ELSE 'into' END FROM identities
				WHERE workspace_id = $2 AND member_id IN ($3, $4)`, []any{mergeID, workspaceID, from, into}},
			{"record messages", `INSERT INTO member_merge_messages (merge_id, message_id)
				SELECT $1, id FROM messages WHERE workspace_id = $2 AND member_id = $3`, []any{mergeID, workspaceID, from}},
			{"record tags", `INSERT INTO member_merge_tags (merge_id, tag)
				SELECT $1, f.tag FROM member_tags f WHERE f.workspace_id = $2 AND f.member_id = $3
				AND NOT EXISTS (SELECT 1 FROM member_tags i WHERE i.workspace_id = $2 AND i.member_id = $4 AND i.tag = f.tag)`,
				[]any{mergeID, workspaceID, from, into}},
			{"add tags", `INSERT INTO member_tags (workspace_id, member_id, tag)
				SELECT $1, $2, tag FROM member_merge_tags WHERE merge_id = $3`, []any{workspaceID, into, mergeID}},
			{"move identities", `UPDATE identities SET member_id = $1 WHERE workspace_id = $2 AND member_id = $3`,
				[]any{into, workspaceID, from}},
			{"move messages", `UPDATE messages SET member_id = $1 WHERE workspace_id = $2 AND member_id = $3`,
				[]any{into, workspaceID, from}},
			{"mark merged", `UPDATE members SET merged_into = $1 WHERE workspace_id = $2 AND id = $3`,
				[]any{into, workspaceID, from}},
		}
		for _, st := range steps {
			if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
				return fmt.Errorf("%s: %w", st.what, err)
			}
		}
		if err := s.recountMember(ctx, tx, workspaceID, into, states[into].staff || states[from].staff); err != nil {
			return err
		}
		if err := s.recountMember(ctx, tx, workspaceID, from, states[from].staff); err != nil {
			return err
		}
		if err := s.indexMembers(ctx, tx, workspaceID, []string{into}); err != nil {
			return err
		}
		if err := s.unindexMember(ctx, tx, workspaceID, from); err != nil {
			return err
		}
		if err := s.unindexMatchKeys(ctx, tx, workspaceID, from); err != nil {
			return err
		}
		if err := s.indexMatchDomains(ctx, tx, workspaceID, []string{into}); err != nil {
			return err
		}
		return memberEvent(ctx, tx, workspaceID, into, actor, "member.merge", now,
			map[string]any{"into": into, "from": from, "identities": identities, "messages": messages})
	})
	if err != nil {
		return model.Member{}, fmt.Errorf("merge member %s into %s: %w", from, into, err)
	}
	return s.Member(ctx, workspaceID, into)
}

// recountMember computes a member's message count, first and last seen
// times and staff flag again from its messages; staff is its flag before
// any message counts. A member with no message keeps its times.
func (s *Store) recountMember(ctx context.Context, tx *sql.Tx, workspaceID int64, id string, staff bool) error {
	_, err := tx.ExecContext(ctx, `UPDATE members SET
		message_count = (SELECT COUNT(*) FROM messages WHERE workspace_id = $1 AND member_id = $2),
		first_seen_at = COALESCE((SELECT MIN(created_at) FROM messages WHERE workspace_id = $1 AND member_id = $2), first_seen_at),
		last_seen_at = COALESCE((SELECT MAX(created_at) FROM messages WHERE workspace_id = $1 AND member_id = $2), last_seen_at),
		is_staff = ($3 OR EXISTS (SELECT 1 FROM messages WHERE workspace_id = $1 AND member_id = $2 AND author_is_staff))
		WHERE workspace_id = $1 AND id = $2`, workspaceID, id, staff)
	if err != nil {
		return fmt.Errorf("count member %s: %w", id, err)
	}
	return nil
}

// unindexMember takes a member out of member search.
func (s *Store) unindexMember(ctx context.Context, tx *sql.Tx, workspaceID int64, id string) error {
	q := `DELETE FROM member_search WHERE workspace_id = $1 AND member_id = $2`
	if s.engine == EngineSQLite {
		q = `DELETE FROM member_search WHERE rowid = (SELECT id FROM member_search_keys WHERE workspace_id = $1 AND member_id = $2)`
	}
	if _, err := tx.ExecContext(ctx, q, workspaceID, id); err != nil {
		return fmt.Errorf("unindex member %s: %w", id, err)
	}
	return nil
}

// mergeRecord is the merge UnmergeMember undoes.
type mergeRecord struct {
	id                   int64
	into                 string
	lastMessage          int64
	intoStaff, fromStaff bool
	identities, messages int
}

// UnmergeMember undoes the last merge of member from (merged away) into
// its survivor: the identities and messages that came from from go back,
// and so do the messages imported since for an identity that came from
// from, with the identities they brought; the tags the merge added to the
// survivor are taken off; both members' counters are computed again. A
// "member.unmerge" event is recorded. It returns from as it is after.
// ErrInvalid when from is not merged, or when its survivor was merged
// away in turn (undo that merge first).
func (s *Store) UnmergeMember(ctx context.Context, workspaceID int64, from string, actor string, now time.Time) (model.Member, error) {
	now = TruncateTime(now)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		st, err := s.lockMember(ctx, tx, workspaceID, from)
		if err != nil {
			return err
		}
		if st.mergedInto == "" {
			return fmt.Errorf("%w: member %s is not merged into another", ErrInvalid, from)
		}
		var rec mergeRecord
		err = tx.QueryRowContext(ctx, `SELECT id, into_id, last_message_id, into_staff, from_staff, identities, messages
			FROM member_merges WHERE workspace_id = $1 AND from_id = $2 AND undone_at IS NULL ORDER BY id DESC LIMIT 1`,
			workspaceID, from).Scan(&rec.id, &rec.into, &rec.lastMessage, &rec.intoStaff, &rec.fromStaff, &rec.identities, &rec.messages)
		if err != nil {
			return fmt.Errorf("merge of member %s: %w", from, s.translate(err))
		}
		into, err := s.lockMember(ctx, tx, workspaceID, rec.into)
		if err != nil {
			return err
		}
		if into.mergedInto != "" {
			return fmt.Errorf("%w: member %s, which %s was merged into, was merged into %s in turn: undo that merge first",
				ErrInvalid, rec.into, from, into.mergedInto)
		}
		steps := []struct{ what, q string }{
			{"give identities back", `UPDATE identities SET member_id = $3 WHERE workspace_id = $2 AND member_id = $4
				AND key IN (SELECT key FROM member_merge_identities WHERE merge_id = $1 AND side = 'from')`},
			{"give messages back", `UPDATE messages SET member_id = $3 WHERE workspace_id = $2 AND member_id = $4
				AND id IN (SELECT message_id FROM member_merge_messages WHERE merge_id = $1)`},
		}
		for _, step := range steps {
			if _, err := tx.ExecContext(ctx, step.q, rec.id, workspaceID, from, rec.into); err != nil {
				return fmt.Errorf("%s: %w", step.what, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM member_tags WHERE workspace_id = $1 AND member_id = $2
			AND tag IN (SELECT tag FROM member_merge_tags WHERE merge_id = $3)`, workspaceID, rec.into, rec.id); err != nil {
			return fmt.Errorf("take tags off: %w", err)
		}
		movedMessages, movedKeys, err := s.giveBackLater(ctx, tx, workspaceID, from, rec)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE members SET merged_into = NULL WHERE workspace_id = $1 AND id = $2`, workspaceID, from); err != nil {
			return fmt.Errorf("unmark merged: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE member_merges SET undone_at = $1 WHERE id = $2`, toMicros(now), rec.id); err != nil {
			return fmt.Errorf("mark merge undone: %w", err)
		}
		if err := s.recountMember(ctx, tx, workspaceID, rec.into, rec.intoStaff); err != nil {
			return err
		}
		if err := s.recountMember(ctx, tx, workspaceID, from, rec.fromStaff); err != nil {
			return err
		}
		if err := s.indexMembers(ctx, tx, workspaceID, []string{rec.into, from}); err != nil {
			return err
		}
		if err := s.indexMatchDomains(ctx, tx, workspaceID, []string{rec.into, from}); err != nil {
			return err
		}
		return memberEvent(ctx, tx, workspaceID, rec.into, actor, "member.unmerge", now,
			map[string]any{"into": rec.into, "from": from, "identities": rec.identities + movedKeys, "messages": rec.messages + movedMessages})
	})
	if err != nil {
		return model.Member{}, fmt.Errorf("unmerge member %s: %w", from, err)
	}
	return s.Member(ctx, workspaceID, from)
}

// laterMessage is a message imported onto the survivor after a merge.
type laterMessage struct {
	id                  int64
	email, handle, name string
	channel             string
}

// candidateKeys are the identity keys ingest derives from a message's
// author (ingest.IdentityKeys, which the store cannot import), strongest
// first, and which of them are strong. Keys that ingest would have left
// out are not in the identities table, which the caller checks.
func (m laterMessage) candidateKeys() (keys []string, strong int) {
	if e := strings.ToLower(strings.TrimSpace(m.email)); strings.Contains(e, "@") {
		keys = append(keys, "email:"+e)
	}
	if h := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(m.handle), "@")); h != "" {
		keys = append(keys, "handle:"+m.channel+":"+h)
	}
	strong = len(keys)
	if n := strings.Join(strings.Fields(strings.ToLower(m.name)), " "); n != "" {
		keys = append(keys, "name:"+m.channel+":"+n)
	}
	return keys, strong
}

// giveBackLater gives back to from the messages imported onto the
// survivor after the merge for an identity that came from from, and the
// identities those messages brought. It replays the importer's choice, in
// message order: a message belongs to the owner of its strongest known
// identity (a signed name counting only without a stronger identity); an
// identity first seen after the merge is known from the first message
// that brought it, and belongs to that message's owner. It returns how
// many messages and identities it gave back.
func (s *Store) giveBackLater(ctx context.Context, tx *sql.Tx, workspaceID int64, from string, rec mergeRecord) (int, int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT m.id, m.author_email, m.author_handle, m.author_name, ch.name
		FROM messages m JOIN channels ch ON ch.id = m.channel_id
		WHERE m.workspace_id = $1 AND m.member_id = $2 AND m.id > $3 ORDER BY m.id`, workspaceID, rec.into, rec.lastMessage)
	if err != nil {
		return 0, 0, fmt.Errorf("messages since the merge: %w", err)
	}
	var later []laterMessage
	for rows.Next() {
		var m laterMessage
		if err := rows.Scan(&m.id, &m.email, &m.handle, &m.name, &m.channel); err != nil {
			rows.Close()
			return 0, 0, fmt.Errorf("messages since the merge: %w", err)
		}
		later = append(later, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, fmt.Errorf("messages since the merge: %w", err)
	}
	if len(later) == 0 {
		return 0, 0, nil
	}
	// owner: true for from, false for anyone else; a key absent is
	// unknown until a message brings it.
	sides, err := column[string](ctx, tx, `SELECT key FROM member_merge_identities WHERE merge_id = $1 AND side = 'from'`, rec.id)
	if err != nil {
		return 0, 0, err
	}
	fromKeys := make(map[string]bool, len(sides))
	for _, k := range sides {
		fromKeys[k] = true
	}
	// Identities of the survivor it held at the merge, or got from later
	// merges still standing, were known before these messages came.
	before, err := column[string](ctx, tx, `SELECT key FROM member_merge_identities WHERE merge_id = $1 AND side = 'into'
		UNION SELECT i.key FROM member_merge_identities i JOIN member_merges g ON g.id = i.merge_id
		WHERE g.workspace_id = $2 AND g.into_id = $3 AND g.id > $1 AND g.undone_at IS NULL AND i.side = 'from'`,
		rec.id, workspaceID, rec.into)
	if err != nil {
		return 0, 0, err
	}
	old := make(map[string]bool, len(before))
	for _, k := range before {
		old[k] = true
	}
	var asked []string
	seen := make(map[string]bool)
	for _, m := range later {
		keys, _ := m.candidateKeys()
		for _, k := range keys {
			if !seen[k] {
				seen[k] = true
				asked = append(asked, k)
			}
		}
	}
	owner := make(map[string]bool)  // known keys → whether from owns them
	fresh := make(map[string]bool)  // the survivor's keys first seen after the merge
	stored := make(map[string]bool) // keys the identities table holds
	err = s.d.inList(ctx, tx, `SELECT key, member_id FROM identities WHERE workspace_id = `+s.d.p1()+` AND key`,
		[]any{workspaceID}, asked, ``, func(r *sql.Rows) error {
			var k, id string
			if err := r.Scan(&k, &id); err != nil {
				return err
			}
			stored[k] = true
			switch {
			case fromKeys[k]:
				owner[k] = true
			case id == rec.into && !old[k]:
				fresh[k] = true
			default:
				owner[k] = false
			}
			return nil
		})
	if err != nil {
		return 0, 0, fmt.Errorf("identities since the merge: %w", err)
	}
	var messages []int64
	var keys []string
	for _, m := range later {
		all, strong := m.candidateKeys()
		var present []string
		strongPresent := false
		for i, k := range all {
			if stored[k] {
				present = append(present, k)
				strongPresent = strongPresent || i < strong
			}
		}
		toFrom, decided := false, false
		for _, k := range present {
			if strongPresent && strings.HasPrefix(k, "name:") {
				break
			}
			if o, known := owner[k]; known {
				toFrom, decided = o, true
				break
			}
		}
		if !decided {
			continue // the survivor's by an explicit member id: it stays
		}
		if toFrom {
			messages = append(messages, m.id)
		}
		for _, k := range present {
			if _, known := owner[k]; !known && fresh[k] {
				owner[k] = toFrom
				if toFrom {
					keys = append(keys, k)
				}
			}
		}
	}
	given := len(messages)
	for len(messages) > 0 {
		n := min(len(messages), 500)
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET member_id = $1 WHERE workspace_id = $2 AND member_id = $3
			AND id IN (`+idList(messages[:n])+`)`, from, workspaceID, rec.into); err != nil {
			return 0, 0, fmt.Errorf("give messages back: %w", err)
		}
		messages = messages[n:]
	}
	moved := 0
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `UPDATE identities SET member_id = $1 WHERE workspace_id = $2 AND member_id = $3 AND key = $4`,
			from, workspaceID, rec.into, k); err != nil {
			return 0, 0, fmt.Errorf("give identity back: %w", err)
		}
		moved++
	}
	return given, moved, nil
}

// MemberMerges lists the merges into a member of the workspace that can
// still be undone, newest first.
func (s *Store) MemberMerges(ctx context.Context, workspaceID int64, into string) ([]model.MemberMerge, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT from_id, into_id, actor, created_at, identities, messages FROM member_merges
		WHERE workspace_id = $1 AND into_id = $2 AND undone_at IS NULL ORDER BY id DESC`, workspaceID, into)
	if err != nil {
		return nil, fmt.Errorf("merges into member %s: %w", into, err)
	}
	defer rows.Close()
	out := []model.MemberMerge{}
	for rows.Next() {
		var m model.MemberMerge
		var at int64
		if err := rows.Scan(&m.From, &m.Into, &m.Actor, &at, &m.Identities, &m.Messages); err != nil {
			return nil, fmt.Errorf("merges into member %s: %w", into, err)
		}
		m.At = fromMicros(at)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("merges into member %s: %w", into, err)
	}
	return out, nil
}
