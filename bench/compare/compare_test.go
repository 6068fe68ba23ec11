// Package compare measures palabre's own text analyser against existing Go
// libraries that do part of its job: govader (English sentiment, a VADER
// port) and whatlanggo (language identification). It is a module of its
// own so that the palabre binary never depends on them; run it with
// scripts/bench-compare.
package compare

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/abadojack/whatlanggo"
	"github.com/jonreiter/govader"

	"palabre/internal/enrich"
)

// Corpus shape: comments of a realistic upper length, enough of them that
// the benchmarks do not replay a handful of texts from a warm cache.
const (
	corpusRunes = 200
	corpusSize  = 1000
)

// corpusFiles are palabre's own labelled comments, French and English mixed.
var corpusFiles = []string{
	"../../data/comments/train.jsonl",
	"../../data/comments/test.jsonl",
}

// sharedTestSet is the third-party labelled test set kept beside the repository.
const sharedTestSet = "../../../shared/data/nlp/test.jsonl"

// maxPalabreModelBytes is the heap budget of palabre's global model.
const maxPalabreModelBytes = 30 << 20

// line is the part of a labelled JSON line these tests read.
type line struct {
	Text      string  `json:"text"`
	Lang      string  `json:"lang"`
	Sentiment *string `json:"sentiment"`
	Source    string  `json:"source"`
}

// readLines decodes a JSON-lines file; a missing file is fs.ErrNotExist.
func readLines(path string) ([]line, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []line
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, n, err)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}

// loadCorpus builds corpusSize comments of exactly corpusRunes runes from
// palabre's labelled comments: texts are joined with a space until a
// comment has corpusRunes runes, then cut, the cut-off tail dropped. The
// first pass over the texts is in file order; the files are too small for
// corpusSize comments, and cycling them in the same order would soon rebuild
// the same comments, so each later pass takes them in a fixed shuffle
// (seeded, so the corpus is the same from run to run of one Go release).
// It skips the test or benchmark if neither file has any text.
func loadCorpus(tb testing.TB) []string {
	tb.Helper()
	var texts []string
	for _, path := range corpusFiles {
		lines, err := readLines(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			tb.Fatal(err)
		}
		for _, l := range lines {
			if t := strings.TrimSpace(l.Text); t != "" {
				texts = append(texts, t)
			}
		}
	}
	if len(texts) == 0 {
		abs, _ := filepath.Abs(filepath.Dir(corpusFiles[0]))
		tb.Skipf("no comment texts in %s/{train,test}.jsonl: the corpus is built from them", abs)
	}
	order := texts
	rng := rand.New(rand.NewPCG(1, 2))
	corpus := make([]string, 0, corpusSize)
	var b strings.Builder
	next := 0
	for len(corpus) < corpusSize {
		b.Reset()
		runes := 0
		for runes < corpusRunes {
			if runes > 0 {
				b.WriteByte(' ')
				runes++
			}
			if next == len(order) {
				rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
				next = 0
			}
			t := order[next]
			next++
			b.WriteString(t)
			runes += utf8.RuneCountInString(t)
		}
		corpus = append(corpus, cutRunes(b.String(), corpusRunes))
	}
	return corpus
}

// cutRunes returns s's first n runes.
func cutRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// reportThroughput adds texts per second to a benchmark's results.
func reportThroughput(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "texts/s")
}

// BenchmarkPalabreAnalyze is palabre's full analysis (language, sentiment,
// intent, needs-response, spam) of one comment, with one Scratch reused as
// the inbox does.
func BenchmarkPalabreAnalyze(b *testing.B) {
	corpus := loadCorpus(b)
	m, err := enrich.Default()
	if err != nil {
		b.Fatal(err)
	}
	a := enrich.NewAnalyzer(m, nil, nil)
	s := enrich.NewScratch(m)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		a.Analyze(s, corpus[i%len(corpus)])
		i++
	}
	reportThroughput(b)
}

// BenchmarkGovaderPolarity is govader's English sentiment of one comment.
func BenchmarkGovaderPolarity(b *testing.B) {
	corpus := loadCorpus(b)
	sia := govader.NewSentimentIntensityAnalyzer()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		sia.PolarityScores(corpus[i%len(corpus)])
		i++
	}
	reportThroughput(b)
}

// BenchmarkWhatlangDetect is whatlanggo's language identification of one
// comment.
func BenchmarkWhatlangDetect(b *testing.B) {
	corpus := loadCorpus(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		whatlanggo.Detect(corpus[i%len(corpus)])
		i++
	}
	reportThroughput(b)
}

