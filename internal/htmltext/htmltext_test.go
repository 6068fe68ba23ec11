package htmltext

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

func TestPlainText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"only spaces", " \n\t ", ""},
		{"plain text keeps single newlines", "first line\nsecond   line", "first line\nsecond line"},
		{"plain text collapses blank lines", "a\n\n\n\nb", "a\n\nb"},
		{"plain text trims lines", "  a  \r\n  b  ", "a\nb"},
		{"plain text decodes entities", "Tom &amp; Jerry &eacute;t&eacute;", "Tom & Jerry été"},
		{"less-than is not a tag", "a < b and 3 <4", "a < b and 3 <4"},
		{"paragraphs", "<p>One.</p><p>Two.</p>", "One.\n\nTwo."},
		{"paragraphs with source newlines", "<p>One\nstill one.</p>\n\n<p>Two.</p>\n", "One still one.\n\nTwo."},
		{"br is a line break", "a<br>b<br />c", "a\nb\nc"},
		{"two br make a blank line", "a<br><br><br><br>b", "a\n\nb"},
		{"br then paragraph end", "<p>a<br></p><p>b</p>", "a\n\nb"},
		{"div is a line", "<div>a</div><div>b</div>", "a\nb"},
		{"list items", "<p>Intro</p><ul><li>one</li><li>two</li></ul><p>End</p>", "Intro\n\none\ntwo\n\nEnd"},
		{"headings", "<h2>Title</h2>text", "Title\n\ntext"},
		{"inline elements join", "<b>bold</b> and <i>it</i>al<a href='x'>ic</a>", "bold and italic"},
		{"entities in html", "<p>caf&eacute; &amp; cr&egrave;me&nbsp;!</p>", "café & crème !"},
		{"numeric entities", "<p>&#8217;&#x2026;</p>", "’…"},
		{"space runs collapse", "<p>a   \t  b\n\n c</p>", "a b c"},
		{"script and style dropped", "<style>p{}</style><p>x</p><script>alert(1)</script>y", "x\n\ny"},
		{"comment dropped", "a<!-- hidden -->b", "ab"},
		{"image alt", `<p>Bravo <img src="s.gif" alt=":)" class="wp-smiley"> !</p>`, "Bravo :) !"},
		{"image without alt", `a<img src="x.png">b`, "ab"},
		{"table cells", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"},
		{"pre keeps layout", "<pre>x := 1\n    y()</pre>after", "x := 1\n    y()\n\nafter"},
		{"blockquote", "<blockquote>quoted</blockquote>reply", "quoted\n\nreply"},
		{"unclosed tags", "<p>open <b>bold", "open bold"},
		{"stray end tags", "</p></div>text</script>", "text"},
		{"unterminated script", "a<script>b", "a"},
		{"control characters dropped", "<p>a\x00b\x07c\x1bd</p>", "abcd"},
		{"invalid utf-8 replaced", "<p>a\xffb</p>", "a\ufffdb"},
		{"wordpress comment", "<p>Merci !<br />\nÀ bientôt</p>", "Merci !\nÀ bientôt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := PlainText(tt.in); got != tt.want {
				t.Errorf("PlainText(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSanitize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		in          string
		contains    []string
		notContains []string
	}{
		{
			name:     "keeps formatting",
			in:       "<p>Hello <strong>world</strong><br/>bye</p>",
			contains: []string{"<p>", "<strong>world</strong>", "<br/>"},
		},
		{
			name:        "drops script",
			in:          `<p>hi</p><script>alert(1)</script>`,
			contains:    []string{"<p>hi</p>"},
			notContains: []string{"script", "alert"},
		},
		{
			name:        "drops event handlers",
			in:          `<a href="https://example.com/" onclick="steal()">x</a>`,
			notContains: []string{"onclick", "steal"},
		},
		{
			name:        "drops javascript urls",
			in:          `<a href="javascript:alert(1)">x</a>`,
			notContains: []string{"javascript"},
		},
		{
			name:     "external links get nofollow noopener",
			in:       `<a href="https://example.com/page">x</a>`,
			contains: []string{`href="https://example.com/page"`, "nofollow", "noopener", `target="_blank"`},
		},
		{
			name:     "relative links get nofollow",
			in:       `<a href="/about">x</a>`,
			contains: []string{"nofollow"},
		},
		{
			name:        "drops style and iframe",
			in:          `<style>body{}</style><iframe src="https://evil.example/"></iframe><p style="color:red">t</p>`,
			contains:    []string{"<p>t</p>"},
			notContains: []string{"iframe", "style"},
		},
		{
			name:     "escapes stray text",
			in:       `a < b & c`,
			contains: []string{"a &lt; b &amp; c"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Sanitize(tt.in)
			for _, want := range tt.contains {
				if !strings.Contains(got, want) {
					t.Errorf("Sanitize(%q) = %q, want it to contain %q", tt.in, got, want)
				}
			}
			for _, bad := range tt.notContains {
				if strings.Contains(got, bad) {
					t.Errorf("Sanitize(%q) = %q, must not contain %q", tt.in, got, bad)
				}
			}
		})
	}
}

// FuzzPlainText checks that any input yields an answer without panicking,
// that valid UTF-8 stays valid and that the result is trimmed.
func FuzzPlainText(f *testing.F) {
	for _, seed := range []string{
		"", "plain\ntext", "<p>a</p><p>b</p>", "a<br><br>b", "<pre> x\n  y</pre>",
		"<script>", "<img alt='&'>", "&#xD800;&#0;", "<table><td>a<td>b", "\xff<p\xfe>",
		"<p>caf&eacute;&nbsp;!</p>", "<!-- x", "<svg><title>t</title></svg>z",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := PlainText(in)
		if utf8.ValidString(in) && !utf8.ValidString(out) {
			t.Fatalf("PlainText(%q) = %q: invalid UTF-8", in, out)
		}
		if strings.TrimSpace(out) != out {
			t.Fatalf("PlainText(%q) = %q: not trimmed", in, out)
		}
		if strings.Contains(out, "\n\n\n") {
			t.Fatalf("PlainText(%q) = %q: more than one blank line", in, out)
		}
		_ = Sanitize(in)
	})
}

