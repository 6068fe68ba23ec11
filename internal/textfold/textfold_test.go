package textfold

import "testing"

func TestRune(t *testing.T) {
	for r, want := range map[rune]string{
		'é': "e", 'É': "e", 'ç': "c", 'œ': "oe", 'Œ': "oe", 'ß': "ss", 'æ': "ae", 'ø': "o", 'ł': "l",
		'ễ': "e", 'ﬁ': "fi", 'a': "", '×': "", 'Ж': "", '€': "",
	} {
		if got := Rune(r); got != want {
			t.Errorf("Rune(%q) = %q, want %q", r, got, want)
		}
	}
}
