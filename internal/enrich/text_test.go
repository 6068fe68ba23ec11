package enrich

import (
	"strings"
	"testing"
)

// describe renders the tokens of text as "kind:word" items.
func describe(t *testing.T, text string) string {
	t.Helper()
	lx, err := loadLexicons()
	if err != nil {
		t.Fatal(err)
	}
	tk := tokenizer{lex: lx}
	tk.run(text)
	var parts []string
	for _, tok := range tk.tokens {
		var p string
		switch tok.kind {
		case tWord:
			p = string(tk.text(tok))
			if tok.caps {
				p += "^"
			}
			if tok.elong {
				p += "~"
			}
			if tok.hashtag {
				p = "#" + p
			}
		case tNum:
			p = "N:" + string(tk.text(tok))
		case tURL:
			p = "URL"
		case tMention:
			p = "@"
		case tEmo:
			p = "EMO"
			if tok.emo > 0 {
				p += "+"
			} else if tok.emo < 0 {
				p += "-"
			}
		case tQuest:
			p = "?"
		case tExcl:
			p = "!"
		case tStop:
			p = "."
		case tComma:
			p = ","
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

func TestTokenizer(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"accents and case", "Très DÉÇU, Crème brûlée", "tres decu^ , creme brulee"},
		{"apostrophes split", "J'adore l’été aujourd'hui", "j adore l ete aujourd hui"},
		{"html tags and entities", "<p>Super&nbsp;produit&amp;co<br />merci</p>", "super produit co merci"},
		{"entity apostrophe", "c&#39;est top", "c est top"},
		{"urls", "voir https://ex.com/a?b=1 et www.site.fr/x ok", "voir URL et URL ok"},
		{"bare domain", "check datpiff.com/mixtapes-detail.php?id=6 now", "check URL now"},
		{"mention and hashtag", "@julie regarde #promo", "@ regarde #promo"},
		{"elongation", "trooop bien merciiiii", "trop~ bien merci~"},
		{"caps", "I LOVE it", "i love^ it"},
		{"punctuation", "quoi? non! bon. ok;", "quoi ? non ! bon . ok ."},
		{"numbers", "commande 12345 gr8", "commande N:12345 gr8"},
		{"emoticons", "ok :) bof :( <3", "ok EMO+ bof EMO- EMO+"},
		{"emoji with selector", "top ❤️ 😍😍", "top EMO+ EMO+ EMO+"},
		{"less-than is not a tag", "a < b", "a b"},
		{"unclosed tag", "<b nothing closes", "b nothing closes"},
		{"combining accents", "cafe\u0301 cre\u0300me", "cafe creme"},
		{"non-latin kept", "Привет мир", "привет мир"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := describe(t, tt.text); got != tt.want {
				t.Errorf("tokens of %q:\n got %q\nwant %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestTokenizerBounds(t *testing.T) {
	lx, err := loadLexicons()
	if err != nil {
		t.Fatal(err)
	}
	tk := tokenizer{lex: lx}
	tk.run(strings.Repeat("mot ", 10*maxTokens))
	if len(tk.tokens) != maxTokens {
		t.Errorf("%d tokens kept, want the bound %d", len(tk.tokens), maxTokens)
	}
	tk.run(strings.Repeat("a", 10*maxWord))
	if n := len(tk.text(tk.tokens[0])); n > maxWord {
		t.Errorf("word of %d bytes kept, want at most %d", n, maxWord)
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Éléphant": "elephant", "ŒUVRE": "oeuvre", "Straße": "strasse", "Ça": "ca", "naïve": "naive",
	} {
		if got := fold(in); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}
