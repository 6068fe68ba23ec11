package ndjson

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"palabre/internal/connector/connectortest"
	"palabre/internal/model"
)

func TestWriterGolden(t *testing.T) {
	t.Parallel()
	minimal := model.Message{
		ExternalID: "p-1", Body: "Bonjour", CreatedAt: time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC),
	}
	connectortest.CheckGolden(t, "export.golden.ndjson", ndjsonFormat().WriteAll(t, fullMessage(t), minimal))
}

func TestWriterConventions(t *testing.T) {
	t.Parallel()
	base := time.Date(2010, 9, 28, 10, 52, 0, 0, time.FixedZone("CEST", 2*3600))
	tests := []struct {
		name string
		msg  model.Message
		want string // substring of the line
	}{
		{"UTC without fraction", model.Message{ExternalID: "a", Body: "x", CreatedAt: base}, `"created_at":"2010-09-28T08:52:00Z"`},
		{"fraction trimmed", model.Message{ExternalID: "a", Body: "x", CreatedAt: base.Add(500 * time.Millisecond)}, `"created_at":"2010-09-28T08:52:00.5Z"`},
		{"nanoseconds", model.Message{ExternalID: "a", Body: "x", CreatedAt: base.Add(1)}, `"created_at":"2010-09-28T08:52:00.000000001Z"`},
		{"no HTML escaping", model.Message{ExternalID: "a", Body: "<b>a & b</b>", CreatedAt: base}, `"body":"<b>a & b</b>"`},
		{"staff false is written", model.Message{ExternalID: "a", Body: "x", CreatedAt: base}, `"author_is_staff":false,"body":"x"`},
		{"unset analysis omitted", model.Message{ExternalID: "a", Body: "x", CreatedAt: base}, `"created_at":"2010-09-28T08:52:00Z"}` + "\n"},
		{"false pointers kept", model.Message{ExternalID: "a", Body: "x", CreatedAt: base, Spam: new(false), SentimentScore: new(0.0)}, `"sentiment_score":0,"spam":false}`},
		{"empty topics omitted", model.Message{ExternalID: "a", Body: "x", CreatedAt: base, Topics: []string{}}, `Z"}` + "\n"},
		{"key order", model.Message{ExternalID: "a", Kind: "post", Body: "x", CreatedAt: base, Channel: "c"}, `{"channel":"c","external_id":"a","kind":"post","author_is_staff":false,"body":"x","created_at"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := string(ndjsonFormat().WriteAll(t, tt.msg))
			if !strings.Contains(got, tt.want) {
				t.Errorf("line %s lacks %s", got, tt.want)
			}
			if strings.Count(got, "\n") != 1 || !strings.HasSuffix(got, "\n") || strings.Contains(got, "\r") {
				t.Errorf("want exactly one line ending in \\n, got %q", got)
			}
			if again := string(ndjsonFormat().WriteAll(t, tt.msg)); again != got {
				t.Errorf("not deterministic:\n%s\n%s", got, again)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	ndjsonFormat().CheckRoundTrips(t,
		fullMessage(t),
		model.Message{ExternalID: "unicode 🎉", Body: "emoji 🎉, NEL \u0085, LS \u2028, quote \" backslash \\", CreatedAt: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
	)
}

func TestWriterErrors(t *testing.T) {
	t.Parallel()
	ndjsonFormat().CheckFlushError(t)

	w := NewWriter(&bytes.Buffer{})
	bad := model.Message{ExternalID: "far", Body: "x", CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := w.Write(&bad); err == nil || !strings.Contains(err.Error(), `"far"`) {
		t.Errorf("year 10000: error %v, want one naming the message", err)
	}
	if err := w.Write(nil); err == nil {
		t.Error("nil message: no error")
	}
}

// fullMessage sets every field, with text that JSON must escape.
func fullMessage(t *testing.T) model.Message {
	t.Helper()
	m := connectortest.FullMessage(t)
	m.AuthorName = "Zoé <zoe>"
	m.Body = "Merci ! \"Très\" rapide\ttab\nnew line \u2028 <3 & co"
	return m
}
