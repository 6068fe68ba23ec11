package ndjson

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The decoders below take one already-validated JSON value. Each accepts
// null as "unset" and names the field and the JSON type it got when the
// type is wrong, because that is what a person fixing an export script
// needs to know.

func isNull(value json.RawMessage) bool {
	return string(value) == "null"
}

func decodeString(key string, value json.RawMessage) (string, error) {
	if isNull(value) {
		return "", nil
	}
	if value[0] != '"' {
		return "", wrongType(key, "a string", value)
	}
	var s string
	if err := json.Unmarshal(value, &s); err != nil {
		return "", fmt.Errorf("%s: %w", key, err)
	}
	return s, nil
}

// decodeID trims ids: spaces around an id are an accident of the exporting
// tool, and keeping them would make the same message two records.
func decodeID(key string, value json.RawMessage) (string, error) {
	s, err := decodeString(key, value)
	return strings.TrimSpace(s), err
}

func decodeBool(key string, value json.RawMessage) (*bool, error) {
	var b bool
	switch string(value) {
	case "null":
		return nil, nil
	case "true":
		b = true
	case "false":
	default:
		return nil, wrongType(key, "true or false", value)
	}
	return &b, nil
}

func decodeFloat(key string, value json.RawMessage) (*float64, error) {
	if isNull(value) {
		return nil, nil
	}
	if jsonKind(value) != "a number" {
		return nil, wrongType(key, "a number", value)
	}
	f, err := strconv.ParseFloat(string(value), 64)
	if err != nil { // valid JSON numbers fail only by overflowing
		return nil, fmt.Errorf("%s %s is outside -1..1", key, value)
	}
	return &f, nil
}

// decodeTime keeps the instant and the offset as written; writers convert
// to UTC, so the offset never leaks into an export.
func decodeTime(key string, value json.RawMessage) (time.Time, error) {
	s, err := decodeString(key, value)
	if err != nil || s == "" {
		return time.Time{}, err
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not an RFC 3339 time such as 2010-09-28T10:52:00+02:00", key, s)
	}
	return t, nil
}

// decodeTopics trims each topic and drops blank ones, and gives nil rather
// than an empty list, so that "no topics" has one representation.
func decodeTopics(key string, value json.RawMessage) ([]string, error) {
	if isNull(value) {
		return nil, nil
	}
	if value[0] != '[' {
		return nil, wrongType(key, "an array of strings", value)
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(value, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	var topics []string
	for i, v := range raw {
		t, err := decodeString(fmt.Sprintf("%s[%d]", key, i), v)
		if err != nil {
			return nil, err
		}
		if t = strings.TrimSpace(t); t != "" {
			topics = append(topics, t)
		}
	}
	return topics, nil
}

func wrongType(key, want string, got json.RawMessage) error {
	return fmt.Errorf("%s: want %s, got %s", key, want, jsonKind(got))
}

// jsonKind names the type of a valid JSON value for error messages.
func jsonKind(value json.RawMessage) string {
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
