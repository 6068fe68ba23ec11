package ndjson

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"palabre/internal/connector"
	"palabre/internal/connector/connectortest"
	"palabre/internal/model"
)

// ndjsonFormat is NDJSON for the checks that CSV shares. On an in-memory
// input only binary data is refused as a whole.
func ndjsonFormat() connectortest.LineFormat {
	return connectortest.NewLineFormat(NewReader, NewWriter, "not NDJSON: binary data at offset ")
}

func TestReaderGoodFile(t *testing.T) {
	t.Parallel()
	recs := ndjsonFormat().CheckGoodFile(t, "good.ndjson", []connectortest.Good{
		{Line: 1, Message: model.Message{
			Channel: "blog", ExternalID: "post-1", Kind: "post", Status: "approved",
			Title: "Nouvelle gamme", AuthorName: "La Marque", AuthorIsStaff: true,
			Body: "Découvrez notre nouvelle gamme <b>bio</b> & locale.",
			URL:  "https://example.org/?p=1", CreatedAt: connectortest.MustTime(t, "2010-09-28T08:52:00Z"),
		}},
		{Line: 3, Message: model.Message{
			Channel: "blog", ExternalID: "comment-7", ParentExternalID: "post-1",
			ConversationExternalID: "post-1", Kind: "comment", AuthorName: "Julie",
			AuthorEmail: "julie@example.net", Body: "Est-ce que c'est livré en Belgique ?",
			CreatedAt: connectortest.MustTime(t, "2010-09-28T09:03:27.25Z"), Lang: "fr", Sentiment: "neu",
			SentimentScore: new(0.1), Intent: "question", NeedsResponse: new(true),
			Spam: new(false), Topics: []string{"livraison"},
		}},
		{Line: 5, Message: model.Message{
			ExternalID: "comment-8", ParentExternalID: "comment-7", Kind: "reply",
			BodyHTML: "<p>Oui !</p>", CreatedAt: connectortest.MustTime(t, "2010-09-28T09:30:00Z"),
		}},
	})
	// The offset as written is kept, not only the instant.
	if _, off := recs[0].Message.CreatedAt.Zone(); off != 2*3600 {
		t.Errorf("created_at offset %d s, want 7200", off)
	}
}

func TestReaderFiles(t *testing.T) {
	t.Parallel()
	ndjsonFormat().CheckFiles(t, []connectortest.FileCase{
		{File: "empty.ndjson"},
		{File: "blank.ndjson"},
		{
			File:  "bom_crlf.ndjson",
			Lines: []int{1, 3}, Bad: []string{"", ""}, IDs: []string{"a", "b"},
		},
		{
			File:  "no_final_newline.ndjson",
			Lines: []int{1, 2}, Bad: []string{"", ""}, IDs: []string{"a", "b"},
		},
		{
			File:  "mixed.ndjson",
			Lines: []int{1, 2, 3, 4, 5, 6, 8},
			Bad: []string{"", "invalid JSON at column 2", "external_id is missing", "",
				"not a JSON object but an array", `kind "tweet"`, ""},
			IDs: []string{"ok-1", "", "", "ok-2", "", "", "ok-3"},
		},
		{File: "gzip.bin", WantErr: "not NDJSON: binary data at offset 1"},
	})
}

func TestReaderBOMAndCRLFContent(t *testing.T) {
	t.Parallel()
	// CR LF inside a string is content; only the line end is stripped.
	ndjsonFormat().CheckGoodFile(t, "bom_crlf.ndjson", []connectortest.Good{
		{Line: 1, Message: model.Message{ExternalID: "a", Body: "line one\r\nline two", CreatedAt: connectortest.MustTime(t, "2021-03-04T05:06:07Z")}},
		{Line: 3, Message: model.Message{ExternalID: "b", Body: "second", CreatedAt: connectortest.MustTime(t, "2021-03-04T05:06:08-05:00")}},
	})
}

// okLine is a valid record; the cases below break it one rule at a time.
const okLine = `{"external_id":"m1","body":"hello","created_at":"2021-03-04T05:06:07Z"`

func TestDecodeLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, line, wantErr string
	}{
		{"valid", okLine + `}`, ""},
		{"unknown fields ignored", okLine + `,"new_field":[1,{"a":null}],"x":1}`, ""},
		{"all nulls are unset", okLine + `,"kind":null,"sentiment_score":null,"spam":null,"topics":null,"author_is_staff":null}`, ""},
		{"empty body with body_html", `{"external_id":"m1","body":"","body_html":"<p>x</p>","created_at":"2021-03-04T05:06:07Z"}`, ""},
		{"tab and newline in body", `{"external_id":"m1","body":"a\tb\nc\r\n","created_at":"2021-03-04T05:06:07Z"}`, ""},
		{"any offset", `{"external_id":"m1","body":"x","created_at":"2021-03-04T05:06:07.123-09:30"}`, ""},
		{"leading and trailing spaces", "  \t" + okLine + "}  ", ""},
		{"every kind", okLine + `,"kind":"message"}`, ""},
		{"every status", okLine + `,"status":"trash"}`, ""},
		{"score bounds", okLine + `,"sentiment_score":-1}`, ""},

		{"syntax error column", `{"external_id": "m1", oops}`, "invalid JSON at column 23: invalid character 'o'"},
		{"syntax error column counts characters", `{"body":"été", x}`, "invalid JSON at column 16"},
		{"truncated object", `{"external_id":"m1","body":`, "invalid JSON at column 27: unexpected end of JSON input"},
		{"trailing garbage", okLine + `} {}`, "invalid JSON at column"},
		{"raw control character", "{\"external_id\":\"m\x011\"}", "invalid JSON at column 18"},
		{"array", `[1,2]`, "not a JSON object but an array"},
		{"string", `"hello"`, "not a JSON object but a string"},
		{"number", `42`, "not a JSON object but a number"},
		{"null", `null`, "not a JSON object but null"},
		{"invalid UTF-8", "{\"body\":\"caf\xe9\"}", "invalid UTF-8 at column 13"},
		{"duplicate key", okLine + `,"body":"again"}`, `duplicate key "body"`},

		{"external_id missing", `{"body":"x","created_at":"2021-03-04T05:06:07Z"}`, "external_id is missing"},
		{"external_id blank", `{"external_id":"  ","body":"x","created_at":"2021-03-04T05:06:07Z"}`, "external_id is missing"},
		{"external_id null", `{"external_id":null,"body":"x","created_at":"2021-03-04T05:06:07Z"}`, "external_id is missing"},
		{"external_id number", `{"external_id":12,"body":"x","created_at":"2021-03-04T05:06:07Z"}`, "external_id: want a string, got a number"},
		{"external_id control", `{"external_id":"a\nb","body":"x","created_at":"2021-03-04T05:06:07Z"}`, "external_id has control character U+000A"},
		{"parent id control", okLine + `,"parent_external_id":"p\u0085q"}`, "parent_external_id has control character U+0085"},
		{"body missing", `{"external_id":"m1","created_at":"2021-03-04T05:06:07Z"}`, "body is missing"},
		{"body key in another case", `{"external_id":"m1","Body":"x","created_at":"2021-03-04T05:06:07Z"}`, "body is missing"},
		{"body null", `{"external_id":"m1","body":null,"created_at":"2021-03-04T05:06:07Z"}`, "body is missing"},
		{"body empty", `{"external_id":"m1","body":"","created_at":"2021-03-04T05:06:07Z"}`, "body is empty and there is no body_html"},
		{"body missing despite body_html", `{"external_id":"m1","body_html":"<p>x</p>","created_at":"2021-03-04T05:06:07Z"}`, "body is missing"},
		{"body object", `{"external_id":"m1","body":{"text":"x"},"created_at":"2021-03-04T05:06:07Z"}`, "body: want a string, got an object"},
		{"body NUL", `{"external_id":"m1","body":"a\u0000b","created_at":"2021-03-04T05:06:07Z"}`, "body has control character U+0000"},
		{"author_name escape", okLine + `,"author_name":"bell\u0007"}`, "author_name has control character U+0007"},
		{"created_at missing", `{"external_id":"m1","body":"x"}`, "created_at is missing"},
		{"created_at null", `{"external_id":"m1","body":"x","created_at":null}`, "created_at is missing"},
		{"created_at not RFC 3339", `{"external_id":"m1","body":"x","created_at":"2021-03-04 05:06:07"}`, `created_at "2021-03-04 05:06:07" is not an RFC 3339 time`},
		{"created_at without zone", `{"external_id":"m1","body":"x","created_at":"2021-03-04T05:06:07"}`, "is not an RFC 3339 time"},
		{"created_at number", `{"external_id":"m1","body":"x","created_at":1614834367}`, "created_at: want a string, got a number"},
		{"created_at before year 1 in UTC", `{"external_id":"m1","body":"x","created_at":"0001-01-01T00:30:00+01:00"}`, "outside years 0001–9999"},
		{"created_at after 9999 in UTC", `{"external_id":"m1","body":"x","created_at":"9999-12-31T23:30:00-01:00"}`, "outside years 0001–9999"},
		{"kind", okLine + `,"kind":"tweet"}`, `kind "tweet" is not one of post, comment, reply, message`},
		{"kind case", okLine + `,"kind":"Post"}`, `kind "Post"`},
		{"kind wrong type", okLine + `,"kind":["post"]}`, "kind: want a string, got an array"},
		{"status", okLine + `,"status":"published"}`, `status "published" is not one of`},
		{"sentiment", okLine + `,"sentiment":"positive"}`, `sentiment "positive" is not one of pos, neg, neu`},
		{"sentiment_score high", okLine + `,"sentiment_score":1.5}`, "sentiment_score 1.5 is outside -1..1"},
		{"sentiment_score low", okLine + `,"sentiment_score":-1.0001}`, "sentiment_score -1.0001 is outside -1..1"},
		{"sentiment_score overflow", okLine + `,"sentiment_score":1e999}`, "sentiment_score 1e999 is outside -1..1"},
		{"sentiment_score string", okLine + `,"sentiment_score":"0.5"}`, "sentiment_score: want a number, got a string"},
		{"author_is_staff string", okLine + `,"author_is_staff":"true"}`, "author_is_staff: want true or false, got a string"},
		{"needs_response number", okLine + `,"needs_response":1}`, "needs_response: want true or false, got a number"},
		{"spam string", okLine + `,"spam":"no"}`, "spam: want true or false, got a string"},
		{"topics string", okLine + `,"topics":"a;b"}`, "topics: want an array of strings, got a string"},
		{"topics element", okLine + `,"topics":["a",2]}`, "topics[1]: want a string, got a number"},
		{"topic with separator", okLine + `,"topics":["a;b"]}`, `topics[0] "a;b" contains ";"`},
		{"topic control", okLine + `,"topics":["a\tb"]}`, "topics[0] has control character U+0009"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := decodeLine([]byte(tt.line))
			connectortest.CheckErr(t, err, tt.wantErr)
			if err == nil {
				if verr := connector.Validate(&m); verr != nil {
					t.Errorf("accepted message fails Validate: %v", verr)
				}
			}
		})
	}
}

