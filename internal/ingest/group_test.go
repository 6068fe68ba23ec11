package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// groupFixture is a workspace and a channel to write to, and a delivery
// of one message for each call of msg.
func groupFixture(t *testing.T, st *store.Store) (model.Workspace, model.Channel, func(id string) store.Group) {
	t.Helper()
	ctx := context.Background()
	ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "hooks", Name: "Hooks"})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := st.EnsureChannel(ctx, ws.ID, "form", model.SourceWebhook)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	msg := func(id string) store.Group {
		it, err := Prepare(ws.Slug, ch.Name, model.Message{ExternalID: id, CreatedAt: t0, AuthorName: "Ana " + id,
			AuthorEmail: "ana-" + id + "@example.org", Body: "Bonjour " + id})
		if err != nil {
			t.Fatal(err)
		}
		return store.Group{Items: []store.IngestItem{it}, Delivery: &store.Delivery{Key: "key-" + id, Until: time.Now().Add(time.Hour)}}
	}
	return ws, ch, msg
}

// pendingFor is how many deliveries wait for channel id.
func (gr *Grouper) pendingFor(id int64) int {
	gr.mu.Lock()
	defer gr.mu.Unlock()
	if q := gr.queues[id]; q != nil {
		return len(q.pending)
	}
	return 0
}

// TestGrouperSharesTransactions holds the first transaction's commit
// while thirty more deliveries arrive: they are written together, in one
// second transaction, each told its own result, each stored once and
// remembered.
func TestGrouperSharesTransactions(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws, ch, msg := groupFixture(t, st)
		gr := NewGrouper(st)
		var commits atomic.Int32
		gate := make(chan struct{})
		st.OnCommit(func() {
			if commits.Add(1) == 1 {
				<-gate
			}
		})
		defer st.OnCommit(nil)
		const n = 30
		results := make([]store.BatchResult, n+1)
		errs := make([]error, n+1)
		var wg sync.WaitGroup
		write := func(i int) {
			defer wg.Done()
			results[i], errs[i] = gr.Write(ctx, ws, ch, msg(fmt.Sprint("m", i%(n/2+1))))
		}
		wg.Add(1)
		go write(0)
		for i := 0; commits.Load() == 0; i++ {
			if i > 5000 {
				t.Fatal("the first delivery was not committed within 5 s")
			}
			time.Sleep(time.Millisecond)
		}
		for i := 1; i <= n; i++ {
			wg.Add(1)
			go write(i)
		}
		for i := 0; gr.pendingFor(ch.ID) < n; i++ {
			if i > 5000 {
				t.Fatalf("%d of %d deliveries queued within 5 s", gr.pendingFor(ch.ID), n)
			}
			time.Sleep(time.Millisecond)
		}
		close(gate)
		wg.Wait()
		if got := commits.Load(); got != 2 {
			t.Fatalf("%d transactions for %d deliveries arriving together, want 2", got, n+1)
		}
		// Deliveries i and i+16 carry the same message: one inserts it,
		// the other repeats it.
		inserted := map[string]int{}
		for i := range n + 1 {
			if errs[i] != nil {
				t.Fatalf("delivery %d: %v", i, errs[i])
			}
			r := results[i]
			if r.Inserted+r.Duplicates != 1 {
				t.Fatalf("delivery %d: %+v", i, r)
			}
			inserted[fmt.Sprint("m", i%(n/2+1))] += r.Inserted
		}
		for id, k := range inserted {
			if k != 1 {
				t.Errorf("message %s inserted %d times", id, k)
			}
		}
		stats, err := st.WorkspaceStats(ctx, ws.ID)
		if err != nil || stats.Messages != n/2+1 {
			t.Fatalf("stats %+v, %v; want %d messages", stats, err, n/2+1)
		}
		for i := range n/2 + 1 {
			if seen, err := st.SeenDelivery(ctx, ch.ID, fmt.Sprint("key-m", i), time.Now()); err != nil || !seen {
				t.Errorf("delivery key-m%d not remembered: %v %v", i, seen, err)
			}
		}
		if gr.pendingFor(ch.ID) != 0 {
			t.Error("deliveries left waiting")
		}
	})
}

