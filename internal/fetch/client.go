package fetch

import (
	"fmt"
	"net"
	"net/http"
	"time"
)

// NewHTTPClient returns a long-lived *http.Client for other outbound
// requests palabre makes to URLs its users typed (webhooks, for one), with
// the same guard as Client.Get: the IP actually dialed must be public
// unless allowPrivate, no proxy is taken from the environment, only http
// and https are followed, and at most five redirects are. Callers that
// must not follow redirects at all set CheckRedirect on the result.
//
// timeout bounds each whole exchange; zero or less means DefaultTimeout.
// The client keeps idle connections for reuse, so share one rather than
// building one per request.
func NewHTTPClient(allowPrivate bool, timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	c := (&Client{AllowPrivate: allowPrivate}).httpClient(timeout)
	t := c.Transport.(*http.Transport)
	t.MaxIdleConns, t.MaxIdleConnsPerHost, t.IdleConnTimeout = 32, 4, 90*time.Second
	return c
}

// httpClient is an *http.Client whose every dial and redirect passes c's
// checks, each exchange bounded by timeout; it keeps one idle connection.
func (c *Client) httpClient(timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: timeout, Control: c.control}
	transport := &http.Transport{
		// No proxy from the environment: a proxy would dial the target
		// itself, out of reach of the address check.
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			if err := checkURL(req.URL); err != nil {
				return fmt.Errorf("redirect to %s: %w", req.URL.Redacted(), err)
			}
			return nil
		},
	}
}
