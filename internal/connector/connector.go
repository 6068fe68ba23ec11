// Package connector defines how outside data becomes palabre messages. Each
// sub-package reads (or writes) one format or service; none touches the
// store. A Source yields Records one at a time so that memory use does not
// grow with the size of the input.
package connector

import (
	"fmt"

	"palabre/internal/model"
)

// Position locates a record in its input: a 1-based line for line formats,
// a 0-based byte offset for XML formats.
type Position struct {
	Line   int   // 1-based; 0 when unknown
	Offset int64 // byte offset; meaningful when Line is 0
}

// String renders the position as "line N" or "offset N".
func (p Position) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("line %d", p.Line)
	}
	return fmt.Sprintf("offset %d", p.Offset)
}

// Record is one item read from a source: a message, or the reason why the
// item could not become one. A bad record does not stop the source.
type Record struct {
	Message model.Message
	Pos     Position
	Err     error // non-nil: the record is bad and Message must be ignored
}

// Source streams records. Next returns io.EOF after the last record. Any
// other error means the input itself is unusable (truncated, not the format
// it claims, wrong encoding) and no further records can be read; the error
// names the position and the reason.
type Source interface {
	Next() (Record, error)
}

// Sticky keeps the error that ended a Source, io.EOF included, so that
// every later call to Next returns it again rather than reading on. A
// reader embeds one and implements Next with it. The zero value is ready
// to use.
type Sticky struct{ err error }

// Next returns the record and error of next, unless an earlier call ended
// with an error: then it returns that error without calling next.
func (s *Sticky) Next(next func() (Record, error)) (Record, error) {
	if s.err != nil {
		return Record{}, s.err
	}
	rec, err := next()
	if err != nil {
		s.err = err
	}
	return rec, err
}
