package live

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"palabre/internal/model"
)

// startHub runs a hub on src until the test ends and waits until it has
// read its start position.
func startHub(t testing.TB, src Source, opts HubOptions) *Hub {
	t.Helper()
	h := NewHub(src, nil, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	})
	select {
	case <-h.ready:
	case err := <-done:
		t.Fatalf("Run ended early: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("hub did not start")
	}
	return h
}

// receive reads n events from s, failing after timeout.
func receive(t *testing.T, s *Subscription, n int, timeout time.Duration) []model.Event {
	t.Helper()
	deadline := time.After(timeout)
	var out []model.Event
	for len(out) < n {
		select {
		case e, ok := <-s.C():
			if !ok {
				t.Fatalf("subscription ended after %d of %d events: %v", len(out), n, s.Err())
			}
			out = append(out, e)
		case <-deadline:
			t.Fatalf("got %d of %d events in %v: %v", len(out), n, timeout, ids(out))
		}
	}
	return out
}

// expectNothing fails if s delivers an event within d.
func expectNothing(t *testing.T, s *Subscription, d time.Duration) {
	t.Helper()
	select {
	case e, ok := <-s.C():
		if ok {
			t.Fatalf("unexpected event %d", e.ID)
		}
	case <-time.After(d):
	}
}

