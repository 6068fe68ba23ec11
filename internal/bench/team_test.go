package bench

import (
	"context"
	"testing"
	"time"

	"palabre/internal/model"
)

// TestRunTeam runs the team benchmark in a tiny configuration and checks
// that it measured what it says, not how fast: every conversation listed,
// routed and announced, each client given each event once, percentiles in
// order.
func TestRunTeam(t *testing.T) {
	forEachDatabase(t, "imports and streams for seconds", func(t *testing.T, db string) {
		opts := TeamOptions{
			DB: db, Dir: t.TempDir(), Seed: 7,
			Inbox:   InboxOptions{Messages: 2000, CMs: 4, Listings: 40, WarmUp: 5},
			Routing: RoutingOptions{Conversations: 300, CMs: 6},
			Live:    LiveOptions{Clients: 12, ConnsPerUser: 4, Rate: 100, Duration: time.Second, Tail: 10 * time.Second},
		}
		res, err := RunTeam(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if res.EngineVersion == "" || res.Machine.Cores == 0 {
			t.Errorf("engine or machine not described: %+v", res)
		}
		checkInbox(t, res.Inbox, opts.Inbox)
		checkRouting(t, res.Routing, opts.Routing)
		checkLive(t, res.Live, opts.Live)
	})
}

func checkLatency(t *testing.T, what string, l Latency, n int) {
	t.Helper()
	if l.N != n || l.P50 <= 0 || l.P50 > l.P95 || l.P95 > l.P99 || l.P99 > l.Max {
		t.Errorf("%s: %+v, want %d ordered measures", what, l, n)
	}
}

func checkInbox(t *testing.T, r *InboxResult, o InboxOptions) {
	t.Helper()
	if r == nil {
		t.Fatal("no inbox result")
	}
	total := 0
	for _, n := range r.Status {
		total += n
	}
	if total != r.Conversations || r.Conversations < o.Messages/maxThread {
		t.Errorf("statuses %v for %d conversations", r.Status, r.Conversations)
	}
	// 40% open, shared among the CMs: each lists a full page or all of its own.
	if r.Status[model.ConvOpen] < r.Conversations*3/10 || r.OpenPerCM < 1 || r.Listed != min(50, r.OpenPerCM) {
		t.Errorf("open %d, fewest a CM %d, listed %d", r.Status[model.ConvOpen], r.OpenPerCM, r.Listed)
	}
	checkLatency(t, "inbox store", r.Store, o.Listings)
	checkLatency(t, "inbox HTTP", r.HTTP, o.Listings)
	if r.Plan == "" {
		t.Error("no query plan")
	}
}

func checkRouting(t *testing.T, r *RoutingResult, o RoutingOptions) {
	t.Helper()
	if r == nil {
		t.Fatal("no routing result")
	}
	if r.Assigned+r.Unassigned != o.Conversations || r.Assigned == 0 || r.Rate <= 0 {
		t.Errorf("routing: %+v", r)
	}
	if r.MostPerCM < r.FewestPerCM || r.MostPerCM*o.CMs < r.Assigned {
		t.Errorf("load per CM %d–%d for %d assigned", r.FewestPerCM, r.MostPerCM, r.Assigned)
	}
}

func checkLive(t *testing.T, r *LiveResult, o LiveOptions) {
	t.Helper()
	if r == nil {
		t.Fatal("no live result")
	}
	want := o.Rate * int(o.Duration/time.Second)
	if r.Messages != want || r.Batches != int(o.Duration/(100*time.Millisecond)) || r.NewConversations == 0 {
		t.Errorf("stored %d messages in %d batches (%d new conversations), want %d", r.Messages, r.Batches, r.NewConversations, want)
	}
	// One event per conversation a batch touched.
	if r.Events < r.NewConversations || r.Events > r.Messages || r.Expected != r.Events*o.Clients {
		t.Errorf("%d events, %d deliveries due", r.Events, r.Expected)
	}
	if r.Delivered != r.Expected || r.Duplicates != 0 {
		t.Errorf("delivered %d of %d (%d duplicates)", r.Delivered, r.Expected, r.Duplicates)
	}
	checkLatency(t, "live delay", r.Delay, r.Delivered)
	checkLatency(t, "live batches", r.Batch, r.Batches)
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := summarize(ds)
	want := Latency{N: 100, P50: 50, P95: 95, P99: 99, Max: 100}
	if got != want {
		t.Errorf("summarize = %+v, want %+v", got, want)
	}
	if got := summarize(nil); got != (Latency{}) {
		t.Errorf("summarize(nil) = %+v", got)
	}
}
