package rollup

import (
	"context"
	"sync"
	"time"

	"palabre/internal/metrics"
)

// Cache shares metrics answers between requests, so that a team looking
// at the same dashboard, or a dashboard refreshed, does not count it
// again and again while messages arrive: an answer asked again within
// its time to live is the one already counted (it is at most that old),
// and a question asked while the same one is being counted waits for
// that count. At most a few answers are counted at once, whatever the
// questions, so that dashboards never take every database connection
// from ingest and the live stream. A Cache is safe for concurrent use;
// its zero value is not usable, make one with NewCache.
type Cache struct {
	ttl     time.Duration
	max     int
	counts  chan struct{} // a slot per answer being counted
	mu      sync.Mutex
	entries map[cacheKey]*cacheEntry
}

type cacheKey struct {
	workspace           int64
	from, to, every, by string
}

type cacheEntry struct {
	done chan struct{} // closed once counted
	at   time.Time     // when counted
	a    metrics.Answer
	err  error
}

// NewCache returns a cache keeping answers for ttl, at most size of
// them, with at most counting answers counted at once.
func NewCache(ttl time.Duration, size, counting int) *Cache {
	return &Cache{ttl: ttl, max: size, counts: make(chan struct{}, max(counting, 1)), entries: make(map[cacheKey]*cacheEntry)}
}

// Ask answers q for a workspace as Ask does, from the cache when the same
// question was answered less than the cache's time to live before now.
// Answers are shared: callers must not change them.
func (c *Cache) Ask(ctx context.Context, src Source, workspaceID int64, q metrics.Query, now time.Time) (metrics.Answer, error) {
	key := cacheKey{workspaceID, q.From, q.To, q.Every, q.By}
	c.mu.Lock()
	e, ok := c.entries[key]
	if ok && !c.fresh(e, now) {
		delete(c.entries, key)
		ok = false
	}
	if !ok {
		e = &cacheEntry{done: make(chan struct{})}
		c.evict(now)
		if len(c.entries) < c.max {
			c.entries[key] = e
		}
	}
	c.mu.Unlock()
	if ok {
		select {
		case <-e.done:
			return e.a, e.err
		case <-ctx.Done():
			return metrics.Answer{}, ctx.Err()
		}
	}
	// Whoever asks first counts for all who ask meanwhile: their wait
	// must not end because this caller went away.
	e.a, e.err = c.count(context.WithoutCancel(ctx), src, workspaceID, q, now)
	e.at = now
	if e.err != nil {
		c.mu.Lock()
		if c.entries[key] == e {
			delete(c.entries, key)
		}
		c.mu.Unlock()
	}
	close(e.done)
	return e.a, e.err
}

// count answers q once a counting slot is free.
func (c *Cache) count(ctx context.Context, src Source, workspaceID int64, q metrics.Query, now time.Time) (metrics.Answer, error) {
	c.counts <- struct{}{}
	defer func() { <-c.counts }()
	return Ask(ctx, src, workspaceID, q, now)
}

// fresh reports whether e is being counted, or was counted within the
// time to live before now. The caller holds c.mu.
func (c *Cache) fresh(e *cacheEntry, now time.Time) bool {
	select {
	case <-e.done:
		return now.Sub(e.at) < c.ttl && now.Sub(e.at) >= 0
	default:
		return true
	}
}

// evict forgets the answers no longer fresh when the cache is full. The
// caller holds c.mu.
func (c *Cache) evict(now time.Time) {
	if len(c.entries) < c.max {
		return
	}
	for k, e := range c.entries {
		if !c.fresh(e, now) {
			delete(c.entries, k)
		}
	}
}
