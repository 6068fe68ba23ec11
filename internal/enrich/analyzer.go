// Package enrich is palabre's own understanding of a message, offline and
// in pure Go: its language, sentiment, intent, whether it needs an answer,
// whether it is spam, and which of the workspace's topics it is about.
//
// A global Model (hand-written French and English lexicons plus weights
// trained by palabre train) is embedded in the binary. An Analyzer joins it
// to one workspace's vocabulary and to what the workspace's CMs corrected.
// Analysis is deterministic and, after warm-up, allocation-free.
package enrich

import (
	"math"

	"palabre/internal/enrich/topics"
)

// Result is the analysis of one text. Topics is only valid until the next
// analysis made with the same Scratch.
type Result struct {
	Lang               string
	LangConfidence     float64
	Sentiment          string
	SentimentScore     float64 // P(pos) - P(neg), in -1..1
	Intent             string
	IntentConfidence   float64
	NeedsResponse      bool
	NeedsResponseScore float64 // probability, 0..1
	Spam               bool
	SpamScore          float64 // probability, 0..1
	Topics             []string
}

// Analyzer analyses texts for one workspace (or none). It is immutable
// and safe for concurrent use; each goroutine needs its own Scratch.
type Analyzer struct {
	model    *Model
	overlay  *Overlay
	topics   *topics.Matcher
	fallback int // language of a text without words: langFR or langEN
}

// NewAnalyzer joins the global model to a workspace's vocabulary and
// learned corrections; both may be nil.
func NewAnalyzer(m *Model, vocabulary *topics.Matcher, overlay *Overlay) *Analyzer {
	return &Analyzer{model: m, overlay: overlay, topics: vocabulary, fallback: langEN}
}

// WithLanguage returns a copy of a for a workspace whose usual language is
// lang ("fr" or "en"; anything else leaves a as it is). A text without
// words, such as a bare link or a row of emoji, has no language of its
// own; it is given the workspace's, with confidence 0.
func (a *Analyzer) WithLanguage(lang string) *Analyzer {
	l, ok := langIndex(lang)
	if !ok || l > langEN {
		return a
	}
	b := *a
	b.fallback = l
	return &b
}

// Model returns the analyzer's global model.
func (a *Analyzer) Model() *Model { return a.model }

// Topics returns the analyzer's vocabulary, or nil.
func (a *Analyzer) Topics() *topics.Matcher { return a.topics }

// Overlay returns the analyzer's learned corrections, or nil.
func (a *Analyzer) Overlay() *Overlay { return a.overlay }

// Scratch holds the buffers of one goroutine's analyses, so that
// analysing a text allocates nothing once they have grown.
type Scratch struct {
	tok       tokenizer
	feats     []feat
	langFeats []feat
	dense     [numDense]float32
	weights   []float32
	tmp       []byte
	topics    []string
	matcher   *topics.Matcher
	topicsBuf *topics.Scratch
}

// NewScratch returns buffers for analyses with m.
func NewScratch(m *Model) *Scratch {
	return &Scratch{
		tok:       tokenizer{lex: m.lex, buf: make([]byte, 0, 1024), tokens: make([]token, 0, 128)},
		feats:     make([]feat, 0, 512),
		langFeats: make([]feat, 0, 512),
		weights:   make([]float32, 0, 64),
		tmp:       make([]byte, 0, 64),
		topics:    make([]string, 0, 8),
	}
}

// Language thresholds.
const (
	// minOtherStops is how many function words of another language it
	// takes to call a text neither French nor English.
	minOtherStops = 2
)

