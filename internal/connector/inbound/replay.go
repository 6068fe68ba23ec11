package inbound

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrReplayed: the channel accepted this very body recently. The API
// answers 409; for the sender it means "already received", since a body
// carries its messages' external ids and they are stored once anyway.
var ErrReplayed = errors.New("inbound delivery already accepted")

// Replay remembers the deliveries each channel accepted. The API backs it
// with the store, so that every palabre node sees the same; MemoryReplay
// serves tests.
type Replay interface {
	// SeenDelivery reports whether key is remembered for the channel
	// until now or later.
	SeenDelivery(ctx context.Context, channelID int64, key string, now time.Time) (bool, error)
	// RememberDelivery remembers key for the channel until until; it
	// may forget it after.
	RememberDelivery(ctx context.Context, channelID int64, key string, until time.Time) error
}

// DeliveryKey is what a delivery is remembered by: the SHA-256 of its
// body, in hex. Only a body signed with the channel's secret passes
// Verify, so a replay carries an accepted body byte for byte, whatever it
// changed in the unsigned headers (the delivery id, the order or number
// of the signature's fields). Keying on the body recognises it all the
// same.
func DeliveryKey(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// CheckReplay returns ErrReplayed when the channel accepted body before,
// recently enough for its signature to be still valid.
func CheckReplay(ctx context.Context, r Replay, channelID int64, body []byte, now time.Time) error {
	seen, err := r.SeenDelivery(ctx, channelID, DeliveryKey(body), now)
	if err != nil {
		return fmt.Errorf("inbound webhook: check for a replay: %w", err)
	}
	if seen {
		return ErrReplayed
	}
	return nil
}

// Remember records that the channel accepted body, once its messages are
// stored: a delivery whose storing failed must stay acceptable when the
// sender retries it. It is kept for as long as a replay could pass Verify:
// a signature accepted now is at most tolerance old or early, and is
// accepted for tolerance more, so 2×tolerance from now (zero or less
// means DefaultTolerance).
func Remember(ctx context.Context, r Replay, channelID int64, body []byte, now time.Time, tolerance time.Duration) error {
	if err := r.RememberDelivery(ctx, channelID, DeliveryKey(body), RememberUntil(now, tolerance)); err != nil {
		return fmt.Errorf("inbound webhook: remember the delivery: %w", err)
	}
	return nil
}

// RememberUntil is how long a delivery accepted at now is remembered
// (see Remember): 2×tolerance, zero or less meaning DefaultTolerance.
func RememberUntil(now time.Time, tolerance time.Duration) time.Time {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	return now.Add(2 * tolerance)
}

// MemoryReplay is a Replay in memory, bounded: when full, it forgets the
// delivery that expires first, expired ones first of all. It is safe for
// concurrent use, and meant for tests and a single node: nodes sharing a
// database need the store's.
type MemoryReplay struct {
	mu    sync.Mutex
	max   int
	until map[replayKey]time.Time
}

type replayKey struct {
	channel int64
	key     string
}

// NewMemoryReplay returns a MemoryReplay that remembers at most size
// deliveries (at least one).
func NewMemoryReplay(size int) *MemoryReplay {
	return &MemoryReplay{max: max(size, 1), until: make(map[replayKey]time.Time)}
}

// SeenDelivery implements Replay.
func (m *MemoryReplay) SeenDelivery(_ context.Context, channelID int64, key string, now time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	until, ok := m.until[replayKey{channelID, key}]
	return ok && !now.After(until), nil
}

// RememberDelivery implements Replay.
func (m *MemoryReplay) RememberDelivery(_ context.Context, channelID int64, key string, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := replayKey{channelID, key}
	if _, ok := m.until[k]; !ok && len(m.until) >= m.max {
		m.forgetFirstExpiring()
	}
	if old, ok := m.until[k]; !ok || until.After(old) {
		m.until[k] = until
	}
	return nil
}

// forgetFirstExpiring drops the entry that expires first. A scan is
// enough at the sizes this type is for.
func (m *MemoryReplay) forgetFirstExpiring() {
	var first replayKey
	var at time.Time
	found := false
	for k, u := range m.until {
		if !found || u.Before(at) {
			first, at, found = k, u, true
		}
	}
	if found {
		delete(m.until, first)
	}
}
