package fetch

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
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
	guarded := &net.Dialer{Timeout: timeout, Control: c.control}
	open := &net.Dialer{Timeout: timeout}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if c.hostAllowed(addr) {
			return open.DialContext(ctx, network, addr)
		}
		return guarded.DialContext(ctx, network, addr)
	}
	transport := &http.Transport{
		// No proxy from the environment: a proxy would dial the target
		// itself, out of reach of the address check.
		Proxy:                 nil,
		DialContext:           dial,
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

// Reusing returns a copy of c whose fetches share one pool of
// connections, kept open between them, for a caller that fetches from the
// same hosts again and again (live sources); c's own fetches each close
// theirs.
func (c Client) Reusing() *Client {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	hc := c.httpClient(timeout)
	t := hc.Transport.(*http.Transport)
	t.MaxIdleConns, t.MaxIdleConnsPerHost, t.IdleConnTimeout = 64, 2, 90*time.Second
	c.client = hc
	return &c
}

// hostAllowed reports whether the host of addr (host:port, before name
// resolution) is one the administrator allows whatever its address.
func (c *Client) hostAllowed(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || len(c.AllowHosts) == 0 {
		return false
	}
	host = strings.TrimSuffix(host, ".")
	for _, h := range c.AllowHosts {
		if strings.EqualFold(strings.TrimSuffix(h, "."), host) {
			return true
		}
	}
	return false
}

// HTTPClient returns the *http.Client c's fetches use, with its address
// checks, for connectors that speak an API of their own (WordPress,
// Mastodon): shared when c was made by Reusing, a new one otherwise.
func (c *Client) HTTPClient() *http.Client {
	if c.client != nil {
		return c.client
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return c.httpClient(timeout)
}

// Allows reports whether c lets a connection reach host whatever address
// it resolves to: every host when AllowPrivate, else those of AllowHosts.
// Connectors that dial themselves (e-mail) lift their own address check
// for the hosts it allows.
func (c *Client) Allows(host string) bool {
	return c.AllowPrivate || c.hostAllowed(net.JoinHostPort(host, "0"))
}