// Analyze analyses one text.
func (a *Analyzer) Analyze(s *Scratch, text string) Result {
	m := a.model
	s.tok.lex = m.lex
	s.tok.run(text)
	lang, langConf := a.language(s)

	var r Result
	r.Lang = "other"
	if lang <= langEN {
		r.Lang = langCodes[lang]
	}
	r.LangConfidence = round3(langConf)
	s.extract(m.lex, lang)

	var scores [rowWidth]float32
	a.score(s.feats, &scores)

	// Sentiment: softmax over neg, neu, pos.
	var p [3]float64
	softmax(scores[colSentiment:colSentiment+3], p[:])
	best := argmax(p[:])
	r.Sentiment = Sentiments[best]
	r.SentimentScore = round3(p[2] - p[0])

	r.SpamScore = round3(sigmoid(scores[colSpam]))
	r.Spam = r.SpamScore >= 0.5

	var pi [6]float64
	softmax(scores[colIntent:colIntent+6], pi[:])
	bi := argmax(pi[:])
	r.Intent = Intents[bi]
	r.IntentConfidence = round3(pi[bi])

	r.NeedsResponseScore = round3(sigmoid(scores[colNeeds]))
	if r.Spam {
		r.Intent = "other"
		r.NeedsResponseScore = round3(r.NeedsResponseScore * (1 - r.SpamScore))
	}
	r.NeedsResponse = r.NeedsResponseScore >= 0.5

	if a.topics != nil {
		if s.matcher != a.topics {
			s.matcher, s.topicsBuf = a.topics, a.topics.NewScratch()
		}
		s.topics = a.topics.AppendMatches(s.topics[:0], text, r.Lang, s.topicsBuf)
		r.Topics = s.topics
	}
	return r
}

// language returns the text's language index and the confidence in it.
func (a *Analyzer) language(s *Scratch) (int, float64) {
	stops, foreign := s.langFeatures(a.model.lex)
	if s.tok.nwords == 0 {
		return a.fallback, 0
	}
	if foreign {
		return numLangs, 0 // neither French nor English
	}
	bestOther, otherHits := -1, 0
	for l := langES; l < numLangs; l++ {
		if stops[l] > otherHits {
			bestOther, otherHits = l, stops[l]
		}
	}
	if otherHits >= minOtherStops && otherHits > stops[langFR] && otherHits > stops[langEN] {
		return bestOther, float64(otherHits) / float64(otherHits+stops[langFR]+stops[langEN])
	}
	var z float32
	for _, f := range s.langFeats {
		z += a.model.lang[f.id] * f.v
	}
	pfr := sigmoid(z)
	if pfr >= 0.5 {
		return langFR, pfr
	}
	return langEN, 1 - pfr
}

// hashedWeight scales, per column, what word features weigh against the
// dense ones. Sentiment leans on the lexicons: with a few thousand training
// texts, a word seen once should not outvote them (cross-validation on the
// development data: sentiment macro-F1 rises from 0.75 to 0.78 on
// palabre's comments at 0.3, while intent and spam do best at 1).
var hashedWeight = [rowWidth]float32{
	colSentiment: 0.3, colSentiment + 1: 0.3, colSentiment + 2: 0.3,
	colSpam:   1,
	colIntent: 1, colIntent + 1: 1, colIntent + 2: 1, colIntent + 3: 1, colIntent + 4: 1, colIntent + 5: 1,
	colNeeds: 1,
}

// score adds every feature's weights, global and learned, into scores.
// Learned weights count in full: a CM's correction must not be damped.
func (a *Analyzer) score(feats []feat, scores *[rowWidth]float32) {
	w := a.model.main
	var dense, hashed [rowWidth]float32
	for _, f := range feats {
		i := int(f.id) * rowWidth
		row := (*[rowWidth]float32)(w[i : i+rowWidth])
		acc := &hashed
		if f.id < reservedRows {
			acc = &dense
		}
		for k := range usedColumns {
			acc[k] += row[k] * f.v
		}
	}
	for k := range usedColumns {
		scores[k] += dense[k] + hashedWeight[k]*hashed[k]
	}
	if a.overlay == nil || len(a.overlay.rows) == 0 {
		return
	}
	for _, f := range feats {
		if row, ok := a.overlay.rows[f.id]; ok {
			for k := range usedColumns {
				scores[k] += row[k] * f.v
			}
		}
	}
}

func sigmoid(z float32) float64 { return 1 / (1 + math.Exp(-float64(z))) }

func softmax(z []float32, p []float64) {
	hi := z[0]
	for _, v := range z[1:] {
		hi = max(hi, v)
	}
	var sum float64
	for i, v := range z {
		p[i] = math.Exp(float64(v - hi))
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
}

func argmax(p []float64) int {
	best := 0
	for i, v := range p {
		if v > p[best] {
			best = i
		}
	}
	return best
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
