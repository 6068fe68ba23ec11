package enrich

import (
	"unicode"
	"unicode/utf8"

	"palabre/internal/textfold"
)

// tokKind is what a token is.
type tokKind uint8

const (
	tWord    tokKind = iota // letters and digits, folded
	tNum                    // digits only
	tURL                    // a web address, in any spelling
	tMention                // @someone
	tEmo                    // an emoticon or emoji with a sentiment value
	tQuest                  // ?
	tExcl                   // !
	tStop                   // . ; : and the like: ends a clause
	tComma                  // , ends a negation scope but not a sentence
)

// token is one unit of a text. Its folded spelling is buf[start:end] of the
// scratch that produced it.
type token struct {
	start, end int32
	kind       tokKind
	caps       bool    // written in capitals (two letters or more)
	elong      bool    // a letter repeated three times or more ("trooop")
	hashtag    bool    // written #word
	accents    uint8   // accented letters in the original spelling
	emo        float32 // sentiment value of a tEmo token
	info       int32   // a word's lexicon entry, or -1
	hash       uint64  // a word's hashBytes(hUnigram, …)
}

// maxTokens bounds the tokens kept per text: a comment longer than this is
// judged on its beginning, which keeps analysis time and memory flat.
const maxTokens = 512

// maxWord bounds a folded word's length in bytes.
const maxWord = 48

// tokenizer splits a text into tokens, folding case and accents, removing
// HTML remnants and recognising URLs, mentions, emoticons and emoji.
type tokenizer struct {
	lex    *lexicons
	buf    []byte
	tmp    []byte
	tokens []token
	upper  int // capital letters seen in words
	letter int // letters seen in words
	nwords int // word tokens
}

func (t *tokenizer) reset() {
	t.buf = t.buf[:0]
	t.tokens = t.tokens[:0]
	t.upper, t.letter, t.nwords = 0, 0, 0
}

// run tokenizes text into t.buf and t.tokens.
func (t *tokenizer) run(text string) {
	t.reset()
	i := 0
	atChunk := true // at the start of a whitespace-separated chunk
	hashtag := false
	for i < len(text) && len(t.tokens) < maxTokens {
		c := text[i]
		if c < utf8.RuneSelf {
			switch {
			case c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
				i++
				atChunk = true
				hashtag = false
				continue
			case atChunk && isURLStart(text[i:]):
				i = t.url(text, i)
				continue
			case isAlnum(c):
				atChunk = false
				i = t.word(text, i, hashtag)
				hashtag = false
				continue
			case c == '<' && i+1 < len(text) && (isAlpha(text[i+1]) || text[i+1] == '/' || text[i+1] == '!'):
				if end := skipTag(text, i); end > i {
					i = end
					atChunk = true
					continue
				}
			case c == '&':
				if end, apos := skipEntity(text, i); end > i {
					i = end
					if !apos {
						atChunk = true
					}
					continue
				}
			case c == '@' && i+1 < len(text) && isAlnum(text[i+1]):
				i = t.mention(text, i)
				atChunk = false
				continue
			case c == '#' && i+1 < len(text) && isAlnum(text[i+1]):
				hashtag = true
				i++
				continue
			}
			if n, v := t.lex.emoticonAt(text[i:]); n > 0 {
				t.push(token{kind: tEmo, emo: v})
				i += n
				atChunk = false
				continue
			}
			switch c {
			case '?':
				t.push(token{kind: tQuest})
			case '!':
				t.push(token{kind: tExcl})
			case '.', ';', ':', '(', ')', '[', ']', '"':
				t.push(token{kind: tStop})
			case ',':
				t.push(token{kind: tComma})
			}
			i++
			atChunk = false
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == '¿' || r == '¡':
			t.push(token{kind: tStop})
		case r == '…' || r == '«' || r == '»' || r == '“' || r == '”':
			t.push(token{kind: tStop})
		case r == '\u00a0' || r == '\u202f' || unicode.IsSpace(r):
			atChunk = true
			hashtag = false
			i += size
			continue
		case isWordRune(r):
			atChunk = false
			i = t.word(text, i, hashtag)
			hashtag = false
			continue
		default:
			if n, v := t.lex.emojiAt(text[i:]); n > 0 {
				t.push(token{kind: tEmo, emo: v})
				i += n
				atChunk = false
				continue
			}
		}
		i += size
		atChunk = false
	}
}

func (t *tokenizer) push(tok token) {
	if len(t.tokens) < maxTokens {
		t.tokens = append(t.tokens, tok)
	}
}

