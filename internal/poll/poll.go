// Package poll runs palabre's live sources: each is polled on its own
// schedule by a connector, what it reads is stored as any import is, and
// how it went is kept as the source's health. Failures back off
// exponentially, with jitter, and for as long as a server's Retry-After
// asks; a host is never polled by more than a few requests at once. With
// several palabre nodes on one PostgreSQL database, each source is polled
// by one node at a time: a node claims a source for a lease before polling
// it and records the outcome only while the claim is still its own.
package poll

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"palabre/internal/connector"
	"palabre/internal/model"
	"palabre/internal/store"
)

// Built is a source's connector, ready to poll and, when its platform
// takes replies, to send them (Sender nil otherwise).
type Built struct {
	Poller connector.Poller
	Sender connector.Sender
	// Host is what the per-host limit counts: the host the connector
	// talks to (a feed's, a mail server's).
	Host string
}

// Factory builds the connector of a source from its settings (JSON).
type Factory func(src model.Source, config []byte) (Built, error)

// Store is what the scheduler reads and writes. *store.Store satisfies it.
type Store interface {
	ClaimSources(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]store.SourceClaim, error)
	FinishPoll(ctx context.Context, c store.SourceClaim, o store.PollOutcome) error
	NextSourceDue(ctx context.Context) (time.Time, bool, error)
	SendingTo(ctx context.Context, workspaceID int64, channel string, now time.Time) (bool, error)
	FollowStatuses(ctx context.Context, workspaceID int64, channel string, statuses map[string]string) (int, error)
}

// Ingest stores what a poll of src read and returns how many new messages
// it stored.
type Ingest func(ctx context.Context, src model.Source, records []connector.Record) (int, error)

// Defaults of a Scheduler's zero fields.
const (
	DefaultConcurrency = 16
	DefaultPerHost     = 2
	DefaultPollTimeout = 2 * time.Minute
	// MaxBackoff bounds the wait after failures (a Retry-After may ask
	// longer, up to a day).
	MaxBackoff = time.Hour
	// maxPages bounds the pages one claim reads of a source that has
	// more; the source is then due again at once.
	maxPages = 20
	// idle is how long the scheduler sleeps at most between two looks at
	// the due sources, so that sources added by another node are seen.
	idle = 5 * time.Second
	// maxSettle bounds how long a poll waits for a reply being sent to
	// its channel (the send's own timeout, and some), settleEvery how
	// often it looks.
	maxSettle   = 75 * time.Second
	settleEvery = 50 * time.Millisecond
)

// Scheduler polls the due sources until its context ends. Fill in the
// exported fields, then call Run.
type Scheduler struct {
	Store     Store
	Factories map[string]Factory // by source kind
	Ingest    Ingest
	Logger    *slog.Logger
	Now       func() time.Time

	Concurrency int           // polls at once; 0 means DefaultConcurrency
	PerHost     int           // polls of one host at once; 0 means DefaultPerHost
	PollTimeout time.Duration // one claim's whole work; 0 means DefaultPollTimeout

	wake  chan struct{}
	mu    sync.Mutex
	hosts map[string]chan struct{}
}

// Wake makes the scheduler look for due sources now (a source was added
// or asked to poll now). It never blocks.
func (s *Scheduler) Wake() {
	s.init()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Scheduler) init() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wake == nil {
		s.wake = make(chan struct{}, 1)
		s.hosts = make(map[string]chan struct{})
	}
}

