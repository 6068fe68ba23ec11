package connectortest

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"palabre/internal/connector"
	"palabre/internal/model"
)

// LineFormat is a line format of messages (NDJSON, CSV) as the shared
// checks see it: how to read and write it, and what its reader may refuse.
type LineFormat struct {
	NewReader func(io.Reader) connector.Source
	NewWriter func(io.Writer) Writer

	// FatalPrefix starts every fatal error the reader may return for an
	// input held in memory, where reading cannot fail: those errors say
	// that the input as a whole is not of the format.
	FatalPrefix string

	// Lossy reports a message that the format cannot carry unchanged, which
	// the round trip of CheckInput skips; nil when every message survives.
	Lossy func(model.Message) bool
}

// NewLineFormat returns the LineFormat of a format's reader and writer
// constructors, whose reader refuses an in-memory input as a whole only
// with errors that start with fatalPrefix. Set Lossy after, if needed.
func NewLineFormat[R connector.Source, W Writer](newReader func(io.Reader) R, newWriter func(io.Writer) W, fatalPrefix string) LineFormat {
	return LineFormat{
		NewReader:   func(r io.Reader) connector.Source { return newReader(r) },
		NewWriter:   func(w io.Writer) Writer { return newWriter(w) },
		FatalPrefix: fatalPrefix,
	}
}

// Writer writes messages: what the checks use of a format's Writer.
type Writer interface {
	Write(m *model.Message) error
	Flush() error
}

// WriteAll writes msgs with the format's Writer and returns the output,
// failing t on any error.
func (f LineFormat) WriteAll(t testing.TB, msgs ...model.Message) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := f.NewWriter(&buf)
	for i := range msgs {
		if err := w.Write(&msgs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Good is a record a test expects to read well: its line and its message.
type Good struct {
	Line    int
	Message model.Message
}

// CheckGoodFile reads the fixture testdata/name and fails t unless it
// holds, one for one, good records at the lines of want with its messages
// (compared with SameMessage). It returns the records for further checks.
func (f LineFormat) CheckGoodFile(t testing.TB, name string, want []Good) []connector.Record {
	t.Helper()
	recs, err := ReadAll(t, f.NewReader(Open(t, name)))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d: %+v", len(recs), len(want), recs)
	}
	for i, w := range want {
		got := recs[i]
		if got.Err != nil {
			t.Errorf("record %d: unexpected error %v", i, got.Err)
			continue
		}
		if got.Pos.Line != w.Line {
			t.Errorf("record %d: line %d, want %d", i, got.Pos.Line, w.Line)
		}
		if !SameMessage(got.Message, w.Message) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, got.Message, w.Message)
		}
	}
	return recs
}

// FileCase is what reading one fixture must give: the line and the error
// of each record, or the fatal error that ends reading.
type FileCase struct {
	File    string
	Lines   []int    // line of each record
	Bad     []string // error substring of each record, "" when good
	IDs     []string // ExternalID of each good record; nil to skip the check
	WantErr string   // the whole fatal error, "" for a clean io.EOF
}

// CheckFiles reads each fixture, in parallel subtests, and compares what
// it gives with its case.
func (f LineFormat) CheckFiles(t *testing.T, cases []FileCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.File, func(t *testing.T) {
			t.Parallel()
			recs, err := ReadAll(t, f.NewReader(Open(t, tt.File)))
			if tt.WantErr != "" {
				if err == nil || err.Error() != tt.WantErr {
					t.Fatalf("error %v, want %q", err, tt.WantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected fatal error %v", err)
			}
			if len(recs) != len(tt.Lines) {
				t.Fatalf("got %d records, want %d: %+v", len(recs), len(tt.Lines), recs)
			}
			for i, rec := range recs {
				if rec.Pos.Line != tt.Lines[i] {
					t.Errorf("record %d: line %d, want %d", i, rec.Pos.Line, tt.Lines[i])
				}
				CheckErr(t, rec.Err, tt.Bad[i])
				if tt.IDs != nil && rec.Err == nil && rec.Message.ExternalID != tt.IDs[i] {
					t.Errorf("record %d: external_id %q, want %q", i, rec.Message.ExternalID, tt.IDs[i])
				}
			}
		})
	}
}

