package email

import (
	"context"
	"errors"
	"net"
	"net/textproto"
	"syscall"
	"testing"

	"github.com/emersion/go-imap/v2"

	"palabre/internal/connector"
)

func TestFailureSorts(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	tests := []struct {
		name      string
		err       error
		permanent bool
	}{
		{"credentials refused", &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed}, true},
		{"mailbox missing", &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeNonExistent}, true},
		{"server busy", &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeUnavailable}, false},
		{"SMTP 535", &textproto.Error{Code: 535, Msg: "5.7.8 Authentication failed"}, true},
		{"SMTP 421", &textproto.Error{Code: 421, Msg: "4.3.2 Service not available"}, false},
		{"connection refused", refused, false},
		{"no such host", &net.DNSError{Err: "no such host", Name: "mail.invalid", IsNotFound: true}, true},
		{"DNS time-out", &net.DNSError{Err: "i/o timeout", Name: "mail.example", IsTimeout: true}, false},
		{"found wrong here", permanentf("the server does not offer STARTTLS"), true},
	}
	for _, tt := range tests {
		err := failure(context.Background(), "IMAP x", tt.err)
		var temp *connector.TemporaryError
		if got := connector.IsPermanent(err); got != tt.permanent || !tt.permanent && !errors.As(err, &temp) {
			t.Errorf("%s: %v (%T), want permanent %v", tt.name, err, err, tt.permanent)
		}
		if !errors.Is(err, tt.err) {
			t.Errorf("%s: %v does not wrap the cause", tt.name, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := failure(ctx, "IMAP x", refused)
	var temp *connector.TemporaryError
	if !errors.Is(err, context.Canceled) || connector.IsPermanent(err) || errors.As(err, &temp) {
		t.Errorf("after cancellation: %v, want the cancellation, neither temporary nor permanent", err)
	}
}
