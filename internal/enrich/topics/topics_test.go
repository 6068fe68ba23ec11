package topics_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"palabre/internal/enrich/topics"
	"palabre/internal/model"
)

// vocabulary mixes a retailer's, a bank's and a cosmetics brand's topics,
// with overlapping terms on purpose.
var vocabulary = []model.Topic{
	{Name: "Livraison", Terms: []string{"livraison", "colis", "retard de livraison"}},
	{Name: "Carte bancaire", Terms: []string{"carte bancaire", "CB"}},
	{Name: "Service client", Terms: []string{"service client", "customer service", "SAV", "service après-vente"}},
	{Name: "Cosmétique", Terms: []string{"Crème", "rouge à lèvres"}},
	{Name: "Retard", Terms: []string{"retard"}},
	{Name: "Carte", Terms: []string{"carte"}}, // a prefix of "carte bancaire"
	{Name: "Delivery", Terms: []string{"deliver"}},
	{Name: "Frais", Terms: []string{"frais"}},
}

func compile(t testing.TB, vocab []model.Topic) *topics.Matcher {
	t.Helper()
	m, err := topics.Compile(vocab)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAppendMatches(t *testing.T) {
	t.Parallel()
	m := compile(t, vocabulary)
	cases := []struct {
		name, text, lang string
		want             []string
	}{
		{"accent and case folded", "Ma CRÈME est arrivée", "fr", []string{"Cosmétique"}},
		{"no accent typed", "ma creme", "fr", []string{"Cosmétique"}},
		{"decomposed accent", "ma cre\u0300me", "fr", []string{"Cosmétique"}},
		{"upper-case phrase", "CARTE BANCAIRE bloquée", "fr", []string{"Carte bancaire", "Carte"}},
		{"plural stemmed", "mes livraisons et mes colis", "fr", []string{"Livraison"}},
		{"plural phrase", "deux cartes bancaires", "fr", []string{"Carte bancaire", "Carte"}},
		{"phrase needs adjacent words", "carte de crédit bancaire", "fr", []string{"Carte"}},
		{"phrase needs its word order", "client du service", "fr", nil},
		{"phrase across punctuation and markup", "service-<b>client</b>", "fr", []string{"Service client"}},
		{"phrase with hyphen and apostrophe", "le service apres vente d'Orange", "fr", []string{"Service client"}},
		{"overlapping terms of two topics", "un retard de livraison", "fr", []string{"Livraison", "Retard"}},
		{"acronym", "le SAV ne répond pas", "fr", []string{"Service client"}},
		{"definition order, not text order", "rouge à lèvres, colis, service client", "fr",
			[]string{"Livraison", "Service client", "Cosmétique"}},
		{"each topic once", "colis colis livraison colis", "fr", []string{"Livraison"}},
		{"URL skipped", "voir https://shop.example/livraison/colis?cb=1", "fr", nil},
		{"www URL skipped", "www.creme.example et rien", "fr", nil},
		{"word after a URL", "https://x.example colis", "fr", []string{"Livraison"}},
		{"mention and hashtag", "@colis #livraison", "fr", []string{"Livraison"}},
		{"HTML entities separate", "colis&amp;crème", "fr", []string{"Livraison", "Cosmétique"}},
		{"English phrase", "Great customer service!", "en", []string{"Service client"}},
		{"English stem", "It was delivered late", "en", []string{"Delivery"}},
		// Snowball English stems "delivery" to "deliveri", "deliver" to
		// "deliv": the noun does not find the verb.
		{"English noun is another stem", "fast delivery", "en", nil},
		// The French stemmer leaves "delivered" whole; other languages try
		// French, then English.
		{"French stemmer on an English word", "It was delivered late", "fr", nil},
		{"unknown language tries both", "It was delivered late", "", []string{"Delivery"}},
		{"regional tag", "It was delivered late", "en-GB", []string{"Delivery"}},
		{"French term in English text", "two parcels: colis", "en", []string{"Livraison"}},
		// Snowball French stems "fraises" (strawberries) like "frais"
		// (fees): stemming trades such confusions for recall.
		{"stemmer conflation", "des fraises", "fr", []string{"Frais"}},
		{"substring is not a word", "cartel et colissimo", "fr", nil},
		{"empty text", "", "fr", nil},
		{"no vocabulary word", "bonjour à tous", "xx", nil},
	}
	s := m.NewScratch()
	for _, c := range cases {
		got := m.AppendMatches(nil, c.text, c.lang, s)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: AppendMatches(%q, %q) = %q, want %q", c.name, c.text, c.lang, got, c.want)
		}
		// The same with a fresh scratch and with none: the cache changes
		// nothing.
		if again := m.AppendMatches(nil, c.text, c.lang, m.NewScratch()); !slices.Equal(again, c.want) {
			t.Errorf("%s: fresh scratch: %q", c.name, again)
		}
		if again := m.AppendMatches(nil, c.text, c.lang, nil); !slices.Equal(again, c.want) {
			t.Errorf("%s: nil scratch: %q", c.name, again)
		}
	}
}

