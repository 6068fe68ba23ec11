package poll

// Sending the outbox: replies written in palabre go out through the live
// source of their channel that can send (WordPress, e-mail, Mastodon),
// retried with back-off, never twice; moderation asked in palabre goes
// out through the source that can moderate (WordPress, e-mail).

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
	ClaimModerations(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.ModerationClaim, error)
	ModerationSent(ctx context.Context, c store.ModerationClaim, now time.Time) error
	ModerationFailed(ctx context.Context, c store.ModerationClaim, reason string, next time.Time, giveUp bool, now time.Time) error
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
			mods, err := o.Store.ClaimModerations(ctx, o.Now(), outboxBatch, outboxLease)
			if err != nil && ctx.Err() == nil {
				o.Logger.ErrorContext(ctx, "outbox: claim moderations", slog.Any("error", err))
			}
			for _, c := range mods {
				o.Moderate(ctx, c)
			}
			if (len(claims) < outboxBatch && len(mods) < outboxBatch) || ctx.Err() != nil {
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

// Send sends one claimed reply and records how it went. A reply tried
// before is looked for on the platform first: found, it is recorded
// sent. Where the platform cannot tell, a reply whose last attempt was
// cut short fails for a CM to check and retry, rather than risk sending
// it twice.
func (o *Outbox) Send(ctx context.Context, c store.OutboxClaim) {
	log := o.Logger.With(slog.Int64("outbox", c.Entry.ID), slog.Int64("conversation", c.Entry.ConversationID))
	sctx, cancel := context.WithTimeout(ctx, outboxSendTimeout)
	defer cancel()
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer rcancel()
	fail := func(err error, giveUp bool) {
		now := o.Now()
		next, last := retryAt(now, err, c.Entry.Attempts+1)
		giveUp = giveUp || last
		if err := o.Store.ReplyFailed(rctx, c, err.Error(), next, giveUp, now); err != nil {
			log.ErrorContext(ctx, "outbox: record a failure", slog.Any("error", err))
		}
		log.WarnContext(ctx, "outbox: reply not sent", slog.Any("error", err), slog.Bool("gave_up", giveUp))
	}
	sender, err := o.sender(model.Source{ID: c.SourceID, Kind: c.SourceKind, Channel: c.Entry.Channel, WorkspaceID: c.WorkspaceID}, c.SourceConfig)
	if err != nil {
		fail(err, true)
		return
	}
	r := connector.Reply{Key: ReplyKey(c), ConversationExternalID: c.RootExternalID, InReplyTo: c.Entry.InReplyTo,
		Body: c.Entry.Body, AuthorName: c.AuthorName, To: c.To, Subject: c.Subject, References: c.References}
	if r.InReplyTo == "" {
		r.InReplyTo = c.RootExternalID
	}
	// An earlier attempt may have reached the platform: cut short, or
	// failed in a way that does not say (a timeout after the request
	// went out). The platform is asked first.
	if c.Interrupted || c.Entry.Attempts > 0 {
		sent, found, err := sender.Find(sctx, r)
		switch {
		case errors.Is(err, connector.ErrUnsupported) && !c.Interrupted:
			// A failed attempt ended, and the connector sends under
			// the reply's key where the platform honours one.
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
	sent, err := sender.Reply(sctx, r)
	if err != nil {
		fail(err, false)
		return
	}
	if err := o.Store.ReplySent(rctx, c, sent.ExternalID, sent.URL, o.Now()); err != nil {
		log.ErrorContext(ctx, "outbox: record it sent", slog.Any("error", err))
	}
}

// Moderate applies one claimed moderation action on its platform and
// records how it went. Applying an action twice leaves the platform as
// once, so an attempt cut short is made again. An action the platform
// cannot take fails at once, with the reason.
func (o *Outbox) Moderate(ctx context.Context, c store.ModerationClaim) {
	log := o.Logger.With(slog.Int64("moderation", c.ID), slog.Int64("conversation", c.ConversationID))
	sctx, cancel := context.WithTimeout(ctx, outboxSendTimeout)
	defer cancel()
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer rcancel()
	sender, err := o.sender(model.Source{ID: c.SourceID, Kind: c.SourceKind, Channel: c.Channel, WorkspaceID: c.WorkspaceID}, c.SourceConfig)
	if err == nil {
		err = sender.Moderate(sctx, c.ExternalID, c.Action)
	}
	if err == nil {
		if err := o.Store.ModerationSent(rctx, c, o.Now()); err != nil {
			log.ErrorContext(ctx, "outbox: record moderation sent", slog.Any("error", err))
		}
		return
	}
	now := o.Now()
	next, giveUp := retryAt(now, err, c.Attempts+1)
	giveUp = giveUp || errors.Is(err, connector.ErrUnsupported)
	if err := o.Store.ModerationFailed(rctx, c, err.Error(), next, giveUp, now); err != nil {
		log.ErrorContext(ctx, "outbox: record a moderation failure", slog.Any("error", err))
	}
	log.WarnContext(ctx, "outbox: moderation not sent", slog.String("action", c.Action), slog.Any("error", err), slog.Bool("gave_up", giveUp))
}

// sender builds the connector that sends through src, whose settings are
// config. Its errors are permanent: retrying does not mend settings.
func (o *Outbox) sender(src model.Source, config string) (connector.Sender, error) {
	f := o.Factories[src.Kind]
	if f == nil {
		return nil, &connector.PermanentError{Err: fmt.Errorf("%w %q: this palabre cannot send through it", ErrUnknownKind, src.Kind)}
	}
	built, err := f(src, []byte(config))
	if err != nil {
		return nil, &connector.PermanentError{Err: fmt.Errorf("the %s source's settings: %w", src.Kind, err)}
	}
	if built.Sender == nil {
		return nil, &connector.PermanentError{Err: fmt.Errorf("a %s source cannot send", src.Kind)}
	}
	return built.Sender, nil
}

// retryAt says when an attempt that failed with err, the attempts-th, is
// tried again, and whether it is not (a permanent failure, or the last
// attempt).
func retryAt(now time.Time, err error, attempts int) (next time.Time, giveUp bool) {
	giveUp = connector.IsPermanent(err) || attempts >= OutboxMaxAttempts
	return now.Add(Backoff(outboxFirstRetry, attempts, connector.RetryAfter(err), rand.Float64())), giveUp
}

// ReplyKey names a reply for good, for the platform to recognise it again
// (an idempotency key, a Message-ID): its workspace and outbox entry.
func ReplyKey(c store.OutboxClaim) string {
	return "palabre-" + strconv.FormatInt(c.WorkspaceID, 10) + "-" + strconv.FormatInt(c.Entry.ID, 10)
}