// FuzzSanitize sanitises any input: what comes out sanitises to itself,
// and carries no script, no event handler and no javascript: link.
func FuzzSanitize(f *testing.F) {
	for _, seed := range []string{
		"", "<p>bonjour</p>", "<script>alert(1)</script>", `<a href="javascript:alert(1)">x</a>`,
		`<img src=x onerror=alert(1)>`, `<svg onload=alert(1)>`, "<a href='https://palabre.example/'>lien</a>",
		"&lt;script&gt;", "<<script>script>", `<iframe src="data:text/html,<script>alert(1)</script>">`,
		"<p style='background:url(javascript:x)'>a</p>", "\xff<p\xfe>", "<math><mi xlink:href=javascript:x>",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Sanitize(in)
		if again := Sanitize(out); again != out {
			t.Fatalf("Sanitize(%q) = %q, and sanitised again %q", in, out, again)
		}
		// Read as a browser would: no element that runs or styles, no
		// event handler, no javascript: URL.
		z := html.NewTokenizer(strings.NewReader(out))
		for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
			tok := z.Token()
			if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
				continue
			}
			switch tok.Data {
			case "script", "style", "iframe", "svg", "math", "object", "embed":
				t.Fatalf("Sanitize(%q) = %q: a <%s>", in, out, tok.Data)
			}
			for _, a := range tok.Attr {
				v := strings.ToLower(strings.Join(strings.Fields(a.Val), ""))
				if strings.HasPrefix(a.Key, "on") || strings.HasPrefix(v, "javascript:") || a.Key == "style" {
					t.Fatalf("Sanitize(%q) = %q: %s=%q", in, out, a.Key, a.Val)
				}
			}
		}
	})
}
