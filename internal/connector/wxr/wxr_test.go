package wxr

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"palabre/internal/connector"
	"palabre/internal/connector/connectortest"
	"palabre/internal/model"
)

// byID indexes good records by external id and fails on bad ones.
func byID(t *testing.T, recs []connector.Record) map[string]model.Message {
	t.Helper()
	out := map[string]model.Message{}
	for _, rec := range recs {
		if rec.Err != nil {
			t.Fatalf("unexpected bad record at %v: %v", rec.Pos, rec.Err)
		}
		out[rec.Message.ExternalID] = rec.Message
	}
	return out
}

func TestSeedThread(t *testing.T) {
	t.Parallel()
	data := connectortest.SharedFixture(t, "seed-thread.wxr.xml")
	recs := xmlFormat().MustReadAll(t, data)
	if len(recs) != 23 {
		t.Fatalf("got %d records, want 23 (post + 22 comments)", len(recs))
	}
	const post = "https://gregfromparis.example/?p=1843"
	msgs := byID(t, recs)
	staff, emails := 0, map[string]bool{}
	for i, rec := range recs {
		m := rec.Message
		if m.AuthorIsStaff {
			staff++
		}
		emails[strings.ToLower(m.AuthorEmail)] = true
		if m.ConversationExternalID != post {
			t.Errorf("%s: conversation %q, want %q", m.ExternalID, m.ConversationExternalID, post)
		}
		if m.Status != model.StatusApproved || m.CreatedAt.IsZero() || m.Body == "" {
			t.Errorf("%s: status %q, created %v, body %q", m.ExternalID, m.Status, m.CreatedAt, m.Body)
		}
		if !strings.HasPrefix(string(data[rec.Pos.Offset:]), map[bool]string{true: "<item>", false: "<wp:comment>"}[i == 0]) {
			t.Errorf("%s: offset %d does not point at its element", m.ExternalID, rec.Pos.Offset)
		}
	}
	if staff != 9 {
		t.Errorf("%d staff messages, want 9", staff)
	}
	if len(emails) != 14 {
		t.Errorf("%d distinct e-mails, want 14: %v", len(emails), emails)
	}
	root := recs[0].Message
	if root.ExternalID != post || root.Kind != model.KindPost || root.AuthorName != "Grégory Pouy" ||
		root.AuthorHandle != "gregfromparis" || root.Title != "Quelle évolution pour le community management ?" {
		t.Errorf("post = %+v", root)
	}
	if want := time.Date(2010, 9, 28, 8, 15, 0, 0, time.UTC); !root.CreatedAt.Equal(want) {
		t.Errorf("post created %v, want %v", root.CreatedAt, want)
	}
	reply, ok := msgs[post+"#comment-5014"]
	if !ok || reply.ParentExternalID != post+"#comment-5013" || reply.Kind != model.KindReply {
		t.Errorf("comment 5014 = %+v, want a reply to 5013", reply)
	}
	last, ok := msgs["https://gregfromparis.example/?p=1843#comment-5022"]
	if !ok || last.AuthorHandle != "gregfromparis" || last.AuthorName != "greg" || !last.AuthorIsStaff {
		t.Errorf("comment 5022 = %+v, want greg's staff reply with handle gregfromparis", last)
	}
	if !strings.Contains(last.Body, "te lances.\nJe crois") {
		t.Errorf("comment 5022 body %q: its newline should stay a line break", last.Body)
	}
}

