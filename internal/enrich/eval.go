package enrich

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// Score is how one field did on one slice of the examples.
type Score struct {
	N        int     `json:"n"`
	Accuracy float64 `json:"accuracy"`
	MacroF1  float64 `json:"macro_f1"`
	// F1 per class, for yes/no fields the F1 of "true".
	F1 map[string]float64 `json:"f1"`
	// Confusion[gold][predicted] counts.
	Confusion map[string]map[string]int `json:"confusion"`
	Labels    []string                  `json:"labels"`
}

// Report is an evaluation: per field, scores over all examples, per
// language and per source.
type Report struct {
	Fields map[string]map[string]*Score `json:"fields"` // field → slice ("all", "lang=fr", "source=x", "lang>=20") → score
}

// Evaluation slices.
const (
	SliceAll = "all"
)

type tally struct {
	labels    []string
	confusion map[string]map[string]int
}

func (t *tally) add(gold, pred string) {
	if t.confusion == nil {
		t.confusion = map[string]map[string]int{}
	}
	row := t.confusion[gold]
	if row == nil {
		row = map[string]int{}
		t.confusion[gold] = row
	}
	row[pred]++
}

func (t *tally) score() *Score {
	s := &Score{F1: map[string]float64{}, Confusion: t.confusion, Labels: t.labels}
	var correct int
	for g, row := range t.confusion {
		for p, n := range row {
			s.N += n
			if g == p {
				correct += n
			}
		}
	}
	if s.N == 0 {
		return s
	}
	s.Accuracy = float64(correct) / float64(s.N)
	// Macro-F1 over the classes present in the gold labels; a yes/no field
	// reports the F1 of "true" as its F1 and the mean of both as macro.
	var sum float64
	var classes int
	for _, c := range t.labels {
		tp := t.confusion[c][c]
		var fp, fn int
		for g, row := range t.confusion {
			if g != c {
				fp += row[c]
			}
		}
		for p, n := range t.confusion[c] {
			if p != c {
				fn += n
			}
		}
		if tp+fn == 0 {
			continue // not in the gold labels of this slice
		}
		f1 := 0.0
		if tp > 0 {
			prec := float64(tp) / float64(tp+fp)
			rec := float64(tp) / float64(tp+fn)
			f1 = 2 * prec * rec / (prec + rec)
		}
		s.F1[c] = f1
		sum += f1
		classes++
	}
	if classes > 0 {
		s.MacroF1 = sum / float64(classes)
	}
	return s
}

// Evaluate analyses every example with a and scores each labelled field.
func Evaluate(a *Analyzer, examples []Example) *Report {
	return evaluateResults(examples, predict(a, examples))
}

// predict analyses every example's text. Topics are dropped: no labelled
// set has them, and a Result's topics live only until the next analysis.
func predict(a *Analyzer, examples []Example) []Result {
	s := NewScratch(a.model)
	preds := make([]Result, len(examples))
	for i, e := range examples {
		preds[i] = a.Analyze(s, e.Text)
		preds[i].Topics = nil
	}
	return preds
}

