package rollup

import (
	"context"
	"math"
	"sync"
	"time"

	"palabre/internal/metrics"
)

// Cache shares metrics answers between requests, so that a team looking
// at the same dashboard, or a dashboard refreshed, does not count it
// again and again while messages arrive.
//
// An answer is fresh for the cache's time to live, or for CostFactor
// times as long as it took to count when that is longer: a workspace so
// busy that its answer takes seconds to count spends at most a share of
// its time counting it, whoever asks. Asked again when no longer fresh,
// it is answered at once while it is counted again in the background,
// unless it is older than twice its life: a dashboard looked at all day
// sees numbers at most a few seconds old without waiting for them, one
// opened in the morning is counted before it is answered. A question
// asked while the same one is first counted waits for that count.
//
// At most a few answers are counted at once, whatever the questions, so
// that dashboards never take every database connection from ingest and
// the live stream. A Cache is safe for concurrent use; its zero value is
// not usable, make one with NewCache.
type Cache struct {
	ttl     time.Duration
	max     int
	counts  chan struct{} // a slot per answer being counted
	mu      sync.Mutex
	entries map[cacheKey]*cacheEntry
	wg      sync.WaitGroup // the counts in the background
}

// CostFactor is how many times its counting time an answer stays fresh
// at least.
const CostFactor = 4

type cacheKey struct {
	workspace           int64
	from, to, every, by string
}

type cacheEntry struct {
	done chan struct{} // closed once counted
	at   time.Time     // when counted
	life time.Duration // how long it is fresh
	a    metrics.Answer
	err  error
	// again is set while the answer is counted again in the background.
	again bool
}

// NewCache returns a cache keeping answers for ttl at least, at most
// size of them, with at most counting answers counted at once.
func NewCache(ttl time.Duration, size, counting int) *Cache {
	return &Cache{ttl: ttl, max: size, counts: make(chan struct{}, max(counting, 1)), entries: make(map[cacheKey]*cacheEntry)}
}

// Ask answers q for a workspace as Ask does, from the cache when the same
// question was answered recently enough before now (see Cache). Answers
// are shared: callers must not change them.
func (c *Cache) Ask(ctx context.Context, src Source, workspaceID int64, q metrics.Query, now time.Time) (metrics.Answer, error) {
	key := cacheKey{workspaceID, q.From, q.To, q.Every, q.By}
	c.mu.Lock()
	e, ok := c.entries[key]
	if ok {
		switch age := c.age(e, now); {
		case age < 0: // being counted
		case age < e.life:
		case age/2 < e.life && !e.again:
			e.again = true
			c.wg.Go(func() { c.again(src, workspaceID, q, key, e, now) })
		case age/2 < e.life: // counted again already
		default:
			delete(c.entries, key)
			ok = false
		}
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
	a, life, err := c.count(context.WithoutCancel(ctx), src, workspaceID, q, now)
	e.a, e.err, e.at, e.life = a, err, now, life
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

// again counts the answer of old again, and keeps it in its place unless
// it failed (the old one is answered until it is too old) or the place
// was taken meanwhile.
func (c *Cache) again(src Source, workspaceID int64, q metrics.Query, key cacheKey, old *cacheEntry, now time.Time) {
	a, life, err := c.count(context.Background(), src, workspaceID, q, now)
	c.mu.Lock()
	defer c.mu.Unlock()
	old.again = false
	if err != nil || c.entries[key] != old {
		return
	}
	done := make(chan struct{})
	close(done)
	c.entries[key] = &cacheEntry{done: done, at: now, life: life, a: a}
}

// count answers q once a counting slot is free, and says for how long
// the answer is fresh.
func (c *Cache) count(ctx context.Context, src Source, workspaceID int64, q metrics.Query, now time.Time) (metrics.Answer, time.Duration, error) {
	c.counts <- struct{}{}
	defer func() { <-c.counts }()
	t0 := time.Now()
	a, err := Ask(ctx, src, workspaceID, q, now)
	return a, max(c.ttl, CostFactor*time.Since(t0)), err
}

// Wait waits for the answers being counted again in the background.
func (c *Cache) Wait() { c.wg.Wait() }

// age is how long before now e was counted, or -1 while it is being
// counted; an answer counted after now is too old for it. The caller
// holds c.mu.
func (c *Cache) age(e *cacheEntry, now time.Time) time.Duration {
	select {
	case <-e.done:
		if now.Before(e.at) {
			return math.MaxInt64
		}
		return now.Sub(e.at)
	default:
		return -1
	}
}

// evict forgets the answers no longer fresh when the cache is full. The
// caller holds c.mu.
func (c *Cache) evict(now time.Time) {
	if len(c.entries) < c.max {
		return
	}
	for k, e := range c.entries {
		if age := c.age(e, now); age >= 0 && age >= e.life && !e.again { // life is read once counted
			delete(c.entries, k)
		}
	}
}
