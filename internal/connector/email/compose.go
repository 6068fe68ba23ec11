package email

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"
)

// maxReplyRefs bounds the References of a reply: RFC 5322 lets a long
// thread's middle go, keeping its first message and the latest ones.
const maxReplyRefs = 20

// replyID is the Message-ID of the reply sent under key, so that Find can
// look for it after a crash: "<KEY@palabre.DOMAIN>", DOMAIN being the
// From address's. Characters of key that a Message-ID cannot hold are
// written =XX, which keeps distinct keys distinct.
func replyID(key, from string) (string, error) {
	if key == "" {
		return "", errors.New("reply has no key")
	}
	domain := domainOf(from)
	if domain == "" {
		return "", fmt.Errorf("from address %q has no domain", from)
	}
	var b strings.Builder
	b.WriteByte('<')
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '+':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "=%02X", c)
		}
	}
	b.WriteString("@palabre.")
	b.WriteString(domain)
	b.WriteByte('>')
	return b.String(), nil
}

// answered is what a reply needs of the message it answers.
type answered struct {
	id      string
	to      mail.Address // who the reply goes to
	subject string       // the original subject, markers removed
	refs    []string     // the References a reply to it carries
}

// outgoing is a reply ready to be written.
type outgoing struct {
	from    mail.Address
	to      mail.Address
	subject string
	id      string
	parent  answered
	body    string
	date    time.Time
}

// referencesAfter is the References of a reply to a message with the
// given id, References and In-Reply-To (RFC 5322 section 3.6.4).
func referencesAfter(id string, refs []string, inReplyTo string) []string {
	var out []string
	switch {
	case len(refs) > 0:
		out = append(out, refs...)
	case inReplyTo != "":
		out = append(out, inReplyTo)
	}
	out = append(withoutID(out, id), id)
	if len(out) > maxReplyRefs {
		out = append(out[:1:1], out[len(out)-(maxReplyRefs-1):]...)
	}
	return out
}

// replySubject is "Re: " and the subject answered.
func replySubject(subject string) string {
	return strings.TrimSpace("Re: " + cleanSubject(subject))
}

// bytes writes the reply as an RFC 5322 message: plain text in UTF-8,
// quoted-printable so that any relay carries it unchanged.
func (o outgoing) bytes() []byte {
	var b bytes.Buffer
	writeHeader(&b, "Date", o.date.Format(time.RFC1123Z))
	writeHeader(&b, "From", o.from.String())
	writeHeader(&b, "To", o.to.String())
	writeHeader(&b, "Subject", mime.QEncoding.Encode("utf-8", oneLine(o.subject)))
	writeHeader(&b, "Message-ID", o.id)
	writeHeader(&b, "In-Reply-To", o.parent.id)
	writeHeader(&b, "References", strings.Join(o.parent.refs, " "))
	writeHeader(&b, "MIME-Version", "1.0")
	writeHeader(&b, "Content-Type", "text/plain; charset=utf-8")
	writeHeader(&b, "Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	writeQuotedPrintable(&b, o.body) // a bytes.Buffer takes every write
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

// writeHeader writes one header field, folded.
func writeHeader(b *bytes.Buffer, name, value string) {
	b.WriteString(fold(name+": "+value) + "\r\n")
}

// writeQuotedPrintable writes text in quoted-printable, its line ends
// (CRLF, CR or LF) made CRLF, so that any relay carries it unchanged.
func writeQuotedPrintable(w io.Writer, text string) error {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(strings.ReplaceAll(text, "\n", "\r\n"))); err != nil {
		return err
	}
	return qp.Close()
}

// oneLine keeps a header value on one logical line whatever it was given.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// fold breaks a header line at spaces so that its lines stay within 78
// characters where a space allows it (RFC 5322 section 2.2.3).
func fold(line string) string {
	const width = 78
	if len(line) <= width {
		return line
	}
	var b strings.Builder
	n := 0
	for i, word := range strings.Split(line, " ") {
		if i > 0 {
			if n+1+len(word) > width {
				b.WriteString("\r\n")
				n = 0
			}
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}
