package csvconn

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"palabre/internal/connector/connectortest"
	"palabre/internal/model"
)

func TestWriterHeaderOnly(t *testing.T) {
	t.Parallel()
	got := string(csvFormat().WriteAll(t))
	want := strings.Join(columns(), ",") + "\n"
	if got != want {
		t.Errorf("empty export %q, want %q", got, want)
	}
}

func TestWriterGolden(t *testing.T) {
	t.Parallel()
	minimal := model.Message{ExternalID: "p-1", Body: "Bonjour", CreatedAt: time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)}
	connectortest.CheckGolden(t, "export.golden.csv", csvFormat().WriteAll(t, fullMessage(t), minimal))
}

func TestWriterConventions(t *testing.T) {
	t.Parallel()
	base := time.Date(2010, 9, 28, 10, 52, 0, 0, time.FixedZone("CEST", 2*3600))
	tests := map[string]struct {
		msg  model.Message
		want map[string]string // column → cell
	}{
		"UTC without fraction": {model.Message{ExternalID: "a", Body: "x", CreatedAt: base},
			map[string]string{"created_at": "2010-09-28T08:52:00Z", "author_is_staff": "false", "spam": "", "needs_response": "", "sentiment_score": "", "topics": ""}},
		"fraction trimmed": {model.Message{ExternalID: "a", Body: "x", CreatedAt: base.Add(500 * time.Millisecond)},
			map[string]string{"created_at": "2010-09-28T08:52:00.5Z"}},
		"set pointers": {model.Message{ExternalID: "a", Body: "x", CreatedAt: base, Spam: new(false), NeedsResponse: new(true), SentimentScore: new(-0.125)},
			map[string]string{"spam": "false", "needs_response": "true", "sentiment_score": "-0.125"}},
		"topics joined": {model.Message{ExternalID: "a", Body: "x", CreatedAt: base, Topics: []string{"prix", "livraison"}},
			map[string]string{"topics": "prix;livraison"}},
		"staff": {model.Message{ExternalID: "a", Body: "x", CreatedAt: base, AuthorIsStaff: true},
			map[string]string{"author_is_staff": "true"}},
		"unset time is empty": {model.Message{ExternalID: "a", Body: "x"},
			map[string]string{"created_at": ""}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out := csvFormat().WriteAll(t, tt.msg)
			if !bytes.Equal(out, csvFormat().WriteAll(t, tt.msg)) {
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
	csvFormat().CheckRoundTrips(t,
		fullMessage(t),
		model.Message{ExternalID: "edge", Body: " leading space, \"quotes\",\ttab, lone CR \r here ", Title: "=1+1",
			CreatedAt: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), SentimentScore: new(1e-7)},
	)
}

func TestWriterErrors(t *testing.T) {
	t.Parallel()
	csvFormat().CheckFlushError(t)

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

// fullMessage sets every field, with text that CSV must quote.
func fullMessage(t *testing.T) model.Message {
	t.Helper()
	m := connectortest.FullMessage(t)
	m.Title, m.AuthorName = "Re: livraison, délais", "Zoé \"Z\" Martin"
	m.Body = "Merci !\nDeux lignes, \"citées\", <b>gras</b> & co"
	return m
}
