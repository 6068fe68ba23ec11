package webhook

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	testSecret = []byte("whsec_test")
	testBody   = []byte(`{"action":"conversation.assigned"}`)
	testTime   = time.Unix(1700000000, 0)
)

func TestSignKnownValue(t *testing.T) {
	t.Parallel()
	// Computed independently (Python's hmac module) so that the format
	// receivers implement is pinned, not just self-consistent.
	want := "t=1700000000,v1=f8e015e19bdff785049746a3d31dc640331900d5fbab2f43f1c20ad57caefac7"
	if got := Sign(testSecret, testTime, testBody); got != want {
		t.Errorf("Sign = %q\nwant   %q", got, want)
	}
	// Sub-second precision is dropped, not rounded.
	if got := Sign(testSecret, testTime.Add(999*time.Millisecond), testBody); got != want {
		t.Errorf("Sign with milliseconds = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	header := Sign(testSecret, testTime, testBody)
	sig := strings.TrimPrefix(header, "t=1700000000,")
	otherSig := strings.TrimPrefix(Sign([]byte("other"), testTime, testBody), "t=1700000000,")
	tests := []struct {
		name      string
		secret    []byte
		header    string
		body      string
		now       time.Time
		tolerance time.Duration
		want      error // nil, a sentinel, or errAny
	}{
		{"round trip", testSecret, header, string(testBody), testTime, time.Minute, nil},
		{"a little later", testSecret, header, string(testBody), testTime.Add(59 * time.Second), time.Minute, nil},
		{"exactly at tolerance", testSecret, header, string(testBody), testTime.Add(time.Minute), time.Minute, nil},
		{"receiver clock behind", testSecret, header, string(testBody), testTime.Add(-time.Minute), time.Minute, nil},
		{"stale", testSecret, header, string(testBody), testTime.Add(time.Minute + time.Second), time.Minute, ErrTimestampOutOfRange},
		{"from the future", testSecret, header, string(testBody), testTime.Add(-time.Minute - time.Second), time.Minute, ErrTimestampOutOfRange},
		{"default tolerance accepts", testSecret, header, string(testBody), testTime.Add(DefaultTolerance), 0, nil},
		{"default tolerance refuses", testSecret, header, string(testBody), testTime.Add(DefaultTolerance + time.Second), 0, ErrTimestampOutOfRange},
		{"tampered body", testSecret, header, `{"action":"conversation.closed"}`, testTime, time.Minute, ErrSignatureMismatch},
		{"body with a space more", testSecret, header, string(testBody) + " ", testTime, time.Minute, ErrSignatureMismatch},
		{"replayed with a fresh t", testSecret, "t=1700000100," + sig, string(testBody), testTime.Add(100 * time.Second), time.Minute, ErrSignatureMismatch},
		{"wrong secret", []byte("whsec_other"), header, string(testBody), testTime, time.Minute, ErrSignatureMismatch},
		{"stale and wrong says mismatch", []byte("x"), header, string(testBody), testTime.Add(time.Hour), time.Minute, ErrSignatureMismatch},
		{"several v1, one good", testSecret, "t=1700000000," + otherSig + "," + sig, string(testBody), testTime, time.Minute, nil},
		{"several v1, none good", testSecret, "t=1700000000," + otherSig + "," + otherSig, string(testBody), testTime, time.Minute, ErrSignatureMismatch},
		{"unknown keys ignored", testSecret, "v0=abc,t=1700000000, " + sig + ",v2=xyz", string(testBody), testTime, time.Minute, nil},
		{"empty", testSecret, "", string(testBody), testTime, time.Minute, ErrMalformedSignature},
		{"garbage", testSecret, "sha256=abcdef", string(testBody), testTime, time.Minute, ErrMalformedSignature},
		{"no equals", testSecret, "t1700000000," + sig, string(testBody), testTime, time.Minute, ErrMalformedSignature},
		{"no t", testSecret, sig, string(testBody), testTime, time.Minute, ErrMalformedSignature},
		{"no v1", testSecret, "t=1700000000", string(testBody), testTime, time.Minute, ErrMalformedSignature},
		{"t not a number", testSecret, "t=yesterday," + sig, string(testBody), testTime, time.Minute, ErrMalformedSignature},
		{"t with a sign", testSecret, "t=+1700000000," + sig, string(testBody), testTime, time.Minute, ErrMalformedSignature},
		{"two t", testSecret, "t=1700000000,t=1700000000," + sig, string(testBody), testTime, time.Minute, ErrMalformedSignature},
		{"v1 not hex", testSecret, "t=1700000000,v1=" + strings.Repeat("z", 64), string(testBody), testTime, time.Minute, ErrMalformedSignature},
		{"v1 too short", testSecret, "t=1700000000,v1=abcd", string(testBody), testTime, time.Minute, ErrMalformedSignature},
	}
	for _, tt := range tests {
		err := Verify(tt.secret, tt.header, []byte(tt.body), tt.now, tt.tolerance)
		switch {
		case tt.want == nil && err != nil:
			t.Errorf("%s: Verify = %v, want success", tt.name, err)
		case tt.want != nil && !errors.Is(err, tt.want):
			t.Errorf("%s: Verify = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestVerifyMessages(t *testing.T) {
	t.Parallel()
	header := Sign(testSecret, testTime, testBody)
	err := Verify(testSecret, header, testBody, testTime.Add(10*time.Minute), time.Minute)
	want := "webhook signature timestamp out of tolerance: signed at 2023-11-14T22:13:20Z, 10m0s from now, tolerance 1m0s"
	if err == nil || err.Error() != want {
		t.Errorf("stale: %v\nwant %s", err, want)
	}
	err = Verify(testSecret, "t=1700000000", testBody, testTime, time.Minute)
	if want := "malformed webhook signature header: no v1"; err == nil || err.Error() != want {
		t.Errorf("no v1: %v, want %s", err, want)
	}
	err = Verify(nil, header, testBody, testTime, time.Minute)
	if err == nil || !strings.Contains(err.Error(), "empty secret") {
		t.Errorf("empty secret: %v, want refused", err)
	}
}
