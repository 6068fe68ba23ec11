package enrich

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
)

// Example is one labelled text, in the line format of the labelled sets
// (../shared/data/nlp/dev.jsonl, data/comments/*.jsonl). A label left out
// is not known and neither trains nor scores that field.
type Example struct {
	ID            string `json:"id"`
	Text          string `json:"text"`
	Lang          string `json:"lang,omitempty"`
	Sentiment     string `json:"sentiment,omitempty"`
	Spam          *bool  `json:"spam,omitempty"`
	Intent        string `json:"intent,omitempty"`
	NeedsResponse *bool  `json:"needs_response,omitempty"`
	Source        string `json:"source,omitempty"`
}

// ReadExamples reads labelled lines. A line that is not a JSON object with
// a text, or has an unknown label, is an error naming the line.
func ReadExamples(r io.Reader, name string) ([]Example, error) {
	var out []Example
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var e Example
		if err := json.Unmarshal([]byte(text), &e); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", name, line, err)
		}
		if err := e.validate(); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", name, line, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s line %d: %w", name, line+1, err)
	}
	return out, nil
}

func (e Example) validate() error {
	if e.Text == "" {
		return fmt.Errorf("no text")
	}
	switch e.Lang {
	case "", "fr", "en", "other":
	default:
		return fmt.Errorf("lang %q: want fr, en or other", e.Lang)
	}
	if e.Sentiment != "" {
		if err := (Correction{Field: FieldSentiment, Value: e.Sentiment}).Validate(); err != nil {
			return err
		}
	}
	if e.Intent != "" {
		if err := (Correction{Field: FieldIntent, Value: e.Intent}).Validate(); err != nil {
			return err
		}
	}
	return nil
}

// TrainOptions tune training. The zero value means the defaults, which are
// what the embedded model was trained with.
type TrainOptions struct {
	Epochs       int     // passes over the data (default 25)
	LearningRate float32 // AdaGrad base rate (default 0.2)
	L2           float32 // weight decay per update (default 1e-5)
	Seed         uint64  // shuffling seed (default 20261125)
}

func (o *TrainOptions) defaults() {
	if o.Epochs == 0 {
		o.Epochs = 25
	}
	if o.LearningRate == 0 {
		o.LearningRate = 0.2
	}
	if o.L2 == 0 {
		o.L2 = 1e-5
	}
	if o.Seed == 0 {
		o.Seed = 20261125
	}
}

