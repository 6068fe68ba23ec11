package ndjson

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"palabre/internal/model"
)

// fullMessage sets every field of model.Message, so that a field added to
// the model but forgotten by the reader or the writer fails the round trip.
func fullMessage(t *testing.T) model.Message {
	t.Helper()
	m := model.Message{
		Channel: "blog", ExternalID: "c-42", ParentExternalID: "c-41",
		ConversationExternalID: "p-1", Kind: "reply", Status: "pending",
		Title: "Re: livraison", AuthorName: "Zoé <zoe>", AuthorHandle: "@zoe",
		AuthorEmail: "zoe@example.net", AuthorURL: "https://zoe.example.net/?a=1&b=2",
		AuthorIsStaff: true, MemberID: "mbr_5f2a",
		Body:      "Merci ! \"Très\" rapide\ttab\nnew line \u2028 <3 & co",
		BodyHTML:  "<p>Merci&nbsp;!</p>",
		URL:       "https://example.org/?p=1#comment-42",
		CreatedAt: time.Date(2010, 9, 28, 10, 52, 0, 120_000_000, time.FixedZone("", 2*3600)),
		Lang:      "fr", Sentiment: "pos", SentimentScore: ptr(0.75), Intent: "praise",
		NeedsResponse: ptr(false), Spam: ptr(false), Topics: []string{"livraison", "délai"},
	}
	v := reflect.ValueOf(m)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("fullMessage leaves %s unset; set it so the round trip covers it", v.Type().Field(i).Name)
		}
	}
	return m
}

func writeAll(t *testing.T, msgs ...model.Message) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for i := range msgs {
		if err := w.Write(&msgs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriterGolden(t *testing.T) {
	t.Parallel()
	minimal := model.Message{
		ExternalID: "p-1", Body: "Bonjour", CreatedAt: time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC),
	}
	got := writeAll(t, fullMessage(t), minimal)
	golden := filepath.Join("testdata", "export.golden.ndjson")
	if os.Getenv("PALABRE_UPDATE_GOLDEN") != "" { // rewrite after checking the diff
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (set PALABRE_UPDATE_GOLDEN=1 to rewrite it after checking):\n got %s\nwant %s", golden, got, want)
	}
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
		{"false pointers kept", model.Message{ExternalID: "a", Body: "x", CreatedAt: base, Spam: ptr(false), SentimentScore: ptr(0.0)}, `"sentiment_score":0,"spam":false}`},
		{"empty topics omitted", model.Message{ExternalID: "a", Body: "x", CreatedAt: base, Topics: []string{}}, `Z"}` + "\n"},
		{"key order", model.Message{ExternalID: "a", Kind: "post", Body: "x", CreatedAt: base, Channel: "c"}, `{"channel":"c","external_id":"a","kind":"post","author_is_staff":false,"body":"x","created_at"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := string(writeAll(t, tt.msg))
			if !strings.Contains(got, tt.want) {
				t.Errorf("line %s lacks %s", got, tt.want)
			}
			if strings.Count(got, "\n") != 1 || !strings.HasSuffix(got, "\n") || strings.Contains(got, "\r") {
				t.Errorf("want exactly one line ending in \\n, got %q", got)
			}
			if again := string(writeAll(t, tt.msg)); again != got {
				t.Errorf("not deterministic:\n%s\n%s", got, again)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	msgs := []model.Message{
		fullMessage(t),
		{ExternalID: "min", Body: "x", CreatedAt: time.Date(1999, 12, 31, 23, 59, 59, 999_999_999, time.UTC)},
		{ExternalID: "html-only", BodyHTML: "<p>x</p>", CreatedAt: time.Date(2000, 1, 1, 0, 0, 0, 0, time.FixedZone("", -9*3600-1800)),
			AuthorIsStaff: true, NeedsResponse: ptr(true), Spam: ptr(true), SentimentScore: ptr(-1.0)},
		{ExternalID: "unicode 🎉", Body: "emoji 🎉, NEL \u0085, LS \u2028, quote \" backslash \\", CreatedAt: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
	}
	out := writeAll(t, msgs...)
	recs, err := readAll(t, NewReader(bytes.NewReader(out)))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(msgs) {
		t.Fatalf("read %d records, wrote %d", len(recs), len(msgs))
	}
	for i, rec := range recs {
		if rec.Err != nil {
			t.Errorf("record %d: %v", i, rec.Err)
			continue
		}
		if !sameMessage(rec.Message, msgs[i]) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, rec.Message, msgs[i])
		}
	}
	// Export → import → export is byte-identical.
	var again []model.Message
	for _, rec := range recs {
		again = append(again, rec.Message)
	}
	if out2 := writeAll(t, again...); !bytes.Equal(out, out2) {
		t.Errorf("second export differs:\n%s\n%s", out, out2)
	}
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

func TestWriterErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("pipe closed")
	w := NewWriter(failingWriter{boom})
	m := model.Message{ExternalID: "a", Body: "x", CreatedAt: time.Now()}
	if err := w.Write(&m); err != nil {
		t.Fatalf("buffered write failed early: %v", err)
	}
	if err := w.Flush(); !errors.Is(err, boom) {
		t.Errorf("Flush error %v, want %v", err, boom)
	}

	w = NewWriter(&bytes.Buffer{})
	bad := model.Message{ExternalID: "far", Body: "x", CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := w.Write(&bad); err == nil || !strings.Contains(err.Error(), `"far"`) {
		t.Errorf("year 10000: error %v, want one naming the message", err)
	}
	if err := w.Write(nil); err == nil {
		t.Error("nil message: no error")
	}
}
