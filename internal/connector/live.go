package connector

// Live channels: a source that palabre serve polls (a comment feed, a
// WordPress site, a mailbox, a Mastodon account) and, where the platform
// allows, a destination that replies and moderation are sent to. Like the
// file readers, live connectors never touch the store: the scheduler keeps
// their cursor and health, ingests what they read and hands them what the
// outbox holds.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"palabre/internal/model"
)

// Cursor is where a source's reading stands, kept by the scheduler between
// polls and handed back to the next one. A zero Cursor means the first poll.
type Cursor struct {
	// ETag and LastModified are the validators of the last full answer,
	// sent back as If-None-Match and If-Modified-Since.
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// Position is the connector's own mark (a last comment id or date, an
	// IMAP UIDVALIDITY and UID, a Mastodon notification id), opaque to the
	// scheduler.
	Position string `json:"position,omitempty"`
}

// Batch is what one poll read.
type Batch struct {
	// Records are the messages read, or why an item could not become one.
	// Reading the same item again on a later poll is harmless: messages
	// are stored by (channel, external id).
	Records []Record
	// Cursor is where to read from next; the scheduler keeps it only
	// once Records are stored, so that a crash in between reads them
	// again rather than losing them.
	Cursor Cursor
	// NotModified: the server said nothing changed (304).
	NotModified bool
	// More: the source has more to read now (a paged API); the scheduler
	// polls again at once rather than after the interval.
	More bool
	// Statuses are the moderation statuses now (model.Status*) of
	// messages read before, by external id, from a platform that tells
	// (a comment approved or held on its site since): stored messages
	// take them.
	Statuses map[string]string
}

// Poller reads what is new at one live source. Poll reads at most one
// page; it must honour ctx and return promptly when it ends.
type Poller interface {
	Poll(ctx context.Context, cur Cursor) (Batch, error)
}

// Reply is a staff reply to send to the platform.
type Reply struct {
	// Key identifies the reply for good (the outbox entry's), so that a
	// connector able to tag what it posts can find it again after a
	// crash (Sender.Find) instead of posting it twice.
	Key string
	// ConversationExternalID and InReplyTo are the external ids of the
	// conversation's root and of the message answered.
	ConversationExternalID string
	InReplyTo              string
	Body                   string
	// Author is who palabre writes as, for platforms that show it.
	AuthorName string
	// To is the message answered as stored (its author's name, e-mail
	// address and handle, its title), for platforms that address a reply
	// to someone (e-mail, Mastodon).
	To model.Message
	// Subject is the conversation's; References the external ids of the
	// thread, from its root to the message answered.
	Subject    string
	References []string
}

// Sent is what the platform made of a reply.
type Sent struct {
	ExternalID string // the reply's id on the platform, canonical as read back
	URL        string
}

// Moderation actions; a connector refuses those its platform lacks with
// ErrUnsupported.
const (
	ModApprove   = model.ModApprove
	ModUnapprove = model.ModUnapprove
	ModSpam      = model.ModSpam
	ModTrash     = model.ModTrash
)

// Sender sends replies and moderation to the platform of a live channel.
type Sender interface {
	// Reply posts r and returns what the platform made of it.
	Reply(ctx context.Context, r Reply) (Sent, error)
	// Find looks for a reply posted earlier under key, for the outbox to
	// check after a crash whether a reply whose sending was cut short was
	// posted after all: found is false when it was not (or when the
	// platform cannot tell; then ErrUnsupported).
	Find(ctx context.Context, r Reply) (s Sent, found bool, err error)
	// Moderate applies one of the Mod* actions to a message of the
	// platform, by its external id.
	Moderate(ctx context.Context, externalID, action string) error
}

// ErrUnsupported: the platform (or this connector) cannot do what was
// asked.
var ErrUnsupported = errors.New("not supported by this channel")

// TemporaryError is a failure worth retrying: the server is busy, down or
// unreachable. RetryAfter, when positive, is how long the server asked to
// wait (429 or 503 with Retry-After).
type TemporaryError struct {
	Err        error
	RetryAfter time.Duration
}

func (e *TemporaryError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("%v (retry after %s)", e.Err, e.RetryAfter)
	}
	return e.Err.Error()
}

func (e *TemporaryError) Unwrap() error { return e.Err }

// PermanentError is a failure that retrying will not cure until someone
// changes something: credentials refused, the resource gone, a reply the
// platform rejects. The scheduler still retries a source, slowly; the
// outbox marks the entry failed, with the reason, until retried by hand.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }

func (e *PermanentError) Unwrap() error { return e.Err }

// IsPermanent reports whether err, or an error it wraps, is permanent.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// RetryAfter returns how long err asks to wait before trying again, or 0.
func RetryAfter(err error) time.Duration {
	var t *TemporaryError
	if errors.As(err, &t) {
		return t.RetryAfter
	}
	return 0
}

// Messages lists the good messages of records.
func Messages(records []Record) []model.Message {
	out := make([]model.Message, 0, len(records))
	for _, r := range records {
		if r.Err == nil {
			out = append(out, r.Message)
		}
	}
	return out
}
