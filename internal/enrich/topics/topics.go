// Package topics recognises a workspace's vocabulary in message text: named
// topics, each defined by keywords and phrases, so that a cosmetics brand
// and a bank each see their own subjects.
//
// Matching is by word, after the same normalisation on both sides: words are
// lower-cased, their accents folded (é→e, œ→oe, ß→ss) and stemmed with the
// Snowball stemmers, so that "Livraisons" finds the term "livraison" and
// "CARTE BANCAIRE" the term "carte bancaire". A phrase matches only when its
// words follow each other in the text. Each term is compiled under both its
// French and its English stems into one Aho–Corasick automaton over word
// ids, so a message is matched against the whole vocabulary in a single
// pass, without allocating once its scratch space is warm.
package topics

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/french"

	"palabre/internal/model"
)

// Limits of a vocabulary. They keep a workspace's matcher small and its
// definitions readable; Compile refuses anything beyond them.
const (
	MaxNameLength    = 80   // characters in a topic's name
	MaxTermsPerTopic = 200  // terms of one topic
	MaxTerms         = 5000 // terms of a whole vocabulary
	MaxTermWords     = 10   // words in one term
	MaxTermLength    = 200  // characters in one term
)

// algorithm names the way terms and texts are tokenised, folded and
// stemmed. It is part of the fingerprint: change it whenever a change here
// could make a stored message match differently.
const algorithm = "topics/1 snowball-v0.10.0 fr+en"

// Matcher finds a vocabulary's topics in texts. It is immutable and safe
// for concurrent use; each goroutine brings its own Scratch. A nil Matcher
// is an empty vocabulary.
type Matcher struct {
	names       []string          // topic names, in definition order
	ids         map[string]uint32 // stem → word id, from 1
	ac          *automaton
	fingerprint string
}

// Compile checks a vocabulary and builds its matcher. Errors name the
// topic and the term at fault. Topics are reported in the order given here;
// an empty vocabulary gives a matcher that finds nothing.
func Compile(topics []model.Topic) (*Matcher, error) {
	total := 0
	for _, t := range topics {
		total += len(t.Terms)
	}
	if total > MaxTerms {
		return nil, fmt.Errorf("the vocabulary has %d terms, more than the %d allowed", total, MaxTerms)
	}
	m := &Matcher{ids: make(map[string]uint32)}
	trie := newTrieBuilder()
	hash := sha256.New()
	hash.Write([]byte(algorithm))
	var seq []uint32
	defined := make(map[string]bool, len(topics))
	for i, t := range topics {
		if err := checkTopic(i, t); err != nil {
			return nil, err
		}
		if defined[t.Name] {
			return nil, fmt.Errorf("topic %q is defined twice", t.Name)
		}
		defined[t.Name] = true
		var phrases []string // this topic's stem sequences, for the fingerprint
		for _, term := range t.Terms {
			words, err := termWords(term)
			if err != nil {
				return nil, fmt.Errorf("topic %q: %w", t.Name, err)
			}
			for _, stem := range []func(string, bool) string{french.Stem, english.Stem} {
				seq = seq[:0]
				stems := make([]string, len(words))
				for j, w := range words {
					stems[j] = stem(w, false)
					seq = append(seq, m.wordID(stems[j]))
				}
				trie.insert(seq, uint32(i))
				phrases = append(phrases, strings.Join(stems, " "))
			}
		}
		slices.Sort(phrases)
		fmt.Fprintf(hash, "\x00%s\x01%s", t.Name, strings.Join(slices.Compact(phrases), "\x02"))
		m.names = append(m.names, t.Name)
	}
	m.ac = trie.build(len(m.ids))
	m.fingerprint = hex.EncodeToString(hash.Sum(nil)[:8])
	return m, nil
}

func checkTopic(i int, t model.Topic) error {
	switch {
	case strings.TrimSpace(t.Name) == "":
		return fmt.Errorf("topic %d: the name is empty", i+1)
	case !utf8.ValidString(t.Name):
		return fmt.Errorf("topic %q: the name is not valid UTF-8", t.Name)
	case utf8.RuneCountInString(t.Name) > MaxNameLength:
		return fmt.Errorf("topic %q: the name is longer than %d characters", t.Name, MaxNameLength)
	case strings.ContainsFunc(t.Name, unicode.IsControl):
		return fmt.Errorf("topic %q: the name holds control characters", t.Name)
	case strings.TrimSpace(t.Name) != t.Name:
		return fmt.Errorf("topic %q: the name starts or ends with spaces", t.Name)
	case len(t.Terms) == 0:
		return fmt.Errorf("topic %q has no terms", t.Name)
	case len(t.Terms) > MaxTermsPerTopic:
		return fmt.Errorf("topic %q has %d terms, more than the %d allowed", t.Name, len(t.Terms), MaxTermsPerTopic)
	}
	return nil
}

// termWords splits a term into folded words, as messages are split.
func termWords(term string) ([]string, error) {
	switch {
	case !utf8.ValidString(term):
		return nil, fmt.Errorf("term %q is not valid UTF-8", term)
	case utf8.RuneCountInString(term) > MaxTermLength:
		return nil, fmt.Errorf("term %q is longer than %d characters", term, MaxTermLength)
	}
	tok := tokenizer{text: term, buf: []byte{0}}
	var words []string
	for {
		kind, w := tok.next()
		switch kind {
		case tokWord:
			words = append(words, string(w[1:]))
			continue
		case tokURL:
			return nil, fmt.Errorf("term %q holds a web address, and web addresses in messages are skipped", term)
		case tokLong:
			return nil, fmt.Errorf("term %q has a word longer than %d letters", term, maxWordBytes)
		}
		break
	}
	switch {
	case len(words) == 0:
		return nil, fmt.Errorf("term %q has no letters or digits", term)
	case len(words) > MaxTermWords:
		return nil, fmt.Errorf("term %q has %d words, more than the %d allowed", term, len(words), MaxTermWords)
	}
	return words, nil
}