func TestDecodeLineNormalises(t *testing.T) {
	t.Parallel()
	line := `{"external_id":" e1\t","parent_external_id":" p1 ","conversation_external_id":" c1 ","member_id":" m1 ",` +
		`"body":"  keep me  ","title":" keep ","created_at":"2021-03-04T05:06:07+02:00","topics":[" a ","","  ",null,"b"]}`
	m, err := decodeLine([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	want := model.Message{
		ExternalID: "e1", ParentExternalID: "p1", ConversationExternalID: "c1", MemberID: "m1",
		Body: "  keep me  ", Title: " keep ", CreatedAt: connectortest.MustTime(t, "2021-03-04T03:06:07Z"),
		Topics: []string{"a", "b"},
	}
	if !connectortest.SameMessage(m, want) {
		t.Errorf("got %+v\nwant %+v", m, want)
	}
	m, err = decodeLine([]byte(okLine + `,"topics":[]}`))
	if err != nil || m.Topics != nil {
		t.Errorf("empty topics: got %#v, %v; want nil", m.Topics, err)
	}
}

func TestReaderLongLines(t *testing.T) {
	t.Parallel()
	// line builds a valid record exactly n bytes long by padding its body.
	line := func(id string, n int) string {
		prefix := `{"external_id":"` + id + `","created_at":"2021-03-04T05:06:07Z","body":"`
		return prefix + strings.Repeat("x", n-len(prefix)-2) + `"}`
	}
	good := line("after", 100)
	tests := []struct {
		name    string
		input   string
		wantErr []string // per record
	}{
		{"exactly the limit", line("max", MaxLineBytes) + "\n" + good + "\n", []string{"", ""}},
		{"exactly the limit with CR LF", line("max", MaxLineBytes) + "\r\n" + good + "\r\n", []string{"", ""}},
		{"limit without line end", good + "\n" + line("max", MaxLineBytes), []string{"", ""}},
		{"exactly the limit after a BOM", "\uFEFF" + line("max", MaxLineBytes) + "\n" + good + "\n", []string{"", ""}},
		{"BOM only counts on line 1", good + "\n\uFEFF" + good + "\n", []string{"", "invalid JSON at column 1"}},
		{"one byte over", line("big", MaxLineBytes+1) + "\n" + good + "\n", []string{"line is longer than 4 MiB", ""}},
		{"far over", good + "\n" + line("huge", 3*MaxLineBytes) + "\n" + good, []string{"", "line is longer than 4 MiB", ""}},
		{"over without line end", good + "\n" + line("big", MaxLineBytes+10), []string{"", "line is longer than 4 MiB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			recs, err := connectortest.ReadAll(t, NewReader(strings.NewReader(tt.input)))
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != len(tt.wantErr) {
				t.Fatalf("got %d records, want %d", len(recs), len(tt.wantErr))
			}
			for i, rec := range recs {
				connectortest.CheckErr(t, rec.Err, tt.wantErr[i])
				if rec.Pos.Line != i+1 {
					t.Errorf("record %d at line %d, want %d", i, rec.Pos.Line, i+1)
				}
			}
		})
	}
}

func TestReaderBinary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		input   string
		wantErr string // fatal error; "" when the input must read as records
		records int
	}{
		{"NUL first", "\x00\x00\x00\x01", "not NDJSON: binary data at offset 0", 0},
		{"invalid UTF-8 after BOM", "\uFEFF\xff\xfe{}", "not NDJSON: binary data at offset 3", 0},
		{"binary after blank lines", "\n\n  \x00PK", "not NDJSON: binary data at offset 4", 0},
		{"binary later in the head", "garbage text\n\x00\x01", "not NDJSON: binary data at offset 13", 0},
		{"text that is not JSON is just a bad record", "hello world\n" + okLine + "}\n", "", 2},
		{"binary after a good first line is a bad record", okLine + "}\n\x00\x01\x02\n", "", 2},
		{"binary beyond the head is a bad record", "x" + strings.Repeat(" ", 600) + "\x00\n", "", 1},
		{"character cut at the head's end is not binary", "x" + strings.Repeat(" ", 510) + "é\n", "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := NewReader(strings.NewReader(tt.input))
			recs, err := connectortest.ReadAll(t, r)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				// The error is sticky.
				if _, err2 := r.Next(); err2 == nil || err2.Error() != tt.wantErr {
					t.Errorf("second Next: %v", err2)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected fatal error %v", err)
			}
			if len(recs) != tt.records {
				t.Errorf("got %d records, want %d", len(recs), tt.records)
			}
		})
	}
}

func TestReaderIOErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk on fire")
	t.Run("at once", func(t *testing.T) {
		t.Parallel()
		_, err := NewReader(iotest.ErrReader(boom)).Next()
		if !errors.Is(err, boom) {
			t.Fatalf("error %v, want %v", err, boom)
		}
	})
	t.Run("mid-line", func(t *testing.T) {
		t.Parallel()
		// The head is read in one go; the failure comes on a later read.
		input := okLine + "}\n" + strings.Repeat(" ", 70<<10) + okLine
		r := NewReader(io.MultiReader(iotest.OneByteReader(strings.NewReader(input)), iotest.ErrReader(boom)))
		recs, err := connectortest.ReadAll(t, r)
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), "line 2") {
			t.Fatalf("error %v, want %v at line 2", err, boom)
		}
		if len(recs) != 1 || recs[0].Err != nil {
			t.Errorf("records before the failure: %+v", recs)
		}
		if _, err := r.Next(); !errors.Is(err, boom) {
			t.Errorf("error not sticky: %v", err)
		}
	})
}

func TestReaderEmptyIsEOF(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "\n", "\uFEFF", "\uFEFF\r\n \n"} {
		rec, err := NewReader(strings.NewReader(in)).Next()
		if !errors.Is(err, io.EOF) {
			t.Errorf("input %q: got %+v, %v; want io.EOF", in, rec, err)
		}
	}
}

func TestReaderLargeInputStreams(t *testing.T) {
	t.Parallel()
	// Many records through a small-chunk reader: line counting and buffer
	// reuse must not mix records up.
	var buf bytes.Buffer
	for i := range 2000 {
		buf.WriteString(`{"external_id":"id-` + strings.Repeat("z", i%50) + `","body":"b","created_at":"2021-03-04T05:06:07Z"}` + "\n")
	}
	recs, err := connectortest.ReadAll(t, NewReader(iotest.HalfReader(&buf)))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2000 {
		t.Fatalf("got %d records", len(recs))
	}
	for i, rec := range recs {
		if rec.Err != nil || rec.Pos.Line != i+1 || rec.Message.ExternalID != "id-"+strings.Repeat("z", i%50) {
			t.Fatalf("record %d: %+v", i, rec)
		}
	}
}

// FuzzReader checks, for any input: the reader never panics and always
// ends; its only fatal error on an in-memory input is the binary-data one;
// every good record passes connector.Validate; and every good record
// survives Writer → Reader unchanged.
func FuzzReader(f *testing.F) {
	connectortest.AddFiles(f, filepath.Join("testdata", "*.*"))
	for _, s := range []string{
		okLine + "}",
		okLine + `,"topics":[" a ",null,""],"sentiment_score":-0,"spam":null}`,
		"\uFEFF" + okLine + "}\r\n\r\n" + okLine + `,"body":"x"}`,
		`{"external_id":"\ud800","body":"\u0000","created_at":"2021-03-04T05:06:07,5+14:00"}`,
		`{"external_id":"a","body":"b","created_at":"0001-01-01T00:00:00Z"}`,
		"\x00binary",
		"[]\n{}\n\"x\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(ndjsonFormat().CheckInput)
}
