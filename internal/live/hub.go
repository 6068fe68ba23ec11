package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"palabre/internal/model"
)

// Defaults and bounds of a Hub.
const (
	DefaultPoll    = time.Second
	DefaultBuffer  = 256
	DefaultGapWait = 10 * time.Second
	// MaxReplay is the most events a resuming client may have missed;
	// further behind, Replay fails with ErrTooFarBehind.
	MaxReplay = 10000
	// maxGaps bounds the ids the hub waits for, so a huge rolled-back
	// import cannot grow memory without bound.
	maxGaps = 10000
	// pageSize is how many events the hub reads from the Source at once.
	pageSize = 500
)

// HubOptions tunes a Hub; zero values take the defaults.
type HubOptions struct {
	// Poll is how often the hub reads the Source when nobody wakes it: the
	// fallback for missed wake-ups. Default 1s.
	Poll time.Duration
	// Buffer is how many events a subscriber may lag behind before it is
	// dropped. Default 256.
	Buffer int
	// GapWait is how long the hub waits for an id it skipped over (a
	// transaction that had not committed yet) before deciding it was
	// rolled back. Default 10s.
	GapWait time.Duration
}

func (o HubOptions) withDefaults() HubOptions {
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if o.Buffer <= 0 {
		o.Buffer = DefaultBuffer
	}
	if o.GapWait <= 0 {
		o.GapWait = DefaultGapWait
	}
	return o
}

// Hub tails a Source and fans its new events out to subscribers. One
// goroutine, Run, reads the Source; publishing never waits for a
// subscriber: one whose buffer is full is dropped and catches up from the
// Source when it reconnects. A Hub is safe for concurrent use.
type Hub struct {
	src    Source
	logger *slog.Logger
	opts   HubOptions
	wake   chan struct{}
	ready  chan struct{} // closed once the start position is known
	run    atomic.Bool

	mu      sync.Mutex
	subs    map[*Subscription]struct{}
	start   int64 // position Run started from
	last    int64 // highest id read from the Source
	gaps    *gapSet
	started bool
	stopped bool

	// frames holds the SSE encoding of the latest stored events, made
	// once by the hub for all its subscribers (id → []byte); order lists
	// their ids, oldest first, to bound it.
	frames sync.Map
	order  []int64
}

// maxFrames is how many encoded events the hub keeps.
const maxFrames = 4096

// Frame returns e encoded as one Server-Sent Event (EncodeEvent). A stored
// event the hub published is encoded once, whatever the number of
// subscribers writing it; others are encoded now. Safe for concurrent use.
func (h *Hub) Frame(e model.Event) ([]byte, error) {
	if e.ID != 0 {
		if f, ok := h.frames.Load(e.ID); ok {
			return f.([]byte), nil
		}
	}
	return EncodeEvent(e)
}

// encodeLocked keeps the encoding of stored event e for Frame.
func (h *Hub) encodeLocked(e model.Event) {
	if e.ID == 0 {
		return
	}
	f, err := EncodeEvent(e)
	if err != nil {
		return // Frame will say why, to each writer
	}
	h.frames.Store(e.ID, f)
	h.order = append(h.order, e.ID)
	if len(h.order) > maxFrames {
		h.frames.Delete(h.order[0])
		h.order = h.order[1:]
	}
}

// NewHub returns a hub reading src. Call Run to start it.
func NewHub(src Source, logger *slog.Logger, opts HubOptions) *Hub {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Hub{
		src:    src,
		logger: logger,
		opts:   opts.withDefaults(),
		wake:   make(chan struct{}, 1),
		ready:  make(chan struct{}),
		subs:   map[*Subscription]struct{}{},
		gaps:   newGapSet(maxGaps),
	}
}

// Wake asks the hub to read the Source now rather than at the next poll.
// It never blocks; wake-ups that arrive while one is pending are merged.
// The process calls it after each commit that recorded events, and the
// Bus listener when another process did.
func (h *Hub) Wake() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// Run tails the Source until ctx is done, then ends every subscription
// with ErrHubStopped and returns nil. It starts from the newest event, so
// history is not replayed to subscribers; errors reading the Source are
// logged and retried at the next round. Run may be called once.
func (h *Hub) Run(ctx context.Context) error {
	if !h.run.CompareAndSwap(false, true) {
		return errors.New("live: hub already running")
	}
	defer h.stop()
	start, err := h.src.LastEventID(ctx)
	if err != nil {
		return fmt.Errorf("live: start hub: %w", err)
	}
	h.mu.Lock()
	h.start, h.last, h.started = start, start, true
	h.mu.Unlock()
	close(h.ready)
	h.logger.Debug("live hub started", slog.Int64("after_id", start))

	ticker := time.NewTicker(h.opts.Poll)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-h.wake:
		case <-ticker.C:
		}
		if err := h.round(ctx); err != nil && ctx.Err() == nil {
			h.logger.Warn("live hub: read events", slog.Any("error", err))
		}
	}
}

