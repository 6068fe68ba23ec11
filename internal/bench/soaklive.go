package bench

// The soak's live side: event streams that reconnect as a browser's
// EventSource does, and the ledger that tells which message each event
// announces, so that a delivery is timed from the moment its message was
// sent.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"palabre/internal/store"
)

// ledger reads the events recorded during a phase, as the server's hub
// does, and matches each message.new event to the message that caused it:
// a conversation has one request in flight at most, so its k-th event is
// its k-th message sent. Ids become visible at commit, not in order
// (PostgreSQL), so an id not seen yet is looked for again until it has
// been missing for holeAfter: then it is a hole (a rolled-back id).
type ledger struct {
	st    *store.Store
	start int64 // events up to this id are not the phase's

	sendMu sync.Mutex
	sends  map[string][]int64 // conversation's root → its messages' send times, Unix ns

	mu    sync.RWMutex
	state []int64 // by id-start-1: 0 not read, -1 not a message.new, -2 unmatched, else the send time
	ids   []int64 // the message.new events, as read
	convs []int64 // the conversations seen
	high  int64   // the highest id read

	// The tail's own (poll is not called concurrently).
	pollMu    sync.Mutex
	done      int64 // every id up to done is read, or a hole
	gapSince  map[int64]time.Time
	roots     map[int64]string // conversation id → root external id
	counts    map[int64]int    // conversation id → message.new events read
	unmatched int
}

// holeAfter is how long an id may stay unseen, ids above it being seen,
// before it is taken for a hole.
const holeAfter = 5 * time.Second

const (
	stateOther     = -1
	stateUnmatched = -2
)

func newLedger(st *store.Store, start int64) *ledger {
	return &ledger{st: st, start: start, done: start, high: start, sends: map[string][]int64{},
		gapSince: map[int64]time.Time{}, roots: map[int64]string{}, counts: map[int64]int{}}
}

// sent notes that a message of the conversation root was sent at t.
func (l *ledger) sent(root string, t time.Time) {
	l.sendMu.Lock()
	l.sends[root] = append(l.sends[root], t.UnixNano())
	l.sendMu.Unlock()
}

func (l *ledger) sendTime(root string, k int) int64 {
	l.sendMu.Lock()
	defer l.sendMu.Unlock()
	if k < len(l.sends[root]) {
		return l.sends[root][k]
	}
	return 0
}

// tail polls every period until ctx ends.
func (l *ledger) tail(ctx context.Context, every time.Duration, errs *errorCounts) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := l.poll(ctx); err != nil && ctx.Err() == nil {
				errs.add("ledger: " + err.Error())
			}
		}
	}
}

// poll reads the events after done, notes those not read yet, and moves
// done past what is read and the holes.
func (l *ledger) poll(ctx context.Context) error {
	l.pollMu.Lock()
	defer l.pollMu.Unlock()
	type noted struct {
		id, value, conv int64
		first           bool // the conversation's first event
	}
	var found []noted
	after := l.done
	for {
		page, err := l.st.EventsAfter(ctx, after, 1000)
		if err != nil {
			return err
		}
		for _, e := range page {
			after = e.ID
			if l.read(e.ID) {
				continue
			}
			n := noted{id: e.ID, value: stateOther}
			if e.Action == "message.new" && e.ConversationID != 0 {
				root, ok := l.roots[e.ConversationID]
				if !ok {
					c, err := l.st.Conversation(ctx, e.ConversationID)
					if err != nil {
						return fmt.Errorf("event %d: %w", e.ID, err)
					}
					root = c.RootExternalID
					l.roots[e.ConversationID] = root
				}
				k := l.counts[e.ConversationID]
				l.counts[e.ConversationID]++
				n.conv, n.first = e.ConversationID, k == 0
				if n.value = l.sendTime(root, k); n.value == 0 {
					n.value = stateUnmatched
					l.unmatched++
				}
			}
			found = append(found, n)
		}
		if len(page) < 1000 {
			break
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range found {
		i := int(n.id - l.start - 1)
		for len(l.state) <= i {
			l.state = append(l.state, 0)
		}
		l.state[i] = n.value
		l.high = max(l.high, n.id)
		if n.value != stateOther {
			l.ids = append(l.ids, n.id)
			if n.first {
				l.convs = append(l.convs, n.conv)
			}
		}
	}
	now := time.Now()
	for l.done < l.high {
		i := int(l.done - l.start) // the id done+1
		if l.state[i] == 0 {
			since, ok := l.gapSince[l.done+1]
			if !ok {
				l.gapSince[l.done+1] = now
				break
			}
			if now.Sub(since) < holeAfter {
				break
			}
			delete(l.gapSince, l.done+1)
		}
		l.done++
	}
	return nil
}

// read tells whether the event id was read already.
func (l *ledger) read(id int64) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	i := int(id - l.start - 1)
	return i >= 0 && i < len(l.state) && l.state[i] != 0
}

// lookup returns what the ledger knows of event id: 0 when not read yet,
// stateOther, stateUnmatched or the send time of its message.
func (l *ledger) lookup(id int64) int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	i := int(id - l.start - 1)
	if i < 0 || i >= len(l.state) {
		return 0
	}
	return l.state[i]
}

