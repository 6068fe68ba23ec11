package enrich

import (
	"math"
)

// feat is one feature of a text: a row of the weight table and its value.
type feat struct {
	id uint32
	v  float32
}

// Dense features occupy the first rows of the weight table; hashed word
// features are spread over the rest.
const (
	fBias = iota
	fLexPos
	fLexNeg
	fCompound
	fEmoPos
	fEmoNeg
	fNegations
	fQuestionMarks
	fEndsWithQuestion
	fExclamations
	fURLs
	fMentions
	fCaps
	fElongations
	fEmoji
	fNumbers
	fLength
	fFirstAux
	fFirstQuestion
	fEarlyQuestion
	fCue0 // numCues features, one per cue bit
)

// Dense features after the cues.
const (
	fLangFR = fCue0 + numCues + iota
	fLangEN
	fLangOther
	fHashtags
	fContrast
	fShort
	fLexPosFR
	fLexNegFR
	fQuestionFR
	fLexPositive     // the lexicons lean positive
	fLexNegative     // the lexicons lean negative
	fLexSilent       // the lexicons found nothing
	fNegatedPositive // "pas terrible", "not good": negation of praise
	fNegatedNegative // "pas mal", "not bad": negation of blame
	numDense
)

// reservedRows are the rows kept for dense features.
const reservedRows = 256

// Hash seeds, one per kind of hashed feature.
const (
	hUnigram uint64 = iota + 1
	hNegated
	hBigram
	hFirst
	hFirstPair
	hPrefix
	hTrigram
)

// The weight table and the language table are indexed by hashes reduced to
// these many bits.
const (
	mainBits = 17
	langBits = 16
)

