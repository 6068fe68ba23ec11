// Package email is the live e-mail channel: it reads a mailbox over IMAP,
// turning each new message into a palabre message threaded by its
// Message-ID, In-Reply-To and References headers, and sends the staff's
// replies over SMTP as plain-text answers to the author, threaded the same
// way.
//
// The mailbox is only read: messages are neither moved nor flagged seen
// unless the channel is configured to, so that people reading the same
// mailbox with a mail client see it as before.
package email

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"strings"
	"time"

	"palabre/internal/connector"
)

// TLSMode says how a connection to a mail server is protected.
type TLSMode string

// TLS modes. The zero value picks by port: implicit TLS on the ports
// reserved for it (993 for IMAP, 465 for SMTP), STARTTLS elsewhere; a
// connection is never left in clear unless TLSNone is asked for.
const (
	TLSNone     TLSMode = "none"     // clear text, for servers on a trusted network
	TLSStartTLS TLSMode = "starttls" // clear text upgraded by STARTTLS, refused if the server cannot
	TLSImplicit TLSMode = "tls"      // TLS from the first byte
)

// Defaults for the zero values of Config's fields.
const (
	DefaultMailbox         = "INBOX"
	DefaultBatchSize       = 50
	DefaultMaxMessageBytes = 10 << 20
	DefaultTimeout         = 60 * time.Second
)

// Config says which mailbox a channel reads and how it answers.
type Config struct {
	// IMAPAddr is the IMAP server's host:port.
	IMAPAddr     string
	IMAPUser     string
	IMAPPassword string
	IMAPTLS      TLSMode
	// Mailbox is the mailbox read; empty means INBOX.
	Mailbox string
	// MarkSeen flags the messages read as \Seen on the server, for a
	// mailbox that only palabre reads.
	MarkSeen bool
	// SentMailbox is where the replies sent are kept ("Sent"): Find looks
	// for a reply there. Empty: Find answers ErrUnsupported.
	SentMailbox string
	// SaveSent appends a copy of each reply sent to SentMailbox, for
	// servers that do not file what is sent through them by themselves.
	SaveSent bool
	// JunkMailbox and TrashMailbox, when set, are where Moderate moves a
	// message marked spam or trashed; empty, those actions are
	// unsupported.
	JunkMailbox  string
	TrashMailbox string

	// SMTPAddr is the submission server's host:port.
	SMTPAddr     string
	SMTPUser     string
	SMTPPassword string
	SMTPTLS      TLSMode
	// From is the address replies are sent from; its domain also names
	// the replies' Message-IDs.
	From mail.Address

	// AllowPrivate lets the channel reach servers on loopback, private and
	// other non-public addresses, for a mail server inside the company's
	// network. Refused otherwise, as for every address a user types.
	AllowPrivate bool
	// BatchSize is how many messages one poll reads at most; zero means
	// DefaultBatchSize.
	BatchSize int
	// MaxMessageBytes is the largest message read; a larger one becomes a
	// bad record naming it. Zero means DefaultMaxMessageBytes.
	MaxMessageBytes int64
	// Timeout bounds one poll, reply, search or move, connection to
	// logout; zero means DefaultTimeout.
	Timeout time.Duration
	// Logger receives what the channel cannot return as an error, such as
	// a reply sent whose copy could not be filed in SentMailbox. Nil
	// discards it.
	Logger *slog.Logger
}

// Channel is one mailbox read over IMAP and answered over SMTP. It keeps
// no connection between calls and is safe for concurrent use.
type Channel struct {
	cfg  Config
	dial dialFunc
	tls  *tls.Config // nil: the system's roots
}

var (
	_ connector.Poller = (*Channel)(nil)
	_ connector.Sender = (*Channel)(nil)
)

// Option changes how a Channel works beyond its Config.
type Option func(*Channel)

// WithTLSConfig makes the channel verify its servers with tc (a private
// certificate authority, for one) instead of the system's roots. The
// server name is set for each connection.
func WithTLSConfig(tc *tls.Config) Option {
	return func(c *Channel) { c.tls = tc }
}

// New checks cfg and returns the channel it describes. The IMAP settings
// are required; without SMTPAddr and From the channel reads but cannot
// answer.
func New(cfg Config, opts ...Option) (*Channel, error) {
	cfg.Mailbox = strings.TrimSpace(cfg.Mailbox)
	if cfg.Mailbox == "" {
		cfg.Mailbox = DefaultMailbox
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	var err error
	if cfg.IMAPTLS, err = tlsMode(cfg.IMAPTLS, cfg.IMAPAddr, "993"); err != nil {
		return nil, fmt.Errorf("e-mail channel: IMAP: %w", err)
	}
	if cfg.SMTPTLS, err = tlsMode(cfg.SMTPTLS, cfg.SMTPAddr, "465"); err != nil {
		return nil, fmt.Errorf("e-mail channel: SMTP: %w", err)
	}
	if err := checkConfig(cfg); err != nil {
		return nil, fmt.Errorf("e-mail channel: %w", err)
	}
	c := &Channel{cfg: cfg, dial: guardedDialer(cfg.AllowPrivate, cfg.Timeout)}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

func checkConfig(cfg Config) error {
	if _, _, err := net.SplitHostPort(cfg.IMAPAddr); err != nil {
		return fmt.Errorf("IMAP address %q is not host:port: %w", cfg.IMAPAddr, err)
	}
	if cfg.IMAPUser == "" {
		return errors.New("IMAP user is missing")
	}
	if cfg.SaveSent && cfg.SentMailbox == "" {
		return errors.New("saving sent replies needs the sent mailbox's name")
	}
	if cfg.SMTPAddr != "" {
		if _, _, err := net.SplitHostPort(cfg.SMTPAddr); err != nil {
			return fmt.Errorf("SMTP address %q is not host:port: %w", cfg.SMTPAddr, err)
		}
		if _, err := mail.ParseAddress(cfg.From.Address); err != nil || domainOf(cfg.From.Address) == "" {
			return fmt.Errorf("from address %q is not an e-mail address", cfg.From.Address)
		}
	}
	return nil
}

// tlsMode resolves the zero mode by port and checks the others.
func tlsMode(m TLSMode, addr, implicitPort string) (TLSMode, error) {
	switch m {
	case TLSNone, TLSStartTLS, TLSImplicit:
		return m, nil
	case "":
		if _, port, err := net.SplitHostPort(addr); err == nil && port == implicitPort {
			return TLSImplicit, nil
		}
		return TLSStartTLS, nil
	}
	return "", fmt.Errorf("TLS mode %q is not one of none, starttls, tls", m)
}

// domainOf returns the part of an address after its last @, lower-cased.
func domainOf(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(addr[i+1:]))
}