// heapGrowth returns how much live heap load leaves behind, measured
// between two full collections.
func heapGrowth(load func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	load()
	runtime.GC()
	runtime.ReadMemStats(&after)
	if after.HeapAlloc < before.HeapAlloc {
		return 0
	}
	return after.HeapAlloc - before.HeapAlloc
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// TestMemory measures the live heap each analyser's model takes once
// loaded. It must run before anything else in the process loads palabre's
// model, which enrich.Default does only once.
func TestMemory(t *testing.T) {
	var m *enrich.Model
	var err error
	palabre := heapGrowth(func() { m, err = enrich.Default() })
	if err != nil {
		t.Fatal(err)
	}
	// Loading builds the weight tables, so a much smaller growth means
	// Default had already run.
	if palabre < uint64(m.MemoryBytes())/2 {
		t.Skipf("palabre's model grew the heap by %d bytes, far less than its own tables (%d): it was loaded earlier in this process; run TestMemory first or alone",
			palabre, m.MemoryBytes())
	}
	t.Logf("palabre model (enrich.Default, version %s): heap +%.1f MiB (weight tables %.1f MiB; target %d MiB)",
		m.Version(), mib(palabre), mib(uint64(m.MemoryBytes())), maxPalabreModelBytes>>20)

	var sia *govader.SentimentIntensityAnalyzer
	vader := heapGrowth(func() { sia = govader.NewSentimentIntensityAnalyzer() })
	t.Logf("govader analyzer (NewSentimentIntensityAnalyzer): heap +%.1f MiB (%d lexicon words, %d emoji)",
		mib(vader), len(sia.Lexicon), len(sia.EmojiDict))
	t.Log("whatlanggo: no loading step; its trigram profiles are package-level variables set up at program start")
	runtime.KeepAlive(m)
	runtime.KeepAlive(sia)

	if palabre > maxPalabreModelBytes {
		t.Errorf("palabre's model takes %.1f MiB of heap, over the %d MiB target", mib(palabre), maxPalabreModelBytes>>20)
	}
}

// binaryScore tallies predictions on a pos/neg task where any other
// prediction counts as wrong.
type binaryScore struct {
	n, correct int
	tp, pred   map[string]int // true positives and predictions, by class
	gold       map[string]int
}

func newBinaryScore() *binaryScore {
	return &binaryScore{tp: map[string]int{}, pred: map[string]int{}, gold: map[string]int{}}
}

func (s *binaryScore) add(gold, pred string) {
	s.n++
	s.gold[gold]++
	s.pred[pred]++
	if gold == pred {
		s.correct++
		s.tp[gold]++
	}
}

func (s *binaryScore) accuracy() float64 { return float64(s.correct) / float64(s.n) }

// macroF1 averages the F1 of pos and neg.
func (s *binaryScore) macroF1() float64 {
	var sum float64
	for _, c := range []string{"pos", "neg"} {
		if s.tp[c] == 0 {
			continue
		}
		p := float64(s.tp[c]) / float64(s.pred[c])
		r := float64(s.tp[c]) / float64(s.gold[c])
		sum += 2 * p * r / (p + r)
	}
	return sum / 2
}

func (s *binaryScore) String() string {
	return fmt.Sprintf("accuracy %.3f, macro-F1 %.3f, predicted neu %d/%d", s.accuracy(), s.macroF1(), s.pred["neu"], s.n)
}

// vaderLabel maps a compound score to a label with VADER's usual thresholds.
func vaderLabel(compound float64) string {
	switch {
	case compound >= 0.05:
		return "pos"
	case compound <= -0.05:
		return "neg"
	}
	return "neu"
}

// TestEnglishSentimentAgreement compares govader's and palabre's sentiment
// on the English review sentences of the shared test set. It is
// informative: scores are logged, not asserted.
func TestEnglishSentimentAgreement(t *testing.T) {
	lines, err := readLines(sharedTestSet)
	if errors.Is(err, fs.ErrNotExist) {
		abs, _ := filepath.Abs(sharedTestSet)
		t.Skipf("%s not found", abs)
	}
	if err != nil {
		t.Fatal(err)
	}
	m, err := enrich.Default()
	if err != nil {
		t.Fatal(err)
	}
	a := enrich.NewAnalyzer(m, nil, nil)
	s := enrich.NewScratch(m)
	sia := govader.NewSentimentIntensityAnalyzer()

	vader, palabre := newBinaryScore(), newBinaryScore()
	bySource := map[string][2]*binaryScore{}
	var sources []string
	for _, l := range lines {
		if l.Lang != "en" || !strings.HasPrefix(l.Source, "uci-sentiment-") || l.Sentiment == nil {
			continue
		}
		gold := *l.Sentiment
		if gold != "pos" && gold != "neg" {
			continue
		}
		src, ok := bySource[l.Source]
		if !ok {
			src = [2]*binaryScore{newBinaryScore(), newBinaryScore()}
			bySource[l.Source] = src
			sources = append(sources, l.Source)
		}
		v := vaderLabel(sia.PolarityScores(l.Text).Compound)
		p := a.Analyze(s, l.Text).Sentiment
		vader.add(gold, v)
		palabre.add(gold, p)
		src[0].add(gold, v)
		src[1].add(gold, p)
	}
	if vader.n == 0 {
		t.Fatalf("no English uci-sentiment-* pos/neg line in %s", sharedTestSet)
	}
	t.Logf("%d English review sentences (uci-sentiment-*, pos %d, neg %d); neu predictions count as wrong",
		vader.n, vader.gold["pos"], vader.gold["neg"])
	t.Logf("  govader (compound ±0.05): %v", vader)
	t.Logf("  palabre (model %s): %v", m.Version(), palabre)
	for _, name := range sources {
		src := bySource[name]
		t.Logf("  %-22s n=%3d  govader acc %.3f  palabre acc %.3f", name, src[0].n, src[0].accuracy(), src[1].accuracy())
	}
}
