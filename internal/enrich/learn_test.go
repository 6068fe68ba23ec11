package enrich

import (
	"strings"
	"testing"
)

// otherLabel returns a label of the field other than current.
func otherLabel(field, current string) string {
	switch field {
	case FieldSentiment:
		for _, l := range Sentiments {
			if l != current {
				return l
			}
		}
	case FieldIntent:
		for _, l := range Intents {
			if l != current {
				return l
			}
		}
	}
	if current == "true" {
		return "false"
	}
	return "true"
}

func label(r Result, field string) string {
	switch field {
	case FieldSentiment:
		return r.Sentiment
	case FieldIntent:
		return r.Intent
	case FieldSpam:
		if r.Spam {
			return "true"
		}
		return "false"
	}
	if r.NeedsResponse {
		return "true"
	}
	return "false"
}

func TestLearnFollowsCorrections(t *testing.T) {
	base := defaultAnalyzer(t)
	s := NewScratch(base.Model())
	corrected := "La nouvelle crème hydratante de la gamme Aloé laisse un film collant sur la peau"
	similar := "la crème hydratante Aloé laisse vraiment un film collant"
	unrelated := "Horaires d'ouverture du magasin de Lyon pendant les fêtes de fin d'année"
	for _, field := range []string{FieldSentiment, FieldIntent, FieldNeedsResponse} {
		t.Run(field, func(t *testing.T) {
			before := label(base.Analyze(s, corrected), field)
			want := otherLabel(field, before)
			unrelatedBefore := base.Analyze(s, unrelated)
			learned, err := base.Learn(Correction{Field: field, Value: want, Text: corrected})
			if err != nil {
				t.Fatal(err)
			}
			if got := label(learned.Analyze(s, corrected), field); got != want {
				t.Errorf("corrected text: %s %q after learning, want %q", field, got, want)
			}
			if got := label(learned.Analyze(s, similar), field); got != want {
				t.Errorf("similar text: %s %q after learning, want %q", field, got, want)
			}
			if got := label(learned.Analyze(s, unrelated), field); got != label(unrelatedBefore, field) {
				t.Errorf("unrelated text: %s moved from %q to %q", field, label(unrelatedBefore, field), got)
			}
			// The analyzer learned from is unchanged: another workspace
			// sharing the global model sees nothing of the correction.
			if got := label(base.Analyze(s, corrected), field); got != before {
				t.Errorf("the original analyzer changed: %s %q, was %q", field, got, before)
			}
			if learned.Overlay().Len() != 1 || base.Overlay().Len() != 0 {
				t.Errorf("overlay lengths %d and %d, want 1 and 0", learned.Overlay().Len(), base.Overlay().Len())
			}
		})
	}
}

func TestLearnSpam(t *testing.T) {
	base := defaultAnalyzer(t)
	s := NewScratch(base.Model())
	text := "Découvrez nos offres exclusives sur notre boutique partenaire, livraison offerte ce week-end"
	want := otherLabel(FieldSpam, label(base.Analyze(s, text), FieldSpam))
	learned, err := base.Learn(Correction{Field: FieldSpam, Value: want, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	if got := label(learned.Analyze(s, text), FieldSpam); got != want {
		t.Errorf("spam %s after learning, want %s", got, want)
	}
}

func TestLearnIsCumulativeAndOrdered(t *testing.T) {
	base := defaultAnalyzer(t)
	s := NewScratch(base.Model())
	text := "Le service après-vente m'a rappelé dans l'heure"
	// Two successive corrections of the same text: the last one wins.
	a, err := base.Learn(Correction{Field: FieldSentiment, Value: "neg", Text: text})
	if err != nil {
		t.Fatal(err)
	}
	b, err := a.Learn(Correction{Field: FieldSentiment, Value: "pos", Text: text})
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Analyze(s, text).Sentiment; got != "pos" {
		t.Errorf("after neg then pos: %s, want pos", got)
	}
	if got := a.Analyze(s, text).Sentiment; got != "neg" {
		t.Errorf("learning again changed the earlier analyzer: %s, want neg", got)
	}
	// Replaying both at once gives the same analyzer as one by one.
	c, err := base.Learn(Correction{Field: FieldSentiment, Value: "neg", Text: text}, Correction{Field: FieldSentiment, Value: "pos", Text: text})
	if err != nil {
		t.Fatal(err)
	}
	if rb, rc := b.Analyze(s, text), c.Analyze(s, text); rb.SentimentScore != rc.SentimentScore {
		t.Errorf("replayed %v, one by one %v", rc.SentimentScore, rb.SentimentScore)
	}
}

func TestCorrectionValidate(t *testing.T) {
	for _, c := range []Correction{
		{Field: "mood", Value: "pos"}, {Field: FieldSentiment, Value: "happy"}, {Field: FieldIntent, Value: "rant"},
		{Field: FieldSpam, Value: "yes"}, {Field: FieldNeedsResponse, Value: "1"}, {Field: "", Value: ""},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v: no error", c)
		}
		if _, err := defaultAnalyzer(t).Learn(c); err == nil || !strings.Contains(err.Error(), "want") {
			t.Errorf("%+v: Learn error %v, want one saying what is expected", c, err)
		}
	}
	for _, c := range []Correction{
		{Field: FieldSentiment, Value: "neu"}, {Field: FieldIntent, Value: "feedback"},
		{Field: FieldSpam, Value: "false"}, {Field: FieldNeedsResponse, Value: "true"},
	} {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
}
