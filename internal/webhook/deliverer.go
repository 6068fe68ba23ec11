package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"palabre/internal/fetch"
)

// Deliverer settings and what it sends.
const (
	// BatchSize is how many due deliveries one RunOnce claims.
	BatchSize = 50
	// Parallelism is how many deliveries one RunOnce sends at a time:
	// enough that one slow receiver does not hold up the others, few
	// enough not to flood a receiver that gets most of a batch.
	Parallelism = 8
	// DefaultTimeout bounds one attempt when Deliverer.Timeout is zero.
	DefaultTimeout = 10 * time.Second
	// DefaultInterval is how often Run looks for due deliveries when
	// given no interval.
	DefaultInterval = 5 * time.Second
	// UserAgent is sent with every delivery.
	UserAgent = "palabre-webhook"

	// maxResponseBytes is how much of a receiver's answer is read (and
	// discarded) so that the connection can be reused; a longer answer
	// only costs its connection.
	maxResponseBytes = 64 << 10
	// maxErrorLen caps the error kept with a failed attempt.
	maxErrorLen = 500
)

// Deliverer sends due deliveries and records their outcome in its Store.
// Only Store is required.
type Deliverer struct {
	// Store hands out due deliveries and records outcomes.
	Store Store
	// Client sends the requests. Nil means a client that refuses private,
	// loopback and other non-public addresses (see fetch.NewHTTPClient).
	// Whatever the client, redirects are never followed: a receiver must
	// be registered under its final URL, and following would let a public
	// URL bounce a signed request to an internal one.
	Client *http.Client
	// Logger receives one line per failed attempt; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Timeout bounds one attempt, from connecting to reading the answer;
	// zero means DefaultTimeout.
	Timeout time.Duration
}

// RunOnce claims up to BatchSize due deliveries, sends them, Parallelism
// at a time, and records each outcome: a 2xx answer is a success;
// anything else (another status, a redirect, a transport error, no answer
// within Timeout) is a failure retried Backoff later, or given up after
// MaxAttempts. It returns how many deliveries it claimed, and an error
// only when the store failed: a receiver's failure is an outcome, not an
// error.
//
// An attempt cut short because ctx ended is not recorded; its claim runs
// out and the delivery is tried again without counting that attempt.
func (d *Deliverer) RunOnce(ctx context.Context) (int, error) {
	client, owned := d.httpClient()
	if owned {
		defer client.CloseIdleConnections()
	}
	return d.runOnce(ctx, client)
}

// Run calls RunOnce every interval (zero or less means DefaultInterval),
// at once again after a full batch since more are likely due, until ctx
// ends. Store errors are logged and retried at the next tick.
func (d *Deliverer) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultInterval
	}
	client, owned := d.httpClient()
	if owned {
		defer client.CloseIdleConnections()
	}
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	for ctx.Err() == nil {
		n, err := d.runOnce(ctx, client)
		if err != nil && ctx.Err() == nil {
			d.logger().Error("webhook deliveries", slog.Any("error", err))
		}
		if n == BatchSize && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
		case <-ticker.C:
		}
	}
}

func (d *Deliverer) runOnce(ctx context.Context, client *http.Client) (int, error) {
	timeout := d.timeout()
	// The lease covers sending the whole batch at Parallelism per round,
	// each attempt taking up to timeout, plus a round to record outcomes.
	rounds := (BatchSize + Parallelism - 1) / Parallelism
	lease := time.Duration(rounds+1) * timeout
	due, err := d.Store.ClaimDeliveries(ctx, d.now(), BatchSize, lease)
	if err != nil {
		return 0, fmt.Errorf("webhook: claim due deliveries: %w", err)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, Parallelism)
	)
	for _, dl := range due {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := d.deliver(ctx, client, dl, timeout); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return len(due), errors.Join(errs...)
}

// deliver makes one attempt and records its outcome; it returns only the
// store's errors.
func (d *Deliverer) deliver(ctx context.Context, client *http.Client, dl Delivery, timeout time.Duration) error {
	status, err := d.post(ctx, client, dl, timeout)
	if ctx.Err() != nil {
		return nil // shutting down: the attempt does not count
	}
	now := d.now()
	if err == nil {
		if serr := d.Store.DeliverySucceeded(ctx, dl.ID, status, now); serr != nil {
			return fmt.Errorf("webhook: record delivery %d succeeded: %w", dl.ID, serr)
		}
		return nil
	}
	attempt := dl.Attempts + 1
	giveUp := attempt >= MaxAttempts
	next := now.Add(Backoff(attempt))
	msg := truncate(err.Error(), maxErrorLen)
	log := d.logger().With(
		slog.Int64("delivery_id", dl.ID), slog.Int64("webhook_id", dl.WebhookID),
		slog.Int64("event_id", dl.EventID), slog.Int("attempt", attempt),
		slog.Int("status", status), slog.String("error", msg))
	if giveUp {
		log.Warn("webhook delivery given up")
	} else {
		log.Info("webhook delivery failed", slog.Time("next_attempt", next))
	}
	if serr := d.Store.DeliveryFailed(ctx, dl.ID, status, msg, next, giveUp); serr != nil {
		return fmt.Errorf("webhook: record delivery %d failed: %w", dl.ID, serr)
	}
	return nil
}

// post sends dl once and returns the answer's status (0 without one) and,
// unless it is 2xx, why the attempt failed.
func (d *Deliverer) post(ctx context.Context, client *http.Client, dl Delivery, timeout time.Duration) (int, error) {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, dl.URL, bytes.NewReader(dl.Payload))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(EventHeader, dl.Action)
	req.Header.Set(DeliveryHeader, strconv.FormatInt(dl.ID, 10))
	req.Header.Set(SignatureHeader, Sign([]byte(dl.Secret), d.now(), dl.Payload))

	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return 0, fmt.Errorf("no answer within %s", timeout)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message would repeat the URL the manager knows
		}
		return 0, fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	// Errors reading the answer do not matter: the status decides.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBytes))
	switch code := resp.StatusCode; {
	case code >= 200 && code <= 299:
		return code, nil
	case code >= 300 && code <= 399:
		return code, fmt.Errorf("receiver answered %s redirecting to %q: redirects are not followed, register the final URL",
			resp.Status, resp.Header.Get("Location"))
	default:
		return code, fmt.Errorf("receiver answered %s", resp.Status)
	}
}

// httpClient returns the client to send with, never following redirects,
// and whether it was made here (so its idle connections are ours to
// close).
func (d *Deliverer) httpClient() (*http.Client, bool) {
	base, owned := d.Client, false
	if base == nil {
		base, owned = fetch.NewHTTPClient(false, d.timeout()), true
	}
	c := *base
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c, owned
}

func (d *Deliverer) timeout() time.Duration {
	if d.Timeout <= 0 {
		return DefaultTimeout
	}
	return d.Timeout
}

func (d *Deliverer) now() time.Time {
	if d.Now == nil {
		return time.Now()
	}
	return d.Now()
}

func (d *Deliverer) logger() *slog.Logger {
	if d.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Logger
}

// truncate shortens s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
