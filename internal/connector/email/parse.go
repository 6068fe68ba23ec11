package email

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html/charset"

	"palabre/internal/htmltext"
	"palabre/internal/model"
)

// maxRefs bounds the References kept of one message: enough for any real
// thread, few enough that a crafted header cannot bloat a record.
const maxRefs = 100

// parseMessage reads one RFC 5322 message into a palabre message. received
// (the server's arrival date) stands in for a missing or unreadable Date.
// The body is the first plain-text part, else the HTML one as text,
// without the quoted message a reply carries below it.
func parseMessage(raw []byte, received time.Time) (model.Message, error) {
	msg, err := readMessage(raw)
	if err != nil {
		return model.Message{}, err
	}
	h := msg.Header
	m := model.Message{
		ExternalID: firstID(h.Get("Message-Id")),
		Status:     model.StatusApproved,
		Title:      cleanSubject(headerText(h.Get("Subject"))),
	}
	if m.ExternalID == "" {
		// Without a Message-ID, the message's own bytes are its only
		// stable name: reading it again gives the same id.
		sum := sha256.Sum256(raw)
		m.ExternalID = "<" + hex.EncodeToString(sum[:16]) + "@palabre.invalid>"
	}
	thread(&m, messageIDs(h.Get("References")), firstID(h.Get("In-Reply-To")))
	m.AuthorName, m.AuthorEmail = author(h)
	if m.CreatedAt, err = date(h.Get("Date"), received); err != nil {
		return model.Message{}, err
	}
	body, err := bodyText(mimeHeader(h), msg.Body)
	if err != nil && body == "" {
		return model.Message{}, err
	}
	m.Body = stripQuoted(body)
	return m, nil
}

// thread fills the message's parent and conversation. The parent is the
// message answered (In-Reply-To, else the last reference); the
// conversation is the thread's first message, the first reference. A
// reply that only names its parent leaves the conversation to be found
// through it.
func thread(m *model.Message, refs []string, inReplyTo string) {
	refs = withoutID(refs, m.ExternalID)
	if inReplyTo == m.ExternalID {
		inReplyTo = ""
	}
	switch {
	case inReplyTo != "":
		m.ParentExternalID = inReplyTo
	case len(refs) > 0:
		m.ParentExternalID = refs[len(refs)-1]
	}
	switch {
	case len(refs) > 0:
		m.ConversationExternalID = refs[0]
	case m.ParentExternalID == "":
		m.ConversationExternalID = m.ExternalID
	}
	if m.ParentExternalID == "" {
		m.Kind = model.KindPost
	} else {
		m.Kind = model.KindMessage
	}
}

func withoutID(ids []string, id string) []string {
	out := ids[:0:0]
	for _, x := range ids {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}

// readMessage parses the header, repairing it first if the standard
// reader refuses it: real mail carries mbox "From " lines, stray lines
// without a colon and other debris that mail clients ignore.
func readMessage(raw []byte) (*mail.Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err == nil {
		return msg, nil
	}
	fixed, ok := repairHeader(raw)
	if !ok {
		return nil, fmt.Errorf("not an e-mail message: %w", err)
	}
	msg, err2 := mail.ReadMessage(bytes.NewReader(fixed))
	if err2 != nil {
		return nil, fmt.Errorf("unreadable header: %w", err)
	}
	return msg, nil
}

// repairHeader keeps the header lines that are fields ("Name: value") or
// continue a kept one, and reports whether any field was left.
func repairHeader(raw []byte) ([]byte, bool) {
	head, body := raw, []byte(nil)
	if i := bytes.Index(raw, []byte("\n\r\n")); i >= 0 {
		head, body = raw[:i], raw[i+3:]
	}
	if i := bytes.Index(head, []byte("\n\n")); i >= 0 {
		head, body = raw[:i], raw[i+2:]
	}
	var out bytes.Buffer
	kept, fields := false, 0
	for line := range bytes.Lines(head) {
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case len(line) > 0 && (line[0] == ' ' || line[0] == '\t'):
			if kept {
				out.Write(line)
				out.WriteString("\r\n")
			}
		case fieldLine(line):
			out.Write(line)
			out.WriteString("\r\n")
			kept = true
			fields++
		default:
			kept = false
		}
	}
	if fields == 0 {
		return nil, false
	}
	out.WriteString("\r\n")
	out.Write(body)
	return out.Bytes(), true
}

// fieldLine reports whether line starts a header field: a name of
// printable ASCII without spaces, then a colon.
func fieldLine(line []byte) bool {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	for _, b := range line[:i] {
		if b <= ' ' || b > '~' {
			return false
		}
	}
	return true
}

// idPattern finds msg-ids: what lies between angle brackets.
var idPattern = regexp.MustCompile(`<[^<>]*>`)

