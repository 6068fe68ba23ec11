package store

// Outgoing webhooks: the addresses a workspace registered, the fan-out of
// its events into deliveries, and the deliveries' claims and outcomes
// (package webhook sends them).

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"palabre/internal/model"
	"palabre/internal/webhook"
)

// Limits of webhooks.
const (
	MaxWebhooksPerWorkspace = 20
	maxWebhookURLLen        = 2000
	maxWebhookEvents        = 50
)

// checkWebhook checks a webhook's address and event names.
func checkWebhook(h model.Webhook) error {
	var errs []string
	u, err := url.Parse(h.URL)
	switch {
	case len(h.URL) > maxWebhookURLLen:
		errs = append(errs, fmt.Sprintf("url: longer than %d bytes", maxWebhookURLLen))
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil:
		errs = append(errs, fmt.Sprintf("url %q: an http or https address without credentials", h.URL))
	}
	if len(h.Events) > maxWebhookEvents {
		errs = append(errs, fmt.Sprintf("events: at most %d", maxWebhookEvents))
	}
	for _, e := range h.Events {
		if e == "" || len(e) > 100 || strings.ContainsFunc(e, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r == '.' || r == '_')
		}) {
			errs = append(errs, fmt.Sprintf("event %q: an action such as conversation.status, or a prefix such as conversation.", e))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: webhook: %s", ErrInvalid, strings.Join(errs, "; "))
	}
	return nil
}

// CreateWebhook registers a webhook of the workspace. Its secret is made
// here and answered this once (it signs every delivery, so it is kept).
func (s *Store) CreateWebhook(ctx context.Context, workspaceID int64, h model.Webhook, actor string) (model.Webhook, error) {
	if h.Events == nil {
		h.Events = []string{}
	}
	if err := checkWebhook(h); err != nil {
		return model.Webhook{}, err
	}
	var b [24]byte
	rand.Read(b[:])
	h.Secret = "whsec_" + hex.EncodeToString(b[:])
	h.Active, h.CreatedBy, h.CreatedAt = true, actor, TruncateTime(time.Now())
	events, _ := json.Marshal(h.Events)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhooks WHERE workspace_id = $1`, workspaceID).Scan(&n); err != nil {
			return err
		}
		if n >= MaxWebhooksPerWorkspace {
			return fmt.Errorf("%w: a workspace has at most %d webhooks", ErrInvalid, MaxWebhooksPerWorkspace)
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO webhooks (workspace_id, url, secret, events, active, created_by, created_at)
			VALUES ($1, $2, $3, $4, TRUE, $5, $6) RETURNING id`,
			workspaceID, h.URL, h.Secret, string(events), actor, toMicros(h.CreatedAt)).Scan(&h.ID)
		if err != nil {
			return s.translate(err)
		}
		_, err = insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Actor: actor, Action: "webhook.create",
			Subject: h.URL, Detail: eventDetail(map[string]any{"id": h.ID, "events": h.Events})})
		return err
	})
	if err != nil {
		return model.Webhook{}, fmt.Errorf("create webhook: %w", err)
	}
	return h, nil
}

