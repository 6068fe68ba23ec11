package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"palabre/internal/fetch"
	"palabre/internal/testclock"
)

func newClock() *testclock.Clock { return testclock.New(time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)) }

// row is a delivery as the fake store keeps it.
type row struct {
	d           Delivery
	state       string // pending, delivered or failed
	next        time.Time
	lockedUntil time.Time
	lastStatus  int
	lastErr     string
	deliveredAt time.Time
}

// memStore is an in-memory Store.
type memStore struct {
	mu        sync.Mutex
	rows      map[int64]*row
	leases    []time.Duration
	claimErr  error
	recordErr error
}

func newStore(ds ...Delivery) *memStore {
	s := &memStore{rows: map[int64]*row{}}
	for _, d := range ds {
		s.rows[d.ID] = &row{d: d, state: "pending"}
	}
	return s
}

func (s *memStore) ClaimDeliveries(_ context.Context, now time.Time, limit int, lease time.Duration) ([]Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.claimErr != nil {
		return nil, s.claimErr
	}
	s.leases = append(s.leases, lease)
	var ids []int64
	for id, r := range s.rows {
		if r.state == "pending" && !r.next.After(now) && !r.lockedUntil.After(now) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var out []Delivery
	for _, id := range ids[:min(limit, len(ids))] {
		r := s.rows[id]
		r.lockedUntil = now.Add(lease)
		out = append(out, r.d)
	}
	return out, nil
}

func (s *memStore) DeliverySucceeded(_ context.Context, id int64, status int, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.recordErr != nil {
		return s.recordErr
	}
	r := s.rows[id]
	r.d.Attempts++
	r.state, r.lastStatus, r.deliveredAt, r.lockedUntil = "delivered", status, at, time.Time{}
	return nil
}

func (s *memStore) DeliveryFailed(_ context.Context, id int64, status int, errMsg string, next time.Time, giveUp bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.recordErr != nil {
		return s.recordErr
	}
	r := s.rows[id]
	r.d.Attempts++
	r.lastStatus, r.lastErr, r.next, r.lockedUntil = status, errMsg, next, time.Time{}
	if giveUp {
		r.state = "failed"
	}
	return nil
}

// get returns a copy of a delivery's row.
func (s *memStore) get(id int64) row {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.rows[id]
}

func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// deliverer returns a Deliverer on s and c allowed to reach the test
// servers on 127.0.0.1.
func deliverer(s Store, c *testclock.Clock) *Deliverer {
	return &Deliverer{Store: s, Client: fetch.NewHTTPClient(true, 5*time.Second), Now: c.Now}
}

func delivery(id int64, url string) Delivery {
	return Delivery{
		ID: id, WebhookID: 3, URL: url, Secret: "whsec_test", EventID: 100 + id,
		Action: "conversation.assigned", Payload: []byte(fmt.Sprintf(`{"event_id":%d}`, 100+id)),
	}
}

func runOnce(t *testing.T, d *Deliverer, want int) {
	t.Helper()
	n, err := d.RunOnce(context.Background())
	if err != nil || n != want {
		t.Fatalf("RunOnce = %d, %v; want %d, nil", n, err, want)
	}
}

func TestDeliverSuccess(t *testing.T) {
	t.Parallel()
	clk := newClock()
	type seen struct {
		method, contentType, agent, event, id, body string
		verify                                      error
	}
	got := make(chan seen, 10)
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- seen{
			method: r.Method, contentType: r.Header.Get("Content-Type"), agent: r.UserAgent(),
			event: r.Header.Get(EventHeader), id: r.Header.Get(DeliveryHeader), body: string(body),
			verify: Verify([]byte("whsec_test"), r.Header.Get(SignatureHeader), body, clk.Now(), time.Minute),
		}
		w.WriteHeader(http.StatusNoContent)
	})
	st := newStore(delivery(7, srv.URL+"/hooks/palabre"))
	d := deliverer(st, clk)
	runOnce(t, d, 1)

	r := <-got
	want := seen{http.MethodPost, "application/json", UserAgent, "conversation.assigned", "7", `{"event_id":107}`, nil}
	if r != want {
		t.Errorf("receiver saw %+v\nwant %+v", r, want)
	}
	row := st.get(7)
	if row.state != "delivered" || row.lastStatus != http.StatusNoContent || !row.deliveredAt.Equal(clk.Now()) || row.d.Attempts != 1 {
		t.Errorf("row = %+v, want delivered with 204 at %v after 1 attempt", row, clk.Now())
	}
	runOnce(t, d, 0) // nothing left
	if len(got) != 0 {
		t.Errorf("receiver called again")
	}
	rounds := (BatchSize + Parallelism - 1) / Parallelism
	if st.leases[0] != time.Duration(rounds+1)*DefaultTimeout {
		t.Errorf("lease %v, want %v", st.leases[0], time.Duration(rounds+1)*DefaultTimeout)
	}
}

