package enrich

import (
	"fmt"
	"maps"
)

// Fields a CM can correct.
const (
	FieldSentiment     = "sentiment"
	FieldIntent        = "intent"
	FieldSpam          = "spam"
	FieldNeedsResponse = "needs_response"
)

// Correction is a CM's verdict on one field of one text.
type Correction struct {
	Field string // FieldSentiment, FieldIntent, FieldSpam or FieldNeedsResponse
	Value string // a label: "neg", "question", "true", …
	Text  string
}

// Validate reports whether the correction names a known field and value.
func (c Correction) Validate() error {
	_, _, _, err := c.target()
	return err
}

// target returns the first column of the corrected field, the number of
// its classes (1 for a yes/no field) and the wanted class (for yes/no
// fields: 1 yes, 0 no).
func (c Correction) target() (col, classes, want int, err error) {
	switch c.Field {
	case FieldSentiment:
		for i, l := range Sentiments {
			if l == c.Value {
				return colSentiment, 3, i, nil
			}
		}
		return 0, 0, 0, fmt.Errorf("sentiment %q: want neg, neu or pos", c.Value)
	case FieldIntent:
		for i, l := range Intents {
			if l == c.Value {
				return colIntent, 6, i, nil
			}
		}
		return 0, 0, 0, fmt.Errorf("intent %q: want question, complaint, request, praise, feedback or other", c.Value)
	case FieldSpam, FieldNeedsResponse:
		col := colSpam
		if c.Field == FieldNeedsResponse {
			col = colNeeds
		}
		switch c.Value {
		case "true":
			return col, 1, 1, nil
		case "false":
			return col, 1, 0, nil
		}
		return 0, 0, 0, fmt.Errorf("%s %q: want true or false", c.Field, c.Value)
	}
	return 0, 0, 0, fmt.Errorf("field %q cannot be corrected: want sentiment, intent, spam or needs_response", c.Field)
}

// Overlay is what one workspace learned from its corrections: weights added
// to the global model's for the words of corrected texts. It is immutable;
// Learn returns a new one.
type Overlay struct {
	rows map[uint32]*[rowWidth]float32
	n    int // corrections learned
}

// Len is the number of corrections the overlay learned.
func (o *Overlay) Len() int {
	if o == nil {
		return 0
	}
	return o.n
}

// Learning parameters: a correction is learned until the corrected text
// gets the corrected label with this margin (in logits), in at most this
// many passive-aggressive steps. A wide margin carries the correction to
// similar texts, which share most but not all of its words.
const (
	learnMargin = 3.0
	learnSteps  = 8
)

// Learn returns a copy of a that also learned cs, in order.
func (a *Analyzer) Learn(cs ...Correction) (*Analyzer, error) {
	ov := &Overlay{rows: map[uint32]*[rowWidth]float32{}}
	if a.overlay != nil {
		ov.rows = maps.Clone(a.overlay.rows)
		ov.n = a.overlay.n
	}
	next := &Analyzer{model: a.model, overlay: ov, topics: a.topics, fallback: a.fallback}
	copied := map[uint32]bool{}
	s := NewScratch(a.model)
	for _, c := range cs {
		col, classes, want, err := c.target()
		if err != nil {
			return nil, err
		}
		s.tok.lex = a.model.lex
		s.tok.run(c.Text)
		lang, _ := next.language(s)
		s.extract(a.model.lex, lang)
		for range learnSteps {
			var scores [rowWidth]float32
			next.score(s.feats, &scores)
			dir, other, loss := stepDirection(scores[col:col+classes], want)
			if loss <= 0 {
				break
			}
			// Only word features learn: the bias and the dense features
			// would move every message of the workspace.
			var norm float32
			for _, f := range s.feats {
				if f.id >= reservedRows {
					norm += f.v * f.v
				}
			}
			if norm == 0 {
				break
			}
			step := loss / (2 * norm)
			if classes == 1 {
				step = loss / norm
			}
			for _, f := range s.feats {
				if f.id < reservedRows {
					continue
				}
				row := ov.rows[f.id]
				if !copied[f.id] {
					fresh := new([rowWidth]float32)
					if row != nil {
						*fresh = *row
					}
					row = fresh
					ov.rows[f.id] = row
					copied[f.id] = true
				}
				if classes == 1 {
					row[col] += dir * step * f.v
					continue
				}
				row[col+want] += step * f.v
				row[col+other] -= step * f.v
			}
		}
		ov.n++
	}
	return next, nil
}

// stepDirection returns, for scores of one field and the wanted class, the
// direction of a yes/no update (+1 or -1), the strongest wrong class of a
// multi-class field, and how far the margin is from learnMargin.
func stepDirection(scores []float32, want int) (dir float32, other int, loss float32) {
	if len(scores) == 1 {
		dir = -1
		if want == 1 {
			dir = 1
		}
		return dir, 0, learnMargin - dir*scores[0]
	}
	other = -1
	for i, v := range scores {
		if i != want && (other < 0 || v > scores[other]) {
			other = i
		}
	}
	return 0, other, learnMargin - (scores[want] - scores[other])
}
