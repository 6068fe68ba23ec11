package poll

// Sending the outbox: replies written in palabre go out through the live
// source of their channel that can send (WordPress, e-mail, Mastodon),
// retried with back-off, never twice.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"palabre/internal/connector"
	"palabre/internal/model"
	"palabre/internal/store"
)

// OutboxStore is what the outbox worker reads and writes. *store.Store
// satisfies it.
type OutboxStore interface {
	ClaimOutbox(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.OutboxClaim, error)
	BeginOutboxAttempt(ctx context.Context, c store.OutboxClaim, now time.Time) error
	ReplySent(ctx context.Context, c store.OutboxClaim, externalID, url string, now time.Time) error
	ReplyFailed(ctx context.Context, c store.OutboxClaim, reason string, next time.Time, giveUp bool, now time.Time) error
}

// Outbox attempts: a failure is tried again after 10 s, doubling up to an
// hour (at least what a server's Retry-After asks), 12 attempts in all.
const (
	outboxFirstRetry  = 10 * time.Second
	OutboxMaxAttempts = 12
	outboxEvery       = 2 * time.Second
	outboxBatch       = 8
	outboxLease       = 5 * time.Minute
	outboxSendTimeout = time.Minute
)

// Outbox sends the replies of the outbox until its context ends. Fill in
// the exported fields, then call Run.
type Outbox struct {
	Store     OutboxStore
	Factories map[string]Factory
	Logger    *slog.Logger
	Now       func() time.Time

	once sync.Once
	wake chan struct{}
}

func (o *Outbox) init() { o.once.Do(func() { o.wake = make(chan struct{}, 1) }) }

// Wake makes the worker look for replies to send now (one was written or
// retried). It never blocks.
func (o *Outbox) Wake() {
	o.init()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Run sends due replies, a batch at a time, until ctx ends.
func (o *Outbox) Run(ctx context.Context) {
	o.init()
	for {
		for {
			claims, err := o.Store.ClaimOutbox(ctx, o.Now(), outboxBatch, outboxLease)
			if err != nil && ctx.Err() == nil {
				o.Logger.ErrorContext(ctx, "outbox: claim", slog.Any("error", err))
			}
			for _, c := range claims {
				o.Send(ctx, c)
			}
			if len(claims) < outboxBatch || ctx.Err() != nil {
				break
			}
		}
		t := time.NewTimer(outboxEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-o.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// Send sends one claimed reply and records how it went. A reply whose
// last attempt was cut short is looked for on the platform first: found,
// it is recorded sent; where the platform cannot tell, it fails for a CM
// to check and retry, rather than risk sending it twice.
func (o *Outbox) Send(ctx context.Context, c store.OutboxClaim) {
	log := o.Logger.With(slog.Int64("outbox", c.Entry.ID), slog.Int64("conversation", c.Entry.ConversationID))
	sctx, cancel := context.WithTimeout(ctx, outboxSendTimeout)
	defer cancel()
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer rcancel()
	fail := func(err error, giveUp bool) {
		now := o.Now()
		attempts := c.Entry.Attempts + 1
		giveUp = giveUp || connector.IsPermanent(err) || attempts >= OutboxMaxAttempts
		next := now.Add(Backoff(outboxFirstRetry, attempts, connector.RetryAfter(err), rand.Float64()))
		if err := o.Store.ReplyFailed(rctx, c, err.Error(), next, giveUp, now); err != nil {
			log.ErrorContext(ctx, "outbox: record a failure", slog.Any("error", err))
		}
		log.WarnContext(ctx, "outbox: reply not sent", slog.Any("error", err), slog.Bool("gave_up", giveUp))
	}
	f := o.Factories[c.SourceKind]
	if f == nil {
		fail(fmt.Errorf("%w %q: this palabre cannot send through it", ErrUnknownKind, c.SourceKind), true)
		return
	}
	built, err := f(model.Source{ID: c.SourceID, Kind: c.SourceKind, Channel: c.Entry.Channel, WorkspaceID: c.WorkspaceID}, []byte(c.SourceConfig))
	if err != nil {
		fail(fmt.Errorf("the %s source's settings: %w", c.SourceKind, err), true)
		return
	}
	if built.Sender == nil {
		fail(fmt.Errorf("a %s source cannot send replies", c.SourceKind), true)
		return
	}
	r := connector.Reply{Key: ReplyKey(c), ConversationExternalID: c.RootExternalID, InReplyTo: c.Entry.InReplyTo,
		Body: c.Entry.Body, AuthorName: c.AuthorName, To: c.To, Subject: c.Subject, References: c.References}
	if r.InReplyTo == "" {
		r.InReplyTo = c.RootExternalID
	}
	if c.Interrupted {
		sent, found, err := built.Sender.Find(sctx, r)
		switch {
		case errors.Is(err, connector.ErrUnsupported):
			fail(errors.New("an earlier attempt was cut short and this platform cannot say whether the reply arrived: check there, then retry"), true)
			return
		case err != nil:
			fail(fmt.Errorf("check whether an interrupted attempt arrived: %w", err), false)
			return
		case found:
			if err := o.Store.ReplySent(rctx, c, sent.ExternalID, sent.URL, o.Now()); err != nil {
				log.ErrorContext(ctx, "outbox: record it sent", slog.Any("error", err))
			}
			return
		}
	}
	if err := o.Store.BeginOutboxAttempt(rctx, c, o.Now()); err != nil {
		log.ErrorContext(ctx, "outbox: begin", slog.Any("error", err))
		return
	}
	sent, err := built.Sender.Reply(sctx, r)
	if err != nil {
		fail(err, false)
		return
	}
	if err := o.Store.ReplySent(rctx, c, sent.ExternalID, sent.URL, o.Now()); err != nil {
		log.ErrorContext(ctx, "outbox: record it sent", slog.Any("error", err))
	}
}

// ReplyKey names a reply for good, for the platform to recognise it again
// (an idempotency key, a Message-ID): its workspace and outbox entry.
func ReplyKey(c store.OutboxClaim) string {
	return "palabre-" + strconv.FormatInt(c.WorkspaceID, 10) + "-" + strconv.FormatInt(c.Entry.ID, 10)
}