func ids(es []model.Event) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func idRange(lo, hi int64) []int64 {
	var out []int64
	for id := lo; id <= hi; id++ {
		out = append(out, id)
	}
	return out
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// settled reports whether h has read up to last and waits for no id.
func settled(h *Hub, last int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last == last && len(h.gaps.noticed) == 0
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestFanOutWithFilter(t *testing.T) {
	t.Parallel()
	src := &memSource{}
	src.commit(idRange(1, 5)...) // history: not replayed to subscribers
	h := startHub(t, src, HubOptions{Poll: time.Hour})

	const nSubs = 60
	subs := make([]*Subscription, nSubs)
	for i := range subs {
		ws := int64(i % 3)
		subs[i] = h.Subscribe(func(e model.Event) bool { return e.WorkspaceID == ws })
		defer subs[i].Close()
	}
	all := h.Subscribe(nil)
	defer all.Close()

	src.commit(idRange(6, 35)...)
	h.Wake()

	if got := ids(receive(t, all, 30, 5*time.Second)); !equalIDs(got, idRange(6, 35)) {
		t.Fatalf("unfiltered subscriber got %v", got)
	}
	for i, s := range subs {
		var want []int64
		for id := int64(6); id <= 35; id++ {
			if id%3 == int64(i%3) {
				want = append(want, id)
			}
		}
		if got := ids(receive(t, s, len(want), 5*time.Second)); !equalIDs(got, want) {
			t.Fatalf("subscriber %d (workspace %d) got %v, want %v", i, i%3, got, want)
		}
		expectNothing(t, s, 0)
	}
}

func TestSlowSubscriberIsDropped(t *testing.T) {
	t.Parallel()
	src := &memSource{}
	h := startHub(t, src, HubOptions{Poll: time.Hour, Buffer: 4})
	slow := h.Subscribe(nil)
	fast := h.Subscribe(nil)
	defer fast.Close()

	// The fast subscriber reads each event before the next is committed;
	// the slow one never reads.
	for id := int64(1); id <= 40; id++ {
		src.commit(id)
		h.Wake()
		if got := ids(receive(t, fast, 1, 5*time.Second)); !equalIDs(got, []int64{id}) {
			t.Fatalf("fast subscriber got %v, want [%d]", got, id)
		}
	}

	select {
	case <-slow.Dropped():
	case <-time.After(5 * time.Second):
		t.Fatal("slow subscriber not dropped")
	}
	if !errors.Is(slow.Err(), ErrSlowSubscriber) {
		t.Fatalf("slow subscriber Err = %v, want ErrSlowSubscriber", slow.Err())
	}
	var buffered []int64
	for e := range slow.C() { // closed after its buffer
		buffered = append(buffered, e.ID)
	}
	if !equalIDs(buffered, idRange(1, 4)) {
		t.Fatalf("slow subscriber kept %v, want its 4 first events", buffered)
	}
	if fast.Err() != nil {
		t.Fatalf("fast subscriber ended: %v", fast.Err())
	}
}

func TestLateEventIsPublished(t *testing.T) {
	t.Parallel()
	src := &memSource{}
	src.commit(idRange(1, 9)...)
	h := startHub(t, src, HubOptions{Poll: time.Hour, GapWait: time.Minute})
	s := h.Subscribe(nil)
	defer s.Close()

	src.commit(11, 13) // 10 and 12 still in flight
	h.Wake()
	if got := ids(receive(t, s, 2, 5*time.Second)); !equalIDs(got, []int64{11, 13}) {
		t.Fatalf("got %v, want [11 13]", got)
	}
	src.commit(12)
	h.Wake()
	if got := ids(receive(t, s, 1, 5*time.Second)); !equalIDs(got, []int64{12}) {
		t.Fatalf("got %v, want the late 12", got)
	}
	src.commit(10, 14)
	h.Wake()
	if got := ids(receive(t, s, 2, 5*time.Second)); !equalIDs(got, []int64{10, 14}) {
		t.Fatalf("got %v, want the late 10 then 14", got)
	}
	waitFor(t, "no more gaps", 5*time.Second, func() bool { return settled(h, 14) })
	h.Wake()
	expectNothing(t, s, 50*time.Millisecond)
}

func TestRolledBackIDIsForgotten(t *testing.T) {
	t.Parallel()
	src := &memSource{}
	src.commit(idRange(1, 9)...)
	h := startHub(t, src, HubOptions{Poll: 5 * time.Millisecond, GapWait: 50 * time.Millisecond})
	s := h.Subscribe(nil)
	defer s.Close()

	start := time.Now()
	src.commit(11)
	h.Wake()
	if got := ids(receive(t, s, 1, 5*time.Second)); !equalIDs(got, []int64{11}) {
		t.Fatalf("got %v, want [11]", got)
	}
	h.mu.Lock()
	_, waiting := h.gaps.noticed[10]
	h.mu.Unlock()
	if !waiting {
		t.Fatal("hub does not wait for id 10")
	}
	waitFor(t, "id 10 forgotten", 5*time.Second, func() bool { return settled(h, 11) })
	if waited := time.Since(start); waited < 50*time.Millisecond {
		t.Fatalf("forgot id 10 after %v, before GapWait", waited)
	}
	src.commit(10) // far too late: no longer published
	expectNothing(t, s, 60*time.Millisecond)
}

func TestGapSetIsBounded(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	g := newGapSet(100)
	g.addRange(1, 1000, now) // a huge rolled-back import
	snap := g.snapshot()
	if len(snap) != 100 || snap[0] != 901 || snap[99] != 1000 {
		t.Fatalf("kept %d ids from %v, want the 100 newest", len(snap), snap[:min(3, len(snap))])
	}
	g.addRange(1002, 1011, now.Add(time.Second))
	snap2 := g.snapshot()
	if len(snap2) != 100 || snap2[0] != 911 || snap2[99] != 1011 {
		t.Fatalf("after 10 more: %d ids, first %d last %d", len(snap2), snap2[0], snap2[len(snap2)-1])
	}
	if snap[0] != 901 || len(snap) != 100 {
		t.Fatal("an earlier snapshot changed")
	}
	g.remove(950)
	if n := g.expire(now.Add(time.Millisecond)); n != 89 { // 911..1000 but 950
		t.Fatalf("expired %d ids, want 89", n)
	}
	if got := g.snapshot(); !equalIDs(got, idRange(1002, 1011)) {
		t.Fatalf("left %v", got)
	}
	if len(g.queue) > 2*len(g.noticed)+1 {
		t.Fatalf("queue of %d for %d ids: not compacted", len(g.queue), len(g.noticed))
	}
}

func TestWakeBeatsPoll(t *testing.T) {
	t.Parallel()
	src := &memSource{}
	h := startHub(t, src, HubOptions{Poll: time.Hour})
	s := h.Subscribe(nil)
	defer s.Close()
	for id := int64(1); id <= 3; id++ {
		src.commit(id)
		h.Wake()
		h.Wake() // merged, never blocks
		if got := ids(receive(t, s, 1, 5*time.Second)); !equalIDs(got, []int64{id}) {
			t.Fatalf("got %v, want [%d]", got, id)
		}
	}
}

func TestPollWithoutWake(t *testing.T) {
	t.Parallel()
	src := &memSource{}
	h := startHub(t, src, HubOptions{Poll: 10 * time.Millisecond})
	s := h.Subscribe(nil)
	defer s.Close()
	src.commit(1, 2)
	if got := ids(receive(t, s, 2, 5*time.Second)); !equalIDs(got, []int64{1, 2}) {
		t.Fatalf("got %v", got)
	}
}

func TestSourceErrorsAreRetried(t *testing.T) {
	t.Parallel()
	src := &memSource{}
	h := startHub(t, src, HubOptions{Poll: time.Hour})
	s := h.Subscribe(nil)
	defer s.Close()
	src.mu.Lock()
	src.fail = errBroken
	src.mu.Unlock()
	src.commit(1)
	h.Wake()
	waitFor(t, "a failed read", 5*time.Second, func() bool {
		src.mu.Lock()
		defer src.mu.Unlock()
		return src.calls > 0
	})
	src.mu.Lock()
	src.fail = nil
	src.mu.Unlock()
	h.Wake()
	if got := ids(receive(t, s, 1, 5*time.Second)); !equalIDs(got, []int64{1}) {
		t.Fatalf("got %v", got)
	}
}

func TestRunFailsWithoutStart(t *testing.T) {
	t.Parallel()
	src := &memSource{fail: errBroken}
	h := NewHub(src, nil, HubOptions{})
	s := h.Subscribe(nil)
	if err := h.Run(context.Background()); !errors.Is(err, errBroken) {
		t.Fatalf("Run = %v, want the source's error", err)
	}
	if !errors.Is(s.Err(), ErrHubStopped) {
		t.Fatalf("subscription Err = %v, want ErrHubStopped", s.Err())
	}
	if err := h.Run(context.Background()); err == nil {
		t.Fatal("second Run succeeded")
	}
}

func TestStopEndsSubscriptions(t *testing.T) {
	t.Parallel()
	h := NewHub(&memSource{}, nil, HubOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	s := h.Subscribe(nil)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	<-s.Dropped()
	if _, ok := <-s.C(); ok {
		t.Fatal("C not closed")
	}
	if !errors.Is(s.Err(), ErrHubStopped) {
		t.Fatalf("Err = %v", s.Err())
	}
	late := h.Subscribe(nil)
	if _, ok := <-late.C(); ok || !errors.Is(late.Err(), ErrHubStopped) {
		t.Fatalf("subscription after stop: open=%v err=%v", ok, late.Err())
	}
	late.Close() // harmless
}

func TestCloseIsNotADrop(t *testing.T) {
	t.Parallel()
	h := startHub(t, &memSource{}, HubOptions{Poll: time.Hour})
	s := h.Subscribe(nil)
	s.Close()
	s.Close()
	if _, ok := <-s.C(); ok {
		t.Fatal("C not closed")
	}
	select {
	case <-s.Dropped():
		t.Fatal("Dropped closed by Close")
	default:
	}
	if s.Err() != nil {
		t.Fatalf("Err = %v", s.Err())
	}
	h.PublishEphemeral(model.Event{Action: "presence"}) // no send on a closed channel
}

func TestPublishEphemeral(t *testing.T) {
	t.Parallel()
	h := startHub(t, &memSource{}, HubOptions{Poll: time.Hour})
	ws1 := h.Subscribe(func(e model.Event) bool { return e.WorkspaceID == 1 })
	defer ws1.Close()
	ws2 := h.Subscribe(func(e model.Event) bool { return e.WorkspaceID == 2 })
	defer ws2.Close()
	h.PublishEphemeral(model.Event{ID: 77, WorkspaceID: 1, Actor: "ana", Action: ActionPresence, Detail: StateTyping})
	got := receive(t, ws1, 1, time.Second)[0]
	if got.ID != 0 || got.Actor != "ana" || got.Detail != StateTyping {
		t.Fatalf("got %+v, want ana typing with ID 0", got)
	}
	expectNothing(t, ws2, 20*time.Millisecond)
}

func TestReplayFilterAndBounds(t *testing.T) {
	t.Parallel()
	src := &memSource{}
	src.commit(idRange(1, MaxReplay+20)...)
	h := startHub(t, src, HubOptions{Poll: time.Hour})
	s := h.Subscribe(func(e model.Event) bool { return e.WorkspaceID == 0 })
	defer s.Close()

	calls := 0
	_, err := s.Replay(context.Background(), 1, func(model.Event) error { calls++; return nil })
	if !errors.Is(err, ErrTooFarBehind) || calls != 0 {
		t.Fatalf("Replay from 1 = %v after %d events, want ErrTooFarBehind before any", err, calls)
	}

	var got []int64
	last, err := s.Replay(context.Background(), 20, func(e model.Event) error { got = append(got, e.ID); return nil })
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for id := int64(21); id <= MaxReplay+20; id++ {
		if id%3 == 0 {
			want = append(want, id)
		}
	}
	if last != MaxReplay+20 || !equalIDs(got, want) {
		t.Fatalf("Replay = %d with %d events, want %d with %d", last, len(got), MaxReplay+20, len(want))
	}

	for _, after := range []int64{0, MaxReplay + 20, MaxReplay + 50} {
		last, err := s.Replay(context.Background(), after, func(e model.Event) error {
			t.Fatalf("replayed %d after %d", e.ID, after)
			return nil
		})
		if err != nil || last != max(after, MaxReplay+20) {
			t.Fatalf("Replay(%d) = %d, %v", after, last, err)
		}
	}

	stop := errors.New("client gone")
	if _, err := s.Replay(context.Background(), MaxReplay, func(model.Event) error { return stop }); !errors.Is(err, stop) {
		t.Fatalf("Replay = %v, want fn's error", err)
	}
}

func TestReplayWaitsForStart(t *testing.T) {
	t.Parallel()
	src := &memSource{}
	src.commit(idRange(1, 10)...)
	h := NewHub(src, nil, HubOptions{Poll: time.Hour})
	s := h.Subscribe(nil) // before Run
	defer s.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.Replay(ctx, 5, func(model.Event) error { return nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Replay before start = %v, want the context's error", err)
	}

	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(runCtx) }()
	defer func() { stop(); <-done }()

	var got []int64
	last, err := s.Replay(context.Background(), 5, func(e model.Event) error { got = append(got, e.ID); return nil })
	if err != nil || last != 10 || !equalIDs(got, idRange(6, 10)) {
		t.Fatalf("Replay = %d %v, %v", last, got, err)
	}
	src.commit(11)
	h.Wake()
	if live := ids(receive(t, s, 1, 5*time.Second)); !equalIDs(live, []int64{11}) {
		t.Fatalf("live %v", live)
	}
}

// TestReplayHandOver resumes clients at random moments while events are
// committed, some out of order: each client must get every event after its
// Last-Event-ID exactly once, in order except for late ones.
func TestReplayHandOver(t *testing.T) {
	t.Parallel()
	for _, shuffled := range []bool{false, true} {
		t.Run(fmt.Sprintf("out_of_order=%v", shuffled), func(t *testing.T) {
			t.Parallel()
			testReplayHandOver(t, shuffled)
		})
	}
}

func testReplayHandOver(t *testing.T, outOfOrder bool) {
	const total = 3000
	src := &memSource{}
	src.commit(idRange(1, 100)...)
	h := startHub(t, src, HubOptions{Poll: time.Millisecond, Buffer: 2 * total, GapWait: time.Minute})

	var published atomic.Int64
	published.Store(100)
	pubDone := make(chan struct{})
	go func() {
		defer close(pubDone)
		rng := rand.New(rand.NewPCG(1, 2))
		for id := int64(101); id <= total; {
			if outOfOrder && id+1 <= total && rng.IntN(4) == 0 {
				src.commit(id + 1) // id commits later
				h.Wake()
				time.Sleep(50 * time.Microsecond)
				src.commit(id)
				id += 2
			} else {
				src.commit(id)
				id++
			}
			published.Store(id - 1)
			h.Wake()
			if id%10 == 0 {
				time.Sleep(100 * time.Microsecond)
			}
		}
	}()

	type result struct {
		after int64
		got   []int64
		late  int
	}
	const clients = 30
	results := make(chan result, clients)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(c) * 300 * time.Microsecond)
			after := max(1, published.Load()-int64(c*7))
			s := h.Subscribe(nil)
			defer s.Close()
			r := result{after: after}
			if _, err := s.Replay(context.Background(), after, func(e model.Event) error {
				r.got = append(r.got, e.ID)
				return nil
			}); err != nil {
				t.Errorf("client %d: %v", c, err)
				return
			}
			<-pubDone
			deadline := time.After(10 * time.Second)
			for !settled(h, total) {
				select {
				case <-deadline:
					t.Errorf("client %d: hub never settled", c)
					return
				case <-time.After(time.Millisecond):
				}
			}
			for {
				select {
				case e := <-s.C():
					if n := len(r.got); n > 0 && e.ID < r.got[n-1] {
						r.late++
					}
					r.got = append(r.got, e.ID)
					continue
				default:
				}
				break
			}
			results <- r
		}()
	}
	wg.Wait()
	close(results)
	late := 0
	defer func() { t.Logf("%d late deliveries", late) }()
	for r := range results {
		late += r.late
		seen := map[int64]int{}
		for _, id := range r.got {
			seen[id]++
		}
		for id := r.after + 1; id <= total; id++ {
			if seen[id] != 1 {
				t.Fatalf("after %d: event %d delivered %d times", r.after, id, seen[id])
			}
		}
		if want := total - r.after; int64(len(r.got)) != want {
			t.Fatalf("after %d: %d events, want %d", r.after, len(r.got), want)
		}
		if !outOfOrder && r.late > 0 {
			t.Fatalf("after %d: %d events out of order without late commits", r.after, r.late)
		}
	}
}

