// Package webhook delivers palabre's live events to the URLs a workspace
// manager registered: each event is POSTed as JSON, signed with the
// webhook's secret (see Sign and Verify), and retried with a growing delay
// until the receiver answers 2xx or MaxAttempts is reached.
//
// The store keeps the deliveries; a Deliverer claims the due ones, sends
// them and records each outcome, so several palabre nodes can share the
// work and a restart loses nothing.
package webhook

import (
	"context"
	"time"
)

// Retry schedule.
const (
	// MaxAttempts is how many times a delivery is tried before it is given
	// up. With Backoff's delays (10s, 20s, 40s … then 1h, 1h) the last
	// attempt comes 3h25m10s after the first: long enough to ride out a
	// receiver's deployment or short outage, short enough that a dead
	// endpoint does not pile up deliveries for days.
	MaxAttempts = 12

	firstBackoff = 10 * time.Second
	maxBackoff   = time.Hour
)

// Backoff returns how long to wait after failed attempt number attempt
// (counting from 1) before the next: 10s after the first, doubling each
// time, capped at one hour. Values below 1 count as 1.
//
// There is no jitter, on purpose: deliveries already spread out because
// each starts from its own event's time, the claim lease keeps two nodes
// from retrying the same delivery together, and a fixed schedule is one a
// receiver's operator (and a test) can predict.
func Backoff(attempt int) time.Duration {
	d := firstBackoff
	for i := 1; i < attempt; i++ {
		d *= 2
		if d >= maxBackoff {
			return maxBackoff
		}
	}
	return d
}

// Delivery is one event to send to one webhook, as the store hands it out.
type Delivery struct {
	ID        int64  // the delivery, sent as DeliveryHeader
	WebhookID int64  // the registered webhook
	URL       string // where to POST
	Secret    string // the webhook's signing secret
	EventID   int64  // the event delivered
	Action    string // the event's name, sent as EventHeader
	Payload   []byte // the JSON body, sent as is
	Attempts  int    // attempts already made, before this one
}

// Store is what a Deliverer needs from palabre's storage. Its methods may
// be called concurrently.
type Store interface {
	// ClaimDeliveries returns up to limit pending deliveries due at now
	// (their next attempt time has come) and locks them until now+lease,
	// so that another node claiming meanwhile does not get them too. A
	// delivery whose lease runs out without an outcome is due again.
	ClaimDeliveries(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]Delivery, error)
	// DeliverySucceeded records one more attempt, answered with the 2xx
	// status at the time given, and marks the delivery delivered.
	DeliverySucceeded(ctx context.Context, id int64, status int, at time.Time) error
	// DeliveryFailed records one more attempt that failed, with the HTTP
	// status (0 when there was no answer) and why; the delivery is due
	// again at next, or failed for good when giveUp.
	DeliveryFailed(ctx context.Context, id int64, status int, errMsg string, next time.Time, giveUp bool) error
}