func TestRetryScheduleAndGiveUp(t *testing.T) {
	t.Parallel()
	clk := newClock()
	var hits atomic.Int32
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	st := newStore(delivery(1, srv.URL))
	d := deliverer(st, clk)
	due := clk.Now()
	for attempt := 1; attempt <= MaxAttempts; attempt++ {
		if attempt > 1 {
			clk.Set(due.Add(-time.Second))
			runOnce(t, d, 0) // not due yet
			clk.Set(due)
		}
		runOnce(t, d, 1)
		row := st.get(1)
		if row.d.Attempts != attempt || row.lastStatus != 500 || row.lastErr != "receiver answered 500 Internal Server Error" {
			t.Fatalf("after attempt %d: row %+v", attempt, row)
		}
		if want := due.Add(Backoff(attempt)); !row.next.Equal(want) {
			t.Fatalf("after attempt %d: next %v, want %v (Backoff %v)", attempt, row.next, want, Backoff(attempt))
		}
		wantState := "pending"
		if attempt == MaxAttempts {
			wantState = "failed"
		}
		if row.state != wantState {
			t.Fatalf("after attempt %d: state %s, want %s", attempt, row.state, wantState)
		}
		due = row.next
	}
	clk.Set(due.Add(24 * time.Hour))
	runOnce(t, d, 0) // given up: never claimed again
	if hits.Load() != MaxAttempts {
		t.Errorf("receiver called %d times, want %d", hits.Load(), MaxAttempts)
	}
}

func TestRetryThenSuccess(t *testing.T) {
	t.Parallel()
	clk := newClock()
	var hits atomic.Int32
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	dl := delivery(1, srv.URL)
	dl.Attempts = 4 // a delivery already tried four times
	st := newStore(dl)
	d := deliverer(st, clk)
	start := clk.Now()
	runOnce(t, d, 1)
	row := st.get(1)
	if row.state != "pending" || !row.next.Equal(start.Add(Backoff(5))) || row.lastStatus != 503 {
		t.Fatalf("after the 503: %+v, want pending until %v", row, start.Add(Backoff(5)))
	}
	clk.Set(row.next)
	runOnce(t, d, 1)
	if row := st.get(1); row.state != "delivered" || row.lastStatus != 200 || row.d.Attempts != 6 {
		t.Errorf("after the 200: %+v", row)
	}
}

func TestGiveUpAtLastAttempt(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) })
	early, last := delivery(1, srv.URL), delivery(2, srv.URL)
	early.Attempts, last.Attempts = MaxAttempts-2, MaxAttempts-1
	st := newStore(early, last)
	runOnce(t, deliverer(st, clk), 2)
	if r := st.get(1); r.state != "pending" {
		t.Errorf("attempt %d of %d: state %s, want pending", MaxAttempts-1, MaxAttempts, r.state)
	}
	if r := st.get(2); r.state != "failed" || r.lastErr != "receiver answered 410 Gone" {
		t.Errorf("attempt %d of %d: %+v, want failed", MaxAttempts, MaxAttempts, r)
	}
}

func TestRedirectIsFailure(t *testing.T) {
	t.Parallel()
	clk := newClock()
	var followed atomic.Int32
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/new" {
			followed.Add(1)
			return
		}
		http.Redirect(w, r, "/new", http.StatusMovedPermanently)
	})
	st := newStore(delivery(1, srv.URL+"/old"))
	runOnce(t, deliverer(st, clk), 1)
	row := st.get(1)
	if row.state != "pending" || row.lastStatus != 301 || !strings.Contains(row.lastErr, "redirects are not followed") ||
		!strings.Contains(row.lastErr, `"/new"`) {
		t.Errorf("row %+v, want a failure naming the redirect", row)
	}
	if followed.Load() != 0 {
		t.Errorf("redirect was followed")
	}
}

func TestTimeoutPerAttempt(t *testing.T) {
	t.Parallel()
	clk := newClock()
	release := make(chan struct{})
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		// Reading the body lets the server notice the client hanging up.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) }) // runs before srv.Close
	st := newStore(delivery(1, srv.URL))
	d := deliverer(st, clk)
	d.Timeout = 200 * time.Millisecond
	start := time.Now()
	runOnce(t, d, 1)
	if elapsed := time.Since(start); elapsed < 200*time.Millisecond || elapsed > 5*time.Second {
		t.Errorf("RunOnce took %v, want about the 200ms timeout", elapsed)
	}
	row := st.get(1)
	if row.lastStatus != 0 || row.lastErr != "no answer within 200ms" || !row.next.Equal(clk.Now().Add(Backoff(1))) {
		t.Errorf("row %+v, want a timeout failure retried in %v", row, Backoff(1))
	}
	if want := time.Duration((BatchSize+Parallelism-1)/Parallelism+1) * 200 * time.Millisecond; st.leases[0] != want {
		t.Errorf("lease %v, want %v", st.leases[0], want)
	}
}

