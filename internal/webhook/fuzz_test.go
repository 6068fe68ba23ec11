package webhook

import (
	"crypto/hmac"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzVerify feeds Verify signature headers as a receiver gets them from
// the network: it never panics, refuses with one of its three errors, and
// accepts only a header holding the v1 that Sign makes for the body, at a
// time within tolerance. A header Sign made for the body is accepted
// whatever the body.
func FuzzVerify(f *testing.F) {
	f.Add(Sign(testSecret, testTime, testBody), testBody, int64(0))
	f.Add("t=1700000000,v1=00,v1="+Sign(testSecret, testTime, testBody)[16:], testBody, int64(60))
	f.Add("t=1700000000", []byte{}, int64(-1))
	f.Add("t=1700000000,v1="+strings.Repeat("0", 64)+",v1="+strings.Repeat("1", 64), testBody, int64(0))
	f.Add("t=-9223372036854775808,v1=f8e015e19bdff785049746a3d31dc640331900d5fbab2f43f1c20ad57caefac7", testBody, int64(1<<62))
	f.Add(",,=,t=,v1=zz", []byte("x"), int64(0))
	f.Add("t=+1,v1=", testBody, int64(0))
	f.Fuzz(func(t *testing.T, header string, body []byte, skew int64) {
		now := testTime.Add(time.Duration(skew))
		err := Verify(testSecret, header, body, now, time.Minute)
		if err != nil && !errors.Is(err, ErrMalformedSignature) && !errors.Is(err, ErrSignatureMismatch) &&
			!errors.Is(err, ErrTimestampOutOfRange) {
			t.Fatalf("Verify(%q): %v, not one of its errors", header, err)
		}
		if err == nil {
			ts, sigs, perr := parseSignature(header)
			if perr != nil {
				t.Fatalf("Verify accepted %q, which parseSignature refuses: %v", header, perr)
			}
			if !slices.ContainsFunc(sigs, func(s []byte) bool { return hmac.Equal(s, mac(testSecret, ts, body)) }) {
				t.Fatalf("Verify accepted %q, whose v1 values are none the body's HMAC", header)
			}
		}
		// What Sign makes for the body, now, always passes.
		if err := Verify(testSecret, Sign(testSecret, now, body), body, now, time.Minute); err != nil {
			t.Fatalf("Verify refused Sign's own header for %q at %v: %v", body, now, err)
		}
	})
}
