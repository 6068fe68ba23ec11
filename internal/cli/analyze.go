package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"palabre/internal/analysis"
	"palabre/internal/config"
	"palabre/internal/enrich"
)

// maxAnalyzeLine bounds one input line of palabre analyze.
const maxAnalyzeLine = 1 << 20

// analysisKeys are the keys analyze writes; the same keys in the input
// are replaced, not repeated.
var analysisKeys = map[string]bool{
	"lang": true, "lang_confidence": true, "sentiment": true, "sentiment_score": true,
	"intent": true, "intent_confidence": true, "needs_response": true, "needs_response_score": true,
	"spam": true, "spam_score": true, "topics": true,
}

func runAnalyze(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	rest, err := parse("analyze", args, env, &cfg, config.DB, config.Workspace, config.Model)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("analyze reads JSON lines on standard input and takes no arguments, got %q", rest)
	}
	a, err := loadAnalyzer(ctx, cfg)
	if err != nil {
		return err
	}
	bad, err := analyzeStream(ctx, a, env.Stdin, env.Stdout)
	if err != nil {
		return err
	}
	if bad > 0 {
		return exitError{ExitRejected, fmt.Errorf("%d lines could not be analysed (see their error objects)", bad)}
	}
	return nil
}

// loadModel returns the model named by --model, or the built-in one.
func loadModel(cfg config.Config) (*enrich.Model, error) {
	if cfg.Model == "" {
		return enrich.Default()
	}
	f, err := os.Open(cfg.Model)
	if err != nil {
		return nil, fmt.Errorf("--model: %w", err)
	}
	defer f.Close()
	m, err := enrich.ReadModel(f)
	if err != nil {
		return nil, fmt.Errorf("--model %s: %w", cfg.Model, err)
	}
	return m, nil
}

// loadAnalyzer returns the analyzer of --workspace (its vocabulary and
// corrections), or the bare model when no workspace is named.
func loadAnalyzer(ctx context.Context, cfg config.Config) (*enrich.Analyzer, error) {
	m, err := loadModel(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Workspace == "" {
		return enrich.NewAnalyzer(m, nil, nil), nil
	}
	st, ws, err := openWorkspace(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return analysis.ForWorkspace(ctx, st, m, ws.ID)
}

// analyzeStream analyses every line of in and writes one line to out for
// each: the input object with the analysis added, or an error object. It
// returns how many lines were bad.
func analyzeStream(ctx context.Context, a *enrich.Analyzer, in io.Reader, out io.Writer) (int, error) {
	br := bufio.NewReaderSize(in, 64<<10)
	bw := bufio.NewWriterSize(out, 64<<10)
	s := enrich.NewScratch(a.Model())
	var line []byte
	bad, n := 0, 0
	for {
		if err := ctx.Err(); err != nil {
			return bad, err
		}
		// Flush before a read that may wait, so that a caller feeding one
		// line at a time gets each answer at once.
		if br.Buffered() == 0 {
			if err := bw.Flush(); err != nil {
				return bad, fmt.Errorf("write: %w", err)
			}
		}
		var tooLong bool
		var err error
		line, tooLong, err = readLine(br, line[:0])
		if err != nil && !errors.Is(err, io.EOF) {
			return bad, fmt.Errorf("read standard input: %w", err)
		}
		if len(line) == 0 && !tooLong && errors.Is(err, io.EOF) {
			break
		}
		n++ // blank lines count, so that n is the line's number in the input
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) == 0 && !tooLong {
			if errors.Is(err, io.EOF) {
				break
			}
			continue // blank lines carry nothing to answer
		}
		var werr error
		if tooLong {
			werr = writeError(bw, n, fmt.Sprintf("line is longer than %d bytes", maxAnalyzeLine))
			bad++
		} else if lerr := analyzeLine(bw, a, s, trimmed); lerr != nil {
			werr = writeError(bw, n, lerr.Error())
			bad++
		}
		if werr != nil {
			return bad, fmt.Errorf("write: %w", werr)
		}
		if errors.Is(err, io.EOF) {
			break
		}
	}
	if err := bw.Flush(); err != nil {
		return bad, fmt.Errorf("write: %w", err)
	}
	return bad, nil
}

// readLine reads one line into buf, without its end. A line longer than
// maxAnalyzeLine (line end excluded) is consumed and reported as too long.
func readLine(br *bufio.Reader, buf []byte) ([]byte, bool, error) {
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > maxAnalyzeLine+len("\r\n") {
				tooLong, buf = true, buf[:0]
			} else {
				buf = append(buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		// The limit is checked once the line end is off: the last line
		// may have none.
		line := bytes.TrimRight(buf, "\r\n")
		if len(line) > maxAnalyzeLine {
			return line[:0], true, err
		}
		return line, tooLong, err
	}
}

func writeError(w *bufio.Writer, line int, msg string) error {
	b, err := json.Marshal(struct {
		Error string `json:"error"`
		Line  int    `json:"line"`
	}{msg, line})
	if err != nil {
		return err
	}
	w.Write(b)
	return w.WriteByte('\n')
}

// analyzeLine analyses one JSON object and writes it back with the
// analysis, keeping its other members in their order.
func analyzeLine(w *bufio.Writer, a *enrich.Analyzer, s *enrich.Scratch, line []byte) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errors.New("not a JSON object")
	}
	type member struct {
		key string
		raw json.RawMessage
	}
	var members []member
	var text, title, body string
	var haveText, haveBody bool
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return fmt.Errorf("not JSON: %v", err)
		}
		key, _ := kt.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("not JSON: %v", err)
		}
		switch key {
		case "text", "body", "title":
			if string(raw) == "null" {
				break // unset, as everywhere in palabre's JSON lines
			}
			var v string
			if err := json.Unmarshal(raw, &v); err != nil {
				return fmt.Errorf("%q is not a string", key)
			}
			switch key {
			case "text":
				text, haveText = v, true
			case "body":
				body, haveBody = v, true
			default:
				title = v
			}
		}
		if !analysisKeys[key] {
			members = append(members, member{key, raw})
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("not JSON: %v", err)
	}
	if dec.More() {
		return errors.New("more than one JSON value on the line")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("more than one JSON value on the line")
	}
	switch {
	case haveText:
	case haveBody:
		text = analysis.Text(title, body)
	default:
		return errors.New(`no "text" member (a string) to analyse`)
	}
	r := a.Analyze(s, text)

	w.WriteByte('{')
	for _, m := range members {
		k, _ := json.Marshal(m.key)
		w.Write(k)
		w.WriteByte(':')
		w.Write(m.raw)
		w.WriteByte(',')
	}
	fmt.Fprintf(w, `"lang":%q,"lang_confidence":%s,"sentiment":%q,"sentiment_score":%s,"intent":%q,"intent_confidence":%s,"needs_response":%t,"needs_response_score":%s,"spam":%t,"spam_score":%s,"topics":`,
		r.Lang, num(r.LangConfidence), r.Sentiment, num(r.SentimentScore), r.Intent, num(r.IntentConfidence),
		r.NeedsResponse, num(r.NeedsResponseScore), r.Spam, num(r.SpamScore))
	topics, _ := json.Marshal(r.Topics)
	if r.Topics == nil {
		topics = []byte("[]")
	}
	w.Write(topics)
	w.WriteString("}\n")
	return nil
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