// word reads a run of letters and digits starting at i, folded into buf.
// A run of three or more identical letters is kept as two ("trooop" →
// "troop"); the lexicon lookup tries one as well. A word followed by a
// dot and a top-level domain is a bare web address.
func (t *tokenizer) word(text string, i int, hashtag bool) int {
	start := len(t.buf)
	tok := token{kind: tNum, hashtag: hashtag}
	var upper, letters int
	var last byte
	run := 0
	for i < len(text) {
		c := text[i]
		var r rune
		size := 1
		if c < utf8.RuneSelf {
			if !isAlnum(c) {
				break
			}
			r = rune(c)
		} else {
			r, size = utf8.DecodeRuneInString(text[i:])
			if !isWordRune(r) {
				break
			}
		}
		i += size
		if r >= '0' && r <= '9' {
			t.appendFolded(&last, &run, &tok, byte(r))
			continue
		}
		tok.kind = tWord
		letters++
		if unicode.IsUpper(r) {
			upper++
		}
		switch {
		case r < utf8.RuneSelf:
			t.appendFolded(&last, &run, &tok, byte(unicode.ToLower(r)))
		case r < 0x2C0 || (r >= 0x1E00 && r <= 0x1EFF) || (r >= 0xFB00 && r <= 0xFB06):
			f := textfold.Rune(r)
			if f == "" {
				t.buf = utf8.AppendRune(t.buf, unicode.ToLower(r))
				last, run = 0, 0
				continue
			}
			if tok.accents < 255 {
				tok.accents++
			}
			for k := 0; k < len(f); k++ {
				t.appendFolded(&last, &run, &tok, f[k])
			}
		default:
			l := unicode.ToLower(r)
			if unicode.Is(unicode.Mn, l) {
				continue // a combining accent
			}
			t.buf = utf8.AppendRune(t.buf, l)
			last, run = 0, 0
		}
	}
	if len(t.buf)-start > maxWord {
		t.buf = t.buf[:start+maxWord]
	}
	// A bare domain: "datpiff.com/mixtapes", "bit.ly/x".
	if i+1 < len(text) && text[i] == '.' && isTLDAt(text[i+1:]) {
		t.buf = t.buf[:start]
		t.push(token{kind: tURL})
		return skipChunk(text, i)
	}
	tok.caps = upper >= 2 && upper == letters
	tok.info = -1
	if tok.kind == tWord {
		t.upper += upper
		t.letter += letters
		t.nwords++
		t.lookup(&tok, start)
	}
	tok.start, tok.end = int32(start), int32(len(t.buf))
	t.push(tok)
	return i
}

// lookup finds the lexicon entry of the word buf[start:]. An elongated
// word the lexicons do not know as written ("troop") is looked up again
// with every doubled letter single ("trop"), and kept so when known.
func (t *tokenizer) lookup(tok *token, start int) {
	w := t.buf[start:]
	tok.hash = hashBytes(hUnigram, w)
	tok.info = t.lex.words.lookup(tok.hash, w)
	if tok.info >= 0 || !tok.elong {
		return
	}
	t.tmp = t.tmp[:0]
	for i, c := range w {
		if i > 0 && c == w[i-1] && c > '9' {
			continue
		}
		t.tmp = append(t.tmp, c)
	}
	h := hashBytes(hUnigram, t.tmp)
	if i := t.lex.words.lookup(h, t.tmp); i >= 0 {
		t.buf = append(t.buf[:start], t.tmp...)
		tok.hash, tok.info = h, i
	}
}

// appendFolded appends one folded byte, collapsing a run of identical
// letters after the second.
func (t *tokenizer) appendFolded(last *byte, run *int, tok *token, b byte) {
	if b == *last && b > '9' {
		*run++
		if *run >= 2 {
			tok.elong = true
			return
		}
	} else {
		*last, *run = b, 0
	}
	t.buf = append(t.buf, b)
}

func (t *tokenizer) url(text string, i int) int {
	t.push(token{kind: tURL})
	return skipChunk(text, i)
}

func (t *tokenizer) mention(text string, i int) int {
	t.push(token{kind: tMention})
	i++
	for i < len(text) && (isAlnum(text[i]) || text[i] == '_' || text[i] == '.') {
		i++
	}
	return i
}

// word returns the folded spelling of a token.
func (t *tokenizer) text(tok token) []byte { return t.buf[tok.start:tok.end] }

func isAlpha(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

func isAlnum(c byte) bool { return isAlpha(c) || (c >= '0' && c <= '9') }

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// isURLStart reports whether s starts with a web address.
func isURLStart(s string) bool {
	return hasPrefixFold(s, "http://") || hasPrefixFold(s, "https://") || hasPrefixFold(s, "www.")
}

func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if s[i]|0x20 != prefix[i] && s[i] != prefix[i] {
			return false
		}
	}
	return true
}

// tlds are the top-level domains that make "word.tld" a web address.
var tlds = [...]string{"com", "net", "org", "fr", "be", "ch", "ca", "io", "co", "ly", "me", "tv", "info", "biz", "uk", "de", "es", "it", "eu", "us", "gl", "gg", "xyz", "online", "site", "shop", "app"}

// isTLDAt reports whether s starts with a top-level domain followed by the
// end of the word.
func isTLDAt(s string) bool {
	for _, tld := range tlds {
		if hasPrefixFold(s, tld) && (len(s) == len(tld) || !isAlnum(s[len(tld)])) {
			return true
		}
	}
	return false
}

// skipChunk returns the index of the next whitespace at or after i.
func skipChunk(text string, i int) int {
	for i < len(text) {
		c := text[i]
		if c == ' ' || c == '\n' || c == '\t' || c == '\r' {
			return i
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(text[i:])
			if unicode.IsSpace(r) {
				return i
			}
			i += size
			continue
		}
		i++
	}
	return i
}

// skipTag returns the index after an HTML tag starting at i, or i when
// there is none within a reasonable distance.
func skipTag(text string, i int) int {
	const maxTag = 512
	for j := i + 1; j < len(text) && j-i < maxTag; j++ {
		switch text[j] {
		case '>':
			return j + 1
		case '<':
			return i
		}
	}
	return i
}

// skipEntity returns the index after an HTML entity starting at i, and
// whether it stood for an apostrophe (which joins nothing but must not
// end a chunk either).
func skipEntity(text string, i int) (int, bool) {
	const maxEntity = 10
	for j := i + 1; j < len(text) && j-i <= maxEntity; j++ {
		c := text[j]
		if c == ';' {
			if j == i+1 {
				return i, false
			}
			name := text[i+1 : j]
			apos := name == "#39" || name == "#039" || name == "apos" || name == "rsquo" || name == "lsquo" || name == "#8217" || name == "#x27"
			return j + 1, apos
		}
		if !isAlnum(c) && c != '#' {
			return i, false
		}
	}
	return i, false
}
