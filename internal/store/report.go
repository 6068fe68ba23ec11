package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"palabre/internal/model"
)

// ReportSchedule returns a workspace's monthly report schedule; a
// workspace without one has a zero schedule, turned off.
func (s *Store) ReportSchedule(ctx context.Context, workspaceID int64) (model.ReportSchedule, error) {
	var sc model.ReportSchedule
	var recipients string
	var updated int64
	err := s.r.QueryRowContext(ctx, `SELECT enabled, recipients, lang, since, updated_at FROM report_schedules
		WHERE workspace_id = $1`, workspaceID).Scan(&sc.Enabled, &recipients, &sc.Lang, &sc.Since, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return model.ReportSchedule{Recipients: []string{}}, nil
	}
	if err != nil {
		return sc, fmt.Errorf("report schedule of workspace %d: %w", workspaceID, err)
	}
	sc.UpdatedAt = fromMicros(updated)
	if err := json.Unmarshal([]byte(recipients), &sc.Recipients); err != nil {
		return sc, fmt.Errorf("report schedule of workspace %d: recipients: %w", workspaceID, err)
	}
	return sc, nil
}

// SetReportSchedule replaces a workspace's schedule, recording a
// "report.schedule" event by actor. Turned on, it needs recipients; since
// is kept from the schedule before when it was already on, so that
// changing the recipients sends no month already passed. The addresses
// are checked by the caller; here only their count and shape.
func (s *Store) SetReportSchedule(ctx context.Context, workspaceID int64, sc model.ReportSchedule, thisMonth, actor string, now time.Time) (model.ReportSchedule, error) {
	if len(sc.Recipients) > model.MaxReportRecipients {
		return sc, fmt.Errorf("%w: %d recipients, at most %d", ErrInvalid, len(sc.Recipients), model.MaxReportRecipients)
	}
	if err := checkRecipients(sc.Recipients); err != nil {
		return sc, err
	}
	if sc.Enabled && len(sc.Recipients) == 0 {
		return sc, fmt.Errorf("%w: a monthly report needs at least one recipient", ErrInvalid)
	}
	if sc.Lang != "" && !model.ValidUILanguage(sc.Lang) {
		return sc, fmt.Errorf("%w: language %q: want en or fr", ErrInvalid, sc.Lang)
	}
	if sc.Recipients == nil {
		sc.Recipients = []string{}
	}
	recipients, err := json.Marshal(sc.Recipients)
	if err != nil {
		return sc, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var was bool
		var since string
		err := tx.QueryRowContext(ctx, `SELECT enabled, since FROM report_schedules WHERE workspace_id = $1`, workspaceID).Scan(&was, &since)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		sc.Since = since
		if sc.Enabled && !was {
			sc.Since = thisMonth
		}
		sc.UpdatedAt = TruncateTime(now)
		if _, err := tx.ExecContext(ctx, `INSERT INTO report_schedules (workspace_id, enabled, recipients, lang, since, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (workspace_id) DO UPDATE SET enabled = excluded.enabled,
			recipients = excluded.recipients, lang = excluded.lang, since = excluded.since, updated_at = excluded.updated_at`,
			workspaceID, sc.Enabled, string(recipients), sc.Lang, sc.Since, toMicros(now)); err != nil {
			return err
		}
		detail, _ := json.Marshal(sc)
		_, err = insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Actor: actor, Action: "report.schedule",
			Detail: string(detail), CreatedAt: now})
		return err
	})
	if err != nil {
		return sc, fmt.Errorf("report schedule of workspace %d: %w", workspaceID, s.translate(err))
	}
	return sc, nil
}

// checkRecipients checks the shape of e-mail recipients as the caller
// gives them: bare addresses, one each (the caller reads them).
func checkRecipients(list []string) error {
	for _, r := range list {
		if !strings.Contains(r, "@") || strings.ContainsAny(r, " ,;<>\r\n") {
			return fmt.Errorf("%w: recipient %q is not an e-mail address", ErrInvalid, r)
		}
	}
	return nil
}

// ScheduledReport is a workspace whose report is sent each month.
type ScheduledReport struct {
	Workspace model.Workspace
	Schedule  model.ReportSchedule
}

// ScheduledReports lists the workspaces whose monthly report is on.
func (s *Store) ScheduledReports(ctx context.Context) ([]ScheduledReport, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT w.id, w.slug, w.name, w.sector, w.language, w.created_at,
			rs.recipients, rs.lang, rs.since, rs.updated_at
		FROM report_schedules rs JOIN workspaces w ON w.id = rs.workspace_id WHERE rs.enabled ORDER BY w.id`)
	if err != nil {
		return nil, fmt.Errorf("scheduled reports: %w", err)
	}
	defer rows.Close()
	var out []ScheduledReport
	for rows.Next() {
		var r ScheduledReport
		var created, updated int64
		var recipients string
		if err := rows.Scan(&r.Workspace.ID, &r.Workspace.Slug, &r.Workspace.Name, &r.Workspace.Sector, &r.Workspace.Language, &created,
			&recipients, &r.Schedule.Lang, &r.Schedule.Since, &updated); err != nil {
			return nil, fmt.Errorf("scheduled reports: %w", err)
		}
		r.Workspace.CreatedAt, r.Schedule.UpdatedAt, r.Schedule.Enabled = fromMicros(created), fromMicros(updated), true
		if err := json.Unmarshal([]byte(recipients), &r.Schedule.Recipients); err != nil {
			return nil, fmt.Errorf("scheduled reports of %s: %w", r.Workspace.Slug, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// QueueReport makes a workspace's report of month due at now, once: it
// reports false when the month was queued before (sent or not). With
// again, a month queued before is due again at now, its attempts reset,
// and a "report.queue" event by actor wakes the senders (a manager asking
// to send it anew).
func (s *Store) QueueReport(ctx context.Context, workspaceID int64, month string, again bool, actor string, now time.Time) (bool, error) {
	queued := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO report_deliveries (workspace_id, month, status, next_at, created_at)
			VALUES ($1, $2, 'pending', $3, $3) ON CONFLICT (workspace_id, month) DO NOTHING`, workspaceID, month, toMicros(now))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		queued = n > 0
		if !again {
			return nil
		}
		if !queued {
			if _, err := tx.ExecContext(ctx, `UPDATE report_deliveries SET status = 'pending', attempts = 0, next_at = $1, last_error = ''
				WHERE workspace_id = $2 AND month = $3`, toMicros(now), workspaceID, month); err != nil {
				return err
			}
			queued = true
		}
		_, err = insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Actor: actor, Action: "report.queue", Subject: month, CreatedAt: now})
		return err
	})
	if err != nil {
		return false, fmt.Errorf("queue the report of %s: %w", month, s.translate(err))
	}
	return queued, nil
}