// messageIDs lists the Message-IDs of a References or In-Reply-To header,
// each normalised to "<local@domain>" without the folding whitespace
// some mailers put inside. Ids written without brackets are accepted
// when they have an @.
func messageIDs(s string) []string {
	var out []string
	add := func(id string) {
		id = strings.ToValidUTF8(strings.Join(strings.Fields(id), ""), "\uFFFD")
		if id == "<>" || id == "" || len(out) >= maxRefs {
			return
		}
		out = append(out, id)
	}
	found := idPattern.FindAllString(s, -1)
	if len(found) == 0 {
		for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\r' || r == '\n' }) {
			if strings.Contains(f, "@") {
				add("<" + strings.Trim(f, "<>") + ">")
			}
		}
		return out
	}
	for _, id := range found {
		add(id)
	}
	if len(out) > maxRefs-1 {
		// Keep the thread's root and the nearest ancestors.
		out = append(out[:1], out[len(out)-(maxRefs-1):]...)
	}
	return out
}

// firstID is the first Message-ID of a header, or "".
func firstID(s string) string {
	ids := messageIDs(s)
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// author reads From (or Sender): the name as signed and the address.
func author(h mail.Header) (name, addr string) {
	raw := h.Get("From")
	if strings.TrimSpace(raw) == "" {
		raw = h.Get("Sender")
	}
	p := mail.AddressParser{WordDecoder: wordDecoder()}
	if list, err := p.ParseList(raw); err == nil && len(list) > 0 {
		return strings.TrimSpace(validUTF8(list[0].Name)), validUTF8(list[0].Address)
	}
	// Lenient reading of what the strict parser refused: "Name <addr>"
	// with unquoted specials, or a bare address.
	text := headerText(raw)
	if i := strings.LastIndexByte(text, '<'); i >= 0 {
		if j := strings.IndexByte(text[i:], '>'); j > 0 {
			addr = strings.TrimSpace(text[i+1 : i+j])
			name = strings.Trim(strings.TrimSpace(text[:i]), `"' `)
			return name, addr
		}
	}
	if f := strings.Fields(text); len(f) == 1 && strings.Contains(f[0], "@") {
		return "", f[0]
	}
	return strings.TrimSpace(text), ""
}

// date reads the Date header, else takes the arrival date.
func date(raw string, received time.Time) (time.Time, error) {
	raw = strings.TrimSpace(raw)
	if raw != "" {
		if t, err := mail.ParseDate(raw); err == nil {
			return t.UTC(), nil
		}
	}
	if !received.IsZero() {
		return received.UTC(), nil
	}
	if raw == "" {
		return time.Time{}, errors.New("no Date header and no arrival date")
	}
	return time.Time{}, fmt.Errorf("unreadable Date %q and no arrival date", raw)
}

// replyPrefix matches the markers mail clients put before a subject they
// answer or forward, in English, French and German, repeated or counted
// ("Re[2]:").
var replyPrefix = regexp.MustCompile(`(?i)^\s*((re|fwd?|tr|aw|wg|réf)\s*(\[\d+\]|\(\d+\))?\s*:\s*)+`)

// cleanSubject is the subject without reply and forward markers and with
// its whitespace collapsed.
func cleanSubject(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.TrimSpace(replyPrefix.ReplaceAllString(s, ""))
}

// wordDecoder decodes RFC 2047 encoded words in any charset the WHATWG
// encoding standard knows.
func wordDecoder() *mime.WordDecoder {
	return &mime.WordDecoder{CharsetReader: charset.NewReaderLabel}
}

// headerText decodes a header value's encoded words; raw 8-bit text that
// is not UTF-8 is taken as Windows-1252, the usual culprit.
func headerText(s string) string {
	if d, err := wordDecoder().DecodeHeader(s); err == nil {
		s = d
	}
	return validUTF8(s)
}

// validUTF8 returns s if it is UTF-8, else s decoded as Windows-1252.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return decodeCharset([]byte(s), "windows-1252")
}

// decodeCharset converts b from the charset label to UTF-8. An unknown
// label, or text that its label does not describe, is read as UTF-8 if
// valid, else as Windows-1252.
func decodeCharset(b []byte, label string) string {
	label = strings.ToLower(strings.TrimSpace(label))
	switch label {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		if utf8.Valid(b) {
			return string(b)
		}
		label = "windows-1252"
	}
	r, err := charset.NewReaderLabel(label, bytes.NewReader(b))
	if err == nil {
		if out, err := io.ReadAll(r); err == nil {
			return strings.ToValidUTF8(string(out), "\uFFFD")
		}
	}
	if utf8.Valid(b) {
		return string(b)
	}
	if label != "windows-1252" {
		return decodeCharset(b, "windows-1252")
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// htmlToText is the readable text of an HTML body.
func htmlToText(s string) string {
	return htmltext.PlainText(s)
}