// stop ends every subscription; later ones start ended.
func (h *Hub) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = true
	for s := range h.subs {
		h.endLocked(s, ErrHubStopped)
	}
}

// round re-checks the ids the hub is waiting for, then reads and publishes
// every new event.
func (h *Hub) round(ctx context.Context) error {
	// A failed re-check does not hold back new events.
	gapErr := h.recheckGaps(ctx)
	h.mu.Lock()
	after := h.last
	h.mu.Unlock()
	for ctx.Err() == nil {
		page, err := h.src.EventsAfter(ctx, after, pageSize)
		if err != nil {
			return errors.Join(gapErr, fmt.Errorf("events after %d: %w", after, err))
		}
		if len(page) == 0 {
			break
		}
		after = h.publishPage(page, time.Now())
		if len(page) < pageSize {
			break
		}
	}
	return gapErr
}

// publishPage publishes a page of new events and notes the ids it skipped
// over; it returns the new position. Position, gaps and deliveries change
// under one lock so that a Subscribe sees them consistently.
func (h *Hub) publishPage(page []model.Event, now time.Time) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range page {
		if e.ID <= h.last {
			continue // a Source that does not honour afterID
		}
		if e.ID > h.last+1 {
			h.gaps.addRange(h.last+1, e.ID-1, now)
		}
		h.publishLocked(e)
		h.last = e.ID
	}
	h.gaps.snapshot() // rebuilt now, under the lock, for Subscribe
	return h.last
}

