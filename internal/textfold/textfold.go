// Package textfold spells letters without their accents, the way palabre
// compares words: "é" is "e", "Œ" is "oe", "ß" is "ss". The analyser and
// the topic matcher fold text with it, so that a vocabulary term and a
// message agree whatever accents either was typed with.
package textfold

// Rune returns the plain lower-case letters that r folds to, or "" when
// r has none (then it is kept, lower-cased, if it is a letter).
func Rune(r rune) string {
	switch {
	case r >= 0xC0 && r <= 0x24F:
		return foldLatin[r-0xC0]
	case r >= 0x1E00 && r <= 0x1EFF:
		return foldLatinAdditional[r-0x1E00]
	}
	switch r {
	case 'ﬀ':
		return "ff"
	case 'ﬁ':
		return "fi"
	case 'ﬂ':
		return "fl"
	case 'ﬃ':
		return "ffi"
	case 'ﬄ':
		return "ffl"
	case 'ﬅ', 'ﬆ':
		return "st"
	}
	return ""
}

// The tables below were derived from Unicode 14 data: each letter's
// compatibility decomposition (NFKD) without its combining marks, in lower
// case, when that is plain a to z; letters with no such decomposition
// (ß, æ, œ, ø, ł, đ, þ…) by hand.

// foldLatin folds U+00C0 to U+024F (Latin-1 Supplement, Latin Extended-A
// and -B), indexed from U+00C0. "" marks what is not a letter or has no
// plain-letter form; those runes take the general path.
var foldLatin = [...]string{
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", // U+00C0
	"d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "ss", // U+00D0
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i", // U+00E0
	"d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y", // U+00F0
	"a", "a", "a", "a", "a", "a", "c", "c", "c", "c", "c", "c", "c", "c", "d", "d", // U+0100
	"d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "g", "g", "g", "g", // U+0110
	"g", "g", "g", "g", "h", "h", "h", "h", "i", "i", "i", "i", "i", "i", "i", "i", // U+0120
	"i", "i", "ij", "ij", "j", "j", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l", // U+0130
	"l", "l", "l", "n", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o", // U+0140
	"o", "o", "oe", "oe", "r", "r", "r", "r", "r", "r", "s", "s", "s", "s", "s", "s", // U+0150
	"s", "s", "t", "t", "t", "t", "t", "t", "u", "u", "u", "u", "u", "u", "u", "u", // U+0160
	"u", "u", "u", "u", "w", "w", "y", "y", "y", "z", "z", "z", "z", "z", "z", "s", // U+0170
	"b", "b", "b", "b", "", "", "", "c", "c", "", "d", "d", "d", "", "", "", // U+0180
	"", "f", "f", "g", "", "hv", "", "i", "k", "k", "l", "", "", "n", "n", "", // U+0190
	"o", "o", "", "", "p", "p", "", "", "", "", "", "t", "t", "t", "t", "u", // U+01A0
	"u", "", "v", "y", "y", "z", "z", "", "", "", "", "", "", "", "", "", // U+01B0
	"", "", "", "", "dz", "dz", "dz", "lj", "lj", "lj", "nj", "nj", "nj", "a", "a", "i", // U+01C0
	"i", "o", "o", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "", "a", "a", // U+01D0
	"a", "a", "ae", "ae", "g", "g", "g", "g", "k", "k", "o", "o", "o", "o", "", "", // U+01E0
	"j", "dz", "dz", "dz", "g", "g", "hv", "", "n", "n", "a", "a", "ae", "ae", "o", "o", // U+01F0
	"a", "a", "a", "a", "e", "e", "e", "e", "i", "i", "i", "i", "o", "o", "o", "o", // U+0200
	"r", "r", "r", "r", "u", "u", "u", "u", "s", "s", "t", "t", "", "", "h", "h", // U+0210
	"", "", "ou", "ou", "z", "z", "a", "a", "e", "e", "o", "o", "o", "o", "o", "o", // U+0220
	"o", "o", "y", "y", "l", "n", "t", "j", "", "", "a", "c", "c", "l", "t", "s", // U+0230
	"z", "", "", "b", "u", "", "e", "e", "j", "j", "q", "q", "r", "r", "y", "y", // U+0240
}

// foldLatinAdditional folds U+1E00 to U+1EFF (Latin Extended Additional:
// Vietnamese and other stacked accents), indexed from U+1E00.
var foldLatinAdditional = [...]string{
	"a", "a", "b", "b", "b", "b", "b", "b", "c", "c", "d", "d", "d", "d", "d", "d", // U+1E00
	"d", "d", "d", "d", "e", "e", "e", "e", "e", "e", "e", "e", "e", "e", "f", "f", // U+1E10
	"g", "g", "h", "h", "h", "h", "h", "h", "h", "h", "h", "h", "i", "i", "i", "i", // U+1E20
	"k", "k", "k", "k", "k", "k", "l", "l", "l", "l", "l", "l", "l", "l", "m", "m", // U+1E30
	"m", "m", "m", "m", "n", "n", "n", "n", "n", "n", "n", "n", "o", "o", "o", "o", // U+1E40
	"o", "o", "o", "o", "p", "p", "p", "p", "r", "r", "r", "r", "r", "r", "r", "r", // U+1E50
	"s", "s", "s", "s", "s", "s", "s", "s", "s", "s", "t", "t", "t", "t", "t", "t", // U+1E60
	"t", "t", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "v", "v", "v", "v", // U+1E70
	"w", "w", "w", "w", "w", "w", "w", "w", "w", "w", "x", "x", "x", "x", "y", "y", // U+1E80
	"z", "z", "z", "z", "z", "z", "h", "t", "w", "y", "", "s", "", "", "ss", "", // U+1E90
	"a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", "a", // U+1EA0
	"a", "a", "a", "a", "a", "a", "a", "a", "e", "e", "e", "e", "e", "e", "e", "e", // U+1EB0
	"e", "e", "e", "e", "e", "e", "e", "e", "i", "i", "i", "i", "o", "o", "o", "o", // U+1EC0
	"o", "o", "o", "o", "o", "o", "o", "o", "o", "o", "o", "o", "o", "o", "o", "o", // U+1ED0
	"o", "o", "o", "o", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", "u", // U+1EE0
	"u", "u", "y", "y", "y", "y", "y", "y", "y", "y", "", "", "", "", "", "", // U+1EF0
}