// Webhooks lists a workspace's webhooks, without their secrets.
func (s *Store) Webhooks(ctx context.Context, workspaceID int64) ([]model.Webhook, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, url, events, active, created_by, created_at FROM webhooks
		WHERE workspace_id = $1 ORDER BY id`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	defer rows.Close()
	out := []model.Webhook{}
	for rows.Next() {
		var h model.Webhook
		var events string
		var at int64
		if err := rows.Scan(&h.ID, &h.URL, &events, &h.Active, &h.CreatedBy, &at); err != nil {
			return nil, fmt.Errorf("webhooks: %w", err)
		}
		if err := json.Unmarshal([]byte(events), &h.Events); err != nil {
			return nil, fmt.Errorf("webhook %d: events: %w", h.ID, err)
		}
		h.CreatedAt = fromMicros(at)
		out = append(out, h)
	}
	return out, rows.Err()
}

// DeleteWebhook deletes a webhook of the workspace and its deliveries.
func (s *Store) DeleteWebhook(ctx context.Context, workspaceID, id int64, actor string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var u string
		if err := tx.QueryRowContext(ctx, `DELETE FROM webhooks WHERE id = $1 AND workspace_id = $2 RETURNING url`, id, workspaceID).Scan(&u); err != nil {
			return s.translate(err)
		}
		_, err := insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Actor: actor, Action: "webhook.delete",
			Subject: u, Detail: eventDetail(map[string]any{"id": id})})
		return err
	})
	if err != nil {
		return fmt.Errorf("delete webhook %d: %w", id, err)
	}
	return nil
}

// WebhookDelivery is one delivery as the workspace's managers see it.
type WebhookDelivery struct {
	ID          int64      `json:"id"`
	EventID     int64      `json:"event_id"`
	Action      string     `json:"action"`
	Status      string     `json:"status"` // pending, delivered or failed
	Attempts    int        `json:"attempts"`
	LastStatus  int        `json:"last_status,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
	NextAttempt *time.Time `json:"next_attempt_at,omitempty"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
}

// WebhookDeliveries lists the newest deliveries of a webhook of the
// workspace, at most limit (1 to 500).
func (s *Store) WebhookDeliveries(ctx context.Context, workspaceID, webhookID int64, limit int) ([]WebhookDelivery, error) {
	if limit < 1 || limit > 500 {
		return nil, fmt.Errorf("%w: limit %d: must be between 1 and 500", ErrInvalid, limit)
	}
	var one int
	if err := s.r.QueryRowContext(ctx, `SELECT 1 FROM webhooks WHERE id = $1 AND workspace_id = $2`, webhookID, workspaceID).Scan(&one); err != nil {
		return nil, fmt.Errorf("webhook %d: %w", webhookID, s.translate(err))
	}
	rows, err := s.r.QueryContext(ctx, `SELECT d.id, d.event_id, COALESCE(e.action, ''), d.status, d.attempts, d.last_status,
			d.last_error, d.next_attempt_at, d.delivered_at
		FROM webhook_deliveries d LEFT JOIN events e ON e.id = d.event_id
		WHERE d.webhook_id = $1 ORDER BY d.id DESC LIMIT $2`, webhookID, limit)
	if err != nil {
		return nil, fmt.Errorf("webhook deliveries: %w", err)
	}
	defer rows.Close()
	out := []WebhookDelivery{}
	for rows.Next() {
		var d WebhookDelivery
		var next int64
		var delivered sql.NullInt64
		if err := rows.Scan(&d.ID, &d.EventID, &d.Action, &d.Status, &d.Attempts, &d.LastStatus, &d.LastError, &next, &delivered); err != nil {
			return nil, fmt.Errorf("webhook deliveries: %w", err)
		}
		if d.Status == "pending" {
			t := fromMicros(next)
			d.NextAttempt = &t
		}
		d.DeliveredAt = timePtr(delivered)
		out = append(out, d)
	}
	return out, rows.Err()
}

// WebhookCursor returns how far the fan-out of events to webhooks went:
// the id of the last event considered (0 at first).
func (s *Store) WebhookCursor(ctx context.Context) (int64, error) {
	var id int64
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(event_id), 0) FROM webhook_cursor`).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("webhook cursor: %w", err)
	}
	return id, nil
}

// EnqueueWebhookDeliveries creates, for each event, a pending delivery to
// every active webhook of its workspace that wants it, then moves the
// fan-out cursor to through (never back). A delivery already created (by
// another node fanning out the same events) is left as it is.
func (s *Store) EnqueueWebhookDeliveries(ctx context.Context, events []model.Event, through int64, now time.Time) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		hooks := map[int64][]model.Webhook{} // workspace → its active webhooks
		for _, e := range events {
			if e.WorkspaceID == 0 {
				continue
			}
			hs, ok := hooks[e.WorkspaceID]
			if !ok {
				rows, err := tx.QueryContext(ctx, `SELECT id, events, created_at FROM webhooks WHERE workspace_id = $1 AND active`, e.WorkspaceID)
				if err != nil {
					return err
				}
				for rows.Next() {
					var h model.Webhook
					var evs string
					var at int64
					if err := rows.Scan(&h.ID, &evs, &at); err != nil {
						rows.Close()
						return err
					}
					if err := json.Unmarshal([]byte(evs), &h.Events); err != nil {
						rows.Close()
						return fmt.Errorf("webhook %d: events: %w", h.ID, err)
					}
					h.CreatedAt = fromMicros(at)
					hs = append(hs, h)
				}
				rows.Close()
				if err := rows.Err(); err != nil {
					return err
				}
				hooks[e.WorkspaceID] = hs
			}
			for _, h := range hs {
				// A webhook gets the events recorded since it was created.
				if e.CreatedAt.Before(h.CreatedAt) || !model.WebhookWants(h.Events, e.Action) {
					continue
				}
				res, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (webhook_id, event_id, next_attempt_at, created_at)
					VALUES ($1, $2, $3, $3) ON CONFLICT DO NOTHING`, h.ID, e.ID, toMicros(now))
				if err != nil {
					return err
				}
				k, _ := res.RowsAffected()
				n += int(k)
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO webhook_cursor (id, event_id) VALUES (1, $1)
			ON CONFLICT (id) DO UPDATE SET event_id = `+s.d.greatest+`(webhook_cursor.event_id, excluded.event_id)`, through)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("enqueue webhook deliveries: %w", err)
	}
	return n, nil
}

