package xmlinput

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// failure reads s to its end through a Reader and returns the error that
// Fail makes of what stopped it, or "" when every byte was read. It also
// checks that the error is sticky.
func failure(t *testing.T, s string) string {
	t.Helper()
	in := New(strings.NewReader(s))
	for n := 0; ; n++ {
		_, err := in.ReadByte()
		if errors.Is(err, io.EOF) {
			if n != len(s) {
				t.Errorf("%q: io.EOF after %d of %d bytes", s, n, len(s))
			}
			return ""
		}
		if err != nil {
			if _, again := in.ReadByte(); again != err {
				t.Errorf("%q: ReadByte after %v returned %v, want the same error", s, err, again)
			}
			return in.Fail(err, int64(n), nil).Error()
		}
	}
}

func TestReaderChecksUTF8(t *testing.T) {
	t.Parallel()
	tests := map[string]string{ // input → what failure returns
		"<a>b</a>":         "",                                                                  // ASCII
		"<a>été 🎉 ℃</a>":   "",                                                                  // multi-byte characters
		"\xEF\xBB\xBF<a/>": "",                                                                  // UTF-8 byte order mark
		"\xFE\xFF\x00<":    "offset 0: input is UTF-16 (byte order mark), not UTF-8",            // UTF-16 big-endian mark
		"\xFF\xFE<\x00":    "offset 0: input is UTF-16 (byte order mark), not UTF-8",            // UTF-16 little-endian mark
		"a\xFF":            "offset 1: invalid UTF-8 (byte 0xFF)",                               // FF later is just invalid
		"ab\x8B":           "offset 2: invalid UTF-8 (byte 0x8B)",                               // continuation byte first
		"caf\xE9 au lait":  "offset 3: invalid UTF-8 (byte 0xE9)",                               // Latin-1 letter
		"a\xC3(":           "offset 1: invalid UTF-8 (byte 0xC3)",                               // cut before its continuation
		"ab\xE2\x82":       "offset 2: invalid UTF-8: input ends inside a multi-byte character", // ends inside a character
	}
	for in, want := range tests {
		if got := failure(t, in); got != want {
			t.Errorf("%q: error %q, want %q", in, got, want)
		}
	}
}

// TestReaderRefusesInvalidSequences covers byte sequences of the right
// length that are still not UTF-8.
func TestReaderRefusesInvalidSequences(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"x\xED\xA0\x80", "\xC0\xAF", "\xF4\x90\x80\x80"} {
		if got := failure(t, in); !strings.Contains(got, "invalid UTF-8") {
			t.Errorf("%q: error %q, want invalid UTF-8", in, got)
		}
	}
}

func TestKeepAndRelease(t *testing.T) {
	t.Parallel()
	const doc = "0123456789"
	in := NewKeeping(strings.NewReader(doc))
	if _, err := io.ReadFull(in, make([]byte, 8)); err != nil {
		t.Fatal(err)
	}
	if got := string(in.Bytes(2, 5)); got != "234" {
		t.Errorf("Bytes(2, 5) = %q, want %q", got, "234")
	}
	if got := in.Bytes(5, 9); got != nil {
		t.Errorf("Bytes(5, 9) = %q beyond what was read, want nil", got)
	}
	in.Release(4)
	if got := in.Bytes(2, 5); got != nil {
		t.Errorf("Bytes(2, 5) = %q after Release(4), want nil", got)
	}
	if got := string(in.Bytes(4, 8)); got != "4567" {
		t.Errorf("Bytes(4, 8) = %q, want %q", got, "4567")
	}
	if n, _ := in.Kept(); n != 4 {
		t.Errorf("%d bytes kept after Release(4), want 4", n)
	}
	b := in.Bytes(4, 6)
	b[0] = 'x'
	if got := string(in.Bytes(4, 6)); got != "45" {
		t.Errorf("Bytes shares memory with the reader: %q after changing a copy", got)
	}

	plain := New(strings.NewReader(doc))
	if _, err := io.ReadFull(plain, make([]byte, 8)); err != nil {
		t.Fatal(err)
	}
	if n, _ := plain.Kept(); n != 0 || plain.Bytes(0, 4) != nil {
		t.Errorf("a Reader made by New keeps %d bytes, want none", n)
	}
}

