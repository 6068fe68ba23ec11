// Package insights reads what a community said over a period, for
// marketing and R&D: per topic, the messages that say best what most
// say (representative quotes), the questions asked most often (similar
// questions counted together), and the terms that came up far more than
// in the period before (emerging terms). Words are compared by their
// stems (Snowball, French or English by the message's language), folded
// and without the function words of either language. It does no I/O.
package insights

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/french"

	"palabre/internal/textfold"
)

// Message is a customer's message as insights read it.
type Message struct {
	ID, ConversationID int64
	At                 time.Time
	Lang               string // "fr", "en", … ("" reads as English)
	Author             string
	Body               string
	Intent, Sentiment  string
	Topics             []string
}

// Quote is a message shown as said, its text clipped to MaxQuote runes.
type Quote struct {
	MessageID      int64     `json:"message_id"`
	ConversationID int64     `json:"conversation_id"`
	At             time.Time `json:"at"`
	Author         string    `json:"author"`
	Sentiment      string    `json:"sentiment,omitempty"`
	Text           string    `json:"text"`
}

// Question is a question asked, with how many questions of the period
// asked much the same (itself included).
type Question struct {
	Quote
	Count int `json:"count"`
}

// Term is a word that came up: in how many messages of the period and of
// the period before.
type Term struct {
	Term   string `json:"term"`
	Now    int    `json:"now"`
	Before int    `json:"before"`
}

// Topic is what was said about one topic ("" for every message).
type Topic struct {
	Topic     string     `json:"topic"`
	Messages  int        `json:"messages"`
	Quotes    []Quote    `json:"quotes"`
	Questions []Question `json:"questions"`
	Emerging  []Term     `json:"emerging"`
}

// Limits of what a topic shows.
const (
	MaxQuote     = 280 // runes of a quote
	MaxQuotes    = 3
	MaxQuestions = 5
	MaxTerms     = 10
	// MinEmerging is how many messages of the period a term must be in
	// to be emerging; EmergingRatio how many times more often than
	// before (in share of messages, smoothed).
	MinEmerging   = 3
	EmergingRatio = 2.0
	// sameQuestion is the similarity (cosine of their stems) from which
	// two questions count as one.
	sameQuestion = 0.4
	// sameQuote keeps two quotes from saying the same.
	sameQuote = 0.8
)

// Compute reads the messages of a period (now) against those of the
// period before: every message first (Topic ""), then each topic, by
// how many messages it has.
func Compute(now, before []Message) []Topic {
	docs, prev := analyse(now), analyse(before)
	topics := map[string][]*doc{}
	prevTopics := map[string][]*doc{}
	for _, d := range docs {
		for _, t := range d.msg.Topics {
			topics[t] = append(topics[t], d)
		}
	}
	for _, d := range prev {
		for _, t := range d.msg.Topics {
			prevTopics[t] = append(prevTopics[t], d)
		}
	}
	names := make([]string, 0, len(topics))
	for t := range topics {
		names = append(names, t)
	}
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(topics[b]), len(topics[a])), strings.Compare(a, b))
	})
	out := []Topic{topic("", docs, prev)}
	for _, t := range names {
		out = append(out, topic(t, topics[t], prevTopics[t]))
	}
	return out
}

// doc is a message with its stems (a unit vector of their counts) and
// the surface of each stem.
type doc struct {
	msg     Message
	vec     map[string]float64
	surface map[string]string
}

func analyse(msgs []Message) []*doc {
	out := make([]*doc, 0, len(msgs))
	for _, m := range msgs {
		d := &doc{msg: m, vec: map[string]float64{}, surface: map[string]string{}}
		words(m.Body, func(w string) {
			s := stem(w, m.Lang)
			d.vec[s]++
			if _, ok := d.surface[s]; !ok {
				d.surface[s] = w
			}
		})
		if len(d.vec) == 0 {
			out = append(out, d)
			continue
		}
		norm := 0.0
		for _, v := range d.vec {
			norm += v * v
		}
		norm = math.Sqrt(norm)
		for s := range d.vec {
			d.vec[s] /= norm
		}
		out = append(out, d)
	}
	return out
}

func topic(name string, docs, prev []*doc) Topic {
	return Topic{Topic: name, Messages: len(docs), Quotes: quotes(docs), Questions: questions(docs), Emerging: emerging(docs, prev)}
}

// quotes picks the messages nearest the centre of docs (cosine to the sum
// of their vectors), of a readable length, none saying what another says.
func quotes(docs []*doc) []Quote {
	centre := map[string]float64{}
	for _, d := range docs {
		for s, v := range d.vec {
			centre[s] += v
		}
	}
	type scored struct {
		d     *doc
		score float64
	}
	var cands []scored
	for _, d := range docs {
		n := utf8.RuneCountInString(strings.TrimSpace(d.msg.Body))
		if len(d.vec) < 3 || n < 20 {
			continue
		}
		score := cosine(d.vec, centre)
		if n > 2*MaxQuote {
			score *= 0.8 // a long message says many things
		}
		cands = append(cands, scored{d, score})
	}
	slices.SortStableFunc(cands, func(a, b scored) int {
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.d.msg.ID, b.d.msg.ID))
	})
	out := []Quote{}
	var taken []*doc
	for _, c := range cands {
		if len(out) == MaxQuotes {
			break
		}
		if slices.ContainsFunc(taken, func(t *doc) bool { return cosine(t.vec, c.d.vec) >= sameQuote }) {
			continue
		}
		taken = append(taken, c.d)
		out = append(out, quoteOf(c.d.msg))
	}
	return out
}

