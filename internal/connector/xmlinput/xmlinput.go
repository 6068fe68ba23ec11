// Package xmlinput is the input layer of the XML connectors (wxr, feed).
// It hands an encoding/xml decoder the document one byte at a time,
// counting the bytes so that every record and error carries an exact
// offset, refusing any byte that is not UTF-8 and, for a connector that
// needs the raw text of what it parsed, keeping the bytes not yet released.
// It also turns the decoder's errors into one Error that starts with the
// offset of the problem, so that both connectors report bad input alike.
package xmlinput

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Reader feeds an xml.Decoder one byte at a time, counting them and
// checking that they are UTF-8. The decoder only checks character data and
// attribute values; checking every byte here also catches invalid bytes in
// names, comments and processing instructions, and reports the exact
// offset.
//
// A Reader made by NewKeeping also keeps the bytes it has handed out until
// they are released, so that Bytes can return the raw text of an element.
// A Reader is not safe for concurrent use.
type Reader struct {
	r   *bufio.Reader
	off int64 // bytes handed to the decoder so far
	err error // sticky: once the input is bad it stays bad

	keep bool
	kept []byte // with keep: the bytes from offset base up to off
	base int64

	pending [utf8.UTFMax]byte // bytes of an unfinished multi-byte rune
	npend   int
	need    int // length of that rune, 0 when between runes
}

// New returns a Reader of r that counts and checks the bytes but keeps
// none: memory stays that of the decoder alone.
func New(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReader(r)}
}

// NewKeeping returns a Reader of r that also keeps the bytes it hands out
// until Release, for Bytes. The caller must release what it no longer
// needs, or the whole document stays in memory.
func NewKeeping(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReader(r), keep: true}
}

// NewDecoder returns a decoder reading the document through in. It reads
// only UTF-8: a document that declares another encoding is refused, since
// guessing a conversion would silently corrupt names and texts, and a
// connector that hands raw elements on without their XML declaration needs
// every byte to be UTF-8 already.
func (in *Reader) NewDecoder() *xml.Decoder {
	dec := xml.NewDecoder(in)
	dec.CharsetReader = charsetReader
	return dec
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
func (in *Reader) ReadByte() (byte, error) {
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
	if in.keep {
		in.kept = append(in.kept, b)
	}
	return b, nil
}

// Read implements io.Reader, which is what a CharsetReader is handed; the
// decoder goes on reading through ReadByte.
func (in *Reader) Read(p []byte) (int, error) {
	for i := range p {
		b, err := in.ReadByte()
		if err != nil {
			return i, err
		}
		p[i] = b
	}
	return len(p), nil
}

// Release forgets the kept bytes before offset from: a connector calls it
// between elements, so that memory holds at most one element.
func (in *Reader) Release(from int64) {
	n := min(max(from-in.base, 0), int64(len(in.kept)))
	if n == 0 {
		return
	}
	rest := len(in.kept) - int(n)
	if cap(in.kept) > 1<<20 && rest < cap(in.kept)/4 {
		// A very large element has passed: give its memory back.
		in.kept = append(make([]byte, 0, max(rest, 4096)), in.kept[n:]...)
	} else {
		in.kept = in.kept[:copy(in.kept, in.kept[n:])]
	}
	in.base += n
}

// Bytes returns a copy of the input between two offsets, which must have
// been kept and not released; otherwise it returns nil.
func (in *Reader) Bytes(from, to int64) []byte {
	if from < in.base || to < from || to-in.base > int64(len(in.kept)) {
		return nil
	}
	return append([]byte(nil), in.kept[from-in.base:to-in.base]...)
}

// Kept reports how many bytes are kept and the capacity of the buffer
// holding them, for the tests that check that memory stays bounded.
func (in *Reader) Kept() (n, capacity int) {
	return len(in.kept), cap(in.kept)
}

// check feeds one byte to the UTF-8 validator and returns why it is
// invalid, or "".
func (in *Reader) check(b byte) string {
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
// they are and refuses the others. The decoder itself handles "UTF-8".
func charsetReader(label string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "utf8", "us-ascii", "ascii":
		return r, nil
	}
	return nil, &encodingError{label: label}
}

// Error is a fatal problem with the input, at a byte offset. Its message
// starts with that offset.
type Error struct {
	Offset int64
	Reason string
	Err    error // the cause, if any, for errors.Is and errors.As
}

func (e *Error) Error() string { return fmt.Sprintf("offset %d: %s", e.Offset, e.Reason) }
func (e *Error) Unwrap() error { return e.Err }

// Element is an element being read: its name as error messages show it
// and the offset of its start tag.
type Element struct {
	Name   string
	Offset int64
}

// Fail turns err, returned by a decoder reading through in, into the
// *Error that ends reading. offset is the decoder's InputOffset; open lists
// the elements being read, outermost first, so that the reason can name the
// one the problem is in. A truncated document's error wraps
// io.ErrUnexpectedEOF.
func (in *Reader) Fail(err error, offset int64, open []Element) error {
	// The input's own verdict on a byte is more precise than the
	// decoder's, which may report the same problem later and vaguer.
	var bad *byteError
	if errors.As(in.err, &bad) {
		err = in.err
	}
	e := &Error{Offset: offset, Err: err}
	var syn *xml.SyntaxError
	var enc *encodingError
	switch {
	case errors.As(err, &bad):
		e.Offset, e.Reason = bad.off, bad.msg
	case errors.As(err, &enc):
		e.Reason = enc.Error() // without encoding/xml's prefix
	case errors.As(err, &syn):
		e.Reason = syn.Msg
		if strings.HasPrefix(syn.Msg, "unexpected EOF") {
			e.Err = io.ErrUnexpectedEOF
		}
	case errors.Is(err, io.EOF):
		e.Reason, e.Err = "unexpected EOF", io.ErrUnexpectedEOF
	default:
		e.Reason = "read: " + err.Error()
	}
	if n := len(open); n > 0 {
		inner := open[n-1]
		e.Reason += fmt.Sprintf(" in element <%s>", inner.Name)
		if inner.Offset != e.Offset {
			e.Reason += fmt.Sprintf(" (opened at offset %d)", inner.Offset)
		}
	}
	return e
}
