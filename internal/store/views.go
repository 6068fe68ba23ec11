package store

// Saved views: inbox filters each user keeps under a name.

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"palabre/internal/model"
)

// SaveView saves an inbox filter of the user under a name (trimmed, 1 to
// model.MaxSavedViewName characters, no control characters); query is the
// inbox URL's query string, at most model.MaxSavedViewQuery bytes. Saving
// again under a name the user already has replaces that view's query.
func (s *Store) SaveView(ctx context.Context, userID int64, name, query string) (model.SavedView, error) {
	name = strings.TrimSpace(name)
	query = strings.TrimPrefix(query, "?")
	switch {
	case !utf8.ValidString(name) || !utf8.ValidString(query):
		return model.SavedView{}, fmt.Errorf("save view: %w: not valid UTF-8", ErrInvalid)
	case name == "":
		return model.SavedView{}, fmt.Errorf("save view: %w: a view needs a name", ErrInvalid)
	case utf8.RuneCountInString(name) > model.MaxSavedViewName:
		return model.SavedView{}, fmt.Errorf("save view %q: %w: name longer than %d characters", name, ErrInvalid, model.MaxSavedViewName)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return model.SavedView{}, fmt.Errorf("save view %q: %w: control characters are not allowed in a name", name, ErrInvalid)
	case len(query) > model.MaxSavedViewQuery:
		return model.SavedView{}, fmt.Errorf("save view %q: %w: query of %d bytes: at most %d", name, ErrInvalid, len(query), model.MaxSavedViewQuery)
	case strings.IndexFunc(query, unicode.IsControl) >= 0:
		return model.SavedView{}, fmt.Errorf("save view %q: %w: control characters are not allowed in a query", name, ErrInvalid)
	}
	v := model.SavedView{Name: name, Query: query}
	var created int64
	err := s.w.QueryRowContext(ctx, `INSERT INTO saved_views (user_id, name, query, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id, name) DO UPDATE SET query = excluded.query RETURNING id, created_at`,
		userID, name, query, toMicros(time.Now())).Scan(&v.ID, &created)
	if err != nil {
		return model.SavedView{}, fmt.Errorf("save view %q: %w", name, s.translate(err))
	}
	v.CreatedAt = fromMicros(created)
	return v, nil
}

// SavedViews returns the user's saved views, by name.
func (s *Store) SavedViews(ctx context.Context, userID int64) ([]model.SavedView, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, name, query, created_at FROM saved_views WHERE user_id = $1 ORDER BY name, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("saved views of user %d: %w", userID, err)
	}
	defer rows.Close()
	out := []model.SavedView{}
	for rows.Next() {
		var v model.SavedView
		var created int64
		if err := rows.Scan(&v.ID, &v.Name, &v.Query, &created); err != nil {
			return nil, fmt.Errorf("saved views of user %d: %w", userID, err)
		}
		v.CreatedAt = fromMicros(created)
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("saved views of user %d: %w", userID, err)
	}
	return out, nil
}

// DeleteSavedView deletes one of the user's saved views; ErrNotFound when
// the user has no view with that id.
func (s *Store) DeleteSavedView(ctx context.Context, userID, id int64) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM saved_views WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return fmt.Errorf("delete saved view %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete saved view %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("saved view %d: %w", id, ErrNotFound)
	}
	return nil
}
