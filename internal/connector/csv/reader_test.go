package csvconn

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"palabre/internal/connector"
	"palabre/internal/connector/connectortest"
	"palabre/internal/model"
)

// csvFormat is CSV for the checks that NDJSON shares. On an in-memory
// input only a header can be refused as a whole.
func csvFormat() connectortest.LineFormat {
	f := connectortest.NewLineFormat(NewReader, NewWriter, "csv: line ")
	// encoding/csv reads CR LF inside a quoted cell as LF.
	f.Lossy = func(m model.Message) bool {
		j, _ := json.Marshal(m)
		return bytes.Contains(j, []byte(`\r\n`))
	}
	return f
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
	csvFormat().CheckGoodFile(t, "good.csv", []connectortest.Good{
		{Line: 2, Message: model.Message{
			ExternalID: "post-1", Kind: "post", AuthorName: "La Marque", AuthorIsStaff: true,
			Body: "Découvrez notre gamme <b>bio</b> & locale.", CreatedAt: connectortest.MustTime(t, "2010-09-28T08:52:00Z"),
		}},
		{Line: 3, Message: model.Message{
			ExternalID: "comment-7", ParentExternalID: "post-1", Kind: "comment", AuthorName: "Julie",
			Body: "Livré en Belgique ?\nMerci d'avance, \"Julie\"", CreatedAt: connectortest.MustTime(t, "2010-09-28T09:03:27.25Z"),
			SentimentScore: new(0.1), Topics: []string{"livraison", "délai"}, NeedsResponse: new(true), Spam: new(false),
		}},
		{Line: 6, Message: model.Message{
			ExternalID: "comment-8", ParentExternalID: "comment-7", Kind: "reply",
			Body: "  spaces kept  ", CreatedAt: connectortest.MustTime(t, "2010-09-28T09:30:00Z"), SentimentScore: new(-1.0),
		}},
	})
}

func TestReaderFiles(t *testing.T) {
	t.Parallel()
	csvFormat().CheckFiles(t, []connectortest.FileCase{
		{File: "empty.csv"},
		{File: "header_only.csv"},
		{File: "bom_crlf.csv", Lines: []int{2, 3}, Bad: []string{"", ""}},
		{File: "no_final_newline.csv", Lines: []int{2, 3}, Bad: []string{"", ""}},
		{
			File:  "mixed.csv",
			Lines: []int{2, 3, 4, 5, 6, 7, 8, 9, 10},
			Bad: []string{
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
			File:  "unterminated.csv",
			Lines: []int{2, 3},
			Bad:   []string{"", `extraneous or missing " in quoted-field at line 4, column 32: a quoted cell runs over lines 3–4, which are skipped`},
		},
		{File: "dup_header.csv", WantErr: `csv: line 1: duplicate column "body"`},
		{File: "missing_columns.csv", WantErr: `csv: line 1: header has no "external_id", "body" columns`},
	})
}

func TestReaderBOMAndCRLFContent(t *testing.T) {
	t.Parallel()
	// The BOM is not part of the first column's name, and encoding/csv
	// turns CR LF inside a quoted cell into LF.
	csvFormat().CheckGoodFile(t, "bom_crlf.csv", []connectortest.Good{
		{Line: 2, Message: model.Message{ExternalID: "a", Body: "first", CreatedAt: connectortest.MustTime(t, "2021-03-04T05:06:07Z")}},
		{Line: 3, Message: model.Message{ExternalID: "b", Body: "two\nlines", CreatedAt: connectortest.MustTime(t, "2021-03-04T05:06:08-05:00")}},
	})
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
			recs, err := connectortest.ReadAll(t, NewReader(strings.NewReader(header+tt.column+"\n"+tt.row+"\n")))
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 {
				t.Fatalf("got %d records: %+v", len(recs), recs)
			}
			rec := recs[0]
			connectortest.CheckErr(t, rec.Err, tt.wantErr)
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
			recs, err := connectortest.ReadAll(t, NewReader(strings.NewReader(tt.input)))
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
		recs, err := connectortest.ReadAll(t, r)
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

// FuzzReader checks, for any input: the reader never panics and always
// ends; on an in-memory input its only fatal errors are about the header;
// every good record passes connector.Validate; and every good record
// survives Writer → Reader unchanged, unless it holds a CR LF, which CSV
// cannot carry (see the package comment).
func FuzzReader(f *testing.F) {
	connectortest.AddFiles(f, filepath.Join("testdata", "*.csv"))
	for _, s := range []string{
		header + "topics\nm1,hi,2021-03-04T05:06:07Z, a ;; b\n",
		header + "sentiment_score\nm1,hi,2021-03-04T05:06:07Z,-0\n",
		"\uFEFF" + header + "spam\r\nm1,\"a\r\nb\",2021-03-04T05:06:07Z,YES\r\n",
		"external_id,body,created_at\nm1,\"x\n",
		"external_id,body,created_at\n\"m1\"x,y,z\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(csvFormat().CheckInput)
}
