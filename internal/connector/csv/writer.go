package csvconn

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"palabre/internal/connector"
	"palabre/internal/model"
)

// Writer writes messages as CSV: a header naming every NDJSON field in
// model.Message order, then one row per message. Output is deterministic:
// booleans as true/false, unset optional fields as empty cells, topics
// joined by ";", created_at in UTC as RFC 3339 with sub-second digits only
// when there are some, "\n" line ends.
type Writer struct {
	cw          *csv.Writer
	wroteHeader bool
	n           int // messages written, for error messages
}

// NewWriter returns a Writer to w. Output is buffered: call Flush at the
// end, even when no message was written, to get the header.
func NewWriter(w io.Writer) *Writer {
	return &Writer{cw: csv.NewWriter(w)}
}

// Write writes m as one row, after the header if this is the first row. A
// topic containing ";" cannot be written: it would read back as two.
func (w *Writer) Write(m *model.Message) error {
	if m == nil {
		return errors.New("csv: write: nil message")
	}
	w.n++
	row, err := encodeRow(m)
	if err != nil {
		return fmt.Errorf("csv: write message %d (external_id %q): %w", w.n, m.ExternalID, err)
	}
	if err := w.writeHeader(); err != nil {
		return err
	}
	if err := w.cw.Write(row); err != nil {
		return fmt.Errorf("csv: write message %d (external_id %q): %w", w.n, m.ExternalID, err)
	}
	return nil
}

// Flush writes the header if no message was written, then any buffered
// output to the underlying writer.
func (w *Writer) Flush() error {
	if err := w.writeHeader(); err != nil {
		return err
	}
	w.cw.Flush()
	if err := w.cw.Error(); err != nil {
		return fmt.Errorf("csv: flush: %w", err)
	}
	return nil
}

func (w *Writer) writeHeader() error {
	if w.wroteHeader {
		return nil
	}
	w.wroteHeader = true
	if err := w.cw.Write(columns()); err != nil {
		return fmt.Errorf("csv: write header: %w", err)
	}
	return nil
}

// encodeRow gives the cells of m in the order of columns().
func encodeRow(m *model.Message) ([]string, error) {
	for i, t := range m.Topics {
		if strings.Contains(t, connector.TopicSeparator) {
			return nil, fmt.Errorf("topics[%d] %q contains %q, the topic separator", i, t, connector.TopicSeparator)
		}
	}
	if y := m.CreatedAt.UTC().Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("created_at year %d cannot be written in RFC 3339", y)
	}
	return []string{
		m.Channel,
		m.ExternalID,
		m.ParentExternalID,
		m.ConversationExternalID,
		m.Kind,
		m.Status,
		m.Title,
		m.AuthorName,
		m.AuthorHandle,
		m.AuthorEmail,
		m.AuthorURL,
		strconv.FormatBool(m.AuthorIsStaff),
		m.MemberID,
		m.Body,
		m.BodyHTML,
		m.URL,
		formatTime(m),
		m.Lang,
		formatFloat(m.LangConfidence),
		m.Sentiment,
		formatFloat(m.SentimentScore),
		m.Intent,
		formatBool(m.NeedsResponse),
		formatFloat(m.NeedsResponseScore),
		formatBool(m.Spam),
		formatFloat(m.SpamScore),
		strings.Join(m.Topics, connector.TopicSeparator),
	}, nil
}

// formatTime writes created_at like the NDJSON export does; the zero time
// (not set) stays an empty cell.
func formatTime(m *model.Message) string {
	if m.CreatedAt.IsZero() {
		return ""
	}
	return m.CreatedAt.UTC().Format(time.RFC3339Nano)
}

// formatFloat writes the shortest text that reads back as the same number.
func formatFloat(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'g', -1, 64)
}

func formatBool(b *bool) string {
	if b == nil {
		return ""
	}
	return strconv.FormatBool(*b)
}