// ClaimDeliveries returns up to limit pending deliveries due at now and
// locks each until now+lease with a compare-and-set, so that another node
// claiming at the same time does not get it too.
func (s *Store) ClaimDeliveries(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]webhook.Delivery, error) {
	at := toMicros(now)
	rows, err := s.r.QueryContext(ctx, `SELECT d.id, d.webhook_id, w.url, w.secret, d.event_id, d.attempts, d.locked_until
		FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
		WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND d.locked_until <= $1 AND w.active
		ORDER BY d.next_attempt_at, d.id LIMIT $2`, at, limit)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	type found struct {
		d      webhook.Delivery
		locked int64
	}
	var cands []found
	for rows.Next() {
		var f found
		if err := rows.Scan(&f.d.ID, &f.d.WebhookID, &f.d.URL, &f.d.Secret, &f.d.EventID, &f.d.Attempts, &f.locked); err != nil {
			rows.Close()
			return nil, fmt.Errorf("claim deliveries: %w", err)
		}
		cands = append(cands, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	var out []webhook.Delivery
	for _, f := range cands {
		res, err := s.w.ExecContext(ctx, `UPDATE webhook_deliveries SET locked_until = $1
			WHERE id = $2 AND status = 'pending' AND locked_until = $3`, toMicros(now.Add(lease)), f.d.ID, f.locked)
		if err != nil {
			return nil, fmt.Errorf("claim delivery %d: %w", f.d.ID, err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			continue // another node took it
		}
		e, err := scanEvent(s.r.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM events WHERE id = $1`, f.d.EventID))
		if err != nil {
			return nil, fmt.Errorf("claim delivery %d: event %d: %w", f.d.ID, f.d.EventID, s.translate(err))
		}
		f.d.Action = e.Action
		if f.d.Payload, err = json.Marshal(e); err != nil {
			return nil, fmt.Errorf("claim delivery %d: %w", f.d.ID, err)
		}
		out = append(out, f.d)
	}
	return out, nil
}

// DeliverySucceeded records a delivery's successful attempt.
func (s *Store) DeliverySucceeded(ctx context.Context, id int64, status int, at time.Time) error {
	_, err := s.w.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1,
		last_status = $1, last_error = '', delivered_at = $2, locked_until = 0 WHERE id = $3`, status, toMicros(at), id)
	if err != nil {
		return fmt.Errorf("delivery %d succeeded: %w", id, err)
	}
	return nil
}

// DeliveryFailed records a delivery's failed attempt: due again at next,
// or failed for good when giveUp.
func (s *Store) DeliveryFailed(ctx context.Context, id int64, status int, errMsg string, next time.Time, giveUp bool) error {
	st := "pending"
	if giveUp {
		st = "failed"
	}
	if len(errMsg) > 1000 {
		errMsg = errMsg[:1000]
	}
	errMsg = strings.ToValidUTF8(errMsg, "?")
	_, err := s.w.ExecContext(ctx, `UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1,
		last_status = $2, last_error = $3, next_attempt_at = $4, locked_until = 0 WHERE id = $5`,
		st, status, errMsg, toMicros(next), id)
	if err != nil {
		return fmt.Errorf("delivery %d failed: %w", id, err)
	}
	return nil
}
