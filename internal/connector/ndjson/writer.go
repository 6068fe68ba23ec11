package ndjson

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"palabre/internal/model"
)

// Writer writes messages as NDJSON, the export format. Output is
// deterministic so that two exports of the same data compare equal byte for
// byte: keys in model.Message field order, created_at in UTC with
// sub-second digits only when there are some, "\n" line ends, and <, >, &
// left as they are (the output is not embedded in HTML).
type Writer struct {
	bw  *bufio.Writer
	enc *json.Encoder
	n   int // messages written, for error messages
}

// NewWriter returns a Writer to w. Output is buffered: call Flush at the
// end.
func NewWriter(w io.Writer) *Writer {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &Writer{bw: bw, enc: enc}
}

// Write writes m as one line.
func (w *Writer) Write(m *model.Message) error {
	if m == nil {
		return errors.New("ndjson: write: nil message")
	}
	w.n++
	out := *m
	// time.Time marshals as RFC 3339 with trailing zero digits of the
	// fraction dropped; only the zone needs fixing.
	out.CreatedAt = m.CreatedAt.UTC()
	if err := w.enc.Encode(&out); err != nil {
		return fmt.Errorf("ndjson: write message %d (external_id %q): %w", w.n, m.ExternalID, err)
	}
	return nil
}

// Flush writes any buffered output to the underlying writer.
func (w *Writer) Flush() error {
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("ndjson: flush: %w", err)
	}
	return nil
}
