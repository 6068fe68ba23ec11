package store

// SLA: each workspace's settings (calendar, policies, escalation), the due
// times computed for its conversations, and the warnings and breaches
// recorded once each.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"palabre/internal/model"
	"palabre/internal/sla"
)

// SLASettings returns a workspace's SLA settings; ok is false (and the
// settings empty) when it has none.
func (s *Store) SLASettings(ctx context.Context, workspaceID int64) (settings sla.Settings, ok bool, err error) {
	settings, _, ok, err = s.SLASettingsVersion(ctx, workspaceID)
	return settings, ok, err
}

// SLASettingsVersion is SLASettings with the settings' version, which
// SetSLADues checks: due times computed under settings replaced meanwhile
// are not recorded.
func (s *Store) SLASettingsVersion(ctx context.Context, workspaceID int64) (settings sla.Settings, version int64, ok bool, err error) {
	var raw string
	err = s.r.QueryRowContext(ctx, `SELECT settings, updated_at FROM sla_settings WHERE workspace_id = $1`, workspaceID).Scan(&raw, &version)
	if errors.Is(err, sql.ErrNoRows) {
		return sla.Settings{}, 0, false, nil
	}
	if err != nil {
		return sla.Settings{}, 0, false, fmt.Errorf("SLA settings of workspace %d: %w", workspaceID, err)
	}
	if err := json.Unmarshal([]byte(raw), &settings); err != nil {
		return sla.Settings{}, 0, false, fmt.Errorf("SLA settings of workspace %d: %w", workspaceID, err)
	}
	return settings, version, true, nil
}

