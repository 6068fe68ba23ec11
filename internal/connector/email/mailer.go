package email

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
)

// MailerConfig is the SMTP server palabre sends its own e-mail through
// (monthly reports, alerts), set by the administrator.
type MailerConfig struct {
	Addr     string // host:port
	User     string // empty: no authentication
	Password string
	TLS      TLSMode // the zero mode picks by port, as for a channel
	From     mail.Address
	// AllowPrivate lets the mailer reach a server on a loopback or
	// private address (a relay beside palabre, as is usual).
	AllowPrivate bool
	Timeout      time.Duration // zero means DefaultTimeout
}

// Mailer sends messages through one SMTP server. It keeps no connection
// between calls and is safe for concurrent use.
type Mailer struct {
	c *Channel
}

// NewMailer checks cfg and returns the mailer it describes.
func NewMailer(cfg MailerConfig, opts ...Option) (*Mailer, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	mode, err := tlsMode(cfg.TLS, cfg.Addr, "465")
	if err != nil {
		return nil, fmt.Errorf("mailer: %w", err)
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, fmt.Errorf("mailer: SMTP address %q is not host:port: %w", cfg.Addr, err)
	}
	if _, err := mail.ParseAddress(cfg.From.Address); err != nil || domainOf(cfg.From.Address) == "" {
		return nil, fmt.Errorf("mailer: from address %q is not an e-mail address", cfg.From.Address)
	}
	c := &Channel{cfg: Config{SMTPAddr: cfg.Addr, SMTPUser: cfg.User, SMTPPassword: cfg.Password, SMTPTLS: mode,
		From: cfg.From, Timeout: cfg.Timeout}, dial: guardedDialer(cfg.AllowPrivate, cfg.Timeout)}
	for _, o := range opts {
		o(c)
	}
	return &Mailer{c: c}, nil
}

// From is the address the mailer sends from.
func (m *Mailer) From() mail.Address { return m.c.cfg.From }

// Send hands raw, a whole message, to the server for every address of
// to. Its errors are a connector.PermanentError when retrying cannot help
// (a refused address, a bad certificate), a TemporaryError otherwise.
func (m *Mailer) Send(ctx context.Context, to []string, raw []byte) error {
	if len(to) == 0 {
		return errors.New("send: no recipient")
	}
	ctx, cancel := context.WithTimeout(ctx, m.c.cfg.Timeout)
	defer cancel()
	return m.c.send(ctx, to, raw)
}

// Letter is a message palabre writes: a text and an HTML version of one
// body, and files attached.
type Letter struct {
	From mail.Address
	// To are bare addresses.
	To          []string
	Subject     string
	Text, HTML  string
	Attachments []Attachment
	Date        time.Time
}

// Attachment is a file sent with a letter.
type Attachment struct {
	Name, ContentType string
	Data              []byte
}

// Bytes writes the letter as an RFC 5322 message in MIME parts: the text
// and the HTML as alternatives (quoted-printable, UTF-8), then each
// attachment in base64.
func (l Letter) Bytes() ([]byte, error) {
	domain := domainOf(l.From.Address)
	if domain == "" {
		return nil, fmt.Errorf("letter: from address %q has no domain", l.From.Address)
	}
	if len(l.To) == 0 {
		return nil, errors.New("letter: no recipient")
	}
	var nonce [12]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, err
	}
	to := make([]string, len(l.To))
	for i, a := range l.To {
		to[i] = (&mail.Address{Address: a}).String()
	}
	var b bytes.Buffer
	writeHeader(&b, "Date", l.Date.Format(time.RFC1123Z))
	writeHeader(&b, "From", l.From.String())
	writeHeader(&b, "To", strings.Join(to, ", "))
	writeHeader(&b, "Subject", mime.QEncoding.Encode("utf-8", oneLine(l.Subject)))
	writeHeader(&b, "Message-ID", "<"+hex.EncodeToString(nonce[:])+"@palabre."+domain+">")
	writeHeader(&b, "MIME-Version", "1.0")
	mixed := multipart.NewWriter(&b)
	writeHeader(&b, "Content-Type", `multipart/mixed; boundary="`+mixed.Boundary()+`"`)
	b.WriteString("\r\n")

	var alt bytes.Buffer
	altW := multipart.NewWriter(&alt)
	for _, part := range []struct{ typ, body string }{{"text/plain", l.Text}, {"text/html", l.HTML}} {
		if part.body == "" {
			continue
		}
		w, err := altW.CreatePart(textproto.MIMEHeader{"Content-Type": {part.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"}})
		if err != nil {
			return nil, err
		}
		if err := writeQuotedPrintable(w, part.body); err != nil {
			return nil, err
		}
	}
	if err := altW.Close(); err != nil {
		return nil, err
	}
	w, err := mixed.CreatePart(textproto.MIMEHeader{"Content-Type": {`multipart/alternative; boundary="` + altW.Boundary() + `"`}})
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(alt.Bytes()); err != nil {
		return nil, err
	}
	for _, a := range l.Attachments {
		name := mime.QEncoding.Encode("utf-8", a.Name)
		w, err := mixed.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {a.ContentType + `; name="` + name + `"`},
			"Content-Disposition":       {`attachment; filename="` + name + `"`},
			"Content-Transfer-Encoding": {"base64"}})
		if err != nil {
			return nil, err
		}
		enc := base64.StdEncoding.EncodeToString(a.Data)
		for len(enc) > 76 {
			fmt.Fprintf(w, "%s\r\n", enc[:76])
			enc = enc[76:]
		}
		fmt.Fprintf(w, "%s\r\n", enc)
	}
	if err := mixed.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Addresses reads a list of e-mail addresses, separated by commas,
// semicolons, spaces or lines; it names the first one it cannot read.
func Addresses(s string) ([]mail.Address, error) {
	var out []mail.Address
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == '\r' || r == ' ' || r == '\t' }) {
		a, err := mail.ParseAddress(f)
		if err != nil || domainOf(a.Address) == "" || !strings.Contains(domainOf(a.Address), ".") && domainOf(a.Address) != "localhost" {
			return nil, fmt.Errorf("%q is not an e-mail address", f)
		}
		out = append(out, *a)
	}
	return out, nil
}
