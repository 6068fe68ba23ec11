// Package inbound is the generic inbound webhook: any system that can send
// an HTTP request (a contact form, a chat bot, a CRM, a script) posts
// messages to a channel, signed with the channel's secret. It checks the
// signature and the freshness of a delivery, remembers deliveries to refuse
// replays, and reads the messages; serving the route is the API's job.
//
// The signature is the one palabre puts on the webhooks it sends (package
// webhook), so that one scheme serves both directions. The messages are
// palabre's NDJSON format (package ndjson), one object or a batch; see
// docs/INBOUND.md.
package inbound

import (
	"fmt"
	"time"

	"palabre/internal/webhook"
)

// Request headers of a delivery.
const (
	// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256 of
	// the secret over "<unix seconds>." + body>"; several v1 may be
	// given, one per secret, while the sender changes secrets.
	SignatureHeader = webhook.SignatureHeader
	// DeliveryHeader is the sender's id of the delivery, for its logs and
	// ours. It is not signed, so replays are not recognised by it.
	DeliveryHeader = webhook.DeliveryHeader
)

// Limits of a delivery.
const (
	// MaxBodyBytes is the largest body accepted; the server reads at most
	// one byte more, so that a larger body is refused without being read
	// whole.
	MaxBodyBytes = 1 << 20
	// MaxMessages is the largest batch accepted.
	MaxMessages = 100
	// DefaultTolerance is how far a signature's time may be from ours
	// when Verify is given no tolerance.
	DefaultTolerance = webhook.DefaultTolerance
)

// Verify checks the SignatureHeader value header against body and secret:
// one of its v1 values must be the HMAC-SHA256 of the secret over
// "<t>." + body, compared in constant time, and t may be at most tolerance
// away from now, in either direction (zero or less means
// DefaultTolerance). Its errors wrap webhook.ErrMalformedSignature,
// webhook.ErrSignatureMismatch or webhook.ErrTimestampOutOfRange, all of
// which the API answers 401.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if err := webhook.Verify(secret, header, body, now, tolerance); err != nil {
		return fmt.Errorf("inbound webhook: %w", err)
	}
	return nil
}