// recheckGaps publishes, late, the skipped ids that have become visible and
// forgets those waited for longer than GapWait.
func (h *Hub) recheckGaps(ctx context.Context) error {
	h.mu.Lock()
	ids := h.gaps.snapshot()
	h.mu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	found, err := h.src.EventsByID(ctx, ids)
	if err != nil {
		return fmt.Errorf("re-check %d skipped events: %w", len(ids), err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range found {
		if _, waiting := h.gaps.noticed[e.ID]; !waiting {
			continue
		}
		h.gaps.remove(e.ID)
		h.publishLocked(e)
	}
	if n := h.gaps.expire(time.Now().Add(-h.opts.GapWait)); n > 0 {
		h.logger.Debug("live hub: gave up waiting for events", slog.Int("count", n))
	}
	h.gaps.snapshot()
	return nil
}

// PublishEphemeral delivers an event that is not stored (presence) to the
// subscribers whose filter accepts it. Its ID is set to 0: it carries no
// SSE id, so it never moves a client's Last-Event-ID, and it is not
// replayed.
func (h *Hub) PublishEphemeral(e model.Event) {
	e.ID = 0
	h.mu.Lock()
	defer h.mu.Unlock()
	h.publishLocked(e)
}

// publishLocked offers e to every subscriber without waiting; the first
// that takes it has it encoded for all (Frame).
func (h *Hub) publishLocked(e model.Event) {
	encoded := false
	for s := range h.subs {
		if s.filter != nil && !s.filter(e) || s.skipLocked(e) {
			continue
		}
		if !encoded {
			h.encodeLocked(e)
			encoded = true
		}
		select {
		case s.c <- e:
		default:
			h.endLocked(s, ErrSlowSubscriber)
		}
	}
}

// Subscribe registers a subscriber receiving, from now on, the events
// filter accepts (every event when filter is nil). The filter runs in the
// hub's goroutine, for every event, while the hub holds its lock: it must be
// cheap, must not block and must not call the Hub; it is also called by
// Replay from the caller's goroutine, so it must be safe for concurrent
// use. Close the subscription when done.
func (h *Hub) Subscribe(filter func(model.Event) bool) *Subscription {
	s := &Subscription{
		hub:    h,
		filter: filter,
		c:      make(chan model.Event, h.opts.Buffer),
		ended:  make(chan struct{}),
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		h.endLocked(s, ErrHubStopped)
		return s
	}
	s.started = h.started
	s.pos = h.last
	s.gaps = h.gaps.snapshot()
	h.subs[s] = struct{}{}
	return s
}

// endLocked removes s and closes its channel, recording why.
func (h *Hub) endLocked(s *Subscription, reason error) {
	if s.done {
		return
	}
	s.done = true
	s.err = reason
	delete(h.subs, s)
	close(s.c)
	if reason != nil {
		close(s.ended)
	}
}

// Subscription is one subscriber of a Hub: typically one SSE connection.
type Subscription struct {
	hub    *Hub
	filter func(model.Event) bool
	c      chan model.Event
	ended  chan struct{} // closed when the hub ended the subscription

	// Set at Subscribe: the hub's position and the ids it was still
	// waiting for, which tell Replay where live delivery takes over.
	started bool
	pos     int64
	gaps    []int64 // shared, read-only

	// Under hub.mu.
	done   bool
	err    error
	skipTo int64 // live events up to this id were sent by another process
}

// skipLocked reports whether e is one the client already has: it resumed
// from a process that was ahead of this hub.
func (s *Subscription) skipLocked(e model.Event) bool {
	if e.ID == 0 || e.ID > s.skipTo {
		return false
	}
	_, late := slices.BinarySearch(s.gaps, e.ID)
	return !late
}

// C returns the channel of live events, in the order the hub read them:
// ascending ids, except for an event published late because its
// transaction committed after later ones (its id is below ids already
// delivered). Presence events have ID 0. The channel is closed when the
// subscription ends.
func (s *Subscription) C() <-chan model.Event { return s.c }

// Dropped returns a channel closed when the hub ended the subscription:
// the subscriber was too slow or the hub stopped (see Err). It is not
// closed by Close.
func (s *Subscription) Dropped() <-chan struct{} { return s.ended }

// Err returns why the hub ended the subscription (ErrSlowSubscriber or
// ErrHubStopped), or nil while it runs or after Close.
func (s *Subscription) Err() error {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.err
}

// Close ends the subscription and closes C. It may be called more than
// once.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.endLocked(s, nil)
}

// Replay calls fn, in id order, for every stored event after afterID that
// the filter accepts and that was published before this subscription began:
// together with C it gives every event exactly once, whatever is published
// meanwhile. Call it once, right after Subscribe and before reading C (C
// buffers meanwhile). afterID 0 means a new client: nothing is replayed.
//
// Replay returns the id it replayed up to. When afterID is more than
// MaxReplay events behind it fails with ErrTooFarBehind before calling fn.
// A client resuming from another process that had read further than this
// hub (afterID beyond its position) replays nothing, and the live events
// up to afterID are skipped. An event published late (see C) may still
// reach the client after a later one: a Last-Event-ID is thus not always
// the highest id received, and a client resuming from it may get again
// events with higher ids — events carry their id, so clients can ignore
// repeats.
func (s *Subscription) Replay(ctx context.Context, afterID int64, fn func(model.Event) error) (int64, error) {
	pos, gaps, err := s.position(ctx)
	if err != nil {
		return 0, err
	}
	if afterID <= 0 || afterID == pos {
		return pos, nil
	}
	if afterID > pos {
		s.skipUpTo(afterID)
		return afterID, nil
	}
	if pos-afterID > MaxReplay {
		return 0, fmt.Errorf("replay after %d: %d events behind: %w", afterID, pos-afterID, ErrTooFarBehind)
	}
	cur := afterID
	for {
		page, err := s.hub.src.EventsAfter(ctx, cur, pageSize)
		if err != nil {
			return 0, fmt.Errorf("replay after %d: %w", cur, err)
		}
		for _, e := range page {
			if e.ID <= cur {
				continue
			}
			if e.ID > pos {
				return pos, nil
			}
			cur = e.ID
			if _, waiting := slices.BinarySearch(gaps, e.ID); waiting {
				continue // the hub publishes it live, late
			}
			if s.filter != nil && !s.filter(e) {
				continue
			}
			if err := fn(e); err != nil {
				return 0, fmt.Errorf("replay event %d: %w", e.ID, err)
			}
		}
		if len(page) < pageSize {
			return pos, nil
		}
	}
}

// skipUpTo makes s skip the live events up to id, those already buffered
// included: the client resumed from a process ahead of this hub and has
// them. Nobody reads C yet, and the hub cannot send while we hold its lock,
// so the buffer can be filtered in place.
func (s *Subscription) skipUpTo(id int64) {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.skipTo = id
	if s.done {
		return
	}
	n := len(s.c)
	for range n {
		e := <-s.c
		if !s.skipLocked(e) {
			s.c <- e
		}
	}
}

// position returns where live delivery took over for s, waiting for the
// hub to start if it had not when s subscribed.
func (s *Subscription) position(ctx context.Context) (int64, []int64, error) {
	if s.started {
		return s.pos, s.gaps, nil
	}
	select {
	case <-s.hub.ready:
	case <-s.ended:
		return 0, nil, s.Err()
	case <-ctx.Done():
		return 0, nil, fmt.Errorf("replay: wait for the hub: %w", ctx.Err())
	}
	// The hub publishes only events after its start position: everything
	// up to it is for Replay.
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.hub.start, nil, nil
}
