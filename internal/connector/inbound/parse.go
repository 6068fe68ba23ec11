package inbound

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"palabre/internal/connector"
	"palabre/internal/connector/ndjson"
)

// ErrTooLarge: the body is larger than MaxBodyBytes, or the batch holds
// more than MaxMessages. The API answers 413.
var ErrTooLarge = errors.New("inbound delivery too large")

// MessageError is why one message of a delivery cannot be stored.
type MessageError struct {
	// Index is the message's place in the batch, from 0; -1 when the
	// body is one message.
	Index int
	// Offset is the byte offset of the message's first byte in the body.
	Offset int64
	Err    error
}

// Pointer is the JSON Pointer (RFC 6901) of the message in the body: ""
// for a body that is one message, "/messages/3" in a batch.
func (e *MessageError) Pointer() string {
	if e.Index < 0 {
		return ""
	}
	return fmt.Sprintf("/messages/%d", e.Index)
}

func (e *MessageError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("message: %v", e.Err)
	}
	return fmt.Sprintf("messages[%d] (byte %d): %v", e.Index, e.Offset, e.Err)
}

func (e *MessageError) Unwrap() error { return e.Err }

// BatchError lists the messages of a delivery that cannot be stored. The
// API answers 400 and stores none of the delivery, so that a sender never
// has to work out which part of a batch went through.
type BatchError struct {
	Errors []*MessageError
	Total  int // messages in the delivery
}

func (e *BatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d messages cannot be stored", len(e.Errors), e.Total)
	for i, m := range e.Errors {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(e.Errors)-i)
			break
		}
		b.WriteString("; ")
		b.WriteString(m.Error())
	}
	return b.String()
}

// Unwrap returns the errors of the messages.
func (e *BatchError) Unwrap() []error {
	out := make([]error, len(e.Errors))
	for i, m := range e.Errors {
		out[i] = m
	}
	return out
}

// element is one message of the body, as written, and where.
type element struct {
	raw    []byte
	offset int64
}

// Parse reads the messages of a delivery's body: one message object, or
// {"messages": [ … ]} with 1 to MaxMessages of them. A message has the
// fields of a line of palabre's NDJSON format and is checked by the same
// rules (it is read by package ndjson), except "channel", which is
// ignored: the URL names the channel.
//
// Parse returns an error wrapping ErrTooLarge for a body over the limits,
// another error for a body that is not such JSON, and a *BatchError when
// some messages cannot be stored; the records, each placed by its byte
// offset, are returned with a BatchError too, the bad ones with Err set.
func Parse(body []byte) ([]connector.Record, error) {
	if len(body) > MaxBodyBytes {
		return nil, fmt.Errorf("%w: the body has more than %d bytes", ErrTooLarge, MaxBodyBytes)
	}
	if err := checkJSON(body); err != nil {
		return nil, err
	}
	elems, batch, err := split(body)
	if err != nil {
		return nil, err
	}
	return decode(elems, batch)
}

// checkJSON requires a body that is one valid JSON object.
func checkJSON(body []byte) error {
	if !utf8.Valid(body) {
		return fmt.Errorf("the body is not valid UTF-8 (byte %d)", invalidUTF8(body))
	}
	if !json.Valid(body) {
		var v json.RawMessage
		err := json.Unmarshal(body, &v)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			// Offset counts the bytes read, the offending one included.
			return fmt.Errorf("the body is not valid JSON: %v (byte %d)", se, max(se.Offset-1, 0))
		}
		return fmt.Errorf("the body is not valid JSON: %v", err)
	}
	if k := ndjson.JSONKind(bytes.TrimSpace(body)); k != "an object" {
		return fmt.Errorf("the body is not a JSON object but %s", k)
	}
	return nil
}

// split finds the messages of a valid JSON object body, and whether it is
// a batch.
func split(body []byte) ([]element, bool, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil { // the object's {
		return nil, false, fmt.Errorf("read the body: %w", err)
	}
	var messages *element
	var others []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false, fmt.Errorf("read the body: %w", err)
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, false, fmt.Errorf("read the body: %w", err)
		}
		if key != "messages" {
			others = append(others, key)
			continue
		}
		if messages != nil {
			return nil, false, errors.New(`the body has "messages" twice`)
		}
		messages = &element{raw: raw, offset: dec.InputOffset() - int64(len(raw))}
	}
	if messages == nil {
		start := int64(len(body) - len(bytes.TrimLeft(body, " \t\r\n")))
		return []element{{raw: body, offset: start}}, false, nil
	}
	if len(others) > 0 {
		return nil, false, fmt.Errorf(`the body has "messages" and %q: send one message, or {"messages": [ … ]} alone`, others[0])
	}
	elems, err := batchElements(*messages)
	return elems, true, err
}

// batchElements splits the value of "messages", which must be an array of
// 1 to MaxMessages values.
func batchElements(messages element) ([]element, error) {
	if k := ndjson.JSONKind(messages.raw); k != "an array" {
		return nil, fmt.Errorf("messages: want an array of messages, got %s", k)
	}
	dec := json.NewDecoder(bytes.NewReader(messages.raw))
	if _, err := dec.Token(); err != nil { // the array's [
		return nil, fmt.Errorf("read messages: %w", err)
	}
	var elems []element
	for dec.More() {
		if len(elems) == MaxMessages {
			return nil, fmt.Errorf("%w: messages holds more than %d messages", ErrTooLarge, MaxMessages)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("read messages[%d]: %w", len(elems), err)
		}
		elems = append(elems, element{raw: raw, offset: messages.offset + dec.InputOffset() - int64(len(raw))})
	}
	if len(elems) == 0 {
		return nil, errors.New("messages is empty")
	}
	return elems, nil
}

// decode reads each element as a line of NDJSON, so that messages are
// mapped and checked exactly as an import's: compacted, a JSON value has
// no line break.
func decode(elems []element, batch bool) ([]connector.Record, error) {
	var lines bytes.Buffer
	for _, e := range elems {
		if err := json.Compact(&lines, e.raw); err != nil {
			return nil, fmt.Errorf("read the body: %w", err)
		}
		lines.WriteByte('\n')
	}
	r := ndjson.NewReader(&lines)
	recs := make([]connector.Record, len(elems))
	var bad BatchError
	for i, e := range elems {
		rec, err := r.Next()
		if err != nil { // io.EOF included: each element is one line
			return nil, fmt.Errorf("read messages[%d]: %w", i, unexpectedEOF(err))
		}
		rec.Pos = connector.Position{Offset: e.offset}
		if rec.Err != nil {
			index := i
			if !batch {
				index = -1
			}
			me := &MessageError{Index: index, Offset: e.offset, Err: rec.Err}
			rec.Err = me
			bad.Errors = append(bad.Errors, me)
		} else {
			rec.Message.Channel = ""
		}
		recs[i] = rec
	}
	if len(bad.Errors) > 0 {
		bad.Total = len(elems)
		return recs, &bad
	}
	return recs, nil
}

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// invalidUTF8 is the offset of the first byte of b that is not valid
// UTF-8.
func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(b)
}
