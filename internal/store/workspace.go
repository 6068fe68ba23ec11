package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"palabre/internal/model"
)

const workspaceColumns = `id, slug, name, sector, language, created_at`

func scanWorkspace(row interface{ Scan(...any) error }) (model.Workspace, error) {
	var w model.Workspace
	var created int64
	err := row.Scan(&w.ID, &w.Slug, &w.Name, &w.Sector, &w.Language, &created)
	w.CreatedAt = fromMicros(created)
	return w, err
}

// CreateWorkspace stores a new workspace. ErrConflict when the slug is taken.
func (s *Store) CreateWorkspace(ctx context.Context, w model.Workspace) (model.Workspace, error) {
	if err := ValidateSlug(w.Slug); err != nil {
		return model.Workspace{}, err
	}
	if w.Name == "" {
		w.Name = w.Slug
	}
	if w.CreatedAt.IsZero() {
		w.CreatedAt = time.Now()
	}
	w.CreatedAt = TruncateTime(w.CreatedAt)
	err := s.w.QueryRowContext(ctx,
		`INSERT INTO workspaces (slug, name, sector, language, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		w.Slug, w.Name, w.Sector, w.Language, toMicros(w.CreatedAt)).Scan(&w.ID)
	if err != nil {
		return model.Workspace{}, fmt.Errorf("create workspace %q: %w", w.Slug, s.translate(err))
	}
	return w, nil
}

// EnsureWorkspace returns the workspace with w's slug, creating it from w
// when it does not exist yet.
func (s *Store) EnsureWorkspace(ctx context.Context, w model.Workspace) (model.Workspace, error) {
	got, err := s.WorkspaceBySlug(ctx, w.Slug)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return got, err
	}
	got, err = s.CreateWorkspace(ctx, w)
	if errors.Is(err, ErrConflict) { // created meanwhile by another process
		return s.WorkspaceBySlug(ctx, w.Slug)
	}
	return got, err
}

// WorkspaceBySlug returns the workspace named slug, or ErrNotFound.
func (s *Store) WorkspaceBySlug(ctx context.Context, slug string) (model.Workspace, error) {
	if ValidateSlug(slug) != nil { // such a workspace cannot exist; spare the database odd bytes
		return model.Workspace{}, fmt.Errorf("workspace %q: %w", slug, ErrNotFound)
	}
	w, err := scanWorkspace(s.reader(ctx).QueryRowContext(ctx,
		`SELECT `+workspaceColumns+` FROM workspaces WHERE slug = $1`, slug))
	if err != nil {
		return model.Workspace{}, fmt.Errorf("workspace %q: %w", slug, s.translate(err))
	}
	return w, nil
}

// Workspace returns the workspace with that id, or ErrNotFound.
func (s *Store) Workspace(ctx context.Context, id int64) (model.Workspace, error) {
	w, err := scanWorkspace(s.r.QueryRowContext(ctx,
		`SELECT `+workspaceColumns+` FROM workspaces WHERE id = $1`, id))
	if err != nil {
		return model.Workspace{}, fmt.Errorf("workspace %d: %w", id, s.translate(err))
	}
	return w, nil
}

// Workspaces lists every workspace by slug.
func (s *Store) Workspaces(ctx context.Context) ([]model.Workspace, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+workspaceColumns+` FROM workspaces ORDER BY slug`)
	if err != nil {
		return nil, fmt.Errorf("list workspaces: %w", err)
	}
	defer rows.Close()
	var out []model.Workspace
	for rows.Next() {
		w, err := scanWorkspace(rows)
		if err != nil {
			return nil, fmt.Errorf("list workspaces: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// ValidateSlug checks that slug can name a workspace or channel in URLs and
// on the command line: 1 to 64 characters among a-z, 0-9 and '-', not
// starting or ending with '-'.
func ValidateSlug(slug string) error {
	if slug == "" || len(slug) > 64 {
		return fmt.Errorf("%w: slug %q must have 1 to 64 characters", ErrInvalid, slug)
	}
	for i, c := range slug {
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' && i > 0 && i < len(slug)-1
		if !ok {
			return fmt.Errorf("%w: slug %q: only a-z, 0-9 and inner '-' are allowed", ErrInvalid, slug)
		}
	}
	return nil
}

const channelColumns = `id, workspace_id, name, kind, created_at`

func scanChannel(row interface{ Scan(...any) error }) (model.Channel, error) {
	var c model.Channel
	var created int64
	err := row.Scan(&c.ID, &c.WorkspaceID, &c.Name, &c.Kind, &created)
	c.CreatedAt = fromMicros(created)
	return c, err
}

// EnsureChannel returns the workspace's channel called name, creating it
// with kind when it does not exist yet.
func (s *Store) EnsureChannel(ctx context.Context, workspaceID int64, name, kind string) (model.Channel, error) {
	if err := ValidateSlug(name); err != nil {
		return model.Channel{}, fmt.Errorf("channel: %w", err)
	}
	// Most imports find their channel: a reader finds it without waiting
	// for the writer, which SQLite has only one of.
	c, err := s.channelIn(ctx, s.reader(ctx), workspaceID, name)
	if !errors.Is(err, ErrNotFound) {
		return c, err
	}
	_, err = s.w.ExecContext(ctx,
		`INSERT INTO channels (workspace_id, name, kind, created_at) VALUES ($1, $2, $3, $4)
		 ON CONFLICT (workspace_id, name) DO NOTHING`,
		workspaceID, name, kind, time.Now().UnixMicro())
	if err != nil {
		return model.Channel{}, fmt.Errorf("create channel %q: %w", name, s.translate(err))
	}
	return s.Channel(ctx, workspaceID, name)
}

// Channel returns the workspace's channel called name, or ErrNotFound.
func (s *Store) Channel(ctx context.Context, workspaceID int64, name string) (model.Channel, error) {
	return s.channelIn(ctx, s.w, workspaceID, name)
}

// channelIn is Channel read through q.
func (s *Store) channelIn(ctx context.Context, q queryer, workspaceID int64, name string) (model.Channel, error) {
	c, err := scanChannel(q.QueryRowContext(ctx,
		`SELECT `+channelColumns+` FROM channels WHERE workspace_id = $1 AND name = $2`, workspaceID, name))
	if err != nil {
		return model.Channel{}, fmt.Errorf("channel %q: %w", name, s.translate(err))
	}
	return c, nil
}

// Channels lists a workspace's channels by name.
func (s *Store) Channels(ctx context.Context, workspaceID int64) ([]model.Channel, error) {
	rows, err := s.r.QueryContext(ctx,
		`SELECT `+channelColumns+` FROM channels WHERE workspace_id = $1 ORDER BY name`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	defer rows.Close()
	var out []model.Channel
	for rows.Next() {
		c, err := scanChannel(rows)
		if err != nil {
			return nil, fmt.Errorf("list channels: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// scanNullBool turns a nullable boolean column into the model's pointer form.
func nullBoolPtr(b sql.NullBool) *bool {
	if !b.Valid {
		return nil
	}
	v := b.Bool
	return &v
}

func nullFloatPtr(f sql.NullFloat64) *float64 {
	if !f.Valid {
		return nil
	}
	v := f.Float64
	return &v
}
