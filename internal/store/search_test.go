package store

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestParseSearchQuery(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  searchQuery
	}{
		{"", nil},
		{`" * AND ( )`, searchQuery{{"and"}}},
		{"Vélos", searchQuery{{"velos", "velo"}}},
		{"répondu répondre", searchQuery{{"repondu", "repond"}, {"repondr", "repond"}}},
		{"running", searchQuery{{"running", "run"}}},
		{"électrique electrique", searchQuery{{"electr", "electriqu"}, {"electr", "electriqu"}}},
		{"vélo vélo", searchQuery{{"velo"}}},
	} {
		got := parseSearchQuery(tc.query)
		if len(got) != len(tc.want) {
			t.Errorf("%q: got %v, want %v", tc.query, got, tc.want)
			continue
		}
		for i := range got {
			for _, s := range tc.want[i] {
				if !slices.Contains(got[i], s) {
					t.Errorf("%q word %d: got stems %v, want %q among them", tc.query, i, got[i], s)
				}
			}
		}
	}
	if q := parseSearchQuery(strings.Repeat("mot", 1) + strings.Repeat(" a b c d e f g h i j k l m n o p q r s", 3)); len(q) != maxQueryWords {
		t.Errorf("long query: %d words, want %d", len(q), maxQueryWords)
	}
	q := searchQuery{{"velo"}, {"electr", "electriqu"}}
	if got, want := q.fts5(), `("velo") AND ("electr" OR "electriqu")`; got != want {
		t.Errorf("fts5: %s, want %s", got, want)
	}
	if got, want := q.tsquery(), `('velo') & ('electr' | 'electriqu')`; got != want {
		t.Errorf("tsquery: %s, want %s", got, want)
	}
	if got, want := tsvector("velo o'k a\\b"), `'velo' 'o''k' 'a\\b'`; got != want {
		t.Errorf("tsvector: %s, want %s", got, want)
	}
	if got, want := tsvector(`''\\ x'\y'`), `'''''\\\\' 'x''\\y'''`; got != want {
		t.Errorf("tsvector: %s, want %s", got, want)
	}
}

// TestStemCache: the cache answers what wordStems does, from several
// goroutines at once, and starts afresh rather than growing past its
// bound.
func TestStemCache(t *testing.T) {
	var c stemCache
	words := []string{"vélos", "répondu", "electrique", "running", "œuvre"}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 50 {
				for _, w := range words {
					if got, want := c.of(w), wordStems(w); !slices.Equal(got, want) {
						t.Errorf("stems of %q: %v, want %v", w, got, want)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	for i := range maxCachedStems + 10 {
		c.of("w" + strconv.Itoa(i))
	}
	if n := len(c.stems); n == 0 || n > maxCachedStems {
		t.Errorf("%d words remembered, want from 1 to %d", n, maxCachedStems)
	}
}

func TestSearchTerms(t *testing.T) {
	got := strings.Fields(searchTerms("Mon VÉLO électrique, mon vélo ! https://ex.org "+strings.Repeat("x", 300), &stemCache{}))
	for _, want := range []string{"mon", "velo", "electr", "electriqu", "https", "ex", "org"} {
		if !slices.Contains(got, want) {
			t.Errorf("terms %v: %q missing", got, want)
		}
	}
	if slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, "xxx") }) {
		t.Errorf("terms %v: an over-long word is indexed", got)
	}
	seen := map[string]bool{}
	for _, s := range got {
		if seen[s] {
			t.Errorf("terms %v: %q twice", got, s)
		}
		seen[s] = true
	}
}

func TestEmailAddresses(t *testing.T) {
	found := func(text string) []string {
		var out []string
		emailAddresses(text, func(start, end int, term string) {
			out = append(out, text[start:end])
			if want := addressTerm(t, text[start:end]); term != want {
				t.Errorf("%q: term %q, want %q", text[start:end], term, want)
			}
		})
		return out
	}
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"", nil},
		{"écrire à Jean.Dupont+vélo@Example.org.", []string{"Jean.Dupont+vélo@Example.org"}},
		{"(bob@example.com), <carole@mail.example.net>", []string{"bob@example.com", "carole@mail.example.net"}},
		{"'alice@example.org'", []string{"alice@example.org"}},
		{"@handle a@b @ x@.org y@org z@a..b", nil},
		{"a@b@c.org", []string{"b@c.org"}},
		{"@@x.org a@@x.org", nil},
	} {
		if got := found(tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("%q: got %q, want %q", tc.text, got, tc.want)
		}
	}
	if found(strings.Repeat("a", 300)+"@example.org") != nil {
		t.Error("an over-long address is indexed")
	}
}

