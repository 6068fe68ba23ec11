package wxr

import (
	"strings"
)

// autop gives a WordPress text the paragraphs WordPress shows for it.
// Comments, and posts written in the classic editor, are stored with bare
// newlines where the author pressed Enter: a blank line separates
// paragraphs and a single newline is a line break. Left alone, HTML
// rendering and htmltext.PlainText would fold them into spaces.
//
// This is a deliberately small version of WordPress's own filter: chunks
// that already start with a block element, and block-editor content (which
// carries its own markup), are left as they are.
func autop(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	if strings.Contains(s, "<!-- wp:") || !strings.Contains(strings.TrimSpace(s), "\n") {
		return s
	}
	var b strings.Builder
	for _, chunk := range paragraphs(s) {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		if startsWithBlock(chunk) {
			b.WriteString(chunk)
			continue
		}
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(chunk, "\n", "<br />\n"))
		b.WriteString("</p>")
	}
	return b.String()
}

// paragraphs splits s at blank (or whitespace-only) lines and returns the
// trimmed, non-empty chunks.
func paragraphs(s string) []string {
	var out []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.TrimSpace(strings.Join(cur, "\n")))
			cur = cur[:0]
		}
	}
	for line := range strings.SplitSeq(s, "\n") {
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		cur = append(cur, line)
	}
	flush()
	return out
}

// startsWithBlock reports whether s opens with an HTML comment or a
// block-level tag, which must not be wrapped in a paragraph.
func startsWithBlock(s string) bool {
	if strings.HasPrefix(s, "<!--") {
		return true
	}
	rest, ok := strings.CutPrefix(s, "<")
	if !ok {
		return false
	}
	rest = strings.TrimPrefix(rest, "/")
	end := strings.IndexFunc(rest, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	})
	if end < 0 {
		end = len(rest)
	}
	switch strings.ToLower(rest[:end]) {
	case "p", "div", "blockquote", "pre", "ul", "ol", "li", "dl", "dt", "dd",
		"table", "thead", "tbody", "tr", "td", "th", "h1", "h2", "h3", "h4",
		"h5", "h6", "hr", "figure", "figcaption", "section", "article",
		"aside", "header", "footer", "nav", "address", "form", "fieldset",
		"details", "summary", "iframe", "object", "embed", "video", "audio":
		return true
	}
	return false
}
