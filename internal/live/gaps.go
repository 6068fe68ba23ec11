package live

import "time"

// gapSet holds the ids the hub skipped over because they were not visible
// yet: an id allocated by a transaction still running (it will show up
// late) or rolled back (it never will). Ids are added in ascending order, so
// the queue is ordered both by id and by the time they were noticed.
//
// It is used by the hub goroutine only, under the hub's lock.
type gapSet struct {
	max     int
	noticed map[int64]time.Time
	queue   []int64 // ascending; may hold ids already removed from noticed
	snap    []int64 // sorted copy of the current ids, never modified in place
	dirty   bool    // snap is out of date
}

func newGapSet(max int) *gapSet {
	return &gapSet{max: max, noticed: map[int64]time.Time{}}
}

// addRange remembers the ids from lo to hi inclusive, noticed at now. When
// the set would exceed its bound the oldest ids are forgotten; a range
// larger than the bound keeps only its newest ids.
func (g *gapSet) addRange(lo, hi int64, now time.Time) {
	if hi < lo {
		return
	}
	if hi-lo+1 > int64(g.max) {
		lo = hi - int64(g.max) + 1
	}
	for id := lo; id <= hi; id++ {
		g.noticed[id] = now
		g.queue = append(g.queue, id)
	}
	for len(g.noticed) > g.max {
		g.popFront()
	}
	g.dirty = true
}

// popFront forgets the oldest id still in the set.
func (g *gapSet) popFront() {
	for len(g.queue) > 0 {
		id := g.queue[0]
		g.queue = g.queue[1:]
		if _, ok := g.noticed[id]; ok {
			delete(g.noticed, id)
			return
		}
	}
}

// remove forgets id: it showed up.
func (g *gapSet) remove(id int64) {
	if _, ok := g.noticed[id]; ok {
		delete(g.noticed, id)
		g.dirty = true
	}
}

// expire forgets the ids noticed before deadline and returns how many.
func (g *gapSet) expire(deadline time.Time) int {
	n := 0
	for len(g.queue) > 0 {
		id := g.queue[0]
		at, ok := g.noticed[id]
		if ok && !at.Before(deadline) {
			break
		}
		g.queue = g.queue[1:]
		if ok {
			delete(g.noticed, id)
			n++
		}
	}
	if n > 0 {
		g.dirty = true
	}
	return n
}

// snapshot returns the current ids, ascending, as a slice that is never
// modified afterwards, so subscriptions may keep it without copying.
func (g *gapSet) snapshot() []int64 {
	g.refresh()
	return g.snap
}

// refresh rebuilds snap and compacts the queue after changes.
func (g *gapSet) refresh() {
	if !g.dirty {
		return
	}
	g.dirty = false
	if len(g.noticed) == 0 {
		g.queue, g.snap = nil, nil
		return
	}
	snap := make([]int64, 0, len(g.noticed))
	for _, id := range g.queue {
		if _, ok := g.noticed[id]; ok {
			snap = append(snap, id)
		}
	}
	g.snap = snap
	if len(g.queue) > 2*len(snap) {
		g.queue = append([]int64(nil), snap...)
	}
}
