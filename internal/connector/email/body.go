package email

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"unicode/utf8"
)

// Bounds on what one message may make the parser do: MIME nesting, parts
// walked, and text kept (far more than anyone writes; the rest of a
// longer body is dropped, marked).
const (
	maxDepth     = 10
	maxParts     = 100
	maxTextBytes = 256 << 10
)

// content is the text a MIME part yields.
type content struct {
	text string
	html bool
}

// walker goes through a message's MIME tree once.
type walker struct {
	parts int
	err   error // the first problem met; reading goes on past it
}

func mimeHeader(h mail.Header) textproto.MIMEHeader { return textproto.MIMEHeader(h) }

// bodyText is the message's readable text: in an alternative, the plain
// text rather than the HTML; in a mixture, its text parts one after the
// other; attachments left out. The error is the first part that could
// not be read, returned with whatever text the others gave.
func bodyText(h textproto.MIMEHeader, body io.Reader) (string, error) {
	w := &walker{}
	c, _ := w.walk(h, body, 0)
	text := c.text
	if c.html {
		text = htmlToText(text)
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.TrimSpace(text)
	if len(text) > maxTextBytes {
		cut := maxTextBytes
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "\n[…]"
	}
	return text, w.err
}

// walk returns the text of one part and whether it had any.
func (w *walker) walk(h textproto.MIMEHeader, body io.Reader, depth int) (content, bool) {
	w.parts++
	mediatype, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if h.Get("Content-Type") == "" || err != nil && mediatype == "" {
		// RFC 2045's default, and what mail clients assume of a type
		// they cannot read.
		mediatype, params = "text/plain", map[string]string{}
	}
	if attachment(h) {
		return content{}, false
	}
	switch {
	case strings.HasPrefix(mediatype, "multipart/"):
		return w.multipart(mediatype, params["boundary"], body, depth)
	case mediatype == "text/plain", mediatype == "text/html":
		text, err := decodePart(h, params["charset"], body)
		if err != nil {
			w.fail(err)
		}
		return content{text: text, html: mediatype == "text/html"}, strings.TrimSpace(text) != ""
	}
	return content{}, false
}

// attachment reports whether a part is a file rather than the body.
func attachment(h textproto.MIMEHeader) bool {
	disp, _, err := mime.ParseMediaType(h.Get("Content-Disposition"))
	return err == nil && disp == "attachment"
}

// multipart walks the parts of a multipart body and combines their text.
func (w *walker) multipart(mediatype, boundary string, body io.Reader, depth int) (content, bool) {
	if boundary == "" {
		w.fail(fmt.Errorf("%s without a boundary", mediatype))
		return content{}, false
	}
	if depth >= maxDepth {
		w.fail(fmt.Errorf("MIME parts nested more than %d deep", maxDepth))
		return content{}, false
	}
	var found []content
	r := multipart.NewReader(body, boundary)
	for w.parts < maxParts {
		p, err := r.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			w.fail(fmt.Errorf("%s: %w", mediatype, err))
			break
		}
		if c, ok := w.walk(p.Header, p, depth+1); ok {
			found = append(found, c)
		}
	}
	if len(found) == 0 {
		return content{}, false
	}
	if mediatype == "multipart/alternative" {
		for _, c := range found {
			if !c.html {
				return c, true
			}
		}
		return found[0], true
	}
	if len(found) == 1 {
		return found[0], true
	}
	var b strings.Builder
	for i, c := range found {
		if i > 0 {
			b.WriteString("\n\n")
		}
		text := c.text
		if c.html {
			text = htmlToText(text)
		}
		b.WriteString(strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n")))
	}
	return content{text: b.String()}, true
}

func (w *walker) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// decodePart undoes a leaf part's transfer encoding and charset. What a
// damaged encoding let through is kept, with the error.
func decodePart(h textproto.MIMEHeader, label string, body io.Reader) (string, error) {
	raw, err := io.ReadAll(io.LimitReader(body, 4*maxTextBytes))
	if err != nil {
		return "", fmt.Errorf("read MIME part: %w", err)
	}
	var decodeErr error
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "base64":
		raw = decodeBase64(raw)
	case "quoted-printable":
		out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(raw)))
		if err != nil {
			decodeErr = fmt.Errorf("quoted-printable: %w", err)
		}
		raw = out
	}
	return decodeCharset(raw, label), decodeErr
}

// decodeBase64 decodes leniently, as mail clients do: characters outside
// the alphabet are skipped and missing padding is forgiven.
func decodeBase64(in []byte) []byte {
	clean := make([]byte, 0, len(in))
scan:
	for _, c := range in {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '+', c == '/':
			clean = append(clean, c)
		case c == '=':
			// Padding ends the data; anything after it is junk.
			break scan
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	n, _ := base64.RawStdEncoding.Decode(out, clean)
	return out[:n]
}
