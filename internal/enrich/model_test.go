package enrich

import (
	"bytes"
	"compress/gzip"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// trainingData are the files the built-in model is trained on, relative to
// this package; the first is shared with palabre and may be absent.
var trainingData = []string{"../../../shared/data/nlp/dev.jsonl", "../../data/comments/train.jsonl"}

func readExamplesFile(t testing.TB, path string) []Example {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			t.Skipf("%s is absent (the shared data sits beside the repository); skipping", path)
		}
		t.Fatal(err)
	}
	defer f.Close()
	ex, err := ReadExamples(f, path)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

func defaultModel(t testing.TB) *Model {
	t.Helper()
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestModelRoundTrip(t *testing.T) {
	m := defaultModel(t)
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadModel(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if back.Version() != m.Version() {
		t.Errorf("version %s after a round trip, want %s", back.Version(), m.Version())
	}
	for i := range m.main {
		if m.main[i] != back.main[i] {
			t.Fatalf("weight %d: %v after a round trip, want %v", i, back.main[i], m.main[i])
		}
	}
	for i := range m.lang {
		if m.lang[i] != back.lang[i] {
			t.Fatalf("language weight %d: %v after a round trip, want %v", i, back.lang[i], m.lang[i])
		}
	}
}

func TestReadModelRefusesBadInput(t *testing.T) {
	gz := func(raw string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(raw))
		w.Close()
		return b.Bytes()
	}
	tests := map[string][]byte{
		"not gzip":      []byte("hello"),
		"wrong magic":   gz("something else\n"),
		"truncated":     gz(modelMagic + "\x01\x00"),
		"wrong layout":  gz(modelMagic + strings.Repeat("\x07\x00\x00\x00", 4)),
		"row too large": gz(modelMagic + "\x01\x00\x00\x00\x11\x00\x00\x00\x10\x00\x00\x00\x10\x00\x00\x00\x01\x00\x00\x00\xff\xff\xff\x7f"),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := ReadModel(bytes.NewReader(data)); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestModelMemory(t *testing.T) {
	const limit = 30 << 20
	if n := defaultModel(t).MemoryBytes(); n > limit {
		t.Errorf("model tables take %d bytes, over the %d budget", n, limit)
	}
}

// TestEmbeddedModelIsReproducible trains on the documented data with the
// default options and checks the result is the model built into palabre,
// byte for byte: the embedded weights are what palabre train makes.
func TestEmbeddedModelIsReproducible(t *testing.T) {
	var examples []Example
	for _, p := range trainingData {
		examples = append(examples, readExamplesFile(t, p)...)
	}
	m, err := Train(examples, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), embeddedModel) {
		out := filepath.Join(t.TempDir(), "global.bin")
		os.WriteFile(out, buf.Bytes(), 0o644)
		t.Fatalf("training gives another model than the embedded one (%d vs %d bytes; wrote %s): run palabre train", buf.Len(), len(embeddedModel), out)
	}
}

func TestTrainIsDeterministic(t *testing.T) {
	examples := readExamplesFile(t, "../../data/comments/train.jsonl")
	var outs [2][]byte
	for i := range outs {
		m, err := Train(examples, TrainOptions{Epochs: 3})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if _, err := m.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		outs[i] = buf.Bytes()
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Error("two trainings on the same data differ")
	}
}

func TestScoreMetrics(t *testing.T) {
	// gold pos ×4: predicted pos 3, neg 1; gold neg ×2: predicted neg 1, pos 1.
	tl := &tally{labels: Sentiments[:]}
	for _, p := range []string{"pos", "pos", "pos", "neg"} {
		tl.add("pos", p)
	}
	tl.add("neg", "neg")
	tl.add("neg", "pos")
	s := tl.score()
	if s.N != 6 || math.Abs(s.Accuracy-4.0/6) > 1e-9 {
		t.Errorf("n %d accuracy %v, want 6 and %v", s.N, s.Accuracy, 4.0/6)
	}
	// pos: precision 3/4, recall 3/4 → F1 0.75; neg: precision 1/2, recall 1/2 → 0.5.
	if math.Abs(s.F1["pos"]-0.75) > 1e-9 || math.Abs(s.F1["neg"]-0.5) > 1e-9 {
		t.Errorf("F1 %v, want pos 0.75 neg 0.5", s.F1)
	}
	if _, ok := s.F1["neu"]; ok {
		t.Error("neu has no gold example and must not count in macro-F1")
	}
	if math.Abs(s.MacroF1-0.625) > 1e-9 {
		t.Errorf("macro-F1 %v, want 0.625", s.MacroF1)
	}
}

func TestReadExamplesErrors(t *testing.T) {
	for name, in := range map[string]string{
		"not json":       "{\"text\":\"ok\"}\nnope\n",
		"no text":        `{"id":"1"}`,
		"bad sentiment":  `{"text":"x","sentiment":"happy"}`,
		"bad intent":     `{"text":"x","intent":"rant"}`,
		"bad lang":       `{"text":"x","lang":"klingon"}`,
		"spam not bool":  `{"text":"x","spam":"yes"}`,
		"text not text":  `{"text":3}`,
		"array not obj":  `[1]`,
		"truncated json": `{"text":"x"`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ReadExamples(strings.NewReader(in), "f.jsonl")
			if err == nil || !strings.Contains(err.Error(), "f.jsonl line ") {
				t.Errorf("error %v, want one naming f.jsonl and the line", err)
			}
		})
	}
}
