// Package fetch downloads what a user asks palabre to import from a URL (a
// feed, an export) without letting that URL reach places an importer must
// not: the machine palabre runs on, its private network, cloud metadata
// endpoints. The address check is made on the IP actually dialed, so a name
// that resolves to a private address, a DNS answer that changes between
// check and use, or a redirect to an internal host are refused alike.
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"palabre/internal/connector"
	"palabre/internal/version"
)

// Defaults for the zero values of Client's fields.
const (
	DefaultTimeout  = 60 * time.Second
	DefaultMaxBytes = 256 << 20 // a large blog's WXR export fits
)

// maxRedirects is how many redirects Get follows: enough for http→https
// and a moved feed, few enough to stop loops quickly.
const maxRedirects = 5

// Errors callers may want to tell apart, for instance to suggest a flag.
var (
	// ErrForbiddenAddress: the URL leads to a non-public address and the
	// Client does not allow private addresses.
	ErrForbiddenAddress = errors.New("address is not public")
	// ErrTooLarge: the response body is larger than Client.MaxBytes.
	ErrTooLarge = errors.New("response body exceeds the size limit")
)

// Client fetches http and https URLs safely. The zero value is ready to
// use and refuses non-public addresses.
type Client struct {
	// AllowPrivate permits loopback, private, link-local and other
	// non-public addresses, for feeds served inside a company network.
	AllowPrivate bool
	// AllowHosts are host names (or IP literals) an administrator allows
	// whatever they resolve to: an intranet forum, a mail server on the
	// same machine. Matched whole, case-insensitively.
	AllowHosts []string
	// Timeout bounds the whole exchange, connection to last byte of the
	// body; zero means DefaultTimeout.
	Timeout time.Duration
	// MaxBytes caps the body; reading more fails with ErrTooLarge rather
	// than silently truncating. Zero means DefaultMaxBytes.
	MaxBytes int64
	// UserAgent is sent with each request; empty means palabre and its
	// version (version.Info.UserAgent).
	UserAgent string

	// client, when set, is shared by every Fetch (NewPoller's); else each
	// Fetch makes its own and closes its connections when done.
	client *http.Client

	// allowAddr lets tests treat one loopback server as if it were public,
	// so that redirects from it to other local addresses can be tested.
	allowAddr func(netip.AddrPort) bool
}