// CheckInput reads input to its end and checks what the reader promises
// whatever the input: it ends, with no more records than bytes; its only
// fatal errors start with FatalPrefix; every record has a line; and every
// good record passes connector.Validate and survives Writer → Reader
// unchanged. It is the body of the formats' FuzzReader.
func (f LineFormat) CheckInput(t *testing.T, input []byte) {
	t.Helper()
	recs, err := ReadAtMost(t, f.NewReader(bytes.NewReader(input)), len(input)+1)
	if err != nil && !strings.HasPrefix(err.Error(), f.FatalPrefix) {
		t.Fatalf("unexpected fatal error: %v", err)
	}
	for _, rec := range recs {
		if rec.Pos.Line < 1 {
			t.Fatalf("record without a line: %+v", rec)
		}
		if rec.Err != nil {
			continue
		}
		if err := connector.Validate(&rec.Message); err != nil {
			t.Fatalf("line %d accepted but fails Validate: %v", rec.Pos.Line, err)
		}
		if f.Lossy == nil || !f.Lossy(rec.Message) {
			f.checkRoundTrip(t, rec)
		}
	}
}

// checkRoundTrip writes the message of a good record alone and reads it
// back.
func (f LineFormat) checkRoundTrip(t *testing.T, rec connector.Record) {
	t.Helper()
	var buf bytes.Buffer
	w := f.NewWriter(&buf)
	if err := w.Write(&rec.Message); err != nil {
		t.Fatalf("line %d: write: %v", rec.Pos.Line, err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	back := f.NewReader(&buf)
	got, err := back.Next()
	if err != nil || got.Err != nil {
		t.Fatalf("line %d: written %q, read back: %v %v", rec.Pos.Line, buf.String(), err, got.Err)
	}
	if !SameMessage(got.Message, rec.Message) {
		t.Fatalf("line %d: round trip changed the message:\n got %+v\nwant %+v", rec.Pos.Line, got.Message, rec.Message)
	}
	if _, err := back.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("writer wrote more than one record: %v", err)
	}
}

// CheckRoundTrips writes msgs, then messages at the edges of what every
// format must carry, reads them back and writes what it read: the messages
// must come back unchanged, and the second export must equal the first
// byte for byte.
func (f LineFormat) CheckRoundTrips(t testing.TB, msgs ...model.Message) {
	t.Helper()
	msgs = append(msgs,
		model.Message{ExternalID: "min", Body: "x", CreatedAt: time.Date(1999, 12, 31, 23, 59, 59, 999_999_999, time.UTC)},
		model.Message{ExternalID: "html-only", BodyHTML: "<p>x</p>", CreatedAt: time.Date(2000, 1, 1, 0, 0, 0, 0, time.FixedZone("", -9*3600-1800)),
			AuthorIsStaff: true, NeedsResponse: new(true), Spam: new(true), SentimentScore: new(-1.0)},
	)
	out := f.WriteAll(t, msgs...)
	recs, err := ReadAll(t, f.NewReader(bytes.NewReader(out)))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(msgs) {
		t.Fatalf("read %d records, wrote %d", len(recs), len(msgs))
	}
	var again []model.Message
	for i, rec := range recs {
		if rec.Err != nil {
			t.Errorf("record %d: %v", i, rec.Err)
			continue
		}
		if !SameMessage(rec.Message, msgs[i]) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, rec.Message, msgs[i])
		}
		again = append(again, rec.Message)
	}
	if out2 := f.WriteAll(t, again...); !bytes.Equal(out, out2) {
		t.Errorf("second export differs:\n%s\n%s", out, out2)
	}
}

// CheckFlushError checks that the Writer buffers and reports the errors
// of its destination: writing to a destination that fails succeeds, and
// Flush returns the destination's error.
func (f LineFormat) CheckFlushError(t testing.TB) {
	t.Helper()
	boom := errors.New("disk full")
	w := f.NewWriter(errWriter{boom})
	m := model.Message{ExternalID: "a", Body: "x", CreatedAt: time.Now()}
	if err := w.Write(&m); err != nil {
		t.Fatalf("buffered write failed early: %v", err)
	}
	if err := w.Flush(); !errors.Is(err, boom) {
		t.Errorf("Flush error %v, want %v", err, boom)
	}
}

// errWriter is a destination whose every write fails.
type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }
