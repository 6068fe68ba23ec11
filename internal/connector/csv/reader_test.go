package csvconn

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"palabre/internal/connector"
	"palabre/internal/model"
)

func readAll(t *testing.T, src connector.Source) ([]connector.Record, error) {
	t.Helper()
	var recs []connector.Record
	for i := 0; ; i++ {
		if i > 1_000_000 {
			t.Fatal("reader does not stop")
		}
		rec, err := src.Next()
		if errors.Is(err, io.EOF) {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
		recs = append(recs, rec)
	}
}

func openFixture(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// sameMessage compares messages as the format defines equality: the same
// instant for created_at, every other field equal.
func sameMessage(a, b model.Message) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return false
	}
	a.CreatedAt, b.CreatedAt = time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}

func ptr[T any](v T) *T { return &v }

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("unexpected error %v", err)
	case want != "" && err == nil:
		t.Errorf("no error, want %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("error %q, want it to contain %q", err, want)
	}
}

// TestColumnsFollowModel guards the hand-written column list: it must be
// the JSON names of model.Message, in field order.
func TestColumnsFollowModel(t *testing.T) {
	t.Parallel()
	var want []string
	typ := reflect.TypeFor[model.Message]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		want = append(want, name)
	}
	if got := columns(); !reflect.DeepEqual(got, want) {
		t.Errorf("columns()\n got %q\nwant %q", got, want)
	}
}

func TestReaderGoodFile(t *testing.T) {
	t.Parallel()
	recs, err := readAll(t, NewReader(openFixture(t, "good.csv")))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line int
		msg  model.Message
	}{
		{2, model.Message{
			ExternalID: "post-1", Kind: "post", AuthorName: "La Marque", AuthorIsStaff: true,
			Body: "Découvrez notre gamme <b>bio</b> & locale.", CreatedAt: mustTime(t, "2010-09-28T08:52:00Z"),
		}},
		{3, model.Message{
			ExternalID: "comment-7", ParentExternalID: "post-1", Kind: "comment", AuthorName: "Julie",
			Body: "Livré en Belgique ?\nMerci d'avance, \"Julie\"", CreatedAt: mustTime(t, "2010-09-28T09:03:27.25Z"),
			SentimentScore: ptr(0.1), Topics: []string{"livraison", "délai"}, NeedsResponse: ptr(true), Spam: ptr(false),
		}},
		{6, model.Message{
			ExternalID: "comment-8", ParentExternalID: "comment-7", Kind: "reply",
			Body: "  spaces kept  ", CreatedAt: mustTime(t, "2010-09-28T09:30:00Z"), SentimentScore: ptr(-1.0),
		}},
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d: %+v", len(recs), len(want), recs)
	}
	for i, w := range want {
		got := recs[i]
		if got.Err != nil {
			t.Errorf("record %d: unexpected error %v", i, got.Err)
			continue
		}
		if got.Pos.Line != w.line {
			t.Errorf("record %d: line %d, want %d", i, got.Pos.Line, w.line)
		}
		if !sameMessage(got.Message, w.msg) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, got.Message, w.msg)
		}
	}
}

func TestReaderFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file    string
		lines   []int    // line of each record
		bad     []string // error substring of each record, "" when good
		wantErr string   // fatal error, "" for a clean io.EOF
	}{
		{file: "empty.csv"},
		{file: "header_only.csv"},
		{file: "bom_crlf.csv", lines: []int{2, 3}, bad: []string{"", ""}},
		{file: "no_final_newline.csv", lines: []int{2, 3}, bad: []string{"", ""}},
		{
			file:  "mixed.csv",
			lines: []int{2, 3, 4, 5, 6, 7, 8, 9, 10},
			bad: []string{
				"",
				"row has 7 fields, the header has 6",
				"",
				`author_is_staff "maybe" is not a boolean (true/false, 1/0, yes/no)`,
				`sentiment_score "high" is not a number`,
				"created_at is missing",
				`bare " in non-quoted-field at column 8`,
				`kind "tweet" is not one of`,
				"",
			},
		},
		{
			file:  "unterminated.csv",
			lines: []int{2, 3},
			bad:   []string{"", `extraneous or missing " in quoted-field at line 4, column 32: a quoted cell runs over lines 3–4, which are skipped`},
		},
		{file: "dup_header.csv", wantErr: `csv: line 1: duplicate column "body"`},
		{file: "missing_columns.csv", wantErr: `csv: line 1: header has no "external_id", "body" columns`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			r := NewReader(openFixture(t, tt.file))
			recs, err := readAll(t, r)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				if _, err2 := r.Next(); err2 == nil || err2.Error() != tt.wantErr {
					t.Errorf("error not sticky: %v", err2)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected fatal error %v", err)
			}
			if len(recs) != len(tt.lines) {
				t.Fatalf("got %d records, want %d: %+v", len(recs), len(tt.lines), recs)
			}
			for i, rec := range recs {
				if rec.Pos.Line != tt.lines[i] {
					t.Errorf("record %d: line %d, want %d", i, rec.Pos.Line, tt.lines[i])
				}
				checkErr(t, rec.Err, tt.bad[i])
			}
		})
	}
}