// TestPhrasesThatOverlap exercises the automaton's failure links: a phrase
// that starts inside another one, or after a false start.
func TestPhrasesThatOverlap(t *testing.T) {
	t.Parallel()
	m := compile(t, []model.Topic{
		{Name: "Long", Terms: []string{"colis perdu en route"}},
		{Name: "Suffixe", Terms: []string{"perdu en route"}},
		{Name: "Milieu", Terms: []string{"en route vers"}},
		{Name: "Service", Terms: []string{"service client"}},
	})
	cases := []struct {
		text string
		want []string
	}{
		{"colis perdu en route", []string{"Long", "Suffixe"}},
		{"colis perdu en ville, perdu en route", []string{"Suffixe"}},
		{"colis perdu en route vers Lyon", []string{"Long", "Suffixe", "Milieu"}},
		{"colis perdu en colis perdu en route", []string{"Long", "Suffixe"}},
		{"perdu en route vers", []string{"Suffixe", "Milieu"}},
		{"service service client", []string{"Service"}},
		{"service colis client", nil},
	}
	for _, c := range cases {
		if got := m.AppendMatches(nil, c.text, "fr", nil); !slices.Equal(got, c.want) {
			t.Errorf("%q: got %q, want %q", c.text, got, c.want)
		}
	}
}

func TestAppendMatchesKeepsDst(t *testing.T) {
	t.Parallel()
	m := compile(t, vocabulary)
	got := m.AppendMatches([]string{"before"}, "colis", "fr", nil)
	if !slices.Equal(got, []string{"before", "Livraison"}) {
		t.Fatalf("got %q", got)
	}
	got = m.AppendMatches([]string{"before"}, "rien", "fr", nil)
	if !slices.Equal(got, []string{"before"}) {
		t.Fatalf("no match: got %q", got)
	}
}

func TestNilAndEmptyMatcher(t *testing.T) {
	t.Parallel()
	var m *topics.Matcher
	dst := []string{"kept"}
	if got := m.AppendMatches(dst, "colis", "fr", nil); !slices.Equal(got, dst) {
		t.Fatalf("nil matcher: %q", got)
	}
	if got := m.AppendMatches(dst, "colis", "fr", m.NewScratch()); !slices.Equal(got, dst) {
		t.Fatalf("nil matcher with scratch: %q", got)
	}
	empty := compile(t, nil)
	if got := empty.AppendMatches(nil, "colis", "fr", nil); got != nil {
		t.Fatalf("empty matcher: %q", got)
	}
	if m.Fingerprint() != empty.Fingerprint() || m.Fingerprint() == "" {
		t.Fatalf("nil %q and empty %q vocabularies must share a fingerprint", m.Fingerprint(), empty.Fingerprint())
	}
	if m.Topics() != 0 || empty.Topics() != 0 {
		t.Fatal("no topics expected")
	}
}

