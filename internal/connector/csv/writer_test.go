package csvconn

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
		Title: "Re: livraison, délais", AuthorName: "Zoé \"Z\" Martin", AuthorHandle: "@zoe",
		AuthorEmail: "zoe@example.net", AuthorURL: "https://zoe.example.net/?a=1&b=2",
		AuthorIsStaff: true, MemberID: "mbr_5f2a",
		Body:      "Merci !\nDeux lignes, \"citées\", <b>gras</b> & co",
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
	minimal := model.Message{ExternalID: "p-1", Body: "Bonjour", CreatedAt: time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)}
	got := writeAll(t, fullMessage(t), minimal)
	golden := filepath.Join("testdata", "export.golden.csv")
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

func TestWriterHeaderOnly(t *testing.T) {
	t.Parallel()
	got := string(writeAll(t))
	want := strings.Join(columns(), ",") + "\n"
	if got != want {
		t.Errorf("empty export %q, want %q", got, want)
	}
}

func TestWriterConventions(t *testing.T) {
	t.Parallel()
	base := time.Date(2010, 9, 28, 10, 52, 0, 0, time.FixedZone("CEST", 2*3600))
	tests := []struct {
		name string
		msg  model.Message
		want map[string]string // column → cell
	}{
		{"UTC without fraction", model.Message{ExternalID: "a", Body: "x", CreatedAt: base},
			map[string]string{"created_at": "2010-09-28T08:52:00Z", "author_is_staff": "false", "spam": "", "needs_response": "", "sentiment_score": "", "topics": ""}},
		{"fraction trimmed", model.Message{ExternalID: "a", Body: "x", CreatedAt: base.Add(500 * time.Millisecond)},
			map[string]string{"created_at": "2010-09-28T08:52:00.5Z"}},
		{"set pointers", model.Message{ExternalID: "a", Body: "x", CreatedAt: base, Spam: ptr(false), NeedsResponse: ptr(true), SentimentScore: ptr(-0.125)},
			map[string]string{"spam": "false", "needs_response": "true", "sentiment_score": "-0.125"}},
		{"topics joined", model.Message{ExternalID: "a", Body: "x", CreatedAt: base, Topics: []string{"prix", "livraison"}},
			map[string]string{"topics": "prix;livraison"}},
		{"staff", model.Message{ExternalID: "a", Body: "x", CreatedAt: base, AuthorIsStaff: true},
			map[string]string{"author_is_staff": "true"}},
		{"unset time is empty", model.Message{ExternalID: "a", Body: "x"},
			map[string]string{"created_at": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := writeAll(t, tt.msg)
			if !bytes.Equal(out, writeAll(t, tt.msg)) {
				t.Error("not deterministic")
			}
			if bytes.Contains(out, []byte("\r")) {
				t.Errorf("CR in output %q", out)
			}
			lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			if len(lines) != 2 {
				t.Fatalf("want header and one row, got %q", out)
			}
			cells := strings.Split(lines[1], ",")
			for i, c := range columns() {
				if want, ok := tt.want[c]; ok && cells[i] != want {
					t.Errorf("%s = %q, want %q", c, cells[i], want)
				}
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
		{ExternalID: "edge", Body: " leading space, \"quotes\",\ttab, lone CR \r here ", Title: "=1+1",
			CreatedAt: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), SentimentScore: ptr(1e-7)},
	}
	out := writeAll(t, msgs...)
	recs, err := readAll(t, NewReader(bytes.NewReader(out)))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(msgs) {
		t.Fatalf("read %d records, wrote %d", len(recs), len(msgs))
	}
	var again []model.Message
	for i, rec := range recs {
		if rec.Err != nil {
			t.Errorf("record %d: %v", i, rec.Err)
			continue
		}
		if !sameMessage(rec.Message, msgs[i]) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, rec.Message, msgs[i])
		}
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
	boom := errors.New("disk full")
	w := NewWriter(failingWriter{boom})
	m := model.Message{ExternalID: "a", Body: "x", CreatedAt: time.Now()}
	if err := w.Write(&m); err != nil {
		t.Fatalf("buffered write failed early: %v", err)
	}
	if err := w.Flush(); !errors.Is(err, boom) {
		t.Errorf("Flush error %v, want %v", err, boom)
	}

	tests := []struct {
		name    string
		msg     *model.Message
		wantErr string
	}{
		{"nil", nil, "nil message"},
		{"topic with separator", &model.Message{ExternalID: "t", Body: "x", CreatedAt: time.Now(), Topics: []string{"a;b"}}, `external_id "t"): topics[0] "a;b" contains ";"`},
		{"year 10000", &model.Message{ExternalID: "far", Body: "x", CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, "created_at year 10000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			w := NewWriter(&buf)
			if err := w.Write(tt.msg); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if strings.Count(buf.String(), "\n") != 1 {
				t.Errorf("a refused message left output: %q", buf.String())
			}
		})
	}
}
