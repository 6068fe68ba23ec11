package ingest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"palabre/internal/connector"
	"palabre/internal/model"
	"palabre/internal/store"
)

// Group commit: a webhook or a form posts one message a request, many a
// second. Each alone in its own transaction pays the whole of a write —
// looking up the channel's stored messages, members and conversations,
// the commit — for one row. A Grouper writes what arrived for a channel
// while the previous write ran in one transaction, and answers each
// request once its messages are committed: the more arrives, the larger
// the groups, the fewer the transactions.

// MaxGroupMessages bounds the messages of one grouped transaction, so
// that a burst does not hold the database's writer for long.
const MaxGroupMessages = 500

// groupTimeout bounds one grouped transaction: the requests waiting on it
// have their own deadlines, the transaction runs for them all.
const groupTimeout = 30 * time.Second

// Grouper writes small deliveries of messages with others arriving at the
// same time for the same channel. It is safe for concurrent use; its zero
// value is not usable, make one with NewGrouper.
type Grouper struct {
	// writeGroups is the store's Importer.WriteGroups; tests make it fail.
	writeGroups func(ctx context.Context, ws model.Workspace, ch model.Channel, groups []store.Group) ([]store.BatchResult, error)

	mu     sync.Mutex
	queues map[int64]*groupQueue // by channel id, while writes wait or run
}

// groupQueue is a channel's deliveries waiting to be written; one
// goroutine (drain) writes them while there are any.
type groupQueue struct {
	ws      model.Workspace
	ch      model.Channel
	pending []*groupWrite
}

// groupWrite is one delivery waiting for its transaction.
type groupWrite struct {
	group store.Group
	done  chan struct{} // closed once res and err are set
	res   store.BatchResult
	err   error
}

// NewGrouper returns a Grouper writing to st.
func NewGrouper(st *store.Store) *Grouper {
	return &Grouper{queues: make(map[int64]*groupQueue),
		writeGroups: func(ctx context.Context, ws model.Workspace, ch model.Channel, groups []store.Group) ([]store.BatchResult, error) {
			return st.NewImporter(ws, ch).WriteGroups(ctx, groups)
		}}
}

// Items prepares records for a channel of a workspace as Import does,
// analysed by opts.Enrich; each record that cannot be stored is told to
// opts.Bad and left out.
func Items(opts Options, records []connector.Record) []store.IngestItem {
	items := make([]store.IngestItem, 0, len(records))
	for _, rec := range records {
		item, _, err := prepareRecord(opts.Workspace.Slug, opts.Channel, rec)
		if err != nil {
			report(opts.Bad, rec.Pos, err)
			continue
		}
		enrich(opts, &item)
		items = append(items, item)
	}
	return items
}

// Write stores g's messages into channel ch of workspace ws, in a
// transaction shared with the other deliveries for ch that arrived
// meanwhile, and returns once it committed: what it inserted and what it
// repeated. A grouped transaction that fails is made again one delivery
// at a time, so that one that cannot be stored fails alone. When ctx ends
// first Write returns its error, and the delivery may still be stored.
func (gr *Grouper) Write(ctx context.Context, ws model.Workspace, ch model.Channel, g store.Group) (store.BatchResult, error) {
	w := &groupWrite{group: g, done: make(chan struct{})}
	gr.mu.Lock()
	q, running := gr.queues[ch.ID]
	if !running {
		q = &groupQueue{ws: ws, ch: ch}
		gr.queues[ch.ID] = q
	}
	q.pending = append(q.pending, w)
	gr.mu.Unlock()
	if !running {
		go gr.drain(context.WithoutCancel(ctx), q)
	}
	select {
	case <-w.done:
		return w.res, w.err
	case <-ctx.Done():
		return store.BatchResult{}, fmt.Errorf("store a delivery: %w", ctx.Err())
	}
}

// drain writes q's deliveries, as many as fit a transaction at a time,
// until none waits; then it forgets q.
func (gr *Grouper) drain(ctx context.Context, q *groupQueue) {
	for {
		gr.mu.Lock()
		n, size := 0, 0
		for n < len(q.pending) && (n == 0 || size+len(q.pending[n].group.Items) <= MaxGroupMessages) {
			size += len(q.pending[n].group.Items)
			n++
		}
		if n == 0 {
			delete(gr.queues, q.ch.ID)
			gr.mu.Unlock()
			return
		}
		take := q.pending[:n:n]
		q.pending = q.pending[n:]
		gr.mu.Unlock()
		gr.write(ctx, q, take)
	}
}

// write stores take in one transaction, or each alone when that fails,
// then tells each delivery. A panic below is told to them as an error
// rather than ending the process: no request's recovery covers this
// goroutine.
func (gr *Grouper) write(ctx context.Context, q *groupQueue, take []*groupWrite) {
	ctx, cancel := context.WithTimeout(ctx, groupTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			for _, w := range take {
				w.res, w.err = store.BatchResult{}, fmt.Errorf("store %d deliveries into %s/%s: panic: %v", len(take), q.ws.Slug, q.ch.Name, r)
			}
		}
		for _, w := range take {
			close(w.done)
		}
	}()
	groups := make([]store.Group, len(take))
	for i, w := range take {
		groups[i] = w.group
	}
	res, err := gr.writeGroups(ctx, q.ws, q.ch, groups)
	if err != nil && len(take) > 1 {
		for _, w := range take {
			one, err := gr.writeGroups(ctx, q.ws, q.ch, []store.Group{w.group})
			if err == nil {
				w.res = one[0]
			}
			w.err = err
		}
		return
	}
	for i, w := range take {
		if err == nil {
			w.res = res[i]
		}
		w.err = err
	}
}