// ReportClaim is a report delivery a node holds the lease of.
type ReportClaim struct {
	model.ReportDelivery
	Token string
}

// ClaimReports returns up to limit report deliveries due at now that no
// other node holds, each claimed until now+lease.
func (s *Store) ClaimReports(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]ReportClaim, error) {
	q := leased[ReportClaim]{what: "report delivery", many: "report deliveries", table: "report_deliveries", cond: `status = 'pending'`,
		query: `SELECT ` + deliveryColumns + `, lease_token FROM report_deliveries
			WHERE status = 'pending' AND next_at <= $1 AND lease_until <= $1 ORDER BY next_at, id LIMIT $2`,
		scan: func(rows *sql.Rows) (ReportClaim, error) {
			var c ReportClaim
			d, err := scanDelivery(rows, &c.Token)
			c.ReportDelivery = d
			return c, err
		},
		lease: func(c *ReportClaim) (int64, *string) { return c.ID, &c.Token }}
	return q.claim(ctx, s, now, limit, lease)
}

// ReportSent records that a claimed report went to recipients, with a
// "report.sent" event.
func (s *Store) ReportSent(ctx context.Context, c ReportClaim, recipients []string, now time.Time) error {
	list, _ := json.Marshal(recipients)
	return s.finishReport(ctx, c, `UPDATE report_deliveries SET status = 'sent', attempts = attempts + 1, sent_at = $1,
		recipients = $2, last_error = '', lease_token = '', lease_until = 0 WHERE id = $3 AND lease_token = $4`,
		[]any{toMicros(now), string(list), c.ID, c.Token}, "report.sent", strings.Join(recipients, ", "), now)
}

// ReportFailed records a failed attempt at a claimed report: due again at
// next, or failed for good when giveUp (with a "report.failed" event).
func (s *Store) ReportFailed(ctx context.Context, c ReportClaim, reason string, next time.Time, giveUp bool, now time.Time) error {
	status, event := model.DeliveryPending, ""
	if giveUp {
		status, event = model.DeliveryFailed, "report.failed"
	}
	return s.finishReport(ctx, c, `UPDATE report_deliveries SET status = $1, attempts = attempts + 1, next_at = $2,
		last_error = $5, lease_token = '', lease_until = 0 WHERE id = $3 AND lease_token = $4`,
		[]any{status, toMicros(next), c.ID, c.Token, clipReason(reason)}, event, clipReason(reason), now)
}

// finishReport runs update with args under c's claim and records event,
// if any, with detail.
func (s *Store) finishReport(ctx context.Context, c ReportClaim, update string, args []any, event, detail string, now time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, update, args...)
		if err := claimed(res, err, "record the delivery"); err != nil {
			return err
		}
		if event == "" {
			return nil
		}
		_, err = insertEvent(ctx, tx, model.Event{WorkspaceID: c.WorkspaceID, Actor: "palabre", Action: event,
			Subject: c.Month, Detail: detail, CreatedAt: now})
		return err
	})
	if err != nil {
		return fmt.Errorf("report of %s: %w", c.Month, err)
	}
	return nil
}

// ReportDeliveries lists a workspace's report deliveries, the newest
// month first, at most limit.
func (s *Store) ReportDeliveries(ctx context.Context, workspaceID int64, limit int) ([]model.ReportDelivery, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM report_deliveries WHERE workspace_id = $1
		ORDER BY month DESC LIMIT $2`, workspaceID, limit)
	if err != nil {
		return nil, fmt.Errorf("report deliveries: %w", err)
	}
	defer rows.Close()
	out := []model.ReportDelivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("report deliveries: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

const deliveryColumns = `id, workspace_id, month, status, recipients, attempts, last_error, next_at, sent_at, created_at`

// scanDelivery reads deliveryColumns, then extra columns into extra.
func scanDelivery(rows *sql.Rows, extra ...any) (model.ReportDelivery, error) {
	var d model.ReportDelivery
	var recipients string
	var next, created int64
	var sent sql.NullInt64
	dest := append([]any{&d.ID, &d.WorkspaceID, &d.Month, &d.Status, &recipients, &d.Attempts, &d.LastError, &next, &sent, &created}, extra...)
	if err := rows.Scan(dest...); err != nil {
		return d, err
	}
	d.NextAt, d.CreatedAt = fromMicros(next), fromMicros(created)
	if sent.Valid {
		at := fromMicros(sent.Int64)
		d.SentAt = &at
	}
	return d, json.Unmarshal([]byte(recipients), &d.Recipients)
}