// TestScratchMovesBetweenMatchers checks that a scratch used with another
// matcher does not answer from the first one's cache.
func TestScratchMovesBetweenMatchers(t *testing.T) {
	t.Parallel()
	bank := compile(t, []model.Topic{{Name: "Frais", Terms: []string{"frais"}}, {Name: "Compte", Terms: []string{"compte"}}})
	beauty := compile(t, []model.Topic{{Name: "Crème", Terms: []string{"crème", "compte"}}})
	s := bank.NewScratch()
	for range 2 {
		if got := bank.AppendMatches(nil, "frais de compte, crème", "fr", s); !slices.Equal(got, []string{"Frais", "Compte"}) {
			t.Fatalf("bank: %q", got)
		}
		if got := beauty.AppendMatches(nil, "frais de compte, crème", "fr", s); !slices.Equal(got, []string{"Crème"}) {
			t.Fatalf("beauty: %q", got)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	many := func(n int, term func(i int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = term(i)
		}
		return out
	}
	word := func(i int) string { return fmt.Sprintf("mot%d", i) }
	var big []model.Topic
	for i := range 26 {
		big = append(big, model.Topic{Name: fmt.Sprint("t", i), Terms: many(topics.MaxTermsPerTopic, word)})
	}
	cases := []struct {
		name  string
		vocab []model.Topic
		want  string
	}{
		{"empty name", []model.Topic{{Name: "ok", Terms: []string{"a"}}, {Name: " ", Terms: []string{"a"}}}, "topic 2: the name is empty"},
		{"name too long", []model.Topic{{Name: strings.Repeat("é", 81), Terms: []string{"a"}}}, "longer than 80 characters"},
		{"name of 80 accented letters is fine", []model.Topic{{Name: strings.Repeat("é", 80), Terms: []string{"a"}}}, ""},
		{"name with spaces around", []model.Topic{{Name: "Livraison ", Terms: []string{"a"}}}, `topic "Livraison ": the name starts or ends with spaces`},
		{"name with a control character", []model.Topic{{Name: "a\nb", Terms: []string{"a"}}}, "control characters"},
		{"name not UTF-8", []model.Topic{{Name: "a\xff", Terms: []string{"a"}}}, "not valid UTF-8"},
		{"duplicate name", []model.Topic{{Name: "A", Terms: []string{"a"}}, {Name: "A", Terms: []string{"b"}}}, `topic "A" is defined twice`},
		{"no terms", []model.Topic{{Name: "Vide"}}, `topic "Vide" has no terms`},
		{"term without letters", []model.Topic{{Name: "Ponctuation", Terms: []string{"ok", "?!…"}}}, `topic "Ponctuation": term "?!…" has no letters or digits`},
		{"empty term", []model.Topic{{Name: "E", Terms: []string{""}}}, `term "" has no letters or digits`},
		{"markup term", []model.Topic{{Name: "M", Terms: []string{"<br>"}}}, "no letters or digits"},
		{"URL term", []model.Topic{{Name: "U", Terms: []string{"www.example.com"}}}, `term "www.example.com" holds a web address`},
		{"term not UTF-8", []model.Topic{{Name: "U", Terms: []string{"\xff"}}}, "not valid UTF-8"},
		{"term of 11 words", []model.Topic{{Name: "Long", Terms: []string{"un deux trois quatre cinq six sept huit neuf dix onze"}}},
			`topic "Long": term "un deux trois quatre cinq six sept huit neuf dix onze" has 11 words, more than the 10 allowed`},
		{"term of 10 words is fine", []model.Topic{{Name: "Long", Terms: []string{"un deux trois quatre cinq six sept huit neuf dix"}}}, ""},
		{"term too long", []model.Topic{{Name: "L", Terms: []string{strings.Repeat("ab ", 70)}}}, "longer than 200 characters"},
		{"word too long", []model.Topic{{Name: "W", Terms: []string{strings.Repeat("a", 65)}}}, "word longer than 64"},
		{"too many terms in a topic", []model.Topic{{Name: "Gros", Terms: many(topics.MaxTermsPerTopic+1, word)}}, `topic "Gros" has 201 terms, more than the 200 allowed`},
		{"too many terms in all", big, "5200 terms, more than the 5000 allowed"},
		{"as many terms as allowed", big[:25], ""},
	}
	for _, c := range cases {
		_, err := topics.Compile(c.vocab)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: got %v, want an error with %q", c.name, err, c.want)
		}
	}
}

func TestFingerprint(t *testing.T) {
	t.Parallel()
	fp := func(vocab ...model.Topic) string { return compile(t, vocab).Fingerprint() }
	base := fp(model.Topic{Name: "A", Terms: []string{"crème", "colis"}}, model.Topic{Name: "B", Terms: []string{"carte"}})
	if len(base) != 16 {
		t.Fatalf("fingerprint %q: want 16 hex digits", base)
	}
	same := []string{
		fp(model.Topic{Name: "A", Terms: []string{"crème", "colis"}}, model.Topic{Name: "B", Terms: []string{"carte"}}),
		fp(model.Topic{Name: "A", Terms: []string{"COLIS", "creme"}}, model.Topic{Name: "B", Terms: []string{"cartes"}}),
		fp(model.Topic{Name: "A", Terms: []string{"crème", "colis", "Crème"}}, model.Topic{Name: "B", Terms: []string{"carte"}}),
	}
	for i, f := range same {
		if f != base {
			t.Errorf("equivalent vocabulary %d: fingerprint %s, want %s", i, f, base)
		}
	}
	other := []string{
		fp(model.Topic{Name: "B", Terms: []string{"carte"}}, model.Topic{Name: "A", Terms: []string{"crème", "colis"}}),
		fp(model.Topic{Name: "A", Terms: []string{"crème", "colis"}}, model.Topic{Name: "C", Terms: []string{"carte"}}),
		fp(model.Topic{Name: "A", Terms: []string{"crème"}}, model.Topic{Name: "B", Terms: []string{"carte", "colis"}}),
		fp(model.Topic{Name: "A", Terms: []string{"crème colis"}}, model.Topic{Name: "B", Terms: []string{"carte"}}),
		fp(model.Topic{Name: "A", Terms: []string{"crème", "colis"}}),
	}
	for i, f := range other {
		if f == base {
			t.Errorf("different vocabulary %d has the same fingerprint", i)
		}
	}
}

// TestNoAllocations checks the promise of AppendMatches: once the scratch
// knows the words and dst has room, a call allocates nothing.
func TestNoAllocations(t *testing.T) {
	m := compile(t, vocabulary)
	s := m.NewScratch()
	dst := make([]string, 0, 8)
	texts := []string{
		"Ma CRÈME est arrivée avec un retard de livraison, le SAV ne répond pas : https://shop.example/x",
		"<p>Great customer service &amp; fast delivery</p> @colis",
		"rien à voir ici",
	}
	for _, text := range texts {
		m.AppendMatches(dst, text, "fr", s) // warm up
		allocs := testing.AllocsPerRun(100, func() {
			dst = m.AppendMatches(dst[:0], text, "fr", s)
		})
		if allocs != 0 {
			t.Errorf("%q: %v allocations per call, want 0", text, allocs)
		}
	}
}

// TestConcurrentUse shares one matcher between goroutines, each with its
// own scratch (run with -race).
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	m := compile(t, vocabulary)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			s := m.NewScratch()
			for i := range 200 {
				text := fmt.Sprintf("colis %d et crème %d", g, i)
				if got := m.AppendMatches(nil, text, "fr", s); !slices.Equal(got, []string{"Livraison", "Cosmétique"}) {
					t.Errorf("%q: %q", text, got)
					return
				}
			}
		})
	}
	wg.Wait()
}

