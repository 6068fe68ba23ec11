package enrich

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
)

// Columns of a weight row: every field's classes side by side, so that one
// feature costs one cache line whatever is asked of it.
const (
	colSentiment = 0 // neg, neu, pos
	colSpam      = 3 // one logit
	colIntent    = 4 // Intents, in order
	colNeeds     = 10
	usedColumns  = 11 // columns in use; the rest of a row is padding
	rowWidth     = 16
)

// Labels, in the order of their columns.
var (
	Sentiments = [3]string{"neg", "neu", "pos"}
	Intents    = [6]string{"question", "complaint", "request", "praise", "feedback", "other"}
)

// Model is the global analysis model: hand-written lexicons and trained
// weights. It is immutable and safe for concurrent use.
type Model struct {
	lex     *lexicons
	main    []float32 // (1<<mainBits) rows of rowWidth
	lang    []float32 // (1<<langBits) logits of French over English
	version string
}

// Version identifies the model's weights and lexicons; stored analyses made
// with another version are due for a refresh.
func (m *Model) Version() string { return m.version }

//go:embed model/global.bin
var embeddedModel []byte

// Default returns the model built into palabre, loading it on first use.
var Default = sync.OnceValues(func() (*Model, error) {
	m, err := ReadModel(bytes.NewReader(embeddedModel))
	if err != nil {
		return nil, fmt.Errorf("embedded model: %w", err)
	}
	return m, nil
})

// newModel returns a model with the lexicons and zero weights.
func newModel() (*Model, error) {
	lx, err := loadLexicons()
	if err != nil {
		return nil, err
	}
	return &Model{
		lex:  lx,
		main: make([]float32, (1<<mainBits)*rowWidth),
		lang: make([]float32, 1<<langBits),
	}, nil
}

const modelMagic = "palabre-model\n"

// modelFormat is the version of the file layout WriteTo produces.
const modelFormat = 1

// WriteTo writes the model's weights: a gzip stream of the magic line, the
// format and table sizes, then every non-zero row as its index and values,
// little-endian. Lexicons are not written; they are embedded as text.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	var raw bytes.Buffer
	raw.WriteString(modelMagic)
	put := func(v any) { _ = binary.Write(&raw, binary.LittleEndian, v) }
	put(uint32(modelFormat))
	put(uint32(mainBits))
	put(uint32(langBits))
	put(uint32(rowWidth))
	var rows []uint32
	for r := 0; r < 1<<mainBits; r++ {
		for _, v := range m.main[r*rowWidth : (r+1)*rowWidth] {
			if v != 0 {
				rows = append(rows, uint32(r))
				break
			}
		}
	}
	put(uint32(len(rows)))
	for _, r := range rows {
		put(r)
		put(m.main[int(r)*rowWidth : int(r+1)*rowWidth])
	}
	var langRows []uint32
	for r, v := range m.lang {
		if v != 0 {
			langRows = append(langRows, uint32(r))
		}
	}
	put(uint32(len(langRows)))
	for _, r := range langRows {
		put(r)
		put(m.lang[r])
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return 0, err
	}
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return 0, fmt.Errorf("write model: %w", err)
	}
	if err := zw.Close(); err != nil {
		return 0, fmt.Errorf("write model: %w", err)
	}
	return int64(raw.Len()), nil
}

// ReadModel reads weights written by WriteTo and joins them to the embedded
// lexicons.
func ReadModel(r io.Reader) (*Model, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	if !bytes.HasPrefix(raw, []byte(modelMagic)) {
		return nil, errors.New("read model: not a palabre model")
	}
	m, err := newModel()
	if err != nil {
		return nil, err
	}
	sum := sha256.New()
	sum.Write(raw)
	for _, name := range []string{"en", "fr", "negators", "intensifiers", "contrast", "emoticons", "stopwords"} {
		data, _ := lexiconFiles.ReadFile("lexicon/" + name + ".tsv")
		sum.Write(data)
	}
	m.version = hex.EncodeToString(sum.Sum(nil))[:12]

	br := bufio.NewReader(bytes.NewReader(raw[len(modelMagic):]))
	var head [4]uint32
	if err := binary.Read(br, binary.LittleEndian, &head); err != nil {
		return nil, fmt.Errorf("read model header: %w", err)
	}
	if head != [4]uint32{modelFormat, mainBits, langBits, rowWidth} {
		return nil, fmt.Errorf("read model: layout %v, want %v", head, [4]uint32{modelFormat, mainBits, langBits, rowWidth})
	}
	var n uint32
	if err := binary.Read(br, binary.LittleEndian, &n); err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	for range n {
		var r uint32
		if err := binary.Read(br, binary.LittleEndian, &r); err != nil {
			return nil, fmt.Errorf("read model row: %w", err)
		}
		if r >= 1<<mainBits {
			return nil, fmt.Errorf("read model: row %d out of range", r)
		}
		if err := binary.Read(br, binary.LittleEndian, m.main[int(r)*rowWidth:int(r+1)*rowWidth]); err != nil {
			return nil, fmt.Errorf("read model row: %w", err)
		}
	}
	if err := binary.Read(br, binary.LittleEndian, &n); err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	for range n {
		var r uint32
		var v float32
		if err := binary.Read(br, binary.LittleEndian, &r); err != nil {
			return nil, fmt.Errorf("read model language row: %w", err)
		}
		if err := binary.Read(br, binary.LittleEndian, &v); err != nil {
			return nil, fmt.Errorf("read model language row: %w", err)
		}
		if r >= 1<<langBits || math.IsNaN(float64(v)) {
			return nil, fmt.Errorf("read model: language row %d out of range", r)
		}
		m.lang[r] = v
	}
	return m, nil
}

// MemoryBytes is the memory the model's tables take.
func (m *Model) MemoryBytes() int { return 4 * (len(m.main) + len(m.lang)) }