// Get fetches rawURL and returns its body, which the caller must close.
// It fails, with an error naming the URL, on a URL that is not http or
// https, a non-public address (unless AllowPrivate), more than five
// redirects or a status other than 2xx; reading the body fails with
// ErrTooLarge past MaxBytes.
func (c *Client) Get(ctx context.Context, rawURL string) (io.ReadCloser, error) {
	resp, err := c.Fetch(ctx, Request{URL: rawURL})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// Request is a GET that may be conditional.
type Request struct {
	URL string
	// ETag and LastModified are the validators of an earlier answer:
	// sent as If-None-Match and If-Modified-Since, so that a server with
	// nothing new answers 304 without a body.
	ETag, LastModified string
	// Accept, when set, replaces the default (feeds first).
	Accept string
}

// Response is the answer to a Request: 304 (NotModified, no Body), or a
// body the caller must read and close, with the validators to send next
// time.
type Response struct {
	Body        io.ReadCloser
	NotModified bool
	ETag        string
	// LastModified is the server's Last-Modified, as it wrote it.
	LastModified string
	// URL is where the answer came from, after redirects.
	URL string
}

// Fetch sends req, with the same checks as Get. A status other than 2xx or
// 304 is an error that connector.IsPermanent and connector.RetryAfter can
// read: 408, 425, 429 and 5xx are temporary, with the server's
// Retry-After; other statuses permanent. Network failures are temporary.
func (c *Client) Fetch(ctx context.Context, r Request) (Response, error) {
	u, err := url.Parse(r.URL)
	if err != nil {
		return Response{}, &connector.PermanentError{Err: fmt.Errorf("fetch %q: %w", r.URL, err)}
	}
	if err := checkURL(u); err != nil {
		return Response{}, &connector.PermanentError{Err: fmt.Errorf("fetch %s: %w", u.Redacted(), err)}
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	limit := c.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	agent := c.UserAgent
	if agent == "" {
		agent = version.Read().UserAgent()
	}
	accept := r.Accept
	if accept == "" {
		accept = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
	}

	client := c.client
	if client == nil {
		client = c.httpClient(timeout)
	}
	transport := client.Transport.(*http.Transport)
	release := func() {
		if c.client == nil {
			transport.CloseIdleConnections()
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Response{}, &connector.PermanentError{Err: fmt.Errorf("fetch %s: %w", u.Redacted(), err)}
	}
	req.Header.Set("User-Agent", agent)
	req.Header.Set("Accept", accept)
	if r.ETag != "" {
		req.Header.Set("If-None-Match", r.ETag)
	}
	if r.LastModified != "" {
		req.Header.Set("If-Modified-Since", r.LastModified)
	}

	resp, err := client.Do(req)
	if err != nil {
		release()
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message would repeat the URL
		}
		err = fmt.Errorf("fetch %s: %w", u.Redacted(), err)
		if errors.Is(err, ErrForbiddenAddress) {
			return Response{}, &connector.PermanentError{Err: err}
		}
		return Response{}, &connector.TemporaryError{Err: err}
	}
	where := u.Redacted()
	if final := resp.Request.URL.Redacted(); final != where {
		where += " (redirected to " + final + ")"
	}
	out := Response{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"), URL: resp.Request.URL.String()}
	if resp.StatusCode == http.StatusNotModified {
		resp.Body.Close()
		release()
		out.NotModified = true
		return out, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		err := connector.StatusError("fetch "+where, resp, time.Now())
		resp.Body.Close()
		release()
		return Response{}, err
	}
	if resp.ContentLength > limit {
		resp.Body.Close()
		release()
		return Response{}, &connector.PermanentError{Err: fmt.Errorf("fetch %s: %w: %d bytes announced, limit %d", where, ErrTooLarge, resp.ContentLength, limit)}
	}
	out.Body = &body{rc: resp.Body, left: limit, limit: limit, url: u.Redacted(), release: release}
	return out, nil
}

// checkURL accepts absolute http and https URLs only: other schemes (file,
// ftp, gopher…) reach what an importer has no business reading.
func checkURL(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("scheme %q is not allowed, only http and https", u.Scheme)
	}
	if u.Hostname() == "" {
		return errors.New("URL has no host")
	}
	return nil
}

// control runs after name resolution, just before each connection: it sees
// the IP really dialed.
func (c *Client) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("refusing to connect to %s: not an IP address and port", address)
	}
	if c.AllowPrivate {
		return nil
	}
	reason := nonPublic(ap.Addr())
	if reason == "" || c.allowAddr != nil && c.allowAddr(ap) {
		return nil
	}
	return fmt.Errorf("refusing to connect to %s (%s): %w; private addresses must be allowed explicitly", ap, reason, ErrForbiddenAddress)
}

// body enforces the size limit and releases the connection on Close.
type body struct {
	rc      io.ReadCloser
	left    int64 // bytes still allowed
	limit   int64
	url     string
	release func()
}

func (b *body) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, b.tooLarge()
	}
	// Ask for one byte past the limit: seeing it is the only way to know
	// the body is too large rather than exactly at the limit.
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	if int64(n) > b.left {
		n, b.left = int(b.left), -1
		return n, b.tooLarge()
	}
	b.left -= int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		err = fmt.Errorf("fetch %s: %w", b.url, err)
	}
	return n, err
}

func (b *body) tooLarge() error {
	return fmt.Errorf("fetch %s: %w (%d bytes)", b.url, ErrTooLarge, b.limit)
}

func (b *body) Close() error {
	err := b.rc.Close()
	b.release()
	return err
}
