package live

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"palabre/internal/model"
)

// collector gathers the payloads a Bus listener receives.
type collector struct {
	mu   sync.Mutex
	got  []string
	note chan struct{}
}

func newCollector() *collector { return &collector{note: make(chan struct{}, 1)} }

func (c *collector) handle(p []byte) {
	c.mu.Lock()
	c.got = append(c.got, string(p))
	c.mu.Unlock()
	select {
	case c.note <- struct{}{}:
	default:
	}
}

// waitFor waits until one received payload satisfies match.
func (c *collector) waitFor(t *testing.T, what string, timeout time.Duration, match func(string) bool) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		c.mu.Lock()
		for _, p := range c.got {
			if match(p) {
				c.mu.Unlock()
				return
			}
		}
		c.mu.Unlock()
		select {
		case <-c.note:
		case <-deadline:
			c.mu.Lock()
			defer c.mu.Unlock()
			t.Fatalf("no %s within %v; got %q", what, timeout, c.got)
		}
	}
}

func isWake(p string) bool { return p == string(EncodeWake()) }

// listen runs bus.Listen until the test ends and waits for its first wake.
func listen(t *testing.T, bus Bus) *collector {
	t.Helper()
	c := newCollector()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bus.Listen(ctx, c.handle) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Listen: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Listen did not return")
		}
	})
	c.waitFor(t, "first wake", 10*time.Second, isWake)
	return c
}

func TestLocalBus(t *testing.T) {
	t.Parallel()
	bus := NewLocalBus()
	a, b := listen(t, bus), listen(t, bus)
	ctx := context.Background()
	if err := bus.Publish(ctx, []byte(`{"kind":"test","n":1}`)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*collector{a, b} {
		c.waitFor(t, "message", time.Second, func(p string) bool { return strings.Contains(p, `"n":1`) })
	}
	testPayloadLimits(t, bus)
}

func testPayloadLimits(t *testing.T, bus Bus) {
	t.Helper()
	ctx := context.Background()
	if err := bus.Publish(ctx, []byte(strings.Repeat("x", MaxPayload))); err != nil {
		t.Fatalf("payload of MaxPayload bytes: %v", err)
	}
	for name, p := range map[string][]byte{
		"too large": []byte(strings.Repeat("x", MaxPayload+1)),
		"NUL":       []byte("a\x00b"),
		"not UTF-8": {0xff, 0xfe},
	} {
		if err := bus.Publish(ctx, p); err == nil {
			t.Errorf("%s payload accepted", name)
		}
	}
}

func TestEncodePresence(t *testing.T) {
	t.Parallel()
	e := Entry{ConversationID: 4, WorkspaceID: 2, UserID: 9, Login: "ana", State: StateTyping, At: time.Unix(5, 0).UTC()}.Event()
	e.ID = 12
	p, err := EncodePresence(e)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(p), `"id":12`) {
		t.Fatalf("presence carries a stored id: %s", p)
	}
	e.Detail = strings.Repeat("é", MaxPayload/2)
	if _, err := EncodePresence(e); err == nil {
		t.Fatal("oversized presence accepted")
	}
}

func TestHandleMessage(t *testing.T) {
	t.Parallel()
	src := &memSource{}
	h := startHub(t, src, HubOptions{Poll: time.Hour})
	s := h.Subscribe(func(e model.Event) bool { return e.WorkspaceID == 2 })
	defer s.Close()

	bus := NewLocalBus()
	listen(t, busFunc{bus, func(p []byte) {
		if err := h.HandleMessage(p); err != nil {
			t.Errorf("HandleMessage: %v", err)
		}
	}})

	p, err := EncodePresence(Entry{ConversationID: 4, WorkspaceID: 2, Login: "ana", State: StateViewing}.Event())
	if err != nil {
		t.Fatal(err)
	}
	if err := bus.Publish(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	got := receive(t, s, 1, time.Second)[0]
	if got.ID != 0 || got.Actor != "ana" || got.Detail != StateViewing || got.ConversationID != 4 {
		t.Fatalf("got %+v", got)
	}

	src.commit(1, 2) // 2 is in workspace 2
	if err := bus.Publish(context.Background(), EncodeWake()); err != nil {
		t.Fatal(err)
	}
	if got := ids(receive(t, s, 1, 5*time.Second)); !equalIDs(got, []int64{2}) {
		t.Fatalf("after wake: %v", got)
	}

	for _, bad := range []string{`nope`, `{"kind":"dance"}`, `{"kind":"presence"}`} {
		if err := h.HandleMessage([]byte(bad)); err == nil {
			t.Errorf("HandleMessage(%s) accepted", bad)
		}
	}
}

// busFunc listens on a Bus with a fixed handler, in addition to the
// collector's, so a test can both act on and wait for messages.
type busFunc struct {
	Bus
	fn func([]byte)
}

func (b busFunc) Listen(ctx context.Context, handle func([]byte)) error {
	return b.Bus.Listen(ctx, func(p []byte) { b.fn(p); handle(p) })
}
