package enrich

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"palabre/internal/textfold"
)

//go:embed lexicon/*.tsv
var lexiconFiles embed.FS

// Language indexes. French and English are analysed; the others are only
// recognised, so that a Spanish comment is not called English.
const (
	langFR = iota
	langEN
	langES
	langDE
	langIT
	langPT
	langNL
	numLangs
)

var langCodes = [numLangs]string{"fr", "en", "es", "de", "it", "pt", "nl"}

func langIndex(code string) (int, bool) {
	for i, c := range langCodes {
		if c == code {
			return i, true
		}
	}
	return 0, false
}

// lexicons are palabre's hand-written word lists, folded the way the
// tokenizer folds text, gathered in one table so that a word costs one
// lookup whatever lists it is in. They are read once and never change.
type lexicons struct {
	words     wordTable
	emoticons map[string]float32 // ASCII, lower-cased
	emoji     map[string]float32 // one emoji, without variation selectors
	maxEmo    int
}

// wordInfo is everything the lexicons say about one word.
type wordInfo struct {
	sentiment [2]float32 // value by langFR, langEN; see hasSentiment
	intensity float32    // multiplier of the next sentiment word, or 0
	flags     uint8
	stop      int8   // language index the word is a function word of, or -1
	cues      uint16 // cue bits (cues.go)
}

// wordInfo flags.
const (
	negatorFR uint8 = 1 << iota
	negatorEN
	contrastWord
	sentimentFR
	sentimentEN
)

func (w *wordInfo) isNegator(lang int) bool { return w.flags&(negatorFR<<lang) != 0 }

func (w *wordInfo) hasSentiment(lang int) bool { return w.flags&(sentimentFR<<lang) != 0 }

