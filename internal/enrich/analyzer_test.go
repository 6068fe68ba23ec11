package enrich

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"palabre/internal/enrich/topics"
	"palabre/internal/model"
)

func defaultAnalyzer(t testing.TB) *Analyzer {
	t.Helper()
	return NewAnalyzer(defaultModel(t), nil, nil)
}

// comments200 returns texts of about 200 characters made of palabre's own
// labelled comments, the length the performance targets speak of.
func comments200(t testing.TB) []string {
	t.Helper()
	f, err := os.Open("../../data/comments/test.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e Example
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		cur.WriteString(e.Text)
		if utf8.RuneCountInString(cur.String()) >= 200 {
			r := []rune(cur.String())
			out = append(out, string(r[:200]))
			cur.Reset()
		}
	}
	if len(out) == 0 {
		t.Fatal("no texts")
	}
	return out
}

func checkResult(t *testing.T, text string, r Result) {
	t.Helper()
	if r.Lang != "fr" && r.Lang != "en" && r.Lang != "other" {
		t.Errorf("%q: lang %q", text, r.Lang)
	}
	ok := func(name string, v, lo, hi float64) {
		if math.IsNaN(v) || v < lo || v > hi {
			t.Errorf("%q: %s %v outside %v..%v", text, name, v, lo, hi)
		}
	}
	ok("lang_confidence", r.LangConfidence, 0, 1)
	ok("sentiment_score", r.SentimentScore, -1, 1)
	ok("intent_confidence", r.IntentConfidence, 0, 1)
	ok("needs_response_score", r.NeedsResponseScore, 0, 1)
	ok("spam_score", r.SpamScore, 0, 1)
	if _, found := classOf(Sentiments[:], r.Sentiment); !found {
		t.Errorf("%q: sentiment %q", text, r.Sentiment)
	}
	if _, found := classOf(Intents[:], r.Intent); !found {
		t.Errorf("%q: intent %q", text, r.Intent)
	}
	if r.NeedsResponse != (r.NeedsResponseScore >= 0.5) || r.Spam != (r.SpamScore >= 0.5) {
		t.Errorf("%q: flags disagree with scores: %+v", text, r)
	}
	if r.Spam && r.Intent != "other" {
		t.Errorf("%q: spam with intent %q", text, r.Intent)
	}
}

func TestAnalyzeAllocations(t *testing.T) {
	vocab, err := topics.Compile([]model.Topic{
		{Name: "livraison", Terms: []string{"livraison", "colis", "delivery"}},
		{Name: "service client", Terms: []string{"service client", "customer service", "sav"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []*Analyzer{defaultAnalyzer(t), NewAnalyzer(defaultModel(t), vocab, nil)} {
		texts := comments200(t)
		s := NewScratch(a.Model())
		for _, text := range texts { // warm-up: buffers and caches grow
			a.Analyze(s, text)
		}
		i := 0
		allocs := testing.AllocsPerRun(len(texts), func() {
			a.Analyze(s, texts[i%len(texts)])
			i++
		})
		if allocs > 0 {
			t.Errorf("%.2f allocations per text after warm-up, want 0", allocs)
		}
	}
}

func TestAnalyzeIsDeterministic(t *testing.T) {
	a := defaultAnalyzer(t)
	s1, s2 := NewScratch(a.Model()), NewScratch(a.Model())
	texts := comments200(t)
	first := make([]Result, len(texts))
	for i, text := range texts {
		first[i] = a.Analyze(s1, text)
	}
	// Another scratch, and the texts in reverse order: the same results.
	for i := len(texts) - 1; i >= 0; i-- {
		r := a.Analyze(s2, texts[i])
		if r.Lang != first[i].Lang || r.Sentiment != first[i].Sentiment || r.SentimentScore != first[i].SentimentScore ||
			r.Intent != first[i].Intent || r.NeedsResponseScore != first[i].NeedsResponseScore || r.SpamScore != first[i].SpamScore {
			t.Fatalf("%q: %+v, then %+v", texts[i], first[i], r)
		}
	}
}

func TestAnalyzeOddInput(t *testing.T) {
	a := defaultAnalyzer(t)
	s := NewScratch(a.Model())
	for _, text := range []string{
		"", " ", "?", "!!!!", "😀", "https://example.com", "@someone", "<br/>", "&amp;", "\x00\xff\xfe",
		strings.Repeat("é", 5000), strings.Repeat("ha ", 5000), strings.Repeat("<", 3000), "a\u0301\u0301\u0301",
	} {
		r := a.Analyze(s, text)
		checkResult(t, text, r)
	}
	for _, tt := range []struct{ workspace, want string }{{"", "en"}, {"fr", "fr"}, {"en", "en"}, {"de", "en"}} {
		r := a.WithLanguage(tt.workspace).Analyze(s, "😀 👍 https://example.com/x")
		if r.Lang != tt.want || r.LangConfidence != 0 {
			t.Errorf("a text without words, workspace language %q: lang %q confidence %v, want %s with 0",
				tt.workspace, r.Lang, r.LangConfidence, tt.want)
		}
	}
}

func FuzzAnalyze(f *testing.F) {
	for _, s := range []string{"C'est pas mal du tout :)", "Worst service EVER!!! refund me", "<a href='x'>check my channel</a>", "¿Qué tal?", "trooop bien 😍😍"} {
		f.Add(s)
	}
	a := defaultAnalyzer(f)
	s := NewScratch(a.Model())
	f.Fuzz(func(t *testing.T, text string) {
		r := a.Analyze(s, text)
		checkResult(t, text, r)
		again := a.Analyze(s, text)
		if again.Sentiment != r.Sentiment || again.SpamScore != r.SpamScore || again.Intent != r.Intent {
			t.Errorf("%q: two analyses differ: %+v then %+v", text, r, again)
		}
	})
}

func BenchmarkAnalyze(b *testing.B) { benchAnalyze(b, defaultAnalyzer(b)) }

// benchAnalyze measures a on 200-character comments, one Scratch reused
// as palabre uses it, after a warm-up pass.
func benchAnalyze(b *testing.B, a *Analyzer) {
	texts := comments200(b)
	s := NewScratch(a.Model())
	for _, text := range texts {
		a.Analyze(s, text)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		a.Analyze(s, texts[i%len(texts)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "texts/s")
}

// BenchmarkAnalyzeWithTopics adds a workspace vocabulary of 40 topics of
// five terms each to BenchmarkAnalyze.
func BenchmarkAnalyzeWithTopics(b *testing.B) {
	words := strings.Fields("livraison colis commande remboursement facture carte compte application connexion " +
		"mot de passe frais agios crédit prêt taux assurance sinistre contrat résiliation abonnement forfait " +
		"réseau fibre box panne débit service client conseiller agence rendez-vous horaires magasin produit " +
		"qualité prix promo réduction taille couleur stock rupture retour échange garantie réparation " +
		"delivery refund invoice card account app login password fees loan rate insurance claim contract")
	var vocab []model.Topic
	for i := range 40 {
		var terms []string
		for j := range 5 {
			terms = append(terms, words[(i*5+j)%len(words)]+" "+words[(i*7+j*3)%len(words)])
		}
		terms[0] = words[i%len(words)]
		vocab = append(vocab, model.Topic{Name: fmt.Sprintf("topic %d", i), Terms: terms})
	}
	m, err := topics.Compile(vocab)
	if err != nil {
		b.Fatal(err)
	}
	benchAnalyze(b, NewAnalyzer(defaultModel(b), m, nil))
}
