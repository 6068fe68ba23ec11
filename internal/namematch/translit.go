package namematch

// transliterate spells a lower-case Cyrillic or Greek letter in Latin
// letters, the way names are commonly written in French or English
// (simplified, as people type their names: "Юлия" is "iulia", "Γιώργος"
// is "giorgos"); ok is false for other runes.
func transliterate(r rune) (string, bool) {
	switch {
	case r >= 0x430 && r <= 0x44F:
		return cyrillic[r-0x430], true
	case r >= 0x3B1 && r <= 0x3C9:
		return greek[r-0x3B1], true
	}
	switch r {
	case 'ё', 'є':
		return "e", true
	case 'і', 'ї':
		return "i", true
	case 'ґ':
		return "g", true
	case 'ў':
		return "u", true
	case 'ά':
		return "a", true
	case 'έ':
		return "e", true
	case 'ή':
		return "i", true
	case 'ί', 'ϊ', 'ΐ':
		return "i", true
	case 'ό':
		return "o", true
	case 'ύ', 'ϋ', 'ΰ':
		return "y", true
	case 'ώ':
		return "o", true
	}
	return "", false
}

// cyrillic spells а to я (U+0430 to U+044F).
var cyrillic = [...]string{
	"a", "b", "v", "g", "d", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o", "p", // а…п
	"r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "iu", "ia", // р…я
}

// greek spells α to ω (U+03B1 to U+03C9; U+03C2 is the final sigma).
var greek = [...]string{
	"a", "v", "g", "d", "e", "z", "i", "th", "i", "k", "l", "m", "n", "x", "o", "p", // α…π
	"r", "s", "s", "t", "y", "f", "ch", "ps", "o", // ρ…ω
}
