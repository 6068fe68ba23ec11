package connector

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxRetryAfter bounds how long a server may ask palabre to wait: a
// Retry-After of a week is read as a day.
const maxRetryAfter = 24 * time.Hour

// StatusError classifies an HTTP answer that is not a success: nil for 2xx
// and 304; a TemporaryError for 408, 425, 429 and 5xx, carrying the
// server's Retry-After; a PermanentError for other statuses (401, 403, 404,
// 410…). what names the request in the error ("GET https://…/comments").
// The first bytes of the body, when it has one, go into the message: APIs
// explain there why they refused.
func StatusError(what string, resp *http.Response, now time.Time) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 || code == http.StatusNotModified {
		return nil
	}
	msg := fmt.Sprintf("%s: server answered %s", what, resp.Status)
	if resp.Body != nil {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		if s := strings.Join(strings.Fields(string(snippet)), " "); s != "" {
			msg += ": " + s
		}
	}
	err := errors.New(msg)
	switch {
	case code == http.StatusRequestTimeout || code == http.StatusTooEarly || code == http.StatusTooManyRequests || code >= 500:
		return &TemporaryError{Err: err, RetryAfter: ParseRetryAfter(resp.Header.Get("Retry-After"), now)}
	}
	return &PermanentError{Err: err}
}

// ParseRetryAfter reads a Retry-After header: seconds or an HTTP date. It
// returns 0 when the header is absent, unreadable or in the past, and at
// most a day.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}