func TestThread(t *testing.T) {
	t.Parallel()
	recs := xmlFormat().MustReadAll(t, connectortest.ReadFile(t, "thread.xml"))
	const post = "https://potager.example/blog/?p=42"
	type want struct {
		id, parent, kind, author, handle, email, url, authorURL, body string
		staff                                                         bool
		created                                                       time.Time
	}
	wants := []want{
		{post, "", model.KindPost, "Anne Jardin", "anne", "anne@potager.example",
			"https://potager.example/blog/2021/03/tomates/", "", "Semez en godets.\n\nArrosez peu,\nmais souvent.",
			true, time.Date(2021, 3, 1, 8, 0, 0, 0, time.UTC)},
		{post + "#comment-100", post, model.KindComment, "Bob", "", "bob@mail.example",
			"https://potager.example/blog/2021/03/tomates/#comment-100", "", "Quand repiquer ?\nMerci !\n\nmon blog",
			false, time.Date(2021, 3, 1, 9, 0, 0, 0, time.UTC)},
		{post + "#comment-101", post + "#comment-100", model.KindReply, "Anne", "anne", "anne@potager.example",
			"https://potager.example/blog/2021/03/tomates/#comment-101", "https://potager.example/blog", "Fin avril, Bob.",
			true, time.Date(2021, 3, 1, 10, 0, 0, 0, time.UTC)},
		{post + "#comment-102", post + "#comment-101", model.KindReply, "Bob", "", "bob@mail.example",
			"https://potager.example/blog/2021/03/tomates/#comment-102", "", "Parfait.",
			false, time.Date(2021, 3, 1, 11, 0, 0, 0, time.UTC)},
		{post + "#comment-103", post, model.KindComment, "Ancien compte", "", "old@potager.example",
			"https://potager.example/blog/2021/03/tomates/#comment-103", "", "Compte supprimé depuis.",
			true, time.Date(2021, 3, 2, 11, 0, 0, 0, time.UTC)},
		{"https://potager.example/blog/?p=2", "", model.KindPost, "paul", "paul", "paul@potager.example",
			"https://potager.example/blog/a-propos/", "", "Qui sommes-nous ?",
			true, time.Date(2019, 12, 31, 23, 0, 0, 0, time.UTC)},
	}
	if len(recs) != len(wants) {
		t.Fatalf("got %d records, want %d", len(recs), len(wants))
	}
	for i, w := range wants {
		m := recs[i].Message
		conv := post
		if w.kind == model.KindPost {
			conv = w.id
		}
		got := want{m.ExternalID, m.ParentExternalID, m.Kind, m.AuthorName, m.AuthorHandle, m.AuthorEmail,
			m.URL, m.AuthorURL, m.Body, m.AuthorIsStaff, m.CreatedAt}
		if got != w {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, got, w)
		}
		if recs[i].Err != nil || m.ConversationExternalID != conv || m.Channel != "blog" || m.Status != model.StatusApproved {
			t.Errorf("record %d: err %v, conversation %q, channel %q, status %q", i, recs[i].Err, m.ConversationExternalID, m.Channel, m.Status)
		}
	}
	if got := recs[0].Message.Title; got != "Tomates & semis" {
		t.Errorf("title %q", got)
	}
	if recs[1].Message.Title != "" {
		t.Errorf("comment has title %q", recs[1].Message.Title)
	}
	html := recs[1].Message.BodyHTML
	if strings.Contains(html, "onclick") || !strings.Contains(html, "nofollow") || !strings.Contains(html, "<br") {
		t.Errorf("comment BodyHTML not sanitised with line breaks: %q", html)
	}
}

func TestStatusesAndDates(t *testing.T) {
	t.Parallel()
	recs := xmlFormat().MustReadAll(t, connectortest.ReadFile(t, "statuses.xml"))
	const base = "https://status.example/?p="
	tests := []struct {
		id, status string
		created    time.Time
	}{
		{base + "10", model.StatusPending, time.Date(2022, 5, 6, 7, 8, 9, 0, time.UTC)}, // draft: local date as UTC
		{base + "10#comment-1", model.StatusApproved, time.Date(2022, 5, 7, 0, 0, 0, 0, time.UTC)},
		{base + "10#comment-2", model.StatusPending, time.Date(2022, 5, 7, 0, 0, 0, 0, time.UTC)},
		{base + "10#comment-3", model.StatusSpam, time.Date(2022, 5, 7, 0, 0, 0, 0, time.UTC)},
		{base + "10#comment-4", model.StatusTrash, time.Date(2022, 5, 7, 0, 0, 0, 0, time.UTC)},
		{base + "10#comment-5", model.StatusTrash, time.Date(2022, 5, 7, 0, 0, 0, 0, time.UTC)},
		{base + "10#comment-6", model.StatusPending, time.Date(2022, 5, 8, 10, 11, 12, 0, time.UTC)},
		{base + "11", model.StatusTrash, time.Date(2022, 5, 3, 4, 5, 6, 0, time.UTC)}, // pubDate before local date
		{base + "12", model.StatusPending, time.Date(2022, 5, 4, 0, 0, 0, 0, time.UTC)},
	}
	if len(recs) != len(tests) {
		t.Fatalf("got %d records, want %d", len(recs), len(tests))
	}
	for i, tt := range tests {
		m := recs[i].Message
		if recs[i].Err != nil || m.ExternalID != tt.id || m.Status != tt.status || !m.CreatedAt.Equal(tt.created) {
			t.Errorf("record %d = %q %q %v (err %v), want %q %q %v", i, m.ExternalID, m.Status, m.CreatedAt, recs[i].Err, tt.id, tt.status, tt.created)
		}
	}
	if m := recs[0].Message; m.AuthorName != "ghost" || m.AuthorHandle != "ghost" || m.AuthorEmail != "" {
		t.Errorf("post by unknown login: name %q handle %q email %q, want the login as name", m.AuthorName, m.AuthorHandle, m.AuthorEmail)
	}
}

func TestSkippedTypesAndPings(t *testing.T) {
	t.Parallel()
	recs := xmlFormat().MustReadAll(t, connectortest.ReadFile(t, "types.xml"))
	var ids []string
	for _, rec := range recs {
		if rec.Err != nil {
			t.Errorf("bad record at %v: %v", rec.Pos, rec.Err)
		}
		ids = append(ids, rec.Message.ExternalID)
	}
	want := []string{"https://types.example/?p=5", "https://types.example/?p=5#comment-21"}
	if strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Errorf("ids %v, want %v", ids, want)
	}
}

func TestBadRecords(t *testing.T) {
	t.Parallel()
	data := connectortest.ReadFile(t, "bad-records.xml")
	recs := xmlFormat().MustReadAll(t, data)
	const base = "https://bad.example/?p="
	tests := []struct {
		at      string // what the record's offset points at
		wantErr string // "" for a good record
		id      string
	}{
		{"<item>", `item "Broken id": wp:post_id "12a" is not a positive number; its 2 comments are skipped`, ""},
		{"<item>", `item "No type" has no wp:post_type`, ""},
		{"<item>", "", base + "14"},
		{"<wp:comment><wp:comment_author>No id", "comment of post " + base + "14 has no wp:comment_id", ""},
		{"<wp:comment><wp:comment_id>31", `comment ` + base + `14#comment-31: wp:comment_date_gmt "yesterday" is not a date`, ""},
		{"<wp:comment><wp:comment_id>32", `wp:comment_parent "thirty" is not a number`, ""},
		{"<wp:comment><wp:comment_id>33", "no date", ""},
		{"<wp:comment><wp:comment_id>34", "", base + "14#comment-34"},
		{"<item>", `post ` + base + `15: wp:post_date_gmt "2020-13-45 99:00:00" is not a date`, ""},
		{"<wp:comment><wp:comment_id>40", "", base + "15#comment-40"},
		{"<item>", "", base + "16"},
	}
	if len(recs) != len(tests) {
		for _, r := range recs {
			t.Logf("%v %v %s", r.Pos, r.Err, r.Message.ExternalID)
		}
		t.Fatalf("got %d records, want %d", len(recs), len(tests))
	}
	for i, tt := range tests {
		rec := recs[i]
		if !bytes.HasPrefix(data[rec.Pos.Offset:], []byte(tt.at)) {
			t.Errorf("record %d: offset %d points at %q, want %q", i, rec.Pos.Offset, data[rec.Pos.Offset:min(len(data), int(rec.Pos.Offset)+20)], tt.at)
		}
		switch {
		case tt.wantErr == "" && rec.Err != nil:
			t.Errorf("record %d: unexpected error %v", i, rec.Err)
		case tt.wantErr == "" && rec.Message.ExternalID != tt.id:
			t.Errorf("record %d: id %q, want %q", i, rec.Message.ExternalID, tt.id)
		case tt.wantErr != "" && (rec.Err == nil || !strings.Contains(rec.Err.Error(), tt.wantErr)):
			t.Errorf("record %d: error %v, want one containing %q", i, rec.Err, tt.wantErr)
		}
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	xmlFormat().CheckBadInputs(t, []connectortest.BadInput{
		// Not a WordPress export, or one cut short.
		{File: "empty.xml", Want: "offset 0: empty input: not a WordPress export", UnexpectedEOF: true},
		{File: "not-xml.txt", Want: "offset 53: not a WordPress export: no XML element found", UnexpectedEOF: true},
		{File: "html.html", Want: "offset 16: not a WordPress export: root element is <html>"},
		{File: "no-channel.xml", Want: "offset 139: not a WordPress export: <rss> has no <channel>"},
		{File: "plain-rss.xml", Want: "offset 139: not a WordPress export: the RSS channel has no wp: elements (wp:wxr_version)"},
		{File: "truncated.xml", Want: "offset 1691: unexpected EOF in element <item> (opened at offset 1130)", UnexpectedEOF: true},
		// Not UTF-8, or declared in another encoding: refused by xmlinput.
		{File: "binary.bin", Want: "offset 0: invalid UTF-8 (byte 0x89)"},
		{File: "invalid-utf8.xml", Want: "offset 158: invalid UTF-8 (byte 0xE9) in element <title> (opened at offset 148)"},
		{File: "latin1.xml", Want: `offset 44: declared encoding "ISO-8859-1" is not supported: only UTF-8 is read; convert the file to UTF-8 first`},
		{File: "utf16.xml", Want: "offset 0: input is UTF-16 (byte order mark), not UTF-8"},
	})
}

func TestEmptyExportWithBOM(t *testing.T) {
	t.Parallel()
	recs, err := xmlFormat().ReadAll(t, connectortest.ReadFile(t, "bom-empty-export.xml"))
	if err != nil || len(recs) != 0 {
		t.Errorf("got %d records, error %v; want none and a clean end", len(recs), err)
	}
}

// TestStreamsItemByItem shows that an item is handed out as soon as it is
// read: the reader never needs the rest of the document to do so.
func TestStreamsItemByItem(t *testing.T) {
	t.Parallel()
	r := NewReader(connectortest.BrokenAt(t, connectortest.ReadFile(t, "thread.xml"), "<item>\n\t\t<title>À propos"), Options{})
	for i := range 5 {
		rec, err := r.Next()
		if err != nil || rec.Err != nil {
			t.Fatalf("record %d: %v / %v; want the first item's records before the input fails", i, err, rec.Err)
		}
	}
	_, err := r.Next()
	if !errors.Is(err, connectortest.ErrBroken) || !strings.HasPrefix(err.Error(), "offset ") || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("error %v: want the read error with its offset", err)
	}
}

