// Package ndjson reads and writes palabre's NDJSON message format: one JSON
// object a line, whose keys are the JSON names of model.Message. It is the
// lossless import and export format, so what the Writer writes the Reader
// reads back unchanged.
package ndjson

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"palabre/internal/connector"
	"palabre/internal/model"
)

// MaxLineBytes is the longest line the Reader accepts, without its line
// end. It bounds memory per record; a longer line becomes a bad record.
const MaxLineBytes = 4 << 20

// headBytes is how much of the input's start is examined to tell a binary
// file from NDJSON with a broken first line.
const headBytes = 512

// bom is the UTF-8 byte order mark, tolerated at the start of the input.
const bom = "\uFEFF"

// Reader reads messages from NDJSON input. It implements connector.Source:
// a line that cannot become a valid message yields a Record with Err set and
// reading goes on with the next line.
type Reader struct {
	br      *bufio.Reader
	buf     []byte // the current line; reused between lines
	line    int    // number of the line read last, 1-based
	started bool   // the head has been examined
	head    []byte // copy of the first headBytes bytes of input
	seenObj bool   // a non-blank line has been read
	ended   connector.Sticky
}

// NewReader returns a Reader of r. It reads r through its own buffer, so r
// need not be buffered.
func NewReader(r io.Reader) *Reader {
	return &Reader{br: bufio.NewReaderSize(r, 64<<10)}
}

// Next returns the next record, skipping blank lines. It returns io.EOF
// after the last line, at once for empty input. Other errors are fatal: an
// I/O error of the underlying reader, or input that is binary rather than
// NDJSON.
func (r *Reader) Next() (connector.Record, error) {
	return r.ended.Next(r.next)
}

func (r *Reader) next() (connector.Record, error) {
	if !r.started {
		r.started = true
		head, err := r.br.Peek(headBytes)
		if err != nil && !errors.Is(err, io.EOF) {
			return connector.Record{}, fmt.Errorf("ndjson: read: %w", err)
		}
		r.head = bytes.Clone(head)
	}
	for {
		tooLong, err := r.readLine()
		if err != nil {
			return connector.Record{}, err
		}
		if !tooLong && len(bytes.TrimSpace(r.buf)) == 0 {
			continue
		}
		first := !r.seenObj
		r.seenObj = true
		if first && (tooLong || !utf8.Valid(r.buf) || !json.Valid(r.buf)) {
			if off := connector.BinaryOffset(r.head); off >= 0 {
				return connector.Record{}, fmt.Errorf("not NDJSON: binary data at offset %d", off)
			}
		}
		rec := connector.Record{Pos: connector.Position{Line: r.line}}
		if tooLong {
			rec.Err = fmt.Errorf("line is longer than %d MiB", MaxLineBytes>>20)
			return rec, nil
		}
		m, err := decodeLine(r.buf)
		if err != nil {
			rec.Err = err // and leave Message empty: it must not be used
		} else {
			rec.Message = m
		}
		return rec, nil
	}
}

// readLine reads the next line into r.buf without its line end (LF or CR
// LF), nor the byte order mark on line 1. A last line without a line end counts. A line longer than
// MaxLineBytes is consumed but not kept, and reported as tooLong. At the end
// of input it returns io.EOF.
func (r *Reader) readLine() (tooLong bool, err error) {
	r.buf = r.buf[:0]
	read := 0
	// Keep a few bytes past the limit: the line end and, on line 1, the
	// byte order mark, both stripped below.
	keep := MaxLineBytes + len("\r\n")
	if r.line == 0 {
		keep += len(bom)
	}
	for {
		chunk, err := r.br.ReadSlice('\n')
		read += len(chunk)
		if !tooLong && len(r.buf)+len(chunk) <= keep {
			r.buf = append(r.buf, chunk...)
		} else {
			tooLong = true
			r.buf = r.buf[:0]
		}
		switch {
		case err == nil:
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if read == 0 {
				return false, io.EOF
			}
		default:
			return false, fmt.Errorf("ndjson: read line %d: %w", r.line+1, err)
		}
		r.line++
		if !tooLong {
			r.buf = bytes.TrimSuffix(r.buf, []byte("\n"))
			r.buf = bytes.TrimSuffix(r.buf, []byte("\r"))
			if r.line == 1 {
				r.buf = bytes.TrimPrefix(r.buf, []byte(bom))
			}
			tooLong = len(r.buf) > MaxLineBytes
		}
		return tooLong, nil
	}
}

// decodeLine turns one non-blank line into a valid message, or says why it
// cannot. Fields are decoded one by one rather than with json.Unmarshal
// into model.Message, which would match keys case-insensitively, keep the
// last of duplicate keys silently, and report type errors vaguely.
func decodeLine(line []byte) (model.Message, error) {
	var m model.Message
	if !utf8.Valid(line) {
		return m, fmt.Errorf("invalid UTF-8 at column %d", invalidUTF8Column(line))
	}
	if !json.Valid(line) {
		var raw json.RawMessage
		err := json.Unmarshal(line, &raw)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return m, fmt.Errorf("invalid JSON at column %d: %s", column(line, se.Offset), se.Error())
		}
		return m, fmt.Errorf("invalid JSON: %v", err)
	}
	trimmed := bytes.TrimLeft(line, " \t\r\n")
	if trimmed[0] != '{' {
		return m, fmt.Errorf("not a JSON object but %s", JSONKind(bytes.TrimSpace(trimmed)))
	}
	var seen []string // objects have few keys: a slice beats a map
	hasBody := false
	err := members(trimmed, func(key string, value []byte) error {
		for _, k := range seen {
			if k == key {
				return fmt.Errorf("duplicate key %q", key)
			}
		}
		seen = append(seen, key)
		if key == "body" && !isNull(value) {
			hasBody = true
		}
		return connector.SetField(&m, key, jsonValue(value))
	})
	if err != nil {
		return m, err
	}
	if !hasBody {
		return m, errors.New("body is missing")
	}
	if m.CreatedAt.IsZero() { // absent or null: a bad value failed in SetField
		return m, errors.New("created_at is missing")
	}
	if err := connector.Validate(&m); err != nil {
		return m, err
	}
	return m, nil
}