// TestGrouperFailsAlone makes the grouped transaction fail because of one
// delivery: it is written again one delivery at a time, and only that
// one fails.
func TestGrouperFailsAlone(t *testing.T) {
	t.Parallel()
	st := testutil.NewStore(t, store.EngineSQLite)
	ctx := context.Background()
	ws, ch, msg := groupFixture(t, st)
	gr := NewGrouper(st)
	real := gr.writeGroups
	var calls atomic.Int32
	hold := make(chan struct{})
	gr.writeGroups = func(ctx context.Context, ws model.Workspace, ch model.Channel, groups []store.Group) ([]store.BatchResult, error) {
		if calls.Add(1) == 1 {
			<-hold // the first transaction waits for the others to queue
		}
		for _, g := range groups {
			if strings.HasSuffix(g.Items[0].Message.ExternalID, "bad") {
				return nil, errors.New("refused")
			}
		}
		return real(ctx, ws, ch, groups)
	}
	ids := []string{"first", "a", "bad", "b", "c"}
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = gr.Write(ctx, ws, ch, msg(id))
		}()
		if i == 0 {
			for j := 0; calls.Load() == 0; j++ {
				if j > 5000 {
					t.Fatal("no transaction began within 5 s")
				}
				time.Sleep(time.Millisecond)
			}
		}
	}
	for i := 0; gr.pendingFor(ch.ID) < len(ids)-1; i++ {
		if i > 5000 {
			t.Fatal("deliveries not queued within 5 s")
		}
		time.Sleep(time.Millisecond)
	}
	close(hold)
	wg.Wait()
	for i, id := range ids {
		if (errs[i] != nil) != (id == "bad") {
			t.Errorf("delivery %s: %v", id, errs[i])
		}
	}
	// The first alone, the four together (failed), then each of them.
	if got := calls.Load(); got != 6 {
		t.Errorf("%d transactions, want 6", got)
	}
	if stats, err := st.WorkspaceStats(ctx, ws.ID); err != nil || stats.Messages != 4 {
		t.Fatalf("stats %+v, %v; want the 4 good messages", stats, err)
	}
}

// TestGrouperWaitEndsWithContext: a caller whose context ends stops
// waiting; the delivery is written all the same.
func TestGrouperWaitEndsWithContext(t *testing.T) {
	t.Parallel()
	st := testutil.NewStore(t, store.EngineSQLite)
	ws, ch, msg := groupFixture(t, st)
	gr := NewGrouper(st)
	real := gr.writeGroups
	hold := make(chan struct{})
	gr.writeGroups = func(ctx context.Context, ws model.Workspace, ch model.Channel, groups []store.Group) ([]store.BatchResult, error) {
		<-hold
		return real(ctx, ws, ch, groups)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := gr.Write(ctx, ws, ch, msg("late")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Write returned %v, want the context's end", err)
	}
	close(hold)
	for i := 0; ; i++ {
		seen, err := st.SeenDelivery(context.Background(), ch.ID, "key-late", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if seen {
			break
		}
		if i > 5000 {
			t.Fatal("the delivery was not stored within 5 s of its caller leaving")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestGrouperPanicIsAnError: a panic while writing is told to the
// deliveries waiting, and the process goes on.
func TestGrouperPanicIsAnError(t *testing.T) {
	t.Parallel()
	st := testutil.NewStore(t, store.EngineSQLite)
	ws, ch, msg := groupFixture(t, st)
	gr := NewGrouper(st)
	real := gr.writeGroups
	var calls atomic.Int32
	gr.writeGroups = func(ctx context.Context, ws model.Workspace, ch model.Channel, groups []store.Group) ([]store.BatchResult, error) {
		if calls.Add(1) == 1 {
			panic("broken")
		}
		return real(ctx, ws, ch, groups)
	}
	if _, err := gr.Write(context.Background(), ws, ch, msg("p1")); err == nil || !strings.Contains(err.Error(), "panic: broken") {
		t.Fatalf("Write after a panic: %v", err)
	}
	if r, err := gr.Write(context.Background(), ws, ch, msg("p2")); err != nil || r.Inserted != 1 {
		t.Fatalf("the next delivery: %+v %v", r, err)
	}
}