func TestAutop(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"one line", "one line"},
		{"", ""},
		{"a\nb", "<p>a<br />\nb</p>"},
		{"a\r\n\r\nb", "<p>a</p>\n<p>b</p>"},
		{"\n\na\n \t\n\n\nb\n", "<p>a</p>\n<p>b</p>"},
		{"<blockquote>q</blockquote>\n\nreply\nmore", "<blockquote>q</blockquote>\n<p>reply<br />\nmore</p>"},
		{"<p>a</p>\n<p>b</p>", "<p>a</p>\n<p>b</p>"},
		{"<!-- wp:paragraph -->\n<p>x</p>\n<!-- /wp:paragraph -->", "<!-- wp:paragraph -->\n<p>x</p>\n<!-- /wp:paragraph -->"},
		{"<strong>bold</strong>\nnext", "<p><strong>bold</strong><br />\nnext</p>"},
		{"<Pre>x\ny</Pre>", "<Pre>x\ny</Pre>"},
	}
	for _, tt := range tests {
		if got := autop(tt.in); got != tt.want {
			t.Errorf("autop(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestIsWP(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"http://wordpress.org/export/1.0/":         true,
		"http://wordpress.org/export/1.2/":         true,
		"https://wordpress.org/export/1.1/":        true,
		"wp":                                       true,
		"http://wordpress.org/export/1.2/excerpt/": false,
		"http://wordpress.org/export/":             false,
		"http://purl.org/dc/elements/1.1/":         false,
		"":                                         false,
	}
	for space, want := range tests {
		if got := isWP(space); got != want {
			t.Errorf("isWP(%q) = %v, want %v", space, got, want)
		}
	}
}

// FuzzReader checks that no input makes the reader panic or loop, and that
// every good record has an id.
func FuzzReader(f *testing.F) {
	connectortest.AddFiles(f, "testdata/*.*")
	f.Add([]byte(`<rss><channel><wp:x/><item><wp:post_type>post</wp:post_type><wp:post_id>1</wp:post_id><wp:comment><wp:comment_id>2</wp:comment_id></wp:comment></item></channel></rss>`))
	f.Fuzz(xmlFormat().CheckInput)
}

// syntheticExport writes a WXR export of n posts with comments each, for
// memory and speed measurements, without holding it in memory.
func syntheticExport(w io.Writer, n, comments int) error {
	if _, err := io.WriteString(w, `<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/"><channel>
<wp:wxr_version>1.2</wp:wxr_version><wp:base_site_url>https://big.example</wp:base_site_url>
<wp:author><wp:author_id>1</wp:author_id><wp:author_login>admin</wp:author_login><wp:author_email>admin@big.example</wp:author_email><wp:author_display_name>Admin</wp:author_display_name></wp:author>
`); err != nil {
		return err
	}
	text := strings.Repeat("Un commentaire assez long pour peser. ", 8)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(w, "<item><title>Post %d</title><link>https://big.example/%d/</link><dc:creator>admin</dc:creator><content:encoded><![CDATA[<p>%s</p>]]></content:encoded><wp:post_id>%d</wp:post_id><wp:post_date_gmt>2020-01-01 00:00:00</wp:post_date_gmt><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>\n", i, i, text, i)
		for c := 1; c <= comments; c++ {
			fmt.Fprintf(w, "<wp:comment><wp:comment_id>%d</wp:comment_id><wp:comment_author>Reader %d</wp:comment_author><wp:comment_author_email>r%d@mail.example</wp:comment_author_email><wp:comment_date_gmt>2020-01-02 00:00:00</wp:comment_date_gmt><wp:comment_content><![CDATA[%s\n%s]]></wp:comment_content><wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent><wp:comment_user_id>0</wp:comment_user_id></wp:comment>\n", i*100+c, c, c, text, text)
		}
		if _, err := io.WriteString(w, "</item>\n"); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "</channel></rss>\n")
	return err
}

// TestMemoryBounded streams a generated export of about 30 MB and checks
// that the live heap stays far below the input size. It does not run in
// parallel so that other tests' allocations do not blur the measure.
func TestMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("reads a 30 MB generated export")
	}
	const posts, comments = 3000, 10
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(syntheticExport(pw, posts, comments)) }()
	r := NewReader(pr, Options{})
	var ms runtime.MemStats
	var peak uint64
	n := connectortest.Drain(t, r, func(n int) {
		if n%5000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	})
	if want := posts * (comments + 1); n != want {
		t.Errorf("read %d records, want %d", n, want)
	}
	t.Logf("peak live heap %.1f MB", float64(peak)/(1<<20))
	if peak > 8<<20 {
		t.Errorf("live heap reached %d MB while streaming; it should stay near one item's size", peak>>20)
	}
}

func BenchmarkReader(b *testing.B) {
	var buf bytes.Buffer
	if err := syntheticExport(&buf, 200, 10); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		r := NewReader(bytes.NewReader(buf.Bytes()), Options{})
		for {
			_, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// xmlFormat is WXR for the checks that feeds share.
func xmlFormat() connectortest.XMLFormat {
	return connectortest.NewXMLFormat(NewReader, Options{Channel: "blog"})
}

// The reader is meant to be used wherever a connector.Source is expected.
var _ connector.Source = (*Reader)(nil)