func FuzzAppendMatches(f *testing.F) {
	for _, seed := range []string{
		"Ma CRÈME est arrivée", "retard de livraison", "https://x.example/colis", "<b>carte</b> bancaire",
		"cr&egrave;me &#233; &", "@sav #colis", "cre\u0300me", "\xff\xfe<", strings.Repeat("é", 100), "",
	} {
		f.Add(seed, "fr")
		f.Add(seed, "en")
	}
	m := compile(f, vocabulary)
	names := make(map[string]bool)
	for _, t := range vocabulary {
		names[t.Name] = true
	}
	s := m.NewScratch()
	f.Fuzz(func(t *testing.T, text, lang string) {
		got := m.AppendMatches(nil, text, lang, s)
		seen := make(map[string]bool)
		for _, name := range got {
			if !names[name] {
				t.Fatalf("%q: unknown topic %q", text, name)
			}
			if seen[name] {
				t.Fatalf("%q: topic %q reported twice in %q", text, name, got)
			}
			seen[name] = true
		}
		if again := m.AppendMatches(nil, text, lang, nil); !slices.Equal(again, got) {
			t.Fatalf("%q: %q with a fresh scratch, %q with a used one", text, again, got)
		}
	})
}

// benchVocabulary is a retailer's vocabulary of 50 topics, 4 terms each,
// single words and phrases.
func benchVocabulary() []model.Topic {
	subjects := []string{"livraison", "colis", "remboursement", "facture", "commande", "retour", "échange", "garantie",
		"paiement", "carte", "compte", "mot de passe", "application", "site", "magasin", "vendeur", "prix", "promotion",
		"fidélité", "abonnement", "résiliation", "taille", "couleur", "qualité", "stock", "rupture", "délai", "adresse",
		"transporteur", "point relais", "emballage", "cadeau", "bon d'achat", "code promo", "frais de port", "retard",
		"annulation", "réclamation", "service client", "conseiller", "téléphone", "courriel", "chat", "avis", "note",
		"crème", "parfum", "maquillage", "soin", "échantillon"}
	var out []model.Topic
	for i, s := range subjects {
		out = append(out, model.Topic{Name: fmt.Sprintf("Sujet %d", i), Terms: []string{
			s, s + " en ligne", "problème de " + s, fmt.Sprintf("%s numéro %d", s, i)}})
	}
	return out
}