// evaluateResults scores predictions against the examples' labels.
func evaluateResults(examples []Example, preds []Result) *Report {
	tallies := map[string]map[string]*tally{}
	add := func(field, slice string, labels []string, gold, pred string) {
		if tallies[field] == nil {
			tallies[field] = map[string]*tally{}
		}
		t := tallies[field][slice]
		if t == nil {
			t = &tally{labels: labels}
			tallies[field][slice] = t
		}
		t.add(gold, pred)
	}
	langs := []string{"fr", "en", "other"}
	yn := []string{"true", "false"}
	for i, e := range examples {
		r := preds[i]
		slices := []string{SliceAll, "lang=" + e.Lang, "source=" + e.Source}
		if g := sourceGroup(e.Source); g != "" {
			slices = append(slices, "sources="+g)
		}
		record := func(field string, labels []string, gold, pred string) {
			for _, sl := range slices {
				add(field, sl, labels, gold, pred)
			}
		}
		if e.Lang != "" {
			record("lang", langs, e.Lang, r.Lang)
			if utf8.RuneCountInString(e.Text) >= 20 {
				add("lang", "chars>=20", langs, e.Lang, r.Lang)
			}
		}
		if e.Sentiment != "" {
			record("sentiment", Sentiments[:], e.Sentiment, r.Sentiment)
		}
		if e.Spam != nil {
			record("spam", yn, fmt.Sprint(*e.Spam), fmt.Sprint(r.Spam))
		}
		if e.Intent != "" {
			record("intent", Intents[:], e.Intent, r.Intent)
		}
		if e.NeedsResponse != nil {
			record("needs_response", yn, fmt.Sprint(*e.NeedsResponse), fmt.Sprint(r.NeedsResponse))
		}
	}
	rep := &Report{Fields: map[string]map[string]*Score{}}
	for field, bySlice := range tallies {
		rep.Fields[field] = map[string]*Score{}
		for sl, t := range bySlice {
			sc := t.score()
			if field == "spam" || field == "needs_response" {
				// For yes/no fields the usual F1 is the positive class's.
				sc.MacroF1 = (sc.F1["true"] + sc.F1["false"]) / 2
			}
			rep.Fields[field][sl] = sc
		}
	}
	return rep
}

// Print writes the report as aligned text: for each field, one line per
// slice, then the confusion matrix over all examples.
func (r *Report) Print(w io.Writer) {
	fields := make([]string, 0, len(r.Fields))
	for f := range r.Fields {
		fields = append(fields, f)
	}
	order := map[string]int{"lang": 0, "sentiment": 1, "spam": 2, "intent": 3, "needs_response": 4}
	sort.Slice(fields, func(i, j int) bool { return order[fields[i]] < order[fields[j]] })
	for _, f := range fields {
		fmt.Fprintf(w, "== %s\n", f)
		slices := make([]string, 0, len(r.Fields[f]))
		for sl := range r.Fields[f] {
			slices = append(slices, sl)
		}
		sort.Slice(slices, func(i, j int) bool {
			if (slices[i] == SliceAll) != (slices[j] == SliceAll) {
				return slices[i] == SliceAll
			}
			return slices[i] < slices[j]
		})
		fmt.Fprintf(w, "%-36s %6s %9s %9s  %s\n", "slice", "n", "accuracy", "macro-F1", "F1 per class")
		for _, sl := range slices {
			sc := r.Fields[f][sl]
			var per []string
			for _, l := range sc.Labels {
				if v, ok := sc.F1[l]; ok {
					per = append(per, fmt.Sprintf("%s %.3f", l, v))
				}
			}
			fmt.Fprintf(w, "%-36s %6d %9.3f %9.3f  %s\n", sl, sc.N, sc.Accuracy, sc.MacroF1, strings.Join(per, ", "))
		}
		all := r.Fields[f][SliceAll]
		fmt.Fprintf(w, "confusion (rows gold, columns predicted):\n%-12s", "")
		for _, l := range all.Labels {
			fmt.Fprintf(w, " %9s", l)
		}
		fmt.Fprintln(w)
		for _, g := range all.Labels {
			if all.Confusion[g] == nil {
				continue
			}
			fmt.Fprintf(w, "%-12s", g)
			for _, p := range all.Labels {
				fmt.Fprintf(w, " %9d", all.Confusion[g][p])
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w)
	}
}

// sourceGroup names the family of a source whose name ends in a part
// ("uci-sentiment-yelp" → "uci-sentiment-*", "xed-en-neutral" →
// "xed-en-*"), so that families are scored as a whole; "" when the name
// has a single part.
func sourceGroup(source string) string {
	i := strings.LastIndexByte(source, '-')
	if i <= 0 {
		return ""
	}
	return source[:i] + "-*"
}