// questions groups the questions of docs that ask much the same, each
// group shown by its first question, the largest groups first.
func questions(docs []*doc) []Question {
	type group struct {
		lead  *doc
		count int
	}
	var groups []*group
	for _, d := range docs {
		if d.msg.Intent != "question" || len(d.vec) == 0 {
			continue
		}
		var best *group
		bestSim := sameQuestion
		for _, g := range groups {
			if sim := cosine(g.lead.vec, d.vec); sim >= bestSim {
				best, bestSim = g, sim
			}
		}
		if best == nil {
			groups = append(groups, &group{lead: d, count: 1})
			continue
		}
		best.count++
	}
	slices.SortStableFunc(groups, func(a, b *group) int { return cmp.Compare(b.count, a.count) })
	out := []Question{}
	for _, g := range groups[:min(len(groups), MaxQuestions)] {
		out = append(out, Question{Quote: quoteOf(g.lead.msg), Count: g.count})
	}
	return out
}

// emerging finds the stems in a far greater share of docs than of prev;
// none when there is nothing before to compare with.
func emerging(docs, prev []*doc) []Term {
	if len(prev) == 0 {
		return []Term{}
	}
	now, before := frequency(docs), frequency(prev)
	surface := map[string]map[string]int{}
	for _, d := range docs {
		for s, w := range d.surface {
			if surface[s] == nil {
				surface[s] = map[string]int{}
			}
			surface[s][w]++
		}
	}
	type scored struct {
		stem  string
		score float64
	}
	var cands []scored
	n, m := float64(len(docs)), float64(len(prev))
	for s, c := range now {
		if c < MinEmerging {
			continue
		}
		score := ((float64(c) + 0.5) / (n + 1)) / ((float64(before[s]) + 0.5) / (m + 1))
		if score >= EmergingRatio {
			cands = append(cands, scored{s, score})
		}
	}
	slices.SortFunc(cands, func(a, b scored) int {
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(now[b.stem], now[a.stem]), strings.Compare(a.stem, b.stem))
	})
	out := []Term{}
	for _, c := range cands[:min(len(cands), MaxTerms)] {
		out = append(out, Term{Term: mostFrequent(surface[c.stem]), Now: now[c.stem], Before: before[c.stem]})
	}
	return out
}

// frequency counts the docs each stem is in.
func frequency(docs []*doc) map[string]int {
	out := map[string]int{}
	for _, d := range docs {
		for s := range d.vec {
			out[s]++
		}
	}
	return out
}

func mostFrequent(words map[string]int) string {
	best := ""
	for w, c := range words {
		if best == "" || c > words[best] || (c == words[best] && w < best) {
			best = w
		}
	}
	return best
}

func cosine(a, b map[string]float64) float64 {
	if len(a) > len(b) {
		a, b = b, a
	}
	dot, nb := 0.0, 0.0
	for s, v := range a {
		dot += v * b[s]
	}
	for _, v := range b {
		nb += v * v
	}
	na := 0.0
	for _, v := range a {
		na += v * v
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

func quoteOf(m Message) Quote {
	text := strings.Join(strings.Fields(m.Body), " ")
	if utf8.RuneCountInString(text) > MaxQuote {
		r := []rune(text)[:MaxQuote-1]
		text = strings.TrimRightFunc(string(r), unicode.IsSpace) + "…"
	}
	return Quote{MessageID: m.ID, ConversationID: m.ConversationID, At: m.At, Author: m.Author, Sentiment: m.Sentiment, Text: text}
}

// words calls fn with each content word of text, lower-cased: three
// letters or more, not a function word (compared folded).
func words(text string, fn func(string)) {
	var b strings.Builder
	letters := 0
	flush := func() {
		w := b.String()
		b.Reset()
		if letters >= 3 && len(w) <= 60 && !stopwords[fold(w)] {
			fn(w)
		}
		letters = 0
	}
	for _, r := range text {
		switch {
		case unicode.IsLetter(r) || unicode.IsMark(r) && b.Len() > 0:
			if unicode.IsLetter(r) {
				letters++
			}
			b.WriteRune(unicode.ToLower(r))
		case r == '\'' || r == '’':
			b.Reset() // l'atelier, d'accord: the word after the elision
			letters = 0
		default:
			flush()
		}
	}
	flush()
}

// fold spells a lower-cased word without accents.
func fold(w string) string {
	var b strings.Builder
	for _, r := range w {
		if f := textfold.Rune(r); f != "" {
			b.WriteString(f)
		} else if !unicode.IsMark(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// stem is the Snowball stem of a lower-cased word in the message's
// language (French reads accents), folded.
func stem(w, lang string) string {
	if lang == "fr" {
		// Snowball leaves the plural of short words ("vélos"): it goes
		// first.
		if n := len(w); n > 4 && (w[n-1] == 's' || w[n-1] == 'x') {
			w = w[:n-1]
		}
		return fold(french.Stem(w, false))
	}
	return english.Stem(fold(w), false)
}
