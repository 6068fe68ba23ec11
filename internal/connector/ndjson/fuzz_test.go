package ndjson

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"palabre/internal/connector"
)

// FuzzReader checks, for any input: the reader never panics and always
// ends; its only fatal error on an in-memory input is the binary-data one;
// every good record passes connector.Validate; and every good record
// survives Writer → Reader unchanged.
func FuzzReader(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		okLine + "}",
		okLine + `,"topics":[" a ",null,""],"sentiment_score":-0,"spam":null}`,
		"\uFEFF" + okLine + "}\r\n\r\n" + okLine + `,"body":"x"}`,
		`{"external_id":"\ud800","body":"\u0000","created_at":"2021-03-04T05:06:07,5+14:00"}`,
		`{"external_id":"a","body":"b","created_at":"0001-01-01T00:00:00Z"}`,
		"\x00binary",
		"[]\n{}\n\"x\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		r := NewReader(bytes.NewReader(input))
		for i := 0; ; i++ {
			if i > len(input)+1 {
				t.Fatal("more records than lines")
			}
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "not NDJSON: binary data at offset ") {
					t.Fatalf("unexpected fatal error: %v", err)
				}
				return
			}
			if rec.Pos.Line < 1 {
				t.Fatalf("record without a line: %+v", rec)
			}
			if rec.Err != nil {
				continue
			}
			if err := connector.Validate(&rec.Message); err != nil {
				t.Fatalf("line %d accepted but fails Validate: %v", rec.Pos.Line, err)
			}
			checkRoundTrip(t, rec)
		}
	})
}

func checkRoundTrip(t *testing.T, rec connector.Record) {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.Write(&rec.Message); err != nil {
		t.Fatalf("line %d: write: %v", rec.Pos.Line, err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	back := NewReader(&buf)
	got, err := back.Next()
	if err != nil || got.Err != nil {
		t.Fatalf("line %d: written %q, read back: %v %v", rec.Pos.Line, buf.String(), err, got.Err)
	}
	if !sameMessage(got.Message, rec.Message) {
		t.Fatalf("line %d: round trip changed the message:\n got %+v\nwant %+v", rec.Pos.Line, got.Message, rec.Message)
	}
	if _, err := back.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("writer wrote more than one line: %v", err)
	}
}
