package inbound

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseOneMessage(t *testing.T) {
	t.Parallel()
	body := ` {"channel":"elsewhere","external_id":" form-1 ","body":"Bonjour","created_at":"2024-05-03T14:00:00+02:00",
	  "author_name":"Max","author_email":"max@example.net","kind":"message","url":"https://brand.example/contact",
	  "unknown_field":{"kept":"ignored"}}`
	recs, err := Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Err != nil {
		t.Fatalf("records = %+v", recs)
	}
	m := recs[0].Message
	if m.ExternalID != "form-1" || m.Body != "Bonjour" || m.AuthorName != "Max" || m.AuthorEmail != "max@example.net" ||
		m.Kind != "message" || m.URL != "https://brand.example/contact" {
		t.Errorf("message = %+v", m)
	}
	if !m.CreatedAt.Equal(time.Date(2024, 5, 3, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("created_at = %s", m.CreatedAt)
	}
	if m.Channel != "" {
		t.Errorf("channel = %q, want it ignored: the URL names the channel", m.Channel)
	}
	if recs[0].Pos.Offset != 1 || recs[0].Pos.Line != 0 {
		t.Errorf("position = %+v, want offset 1", recs[0].Pos)
	}
}

func TestParseBatch(t *testing.T) {
	t.Parallel()
	body := `{"messages": [
  {"external_id":"a","body":"Un","created_at":"2024-05-03T12:00:00Z"},
  {"external_id":"b","parent_external_id":"a","body":"Deux","created_at":"2024-05-03T12:01:00Z","lang":"fr","topics":["prix"]},
  {"external_id":"a","body":"Un encore","created_at":"2024-05-03T12:00:00Z"}
]}`
	recs, err := Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	for i, id := range []string{"a", "b", "a"} {
		r := recs[i]
		if r.Err != nil || r.Message.ExternalID != id {
			t.Errorf("record %d = %+v", i, r)
		}
		if off := r.Pos.Offset; body[off] != '{' || !strings.HasPrefix(body[off:], `{"external_id":"`+id+`"`) {
			t.Errorf("record %d offset %d points at %.20q", i, off, body[off:])
		}
	}
	// Analysis given is kept, as on import; the same external id twice
	// is left to storage, which keeps one message.
	if m := recs[1].Message; m.ParentExternalID != "a" || m.Lang != "fr" || len(m.Topics) != 1 {
		t.Errorf("second message = %+v", m)
	}
}

func TestParseLocatesBadMessages(t *testing.T) {
	t.Parallel()
	body := `{"messages":[
{"external_id":"ok","body":"x","created_at":"2024-05-03T12:00:00Z"},
{"external_id":"no-date","body":"x"},
{"external_id":"staff","body":"x","created_at":"2024-05-03T12:00:00Z","author_is_staff":"yes"},
{"external_id":"k","body":"x","created_at":"2024-05-03T12:00:00Z","kind":"tweet"},
{"external_id":"d","body":"x","body":"y","created_at":"2024-05-03T12:00:00Z"},
"not an object"
]}`
	recs, err := Parse([]byte(body))
	var be *BatchError
	if !errors.As(err, &be) {
		t.Fatalf("error %v, want a *BatchError", err)
	}
	if len(recs) != 6 || recs[0].Err != nil {
		t.Fatalf("records = %+v", recs)
	}
	want := []struct {
		index int
		says  string
	}{
		{1, "created_at is missing"},
		{2, "author_is_staff: want true or false, got a string"},
		{3, `kind "tweet"`},
		{4, `duplicate key "body"`},
		{5, "not a JSON object but a string"},
	}
	if be.Total != 6 || len(be.Errors) != len(want) {
		t.Fatalf("batch error = %v", be)
	}
	for i, w := range want {
		e := be.Errors[i]
		if e.Index != w.index || !strings.Contains(e.Error(), w.says) || e.Pointer() != fmt.Sprintf("/messages/%d", w.index) {
			t.Errorf("error %d = %q (pointer %s), want messages[%d] saying %q", i, e, e.Pointer(), w.index, w.says)
		}
		if !strings.HasPrefix(e.Error(), fmt.Sprintf("messages[%d] (byte %d): ", w.index, e.Offset)) {
			t.Errorf("error %q does not name its place", e)
		}
		if recs[w.index].Err != e {
			t.Errorf("record %d error = %v, want %v", w.index, recs[w.index].Err, e)
		}
	}
	if !strings.HasPrefix(err.Error(), "5 of 6 messages cannot be stored; messages[1] ") || !strings.Contains(err.Error(), "and 2 more") {
		t.Errorf("summary = %q", err)
	}
}

func TestParseOneBadMessage(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte(`{"external_id":"x","created_at":"2024-05-03T12:00:00Z"}`))
	var be *BatchError
	if !errors.As(err, &be) || len(be.Errors) != 1 {
		t.Fatalf("error = %v", err)
	}
	if e := be.Errors[0]; e.Index != -1 || e.Pointer() != "" || e.Error() != "message: body is missing" {
		t.Errorf("error = %q (index %d, pointer %q)", e, e.Index, e.Pointer())
	}
}

func TestParseRefusesBodies(t *testing.T) {
	t.Parallel()
	msg := `{"external_id":"a","body":"x","created_at":"2024-05-03T12:00:00Z"}`
	many := func(n int) string { return `{"messages":[` + strings.Repeat(msg+",", n-1) + msg + `]}` }
	tests := []struct {
		name     string
		body     string
		tooLarge bool
		says     string
	}{
		{"empty", "", false, "not valid JSON"},
		{"not JSON", `{"external_id": "a",}`, false, "not valid JSON: invalid character '}' looking for beginning of object key string (byte 20)"},
		{"not UTF-8", "{\"body\":\"caf\xe9\"}", false, "not valid UTF-8 (byte 12)"},
		{"an array", "[" + msg + "]", false, "not a JSON object but an array"},
		{"a string", `"hello"`, false, "not a JSON object but a string"},
		{"messages not an array", `{"messages":{"external_id":"a"}}`, false, "messages: want an array of messages, got an object"},
		{"messages null", `{"messages":null}`, false, "messages: want an array of messages, got null"},
		{"no messages", `{"messages":[]}`, false, "messages is empty"},
		{"messages twice", `{"messages":[` + msg + `],"messages":[` + msg + `]}`, false, `"messages" twice`},
		{"messages and fields", `{"external_id":"a","messages":[` + msg + `]}`, false, `"messages" and "external_id"`},
		{"too many messages", many(MaxMessages + 1), true, "more than 100 messages"},
		{"too large", `{"body":"` + strings.Repeat("x", MaxBodyBytes) + `"}`, true, "more than 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			recs, err := Parse([]byte(tt.body))
			if err == nil {
				t.Fatalf("accepted: %+v", recs)
			}
			if recs != nil {
				t.Errorf("records returned with %v", err)
			}
			if got := errors.Is(err, ErrTooLarge); got != tt.tooLarge {
				t.Errorf("too large = %v, want %v: %v", got, tt.tooLarge, err)
			}
			var be *BatchError
			if errors.As(err, &be) {
				t.Errorf("a body error taken for a message error: %v", err)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q does not say %q", err, tt.says)
			}
		})
	}
	if recs, err := Parse([]byte(many(MaxMessages))); err != nil || len(recs) != MaxMessages {
		t.Errorf("%d messages: %d records, %v", MaxMessages, len(recs), err)
	}
}
