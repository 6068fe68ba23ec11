package namematch

import (
	"slices"
	"testing"
)

func TestFold(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Jérôme  DUPONT":       "jerome dupont",
		"Je\u0301ro\u0302me":   "jerome", // decomposed accents
		"jean.dupont_75":       "jean dupont 75",
		"Иван Петров":          "ivan petrov",
		"Γιώργος Παπαδόπουλος": "giorgos papadopoulos",
		"Ζωή":       "zoi",
		"山田 太郎":     "山田 太郎",
		"Œdipe-Roi": "oedipe roi",
		"@anouk":    "anouk",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNameKeysMatch(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a, b string
		kind string // "" for no match
	}{
		{"Jean Dupont", "jean dupont", KindSameName},
		{"Jérôme Dupont", "Jerome DUPONT", KindSameName},
		{"J. Dupont", "Jean Dupont", KindInitials},
		{"Dupont Jean", "J. Dupont", KindInitials},
		{"jdupont", "Jean Dupont", KindHandle},
		{"jdupont75", "Jean Dupont", KindHandle},
		{"jeand", "Jean Dupont", KindHandle},
		{"jean.dupont", "Jean Dupont", KindSameName},
		{"jeandupont", "Jean Dupont", KindHandle},
		{"Иван Петров", "Ivan Petrov", KindSameName},
		{"Иван Петров", "Иван Петров", KindSameName},
		{"山田 太郎", "山田 太郎", KindSameName},
		{"Jean Dupont", "Marie Durand", ""},
		{"Jean Dupont", "Jean Martin", ""},
		{"bob", "Bob", ""}, // too short to say anything
	} {
		ka, kb := NameKeys(c.a), NameKeys(c.b)
		var shared []Shared
		for _, k := range ka {
			if slices.Contains(kb, k) {
				shared = append(shared, Shared{Key: k, SourceA: c.a, SourceB: c.b, WordsA: Words(c.a), WordsB: Words(c.b)})
			}
		}
		score, ev := Weigh(shared, 0)
		switch {
		case c.kind == "" && len(ev) > 0:
			t.Errorf("%q and %q: unexpected evidence %+v", c.a, c.b, ev)
		case c.kind != "" && (len(ev) != 1 || ev[0].Kind != c.kind || score != ev[0].Weight):
			t.Errorf("%q and %q: evidence %+v score %v, want one of kind %s", c.a, c.b, ev, score, c.kind)
		}
	}
}

func TestDomain(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://www.jean-dupont.fr/blog":  "jean-dupont.fr",
		"blog.jean-dupont.fr":              "jean-dupont.fr",
		"http://shop.example.co.uk/x":      "example.co.uk",
		"https://jean.blogspot.com/":       "",
		"https://jean.wordpress.com":       "",
		"https://medium.com/@jean":         "",
		"https://twitter.com/jean":         "",
		"https://www.youtube.com/c/jean":   "",
		"https://github.com/jean":          "",
		"https://facebook.com/jean.dupont": "",
		"http://192.168.0.1/":              "",
		"localhost":                        "",
		"":                                 "",
		"http://[::1":                      "",
	} {
		if got := Domain(in); got != want {
			t.Errorf("Domain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWeigh(t *testing.T) {
	t.Parallel()
	score, ev := Weigh([]Shared{
		{Key: "i:j dupont", SourceA: "J. Dupont", SourceB: "Jean Dupont", WordsA: 2, WordsB: 2},
		{Key: "h:jdupont", SourceA: "J. Dupont", SourceB: "Jean Dupont", WordsA: 2, WordsB: 2},
		{Key: "n:jean dupont", SourceA: "Jean Dupont", SourceB: "jean dupont"},
		{Key: "d:dupont.fr", SourceA: "https://dupont.fr", SourceB: "dupont.fr"},
	}, 10)
	if len(ev) != 3 || ev[0].Kind != KindSameName || ev[1].Kind != KindDomain || ev[2].Kind != KindThreads || ev[2].Weight != maxThreads {
		t.Fatalf("evidence: %+v", ev)
	}
	want := 1 - (1-weightSameName)*(1-weightDomain)*(1-maxThreads)
	if score < want-1e-9 || score > want+1e-9 || score > 1 {
		t.Errorf("score %v, want %v", score, want)
	}
	if s, ev := Weigh(nil, 0); s != 0 || len(ev) != 0 {
		t.Errorf("nothing shared: %v %+v", s, ev)
	}
}
