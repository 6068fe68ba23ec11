package auth

import (
	"container/list"
	"fmt"
	"sync"
	"time"
)

// maxLimiterKeys bounds a Limiter's memory whatever arrives: at a few
// hundred bytes a key (with a small max), some tens of megabytes.
const maxLimiterKeys = 100_000

// Limiter throttles login attempts: it counts failures per key (say
// "ip:192.0.2.1" or "login:lea") over a sliding window and refuses
// further attempts for a key once it has max failures in the last window.
// Keys are whatever the caller chooses; keep them short (hash a long
// login) since each one is held in memory.
//
// Memory is bounded: at most 100,000 keys are tracked. When a new key
// arrives and the table is full, keys whose failures have all expired
// are swept, and if it is still full the key whose last failure is
// oldest is forgotten. That favours availability over strictness: an
// attacker able to fail from 100,000 distinct keys within one window can
// erase the count of another key, but legitimate users are never locked
// out by a full table. Limiting both by address and by login makes such
// a flood itself hit the address limit.
//
// A Limiter is safe for concurrent use.
type Limiter struct {
	max     int
	window  time.Duration
	now     func() time.Time
	maxKeys int

	mu   sync.Mutex
	keys map[string]*list.Element // of *failures
	lru  *list.List               // *failures, least recently failed first
}

// failures are one key's recent failures, oldest first; never more than
// the Limiter's max, since older ones no longer decide anything.
type failures struct {
	key   string
	times []time.Time
}

// NewLimiter returns a Limiter allowing at most max failures per key in
// any window. now is the clock (nil for time.Now); tests pass a fake one.
// It panics if max or window is not positive, a programming error.
func NewLimiter(max int, window time.Duration, now func() time.Time) *Limiter {
	if max < 1 || window <= 0 {
		panic(fmt.Sprintf("auth: NewLimiter(%d, %v): max and window must be positive", max, window))
	}
	if now == nil {
		now = time.Now
	}
	return &Limiter{
		max:     max,
		window:  window,
		now:     now,
		maxKeys: maxLimiterKeys,
		keys:    make(map[string]*list.Element),
		lru:     list.New(),
	}
}

// Allow reports whether another attempt is allowed for key and, when it is
// not, how long until it will be (always positive). It records nothing:
// call Fail after a failed attempt and Reset after a successful one.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, found := l.keys[key]
	if !found {
		return true, 0
	}
	now := l.now()
	f := e.Value.(*failures)
	f.expire(now, l.window)
	if len(f.times) == 0 {
		l.remove(e)
		return true, 0
	}
	if len(f.times) < l.max {
		return true, 0
	}
	return false, f.times[0].Add(l.window).Sub(now)
}

// Fail records a failed attempt for key now.
func (l *Limiter) Fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// The clock is read under the lock so that each key's times stay in order.
	now := l.now()
	e, found := l.keys[key]
	if found {
		l.lru.MoveToBack(e)
	} else {
		l.makeRoom(now)
		e = l.lru.PushBack(&failures{key: key})
		l.keys[key] = e
	}
	f := e.Value.(*failures)
	f.expire(now, l.window)
	if len(f.times) == l.max {
		copy(f.times, f.times[1:])
		f.times = f.times[:len(f.times)-1]
	}
	f.times = append(f.times, now)
}

// Reset forgets key's failures, after a successful attempt.
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, found := l.keys[key]; found {
		l.remove(e)
	}
}

// makeRoom frees a slot when the table is full. Keys are ordered by last
// failure, so the expired ones are all at the front: sweeping them is
// cheap, and paid for by the Fail calls that filled the table.
func (l *Limiter) makeRoom(now time.Time) {
	if len(l.keys) < l.maxKeys {
		return
	}
	for e := l.lru.Front(); e != nil; e = l.lru.Front() {
		f := e.Value.(*failures)
		f.expire(now, l.window)
		if len(f.times) > 0 {
			break
		}
		l.remove(e)
	}
	if len(l.keys) >= l.maxKeys {
		l.remove(l.lru.Front()) // still full: forget the oldest live key
	}
}

func (l *Limiter) remove(e *list.Element) {
	delete(l.keys, e.Value.(*failures).key)
	l.lru.Remove(e)
}

// expire drops the failures that have left the window ending at now.
func (f *failures) expire(now time.Time, window time.Duration) {
	i := 0
	for i < len(f.times) && !now.Before(f.times[i].Add(window)) {
		i++
	}
	if i > 0 {
		f.times = append(f.times[:0], f.times[i:]...)
	}
}
