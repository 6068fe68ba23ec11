package live

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"palabre/internal/model"
)

func TestWriteEvent(t *testing.T) {
	t.Parallel()
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		e    model.Event
		want string
	}{
		{
			"stored",
			model.Event{ID: 42, WorkspaceID: 3, Actor: "ana", Action: "note.created", Detail: "line one\nline two", ConversationID: 9, CreatedAt: at},
			"id: 42\nevent: note.created\ndata: {\"id\":42,\"workspace_id\":3,\"actor\":\"ana\",\"action\":\"note.created\",\"detail\":\"line one\\nline two\",\"conversation_id\":9,\"created_at\":\"2024-05-01T12:00:00Z\"}\n\n",
		},
		{
			"ephemeral",
			model.Event{Actor: "bo", Action: "presence", Detail: "typing", CreatedAt: at},
			"event: presence\ndata: {\"id\":0,\"actor\":\"bo\",\"action\":\"presence\",\"detail\":\"typing\",\"created_at\":\"2024-05-01T12:00:00Z\"}\n\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			if err := WriteEvent(&b, tc.e); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Fatalf("got\n%q\nwant\n%q", b.String(), tc.want)
			}
			data := strings.TrimSuffix(b.String()[strings.Index(b.String(), "data: ")+6:], "\n\n")
			var back model.Event
			if err := json.Unmarshal([]byte(data), &back); err != nil || back != tc.e {
				t.Fatalf("data decodes to %+v, %v", back, err)
			}
		})
	}
	var b strings.Builder
	if err := WriteEvent(&b, model.Event{ID: 1, Action: "x\ndata: forged"}); err == nil {
		t.Fatal("action with a line break accepted")
	}
	if err := WriteEvent(failWriter{}, model.Event{ID: 1, Action: "x"}); !errors.Is(err, errWrite) {
		t.Fatalf("write error = %v", err)
	}
}

func TestWriteComment(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	if err := WriteComment(&b, "ping"); err != nil {
		t.Fatal(err)
	}
	if err := WriteComment(&b, "two\r\nlines"); err != nil {
		t.Fatal(err)
	}
	if want := ": ping\n\n: two\n: lines\n\n"; b.String() != want {
		t.Fatalf("got %q, want %q", b.String(), want)
	}
}

func TestParseLastEventID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"", 0, true},
		{"0", 0, true},
		{"42", 42, true},
		{"9223372036854775807", 1<<63 - 1, true},
		{"9223372036854775808", 0, false},
		{"-1", 0, false},
		{"+1", 0, false},
		{" 1", 0, false},
		{"1a", 0, false},
		{"abc", 0, false},
	} {
		got, err := ParseLastEventID(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseLastEventID(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func FuzzParseLastEventID(f *testing.F) {
	for _, s := range []string{"", "0", "17", "-3", "+3", "1e3", "99999999999999999999", " 5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseLastEventID(s)
		if err != nil {
			if id != 0 {
				t.Fatalf("error with id %d", id)
			}
			return
		}
		if id < 0 {
			t.Fatalf("%q gives negative %d", s, id)
		}
		if s != "" && strings.TrimLeft(s, "0") != strings.TrimLeft(strconv.FormatInt(id, 10), "0") {
			t.Fatalf("%q parsed as %d", s, id)
		}
		if back, err := ParseLastEventID(strconv.FormatInt(id, 10)); err != nil || back != id {
			t.Fatalf("round trip of %d: %d, %v", id, back, err)
		}
	})
}

var errWrite = errors.New("connection reset")

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }
