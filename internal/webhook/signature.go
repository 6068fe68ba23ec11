package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Headers palabre sets on each delivery.
const (
	// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256>", see
	// Sign and Verify.
	SignatureHeader = "Palabre-Signature"
	// EventHeader names the event, e.g. "conversation.assigned".
	EventHeader = "Palabre-Event"
	// DeliveryHeader is the delivery's id: the same on every retry of one
	// event to one webhook, so that a receiver can drop duplicates.
	DeliveryHeader = "Palabre-Delivery"
)

// DefaultTolerance is how far a signature's timestamp may be from the
// receiver's clock when Verify is given no tolerance: enough for clock
// skew and a slow network, short enough to make replaying an old delivery
// useless.
const DefaultTolerance = 5 * time.Minute

// Errors Verify wraps, for receivers that answer each differently.
var (
	// ErrMalformedSignature: the header is not "t=…,v1=…".
	ErrMalformedSignature = errors.New("malformed webhook signature header")
	// ErrSignatureMismatch: no v1 value matches the body and secret.
	ErrSignatureMismatch = errors.New("webhook signature does not match")
	// ErrTimestampOutOfRange: the signature is valid but too old or too
	// far in the future.
	ErrTimestampOutOfRange = errors.New("webhook signature timestamp out of tolerance")
)

// Sign returns the SignatureHeader value for body sent at timestamp:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of secret over "<unix seconds>." + body>".
// Signing the timestamp with the body is what lets a receiver refuse a
// replay of an old, genuinely signed delivery.
func Sign(secret []byte, timestamp time.Time, body []byte) string {
	ts := strconv.FormatInt(timestamp.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a SignatureHeader value against body, as a receiver does.
// The header may hold several v1 values (any one matching is enough) and
// keys it does not know, which are ignored, so that palabre can add a
// scheme later without breaking receivers. Signatures are compared in
// constant time. A timestamp more than tolerance away from now, in either
// direction, is refused; zero or less means DefaultTolerance.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if len(secret) == 0 {
		return errors.New("verify webhook signature: empty secret")
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts, sigs, err := parseSignature(header)
	if err != nil {
		return err
	}
	want := mac(secret, ts, body)
	matched := false
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			matched = true
		}
	}
	if !matched {
		return ErrSignatureMismatch
	}
	unix, _ := strconv.ParseInt(ts, 10, 64) // checked by parseSignature
	at := time.Unix(unix, 0)
	if d := now.Sub(at); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: signed at %s, %s from now, tolerance %s", ErrTimestampOutOfRange,
			at.UTC().Format(time.RFC3339), d.Round(time.Second), tolerance)
	}
	return nil
}

// parseSignature splits a header into its timestamp, as written, and its
// decoded v1 signatures.
func parseSignature(header string) (string, [][]byte, error) {
	if strings.TrimSpace(header) == "" {
		return "", nil, fmt.Errorf("%w: empty", ErrMalformedSignature)
	}
	var ts string
	var sigs [][]byte
	for field := range strings.SplitSeq(header, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(field), "=")
		if !ok {
			return "", nil, fmt.Errorf("%w: %q is not key=value", ErrMalformedSignature, field)
		}
		switch key {
		case "t":
			if ts != "" {
				return "", nil, fmt.Errorf("%w: more than one t", ErrMalformedSignature)
			}
			if _, err := strconv.ParseInt(value, 10, 64); err != nil || value == "" || value[0] == '+' {
				return "", nil, fmt.Errorf("%w: t=%q is not a unix time in seconds", ErrMalformedSignature, value)
			}
			ts = value
		case "v1":
			sig, err := hex.DecodeString(value)
			if err != nil || len(sig) != sha256.Size {
				return "", nil, fmt.Errorf("%w: v1 is not %d hex digits", ErrMalformedSignature, 2*sha256.Size)
			}
			sigs = append(sigs, sig)
		}
	}
	switch {
	case ts == "":
		return "", nil, fmt.Errorf("%w: no t", ErrMalformedSignature)
	case len(sigs) == 0:
		return "", nil, fmt.Errorf("%w: no v1", ErrMalformedSignature)
	}
	return ts, sigs, nil
}