func (m *Matcher) wordID(stem string) uint32 {
	id, ok := m.ids[stem]
	if !ok {
		id = uint32(len(m.ids) + 1)
		m.ids[stem] = id
	}
	return id
}

// Fingerprint is a short hash of what the vocabulary matches: its topic
// names in order and the stems of their terms. Two vocabularies with the
// same fingerprint find the same topics in every text, so a stored
// message analysed under another fingerprint needs analysing again.
func (m *Matcher) Fingerprint() string {
	if m == nil {
		empty, _ := Compile(nil) // cannot fail
		return empty.fingerprint
	}
	return m.fingerprint
}

// Topics returns the number of topics in the vocabulary.
func (m *Matcher) Topics() int {
	if m == nil {
		return 0
	}
	return len(m.names)
}

// maxCachedTokens bounds a Scratch's stem cache. Past it the cache starts
// afresh: texts of one workspace reuse a few thousand words, so this is
// rare, and it keeps memory bounded whatever the input.
const maxCachedTokens = 1 << 16

// Scratch is the reusable working space of AppendMatches: a cache of the
// stems of tokens already seen, buffers and the set of topics found. It
// belongs to one goroutine at a time.
type Scratch struct {
	m     *Matcher          // whose word ids cache holds
	cache map[string]uint32 // stemming mode + folded token → word id, 0 when not vocabulary
	buf   []byte
	found []uint64 // bit set of topic indices
}

// NewScratch returns working space for AppendMatches.
func (m *Matcher) NewScratch() *Scratch {
	s := &Scratch{cache: make(map[string]uint32), buf: make([]byte, 0, maxWordBytes+1)}
	s.use(m)
	return s
}

// use prepares s for m, dropping what it cached for another matcher.
func (s *Scratch) use(m *Matcher) {
	if s.m == m {
		return
	}
	s.m = m
	clear(s.cache)
	if s.cache == nil {
		s.cache = make(map[string]uint32)
	}
	s.found = make([]uint64, (m.Topics()+63)/64)
}

// Stemming modes, the first byte of a stem cache key.
const (
	stemFrench  = 'f'
	stemEnglish = 'e'
	stemEither  = '?'
)

// stemMode picks the stemmer for a language tag: "fr" and "en" (also as
// "fr-CA", "en_GB", in any case); anything else tries French, then English.
func stemMode(lang string) byte {
	if len(lang) < 2 || len(lang) > 2 && lang[2] != '-' && lang[2] != '_' {
		return stemEither
	}
	switch lower(lang[0]) {
	case 'f':
		if lower(lang[1]) == 'r' {
			return stemFrench
		}
	case 'e':
		if lower(lang[1]) == 'n' {
			return stemEnglish
		}
	}
	return stemEither
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// AppendMatches appends to dst the names of the topics found in text,
// written in language lang, in the order the topics were defined, each
// once, and returns the extended slice. s may be nil, at the cost of
// allocating one. Once s has seen a text's words and dst has room, it does
// not allocate.
func (m *Matcher) AppendMatches(dst []string, text string, lang string, s *Scratch) []string {
	if m == nil || len(m.names) == 0 {
		return dst
	}
	if s == nil {
		s = m.NewScratch()
	}
	s.use(m)
	tok := tokenizer{text: text, buf: append(s.buf[:0], stemMode(lang))}
	state, matched := uint32(0), false
	for {
		kind, key := tok.next()
		if kind == tokEnd {
			break
		}
		id := uint32(0)
		if kind == tokWord {
			id = s.wordID(key)
		}
		if id == 0 { // not vocabulary: no phrase goes through this word
			state = 0
			continue
		}
		state = m.ac.step(state, id)
		for _, t := range m.ac.outputs(state) {
			s.found[t/64] |= 1 << (t % 64)
			matched = true
		}
	}
	s.buf = tok.buf
	if !matched {
		return dst
	}
	for i, set := range s.found {
		for ; set != 0; set &= set - 1 {
			dst = append(dst, m.names[i*64+bits.TrailingZeros64(set)])
		}
		s.found[i] = 0
	}
	return dst
}

// wordID returns the word id of a folded token, key being the stemming
// mode followed by the token. Stemming allocates, so each distinct token
// is stemmed once and remembered.
func (s *Scratch) wordID(key []byte) uint32 {
	if id, ok := s.cache[string(key)]; ok {
		return id
	}
	token := string(key[1:])
	var id uint32
	switch key[0] {
	case stemFrench:
		id = s.m.ids[french.Stem(token, false)]
	case stemEnglish:
		id = s.m.ids[english.Stem(token, false)]
	default:
		if id = s.m.ids[french.Stem(token, false)]; id == 0 {
			id = s.m.ids[english.Stem(token, false)]
		}
	}
	if len(s.cache) >= maxCachedTokens {
		clear(s.cache)
	}
	s.cache[string(key)] = id
	return id
}
