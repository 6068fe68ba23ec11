package live

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"palabre/internal/model"
)

// WriteEvent writes e as one Server-Sent Event (see EncodeEvent) with a
// single Write.
func WriteEvent(w io.Writer, e model.Event) error {
	frame, err := EncodeEvent(e)
	if err != nil {
		return err
	}
	if _, err := w.Write(frame); err != nil {
		return fmt.Errorf("write event %d: %w", e.ID, err)
	}
	return nil
}

// EncodeEvent returns e as one Server-Sent Event: an id line (omitted for
// ephemeral events, ID 0, so they never move the client's Last-Event-ID),
// the action as the event type, and e as JSON on one data line.
func EncodeEvent(e model.Event) ([]byte, error) {
	if strings.ContainsAny(e.Action, "\r\n") {
		return nil, fmt.Errorf("write event %d: action %q has a line break", e.ID, e.Action)
	}
	data, err := json.Marshal(e) // escapes line breaks: one line
	if err != nil {
		return nil, fmt.Errorf("write event %d: %w", e.ID, err)
	}
	var b bytes.Buffer
	b.Grow(len(data) + len(e.Action) + 40)
	if e.ID != 0 {
		b.WriteString("id: ")
		b.WriteString(strconv.FormatInt(e.ID, 10))
		b.WriteByte('\n')
	}
	if e.Action != "" {
		b.WriteString("event: ")
		b.WriteString(e.Action)
		b.WriteByte('\n')
	}
	b.WriteString("data: ")
	b.Write(data)
	b.WriteString("\n\n")
	return b.Bytes(), nil
}

// WriteComment writes an SSE comment, which clients ignore: a heartbeat
// that keeps proxies from closing an idle stream. Each line of text becomes
// one comment line.
func WriteComment(w io.Writer, text string) error {
	var b strings.Builder
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		b.WriteString(": ")
		b.WriteString(strings.TrimRight(line, "\r"))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write comment: %w", err)
	}
	return nil
}

// ParseLastEventID reads the Last-Event-ID a reconnecting client sends:
// empty means a new client (0); anything but a non-negative decimal id is an
// error.
func ParseLastEventID(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("last event id %q: not a decimal id", s)
		}
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("last event id %q: %w", s, errors.Unwrap(err))
	}
	return id, nil
}
