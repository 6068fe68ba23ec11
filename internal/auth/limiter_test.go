package auth

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock tests move by hand; safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func TestLimiterAllowsMaxFailures(t *testing.T) {
	t.Parallel()
	const window = time.Minute
	for _, max := range []int{1, 3, 5} {
		clock := newFakeClock()
		l := NewLimiter(max, window, clock.now)
		for i := range max {
			if ok, retry := l.Allow("login:lea"); !ok || retry != 0 {
				t.Fatalf("max %d: attempt %d refused (retry %v) after %d failures", max, i+1, retry, i)
			}
			l.Fail("login:lea")
			clock.advance(time.Second)
		}
		ok, retry := l.Allow("login:lea")
		// The first failure, max seconds ago, leaves the window first.
		if want := window - time.Duration(max)*time.Second; ok || retry != want {
			t.Errorf("max %d: after %d failures Allow = %v, %v; want false, %v", max, max, ok, retry, want)
		}
		if ok, _ := l.Allow("login:other"); !ok {
			t.Errorf("max %d: another key is refused", max)
		}
	}
}

func TestLimiterWindowSlides(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := NewLimiter(3, 10*time.Minute, clock.now)
	const key = "ip:192.0.2.1"
	start := clock.now()
	// Each step sets the clock to start+at, then fails or checks.
	for i, step := range []struct {
		at    time.Duration
		fail  bool
		ok    bool
		retry time.Duration
	}{
		{at: 0, fail: true},
		{at: time.Minute, fail: true},
		{at: 2 * time.Minute, ok: true},
		{at: 2 * time.Minute, fail: true},
		{at: 2 * time.Minute, ok: false, retry: 8 * time.Minute},
		{at: 10*time.Minute - time.Millisecond, ok: false, retry: time.Millisecond},
		{at: 10 * time.Minute, ok: true}, // the failure at 0 has left
		{at: 10 * time.Minute, fail: true},
		{at: 10 * time.Minute, ok: false, retry: time.Minute}, // until the one at 1 min leaves
		{at: 10 * time.Minute, fail: true},                    // beyond max: the last 3 decide
		{at: 10 * time.Minute, ok: false, retry: 2 * time.Minute},
		{at: 11 * time.Minute, ok: false, retry: time.Minute}, // until the one at 2 min leaves
		{at: 12 * time.Minute, ok: true},                      // that one has left; two remain
		{at: 12 * time.Minute, fail: true},
		{at: 12 * time.Minute, ok: false, retry: 8 * time.Minute}, // until those at 10 min leave
		{at: 20 * time.Minute, ok: true},
		{at: 20 * time.Minute, fail: true},
		{at: 30 * time.Minute, ok: true}, // all gone
	} {
		clock.set(start.Add(step.at))
		if step.fail {
			l.Fail(key)
			continue
		}
		ok, retry := l.Allow(key)
		if ok != step.ok || retry != step.retry {
			t.Errorf("step %d at %v: Allow = %v, %v; want %v, %v", i, step.at, ok, retry, step.ok, step.retry)
		}
	}
	if n := len(l.keys); n != 0 {
		t.Errorf("%d keys kept after every failure expired, want 0", n)
	}
}

func TestLimiterReset(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := NewLimiter(2, time.Hour, clock.now)
	for _, key := range []string{"login:lea", "login:max"} {
		l.Fail(key)
		l.Fail(key)
	}
	l.Reset("login:lea")
	l.Reset("login:nobody")
	if ok, retry := l.Allow("login:lea"); !ok || retry != 0 {
		t.Errorf("after Reset: Allow = %v, %v; want true, 0", ok, retry)
	}
	if ok, _ := l.Allow("login:max"); ok {
		t.Errorf("Reset of one key cleared another")
	}
	l.Fail("login:lea")
	if ok, _ := l.Allow("login:lea"); !ok {
		t.Errorf("failures from before Reset still count")
	}
}

func TestLimiterConcurrent(t *testing.T) {
	t.Parallel()
	const goroutines, each = 50, 20
	clock := newFakeClock()
	l := NewLimiter(goroutines*each, time.Hour, clock.now)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			own := fmt.Sprintf("ip:10.0.0.%d", g)
			for i := range each {
				l.Fail("login:shared")
				if i < each-1 || g > 0 {
					l.Fail("login:almost") // one failure short of max
				}
				l.Allow("login:shared")
				l.Fail(own)
				l.Reset(own)
				clock.advance(time.Millisecond)
			}
		})
	}
	wg.Wait()
	if ok, retry := l.Allow("login:shared"); ok || retry <= 0 {
		t.Errorf("after %d concurrent failures Allow = %v, %v; want refused", goroutines*each, ok, retry)
	}
	if ok, _ := l.Allow("login:almost"); !ok {
		t.Errorf("after %d concurrent failures, one short of max, Allow refused", goroutines*each-1)
	}
	if n := len(l.keys); n != 2 || l.lru.Len() != 2 {
		t.Errorf("%d keys and %d in order after Reset of the others, want 2", n, l.lru.Len())
	}
}

func TestLimiterBoundsKeys(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	l := NewLimiter(3, time.Minute, clock.now)
	for i := range maxLimiterKeys {
		l.Fail(fmt.Sprintf("k%d", i))
	}
	has := func(key string) bool { _, ok := l.keys[key]; return ok }
	size := func() int {
		if len(l.keys) != l.lru.Len() {
			t.Fatalf("%d keys but %d in order", len(l.keys), l.lru.Len())
		}
		return len(l.keys)
	}
	if n := size(); n != maxLimiterKeys {
		t.Fatalf("%d keys after filling, want %d", n, maxLimiterKeys)
	}

	// Full of live keys: a new one pushes out the least recently failed.
	clock.advance(time.Second)
	l.Fail("k0") // k0 failed again, so k1 is now the oldest
	l.Fail("new1")
	if n := size(); n != maxLimiterKeys {
		t.Errorf("%d keys, want the bound %d", n, maxLimiterKeys)
	}
	if !has("new1") || !has("k0") || has("k1") || !has("k2") {
		t.Errorf("after overflow: new1 %v, k0 %v, k1 %v, k2 %v; want true, true, false, true",
			has("new1"), has("k0"), has("k1"), has("k2"))
	}

	// Once they have expired, a new key sweeps them all away.
	clock.advance(2 * time.Minute)
	l.Fail("new2")
	if n := size(); n != 1 || !has("new2") {
		t.Errorf("%d keys after the others expired, want only new2", n)
	}
}

func TestNewLimiterRefusesNonsense(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		max    int
		window time.Duration
	}{{0, time.Minute}, {-1, time.Minute}, {3, 0}, {3, -time.Second}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewLimiter(%d, %v) did not panic", tc.max, tc.window)
				}
			}()
			NewLimiter(tc.max, tc.window, nil)
		}()
	}
}
