package store

// Internal notes and the users they ask into a conversation.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"palabre/internal/model"
)

// AddNote adds an internal note by author to a conversation of the
// workspace. Each user @mentioned who holds a role in the workspace (other
// than the author) becomes a participant of the conversation — an expert
// then sees it in their queue — and gets a notification event addressed to
// them; other @words are left as text. The note and its events are written
// in one transaction.
func (s *Store) AddNote(ctx context.Context, workspaceID, conversationID int64, author model.User, body string, now time.Time) (model.Note, error) {
	switch {
	case strings.TrimSpace(body) == "":
		return model.Note{}, fmt.Errorf("%w: a note needs a body", ErrInvalid)
	case len(body) > model.MaxNoteLen:
		return model.Note{}, fmt.Errorf("%w: note of %d bytes: at most %d", ErrInvalid, len(body), model.MaxNoteLen)
	case !utf8.ValidString(body):
		return model.Note{}, fmt.Errorf("%w: note: not valid UTF-8", ErrInvalid)
	}
	now = TruncateTime(now)
	n := model.Note{ConversationID: conversationID, Author: author.Login, Body: body, Mentions: []string{}, CreatedAt: now}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM conversations c WHERE c.id = $1 AND c.workspace_id = $2`+s.d.forUpdate,
			conversationID, workspaceID).Scan(&one)
		if err != nil {
			return fmt.Errorf("conversation %d: %w", conversationID, s.translate(err))
		}
		var mentioned []model.User
		for _, login := range model.Mentions(body) {
			u, _, err := s.memberRole(ctx, tx, workspaceID, login)
			if err != nil || u.ID == author.ID {
				continue // not someone of this workspace: plain text
			}
			mentioned = append(mentioned, u)
			n.Mentions = append(n.Mentions, u.Login)
		}
		raw, _ := json.Marshal(n.Mentions)
		err = tx.QueryRowContext(ctx, `INSERT INTO notes (workspace_id, conversation_id, author_id, author, body, mentions, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			workspaceID, conversationID, author.ID, author.Login, body, string(raw), toMicros(now)).Scan(&n.ID)
		if err != nil {
			return fmt.Errorf("insert note: %w", err)
		}
		subject := fmt.Sprintf("conversation %d", conversationID)
		for _, u := range mentioned {
			if _, err := tx.ExecContext(ctx, `INSERT INTO participants (conversation_id, user_id, workspace_id, added_by, created_at)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
				conversationID, u.ID, workspaceID, author.Login, toMicros(now)); err != nil {
				return fmt.Errorf("ask %s in: %w", u.Login, err)
			}
			if _, err := insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, ConversationID: conversationID,
				RecipientID: u.ID, Actor: author.Login, Action: "note.mention", Subject: subject, CreatedAt: now,
				Detail: eventDetail(map[string]any{"note": n.ID, "mentioned": u.Login})}); err != nil {
				return err
			}
		}
		// After the mentions, so that a live stream learns that the users
		// mentioned are in before the note they are to see.
		_, err = insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, ConversationID: conversationID,
			Actor: author.Login, Action: "note.add", Subject: subject, CreatedAt: now,
			Detail: eventDetail(map[string]any{"note": n.ID, "mentions": n.Mentions})})
		return err
	})
	if err != nil {
		return model.Note{}, fmt.Errorf("add note to conversation %d: %w", conversationID, err)
	}
	return n, nil
}

// Notes returns the notes of a conversation of the workspace, oldest
// first.
func (s *Store) Notes(ctx context.Context, workspaceID, conversationID int64) ([]model.Note, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, author, body, mentions, created_at FROM notes
		WHERE conversation_id = $1 AND workspace_id = $2 ORDER BY id`, conversationID, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("notes of conversation %d: %w", conversationID, err)
	}
	defer rows.Close()
	notes := []model.Note{}
	for rows.Next() {
		n := model.Note{ConversationID: conversationID}
		var mentions string
		var at int64
		if err := rows.Scan(&n.ID, &n.Author, &n.Body, &mentions, &at); err != nil {
			return nil, fmt.Errorf("notes of conversation %d: %w", conversationID, err)
		}
		if err := json.Unmarshal([]byte(mentions), &n.Mentions); err != nil {
			return nil, fmt.Errorf("note %d: mentions: %w", n.ID, err)
		}
		n.CreatedAt = fromMicros(at)
		notes = append(notes, n)
	}
	return notes, rows.Err()
}

// IsParticipant reports whether the user was asked into the conversation.
func (s *Store) IsParticipant(ctx context.Context, conversationID, userID int64) (bool, error) {
	var one int
	err := s.r.QueryRowContext(ctx, `SELECT 1 FROM participants WHERE conversation_id = $1 AND user_id = $2`,
		conversationID, userID).Scan(&one)
	switch {
	case err == sql.ErrNoRows:
		return false, nil
	case err != nil:
		return false, fmt.Errorf("participant of conversation %d: %w", conversationID, err)
	}
	return true, nil
}

// ParticipantConversations returns the ids of the conversations of the
// workspace the user was asked into.
func (s *Store) ParticipantConversations(ctx context.Context, workspaceID, userID int64) ([]int64, error) {
	ids, err := column[int64](ctx, s.r, `SELECT conversation_id FROM participants WHERE user_id = $1 AND workspace_id = $2
		ORDER BY conversation_id`, userID, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("conversations of user %d: %w", userID, err)
	}
	return ids, nil
}

// Participants returns the logins of the users asked into a conversation.
func (s *Store) Participants(ctx context.Context, conversationID int64) ([]string, error) {
	logins, err := column[string](ctx, s.r, `SELECT u.login FROM participants p JOIN users u ON u.id = p.user_id
		WHERE p.conversation_id = $1 ORDER BY u.login`, conversationID)
	if err != nil {
		return nil, fmt.Errorf("participants of conversation %d: %w", conversationID, err)
	}
	return logins, nil
}