// highest is the highest event id the ledger has read.
func (l *ledger) highest() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.high
}

// newEvents counts the message.new events read.
func (l *ledger) newEvents() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.ids)
}

// newIDs returns the message.new events read.
func (l *ledger) newIDs() []int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return append([]int64(nil), l.ids...)
}

func (l *ledger) unmatchedEvents() int {
	l.pollMu.Lock()
	defer l.pollMu.Unlock()
	return l.unmatched
}

// conversation picks one of the conversations seen, at random.
func (l *ledger) conversation(rng *rand.Rand) (int64, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if len(l.convs) == 0 {
		return 0, false
	}
	return l.convs[rng.IntN(len(l.convs))], true
}

// soakClient is one event stream, read as a browser's EventSource reads
// it: when the stream ends, it is opened again with Last-Event-ID.
type soakClient struct {
	index      int
	url, token string
	start      int64 // events up to this id are not the phase's
	http       *http.Client
	led        *ledger
	lose       func(client int, id int64) bool
	errs       *errorCounts

	last    int64
	seen    []uint64 // bit i: message.new event start+1+i received
	pending []arrival
	// known is how far the ledger had read when pending was last
	// resolved: it is looked at again only once the ledger read more.
	known      int64
	hist       histogram
	received   atomic.Int64 // distinct message.new events
	duplicates int
	reconnects int
	resets     int
	err        error // the first connection's failure
}

// arrival is a message.new event read before the ledger knew it.
type arrival struct {
	id, at int64 // at: Unix ns
}

// run opens the stream, calls connected once the first one is open (or
// failed), and reads until ctx ends.
func (c *soakClient) run(ctx context.Context, connected func()) {
	first := true
	for ctx.Err() == nil {
		body, err := c.connect(ctx)
		if first {
			first = false
			c.err = err
			connected()
			if err != nil {
				return
			}
		}
		if err != nil {
			if ctx.Err() == nil {
				c.errs.add("stream: open again: " + err.Error())
			}
			select {
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
			continue
		}
		reset := c.read(body)
		body.Close()
		if ctx.Err() != nil {
			return
		}
		c.reconnects++
		if reset {
			// Too far behind to replay: a browser reloads, then follows
			// from now on; what it did not receive is missed.
			c.resets++
			c.last = 0
			c.errs.add("stream: told to reload")
		} else {
			c.errs.add("stream: ended")
		}
	}
}

func (c *soakClient) connect(ctx context.Context) (io.ReadCloser, error) {
	return openEvents(ctx, c.http, c.url, c.token, c.last)
}

// read reads events until the stream ends; it tells whether the server
// said to reload.
func (c *soakClient) read(body io.Reader) bool {
	br := bufio.NewReaderSize(body, 16<<10)
	var id int64
	var action string
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return false
		}
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case len(line) == 0: // the end of an event
			if action == "reset" {
				return true
			}
			if id > 0 {
				c.note(id, action, time.Now())
			}
			id, action = 0, ""
		case bytes.HasPrefix(line, []byte("id: ")):
			id, _ = strconv.ParseInt(string(line[4:]), 10, 64)
		case bytes.HasPrefix(line, []byte("event: ")):
			action = string(line[7:])
		}
	}
}

func (c *soakClient) note(id int64, action string, at time.Time) {
	c.last = max(c.last, id)
	if id <= c.start || action != "message.new" || (c.lose != nil && c.lose(c.index, id)) {
		return
	}
	i := id - c.start - 1
	for int64(len(c.seen))*64 <= i {
		c.seen = append(c.seen, 0)
	}
	if c.seen[i/64]&(1<<(i%64)) != 0 {
		c.duplicates++
		return
	}
	c.seen[i/64] |= 1 << (i % 64)
	c.received.Add(1)
	c.pending = append(c.pending, arrival{id: id, at: at.UnixNano()})
	// Resolving walks every arrival pending: only when the ledger has
	// read more (or this one is known already), else a lagging ledger
	// makes each event cost the stream's whole backlog.
	if h := c.led.highest(); h > c.known || id <= h {
		c.known = h
		c.resolve(false)
	}
}

// resolve times the arrivals the ledger knows by now; at the end (final),
// those it does not know are dropped.
func (c *soakClient) resolve(final bool) {
	kept := c.pending[:0]
	for _, a := range c.pending {
		switch sent := c.led.lookup(a.id); {
		case sent > 0:
			c.hist.add(time.Duration(a.at - sent))
		case sent == 0 && !final:
			kept = append(kept, a)
		}
	}
	c.pending = kept
}

// count counts the events among ids this stream received.
func (c *soakClient) count(ids []int64) int {
	n := 0
	for _, id := range ids {
		i := id - c.start - 1
		if i >= 0 && i/64 < int64(len(c.seen)) && c.seen[i/64]&(1<<(i%64)) != 0 {
			n++
		}
	}
	return n
}
