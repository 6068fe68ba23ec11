// Package csvconn reads and writes palabre messages as CSV, for people who
// prepare imports or read exports in a spreadsheet. The header row names
// the columns with the NDJSON field names; a cell holds the field's value as
// text (booleans true/false, topics joined by ";", times in RFC 3339).
//
// CSV is not quite lossless: encoding/csv reads a carriage return followed
// by a line feed inside a quoted cell as a bare line feed. NDJSON is the
// format for exact round trips.
package csvconn

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"palabre/internal/connector"
	"palabre/internal/model"
)

// columns lists the NDJSON field names in model.Message order: the header
// the Writer writes and the names the Reader knows. A function rather than
// a variable so that no caller can change it.
func columns() []string {
	return []string{
		"channel", "external_id", "parent_external_id", "conversation_external_id",
		"kind", "status", "title", "author_name", "author_handle", "author_email",
		"author_url", "author_is_staff", "member_id", "body", "body_html", "url",
		"created_at", "lang", "lang_confidence", "sentiment", "sentiment_score", "intent",
		"needs_response", "needs_response_score", "spam", "spam_score", "topics",
	}
}

// requiredColumns must be in every header: without them no row can be a
// valid message, so the whole file is refused at once.
func requiredColumns() []string {
	return []string{"external_id", "body", "created_at"}
}

// bom is the UTF-8 byte order mark that spreadsheets put at the start of
// files they save as "CSV UTF-8".
const bom = "\uFEFF"

// Reader reads messages from CSV input. It implements connector.Source: a
// row that cannot become a valid message yields a Record with Err set and
// reading goes on with the next row.
type Reader struct {
	src     io.Reader
	cr      *csv.Reader
	width   int           // fields in the header, hence in every row
	fields  []columnIndex // known columns present, in model order
	lastRow int           // line of the last row read, for I/O errors
	ended   connector.Sticky
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader) *Reader {
	return &Reader{src: r}
}

// Next returns the next row as a record. It returns io.EOF after the last
// row, at once for empty input. Other errors are fatal: an I/O error, a
// header that is unusable (duplicate or missing columns, broken quoting),
// or an unknown failure of the CSV parser.
func (r *Reader) Next() (connector.Record, error) {
	return r.ended.Next(r.next)
}

func (r *Reader) next() (connector.Record, error) {
	if r.cr == nil {
		if err := r.readHeader(); err != nil {
			return connector.Record{}, err
		}
	}
	row, err := r.cr.Read()
	var pe *csv.ParseError
	switch {
	case err == nil:
	case errors.Is(err, io.EOF):
		return connector.Record{}, io.EOF
	case errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount):
		line, _ := r.cr.FieldPos(0)
		r.lastRow = line
		return badRecord(line, fmt.Errorf("row has %d fields, the header has %d", len(row), r.width)), nil
	case errors.As(err, &pe) && (errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote)):
		r.lastRow = pe.Line
		return badRecord(pe.StartLine, quoteError(pe)), nil
	default:
		return connector.Record{}, fmt.Errorf("csv: read after line %d: %w", r.lastRow, err)
	}
	line, _ := r.cr.FieldPos(0)
	r.lastRow, _ = r.cr.FieldPos(len(row) - 1) // a quoted cell may span lines
	rec := connector.Record{Pos: connector.Position{Line: line}}
	m, err := r.decodeRow(row)
	if err != nil {
		rec.Err = err // and leave Message empty: it must not be used
	} else {
		rec.Message = m
	}
	return rec, nil
}

func badRecord(line int, err error) connector.Record {
	return connector.Record{Pos: connector.Position{Line: line}, Err: err}
}

// quoteError explains a quoting error. When a quote opened a cell that
// never closed properly, encoding/csv has swallowed the following lines
// into that cell: the message says which lines were lost with the record.
func quoteError(pe *csv.ParseError) error {
	if pe.Line > pe.StartLine {
		return fmt.Errorf("%v at line %d, column %d: a quoted cell runs over lines %d–%d, which are skipped",
			pe.Err, pe.Line, pe.Column, pe.StartLine, pe.Line)
	}
	return fmt.Errorf("%v at column %d", pe.Err, pe.Column)
}

// columnIndex locates a known column in the rows.
type columnIndex struct {
	name string
	pos  int
}

