package live

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"unicode/utf8"

	"palabre/internal/model"
)

// MaxPayload is the largest message a Bus carries: PostgreSQL refuses
// NOTIFY payloads of 8000 bytes or more, and the margin leaves room for
// the engine's own framing.
const MaxPayload = 7900

// Kinds of Bus messages.
const (
	// KindWake: a process committed events; hubs read the Source now.
	KindWake = "wake"
	// KindPresence: an ephemeral presence event to publish to subscribers.
	KindPresence = "presence"
)

// Bus carries small messages between the processes sharing a database:
// wake-ups after commits and presence events, which are not stored. Every
// message reaches every listener, the publishing process's included: a
// process publishes presence only through its Bus, never directly to its
// own Hub, and receives it back like the others. A message published while
// a listener is disconnected is lost; the Hub's poll covers wake-ups, and
// presence is refreshed by the browsers.
type Bus interface {
	// Publish sends payload (at most MaxPayload bytes of UTF-8 text
	// without NUL) to every listener.
	Publish(ctx context.Context, payload []byte) error
	// Listen calls handle with every message until ctx is done, then
	// returns nil. It also calls handle with a wake message each time it
	// starts listening (again), since messages sent before were missed.
	// handle must not block and must be safe for concurrent use: the
	// LocalBus calls it from the publisher's goroutine.
	Listen(ctx context.Context, handle func(payload []byte)) error
}

// Message is what travels on the Bus, as JSON.
type Message struct {
	Kind  string       `json:"kind"`
	Event *model.Event `json:"event,omitempty"`
}

// EncodeWake returns the message asking every hub to read the Source.
func EncodeWake() []byte {
	return []byte(`{"kind":"wake"}`)
}

// EncodePresence returns the message carrying the ephemeral event e, or an
// error when it is too large for the Bus.
func EncodePresence(e model.Event) ([]byte, error) {
	e.ID = 0
	b, err := json.Marshal(Message{Kind: KindPresence, Event: &e})
	if err != nil {
		return nil, fmt.Errorf("encode presence of %q: %w", e.Actor, err)
	}
	if err := checkPayload(b); err != nil {
		return nil, fmt.Errorf("encode presence of %q: %w", e.Actor, err)
	}
	return b, nil
}

// HandleMessage applies a Bus message to the hub: a wake-up wakes it, a
// presence event is published to its subscribers. Use it as the handler of
// Bus.Listen (logging the error). It never blocks.
func (h *Hub) HandleMessage(payload []byte) error {
	var m Message
	if err := json.Unmarshal(payload, &m); err != nil {
		return fmt.Errorf("live message: %w", err)
	}
	switch m.Kind {
	case KindWake:
		h.Wake()
	case KindPresence:
		if m.Event == nil {
			return fmt.Errorf("live message: presence without an event")
		}
		h.PublishEphemeral(*m.Event)
	default:
		return fmt.Errorf("live message: unknown kind %q", m.Kind)
	}
	return nil
}

// checkPayload enforces what every Bus accepts, so that code tested on the
// LocalBus also works on PostgreSQL.
func checkPayload(b []byte) error {
	if len(b) > MaxPayload {
		return fmt.Errorf("bus payload of %d bytes: more than %d", len(b), MaxPayload)
	}
	if !utf8.Valid(b) {
		return fmt.Errorf("bus payload: not UTF-8")
	}
	for _, c := range b {
		if c == 0 {
			return fmt.Errorf("bus payload: contains NUL")
		}
	}
	return nil
}

// LocalBus is the Bus of a single process (SQLite): messages go to the
// listeners of the same LocalBus. It is safe for concurrent use.
type LocalBus struct {
	mu        sync.Mutex
	next      int
	listeners map[int]func([]byte)
}

// NewLocalBus returns a bus without listeners.
func NewLocalBus() *LocalBus {
	return &LocalBus{listeners: map[int]func([]byte){}}
}

// Publish calls every listener's handler with payload, in the caller's
// goroutine, before returning.
func (b *LocalBus) Publish(ctx context.Context, payload []byte) error {
	if err := checkPayload(payload); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bus publish: %w", err)
	}
	b.mu.Lock()
	handlers := make([]func([]byte), 0, len(b.listeners))
	for _, h := range b.listeners {
		handlers = append(handlers, h)
	}
	b.mu.Unlock()
	for _, h := range handlers {
		h(append([]byte(nil), payload...))
	}
	return nil
}

// Listen registers handle until ctx is done.
func (b *LocalBus) Listen(ctx context.Context, handle func(payload []byte)) error {
	b.mu.Lock()
	id := b.next
	b.next++
	b.listeners[id] = handle
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.listeners, id)
		b.mu.Unlock()
	}()
	handle(EncodeWake())
	<-ctx.Done()
	return nil
}
