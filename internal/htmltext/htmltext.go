// Package htmltext turns the HTML that blogs and feeds carry (posts,
// comments, feed items) into the two forms palabre needs: markup that is
// safe to show in the console, and readable plain text for analysis, search
// and exports. Both functions accept any input and never panic, because the
// HTML comes from strangers.
package htmltext

import (
	"strings"
	"sync"
	"unicode"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
)

// ugcPolicy is built once because assembling a bluemonday policy compiles
// many patterns; after construction it is only read, and a Policy is safe for
// concurrent use.
var ugcPolicy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	// Community content links to sites we know nothing about: the console
	// must not pass on ranking (nofollow, set by UGCPolicy) nor let the
	// opened page script the console's tab (noopener, added by bluemonday
	// together with target=_blank on absolute links).
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return p
})

// Sanitize returns html reduced to the markup allowed in user-generated
// content (bluemonday's UGC policy): scripts, styles, event handlers and
// dangerous URLs are removed, and links to other sites get
// rel="nofollow noopener" and open in a new tab.
func Sanitize(html string) string {
	return ugcPolicy().Sanitize(html)
}

// breaks says how many line breaks an element puts around its content:
// paragraph-like blocks are separated by a blank line, other blocks start on
// a new line. Elements not listed are inline.
func breaks(tag string) int {
	switch tag {
	case "p", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6",
		"ul", "ol", "dl", "table", "figure", "hr", "address", "details",
		"fieldset", "form", "section", "article", "aside", "header",
		"footer", "nav", "main":
		return 2
	case "div", "li", "dt", "dd", "tr", "figcaption", "caption", "summary",
		"legend", "option", "body", "html":
		return 1
	}
	return 0
}

// skipped reports whether an element's content is never readable text.
func skipped(tag string) bool {
	switch tag {
	case "script", "style", "head", "title", "template", "noscript",
		"iframe", "object", "svg", "math", "select", "textarea", "button":
		return true
	}
	return false
}

// PlainText returns the readable text of an HTML fragment: tags are
// dropped, entities decoded, block elements and <br> become line breaks,
// paragraphs are separated by one blank line, runs of spaces collapse to
// one and the result is trimmed. An image contributes its alt text, because
// blogs render smileys and emoji as images whose alt is the symbol itself.
//
// Input without any tag is taken as plain text whose line breaks are
// meaningful: single newlines are kept, blank lines collapse to one.
func PlainText(s string) string {
	if !hasMarkup(s) {
		return plainLines(html.UnescapeString(s))
	}
	var w textWriter
	z := html.NewTokenizer(strings.NewReader(s))
	skip := 0 // depth inside elements whose content is dropped
	pre := 0  // depth inside <pre>, where whitespace is kept
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return w.String()
		case html.TextToken:
			if skip > 0 {
				continue
			}
			if pre > 0 {
				w.preformatted(string(z.Text()))
			} else {
				w.text(string(z.Text()))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			tag := string(name)
			switch {
			case tag == "br":
				w.lineBreak()
				continue
			case tag == "img":
				if alt := altText(z, hasAttr); alt != "" {
					w.text(alt)
				}
				continue
			}
			if tag == "td" || tag == "th" {
				// Cells sit side by side; without a space their words merge.
				w.space = true
			}
			if tt == html.SelfClosingTagToken {
				w.block(breaks(tag))
				continue
			}
			if skipped(tag) {
				skip++
				continue
			}
			if tag == "pre" {
				pre++
			}
			w.block(breaks(tag))
		case html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			if skipped(tag) {
				if skip > 0 {
					skip--
				}
				continue
			}
			if tag == "pre" && pre > 0 {
				pre--
			}
			if tag == "br" { // "</br>" is read as <br> by browsers
				w.lineBreak()
				continue
			}
			w.block(breaks(tag))
		}
	}
}

// hasMarkup reports whether s contains anything the HTML tokenizer treats as
// markup (a tag, comment or doctype) rather than text.
func hasMarkup(s string) bool {
	if !strings.Contains(s, "<") {
		return false
	}
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return false
		case html.TextToken:
		default:
			return true
		}
	}
}

// altText returns the trimmed alt attribute of the current <img> token.
func altText(z *html.Tokenizer, more bool) string {
	for more {
		var key, val []byte
		key, val, more = z.TagAttr()
		if string(key) == "alt" {
			return strings.TrimSpace(string(val))
		}
	}
	return ""
}

// plainLines normalises text whose newlines carry meaning: spaces collapse
// within each line, lines are trimmed and runs of blank lines become one.
func plainLines(s string) string {
	var w textWriter
	for i, line := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if i > 0 {
			w.lineBreak()
		}
		w.text(line)
	}
	return w.String()
}

// textWriter accumulates plain text, deferring spaces and line breaks until
// the next visible character so that the result never starts or ends with
// whitespace and never has more than one blank line in a row.
type textWriter struct {
	b       strings.Builder
	space   bool   // a space is owed before the next word
	newline int    // line breaks owed before the next word (0–2)
	indent  string // spacing kept from <pre>, owed before the next word
}

// text writes s with whitespace runs (including non-breaking spaces and
// newlines) collapsed to one space.
func (w *textWriter) text(s string) {
	for _, r := range s {
		if unicode.IsSpace(r) {
			w.space = true
			continue
		}
		w.visible(r)
	}
}

// preformatted writes s keeping its line breaks and spacing, as <pre> asks.
func (w *textWriter) preformatted(s string) {
	for _, r := range strings.ReplaceAll(s, "\r\n", "\n") {
		switch {
		case r == '\n' || r == '\r':
			w.lineBreak()
		case r == ' ' || r == '\t':
			w.indent += string(r)
		case unicode.IsSpace(r):
			w.space = true
		default:
			w.visible(r)
		}
	}
}

// visible writes one non-space rune after any owed break or space. Control
// characters are dropped: they are invisible and upset terminals and JSON
// consumers.
func (w *textWriter) visible(r rune) {
	if unicode.IsControl(r) {
		return
	}
	if w.b.Len() > 0 {
		if w.newline > 0 {
			w.b.WriteString("\n\n"[:w.newline])
		}
		switch {
		case w.indent != "":
			w.b.WriteString(w.indent)
		case w.space && w.newline == 0:
			w.b.WriteByte(' ')
		}
	}
	w.newline, w.space, w.indent = 0, false, ""
	w.b.WriteRune(r)
}

// lineBreak owes one more line break, up to one blank line; spacing before
// a break is trailing and dropped.
func (w *textWriter) lineBreak() {
	if w.newline < 2 {
		w.newline++
	}
	w.space, w.indent = false, ""
}

// block owes n line breaks, without adding to breaks already owed: the end
// of one paragraph and the start of the next make one blank line, not two.
func (w *textWriter) block(n int) {
	if n == 0 {
		return
	}
	if n > w.newline {
		w.newline = n
	}
	w.space, w.indent = false, ""
}

// String returns the text written so far; owed whitespace is dropped, which
// trims the end.
func (w *textWriter) String() string {
	return w.b.String()
}
