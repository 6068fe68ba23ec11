// Package live turns palabre's audit log into a live event stream: a Hub
// tails the events table and fans new events out to subscribers (the
// Server-Sent Events handlers of the API), a Presence registry tracks who is
// viewing or typing in a conversation, and a Bus carries wake-ups and
// presence between the processes that share one database.
//
// Events are recorded in the same transaction as the change they describe,
// so the events table is the single source of truth: the Hub only reads it,
// and a client that lost its connection catches up from it with the id of
// the last event it received (Last-Event-ID).
package live

import (
	"context"
	"errors"

	"palabre/internal/model"
)

// Source is the part of the store the Hub reads. Ids grow with insertion
// order but, with PostgreSQL, become visible at commit: a reader may see id
// 11 before id 10.
type Source interface {
	// LastEventID returns the id of the newest visible event, 0 when none.
	LastEventID(ctx context.Context) (int64, error)
	// EventsAfter returns up to limit events with an id greater than
	// afterID, by ascending id.
	EventsAfter(ctx context.Context, afterID int64, limit int) ([]model.Event, error)
	// EventsByID returns the events among ids that exist, by ascending id.
	EventsByID(ctx context.Context, ids []int64) ([]model.Event, error)
}

// Errors callers branch on with errors.Is.
var (
	// ErrTooFarBehind means a resuming client missed more events than a
	// replay serves: it should reload its state instead.
	ErrTooFarBehind = errors.New("live: too far behind to replay")
	// ErrSlowSubscriber is the reason a subscription was dropped because
	// its buffer was full; the client reconnects and replays.
	ErrSlowSubscriber = errors.New("live: subscriber too slow, dropped")
	// ErrHubStopped is the reason a subscription ended because the hub
	// stopped (the server is shutting down).
	ErrHubStopped = errors.New("live: hub stopped")
)