// addressTerm is the index term of one address, as emailAddresses makes it.
func addressTerm(t *testing.T, addr string) string {
	t.Helper()
	var term string
	emailAddresses(addr, func(_, _ int, s string) { term = s })
	if term == "" {
		t.Fatalf("%q is not an address", addr)
	}
	return term
}

func TestSearchAddresses(t *testing.T) {
	terms := strings.Fields(searchTerms("Écrivez à jean.dupont@example.org, merci", &stemCache{}))
	whole := addressTerm(t, "JEAN.Dupont@Example.ORG")
	for _, want := range []string{whole, "jean", "dupont", "exampl", "org", "merc"} {
		if !slices.Contains(terms, want) {
			t.Errorf("terms %v: %q missing", terms, want)
		}
	}
	q := parseSearchQuery("vélo Jean.Dupont@example.org")
	if len(q) != 2 || !slices.Equal(q[0], []string{whole}) || !slices.Contains(q[1], "velo") {
		t.Errorf("query: %v, want velo and the address alone", q)
	}
	if addressTerm(t, "jean.dupont@example.org") == addressTerm(t, "jean.dupond@example.org") {
		t.Error("two addresses share a term")
	}
	if addressTerm(t, "rené@exemple.fr") != addressTerm(t, "RENE@exemple.fr") {
		t.Error("accents and case are not folded")
	}
}

func TestExcerpt(t *testing.T) {
	if got := excerpt("  a\n\n b\t c  "); got != "a b c" {
		t.Errorf("collapse: %q", got)
	}
	long := strings.Repeat("é", 500)
	got := excerpt(long)
	if utf8.RuneCountInString(got) != headlineRunes || !strings.HasSuffix(got, "…") {
		t.Errorf("cut: %d runes, %q", utf8.RuneCountInString(got), got[len(got)-6:])
	}
	exact := strings.Repeat("a", headlineRunes)
	if excerpt(exact) != exact {
		t.Error("a body of exactly the limit is cut")
	}
}

// FuzzSearchQuery checks that any text parses into plain stems that the
// FTS5 and tsquery writers quote whole.
func FuzzSearchQuery(f *testing.F) {
	for _, s := range []string{"", `"`, "AND (", "*", "vélo électrique", `a" OR "b`, "'; DROP TABLE x; --", "\xff", "ǅ ﬁ ß Œ", "e\u0301te", "a@b.c", "x@y.org@z.net", "@.@.."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := parseSearchQuery(s)
		if len(q) > maxQueryWords {
			t.Fatalf("%d words", len(q))
		}
		for _, word := range q {
			if len(word) == 0 {
				t.Fatal("a word without stems")
			}
			for _, stem := range word {
				if strings.HasPrefix(stem, addressMark) {
					if len(word) != 1 || len(stem) != len(addressMark)+20 {
						t.Fatalf("address word %v", word)
					}
					continue
				}
				if stem == "" || strings.ContainsFunc(stem, func(r rune) bool {
					return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != utf8.RuneError
				}) {
					t.Fatalf("stem %q is not plain letters and digits", stem)
				}
			}
		}
		fts := q.fts5()
		if strings.Count(fts, `"`)%2 != 0 {
			t.Fatalf("unbalanced quotes in %s", fts)
		}
		ts := q.tsquery()
		if strings.Count(strings.ReplaceAll(ts, "''", ""), "'")%2 != 0 {
			t.Fatalf("unbalanced quotes in %s", ts)
		}
		if (len(q) == 0) != (fts == "") {
			t.Fatalf("fts5 %q for %d words", fts, len(q))
		}
	})
}