// BenchmarkFanOut500 measures publishing one event to 500 subscribers, each
// with a filter, while they read.
func BenchmarkFanOut500(b *testing.B) {
	h := NewHub(&memSource{}, nil, HubOptions{Buffer: 1024})
	var wg sync.WaitGroup
	for i := range 500 {
		ws := int64(i % 5)
		s := h.Subscribe(func(e model.Event) bool { return e.WorkspaceID == ws || e.RecipientID == 42 })
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range s.C() {
			}
		}()
	}
	e := model.Event{ID: 1, Actor: "ana", Action: "message.created", WorkspaceID: 1}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		e.ID = int64(i + 1)
		e.WorkspaceID = int64(i % 5)
		h.mu.Lock()
		h.publishLocked(e)
		h.mu.Unlock()
	}
	b.StopTimer()
	h.mu.Lock()
	dropped := 500 - len(h.subs)
	h.mu.Unlock()
	b.ReportMetric(float64(dropped), "dropped")
	h.stop()
	wg.Wait()
}

// TestReplayWithPendingGap pins the hand-over around an id the hub is
// still waiting for when the client subscribes.
func TestReplayWithPendingGap(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		foundFirst bool // the hub publishes 10 before the client subscribes
		wantReplay []int64
		wantLive   []int64
	}{
		{"published live after subscribe", false, []int64{6, 7, 8, 9, 11}, []int64{10}},
		{"published before subscribe", true, []int64{6, 7, 8, 9, 10, 11}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := &memSource{}
			src.commit(idRange(1, 9)...)
			h := startHub(t, src, HubOptions{Poll: time.Hour, GapWait: time.Minute})
			src.commit(11)
			h.Wake()
			waitFor(t, "hub at 11", 5*time.Second, func() bool {
				h.mu.Lock()
				defer h.mu.Unlock()
				return h.last == 11
			})
			src.commit(10) // visible to Replay in both cases
			if tc.foundFirst {
				h.Wake()
				waitFor(t, "10 published", 5*time.Second, func() bool { return settled(h, 11) })
			}
			s := h.Subscribe(nil)
			defer s.Close()
			var replayed []int64
			last, err := s.Replay(context.Background(), 5, func(e model.Event) error {
				replayed = append(replayed, e.ID)
				return nil
			})
			if err != nil || last != 11 || !equalIDs(replayed, tc.wantReplay) {
				t.Fatalf("Replay = %d %v %v, want 11 %v", last, replayed, err, tc.wantReplay)
			}
			h.Wake()
			waitFor(t, "settled", 5*time.Second, func() bool { return settled(h, 11) })
			if got := ids(receive(t, s, len(tc.wantLive), time.Second)); !equalIDs(got, tc.wantLive) {
				t.Fatalf("live %v, want %v", got, tc.wantLive)
			}
			expectNothing(t, s, 20*time.Millisecond)
		})
	}
}

