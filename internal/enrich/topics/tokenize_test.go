package topics

import (
	"slices"
	"strings"
	"testing"
)

// tokens lists what the tokeniser sees in text: words, "<url>" and
// "<long>".
func tokens(text string) []string {
	tok := tokenizer{text: text, buf: []byte{0}}
	var out []string
	for {
		kind, w := tok.next()
		switch kind {
		case tokEnd:
			return out
		case tokWord:
			out = append(out, string(w[1:]))
		case tokURL:
			out = append(out, "<url>")
		case tokLong:
			out = append(out, "<long>")
		}
	}
}

func TestTokenizer(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", maxWordBytes+1)
	cases := []struct {
		text string
		want []string
	}{
		{"", nil},
		{"  ,;! ", nil},
		{"Crème BRÛLÉE", []string{"creme", "brulee"}},
		{"cre\u0300me", []string{"creme"}}, // decomposed accent
		{"Œuvre, cœur, STRAßE, Æsop", []string{"oeuvre", "coeur", "strasse", "aesop"}},
		{"Łódź Ørsted ﬁnal Việt", []string{"lodz", "orsted", "final", "viet"}},
		{"l'appli d’Orange", []string{"l", "appli", "d", "orange"}},
		{"service après-vente", []string{"service", "apres", "vente"}},
		{"3 colis, 2x", []string{"3", "colis", "2x"}},
		{"Москва ΑΘΉΝΑ", []string{"москва", "αθήνα"}}, // other scripts: lower-cased, accents kept
		{"@livraison #colis", []string{"livraison", "colis"}},
		{"mail: ana@example.org", []string{"mail", "ana", "example", "org"}},
		{"voir https://ex.com/colis?a=1 ici", []string{"voir", "<url>", "ici"}},
		{"HTTP://EX.COM/x", []string{"<url>"}},
		{"www.creme.fr, merci", []string{"<url>", "merci"}},
		{"(https://ex.com/a)", []string{"<url>"}},
		{"xhttp://ex", []string{"xhttp", "ex"}}, // not at a word's start
		{"http colis", []string{"http", "colis"}},
		{"<b>carte</b><i>bancaire</i>", []string{"carte", "bancaire"}},
		{`<a href="https://ex.com/colis">lien</a>`, []string{"lien"}},
		{"a < b et c > d", []string{"a", "b", "et", "c", "d"}},
		{"<b unclosed colis", []string{"b", "unclosed", "colis"}},
		{"cr&egrave;me &amp; colis&#233;&#xE9;x", []string{"cr", "me", "colis", "x"}},
		{"R&D & co;", []string{"r", "d", "co"}},
		{long + " colis", []string{"<long>", "colis"}},
		{strings.Repeat("é", maxWordBytes) + " colis", []string{strings.Repeat("e", maxWordBytes), "colis"}},
		{"bad\xffutf8", []string{"bad", "utf8"}},
	}
	for _, c := range cases {
		if got := tokens(c.text); !slices.Equal(got, c.want) {
			t.Errorf("tokens(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

func TestStemMode(t *testing.T) {
	t.Parallel()
	for lang, want := range map[string]byte{
		"fr": stemFrench, "FR": stemFrench, "fr-CA": stemFrench, "fr_BE": stemFrench,
		"en": stemEnglish, "en-GB": stemEnglish,
		"": stemEither, "f": stemEither, "fra": stemEither, "de": stemEither, "und": stemEither,
	} {
		if got := stemMode(lang); got != want {
			t.Errorf("stemMode(%q) = %q, want %q", lang, got, want)
		}
	}
}
