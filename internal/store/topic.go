package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"palabre/internal/enrich/topics"
	"palabre/internal/model"
)

// Topics lists a workspace's vocabulary in the order its topics were
// created, then by name.
func (s *Store) Topics(ctx context.Context, workspaceID int64) ([]model.Topic, error) {
	return s.topics(ctx, s.r, workspaceID)
}

func (s *Store) topics(ctx context.Context, q queryer, workspaceID int64) ([]model.Topic, error) {
	rows, err := q.QueryContext(ctx,
		`SELECT name, terms FROM topics WHERE workspace_id = $1 ORDER BY created_at, name`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	defer rows.Close()
	var out []model.Topic
	for rows.Next() {
		var t model.Topic
		var terms string
		if err := rows.Scan(&t.Name, &terms); err != nil {
			return nil, fmt.Errorf("list topics: %w", err)
		}
		if err := json.Unmarshal([]byte(terms), &t.Terms); err != nil {
			return nil, fmt.Errorf("list topics: terms of %q: %w", t.Name, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	return out, nil
}

// SetTopic creates the workspace's topic t, or replaces the terms of the
// topic of that name, and says which it did. The whole vocabulary that
// results must compile (see topics.Compile); when it does not, nothing
// changes and the error, wrapping ErrInvalid, names the topic and term at
// fault. actor is recorded in the audit log.
func (s *Store) SetTopic(ctx context.Context, workspaceID int64, t model.Topic, actor string) (created bool, err error) {
	terms, err := json.Marshal(t.Terms)
	if err != nil {
		return false, fmt.Errorf("set topic %q: %w", t.Name, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := lockWorkspace(ctx, tx, workspaceID); err != nil {
			return err
		}
		vocab, err := s.topics(ctx, tx, workspaceID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(vocab, func(v model.Topic) bool { return v.Name == t.Name })
		created = i < 0
		if created {
			vocab = append(vocab, t)
		} else {
			vocab[i] = t
		}
		if _, err := topics.Compile(vocab); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		now := toMicros(time.Now())
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO topics (workspace_id, name, terms, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
			 ON CONFLICT (workspace_id, name) DO UPDATE SET terms = excluded.terms, updated_at = excluded.updated_at`,
			workspaceID, t.Name, string(terms), now); err != nil {
			return s.translate(err)
		}
		action := "topic.update"
		if created {
			action = "topic.create"
		}
		detail, _ := json.Marshal(struct { // strings always encode
			Terms []string `json:"terms"`
		}{t.Terms})
		_, err = insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Actor: actor, Action: action,
			Subject: t.Name, Detail: string(detail)})
		return err
	})
	if err != nil {
		return false, fmt.Errorf("set topic %q: %w", t.Name, err)
	}
	return created, nil
}

// DeleteTopic removes the workspace's topic called name; ErrNotFound when
// there is none. actor is recorded in the audit log.
func (s *Store) DeleteTopic(ctx context.Context, workspaceID int64, name, actor string) error {
	if !utf8.ValidString(name) || strings.ContainsRune(name, 0) {
		// No topic can have such a name (topics.Compile refuses it), and
		// PostgreSQL would refuse the bytes rather than find nothing.
		return fmt.Errorf("topic %q: %w", name, ErrNotFound)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM topics WHERE workspace_id = $1 AND name = $2`, workspaceID, name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNotFound
		}
		_, err = insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Actor: actor, Action: "topic.delete", Subject: name})
		return err
	})
	if err != nil {
		return fmt.Errorf("topic %q: %w", name, err)
	}
	return nil
}

// lockWorkspace takes the workspace's row lock for the rest of tx, so that
// concurrent changes to its vocabulary, checked as a whole, follow one
// another (PostgreSQL; SQLite has a single writer anyway). ErrNotFound when
// the workspace does not exist.
func lockWorkspace(ctx context.Context, tx *sql.Tx, workspaceID int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE workspaces SET name = name WHERE id = $1`, workspaceID)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("workspace %d: %w", workspaceID, ErrNotFound)
	}
	return nil
}