// TestReplayAheadOfHub: a client that got events from another process,
// further ahead, is not sent them again by this one.
func TestReplayAheadOfHub(t *testing.T) {
	t.Parallel()
	src := &memSource{}
	src.commit(idRange(1, 10)...)
	h := startHub(t, src, HubOptions{Poll: time.Hour})
	s := h.Subscribe(nil)
	defer s.Close()
	src.commit(idRange(11, 15)...)
	h.Wake()
	waitFor(t, "hub at 15", 5*time.Second, func() bool { return settled(h, 15) })
	h.PublishEphemeral(model.Event{Actor: "ana", Action: ActionPresence})

	last, err := s.Replay(context.Background(), 13, func(e model.Event) error {
		t.Errorf("replayed %d", e.ID)
		return nil
	})
	if err != nil || last != 13 {
		t.Fatalf("Replay = %d, %v; want 13", last, err)
	}
	if got := ids(receive(t, s, 3, time.Second)); !equalIDs(got, []int64{14, 15, 0}) {
		t.Fatalf("live %v, want [14 15 0]", got)
	}
	src.commit(16)
	h.Wake()
	if got := ids(receive(t, s, 1, 5*time.Second)); !equalIDs(got, []int64{16}) {
		t.Fatalf("live %v, want [16]", got)
	}
}

func TestFrameEncodedOnce(t *testing.T) {
	t.Parallel()
	src := &memSource{}
	h := startHub(t, src, HubOptions{Poll: time.Hour})
	a, b := h.Subscribe(nil), h.Subscribe(nil)
	defer a.Close()
	defer b.Close()
	src.commit(idRange(1, 3)...)
	h.Wake()
	ea := receive(t, a, 3, 5*time.Second)
	eb := receive(t, b, 3, 5*time.Second)
	for i := range ea {
		fa, err := h.Frame(ea[i])
		if err != nil {
			t.Fatal(err)
		}
		fb, _ := h.Frame(eb[i])
		want, _ := EncodeEvent(ea[i])
		if string(fa) != string(want) {
			t.Fatalf("frame %q, want %q", fa, want)
		}
		if &fa[0] != &fb[0] {
			t.Errorf("event %d encoded twice", ea[i].ID)
		}
	}
	// An event the hub never published (a replayed one) is encoded anew.
	old := model.Event{ID: 99, Action: "x"}
	f, err := h.Frame(old)
	if want, _ := EncodeEvent(old); err != nil || string(f) != string(want) {
		t.Fatalf("frame of an unpublished event: %q %v", f, err)
	}
}