// Train fits a model's weights to labelled examples. The result depends
// only on the examples, their order and the options.
func Train(examples []Example, opt TrainOptions) (*Model, error) {
	opt.defaults()
	m, err := newModel()
	if err != nil {
		return nil, err
	}
	a := NewAnalyzer(m, nil, nil)
	s := NewScratch(m)
	rng := rand.New(rand.NewPCG(opt.Seed, opt.Seed^0x5eed))

	// Language first: the other fields are learned on the language the
	// analyzer will detect, as it will at run time.
	type sample struct {
		feats []feat
		label int // class, or 1/0 for yes/no fields
	}
	var langSet []sample
	for _, e := range examples {
		if e.Lang != "fr" && e.Lang != "en" {
			continue
		}
		s.tok.lex = m.lex
		s.tok.run(e.Text)
		s.langFeatures(m.lex)
		y := 0
		if e.Lang == "fr" {
			y = 1
		}
		langSet = append(langSet, sample{feats: append([]feat(nil), s.langFeats...), label: y})
	}
	langAcc := make([]float32, len(m.lang))
	order := make([]int, 0, len(examples))
	for range opt.Epochs {
		order = shuffled(order, len(langSet), rng)
		for _, i := range order {
			ex := langSet[i]
			var z float32
			for _, f := range ex.feats {
				z += m.lang[f.id] * f.v
			}
			g := float32(sigmoid(z)) - float32(ex.label)
			for _, f := range ex.feats {
				grad := g*f.v + opt.L2*m.lang[f.id]
				langAcc[f.id] += grad * grad
				m.lang[f.id] -= opt.LearningRate * grad / float32(math.Sqrt(float64(langAcc[f.id])+1e-8))
			}
		}
	}

	heads := []struct {
		col, classes int
		label        func(Example) (int, bool)
	}{
		{colSentiment, 3, func(e Example) (int, bool) { return classOf(Sentiments[:], e.Sentiment) }},
		{colSpam, 1, func(e Example) (int, bool) { return yesNo(e.Spam) }},
		{colIntent, 6, func(e Example) (int, bool) { return classOf(Intents[:], e.Intent) }},
		{colNeeds, 1, func(e Example) (int, bool) { return yesNo(e.NeedsResponse) }},
	}
	feats := make([][]feat, len(examples))
	for i, e := range examples {
		s.tok.lex = m.lex
		s.tok.run(e.Text)
		lang, _ := a.language(s)
		s.extract(m.lex, lang)
		feats[i] = append([]feat(nil), s.feats...)
	}
	acc := make([]float32, len(m.main))
	for _, h := range heads {
		var set []sample
		counts := make([]int, max(h.classes, 2))
		for i, e := range examples {
			if y, ok := h.label(e); ok {
				set = append(set, sample{feats: feats[i], label: y})
				counts[y]++
			}
		}
		if len(set) == 0 {
			continue
		}
		// Classes weigh in inverse proportion to their frequency, so that
		// a rare class is not drowned (macro-F1 counts every class alike).
		weight := make([]float32, len(counts))
		for c, n := range counts {
			if n > 0 {
				weight[c] = float32(len(set)) / float32(len(counts)*n)
			}
		}
		var p [6]float64
		var grad [6]float32
		for range opt.Epochs {
			order = shuffled(order, len(set), rng)
			for _, i := range order {
				ex := set[i]
				var scores [rowWidth]float32
				a.score(ex.feats, &scores)
				if h.classes == 1 {
					grad[0] = (float32(sigmoid(scores[h.col])) - float32(ex.label)) * weight[ex.label]
				} else {
					softmax(scores[h.col:h.col+h.classes], p[:h.classes])
					for k := range h.classes {
						y := float32(0)
						if k == ex.label {
							y = 1
						}
						grad[k] = (float32(p[k]) - y) * weight[ex.label]
					}
				}
				for _, f := range ex.feats {
					base := int(f.id) * rowWidth
					for k := range h.classes {
						j := base + h.col + k
						v := f.v
						if f.id >= reservedRows {
							v *= hashedWeight[h.col+k]
						}
						g := grad[k]*v + opt.L2*m.main[j]
						acc[j] += g * g
						m.main[j] -= opt.LearningRate * g / float32(math.Sqrt(float64(acc[j])+1e-8))
					}
				}
			}
		}
	}
	return m, nil
}

func shuffled(order []int, n int, rng *rand.Rand) []int {
	order = order[:0]
	for i := range n {
		order = append(order, i)
	}
	rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	return order
}

func classOf(labels []string, v string) (int, bool) {
	for i, l := range labels {
		if l == v {
			return i, true
		}
	}
	return 0, false
}

func yesNo(b *bool) (int, bool) {
	if b == nil {
		return 0, false
	}
	if *b {
		return 1, true
	}
	return 0, true
}

// CrossValidate trains k models, each on all examples but one k-th, and
// evaluates each on the k-th it did not see; the report sums the k
// evaluations. It is how training choices are tuned without a test set.
func CrossValidate(examples []Example, k int, opt TrainOptions) (*Report, error) {
	if k < 2 || k > len(examples) {
		return nil, fmt.Errorf("cross-validation: %d folds for %d examples", k, len(examples))
	}
	var held []Example
	var preds []Result
	for fold := range k {
		var train, test []Example
		for i, e := range examples {
			if i%k == fold {
				test = append(test, e)
			} else {
				train = append(train, e)
			}
		}
		m, err := Train(train, opt)
		if err != nil {
			return nil, err
		}
		held = append(held, test...)
		preds = append(preds, predict(NewAnalyzer(m, nil, nil), test)...)
	}
	return evaluateResults(held, preds), nil
}
