package csvconn

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"palabre/internal/connector"
)

// FuzzReader checks, for any input: the reader never panics and always
// ends; on an in-memory input its only fatal errors are about the header;
// every good record passes connector.Validate; and every good record
// survives Writer → Reader unchanged, unless it holds a CR LF, which CSV
// cannot carry (see the package comment).
func FuzzReader(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.csv"))
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
		header + "topics\nm1,hi,2021-03-04T05:06:07Z, a ;; b\n",
		header + "sentiment_score\nm1,hi,2021-03-04T05:06:07Z,-0\n",
		"\uFEFF" + header + "spam\r\nm1,\"a\r\nb\",2021-03-04T05:06:07Z,YES\r\n",
		"external_id,body,created_at\nm1,\"x\n",
		"external_id,body,created_at\n\"m1\"x,y,z\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		r := NewReader(bytes.NewReader(input))
		for i := 0; ; i++ {
			if i > len(input)+1 {
				t.Fatal("more records than bytes")
			}
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "csv: line ") {
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
	if j, _ := json.Marshal(rec.Message); bytes.Contains(j, []byte(`\r\n`)) {
		return
	}
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
		t.Fatalf("writer wrote more than one row: %v", err)
	}
}
