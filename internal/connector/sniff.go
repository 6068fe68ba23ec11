package connector

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Format names an input format palabre can import. The values are the
// names accepted by `palabre import --format`.
type Format string

// Known formats.
const (
	FormatWXR    Format = "wxr"    // WordPress export (WXR)
	FormatRSS    Format = "rss"    // RSS 2.0 or RSS 1.0 (RDF) feed
	FormatAtom   Format = "atom"   // Atom feed
	FormatNDJSON Format = "ndjson" // one palabre message per line, as JSON
	FormatCSV    Format = "csv"    // comma-separated, header of NDJSON field names
)

// wxrNamespace prefixes the namespace of every WXR version (1.0 to 1.2).
const wxrNamespace = "http://wordpress.org/export/"

// ParseFormat reads a --format value. "auto" and "" both mean "sniff the
// input" and give the empty Format, so a flag default and an unset
// environment variable behave alike. Case is ignored.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case "", "auto":
		return "", nil
	case FormatWXR, FormatRSS, FormatAtom, FormatNDJSON, FormatCSV:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q (want auto, wxr, rss, atom, ndjson or csv)", s)
}

// Sniff guesses the format of an input from its first bytes; the caller
// passes what it has, up to 8 KiB (bufio.Reader.Peek suits). The head may
// end in the middle of a line, a tag or a character.
//
// The guess only looks at the shape of the start; the chosen reader still
// validates everything. An error says why no format fits, in words fit for
// the user.
func Sniff(head []byte) (Format, error) {
	if bytes.HasPrefix(head, []byte{0xFE, 0xFF}) || bytes.HasPrefix(head, []byte{0xFF, 0xFE}) {
		return "", errors.New("UTF-16 text is not supported; convert the file to UTF-8")
	}
	text := bytes.TrimLeft(bytes.TrimPrefix(head, []byte(utf8BOM)), " \t\r\n")
	if len(text) == 0 {
		return "", errors.New("empty input")
	}
	if off := BinaryOffset(head); off >= 0 {
		legacyXML := text[0] == '<' && declaresLegacyEncoding(text)
		if head[off] == 0 || !legacyXML {
			return "", errors.New("binary data, not a known format")
		}
	}
	switch text[0] {
	case '<':
		return sniffXML(text)
	case '{':
		return FormatNDJSON, nil
	case '[':
		return "", errors.New("unknown format: a JSON array; palabre reads NDJSON, one JSON object per line")
	}
	if f, err := sniffCSV(text); f != "" || err != nil {
		return f, err
	}
	return "", fmt.Errorf("unknown format: input starts with %q", firstLine(text, 40))
}

// utf8BOM is the byte order mark some Windows tools put at the start of
// UTF-8 files.
const utf8BOM = "\uFEFF"

// BinaryOffset returns the offset of the first byte showing that head is
// not text (a NUL byte or invalid UTF-8), or -1 if head looks like text.
// A character cut off at the very end of head does not count: head is
// usually a prefix of a longer input.
func BinaryOffset(head []byte) int {
	for i := 0; i < len(head); {
		c := head[i]
		if c == 0 {
			return i
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && size <= 1 {
			if !utf8.FullRune(head[i:]) {
				return -1 // cut off at the end of head
			}
			return i
		}
		i += size
	}
	return -1
}

// declaresLegacyEncoding reports whether an XML declaration names an
// encoding other than UTF-8 (old RSS feeds in ISO-8859-1 exist): such input
// is not binary even though it is not valid UTF-8, and the XML reader will
// decode it.
func declaresLegacyEncoding(text []byte) bool {
	if !bytes.HasPrefix(text, []byte("<?xml")) {
		return false
	}
	end := bytes.Index(text, []byte("?>"))
	if end < 0 {
		return false
	}
	decl := strings.ToLower(string(text[:end]))
	_, rest, ok := strings.Cut(decl, "encoding")
	if !ok {
		return false
	}
	rest = strings.TrimLeft(rest, " \t\r\n")
	rest, ok = strings.CutPrefix(rest, "=")
	if !ok {
		return false
	}
	rest = strings.TrimLeft(rest, " \t\r\n")
	if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
		return false
	}
	name, _, ok := strings.Cut(rest[1:], rest[:1])
	return ok && name != "" && name != "utf-8" && name != "utf8"
}

// sniffXML names the feed or export kind from the root element, skipping
// the declaration, comments, processing instructions and DOCTYPE before it.
func sniffXML(text []byte) (Format, error) {
	d := xml.NewDecoder(bytes.NewReader(text))
	d.Strict = false // HTML pages and sloppy feeds must still show their root
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) {
		return r, nil // only the ASCII tag names matter here
	}
	for {
		tok, err := d.RawToken()
		if err != nil {
			var se *xml.SyntaxError
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
				errors.As(err, &se) && se.Msg == "unexpected EOF" {
				return "", fmt.Errorf("XML but no root element in the first %d bytes", len(text))
			}
			return "", fmt.Errorf("XML but malformed before the root element: %w", err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		// RawToken leaves the prefix in Name.Space.
		root := start.Name.Local
		if start.Name.Space != "" {
			root = start.Name.Space + ":" + root
		}
		switch {
		case start.Name.Space == "" && start.Name.Local == "rss":
			if isWXR(start, text) {
				return FormatWXR, nil
			}
			return FormatRSS, nil
		case start.Name.Local == "RDF":
			return FormatRSS, nil
		case start.Name.Local == "feed":
			return FormatAtom, nil
		}
		return "", fmt.Errorf("XML but not a feed or WordPress export (root <%s>)", root)
	}
}

// isWXR tells a WordPress export from an ordinary RSS feed (WordPress's own
// comment feeds are RSS too): the export declares its namespace on the root
// element and states its version near the top.
func isWXR(root xml.StartElement, text []byte) bool {
	for _, a := range root.Attr {
		if strings.HasPrefix(a.Value, wxrNamespace) {
			return true
		}
	}
	return bytes.Contains(text, []byte("<wp:wxr_version>"))
}

// sniffCSV recognises a palabre CSV by its header, which must name the
// external_id column. The header is split naively on commas: column names
// hold no commas, and a header with a quoting mistake is still meant as
// CSV — the CSV reader then says precisely what is wrong. A header
// separated by semicolons (spreadsheets in French locales write those)
// gets a specific error rather than "unknown".
func sniffCSV(text []byte) (Format, error) {
	line := firstLine(text, len(text))
	if hasColumn(line, ",", "external_id") {
		return FormatCSV, nil
	}
	if hasColumn(line, ";", "external_id") {
		return "", errors.New("unknown format: CSV separated by ';'; palabre reads CSV separated by ','")
	}
	return "", nil
}

func hasColumn(line, sep, name string) bool {
	for cell := range strings.SplitSeq(line, sep) {
		if strings.Trim(cell, " \t\"") == name {
			return true
		}
	}
	return false
}

// firstLine returns the first line of text without its line end, cut to at
// most max bytes on a character boundary.
func firstLine(text []byte, max int) string {
	if i := bytes.IndexByte(text, '\n'); i >= 0 {
		text = text[:i]
	}
	text = bytes.TrimSuffix(text, []byte("\r"))
	if len(text) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut-- // do not split a character
		}
		text = text[:cut]
	}
	return string(text)
}
