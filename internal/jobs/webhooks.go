package jobs

import (
	"context"
	"time"

	"palabre/internal/model"
)

// FanOutStore is what the webhook fan-out reads and writes. *store.Store
// satisfies it.
type FanOutStore interface {
	WebhookCursor(ctx context.Context) (int64, error)
	EventsAfter(ctx context.Context, afterID int64, limit int) ([]model.Event, error)
	EnqueueWebhookDeliveries(ctx context.Context, events []model.Event, through int64, now time.Time) (int, error)
}

// SettleDelay is how old an event must be before the fan-out reads it.
// With PostgreSQL an event's id is given when it is written but becomes
// visible at commit, so a younger id could still appear below one already
// read; palabre's transactions last far less than this, so by then every
// smaller id is visible and none is passed over.
const SettleDelay = 5 * time.Second

// WebhookFanOut turns the events recorded since its last round into
// deliveries for the webhooks that want them. Several nodes may run it:
// a delivery exists once per webhook and event.
func WebhookFanOut(st FanOutStore, every time.Duration) Job {
	return Job{Name: "webhook fan-out", Every: every, Run: func(ctx context.Context, now time.Time) error {
		cursor, err := st.WebhookCursor(ctx)
		if err != nil {
			return err
		}
		settled := now.Add(-SettleDelay)
		for {
			page, err := st.EventsAfter(ctx, cursor, 500)
			if err != nil {
				return err
			}
			var ready []model.Event
			for _, e := range page {
				if e.CreatedAt.After(settled) {
					break
				}
				ready = append(ready, e)
			}
			if len(ready) == 0 {
				return nil
			}
			through := ready[len(ready)-1].ID
			if _, err := st.EnqueueWebhookDeliveries(ctx, ready, through, now); err != nil {
				return err
			}
			cursor = through
			if len(ready) < len(page) || len(page) < 500 {
				return nil
			}
		}
	}}
}
