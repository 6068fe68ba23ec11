package webhook

import (
	"math"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		attempt int
		want    time.Duration
	}{
		{-1, 10 * time.Second},
		{0, 10 * time.Second},
		{1, 10 * time.Second},
		{2, 20 * time.Second},
		{3, 40 * time.Second},
		{9, 2560 * time.Second},
		{10, time.Hour},
		{11, time.Hour},
		{MaxAttempts, time.Hour},
		{math.MaxInt, time.Hour},
	}
	for _, tt := range tests {
		if got := Backoff(tt.attempt); got != tt.want {
			t.Errorf("Backoff(%d) = %v, want %v", tt.attempt, got, tt.want)
		}
	}
}

// TestRetrySpan pins the span MaxAttempts' documentation states: from the
// first attempt to the last.
func TestRetrySpan(t *testing.T) {
	t.Parallel()
	var span time.Duration
	for attempt := 1; attempt < MaxAttempts; attempt++ {
		span += Backoff(attempt)
	}
	if want := 3*time.Hour + 25*time.Minute + 10*time.Second; span != want {
		t.Errorf("first to last attempt = %v, want %v", span, want)
	}
}