func TestReaderBOMAndCRLFContent(t *testing.T) {
	t.Parallel()
	recs, err := readAll(t, NewReader(openFixture(t, "bom_crlf.csv")))
	if err != nil || len(recs) != 2 {
		t.Fatalf("records %+v, error %v", recs, err)
	}
	if got := recs[0].Message.ExternalID; got != "a" {
		t.Errorf("BOM not stripped from the header: external_id %q", got)
	}
	// encoding/csv turns CR LF inside a quoted cell into LF.
	if got := recs[1].Message.Body; got != "two\nlines" {
		t.Errorf("body %q", got)
	}
}

const header = "external_id,body,created_at,"

func TestReaderCells(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		column  string // the extra column after the required ones
		row     string // external_id,body,created_at,extra
		want    func(m model.Message) bool
		wantErr string
	}{
		{"valid", "lang", "m1,hi,2021-03-04T05:06:07Z,fr", func(m model.Message) bool { return m.Lang == "fr" }, ""},
		{"ids trimmed", "member_id", " m1 ,hi,2021-03-04T05:06:07Z, mb ", func(m model.Message) bool { return m.ExternalID == "m1" && m.MemberID == "mb" }, ""},
		{"time trimmed, offset kept", "lang", "m1,hi, 2021-03-04T05:06:07+05:30 ,", func(m model.Message) bool {
			_, off := m.CreatedAt.Zone()
			return off == 5*3600+1800
		}, ""},
		{"bool true", "spam", "m1,hi,2021-03-04T05:06:07Z,Yes", func(m model.Message) bool { return m.Spam != nil && *m.Spam }, ""},
		{"bool 0", "spam", "m1,hi,2021-03-04T05:06:07Z,0", func(m model.Message) bool { return m.Spam != nil && !*m.Spam }, ""},
		{"bool empty is unset", "needs_response", "m1,hi,2021-03-04T05:06:07Z,", func(m model.Message) bool { return m.NeedsResponse == nil }, ""},
		{"staff empty is false", "author_is_staff", "m1,hi,2021-03-04T05:06:07Z,", func(m model.Message) bool { return !m.AuthorIsStaff }, ""},
		{"score empty is unset", "sentiment_score", "m1,hi,2021-03-04T05:06:07Z,", func(m model.Message) bool { return m.SentimentScore == nil }, ""},
		{"score", "sentiment_score", "m1,hi,2021-03-04T05:06:07Z, -0.5 ", func(m model.Message) bool { return m.SentimentScore != nil && *m.SentimentScore == -0.5 }, ""},
		{"topics empty is none", "topics", "m1,hi,2021-03-04T05:06:07Z, ; ", func(m model.Message) bool { return m.Topics == nil }, ""},
		{"topics", "topics", "m1,hi,2021-03-04T05:06:07Z,a; b ;;c", func(m model.Message) bool { return reflect.DeepEqual(m.Topics, []string{"a", "b", "c"}) }, ""},
		{"empty body with body_html", "body_html", "m1,,2021-03-04T05:06:07Z,<p>x</p>", func(m model.Message) bool { return m.Body == "" }, ""},

		{"external_id blank", "lang", " ,hi,2021-03-04T05:06:07Z,", nil, "external_id is missing"},
		{"external_id control", "lang", "\"a\nb\",hi,2021-03-04T05:06:07Z,", nil, "external_id has control character U+000A"},
		{"body empty", "lang", "m1,,2021-03-04T05:06:07Z,", nil, "body is empty and there is no body_html"},
		{"body NUL", "lang", "m1,a\x00b,2021-03-04T05:06:07Z,", nil, "body has control character U+0000"},
		{"body invalid UTF-8", "lang", "m1,caf\xe9,2021-03-04T05:06:07Z,", nil, "body is not valid UTF-8"},
		{"created_at empty", "lang", "m1,hi,,", nil, "created_at is missing"},
		{"created_at not RFC 3339", "lang", "m1,hi,04/03/2021,", nil, `created_at "04/03/2021" is not an RFC 3339 time`},
		{"created_at out of range", "lang", "m1,hi,0001-01-01T00:00:00+00:01,", nil, "outside years 0001–9999"},
		{"kind", "kind", "m1,hi,2021-03-04T05:06:07Z,tweet", nil, `kind "tweet" is not one of post, comment, reply, message`},
		{"status", "status", "m1,hi,2021-03-04T05:06:07Z,draft", nil, `status "draft" is not one of`},
		{"sentiment", "sentiment", "m1,hi,2021-03-04T05:06:07Z,bad", nil, `sentiment "bad" is not one of pos, neg, neu`},
		{"score too high", "sentiment_score", "m1,hi,2021-03-04T05:06:07Z,2", nil, "sentiment_score 2 is outside -1..1"},
		{"score NaN", "sentiment_score", "m1,hi,2021-03-04T05:06:07Z,NaN", nil, "sentiment_score NaN is outside -1..1"},
		{"score overflow", "sentiment_score", "m1,hi,2021-03-04T05:06:07Z,1e999", nil, "sentiment_score 1e999 is outside -1..1"},
		{"score not a number", "sentiment_score", "m1,hi,2021-03-04T05:06:07Z,\"0,5\"", nil, `sentiment_score "0,5" is not a number`},
		{"staff not a boolean", "author_is_staff", "m1,hi,2021-03-04T05:06:07Z,oui", nil, `author_is_staff "oui" is not a boolean`},
		{"spam not a boolean", "spam", "m1,hi,2021-03-04T05:06:07Z,2", nil, `spam "2" is not a boolean`},
		{"topic control", "topics", "m1,hi,2021-03-04T05:06:07Z,a\x01b", nil, "topics[0] has control character U+0001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			recs, err := readAll(t, NewReader(strings.NewReader(header+tt.column+"\n"+tt.row+"\n")))
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 {
				t.Fatalf("got %d records: %+v", len(recs), recs)
			}
			rec := recs[0]
			checkErr(t, rec.Err, tt.wantErr)
			if rec.Err != nil {
				return
			}
			if err := connector.Validate(&rec.Message); err != nil {
				t.Errorf("accepted message fails Validate: %v", err)
			}
			if !tt.want(rec.Message) {
				t.Errorf("unexpected message %+v", rec.Message)
			}
		})
	}
}

func TestReaderHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, input, wantErr string
		records              int
	}{
		{"any order and spaces", " created_at , body ,external_id\n2021-03-04T05:06:07Z,hi,m1\n", "", 1},
		{"unknown columns ignored, duplicates too", "x,external_id,x,body,,created_at,\n1,m1,2,hi,,2021-03-04T05:06:07Z,\n", "", 1},
		{"header after blank lines", "\n\nexternal_id,body,created_at\nm1,hi,2021-03-04T05:06:07Z\n", "", 1},
		{"duplicate known column", "external_id,body,created_at,spam,spam\n", `csv: line 1: duplicate column "spam"`, 0},
		{"duplicate after trimming", "external_id, body,created_at,body \n", `csv: line 1: duplicate column "body"`, 0},
		{"duplicate on a later line", "\n\nexternal_id,external_id,body,created_at\n", `csv: line 3: duplicate column "external_id"`, 0},
		{"missing created_at", "external_id,body\nm1,hi\n", `csv: line 1: header has no "created_at" column`, 0},
		{"case matters", "External_ID,body,created_at\n", `csv: line 1: header has no "external_id" column`, 0},
		{"not CSV of messages", "hello world\n", `csv: line 1: header has no "external_id", "body", "created_at" columns`, 0},
		{"broken quoting in header", "external_id,\"body,created_at\n", `csv: line 1: header: extraneous or missing " in quoted-field`, 0},
		{"bare quote in header", "external_id,bo\"dy,created_at\n", `csv: line 1: header: bare " in non-quoted-field at column 15`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			recs, err := readAll(t, NewReader(strings.NewReader(tt.input)))
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			if len(recs) != tt.records {
				t.Errorf("got %d records, want %d", len(recs), tt.records)
			}
			for _, rec := range recs {
				if rec.Err != nil {
					t.Errorf("line %d: %v", rec.Pos.Line, rec.Err)
				}
			}
		})
	}
}

func TestReaderIOErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("network reset")
	t.Run("at once", func(t *testing.T) {
		t.Parallel()
		if _, err := NewReader(iotest.ErrReader(boom)).Next(); !errors.Is(err, boom) {
			t.Fatalf("error %v, want %v", err, boom)
		}
	})
	t.Run("after some rows", func(t *testing.T) {
		t.Parallel()
		input := "external_id,body,created_at\nm1,hi,2021-03-04T05:06:07Z\n" + strings.Repeat("m2,hi,2021-03-04T05:06:07Z\n", 1000)
		r := NewReader(io.MultiReader(strings.NewReader(input), iotest.ErrReader(boom)))
		recs, err := readAll(t, r)
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), "after line 1002") {
			t.Fatalf("error %v, want %v after line 1002", err, boom)
		}
		if len(recs) != 1001 {
			t.Errorf("got %d records before the failure, want 1001", len(recs))
		}
		if _, err := r.Next(); !errors.Is(err, boom) {
			t.Errorf("error not sticky: %v", err)
		}
	})
}
