package ndjson

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// jsonValue is one already-validated JSON value, for connector.SetField.
// Each method accepts null as "unset" and names the field and the JSON
// type it got when the type is wrong, because that is what a person fixing
// an export script needs to know.
type jsonValue json.RawMessage

func isNull(value []byte) bool {
	return string(value) == "null"
}

// Text decodes a string.
func (v jsonValue) Text(key string) (string, error) {
	if isNull(v) {
		return "", nil
	}
	if v[0] != '"' {
		return "", wrongType(key, "a string", v)
	}
	return unquote(v), nil // v is a valid string: the line passed json.Valid
}

// ID decodes a string and trims it.
func (v jsonValue) ID(key string) (string, error) {
	s, err := v.Text(key)
	return strings.TrimSpace(s), err
}

// Bool decodes true or false.
func (v jsonValue) Bool(key string) (*bool, error) {
	var b bool
	switch string(v) {
	case "null":
		return nil, nil
	case "true":
		b = true
	case "false":
	default:
		return nil, wrongType(key, "true or false", v)
	}
	return &b, nil
}

// Number decodes a number.
func (v jsonValue) Number(key string) (*float64, error) {
	if isNull(v) {
		return nil, nil
	}
	if JSONKind(v) != "a number" {
		return nil, wrongType(key, "a number", v)
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil { // valid JSON numbers fail only by overflowing
		return nil, fmt.Errorf("%s %s is outside -1..1", key, v)
	}
	return &f, nil
}

// Time decodes a string holding an RFC 3339 time.
func (v jsonValue) Time(key string) (time.Time, error) {
	s, err := v.Text(key)
	if err != nil || s == "" {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not an RFC 3339 time such as 2010-09-28T10:52:00+02:00", key, s)
	}
	return t, nil
}

// Topics decodes an array of strings.
func (v jsonValue) Topics(key string) ([]string, error) {
	if isNull(v) {
		return nil, nil
	}
	if v[0] != '[' {
		return nil, wrongType(key, "an array of strings", v)
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(v, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	var topics []string
	for i, elem := range raw {
		t, err := jsonValue(elem).Text(fmt.Sprintf("%s[%d]", key, i))
		if err != nil {
			return nil, err
		}
		if t = strings.TrimSpace(t); t != "" {
			topics = append(topics, t)
		}
	}
	return topics, nil
}

func wrongType(key, want string, got []byte) error {
	return fmt.Errorf("%s: want %s, got %s", key, want, JSONKind(got))
}

// JSONKind names the type of a valid JSON value for error messages: "an
// object", "a string", "null"… ("nothing" for no value).
func JSONKind(value []byte) string {
	if len(value) == 0 {
		return "nothing"
	}
	switch value[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// column turns the byte offset of a JSON syntax error, which counts the
// bytes read when the error was found, into the 1-based column of the
// offending character as an editor shows it.
func column(line []byte, offset int64) int {
	if offset < 1 {
		return 1
	}
	if offset > int64(len(line)) {
		offset = int64(len(line))
	}
	return utf8.RuneCount(line[:offset-1]) + 1
}

// invalidUTF8Column gives the 1-based column of the first byte of line that
// is not valid UTF-8.
func invalidUTF8Column(line []byte) int {
	col := 1
	for len(line) > 0 {
		r, size := utf8.DecodeRune(line)
		if r == utf8.RuneError && size <= 1 {
			return col
		}
		line = line[size:]
		col++
	}
	return col
}
