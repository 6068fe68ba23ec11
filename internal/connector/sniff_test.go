package connector

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Format
		wantErr bool
	}{
		{"auto", "", false},
		{"", "", false},
		{"wxr", FormatWXR, false},
		{"rss", FormatRSS, false},
		{"atom", FormatAtom, false},
		{"ndjson", FormatNDJSON, false},
		{"csv", FormatCSV, false},
		{" NDJSON ", FormatNDJSON, false},
		{"json", "", true},
		{"xml", "", true},
		{"csv;", "", true},
	}
	for _, tt := range tests {
		got, err := ParseFormat(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "want auto, wxr, rss, atom, ndjson or csv") {
			t.Errorf("ParseFormat(%q): error %q does not list the formats", tt.in, err)
		}
	}
}

func TestSniffFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file    string
		want    Format
		wantErr string
	}{
		{"wxr.xml", FormatWXR, ""},
		{"rss.xml", FormatRSS, ""},
		{"rdf.xml", FormatRSS, ""},
		{"atom.xml", FormatAtom, ""},
		{"latin1.xml", FormatRSS, ""},
		{"messages.ndjson", FormatNDJSON, ""},
		{"messages.csv", FormatCSV, ""},
		{"page.html", "", "XML but not a feed or WordPress export (root <html>)"},
		{"semicolon.csv", "", "unknown format: CSV separated by ';'"},
		{"archive.zip", "", "binary data, not a known format"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			head, err := os.ReadFile(filepath.Join("testdata", "sniff", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Sniff(head)
			checkSniff(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func checkSniff(t *testing.T, got Format, err error, want Format, wantErr string) {
	t.Helper()
	if wantErr == "" {
		if err != nil || got != want {
			t.Errorf("got %q, %v; want %q", got, err, want)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), wantErr) {
		t.Errorf("got %q, %v; want error %q", got, err, wantErr)
	}
	if got != "" {
		t.Errorf("format %q returned with an error", got)
	}
}

func TestSniff(t *testing.T) {
	t.Parallel()
	long := "<?xml version=\"1.0\"?>\n<!--" + strings.Repeat("x", 9000)
	tests := []struct {
		name    string
		head    string
		want    Format
		wantErr string
	}{
		{"empty", "", "", "empty input"},
		{"only spaces", " \r\n\t\n", "", "empty input"},
		{"only BOM", "\uFEFF", "", "empty input"},
		{"UTF-16 BOM", "\xff\xfe<\x00?\x00", "", "UTF-16 text is not supported"},
		{"NUL", "abc\x00def", "", "binary data, not a known format"},
		{"invalid UTF-8", "external_id,body\n\xff\xfe", "", "binary data, not a known format"},
		{"character cut at the end is text", "{\"body\":\"caf\xc3", FormatNDJSON, ""},
		{"NUL in XML", "<rss>\x00", "", "binary data, not a known format"},
		{"invalid UTF-8 in XML declared UTF-8", "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss>\xe9</rss>", "", "binary data"},
		{"invalid UTF-8 in XML declared Latin-1", "<?xml version='1.0' encoding = 'windows-1252' ?><rss>\xe9</rss>", FormatRSS, ""},

		{"rss without declaration", "<rss version=\"2.0\"><channel>", FormatRSS, ""},
		{"rss after BOM and spaces", "\uFEFF\n  <?xml version=\"1.0\"?>\n<rss>", FormatRSS, ""},
		{"rss cut in the middle", "<rss version=\"2.0\"><channel><title>Bl", FormatRSS, ""},
		{"wxr namespace on root", "<rss xmlns:wp=\"http://wordpress.org/export/1.0/\">", FormatWXR, ""},
		{"wxr version element only", "<rss version=\"2.0\"><channel><wp:wxr_version>1.1</wp:wxr_version>", FormatWXR, ""},
		{"wordpress comment feed is rss", "<rss xmlns:wfw=\"http://wellformedweb.org/CommentAPI/\"><channel><description>see http://wordpress.org/export/ docs</description>", FormatRSS, ""},
		{"wp namespace but not rss", "<feed xmlns:wp=\"http://wordpress.org/export/1.2/\">", FormatAtom, ""},
		{"rdf", "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">", FormatRSS, ""},
		{"atom", "<?xml version=\"1.0\"?><!-- c --><feed xmlns=\"http://www.w3.org/2005/Atom\">", FormatAtom, ""},
		{"prefixed atom", "<a:feed xmlns:a=\"http://www.w3.org/2005/Atom\">", FormatAtom, ""},
		{"doctype before rss", "<?xml version=\"1.0\"?><!DOCTYPE rss PUBLIC \"-//Netscape//DTD RSS 0.91//EN\" \"x\"><rss version=\"0.91\">", FormatRSS, ""},
		{"html", "<!doctype html><html><head>", "", "XML but not a feed or WordPress export (root <html>)"},
		{"sitemap", "<?xml version=\"1.0\"?><urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">", "", "(root <urlset>)"},
		{"prefixed other root", "<soap:Envelope>", "", "(root <soap:Envelope>)"},
		{"no root in head", long, "", "XML but no root element in the first"},
		{"broken XML", "<<<>>>", "", "XML but malformed before the root element"},

		{"ndjson", "{\"external_id\":\"a\"}\n{", FormatNDJSON, ""},
		{"ndjson after blank lines", "\r\n\r\n{", FormatNDJSON, ""},
		{"json array", "[{\"external_id\":\"a\"}]", "", "unknown format: a JSON array"},

		{"csv", "external_id,body,created_at\n", FormatCSV, ""},
		{"csv with spaces and quotes", " \"body\" , \"external_id\" ,x\r\n1,2,3", FormatCSV, ""},
		{"csv header only, cut", "body,created_at,external_id", FormatCSV, ""},
		{"csv without external_id", "id,body,created_at\n1,2,3\n", "", `unknown format: input starts with "id,body,created_at"`},
		{"csv semicolons", "external_id;body;created_at\n", "", "CSV separated by ';'"},
		{"broken csv header is still csv", "\"external_id,body\n", FormatCSV, ""},
		{"plain text", "Hello, this is a letter.\nSecond line", "", `unknown format: input starts with "Hello, this is a letter."`},
		{"cut on a character boundary", strings.Repeat("a", 39) + "éé", "", `unknown format: input starts with "` + strings.Repeat("a", 39) + `"`},
		{"NUL in XML declared Latin-1", "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><rss>\x00</rss>", "", "binary data"},
		{"long first line is cut", strings.Repeat("a", 100), "", `unknown format: input starts with "` + strings.Repeat("a", 40) + `"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Sniff([]byte(tt.head))
			checkSniff(t, got, err, tt.want, tt.wantErr)
		})
	}
}

func TestBinaryOffset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int
	}{
		{"", -1},
		{"plain text\n", -1},
		{"été 🎉", -1},
		{"\x00", 0},
		{"ab\x00", 2},
		{"ab\xffcd", 2},
		{"é\xc3", -1},       // cut character at the end
		{"é\xc3x", 2},       // broken character in the middle
		{"\xed\xa0\x80", 0}, // encoded surrogate
		{"abc\xe2\x82", -1},
		{"\x01\x1f\x7f", -1}, // control characters are text here
	}
	for _, tt := range tests {
		if got := BinaryOffset([]byte(tt.in)); got != tt.want {
			t.Errorf("BinaryOffset(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