// SetSLASettings replaces a workspace's SLA settings, which must be valid
// (ErrInvalid with every fault otherwise), and asks for the due times of
// all its conversations again.
func (s *Store) SetSLASettings(ctx context.Context, workspaceID int64, settings sla.Settings, actor string) error {
	if err := settings.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if _, err := settings.Calendar.Compile(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	raw, err := json.Marshal(settings)
	if err != nil {
		return fmt.Errorf("SLA settings: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		now := toMicros(time.Now())
		if _, err := tx.ExecContext(ctx, `INSERT INTO sla_settings (workspace_id, settings, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (workspace_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`,
			workspaceID, string(raw), now); err != nil {
			return s.translate(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE conversations SET sla_stale = TRUE WHERE workspace_id = $1 AND NOT sla_stale`, workspaceID); err != nil {
			return err
		}
		names := make([]string, len(settings.Policies))
		for i, p := range settings.Policies {
			names[i] = p.Name
		}
		_, err := insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Actor: actor, Action: "sla.settings",
			Detail: eventDetail(map[string]any{"policies": names, "time_zone": settings.Calendar.TimeZone})})
		return err
	})
	if err != nil {
		return fmt.Errorf("set SLA settings of workspace %d: %w", workspaceID, err)
	}
	return nil
}

// SLAInput is what the SLA clocks of one conversation are computed from.
type SLAInput struct {
	ID     int64
	Status string
	sla.Conversation
	// SettingsVersion, when not 0, is the version of the settings the due
	// times are computed under (SLASettingsVersion): give it, or due times
	// computed under settings replaced meanwhile are recorded all the same.
	SettingsVersion int64
}

// StaleSLA returns up to limit conversations of the workspace whose due
// times must be computed again, by id after afterID.
func (s *Store) StaleSLA(ctx context.Context, workspaceID, afterID int64, limit int) ([]SLAInput, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT c.id, c.status, ch.name, c.priority, c.created_at,
			c.awaiting_since, c.first_response_at, c.resolved_at
		FROM conversations c JOIN channels ch ON ch.id = c.channel_id
		WHERE c.workspace_id = $1 AND c.sla_stale AND c.id > $2 ORDER BY c.id LIMIT $3`, workspaceID, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("stale SLA clocks: %w", err)
	}
	defer rows.Close()
	var out []SLAInput
	for rows.Next() {
		var in SLAInput
		var created int64
		var awaiting, first, resolved sql.NullInt64
		if err := rows.Scan(&in.ID, &in.Status, &in.Channel, &in.Priority, &created, &awaiting, &first, &resolved); err != nil {
			return nil, fmt.Errorf("stale SLA clocks: %w", err)
		}
		in.CreatedAt = fromMicros(created)
		in.AwaitingSince, in.FirstResponseAt, in.ResolvedAt = timePtr(awaiting), timePtr(first), timePtr(resolved)
		out = append(out, in)
	}
	return out, rows.Err()
}

// SetSLADues records the due times computed from in, unless the
// conversation changed since in was read, or the workspace's settings
// changed since the version in.SettingsVersion (then it stays stale, for
// the next round). A clock whose due time moved starts again from "".
func (s *Store) SetSLADues(ctx context.Context, in SLAInput, d sla.Dues) error {
	_, err := s.w.ExecContext(ctx, `UPDATE conversations SET sla_policy = $1,
			response_sla = CASE WHEN response_due_at IS NOT DISTINCT FROM $2 THEN response_sla ELSE '' END,
			resolution_sla = CASE WHEN resolution_due_at IS NOT DISTINCT FROM $3 THEN resolution_sla ELSE '' END,
			response_due_at = $2, resolution_due_at = $3, sla_stale = FALSE
		WHERE id = $4 AND sla_stale AND status = $5 AND priority = $6
			AND awaiting_since IS NOT DISTINCT FROM $7 AND first_response_at IS NOT DISTINCT FROM $8
			AND resolved_at IS NOT DISTINCT FROM $9
			AND (CAST($10 AS BIGINT) = 0
				OR CAST($10 AS BIGINT) = (SELECT updated_at FROM sla_settings WHERE workspace_id = conversations.workspace_id))`,
		d.Policy, microsOrNil(d.Response), microsOrNil(d.Resolution), in.ID, in.Status, in.Priority,
		microsOrNil(in.AwaitingSince), microsOrNil(in.FirstResponseAt), microsOrNil(in.ResolvedAt), in.SettingsVersion)
	if err != nil {
		return fmt.Errorf("SLA due times of conversation %d: %w", in.ID, err)
	}
	return nil
}

// SLA clocks.
const (
	ClockResponse   = "response"
	ClockResolution = "resolution"
)

// SLADue is one running SLA clock of a conversation that is due by some
// horizon.
type SLADue struct {
	ConversationID int64
	Clock          string // ClockResponse or ClockResolution
	Due            time.Time
	State          string // as recorded: "" or "warning"
	Priority       int
	Assignee       string // login, "" when nobody
}

// DueSLA returns the running clocks of the workspace's conversations that
// are still open (new, open or pending) and due by horizon but not yet
// recorded as breached, soonest first, at most limit.
func (s *Store) DueSLA(ctx context.Context, workspaceID int64, horizon time.Time, limit int) ([]SLADue, error) {
	h := toMicros(horizon)
	rows, err := s.r.QueryContext(ctx, `SELECT c.id, $2, c.response_due_at, c.response_sla, c.priority, COALESCE(u.login, '')
			FROM conversations c LEFT JOIN users u ON u.id = c.assignee_id
			WHERE c.workspace_id = $1 AND c.response_due_at <= $3 AND c.response_sla <> $4 AND c.status IN ($5, $6, $7)
		UNION ALL
		SELECT c.id, $8, c.resolution_due_at, c.resolution_sla, c.priority, COALESCE(u.login, '')
			FROM conversations c LEFT JOIN users u ON u.id = c.assignee_id
			WHERE c.workspace_id = $1 AND c.resolution_due_at <= $3 AND c.resolution_sla <> $4 AND c.status IN ($5, $6, $7)
		ORDER BY 3, 1 LIMIT $9`,
		workspaceID, ClockResponse, h, sla.StateBreached, model.ConvNew, model.ConvOpen, model.ConvPending, ClockResolution, limit)
	if err != nil {
		return nil, fmt.Errorf("due SLA clocks: %w", err)
	}
	defer rows.Close()
	var out []SLADue
	for rows.Next() {
		var d SLADue
		var due int64
		if err := rows.Scan(&d.ConversationID, &d.Clock, &due, &d.State, &d.Priority, &d.Assignee); err != nil {
			return nil, fmt.Errorf("due SLA clocks: %w", err)
		}
		d.Due = fromMicros(due)
		out = append(out, d)
	}
	return out, rows.Err()
}

// MarkSLA records that a clock of a conversation reached state ("warning"
// or "breached") at its due time due, with an audit event ("sla.warning"
// or "sla.breach"); it reports false, recording nothing, when another node
// recorded it first or the clock changed since it was read.
func (s *Store) MarkSLA(ctx context.Context, workspaceID int64, d SLADue, state, actor string) (bool, error) {
	column := "response"
	if d.Clock == ClockResolution {
		column = "resolution"
	} else if d.Clock != ClockResponse {
		return false, fmt.Errorf("%w: SLA clock %q", ErrInvalid, d.Clock)
	}
	action := "sla.warning"
	if state == sla.StateBreached {
		action = "sla.breach"
	} else if state != sla.StateWarning {
		return false, fmt.Errorf("%w: SLA state %q", ErrInvalid, state)
	}
	marked := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE conversations SET `+column+`_sla = $1
			WHERE id = $2 AND workspace_id = $3 AND `+column+`_sla = $4 AND `+column+`_due_at = $5`,
			state, d.ConversationID, workspaceID, d.State, toMicros(d.Due))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		marked = true
		_, err = insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, ConversationID: d.ConversationID, Actor: actor,
			Action: action, Subject: fmt.Sprintf("conversation %d", d.ConversationID),
			Detail: eventDetail(map[string]any{"clock": d.Clock, "due": d.Due, "assignee": d.Assignee})})
		return err
	})
	if err != nil {
		return false, fmt.Errorf("mark SLA of conversation %d: %w", d.ConversationID, err)
	}
	return marked, nil
}

// Reroute takes a conversation of the workspace from its assignee and
// hands it back to routing, which gives it to someone else (see
// route.Conversation.Escalated); it records why.
func (s *Store) Reroute(ctx context.Context, workspaceID, conversationID int64, reason, actor string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var login sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT u.login FROM conversations c LEFT JOIN users u ON u.id = c.assignee_id
			WHERE c.id = $1 AND c.workspace_id = $2`, conversationID, workspaceID).Scan(&login)
		if err != nil {
			return s.translate(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE conversations SET escalated_from_id = assignee_id, assignee_id = NULL,
			previous_assignee_id = NULL, assigned_at = NULL, assignment_reason = $1 WHERE id = $2`, reason, conversationID); err != nil {
			return err
		}
		var before any
		if login.Valid {
			before = login.String
		}
		_, err = insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, ConversationID: conversationID, Actor: actor,
			Action: "conversation.assign", Subject: fmt.Sprintf("conversation %d", conversationID),
			Detail: eventDetail(map[string]any{"before": before, "assignee": nil, "reason": reason})})
		return err
	})
	if err != nil {
		return fmt.Errorf("re-route conversation %d: %w", conversationID, err)
	}
	return nil
}
