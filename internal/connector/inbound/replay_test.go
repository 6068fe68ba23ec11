package inbound

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"palabre/internal/webhook"
)

// accept runs what the API does with a delivery to channel: verify,
// refuse a replay, parse, store (here: nothing), remember.
func accept(ctx context.Context, r Replay, channel int64, header string, body []byte, now time.Time) error {
	if err := Verify(testSecret, header, body, now, 0); err != nil {
		return err
	}
	if err := CheckReplay(ctx, r, channel, body, now); err != nil {
		return err
	}
	if _, err := Parse(body); err != nil {
		return err
	}
	return Remember(ctx, r, channel, body, now, 0)
}

func TestReplaysRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := NewMemoryReplay(100)
	header := webhook.Sign(testSecret, testTime, testBody)
	if err := accept(ctx, r, 1, header, testBody, testTime); err != nil {
		t.Fatalf("first delivery: %v", err)
	}
	// The same delivery again, or with its signature's fields reordered
	// and an unknown one added (the header is not signed): refused.
	_, sig, _ := strings.Cut(header, ",")
	for _, replay := range []string{header, sig + ",t=1714737600", header + ",v0=x"} {
		if err := accept(ctx, r, 1, replay, testBody, testTime.Add(time.Minute)); !errors.Is(err, ErrReplayed) {
			t.Errorf("replay %q: %v, want ErrReplayed", replay, err)
		}
	}
	// Too late for a replay to pass Verify: it is refused as old.
	if err := accept(ctx, r, 1, header, testBody, testTime.Add(6*time.Minute)); !errors.Is(err, webhook.ErrTimestampOutOfRange) {
		t.Errorf("late replay: %v", err)
	}
	// The same body to another channel is another delivery.
	if err := accept(ctx, r, 2, header, testBody, testTime); err != nil {
		t.Errorf("other channel: %v", err)
	}
	// A delivery never remembered (storing it failed) may be retried.
	other := []byte(`{"external_id":"form-2","body":"Re","created_at":"2024-05-03T12:00:00Z"}`)
	if err := CheckReplay(ctx, r, 1, other, testTime); err != nil {
		t.Errorf("unknown delivery: %v", err)
	}
}

func TestRememberLastsAsLongAsASignature(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := NewMemoryReplay(10)
	if err := Remember(ctx, r, 1, testBody, testTime, time.Minute); err != nil {
		t.Fatal(err)
	}
	// Signed up to a minute in the future, a replay passes Verify until
	// two minutes from now.
	for _, tt := range []struct {
		at   time.Duration
		want error
	}{{0, ErrReplayed}, {2 * time.Minute, ErrReplayed}, {2*time.Minute + time.Second, nil}} {
		if err := CheckReplay(ctx, r, 1, testBody, testTime.Add(tt.at)); !errors.Is(err, tt.want) {
			t.Errorf("at +%s: %v, want %v", tt.at, err, tt.want)
		}
	}
}

func TestMemoryReplayIsBounded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	r := NewMemoryReplay(2)
	r.RememberDelivery(ctx, 1, "a", testTime.Add(3*time.Minute))
	r.RememberDelivery(ctx, 1, "b", testTime.Add(time.Minute)) // expires first
	r.RememberDelivery(ctx, 1, "c", testTime.Add(2*time.Minute))
	for key, want := range map[string]bool{"a": true, "b": false, "c": true} {
		if seen, _ := r.SeenDelivery(ctx, 1, key, testTime); seen != want {
			t.Errorf("seen %s = %v, want %v", key, seen, want)
		}
	}
	// Remembering a key again never shortens it.
	r.RememberDelivery(ctx, 1, "a", testTime)
	if seen, _ := r.SeenDelivery(ctx, 1, "a", testTime.Add(time.Minute)); !seen {
		t.Error("remembering again shortened the delay")
	}
	if len(r.until) != 2 {
		t.Errorf("%d entries, want at most 2", len(r.until))
	}
}

func TestDeliveryKey(t *testing.T) {
	t.Parallel()
	// SHA-256 of "abc" (FIPS 180-2).
	if got := DeliveryKey([]byte("abc")); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("DeliveryKey = %s", got)
	}
}

// failingReplay is a store that fails.
type failingReplay struct{}

func (failingReplay) SeenDelivery(context.Context, int64, string, time.Time) (bool, error) {
	return false, errors.New("database is locked")
}

func (failingReplay) RememberDelivery(context.Context, int64, string, time.Time) error {
	return errors.New("database is locked")
}

func TestReplayStoreErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	if err := CheckReplay(ctx, failingReplay{}, 1, testBody, testTime); err == nil || errors.Is(err, ErrReplayed) || !strings.Contains(err.Error(), "locked") {
		t.Errorf("CheckReplay = %v", err)
	}
	if err := Remember(ctx, failingReplay{}, 1, testBody, testTime, 0); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("Remember = %v", err)
	}
}