// hashBytes is FNV-1a over b, seeded by kind; its value is part of the
// model format and must never change.
func hashBytes(kind uint64, b []byte) uint64 {
	h := uint64(14695981039346656037) ^ (kind * 0x9E3779B97F4A7C15)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// mix combines two hashes.
func mix(a, b uint64) uint64 {
	h := a ^ (b + 0x9E3779B97F4A7C15 + (a << 6) + (a >> 2))
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}

// mainRow reduces a hash to a row of the weight table above the dense
// rows.
func mainRow(h uint64) uint32 {
	r := uint32(h>>32) & (1<<mainBits - 1)
	if r < reservedRows {
		r += reservedRows
	}
	return r
}

// sentimentState is the running sentiment of a text as the lexicon sees it.
type sentimentState struct {
	pos, neg       float32 // sums of word values
	emoPos, emoNeg float32
	negations      int
	negatedPos     int // positive words under a negation
	negatedNeg     int // negative words under a negation
	contrast       bool
}

// extract fills s.feats with the features of the text s.tok holds, whose
// language is lang (langFR, langEN or -1 for other). It returns the
// lexicon's compound score in -1..1.
func (s *Scratch) extract(lx *lexicons, lang int) float32 {
	t := &s.tok
	s.feats = s.feats[:0]
	s.dense = [numDense]float32{}
	d := &s.dense
	d[fBias] = 1
	primary, secondary := langEN, langFR
	if lang == langFR {
		primary, secondary = langFR, langEN
	}

	var st sentimentState
	negScope := 0   // words still negated
	neSeen := false // French "ne" earlier in the clause
	var intens float32 = 1
	var prevHash uint64
	havePrev := false
	firstWord := true
	var firstHash uint64
	wordIndex := 0
	var cueCount [numCues]int
	var qmarks, excls, urls, mentions, elongs, emojis, numbers, hashtags int
	lastKind := tStop
	contrastAt := -1
	weights := s.weights[:0]

	for ti, tok := range t.tokens {
		switch tok.kind {
		case tURL:
			urls++
			havePrev = false
			s.addHashed(hUnigram, urlWord)
			continue
		case tMention:
			mentions++
			continue
		case tEmo:
			emojis++
			if tok.emo > 0 {
				st.emoPos += tok.emo
			} else {
				st.emoNeg -= tok.emo
			}
			lastKind = tEmo
			continue
		case tQuest:
			qmarks++
			negScope, neSeen, havePrev = 0, false, false
			lastKind = tQuest
			continue
		case tExcl:
			excls++
			negScope, neSeen, havePrev = 0, false, false
			lastKind = tExcl
			continue
		case tStop, tComma:
			negScope, neSeen, havePrev = 0, false, false
			lastKind = tok.kind
			continue
		case tNum:
			numbers++
			lastKind = tNum
			continue
		}
		lastKind = tWord
		w := t.text(tok)
		if tok.hashtag {
			hashtags++
		}
		if tok.elong {
			elongs++
		}
		h := tok.hash
		wordIndex++
		info := &noInfo
		if tok.info >= 0 {
			info = &lx.words.entries[tok.info]
		}

		// Cues.
		if cue := info.cues; cue != 0 {
			for b := 0; b < numCues; b++ {
				if cue&(1<<b) != 0 {
					cueCount[b]++
				}
			}
			if firstWord {
				if cue&cueAux != 0 {
					d[fFirstAux] = 1
				}
				if cue&cueQuestion != 0 {
					d[fFirstQuestion] = 1
				}
			}
			if wordIndex <= 4 && cue&cueQuestion != 0 {
				d[fEarlyQuestion] = 1
			}
		}

		// Sentiment.
		negated := negScope > 0
		switch {
		case info.flags&contrastWord != 0:
			st.contrast = true
			contrastAt = len(weights)
			negScope, neSeen = 0, false
		case info.intensity != 0:
			intens *= info.intensity
		case info.isNegator(primary):
			switch string(w) {
			case "ne", "n":
				neSeen = true
				negScope = 3
			case "plus", "personne":
				if neSeen {
					negScope = 3
				}
			default:
				negScope = 3
			}
			st.negations++
		default:
			var v float32
			switch {
			case info.hasSentiment(primary):
				v = info.sentiment[primary]
			case info.hasSentiment(secondary):
				v = info.sentiment[secondary]
			}
			if v != 0 {
				v *= intens
				if tok.caps && t.upper < t.letter*3/4 {
					v *= 1.3
				}
				if tok.elong {
					v *= 1.2
				}
				switch {
				case primary == langFR && string(w) == "terrible":
					// "terrible" praises in spoken French, and "pas
					// terrible" is a polite "bad": neither flips.
					v = 2
					if negated {
						v = -2
					}
				case primary == langFR && string(w) == "plait" && politeFormula(t, ti):
					v = 0 // "s'il vous plaît" asks; it does not like
				case negated:
					if v > 0 {
						st.negatedPos++
					} else {
						st.negatedNeg++
					}
					v *= -0.7
				}
				weights = append(weights, v)
			}
			intens = 1
			if negScope > 0 {
				negScope--
			}
		}

		// A negator is not a word of its own: what it means depends on
		// what it negates, which the negated words' own features carry
		// ("n:bad" is not "bad"). As a plain word, "not" would only learn
		// that negative reviews say it often.
		isNegator := info.isNegator(primary)
		switch {
		case isNegator:
		case negated:
			s.addHashed(hNegated, w)
		default:
			s.addHash(h)
		}
		if havePrev && !isNegator {
			s.addHash(mix(prevHash, h) ^ hBigram)
		}
		if firstWord {
			firstHash = h
			s.addHash(mix(h, hFirst))
		} else if wordIndex == 2 {
			s.addHash(mix(mix(firstHash, h), hFirstPair))
		}
		if len(w) >= 7 {
			s.addHashed(hPrefix, w[:5])
		}
		prevHash, havePrev = h, true
		firstWord = false
	}

	// Contrast: what follows "mais"/"but" weighs more than what precedes.
	for i, v := range weights {
		if contrastAt >= 0 {
			if i < contrastAt {
				v *= 0.5
			} else {
				v *= 1.5
			}
		}
		if v > 0 {
			st.pos += v
		} else {
			st.neg -= v
		}
	}
	s.weights = weights[:0]

	total := st.pos - st.neg + st.emoPos - st.emoNeg
	if excls > 0 && total != 0 {
		boost := float32(min(excls, 3)) * 0.3
		if total < 0 {
			boost = -boost
		}
		total += boost
	}
	compound := total / float32(math.Sqrt(float64(total*total+15)))

	d[fLexPos] = min(st.pos/4, 3)
	d[fLexNeg] = min(st.neg/4, 3)
	d[fCompound] = compound
	switch {
	case total > 0.5:
		d[fLexPositive] = 1
	case total < -0.5:
		d[fLexNegative] = 1
	case st.pos == 0 && st.neg == 0 && st.emoPos == 0 && st.emoNeg == 0:
		d[fLexSilent] = 1
	}
	d[fEmoPos] = min(st.emoPos/3, 3)
	d[fEmoNeg] = min(st.emoNeg/3, 3)
	// A negation that turns blame around ("pas mal", "not bad") is not
	// the mark of a complaint that other negations are.
	d[fNegations] = capped(max(st.negations-st.negatedNeg, 0), 3)
	d[fNegatedPositive] = capped(st.negatedPos, 2)
	d[fNegatedNegative] = capped(st.negatedNeg, 2)
	d[fQuestionMarks] = capped(qmarks, 3)
	if lastKind == tQuest {
		d[fEndsWithQuestion] = 1
	}
	d[fExclamations] = capped(excls, 3)
	d[fURLs] = capped(urls, 2)
	d[fMentions] = capped(mentions, 3)
	if t.letter >= 4 {
		d[fCaps] = float32(t.upper) / float32(t.letter)
	}
	d[fElongations] = capped(elongs, 3)
	d[fEmoji] = capped(emojis, 3)
	d[fNumbers] = capped(numbers, 3)
	d[fLength] = float32(math.Log1p(float64(t.nwords))) / 5
	for b := 0; b < numCues; b++ {
		d[fCue0+b] = capped(cueCount[b], 3)
	}
	switch lang {
	case langFR:
		d[fLangFR] = 1
		d[fLexPosFR] = d[fLexPos]
		d[fLexNegFR] = d[fLexNeg]
		d[fQuestionFR] = d[fQuestionMarks]
	case langEN:
		d[fLangEN] = 1
	default:
		d[fLangOther] = 1
	}
	d[fHashtags] = capped(hashtags, 3)
	if st.contrast {
		d[fContrast] = 1
	}
	if t.nwords <= 3 {
		d[fShort] = 1
	}

	// Hashed features share a unit of weight; dense ones keep their values.
	if n := len(s.feats); n > 0 {
		scale := 1 / float32(math.Sqrt(float64(n)))
		for i := range s.feats {
			s.feats[i].v = scale
		}
	}
	for i, v := range d {
		if v != 0 {
			s.feats = append(s.feats, feat{id: uint32(i), v: v})
		}
	}
	return compound
}

// politeFormula reports whether the word at token i ends "s'il vous
// plaît" or "s'il te plaît".
func politeFormula(t *tokenizer, i int) bool {
	want := [...]string{"vous", "il", "s"}
	k := 0
	for j := i - 1; j >= 0 && k < len(want); j-- {
		tok := t.tokens[j]
		if tok.kind != tWord {
			return false
		}
		w := string(t.text(tok))
		if k == 0 && w == "te" {
			w = "vous"
		}
		if w != want[k] {
			return false
		}
		k++
	}
	return k == len(want)
}

// urlWord stands for every web address in hashed features.
var urlWord = []byte("<url>")

func capped(n, limit int) float32 { return float32(min(n, limit)) / float32(limit) }

func (s *Scratch) addHashed(kind uint64, w []byte) { s.addHash(hashBytes(kind, w)) }

func (s *Scratch) addHash(h uint64) {
	if len(s.feats) < maxFeatures {
		s.feats = append(s.feats, feat{id: mainRow(h)})
	}
}

// maxFeatures bounds the hashed features of one text.
const maxFeatures = 4 * maxTokens

// noInfo stands for a word the lexicons do not know.
var noInfo = wordInfo{stop: -1}

// langFeatures fills s.langFeats with the language features of the text
// s.tok holds: character trigrams of each word, then dense counts.
func (s *Scratch) langFeatures(lx *lexicons) (stops [numLangs]int, foreign bool) {
	t := &s.tok
	s.langFeats = s.langFeats[:0]
	accents := 0
	letters := 0
	nonLatin := 0
	for _, tok := range t.tokens {
		if tok.kind != tWord {
			continue
		}
		w := t.text(tok)
		accents += int(tok.accents)
		letters += len(w)
		for _, c := range w {
			if c >= 0x80 {
				nonLatin++
			}
		}
		if tok.info >= 0 {
			if l := lx.words.entries[tok.info].stop; l >= 0 {
				stops[l]++
			}
		}
		if len(s.langFeats) >= maxFeatures {
			continue
		}
		// Trigrams over " word ".
		var a, b byte = ' ', ' '
		for i := 0; i <= len(w); i++ {
			c := byte(' ')
			if i < len(w) {
				c = w[i]
			}
			if i > 0 {
				h := uint64(a)<<16 | uint64(b)<<8 | uint64(c)
				s.langFeats = append(s.langFeats, feat{id: langRow(mix(h, hTrigram))})
			}
			a, b = b, c
		}
		s.langFeats = append(s.langFeats, feat{id: langRow(tok.hash)})
	}
	if n := len(s.langFeats); n > 0 {
		scale := float32(1 / math.Sqrt(float64(n)))
		for i := range s.langFeats {
			s.langFeats[i].v = scale
		}
	}
	s.langFeats = append(s.langFeats,
		feat{id: 0, v: 1},
		feat{id: 1, v: capped(stops[langFR], 5)},
		feat{id: 2, v: capped(stops[langEN], 5)},
		feat{id: 3, v: capped(accents, 3)},
	)
	foreign = nonLatin > letters/2
	return stops, foreign
}

const langReserved = 16

func langRow(h uint64) uint32 {
	r := uint32(h>>32) & (1<<langBits - 1)
	if r < langReserved {
		r += langReserved
	}
	return r
}
