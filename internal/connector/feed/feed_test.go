package feed

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"palabre/internal/connector"
	"palabre/internal/connector/connectortest"
	"palabre/internal/model"
)

func TestSeedCommentFeed(t *testing.T) {
	t.Parallel()
	data := connectortest.SharedFixture(t, "seed-thread.comments.rss.xml")
	recs := xmlFormat().MustReadAll(t, data)
	const post = "https://gregfromparis.example/?p=1843"
	// The same comments read from the blog's WXR export have exactly these
	// ids; the feed must agree so that importing both duplicates nothing.
	var want, got []string
	for id := 5001; id <= 5022; id++ {
		want = append(want, fmt.Sprintf("%s#comment-%d", post, id))
	}
	for _, rec := range recs {
		if rec.Err != nil {
			t.Fatalf("bad record at %v: %v", rec.Pos, rec.Err)
		}
		m := rec.Message
		got = append(got, m.ExternalID)
		if m.Kind != model.KindComment || m.ConversationExternalID != post || m.ParentExternalID != post ||
			m.Title != "" || m.AuthorName == "" || m.Body == "" || m.CreatedAt.IsZero() || m.Status != model.StatusApproved {
			t.Errorf("comment %s = %+v", m.ExternalID, m)
		}
		if !bytes.HasPrefix(data[rec.Pos.Offset:], []byte("<item>")) {
			t.Errorf("%s: offset %d does not point at its <item>", m.ExternalID, rec.Pos.Offset)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("ids\n got %v\nwant %v", got, want)
	}
	if m := recs[0].Message; m.ExternalID != post+"#comment-5022" || m.AuthorName != "greg" ||
		!m.CreatedAt.Equal(time.Date(2010, 9, 29, 8, 5, 0, 0, time.UTC)) || !strings.Contains(m.Body, "tu te lances.\nJe crois") {
		t.Errorf("first item = %+v", m)
	}
}

// msg is the part of a message the format tests compare.
type msg struct {
	id, conv, parent, kind, title, author, email, url, body string
	created                                                 time.Time
}

func summary(m model.Message) msg {
	return msg{m.ExternalID, m.ConversationExternalID, m.ParentExternalID, m.Kind, m.Title,
		m.AuthorName, m.AuthorEmail, m.URL, m.Body, m.CreatedAt}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	const wpPost = "https://blog.example/sub/?p=7"
	tests := []struct {
		file string
		info Info
		want []msg
	}{
		{"rss2.xml", Info{FormatRSS, "Atelier vélo", "https://velo.example/"}, []msg{
			{"https://velo.example/chambre-a-air", "https://velo.example/chambre-a-air", "", model.KindPost, "Changer une chambre à air",
				"Léa", "", "https://velo.example/chambre-a-air", "Démontez la roue.\n\nPuis gonflez.", time.Date(2022, 4, 2, 7, 30, 0, 0, time.UTC)},
			{"https://velo.example/balade", "https://velo.example/balade", "", model.KindPost, "Balade du dimanche",
				"Club Vélo", "club@velo.example", "https://velo.example/balade", "Rendez-vous place du marché & café après.", time.Date(2022, 4, 3, 8, 0, 0, 0, time.UTC)},
			{"velo-horaires-2022", "velo-horaires-2022", "", model.KindPost, "Horaires d'été",
				"", "", "", "Ouvert\ntous les jours.", time.Date(2022, 6, 1, 10, 0, 0, 0, time.UTC)},
		}},
		{"wp-comments.xml", Info{FormatRSS, "Commentaires sur : Potager", "https://blog.example/sub/potager/"}, []msg{
			{wpPost + "#comment-70", wpPost, wpPost, model.KindComment, "", "Bob", "", "https://blog.example/sub/potager/#comment-70",
				"Quand repiquer ?\nMerci !", time.Date(2021, 3, 1, 9, 0, 0, 0, time.UTC)},
			{wpPost + "#comment-71", wpPost, wpPost, model.KindComment, "", "Anne", "", "https://blog.example/sub/?p=7#comment-71",
				"Fin avril.", time.Date(2021, 3, 1, 10, 0, 0, 0, time.UTC)},
			{wpPost + "#comment-72", wpPost, wpPost, model.KindComment, "", "Cléo", "", "https://blog.example/sub/potager/#comment-72",
				"Merci.", time.Date(2021, 3, 1, 11, 0, 0, 0, time.UTC)},
		}},
		{"atom.xml", Info{FormatAtom, "Carnet de Jo", "https://jo.example/"}, []msg{
			{"tag:jo.example,2020:1", "tag:jo.example,2020:1", "", model.KindPost, "Premier billet", "Jo", "jo@jo.example",
				"https://jo.example/1", "Bonjour tout le monde", time.Date(2020, 5, 1, 10, 0, 0, 0, time.UTC)},
			{"tag:jo.example,2020:2", "tag:jo.example,2020:2", "", model.KindPost, "Mise à jour seulement", "Jo", "",
				"https://jo.example/2", "Seulement un résumé.", time.Date(2020, 5, 2, 10, 0, 0, 0, time.UTC)},
			{"https://jo.example/?p=1#comment-9", "https://jo.example/?p=1", "https://jo.example/?p=1", model.KindComment, "", "Max", "",
				"https://jo.example/1#comment-9", "Bravo", time.Date(2020, 5, 3, 8, 0, 0, 0, time.UTC)},
		}},
		{"rdf.xml", Info{FormatRDF, "Journal RDF", "https://rdf.example/"}, []msg{
			{"https://rdf.example/a", "https://rdf.example/a", "", model.KindPost, "Article A", "Sam", "",
				"https://rdf.example/a", "Texte A", time.Date(2019, 1, 2, 2, 4, 5, 0, time.UTC)},
			{"https://rdf.example/b", "https://rdf.example/b", "", model.KindPost, "Article B", "", "",
				"https://rdf.example/b", "Texte B", time.Date(2019, 1, 3, 0, 0, 0, 0, time.UTC)},
		}},
		{"empty-atom.xml", Info{FormatAtom, "Nothing yet", ""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			data := connectortest.ReadFile(t, tt.file)
			r := NewReader(bytes.NewReader(data), Options{Channel: "feed"})
			info, err := r.Info()
			if err != nil || info != tt.info {
				t.Errorf("Info() = %+v, %v; want %+v", info, err, tt.info)
			}
			recs := xmlFormat().MustReadAll(t, data)
			if len(recs) != len(tt.want) {
				t.Fatalf("got %d records, want %d", len(recs), len(tt.want))
			}
			for i, w := range tt.want {
				rec := recs[i]
				if rec.Err != nil {
					t.Errorf("record %d: %v", i, rec.Err)
					continue
				}
				if got := summary(rec.Message); got != w {
					t.Errorf("record %d:\n got %+v\nwant %+v", i, got, w)
				}
				if rec.Message.Channel != "feed" || rec.Message.Status != model.StatusApproved {
					t.Errorf("record %d: channel %q status %q", i, rec.Message.Channel, rec.Message.Status)
				}
			}
		})
	}
}

func TestSanitisedHTML(t *testing.T) {
	t.Parallel()
	recs := xmlFormat().MustReadAll(t, connectortest.ReadFile(t, "rss2.xml"))
	html := recs[0].Message.BodyHTML
	if strings.Contains(html, "script") || !strings.Contains(html, "<b>gonflez</b>") {
		t.Errorf("BodyHTML %q: want the content:encoded markup without its script", html)
	}
}

func TestBadItems(t *testing.T) {
	t.Parallel()
	data := connectortest.ReadFile(t, "bad-items.xml")
	recs := xmlFormat().MustReadAll(t, data)
	wants := []string{
		`item "No id" has neither a guid/id nor a link`,
		"item bad-1 has no date (published, pubDate or updated)",
		`item bad-2: unreadable date "the day after tomorrow"`,
		"",
	}
	if len(recs) != len(wants) {
		t.Fatalf("got %d records, want %d", len(recs), len(wants))
	}
	for i, want := range wants {
		rec := recs[i]
		if !bytes.HasPrefix(data[rec.Pos.Offset:], []byte("<item>")) {
			t.Errorf("record %d: offset %d does not point at its <item>", i, rec.Pos.Offset)
		}
		switch {
		case want == "" && (rec.Err != nil || rec.Message.ExternalID != "good-1"):
			t.Errorf("record %d: %v %q, want good-1", i, rec.Err, rec.Message.ExternalID)
		case want != "" && (rec.Err == nil || rec.Err.Error() != want):
			t.Errorf("record %d: error %v, want %q", i, rec.Err, want)
		}
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	xmlFormat().CheckBadInputs(t, []connectortest.BadInput{
		// Not a feed.
		{File: "empty.xml", Want: "offset 0: empty input: not a feed", UnexpectedEOF: true},
		{File: "not-xml.txt", Want: "offset 36: not a feed: no XML element found", UnexpectedEOF: true},
		{File: "json-feed.json", Want: "offset 58: not a feed: no XML element found", UnexpectedEOF: true},
		{File: "html.html", Want: "offset 16: not an RSS or Atom feed: root element is <html>"},
		{File: "no-channel.xml", Want: "offset 87: not an RSS feed: <rss> has no <channel>"},
		// Not UTF-8, or declared in another encoding: refused by xmlinput.
		{File: "binary.gz", Want: "offset 1: invalid UTF-8 (byte 0x8B)"},
		{File: "invalid-utf8.xml", Want: "offset 77: invalid UTF-8 (byte 0xE9) in element <title> (opened at offset 67)"},
		{File: "cp1252.xml", Want: `offset 45: declared encoding "windows-1252" is not supported: only UTF-8 is read; convert the file to UTF-8 first`},
		{File: "utf16.xml", Want: "offset 0: input is UTF-16 (byte order mark), not UTF-8"},
		// A feed cut short after its first item.
		{File: "truncated.xml", Want: "offset 979: unexpected EOF in element <item> (opened at offset 970)", Records: 1, UnexpectedEOF: true},
	})
}

func TestInfoOnBadInput(t *testing.T) {
	t.Parallel()
	r := NewReader(bytes.NewReader(connectortest.ReadFile(t, "html.html")), Options{})
	if _, err := r.Info(); err == nil || !strings.Contains(err.Error(), "root element is <html>") {
		t.Errorf("Info() error = %v, want the root element refused", err)
	}
	if _, err := r.Next(); err == nil || !strings.Contains(err.Error(), "root element is <html>") {
		t.Errorf("Next() error = %v, want the same error as Info", err)
	}
}

func TestWordpressComment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, post, comment string
	}{
		{"https://b.example/?p=1843#comment-5022", "https://b.example/?p=1843", "https://b.example/?p=1843#comment-5022"},
		{"https://b.example?p=1843#comment-5022", "https://b.example/?p=1843", "https://b.example/?p=1843#comment-5022"},
		{"https://b.example/blog/?p=12&cpage=2#comment-7", "https://b.example/blog/?p=12", "https://b.example/blog/?p=12#comment-7"},
		{"https://b.example/?lang=fr&p=012#comment-07", "https://b.example/?p=12", "https://b.example/?p=12#comment-7"},
		{"https://b.example/?p=12", "", ""},
		{"https://b.example/post/#comment-7", "", ""},
		{"https://b.example/?p=x#comment-7", "", ""},
		{"https://b.example/?p=0#comment-7", "", ""},
		{"https://b.example/?p=12#comment-", "", ""},
		{"https://b.example/?p=12#respond", "", ""},
		{"?p=12#comment-7", "", ""},
		{"https://b.example/?p=%zz#comment-7", "", ""},
	}
	for _, tt := range tests {
		post, comment, ok := wordpressComment(tt.in)
		if post != tt.post || comment != tt.comment || ok != (tt.post != "") {
			t.Errorf("wordpressComment(%q) = %q, %q, %v; want %q, %q", tt.in, post, comment, ok, tt.post, tt.comment)
		}
	}
}

