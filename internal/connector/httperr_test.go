package connector

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestStatusError(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	answer := func(code int, retry, body string) *http.Response {
		h := http.Header{}
		if retry != "" {
			h.Set("Retry-After", retry)
		}
		return &http.Response{StatusCode: code, Status: http.StatusText(code), Header: h, Body: io.NopCloser(strings.NewReader(body))}
	}
	for _, tc := range []struct {
		resp      *http.Response
		permanent bool
		temporary bool
		retry     time.Duration
		says      string
	}{
		{resp: answer(200, "", "")},
		{resp: answer(304, "", "")},
		{resp: answer(429, "120", ""), temporary: true, retry: 2 * time.Minute},
		{resp: answer(503, now.Add(90*time.Second).Format(http.TimeFormat), "down"), temporary: true, retry: 90 * time.Second, says: "down"},
		{resp: answer(503, "9999999", ""), temporary: true, retry: 24 * time.Hour},
		{resp: answer(500, "soon", ""), temporary: true},
		{resp: answer(401, "", `{"code":"rest_forbidden",  "message":"Sorry"}`), permanent: true, says: `{"code":"rest_forbidden", "message":"Sorry"}`},
		{resp: answer(404, "", ""), permanent: true},
	} {
		err := StatusError("GET x", tc.resp, now)
		code := tc.resp.StatusCode
		if (err == nil) != (!tc.permanent && !tc.temporary) {
			t.Errorf("%d: error %v", code, err)
			continue
		}
		if err == nil {
			continue
		}
		var te *TemporaryError
		if IsPermanent(err) != tc.permanent || errors.As(err, &te) != tc.temporary {
			t.Errorf("%d: %T %v", code, err, err)
		}
		if got := RetryAfter(err); got != tc.retry {
			t.Errorf("%d: retry after %s, want %s", code, got, tc.retry)
		}
		if !strings.Contains(err.Error(), "GET x") || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%d: message %q lacks the request or %q", code, err, tc.says)
		}
	}
	if d := ParseRetryAfter(now.Add(-time.Hour).Format(http.TimeFormat), now); d != 0 {
		t.Errorf("a date in the past: %s", d)
	}
}
