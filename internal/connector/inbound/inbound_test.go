package inbound

import (
	"errors"
	"strings"
	"testing"
	"time"

	"palabre/internal/webhook"
)

var (
	testSecret = []byte("whsec_example")
	testBody   = []byte(`{"external_id":"form-1","body":"Bonjour","created_at":"2024-05-03T12:00:00Z"}`)
	testTime   = time.Unix(1714737600, 0)
)

// The example of docs/INBOUND.md, computed with openssl dgst -sha256 -hmac,
// so that the scheme senders implement is pinned.
const docSignature = "t=1714737600,v1=7b19004f1f8cf0223be6b6d78463143ee74604e9a40b9e689abf558c789c7f0f"

func TestVerify(t *testing.T) {
	t.Parallel()
	good := webhook.Sign(testSecret, testTime, testBody)
	if good != docSignature {
		t.Fatalf("Sign = %s, want the documented %s", good, docSignature)
	}
	v1 := func(secret string) string {
		return strings.TrimPrefix(webhook.Sign([]byte(secret), testTime, testBody), "t=1714737600,")
	}
	tests := []struct {
		name      string
		secret    string
		header    string
		body      string
		now       time.Time
		tolerance time.Duration
		want      error // nil, or the sentinel wrapped
	}{
		{"good", "whsec_example", good, string(testBody), testTime, 0, nil},
		{"good, 5 minutes late", "whsec_example", good, string(testBody), testTime.Add(5 * time.Minute), 0, nil},
		{"good, clock 5 minutes behind", "whsec_example", good, string(testBody), testTime.Add(-5 * time.Minute), 0, nil},
		{"wrong secret", "whsec_other", good, string(testBody), testTime, 0, webhook.ErrSignatureMismatch},
		{"body changed", "whsec_example", good, string(testBody) + "\n", testTime, 0, webhook.ErrSignatureMismatch},
		{"old timestamp", "whsec_example", good, string(testBody), testTime.Add(5*time.Minute + time.Second), 0, webhook.ErrTimestampOutOfRange},
		{"future timestamp", "whsec_example", good, string(testBody), testTime.Add(-5*time.Minute - time.Second), 0, webhook.ErrTimestampOutOfRange},
		{"a tolerance of its own", "whsec_example", good, string(testBody), testTime.Add(2 * time.Minute), time.Minute, webhook.ErrTimestampOutOfRange},
		{"timestamp changed", "whsec_example", "t=1714737601," + v1("whsec_example"), string(testBody), testTime, 0, webhook.ErrSignatureMismatch},
		{"two v1, new secret", "whsec_new", "t=1714737600," + v1("whsec_old") + "," + v1("whsec_new"), string(testBody), testTime, 0, nil},
		{"two v1, old secret", "whsec_old", "t=1714737600," + v1("whsec_old") + "," + v1("whsec_new"), string(testBody), testTime, 0, nil},
		{"two v1, neither", "whsec_example", "t=1714737600," + v1("whsec_old") + "," + v1("whsec_new"), string(testBody), testTime, 0, webhook.ErrSignatureMismatch},
		{"fields in any order, spaces", "whsec_example", v1("whsec_example") + " , t=1714737600", string(testBody), testTime, 0, nil},
		{"empty header", "whsec_example", "", string(testBody), testTime, 0, webhook.ErrMalformedSignature},
		{"no t", "whsec_example", v1("whsec_example"), string(testBody), testTime, 0, webhook.ErrMalformedSignature},
		{"no v1", "whsec_example", "t=1714737600", string(testBody), testTime, 0, webhook.ErrMalformedSignature},
		{"t not a number", "whsec_example", "t=now," + v1("whsec_example"), string(testBody), testTime, 0, webhook.ErrMalformedSignature},
		{"t twice", "whsec_example", "t=1714737600,t=1714737600," + v1("whsec_example"), string(testBody), testTime, 0, webhook.ErrMalformedSignature},
		{"v1 not hex", "whsec_example", "t=1714737600,v1=zz", string(testBody), testTime, 0, webhook.ErrMalformedSignature},
		{"v1 too short", "whsec_example", "t=1714737600,v1=" + strings.Repeat("ab", 31), string(testBody), testTime, 0, webhook.ErrMalformedSignature},
		{"not key=value", "whsec_example", "sha256=abc", string(testBody), testTime, 0, webhook.ErrMalformedSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Verify([]byte(tt.secret), tt.header, []byte(tt.body), tt.now, tt.tolerance)
			switch {
			case tt.want == nil && err != nil:
				t.Errorf("Verify = %v, want success", err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
	if err := Verify(nil, good, testBody, testTime, 0); err == nil {
		t.Error("Verify accepted an empty secret")
	}
}