// readHeader reads the header row and maps the known columns.
func (r *Reader) readHeader() error {
	br := bufio.NewReader(r.src)
	if head, err := br.Peek(len(bom)); err == nil && string(head) == bom {
		_, _ = br.Discard(len(bom))
	} else if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("csv: read: %w", err)
	}
	r.cr = csv.NewReader(br)
	header, err := r.cr.Read()
	if errors.Is(err, io.EOF) {
		return io.EOF
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("csv: line %d: header: %v at column %d", pe.StartLine, pe.Err, pe.Column)
	}
	if err != nil {
		return fmt.Errorf("csv: read header: %w", err)
	}
	line, _ := r.cr.FieldPos(0)
	pos := make(map[string]int) // known column → cell position
	for i, name := range header {
		name = strings.TrimSpace(name)
		if !isKnown(name) {
			// Unknown columns are ignored, duplicates among them too:
			// they often are a spreadsheet user's own notes.
			continue
		}
		if _, dup := pos[name]; dup {
			return fmt.Errorf("csv: line %d: duplicate column %q", line, name)
		}
		pos[name] = i
	}
	var missing []string
	for _, c := range requiredColumns() {
		if _, ok := pos[c]; !ok {
			missing = append(missing, strconv.Quote(c))
		}
	}
	switch len(missing) {
	case 0:
	case 1:
		return fmt.Errorf("csv: line %d: header has no %s column", line, missing[0])
	default:
		return fmt.Errorf("csv: line %d: header has no %s columns", line, strings.Join(missing, ", "))
	}
	for _, c := range columns() {
		if i, ok := pos[c]; ok {
			r.fields = append(r.fields, columnIndex{c, i})
		}
	}
	r.width = len(header)
	return nil
}

func isKnown(name string) bool {
	for _, c := range columns() {
		if c == name {
			return true
		}
	}
	return false
}

// decodeRow turns one row into a valid message, or says why it cannot.
func (r *Reader) decodeRow(row []string) (model.Message, error) {
	var m model.Message
	for _, f := range r.fields {
		if err := connector.SetField(&m, f.name, cell(row[f.pos])); err != nil {
			return m, err
		}
	}
	if m.CreatedAt.IsZero() {
		return m, errors.New("created_at is missing")
	}
	if err := connector.Validate(&m); err != nil {
		return m, err
	}
	return m, nil
}

// cell is one CSV cell, for connector.SetField. An empty cell leaves the
// field unset; ids and topics are trimmed, text is kept as given.
type cell string

// Text returns the cell as written.
func (c cell) Text(string) (string, error) { return string(c), nil }

// ID returns the cell without surrounding spaces.
func (c cell) ID(string) (string, error) { return strings.TrimSpace(string(c)), nil }

// Bool accepts the spellings spreadsheets and scripts produce.
func (c cell) Bool(name string) (*bool, error) {
	var b bool
	switch strings.ToLower(strings.TrimSpace(string(c))) {
	case "":
		return nil, nil
	case "true", "1", "yes":
		b = true
	case "false", "0", "no":
	default:
		return nil, fmt.Errorf("%s %q is not a boolean (true/false, 1/0, yes/no)", name, string(c))
	}
	return &b, nil
}

// Number reads a decimal number.
func (c cell) Number(name string) (*float64, error) {
	s := strings.TrimSpace(string(c))
	if s == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return nil, fmt.Errorf("%s %s is outside -1..1", name, s)
		}
		return nil, fmt.Errorf("%s %q is not a number", name, s)
	}
	return &f, nil
}

// Time keeps the instant and the offset as written; writers convert to
// UTC.
func (c cell) Time(name string) (time.Time, error) {
	s := strings.TrimSpace(string(c))
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not an RFC 3339 time such as 2010-09-28T10:52:00+02:00", name, s)
	}
	return t, nil
}

// Topics splits the cell at the topic separator, trims each topic and
// drops blank ones; no topics is nil.
func (c cell) Topics(string) ([]string, error) {
	var topics []string
	for t := range strings.SplitSeq(string(c), connector.TopicSeparator) {
		if t = strings.TrimSpace(t); t != "" {
			topics = append(topics, t)
		}
	}
	return topics, nil
}