func TestLoopbackRefusedByDefault(t *testing.T) {
	t.Parallel()
	clk := newClock()
	var hits atomic.Int32
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	st := newStore(delivery(1, srv.URL))
	d := &Deliverer{Store: st, Now: clk.Now} // no Client: the guarded default
	runOnce(t, d, 1)
	row := st.get(1)
	if row.state != "pending" || row.lastStatus != 0 || !strings.Contains(row.lastErr, "loopback") ||
		!strings.Contains(row.lastErr, "not public") {
		t.Errorf("row %+v, want the loopback address refused", row)
	}
	if hits.Load() != 0 {
		t.Errorf("loopback server was reached")
	}
}

func TestBadURLIsFailure(t *testing.T) {
	t.Parallel()
	clk := newClock()
	st := newStore(delivery(1, "ftp://example.com/hook"), delivery(2, "http://[::1"))
	runOnce(t, deliverer(st, clk), 2)
	if row := st.get(1); !strings.Contains(row.lastErr, "unsupported protocol scheme") {
		t.Errorf("ftp URL: %+v", row)
	}
	if row := st.get(2); !strings.HasPrefix(row.lastErr, "build request:") {
		t.Errorf("unparsable URL: %+v", row)
	}
}

func TestBatchAndParallelism(t *testing.T) {
	t.Parallel()
	clk := newClock()
	var inflight, peak atomic.Int32
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	})
	var ds []Delivery
	for id := int64(1); id <= BatchSize+10; id++ {
		ds = append(ds, delivery(id, srv.URL))
	}
	st := newStore(ds...)
	d := deliverer(st, clk)
	runOnce(t, d, BatchSize)
	runOnce(t, d, 10)
	runOnce(t, d, 0)
	for _, dl := range ds {
		if row := st.get(dl.ID); row.state != "delivered" {
			t.Fatalf("delivery %d: %+v", dl.ID, row)
		}
	}
	if p := peak.Load(); p > Parallelism || p < 2 {
		t.Errorf("peak concurrency %d, want between 2 and %d", p, Parallelism)
	}
}

func TestCancelledAttemptNotRecorded(t *testing.T) {
	t.Parallel()
	clk := newClock()
	arrived := make(chan struct{}, 1)
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second): // bounded, should the hang-up go unnoticed
		}
	})
	st := newStore(delivery(1, srv.URL))
	d := deliverer(st, clk)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-arrived:
		case <-time.After(5 * time.Second):
		}
		cancel()
	}()
	n, err := d.RunOnce(ctx)
	if n != 1 || err != nil {
		t.Fatalf("RunOnce = %d, %v", n, err)
	}
	if row := st.get(1); row.d.Attempts != 0 || row.lastErr != "" || row.state != "pending" {
		t.Errorf("row %+v, want the cut attempt unrecorded", row)
	}
}

func TestStoreErrors(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {})

	st := newStore(delivery(1, srv.URL))
	st.claimErr = errors.New("database is locked")
	n, err := deliverer(st, clk).RunOnce(context.Background())
	if n != 0 || !errors.Is(err, st.claimErr) || !strings.Contains(err.Error(), "claim due deliveries") {
		t.Errorf("claim failing: %d, %v", n, err)
	}

	st = newStore(delivery(7, srv.URL), delivery(8, "ftp://example.com/"))
	st.recordErr = errors.New("disk full")
	n, err = deliverer(st, clk).RunOnce(context.Background())
	if n != 2 || !errors.Is(err, st.recordErr) ||
		!strings.Contains(err.Error(), "record delivery 7 succeeded") || !strings.Contains(err.Error(), "record delivery 8 failed") {
		t.Errorf("record failing: %d, %v", n, err)
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {})
	st := newStore(delivery(1, srv.URL))
	d := deliverer(st, clk)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx, 10*time.Millisecond)
	}()

	// A delivery added while Run is going is picked up at a later tick.
	time.Sleep(30 * time.Millisecond)
	st.mu.Lock()
	st.rows[2] = &row{d: delivery(2, srv.URL), state: "pending"}
	st.mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for st.get(1).state != "delivered" || st.get(2).state != "delivered" {
		if time.Now().After(deadline) {
			t.Fatalf("not delivered within 5s: %+v, %+v", st.get(1), st.get(2))
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly", 7, "exactly"},
		{"abcdef", 3, "abc…"},
		{"aéb", 2, "a…"}, // é is two bytes: not cut in half
		{"éé", 3, "é…"},
	}
	for _, tt := range tests {
		if got := truncate(tt.s, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.s, tt.n, got, tt.want)
		}
	}
}
