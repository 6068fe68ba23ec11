package insights

import (
	"testing"
	"unicode/utf8"
)

// FuzzCompute reads any text as messages: no panic, and quotes stay
// valid UTF-8 within MaxQuote runes.
func FuzzCompute(f *testing.F) {
	f.Add("Quels sont vos horaires d'ouverture le samedi ?", "fr", "question")
	f.Add("l'\u0301a\u0301\u0301 ’’ vélos VÉLOS ǅ ﬁ", "fr", "question")
	f.Add("\xff\xfe broken \xc3", "en", "other")
	f.Fuzz(func(t *testing.T, body, lang, intent string) {
		msgs := []Message{{ID: 1, Body: body, Lang: lang, Intent: intent, Topics: []string{"x"}},
			{ID: 2, Body: body + " " + body, Lang: lang, Intent: "question", Topics: []string{"x"}}}
		for _, tp := range Compute(msgs, msgs[:1]) {
			for _, q := range tp.Quotes {
				if !utf8.ValidString(q.Text) && utf8.ValidString(body) || utf8.RuneCountInString(q.Text) > MaxQuote {
					t.Fatalf("quote %q", q.Text)
				}
			}
		}
	})
}
