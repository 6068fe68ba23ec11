package email

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/textproto"
	"time"

	"github.com/emersion/go-imap/v2"

	"palabre/internal/connector"
	"palabre/internal/fetch"
)

// dialFunc opens a network connection, honouring ctx.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// guardedDialer dials through the check palabre applies to every address
// its users type: the IP actually dialed must be public unless
// allowPrivate. fetch keeps that check; its HTTP client's dialer is the
// only way to it that fetch exports, so it is borrowed from there.
func guardedDialer(allowPrivate bool, timeout time.Duration) dialFunc {
	t, ok := fetch.NewHTTPClient(allowPrivate, timeout).Transport.(*http.Transport)
	if !ok || t.DialContext == nil {
		return func(context.Context, string, string) (net.Conn, error) {
			return nil, errors.New("no guarded dialer: fetch's HTTP client changed shape")
		}
	}
	return t.DialContext
}

// connect dials addr and, in implicit TLS mode, completes the handshake.
// STARTTLS is left to the protocol.
func (c *Channel) connect(ctx context.Context, addr string, mode TLSMode) (net.Conn, error) {
	conn, err := c.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if mode != TLSImplicit {
		return conn, nil
	}
	tc := tls.Client(conn, c.tlsFor(addr))
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	return tc, nil
}

// tlsFor is the TLS configuration for a server at addr.
func (c *Channel) tlsFor(addr string) *tls.Config {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.tls != nil {
		tc = c.tls.Clone()
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	tc.ServerName = host
	return tc
}

// failure names what failed and sorts err for the scheduler and the
// outbox: a PermanentError when retrying cannot help until someone changes
// the configuration or the message, a TemporaryError otherwise. When ctx
// was cancelled the cancellation is returned instead, since the failure is
// then only its consequence.
func failure(ctx context.Context, what string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			return &connector.TemporaryError{Err: fmt.Errorf("%s: timed out: %w", what, ctxErr)}
		}
		return fmt.Errorf("%s: %w", what, ctxErr)
	}
	err = fmt.Errorf("%s: %w", what, err)
	if permanent(err) {
		return &connector.PermanentError{Err: err}
	}
	return &connector.TemporaryError{Err: err}
}

// errPermanent marks the failures this package finds itself that retrying
// cannot cure.
var errPermanent = errors.New("permanent failure")

// permanentf is an error that failure sorts as permanent.
func permanentf(format string, args ...any) error {
	return &markedError{err: fmt.Errorf(format, args...)}
}

type markedError struct{ err error }

func (e *markedError) Error() string   { return e.err.Error() }
func (e *markedError) Unwrap() []error { return []error{e.err, errPermanent} }

func permanent(err error) bool {
	if errors.Is(err, errPermanent) || errors.Is(err, fetch.ErrForbiddenAddress) || connector.IsPermanent(err) {
		return true
	}
	var (
		imapErr   *imap.Error
		smtpErr   *textproto.Error
		dnsErr    *net.DNSError
		verifyErr *tls.CertificateVerificationError
		recordErr tls.RecordHeaderError
		authErr   x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	switch {
	case errors.As(err, &imapErr):
		return permanentIMAP(imapErr)
	case errors.As(err, &smtpErr):
		return smtpErr.Code >= 500
	case errors.As(err, &dnsErr):
		return dnsErr.IsNotFound
	case errors.As(err, &verifyErr), errors.As(err, &recordErr), errors.As(err, &authErr),
		errors.As(err, &hostErr), errors.As(err, &invalid):
		// A certificate the server will keep presenting, or a server
		// that does not speak TLS on that port.
		return true
	}
	return false
}

// permanentIMAP sorts an IMAP NO or BAD answer: the response codes of RFC
// 5530 that say "later" are temporary; refused credentials, a missing
// mailbox, a command the server does not understand are not.
func permanentIMAP(e *imap.Error) bool {
	switch e.Code {
	case imap.ResponseCodeUnavailable, imap.ResponseCodeInUse, imap.ResponseCodeServerBug,
		imap.ResponseCodeLimit, imap.ResponseCodeOverQuota:
		return false
	}
	return true
}