// Run polls due sources until ctx ends; polls in progress then finish
// (their context ends too) before it returns.
func (s *Scheduler) Run(ctx context.Context) {
	s.init()
	concurrency := orDefault(s.Concurrency, DefaultConcurrency)
	slots := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		free := concurrency - len(slots)
		if free > 0 {
			claims, err := s.Store.ClaimSources(ctx, s.Now(), free, s.lease())
			if err != nil && ctx.Err() == nil {
				s.Logger.ErrorContext(ctx, "sources: claim", slog.Any("error", err))
			}
			for _, c := range claims {
				slots <- struct{}{}
				wg.Add(1)
				go func() {
					defer func() { <-slots; wg.Done() }()
					s.run(ctx, c)
				}()
			}
		}
		wait := idle
		if next, ok, err := s.Store.NextSourceDue(ctx); err == nil && ok {
			wait = min(max(next.Sub(s.Now()), 10*time.Millisecond), idle)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// lease is how long a claim holds a source: longer than a poll may take,
// so that a claim is never lost while its poll goes on.
func (s *Scheduler) lease() time.Duration { return 2*s.pollTimeout() + time.Minute }

func (s *Scheduler) pollTimeout() time.Duration { return orDefault(s.PollTimeout, DefaultPollTimeout) }

// run polls one claimed source, pages after pages while it has more (up
// to maxPages), stores what it read and records how it went.
func (s *Scheduler) run(ctx context.Context, c store.SourceClaim) {
	src := c.Source
	log := s.Logger.With(slog.Int64("source", src.ID), slog.String("name", src.Name), slog.String("kind", src.Kind))
	pctx, cancel := context.WithTimeout(ctx, s.pollTimeout())
	defer cancel()
	items, cursor, more, err := s.poll(pctx, c)
	now := s.Now()
	out := store.PollOutcome{At: now, Cursor: cursor, Items: items}
	switch {
	case err != nil:
		out.Err = err.Error()
		out.Next = now.Add(Backoff(time.Duration(src.IntervalSeconds)*time.Second, src.Health.Failures+1, connector.RetryAfter(err), rand.Float64()))
		if ctx.Err() == nil {
			log.WarnContext(ctx, "source: poll failed", slog.Any("error", err), slog.Int("failures", src.Health.Failures+1),
				slog.Time("next", out.Next))
		}
	case more:
		out.Next = now
	default:
		out.Next = now.Add(Jitter(time.Duration(src.IntervalSeconds)*time.Second, rand.Float64()))
	}
	// The outcome is recorded even when ctx ended (the server stops): a
	// short context of its own lets it be written.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer rcancel()
	if err := s.Store.FinishPoll(rctx, c, out); err != nil {
		log.ErrorContext(ctx, "source: record poll", slog.Any("error", err))
	}
}

// poll reads a claimed source and stores what it reads, page by page; it
// returns how many messages were read, the cursor to keep (JSON; empty to
// keep the old one) and whether the source has more to read now.
func (s *Scheduler) poll(ctx context.Context, c store.SourceClaim) (int, string, bool, error) {
	src := c.Source
	f := s.Factories[src.Kind]
	if f == nil {
		return 0, "", false, &connector.PermanentError{Err: fmt.Errorf("%w %q: this palabre cannot poll it", ErrUnknownKind, src.Kind)}
	}
	built, err := f(src, []byte(c.Config))
	if err != nil {
		return 0, "", false, &connector.PermanentError{Err: fmt.Errorf("settings: %w", err)}
	}
	var cur connector.Cursor
	if c.Cursor != "" {
		if err := json.Unmarshal([]byte(c.Cursor), &cur); err != nil {
			cur = connector.Cursor{} // read again from the start: nothing is stored twice
		}
	}
	release, err := s.host(ctx, built.Host)
	if err != nil {
		return 0, "", false, err
	}
	defer release()
	items, kept := 0, ""
	for page := 0; page < maxPages; page++ {
		batch, err := built.Poller.Poll(ctx, cur)
		if err != nil {
			return items, kept, false, err
		}
		if len(batch.Records) > 0 {
			if err := s.settle(ctx, src); err != nil {
				return items, kept, false, err
			}
			if _, err := s.Ingest(ctx, src, batch.Records); err != nil {
				return items, kept, false, fmt.Errorf("store what was read: %w", err)
			}
			items += len(batch.Records)
		}
		if _, err := s.Store.FollowStatuses(ctx, src.WorkspaceID, src.Channel, batch.Statuses); err != nil {
			return items, kept, false, fmt.Errorf("store the statuses read: %w", err)
		}
		cur = batch.Cursor
		b, err := json.Marshal(cur)
		if err != nil {
			return items, kept, false, err
		}
		kept = string(b)
		if !batch.More {
			return items, kept, false, nil
		}
	}
	return items, kept, true, nil
}

// settle waits, up to maxSettle, until no reply to the source's channel
// is being sent. A poll that read a reply while it was being posted then
// stores it after the outbox gave the reply the platform's id, so it is
// found stored already rather than stored twice.
func (s *Scheduler) settle(ctx context.Context, src model.Source) error {
	deadline := s.Now().Add(maxSettle)
	for {
		busy, err := s.Store.SendingTo(ctx, src.WorkspaceID, src.Channel, s.Now())
		if err != nil || !busy || !s.Now().Before(deadline) {
			return err // a sender gone this long crashed: its next claim asks the platform
		}
		t := time.NewTimer(settleEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// host waits for one of the slots of a host and returns what frees it.
func (s *Scheduler) host(ctx context.Context, host string) (func(), error) {
	if host == "" {
		return func() {}, nil
	}
	s.mu.Lock()
	sem := s.hosts[host]
	if sem == nil {
		sem = make(chan struct{}, orDefault(s.PerHost, DefaultPerHost))
		s.hosts[host] = sem
	}
	s.mu.Unlock()
	select {
	case sem <- struct{}{}:
		return func() { <-sem }, nil
	case <-ctx.Done():
		return nil, &connector.TemporaryError{Err: fmt.Errorf("waiting for a free connection to %s: %w", host, ctx.Err())}
	}
}

// Backoff is how long to wait before polling again a source that failed
// failures times in a row: its interval doubled at each failure, up to
// MaxBackoff, spread by ±20% (r in [0, 1) draws the spread), and never
// less than what the server asked (retryAfter).
func Backoff(interval time.Duration, failures int, retryAfter time.Duration, r float64) time.Duration {
	d := interval
	for i := 1; i < failures && d < MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, MaxBackoff)
	d = time.Duration(float64(d) * (0.8 + 0.4*r))
	return max(d, retryAfter)
}

// Jitter spreads an interval by ±10% (r in [0, 1) draws it), so that
// sources created together do not stay polled together.
func Jitter(interval time.Duration, r float64) time.Duration {
	return time.Duration(float64(interval) * (0.9 + 0.2*r))
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// ErrUnknownKind: no connector is registered for a source's kind.
var ErrUnknownKind = errors.New("unknown source kind")
