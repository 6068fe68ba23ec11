package connectortest

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"palabre/internal/connector"
)

// XMLFormat is an XML format of messages (WXR, feeds) as the shared checks
// see it: how to read it.
type XMLFormat struct {
	NewReader func(io.Reader) connector.Source
}

// NewXMLFormat returns the XMLFormat of a format's reader constructor,
// which the checks call with opts.
func NewXMLFormat[O any, R connector.Source](newReader func(io.Reader, O) R, opts O) XMLFormat {
	return XMLFormat{NewReader: func(r io.Reader) connector.Source { return newReader(r, opts) }}
}

// ReadAll drains a reader of data and returns its records and the error
// that ended reading, nil at io.EOF. It fails t if the reader yields more
// records than data has tags, which means it loops, or if its fatal error
// is not sticky.
func (f XMLFormat) ReadAll(t testing.TB, data []byte) ([]connector.Record, error) {
	t.Helper()
	return ReadAtMost(t, f.NewReader(bytes.NewReader(data)), bytes.Count(data, []byte("<"))+1)
}

// MustReadAll is ReadAll for data that must read to its end: a fatal error
// fails t.
func (f XMLFormat) MustReadAll(t testing.TB, data []byte) []connector.Record {
	t.Helper()
	recs, err := f.ReadAll(t, data)
	if err != nil {
		t.Fatalf("unexpected fatal error after %d records: %v", len(recs), err)
	}
	return recs
}

// BadInput is a fixture that a reader must refuse as a whole: the fatal
// error it must end with, the records it reads before, and whether the
// error says the input is truncated (errors.Is io.ErrUnexpectedEOF).
type BadInput struct {
	File          string
	Want          string // the whole error message
	Records       int
	UnexpectedEOF bool
}

// CheckBadInputs reads each fixture, in parallel subtests, and checks that
// it ends as its case says.
func (f XMLFormat) CheckBadInputs(t *testing.T, cases []BadInput) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.File, func(t *testing.T) {
			t.Parallel()
			recs, err := f.ReadAll(t, ReadFile(t, tt.File))
			if err == nil {
				t.Fatalf("no error after %d records", len(recs))
			}
			if err.Error() != tt.Want {
				t.Errorf("error\n got %q\nwant %q", err, tt.Want)
			}
			if len(recs) != tt.Records {
				t.Errorf("%d records before the error, want %d", len(recs), tt.Records)
			}
			if got := errors.Is(err, io.ErrUnexpectedEOF); got != tt.UnexpectedEOF {
				t.Errorf("errors.Is(err, io.ErrUnexpectedEOF) = %v, want %v", got, tt.UnexpectedEOF)
			}
		})
	}
}

// CheckInput reads data to its end and checks what the reader promises
// whatever the input: it neither panics nor loops, a fatal error is
// sticky, a good record has an ExternalID, and every record's offset lies
// within data. It is the body of the formats' FuzzReader.
func (f XMLFormat) CheckInput(t *testing.T, data []byte) {
	t.Helper()
	recs, _ := f.ReadAll(t, data)
	for _, rec := range recs {
		if rec.Err == nil && rec.Message.ExternalID == "" {
			t.Fatalf("good record without ExternalID at %v: %+v", rec.Pos, rec.Message)
		}
		if rec.Pos.Offset < 0 || rec.Pos.Offset > int64(len(data)) {
			t.Fatalf("record offset %d outside the %d-byte input", rec.Pos.Offset, len(data))
		}
	}
}