// TestReleaseShrinks checks that the memory of a very large element is
// given back once it is released.
func TestReleaseShrinks(t *testing.T) {
	t.Parallel()
	const size = 3 << 20
	in := NewKeeping(bytes.NewReader(bytes.Repeat([]byte("x"), size)))
	if _, err := io.ReadFull(in, make([]byte, size)); err != nil {
		t.Fatal(err)
	}
	in.Release(size - 10)
	if n, capacity := in.Kept(); n != 10 || capacity > 1<<20 {
		t.Errorf("after releasing all but 10 bytes: %d kept in a buffer of %d, want 10 in a small one", n, capacity)
	}
}

func TestFail(t *testing.T) {
	t.Parallel()
	boom := errors.New("connection reset")
	tests := []struct {
		name  string
		input io.Reader
		open  []Element
		want  string
		is    error // an error that errors.Is must find in the result
	}{
		{
			name:  "truncated",
			input: strings.NewReader("<a><b>text"),
			open:  []Element{{"a", 0}, {"b", 3}},
			want:  "offset 10: unexpected EOF in element <b> (opened at offset 3)",
			is:    io.ErrUnexpectedEOF,
		},
		{
			name:  "syntax error",
			input: strings.NewReader("<a></b>"),
			open:  []Element{{"a", 0}},
			want:  "offset 7: element <a> closed by </b> in element <a> (opened at offset 0)",
		},
		{
			name:  "at the element's own offset",
			input: strings.NewReader("<a>x\xE9</a>"),
			open:  []Element{{"a", 4}},
			want:  "offset 4: invalid UTF-8 (byte 0xE9) in element <a>",
		},
		{
			name:  "declared encoding",
			input: strings.NewReader(`<?xml version="1.0" encoding="ISO-8859-1"?><a/>`),
			want:  `offset 43: declared encoding "ISO-8859-1" is not supported: only UTF-8 is read; convert the file to UTF-8 first`,
		},
		{
			name:  "read error",
			input: io.MultiReader(strings.NewReader("<a>"), iotest.ErrReader(boom)),
			open:  []Element{{"a", 0}},
			want:  "offset 3: read: connection reset in element <a> (opened at offset 0)",
			is:    boom,
		},
	}
	for _, tt := range tests {
		in := New(tt.input)
		dec := in.NewDecoder()
		var err error
		for err == nil {
			_, err = dec.Token()
		}
		got := in.Fail(err, dec.InputOffset(), tt.open)
		var e *Error
		switch {
		case !errors.As(got, &e):
			t.Errorf("%s: Fail returned %T, want *Error", tt.name, got)
		case got.Error() != tt.want:
			t.Errorf("%s: error\n got %q\nwant %q", tt.name, got, tt.want)
		case tt.is != nil && !errors.Is(got, tt.is):
			t.Errorf("%s: errors.Is(%v, %v) = false", tt.name, got, tt.is)
		case tt.is == nil && errors.Is(got, io.ErrUnexpectedEOF):
			t.Errorf("%s: %v wraps io.ErrUnexpectedEOF", tt.name, got)
		}
	}
}

func TestUTF8Declarations(t *testing.T) {
	t.Parallel()
	for _, label := range []string{"UTF-8", "utf-8", "utf8", "US-ASCII", "ascii", " UTF8 "} {
		doc := `<?xml version="1.0" encoding="` + label + `"?><a>é</a>`
		dec := New(strings.NewReader(doc)).NewDecoder()
		for {
			_, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Errorf("encoding %q: %v", label, err)
				break
			}
		}
	}
}
