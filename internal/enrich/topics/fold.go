package topics

import (
	"unicode"
	"unicode/utf8"

	"palabre/internal/textfold"
)

// maxWordBytes bounds a folded word. Compile refuses longer words, so a
// longer token in a message can never be vocabulary: the tokeniser stops
// copying it and reports it as such, which keeps its buffer and the stem
// cache small whatever the text.
const maxWordBytes = 64

// Token kinds the tokeniser returns.
const (
	tokEnd  = iota // no more text
	tokWord        // a folded word
	tokURL         // a web address, skipped whole
	tokLong        // a word longer than maxWordBytes
)

// tokenizer splits text into words in one pass, folding them as it goes:
// lower case, accents removed, ligatures spelt out. Letters and digits make
// words; everything else separates them, HTML tags and character references
// included. Web addresses are skipped whole, so that their parts never look
// like words.
type tokenizer struct {
	text    string
	pos     int
	noClose bool // no '>' is left in text, so '<' cannot open a tag
	// buf holds the current word after a one-byte prefix that the caller
	// sets once (the matcher puts its stemming mode there, to use buf as a
	// cache key as it is).
	buf  []byte
	long bool // the current word outgrew maxWordBytes
}

// next returns the kind of the next token and, for a word, buf with the
// folded word after the prefix byte. The slice is reused by the next call.
func (t *tokenizer) next() (int, []byte) {
	t.buf = t.buf[:1]
	t.long = false
	for t.pos < len(t.text) {
		c := t.text[t.pos]
		if c < utf8.RuneSelf {
			switch {
			case 'a' <= c && c <= 'z' || '0' <= c && c <= '9':
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			default:
				if t.inWord() {
					return t.word()
				}
				t.skipSeparator(c)
				continue
			}
			if !t.inWord() && (c == 'h' || c == 'w') && isURLAt(t.text[t.pos:]) {
				t.skipURL()
				return tokURL, nil
			}
			t.pos++
			t.add(c)
			continue
		}
		r, size := utf8.DecodeRuneInString(t.text[t.pos:])
		if f := textfold.Rune(r); f != "" {
			t.pos += size
			t.addString(f)
			continue
		}
		switch {
		case unicode.Is(unicode.Mn, r):
			// A combining accent, as in decomposed "e\u0301": dropped, and
			// the word goes on.
			t.pos += size
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r):
			t.pos += size
			t.addRune(unicode.ToLower(r))
		default: // punctuation, spaces, symbols, invalid UTF-8
			if t.inWord() {
				return t.word()
			}
			t.pos += size
		}
	}
	if t.inWord() {
		return t.word()
	}
	return tokEnd, nil
}

func (t *tokenizer) inWord() bool { return len(t.buf) > 1 || t.long }

func (t *tokenizer) word() (int, []byte) {
	if t.long {
		return tokLong, nil
	}
	return tokWord, t.buf
}

func (t *tokenizer) add(c byte) {
	if len(t.buf) > maxWordBytes {
		t.long = true
		return
	}
	t.buf = append(t.buf, c)
}

func (t *tokenizer) addString(s string) {
	if len(t.buf)+len(s) > maxWordBytes+1 {
		t.long = true
		return
	}
	t.buf = append(t.buf, s...)
}

func (t *tokenizer) addRune(r rune) {
	if len(t.buf)+utf8.RuneLen(r) > maxWordBytes+1 {
		t.long = true
		return
	}
	t.buf = utf8.AppendRune(t.buf, r)
}

// skipSeparator passes the ASCII separator c at t.pos, with the HTML tag or
// character reference it opens.
func (t *tokenizer) skipSeparator(c byte) {
	rest := t.text[t.pos:]
	switch {
	case c == '<' && !t.noClose && len(rest) > 1 && opensTag(rest[1]):
		for i := 1; i < len(rest); i++ {
			if rest[i] == '>' {
				t.pos += i + 1
				return
			}
		}
		// Remembered, so that text full of '<' is not scanned again for
		// each of them.
		t.noClose = true
	case c == '&':
		if n := referenceLen(rest); n > 0 {
			t.pos += n
			return
		}
	}
	t.pos++
}

func opensTag(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '/' || c == '!' || c == '?'
}

// referenceLen returns the length of the HTML character reference (&amp;,
// &#233;, &#xE9;) that s starts with, or 0.
func referenceLen(s string) int {
	const longest = 32 // longer than any named reference
	for i := 1; i < len(s) && i <= longest+1; i++ {
		c := s[i]
		switch {
		case c == ';':
			if i == 1 {
				return 0
			}
			return i + 1
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '#' && i == 1:
		default:
			return 0
		}
	}
	return 0
}

// isURLAt reports whether s starts with a web address: http://, https://
// or www., in any case.
func isURLAt(s string) bool {
	return hasPrefixFold(s, "http://") || hasPrefixFold(s, "https://") || hasPrefixFold(s, "www.")
}

// hasPrefixFold is strings.HasPrefix ignoring ASCII case; prefix is lower
// case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// skipURL passes the web address at t.pos, up to the next space, quote or
// angle bracket.
func (t *tokenizer) skipURL() {
	for t.pos < len(t.text) {
		c := t.text[t.pos]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == '<' || c == '>' || c == '"' {
				return
			}
			t.pos++
			continue
		}
		r, size := utf8.DecodeRuneInString(t.text[t.pos:])
		if unicode.IsSpace(r) {
			return
		}
		t.pos += size
	}
}