// TestStreamsItemByItem shows that an item is handed out as soon as it is
// read, without the rest of the document, and that the bytes kept between
// items are released.
func TestStreamsItemByItem(t *testing.T) {
	t.Parallel()
	r := NewReader(connectortest.BrokenAt(t, connectortest.ReadFile(t, "rss2.xml"), "<title>Balade"), Options{})
	rec, err := r.Next()
	if err != nil || rec.Err != nil || rec.Message.ExternalID != "https://velo.example/chambre-a-air" {
		t.Fatalf("first record %+v, %v; want the first item before the input fails", rec, err)
	}
	if kept, _ := r.in.Kept(); kept > 1 {
		t.Errorf("%d bytes kept after the first item, want at most the one read ahead", kept)
	}
	_, err = r.Next()
	if !errors.Is(err, connectortest.ErrBroken) || !strings.HasPrefix(err.Error(), "offset ") {
		t.Errorf("error %v: want the read error with its offset", err)
	}
}

// TestMemoryBounded reads a long generated feed and checks that the bytes
// kept never exceed about one item.
func TestMemoryBounded(t *testing.T) {
	t.Parallel()
	const items = 2000
	item := func(i int) string {
		return fmt.Sprintf("<item><guid>id-%d</guid><pubDate>Mon, 01 Mar 2021 09:00:00 +0000</pubDate><description>%s</description></item>\n", i, strings.Repeat("x", 200))
	}
	pr, pw := io.Pipe()
	go func() {
		fmt.Fprint(pw, `<rss version="2.0"><channel><title>t</title>`)
		for i := range items {
			fmt.Fprint(pw, item(i))
		}
		fmt.Fprint(pw, `</channel></rss>`)
		pw.Close()
	}()
	r := NewReader(pr, Options{})
	largest := 0
	n := connectortest.Drain(t, r, func(int) {
		_, capacity := r.in.Kept()
		largest = max(largest, capacity)
	})
	if n != items {
		t.Errorf("read %d items, want %d", n, items)
	}
	if limit := 2 * len(item(items)); largest > limit {
		t.Errorf("kept buffer grew to %d bytes, want at most %d (about one item)", largest, limit)
	}
}

// FuzzReader checks that no input makes the reader panic or loop, and that
// every good record has an id.
func FuzzReader(f *testing.F) {
	connectortest.AddFiles(f, "testdata/*.*")
	f.Add([]byte(`<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><item><link>x?p=1#comment-2</link><dc:date>2020-01-01</dc:date></item></rdf:RDF>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), Options{})
		_, _ = r.Info()
		xmlFormat().CheckInput(t, data)
	})
}

// xmlFormat is RSS and Atom for the checks that WXR shares.
func xmlFormat() connectortest.XMLFormat {
	return connectortest.NewXMLFormat(NewReader, Options{Channel: "feed"})
}

// The reader is meant to be used wherever a connector.Source is expected.
var _ connector.Source = (*Reader)(nil)
