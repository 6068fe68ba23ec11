package store

// CM profiles: what routing needs to know of a user (languages, hours,
// capacity, status, specialisations), and the sectors they are spread
// across.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"palabre/internal/model"
)

// Profile returns a user's profile, or the default profile (see
// model.DefaultProfile) when they have not set one. ErrNotFound when there
// is no such user.
func (s *Store) Profile(ctx context.Context, userID int64) (model.Profile, error) {
	p, err := s.profile(ctx, s.r, userID)
	if err != nil {
		return model.Profile{}, fmt.Errorf("profile of user %d: %w", userID, err)
	}
	return p, nil
}

func (s *Store) profile(ctx context.Context, q queryer, userID int64) (model.Profile, error) {
	if _, err := s.userLogin(ctx, q, userID); err != nil {
		return model.Profile{}, err
	}
	p := model.DefaultProfile(userID)
	var languages, hours string
	var updated int64
	err := q.QueryRowContext(ctx, `SELECT languages, time_zone, hours, capacity, status, updated_at
		FROM profiles WHERE user_id = $1`, userID).Scan(&languages, &p.TimeZone, &hours, &p.Capacity, &p.Status, &updated)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return model.Profile{}, err
	default:
		if err := json.Unmarshal([]byte(languages), &p.Languages); err != nil {
			return model.Profile{}, fmt.Errorf("languages: %w", err)
		}
		if err := json.Unmarshal([]byte(hours), &p.Hours); err != nil {
			return model.Profile{}, fmt.Errorf("hours: %w", err)
		}
		p.Languages = nonNilStrings(p.Languages)
		if p.Hours == nil {
			p.Hours = model.WeeklyHours{}
		}
		p.UpdatedAt = fromMicros(updated)
	}
	rows, err := q.QueryContext(ctx, `SELECT w.slug, sp.topic, sp.strength
		FROM specialisations sp JOIN workspaces w ON w.id = sp.workspace_id
		WHERE sp.user_id = $1`, userID)
	if err != nil {
		return model.Profile{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var sp model.Specialisation
		if err := rows.Scan(&sp.Workspace, &sp.Topic, &sp.Strength); err != nil {
			return model.Profile{}, err
		}
		p.Specialisations = append(p.Specialisations, sp)
	}
	if err := rows.Err(); err != nil {
		return model.Profile{}, err
	}
	// Sorted here rather than in SQL, so that both engines agree whatever
	// their collation.
	slices.SortFunc(p.Specialisations, func(a, b model.Specialisation) int {
		if c := strings.Compare(a.Workspace, b.Workspace); c != 0 {
			return c
		}
		return strings.Compare(a.Topic, b.Topic)
	})
	return p, nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// SetProfile replaces the profile of p.UserID, specialisations included.
// ErrInvalid when p does not validate (see model.Profile.Validate) or names
// a workspace that does not exist; ErrNotFound when there is no such user.
// actor is recorded in the audit log.
func (s *Store) SetProfile(ctx context.Context, p model.Profile, actor string) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("set profile of user %d: %w: %v", p.UserID, ErrInvalid, err)
	}
	languages, _ := json.Marshal(nonNilStrings(p.Languages)) // strings always encode
	hours := p.Hours
	if hours == nil {
		hours = model.WeeklyHours{}
	}
	hoursJSON, _ := json.Marshal(hours)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		login, err := s.userLogin(ctx, tx, p.UserID)
		if err != nil {
			return err
		}
		workspaces := make(map[string]int64)
		for _, sp := range p.Specialisations {
			if _, ok := workspaces[sp.Workspace]; ok {
				continue
			}
			var id int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM workspaces WHERE slug = $1`, sp.Workspace).Scan(&id)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("%w: specialisation %s:%s: no workspace %q", ErrInvalid, sp.Workspace, sp.Topic, sp.Workspace)
			} else if err != nil {
				return err
			}
			workspaces[sp.Workspace] = id
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO profiles (user_id, languages, time_zone, hours, capacity, status, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (user_id) DO UPDATE SET languages = excluded.languages, time_zone = excluded.time_zone,
				hours = excluded.hours, capacity = excluded.capacity, status = excluded.status, updated_at = excluded.updated_at`,
			p.UserID, string(languages), p.TimeZone, string(hoursJSON), p.Capacity, p.Status, toMicros(time.Now())); err != nil {
			return s.translate(err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM specialisations WHERE user_id = $1`, p.UserID); err != nil {
			return err
		}
		for _, sp := range p.Specialisations {
			if _, err := tx.ExecContext(ctx, `INSERT INTO specialisations (user_id, workspace_id, topic, strength) VALUES ($1, $2, $3, $4)`,
				p.UserID, workspaces[sp.Workspace], sp.Topic, sp.Strength); err != nil {
				return s.translate(err)
			}
		}
		specs := make([]string, len(p.Specialisations))
		for i, sp := range p.Specialisations {
			specs[i] = fmt.Sprintf("%s:%s=%g", sp.Workspace, sp.Topic, sp.Strength)
		}
		_, err = insertEvent(ctx, tx, model.Event{Actor: actor, Action: "profile.update", Subject: login,
			Detail: eventDetail(map[string]any{"languages": nonNilStrings(p.Languages), "time_zone": p.TimeZone,
				"hours": hours, "capacity": p.Capacity, "status": p.Status, "specialisations": specs})})
		return err
	})
	if err != nil {
		return fmt.Errorf("set profile of user %d: %w", p.UserID, err)
	}
	return nil
}

// SetStatus sets whether a user is available or away, leaving the rest of
// their profile as it is (the default, when they have none). ErrInvalid
// for an unknown status, ErrNotFound when there is no such user. actor is
// recorded in the audit log.
func (s *Store) SetStatus(ctx context.Context, userID int64, status, actor string) error {
	if !model.ValidCMStatus(status) {
		return fmt.Errorf("set status of user %d: %w: status %q: want %s or %s",
			userID, ErrInvalid, status, model.StatusAvailable, model.StatusAway)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		login, err := s.userLogin(ctx, tx, userID)
		if err != nil {
			return err
		}
		var previous string
		err = tx.QueryRowContext(ctx, `SELECT status FROM profiles WHERE user_id = $1`, userID).Scan(&previous)
		if errors.Is(err, sql.ErrNoRows) {
			previous = model.StatusAvailable
		} else if err != nil {
			return err
		}
		// The column defaults make the row of a user without a profile
		// the default profile.
		if _, err := tx.ExecContext(ctx, `INSERT INTO profiles (user_id, status, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (user_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at`,
			userID, status, toMicros(time.Now())); err != nil {
			return s.translate(err)
		}
		_, err = insertEvent(ctx, tx, model.Event{Actor: actor, Action: "profile.status", Subject: login,
			Detail: eventDetail(map[string]any{"status": status, "previous": previous})})
		return err
	})
	if err != nil {
		return fmt.Errorf("set status of user %d: %w", userID, err)
	}
	return nil
}

// SectorSpread returns the distinct sectors of the workspaces where a user
// works as a CM or a manager, trimmed, lower-cased and sorted; workspaces
// without a sector are left out. ErrNotFound when there is no such user.
func (s *Store) SectorSpread(ctx context.Context, userID int64) ([]string, error) {
	if _, err := s.userLogin(ctx, s.r, userID); err != nil {
		return nil, fmt.Errorf("sectors of user %d: %w", userID, err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT w.sector FROM memberships m
		JOIN workspaces w ON w.id = m.workspace_id
		WHERE m.user_id = $1 AND m.role IN ($2, $3) AND w.sector <> ''`, userID, model.RoleCM, model.RoleManager)
	if err != nil {
		return nil, fmt.Errorf("sectors of user %d: %w", userID, err)
	}
	defer rows.Close()
	sectors := []string{}
	for rows.Next() {
		var sector string
		if err := rows.Scan(&sector); err != nil {
			return nil, fmt.Errorf("sectors of user %d: %w", userID, err)
		}
		if sector = strings.ToLower(strings.TrimSpace(sector)); sector != "" {
			sectors = append(sectors, sector)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sectors of user %d: %w", userID, err)
	}
	slices.Sort(sectors)
	return slices.Compact(sectors), nil
}
