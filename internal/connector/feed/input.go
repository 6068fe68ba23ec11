package feed

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// input feeds the XML decoder one byte at a time, counting them, checking
// that they are UTF-8 and keeping those not yet released, so that the raw
// text of an item can be handed to gofeed. The decoder only checks
// character data and attribute values; checking every byte here also
// catches invalid bytes in names, comments and processing instructions, and
// reports the exact offset.
type input struct {
	r   *bufio.Reader
	off int64 // bytes handed to the decoder so far
	err error // sticky: once the input is bad it stays bad

	kept []byte // the bytes from offset base up to off
	base int64

	pending [utf8.UTFMax]byte // bytes of an unfinished multi-byte rune
	npend   int
	need    int // length of that rune, 0 when between runes
}

func newInput(r io.Reader) *input {
	return &input{r: bufio.NewReader(r)}
}

// byteError is input that cannot be UTF-8 XML, at a known offset.
type byteError struct {
	off int64
	msg string
}

func (e *byteError) Error() string { return e.msg }

// ReadByte implements io.ByteReader so that xml.Decoder reads through us
// without buffering of its own, which keeps Decoder.InputOffset and our
// offset in step.
func (in *input) ReadByte() (byte, error) {
	if in.err != nil {
		return 0, in.err
	}
	b, err := in.r.ReadByte()
	if err != nil {
		if errors.Is(err, io.EOF) && in.need > 0 {
			in.err = &byteError{off: in.off - int64(in.npend), msg: "invalid UTF-8: input ends inside a multi-byte character"}
			return 0, in.err
		}
		in.err = err
		return 0, err
	}
	if msg := in.check(b); msg != "" {
		in.err = &byteError{off: in.off - int64(in.npend), msg: msg}
		return 0, in.err
	}
	in.off++
	in.kept = append(in.kept, b)
	return b, nil
}

// release forgets the bytes before offset from: the reader calls it between
// items, so memory holds at most one item (or one channel element).
func (in *input) release(from int64) {
	n := min(max(from-in.base, 0), int64(len(in.kept)))
	if n == 0 {
		return
	}
	rest := len(in.kept) - int(n)
	if cap(in.kept) > 1<<20 && rest < cap(in.kept)/4 {
		// A very large item has passed: give its memory back.
		in.kept = append(make([]byte, 0, max(rest, 4096)), in.kept[n:]...)
	} else {
		in.kept = in.kept[:copy(in.kept, in.kept[n:])]
	}
	in.base += n
}

// bytes returns a copy of the input between two offsets, which must not
// have been released.
func (in *input) bytes(from, to int64) []byte {
	if from < in.base || to < from || to-in.base > int64(len(in.kept)) {
		return nil
	}
	return append([]byte(nil), in.kept[from-in.base:to-in.base]...)
}

// Read implements io.Reader; the decoder needs it only to hand the input
// to a CharsetReader, which refuses anyway.
func (in *input) Read(p []byte) (int, error) {
	for i := range p {
		b, err := in.ReadByte()
		if err != nil {
			return i, err
		}
		p[i] = b
	}
	return len(p), nil
}

// check feeds one byte to the UTF-8 validator and returns why it is
// invalid, or "".
func (in *input) check(b byte) string {
	if in.off == 0 && (b == 0xFE || b == 0xFF) {
		return "input is UTF-16 (byte order mark), not UTF-8"
	}
	if in.need == 0 {
		switch {
		case b < utf8.RuneSelf:
			return ""
		case b&0xE0 == 0xC0:
			in.need = 2
		case b&0xF0 == 0xE0:
			in.need = 3
		case b&0xF8 == 0xF0:
			in.need = 4
		default:
			return fmt.Sprintf("invalid UTF-8 (byte 0x%02X)", b)
		}
		in.pending[0], in.npend = b, 1
		return ""
	}
	if b&0xC0 != 0x80 {
		return fmt.Sprintf("invalid UTF-8 (byte 0x%02X)", in.pending[0])
	}
	in.pending[in.npend] = b
	in.npend++
	if in.npend < in.need {
		return ""
	}
	ok := utf8.Valid(in.pending[:in.npend])
	in.need, in.npend = 0, 0
	if !ok {
		return fmt.Sprintf("invalid UTF-8 (byte 0x%02X)", in.pending[0])
	}
	return ""
}

// encodingError is a document that declares an encoding other than UTF-8.
type encodingError struct{ label string }

func (e *encodingError) Error() string {
	return fmt.Sprintf("declared encoding %q is not supported: only UTF-8 is read; convert the file to UTF-8 first", e.label)
}

// charsetReader accepts the declared encodings whose bytes are UTF-8 as
// they are and refuses the others: the raw items are handed to gofeed
// without their XML declaration, so every byte must already be UTF-8.
func charsetReader(label string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "utf8", "us-ascii", "ascii":
		return r, nil
	}
	return nil, &encodingError{label: label}
}

// inputError is a fatal problem with the input, at a byte offset.
type inputError struct {
	offset int64
	reason string
	err    error
}

func (e *inputError) Error() string { return fmt.Sprintf("offset %d: %s", e.offset, e.reason) }
func (e *inputError) Unwrap() error { return e.err }
