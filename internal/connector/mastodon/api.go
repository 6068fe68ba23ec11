package mastodon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"palabre/internal/connector"
)

// maxAnswerBytes bounds an API answer: a thread of a few thousand statuses
// fits, a runaway answer does not fill the memory.
const maxAnswerBytes = 16 << 20

// get asks path with query and decodes the JSON answer into out.
func (c *Client) get(ctx context.Context, path string, query url.Values, out any) error {
	return c.call(ctx, http.MethodGet, path, query, nil, "", out)
}

// post sends form to path, with an Idempotency-Key header when key is
// set, and decodes the JSON answer into out.
func (c *Client) post(ctx context.Context, path string, form url.Values, key string, out any) error {
	return c.call(ctx, http.MethodPost, path, nil, form, key, out)
}

func (c *Client) call(ctx context.Context, method, path string, query, form url.Values, key string, out any) error {
	u := *c.base
	u.Path += path
	u.RawQuery = query.Encode()
	what := method + " " + u.Redacted()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", what, ctx.Err())
		}
		return &connector.TemporaryError{Err: fmt.Errorf("%s: %w", what, err)}
	}
	defer resp.Body.Close()
	if err := c.statusError(what, resp); err != nil {
		return err
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return &connector.TemporaryError{Err: fmt.Errorf("%s: read answer: %w", what, err)}
	}
	if len(raw) > maxAnswerBytes {
		return fmt.Errorf("%s: answer is larger than %d MiB", what, maxAnswerBytes>>20)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s: answer is not the JSON expected: %w", what, err)
	}
	return nil
}

// statusError classifies a failed answer as connector.StatusError does;
// Mastodon's 429 tells when its rate-limit window ends in
// X-RateLimit-Reset rather than in Retry-After, so that is read too.
func (c *Client) statusError(what string, resp *http.Response) error {
	now := c.now()
	err := connector.StatusError(what, resp, now)
	var temp *connector.TemporaryError
	if errors.As(err, &temp) && temp.RetryAfter == 0 && resp.StatusCode == http.StatusTooManyRequests {
		temp.RetryAfter = rateLimitReset(resp.Header.Get("X-RateLimit-Reset"), now)
	}
	return err
}

// rateLimitReset reads X-RateLimit-Reset as the time the window ends:
// Mastodon writes an ISO 8601 time ("2024-05-01T10:35:00.000Z"), some
// compatible servers a Unix time. The wait is bounded as Retry-After's
// is, and rounded up to the second so that it never ends early.
func rateLimitReset(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var at time.Time
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		at = t
	} else if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs > 0 {
		at = time.Unix(secs, 0)
	} else {
		return 0
	}
	at = at.Add(time.Second - time.Nanosecond).Truncate(time.Second)
	return connector.ParseRetryAfter(at.UTC().Format(http.TimeFormat), now)
}

// fmtPermanent is a PermanentError of a formatted message.
func fmtPermanent(format string, args ...any) error {
	return &connector.PermanentError{Err: fmt.Errorf(format, args...)}
}