// benchComments are French comments of about 200 characters.
var benchComments = []string{
	"Bonjour, ma commande n'est toujours pas arrivée alors que le suivi indique livré depuis trois jours. Le service client ne répond pas au téléphone, c'est inadmissible ! Je veux être remboursé.",
	"J'adore cette crème, la texture est parfaite et le parfum très léger. Par contre l'emballage est un peu décevant pour le prix, dommage. Je recommande quand même, surtout en cadeau.",
	"Impossible de me connecter à l'application depuis la mise à jour, mot de passe refusé à chaque fois. Pouvez-vous m'aider ? Merci d'avance pour votre retour rapide, je suis cliente depuis dix ans.",
	"Remboursement toujours en attente après le retour du colis en point relais il y a deux semaines. Qui dois-je contacter ? https://www.example.com/suivi?id=42 Merci de me répondre vite.",
}

func BenchmarkAppendMatches(b *testing.B) {
	m := compile(b, benchVocabulary())
	s := m.NewScratch()
	dst := make([]string, 0, 16)
	size := 0
	for _, c := range benchComments {
		size += len(c)
		dst = m.AppendMatches(dst[:0], c, "fr", s)
	}
	b.SetBytes(int64(size / len(benchComments)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		dst = m.AppendMatches(dst[:0], benchComments[i%len(benchComments)], "fr", s)
	}
}

func BenchmarkCompile(b *testing.B) {
	vocab := benchVocabulary()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := topics.Compile(vocab); err != nil {
			b.Fatal(err)
		}
	}
}