func loadLexicons() (*lexicons, error) {
	lx := &lexicons{
		emoticons: map[string]float32{},
		emoji:     map[string]float32{},
	}
	infos := map[string]*wordInfo{}
	word := func(term string) *wordInfo {
		w := infos[term]
		if w == nil {
			w = &wordInfo{stop: -1}
			infos[term] = w
		}
		return w
	}
	for _, lang := range []int{langFR, langEN} {
		name := "lexicon/" + langCodes[lang] + ".tsv"
		err := readTSV(name, func(term, value string) error {
			v, err := strconv.ParseFloat(value, 32)
			if err != nil || v < -4 || v > 4 {
				return fmt.Errorf("value %q is not a number from -4 to 4", value)
			}
			w := word(fold(term))
			w.sentiment[lang] = float32(v)
			w.flags |= sentimentFR << lang
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	err := readTSV("lexicon/negators.tsv", func(term, value string) error {
		lang, ok := langIndex(value)
		if !ok || lang > langEN {
			return fmt.Errorf("language %q is not fr or en", value)
		}
		word(fold(term)).flags |= negatorFR << lang
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = readTSV("lexicon/intensifiers.tsv", func(term, value string) error {
		v, err := strconv.ParseFloat(value, 32)
		if err != nil || v <= 0 || v > 3 {
			return fmt.Errorf("multiplier %q is not a number in (0, 3]", value)
		}
		word(fold(term)).intensity = float32(v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = readTSV("lexicon/contrast.tsv", func(term, _ string) error {
		word(fold(term)).flags |= contrastWord
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = readTSV("lexicon/emoticons.tsv", func(term, value string) error {
		v, err := strconv.ParseFloat(value, 32)
		if err != nil || v < -4 || v > 4 {
			return fmt.Errorf("value %q is not a number from -4 to 4", value)
		}
		r, _ := utf8.DecodeRuneInString(term)
		if r < utf8.RuneSelf {
			term = strings.ToLower(term)
			if isAlnum(term[0]) {
				// "xd", "xp": the tokenizer reads these as words.
				w := word(term)
				w.sentiment = [2]float32{float32(v), float32(v)}
				w.flags |= sentimentFR | sentimentEN
				return nil
			}
			lx.emoticons[term] = float32(v)
			lx.maxEmo = max(lx.maxEmo, len(term))
			return nil
		}
		lx.emoji[string(r)] = float32(v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = readTSV("lexicon/stopwords.tsv", func(term, value string) error {
		lang, ok := langIndex(value)
		if !ok {
			return fmt.Errorf("unknown language %q", value)
		}
		word(fold(term)).stop = int8(lang)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for term, bits := range buildCues() {
		word(term).cues |= bits
	}
	lx.words = newWordTable(infos)
	return lx, nil
}

// wordTable is an open-addressing hash table from folded words to what the
// lexicons say of them, keyed by the same hash as unigram features, so
// that a word is hashed once for both.
type wordTable struct {
	slots   []int32 // index into entries, or -1
	keys    []string
	entries []wordInfo
}

func newWordTable(infos map[string]*wordInfo) wordTable {
	size := 1
	for size < 2*len(infos) {
		size <<= 1
	}
	t := wordTable{slots: make([]int32, size)}
	for i := range t.slots {
		t.slots[i] = -1
	}
	keys := make([]string, 0, len(infos))
	for k := range infos {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		h := hashBytes(hUnigram, []byte(k))
		mask := uint64(size - 1)
		for j := h & mask; ; j = (j + 1) & mask {
			if t.slots[j] < 0 {
				t.slots[j] = int32(len(t.entries))
				break
			}
		}
		t.keys = append(t.keys, k)
		t.entries = append(t.entries, *infos[k])
	}
	return t
}

// lookup returns the index of w's entry, or -1; h is hashBytes(hUnigram, w).
func (t *wordTable) lookup(h uint64, w []byte) int32 {
	mask := uint64(len(t.slots) - 1)
	for j := h & mask; ; j = (j + 1) & mask {
		i := t.slots[j]
		if i < 0 {
			return -1
		}
		if t.keys[i] == string(w) {
			return i
		}
	}
}

// readTSV calls fn for each "term<TAB>value" line of an embedded file,
// skipping blank lines and # comments.
func readTSV(name string, fn func(term, value string) error) error {
	data, err := lexiconFiles.ReadFile(name)
	if err != nil {
		return fmt.Errorf("lexicon %s: %w", name, err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if text == "" || text[0] == '#' {
			continue
		}
		term, value, ok := strings.Cut(text, "\t")
		term = strings.TrimSpace(term)
		if !ok || term == "" {
			return fmt.Errorf("lexicon %s line %d: want term<TAB>value", name, line)
		}
		if err := fn(term, strings.TrimSpace(value)); err != nil {
			return fmt.Errorf("lexicon %s line %d: %w", name, line, err)
		}
	}
	return sc.Err()
}

// fold spells a word the way the tokenizer does: lower case, accents
// removed.
func fold(s string) string {
	var b []byte
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			b = append(b, byte(unicode.ToLower(r)))
		case textfold.Rune(r) != "":
			b = append(b, textfold.Rune(r)...)
		case unicode.Is(unicode.Mn, r):
		default:
			b = utf8.AppendRune(b, unicode.ToLower(r))
		}
	}
	return string(b)
}

// emoticonAt returns the length and value of an ASCII emoticon at the start
// of s, longest first, or 0.
func (lx *lexicons) emoticonAt(s string) (int, float32) {
	var low [8]byte
	n := min(len(s), lx.maxEmo, len(low))
	for i := 0; i < n; i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			n = i
			break
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	for k := n; k >= 2; k-- {
		if v, ok := lx.emoticons[string(low[:k])]; ok {
			// ":p" must not eat the start of a word (":pas").
			if isAlpha(low[k-1]) && k < len(s) && isAlnum(s[k]) {
				continue
			}
			return k, v
		}
	}
	return 0, 0
}

// emojiAt returns the length and value of an emoji or pictographic symbol
// at the start of s, with any variation selector or skin-tone modifier
// after it, or 0 when s does not start with one.
func (lx *lexicons) emojiAt(s string) (int, float32) {
	r, size := utf8.DecodeRuneInString(s)
	if !isPictograph(r) {
		return 0, 0
	}
	v := lx.emoji[s[:size]]
	for size < len(s) {
		r2, n := utf8.DecodeRuneInString(s[size:])
		if r2 != 0xFE0F && r2 != 0x200D && (r2 < 0x1F3FB || r2 > 0x1F3FF) {
			break
		}
		size += n
	}
	return size, v
}

func isPictograph(r rune) bool {
	return (r >= 0x1F000 && r <= 0x1FAFF) || (r >= 0x2600 && r <= 0x27BF) ||
		(r >= 0x2190 && r <= 0x21FF) || (r >= 0x2B00 && r <= 0x2BFF) ||
		r == 0x2764 || r == 0x263A || r == 0x2639 || r == 0x2665 || r == 0x2661 || r == 0x2122 || r == 0x00A9
}
