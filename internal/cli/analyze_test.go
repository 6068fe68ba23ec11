package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"palabre/internal/analysis"
	"palabre/internal/cli"
	"palabre/internal/enrich"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// The embedded model may be untrained while it is being retrained: these
// tests compare palabre analyze with the model it uses, and check what
// holds whatever the weights (shapes, corrections, vocabularies), never a
// label the model alone would give.

// analysisOrder is the order of the keys palabre analyze adds.
var analysisOrder = []string{"lang", "lang_confidence", "sentiment", "sentiment_score", "intent", "intent_confidence",
	"needs_response", "needs_response_score", "spam", "spam_score", "topics"}

// member is one member of a JSON object, as written.
type member struct {
	key string
	raw string
}

// members splits one JSON object into its members, in order.
func members(t *testing.T, line string) []member {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %q (%v)", line, err)
	}
	var out []member
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		out = append(out, member{k.(string), string(raw)})
	}
	return out
}

func keysOf(ms []member) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.key)
	}
	return out
}

// analysed is the analysis part of one output line.
type analysed struct {
	Lang               string   `json:"lang"`
	LangConfidence     *float64 `json:"lang_confidence"`
	Sentiment          string   `json:"sentiment"`
	SentimentScore     *float64 `json:"sentiment_score"`
	Intent             string   `json:"intent"`
	IntentConfidence   *float64 `json:"intent_confidence"`
	NeedsResponse      *bool    `json:"needs_response"`
	NeedsResponseScore *float64 `json:"needs_response_score"`
	Spam               *bool    `json:"spam"`
	SpamScore          *float64 `json:"spam_score"`
	Topics             []string `json:"topics"`
}

func decodeAnalysed(t *testing.T, line string) analysed {
	t.Helper()
	var a analysed
	if err := json.Unmarshal([]byte(line), &a); err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	return a
}

// wantAnalysed is what palabre analyze should print for text with a.
func wantAnalysed(a *enrich.Analyzer, text string) analysed {
	r := a.Analyze(enrich.NewScratch(a.Model()), text)
	topics := append([]string{}, r.Topics...)
	return analysed{r.Lang, &r.LangConfidence, r.Sentiment, &r.SentimentScore, r.Intent, &r.IntentConfidence,
		&r.NeedsResponse, &r.NeedsResponseScore, &r.Spam, &r.SpamScore, topics}
}

func (a analysed) String() string {
	b, _ := json.Marshal(a)
	return string(b)
}

func bareAnalyzer(t *testing.T) *enrich.Analyzer {
	t.Helper()
	m, err := enrich.Default()
	if err != nil {
		t.Fatal(err)
	}
	return enrich.NewAnalyzer(m, nil, nil)
}

// outputLines splits palabre analyze's output; every line must end.
func outputLines(t *testing.T, out string) []string {
	t.Helper()
	if out == "" {
		return nil
	}
	if !strings.HasSuffix(out, "\n") {
		t.Fatalf("output does not end its last line: %q", out[max(0, len(out)-80):])
	}
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
}

func TestAnalyzeCommand(t *testing.T) {
	t.Parallel()
	bare := bareAnalyzer(t)
	const limit = 1 << 20
	textOfLen := func(n int) string { // a line of n bytes
		return `{"text":"` + strings.Repeat("a", n-len(`{"text":""}`)) + `"}`
	}
	// err is a fragment of the expected error message, "" for a line that
	// is answered; text is what a good line analyses.
	lines := []struct {
		in   string
		err  string
		text string
	}{
		{`{"id":1,"text":"Bonjour, mon frein couine","lang":"xx","n":1.50,"u":"\u00e9","sentiment":"pos","topics":"nope","z":{"a":[1,null]}}`,
			"", "Bonjour, mon frein couine"},
		{``, "", ""}, // blank: skipped
		{`not json`, "not JSON", ""},
		{`[1,2]`, "not a JSON object", ""},
		{`{"id":5}`, `no "text" member`, ""},
		{`{"text":5}`, `"text" is not a string`, ""},
		{`{"text":["a"]}`, `"text" is not a string`, ""},
		{`{"body":{"a":1}}`, `"body" is not a string`, ""},
		{`{"text":null}`, `no "text" member`, ""}, // null is unset, as in palabre's NDJSON
		{`{"text":"a"}{"text":"b"}`, "more than one JSON value", ""},
		{`{"text":"a"} 2`, "more than one JSON value", ""},
		{`{"text":"a"`, "not JSON", ""},
		{`   `, "", ""}, // blank: skipped
		{`{"title":"Horaires","body":"Ouvert samedi ?","id":"x"}`, "", "Horaires\nOuvert samedi ?"},
		{`{"body":"Sans titre","text":null,"title":null}`, "", "Sans titre"},
		{`{"text":"le texte gagne","body":"pas le corps"}`, "", "le texte gagne"},
		{textOfLen(limit + 1), "longer than 1048576 bytes", ""},
		{textOfLen(limit), "", strings.Repeat("a", limit-len(`{"text":""}`))},
		{`{"text":"dernière ligne, sans fin de ligne"}`, "", "dernière ligne, sans fin de ligne"},
	}
	var in []string
	for _, l := range lines {
		in = append(in, l.in)
	}
	code, out, errOut := run(t, strings.Join(in, "\n"), "analyze")
	if code != cli.ExitRejected {
		t.Fatalf("exit %d, want %d; stderr %s", code, cli.ExitRejected, errOut)
	}
	got := outputLines(t, out)
	var answered int
	bad := 0
	for i, l := range lines {
		if strings.TrimSpace(l.in) == "" {
			continue
		}
		if answered >= len(got) {
			t.Fatalf("only %d lines answered; input line %d has no answer", len(got), i+1)
		}
		line := got[answered]
		answered++
		if l.err != "" {
			bad++
			var e struct {
				Error string
				Line  int
			}
			if err := json.Unmarshal([]byte(line), &e); err != nil || !strings.Contains(e.Error, l.err) || e.Line != i+1 ||
				!slices.Equal(keysOf(members(t, line)), []string{"error", "line"}) {
				t.Errorf("input line %d %.40q: answer %.200s, want error %q at line %d", i+1, l.in, line, l.err, i+1)
			}
			continue
		}
		if want := wantAnalysed(bare, l.text); decodeAnalysed(t, line).String() != want.String() {
			t.Errorf("input line %d: analysis %s, want %s", i+1, decodeAnalysed(t, line), want)
		}
	}
	if answered != len(got) {
		t.Fatalf("%d answers for %d non-blank lines:\n%s", len(got), answered, out)
	}
	if !strings.Contains(errOut, fmt.Sprintf("%d lines could not be analysed", bad)) {
		t.Errorf("stderr %q does not count the %d bad lines", errOut, bad)
	}

	// Unknown members are kept as written and in order; the input's
	// analysis keys are replaced, not repeated; topics is always an array.
	first := members(t, got[0])
	wantKeys := append([]string{"id", "text", "n", "u", "z"}, analysisOrder...)
	if !slices.Equal(keysOf(first), wantKeys) {
		t.Fatalf("keys %v, want %v", keysOf(first), wantKeys)
	}
	for i, raw := range []string{`1`, `"Bonjour, mon frein couine"`, `1.50`, `"\u00e9"`, `{"a":[1,null]}`} {
		if first[i].raw != raw {
			t.Errorf("member %s written as %s, want %s", first[i].key, first[i].raw, raw)
		}
	}
	if a := decodeAnalysed(t, got[0]); a.Lang == "xx" || a.Topics == nil {
		t.Errorf("first line: %s", a)
	}
	for _, line := range got {
		if strings.HasPrefix(line, `{"error"`) {
			continue
		}
		if !strings.Contains(line, `"topics":[`) {
			t.Errorf("topics not an array: %.200s", line)
		}
	}
}

func TestAnalyzeCommandLineEnds(t *testing.T) {
	t.Parallel()
	bare := bareAnalyzer(t)
	longest := strings.Repeat("a", 1<<20-len(`{"text":""}`)) // a line of exactly 1 MiB
	cases := []struct {
		name, in string
		code     int
		answers  []string // the analysed text, or "error@N"
	}{
		{"empty input", "", cli.ExitOK, nil},
		{"only blank lines", "\n \n\t\n", cli.ExitOK, nil},
		{"one line with its end", "{\"text\":\"un\"}\n", cli.ExitOK, []string{"un"}},
		{"one line without its end", "{\"text\":\"un\"}", cli.ExitOK, []string{"un"}},
		{"CRLF", "{\"text\":\"un\"}\r\n\r\n{\"text\":5}\r\n{\"text\":\"trois\"}\r\n", cli.ExitRejected, []string{"un", "error@3", "trois"}},
		{"blank lines count", "\n\n{\"x\":1}\n\n{\"text\":\"cinq\"}\n\n", cli.ExitRejected, []string{"error@3", "cinq"}},
		{"bad last line without its end", "{\"text\":\"un\"}\n{", cli.ExitRejected, []string{"un", "error@2"}},
		{"longest line, ending with CRLF", `{"text":"` + longest + "\"}\r\n{\"text\":\"deux\"}", cli.ExitOK, []string{longest, "deux"}},
		{"too long last line without its end", "{\"text\":\"un\"}\n" + `{"text":"b` + longest + `"}`, cli.ExitRejected, []string{"un", "error@2"}},
		{"too long line ending with CRLF", `{"text":"b` + longest + "\"}\r\n{\"text\":\"deux\"}", cli.ExitRejected, []string{"error@1", "deux"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := run(t, c.in, "analyze")
			if code != c.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, c.code, errOut)
			}
			if c.code == cli.ExitOK && errOut != "" {
				t.Fatalf("stderr %q", errOut)
			}
			got := outputLines(t, out)
			if len(got) != len(c.answers) {
				t.Fatalf("%d answers, want %d: %.300s", len(got), len(c.answers), out)
			}
			for i, want := range c.answers {
				if n, ok := strings.CutPrefix(want, "error@"); ok {
					if !strings.HasPrefix(got[i], `{"error":`) || !strings.HasSuffix(got[i], `"line":`+n+`}`) {
						t.Errorf("answer %d: %.200s, want an error at line %s", i, got[i], n)
					}
					continue
				}
				if a, w := decodeAnalysed(t, got[i]), wantAnalysed(bare, want); a.String() != w.String() {
					t.Errorf("answer %d: %.200s, want %.200s", i, a, w)
				}
			}
		})
	}
}

func TestAnalyzeCommandFlags(t *testing.T) {
	t.Parallel()
	dsn := testutil.NewDSN(t, store.EngineSQLite)
	cases := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"analyze", "extra"}, cli.ExitUsage, "takes no arguments"},
		{[]string{"analyze", "--nope"}, cli.ExitUsage, "flag provided but not defined"},
		{[]string{"analyze", "--model", filepath.Join(t.TempDir(), "absent.bin")}, cli.ExitFailure, "--model"},
		{[]string{"analyze", "--model", writeFile(t, "junk.bin", "not a model")}, cli.ExitFailure, "--model"},
		{[]string{"analyze", "--db", dsn, "--workspace", "nope"}, cli.ExitFailure, `workspace "nope": not found`},
	}
	for _, c := range cases {
		code, out, errOut := run(t, `{"text":"x"}`+"\n", c.args...)
		if code != c.code || !strings.Contains(errOut, c.stderr) || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and %q", c.args, code, out, errOut, c.code, c.stderr)
		}
	}
}

// threeMessages are customer messages without analysis.
const threeMessages = `{"external_id":"m1","author_name":"Inès","body":"Bonjour, mon frein arrière couine depuis la révision.","created_at":"2024-05-02T09:00:00Z"}
{"external_id":"m2","author_name":"Sam","body":"Merci pour la réponse rapide, tout fonctionne.","created_at":"2024-05-02T10:00:00Z"}
{"external_id":"m3","parent_external_id":"m1","author_name":"Atelier","author_is_staff":true,"body":"Passez nous voir à l'atelier.","created_at":"2024-05-02T11:00:00Z"}
`

// importThree imports threeMessages into workspace ws of dsn and returns
// the stored messages by external id.
func importThree(t *testing.T, dsn, ws string) map[string]store.StoredMessage {
	t.Helper()
	if code, _, errOut := run(t, "", "import", "--db", dsn, "--workspace", ws, writeFile(t, "three.ndjson", threeMessages)); code != 0 {
		t.Fatalf("import: exit %d: %s", code, errOut)
	}
	return storedMessages(t, dsn, ws)
}

func storedMessages(t *testing.T, dsn, slug string) map[string]store.StoredMessage {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ws, err := st.WorkspaceBySlug(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	inputs, err := st.AnalysisInputs(ctx, ws.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]store.StoredMessage{}
	for _, in := range inputs {
		m, err := st.Message(ctx, ws.ID, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		out[m.ExternalID] = m
	}
	return out
}

// analyzeOne runs palabre analyze on one text with args and returns its
// analysis.
func analyzeOne(t *testing.T, text string, args ...string) analysed {
	t.Helper()
	line, _ := json.Marshal(map[string]string{"text": text})
	code, out, errOut := run(t, string(line)+"\n", append([]string{"analyze"}, args...)...)
	if code != 0 {
		t.Fatalf("analyze %v: exit %d: %s", args, code, errOut)
	}
	got := outputLines(t, out)
	if len(got) != 1 {
		t.Fatalf("analyze printed %q", out)
	}
	return decodeAnalysed(t, got[0])
}

func otherThan(labels []string, not string) string {
	for _, l := range labels {
		if l != not && l != "other" {
			return l
		}
	}
	panic("no other label")
}

// TestAnalyzeWorkspaceCommands runs topics, analyze --workspace, reanalyze
// and correct against one database, on each engine.
func TestAnalyzeWorkspaceCommands(t *testing.T) {
	t.Parallel()
	bare := bareAnalyzer(t)
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			dsn := testutil.NewDSN(t, engine)
			msgs := importThree(t, dsn, "velo")
			importThree(t, dsn, "banque")
			frein := msgs["m1"]
			text := analysis.Text(frein.Title, frein.Body)

			// A workspace's vocabulary shows in its topics, and only there.
			if code, _, errOut := run(t, "", "topics", "set", "--db", dsn, "--workspace", "velo", "Freins", "frein, patin"); code != 0 {
				t.Fatalf("topics set: exit %d: %s", code, errOut)
			}
			if got := analyzeOne(t, text, "--db", dsn, "--workspace", "velo").Topics; !slices.Equal(got, []string{"Freins"}) {
				t.Fatalf("topics with --workspace velo: %v", got)
			}
			for _, args := range [][]string{{"--db", dsn, "--workspace", "banque"}, nil} {
				if got := analyzeOne(t, text, args...); got.String() != wantAnalysed(bare, text).String() {
					t.Fatalf("analyze %v: %s, want the bare model's %s", args, got, wantAnalysed(bare, text))
				}
			}

			// reanalyze: the imported messages get the new topic.
			if got := msgs["m1"].Topics; len(got) != 0 {
				t.Fatalf("topics before reanalysis: %v", got)
			}
			code, out, errOut := run(t, "", "reanalyze", "--db", dsn, "--workspace", "velo")
			if code != 0 {
				t.Fatalf("reanalyze: exit %d: %s", code, errOut)
			}
			if ok, _ := regexp.MatchString(`^reanalysed 3 of 3 messages of velo with analysis [0-9a-f]{12}\+t[0-9a-f]+\n$`, out); !ok {
				t.Fatalf("reanalyze printed %q", out)
			}
			if got := storedMessages(t, dsn, "velo")["m1"].Topics; !slices.Equal(got, []string{"Freins"}) {
				t.Fatalf("topics after reanalysis: %v", got)
			}
			code, out, errOut = run(t, "", "reanalyze", "--db", dsn, "--workspace", "banque", "--json", "--batch-size", "2")
			if code != 0 {
				t.Fatalf("reanalyze --json: exit %d: %s", code, errOut)
			}
			var sum analysis.ReanalyzeSummary
			if err := json.Unmarshal([]byte(out), &sum); err != nil {
				t.Fatalf("reanalyze --json printed %q: %v", out, err)
			}
			if sum != (analysis.ReanalyzeSummary{Messages: 3, Total: 3, Version: bare.Model().Version()}) {
				t.Fatalf("reanalyze --json: %+v", sum)
			}
			for _, c := range []struct {
				args   []string
				code   int
				stderr string
			}{
				{[]string{"reanalyze", "--db", dsn}, cli.ExitUsage, "--workspace is required"},
				{[]string{"reanalyze", "--db", dsn, "--workspace", "velo", "extra"}, cli.ExitUsage, "takes no arguments"},
				{[]string{"reanalyze", "--db", dsn, "--workspace", "nope"}, cli.ExitFailure, `workspace "nope": not found`},
			} {
				if code, _, errOut := run(t, "", c.args...); code != c.code || !strings.Contains(errOut, c.stderr) {
					t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errOut, c.code, c.stderr)
				}
			}

			// correct: refused command lines change nothing.
			id := strconv.FormatInt(frein.ID, 10)
			otherID := strconv.FormatInt(storedMessages(t, dsn, "banque")["m1"].ID, 10)
			for _, c := range []struct {
				args   []string
				code   int
				stderr string
			}{
				{[]string{id, "sentiment", "pos"}, cli.ExitUsage, "--workspace is required"},
				{[]string{"--workspace", "velo", id, "sentiment"}, cli.ExitUsage, "correct takes MESSAGE_ID FIELD VALUE"},
				{[]string{"--workspace", "velo"}, cli.ExitUsage, "correct takes MESSAGE_ID FIELD VALUE"},
				{[]string{"--workspace", "velo", "abc", "sentiment", "pos"}, cli.ExitUsage, `message id "abc" is not a positive number`},
				{[]string{"--workspace", "velo", "0", "sentiment", "pos"}, cli.ExitUsage, "is not a positive number"},
				{[]string{"--workspace", "velo", id, "lang", "fr"}, cli.ExitUsage, `field "lang" cannot be corrected`},
				{[]string{"--workspace", "velo", id, "sentiment", "angry"}, cli.ExitUsage, `sentiment "angry"`},
				{[]string{"--workspace", "velo", id, "spam", "maybe"}, cli.ExitUsage, `spam "maybe"`},
				{[]string{"--workspace", "velo", "999999", "sentiment", "pos"}, cli.ExitFailure, "message 999999: not found"},
				{[]string{"--workspace", "velo", otherID, "sentiment", "pos"}, cli.ExitFailure, "not found"},
				{[]string{"--workspace", "nope", id, "sentiment", "pos"}, cli.ExitFailure, `workspace "nope": not found`},
			} {
				args := append([]string{"correct", "--db", dsn}, c.args...)
				if code, out, errOut := run(t, "", args...); code != c.code || !strings.Contains(errOut, c.stderr) || out != "" {
					t.Errorf("%v: exit %d, stdout %q, stderr %q; want %d and %q", c.args, code, out, errOut, c.code, c.stderr)
				}
			}
			if got := storedMessages(t, dsn, "velo")["m1"]; got.Corrected != 0 {
				t.Fatalf("a refused correction changed the message: %q", got.Corrected)
			}

			// correct: the message takes the value, the workspace learns it.
			before := analyzeOne(t, text, "--db", dsn, "--workspace", "velo")
			sentiment := otherThan(enrich.Sentiments[:], before.Sentiment)
			code, out, errOut = run(t, "", "correct", "--db", dsn, "--workspace", "velo", "--json", id, "sentiment", sentiment)
			if code != 0 {
				t.Fatalf("correct --json: exit %d: %s", code, errOut)
			}
			var c store.Correction
			if err := json.Unmarshal([]byte(out), &c); err != nil {
				t.Fatalf("correct --json printed %q: %v", out, err)
			}
			if c.ID == 0 || c.MessageID != frein.ID || c.Field != "sentiment" || c.NewValue != sentiment ||
				c.OldValue != before.Sentiment || c.Actor != "cli" || c.Text != text {
				t.Fatalf("correct --json: %+v", c)
			}
			spam := fmt.Sprint(!*before.Spam)
			code, out, errOut = run(t, "", "correct", "--db", dsn, "--workspace", "velo", id, "spam", spam)
			if want := fmt.Sprintf("message %s: spam %q → %q; velo learns it from now on\n", id, fmt.Sprint(*before.Spam), spam); code != 0 || out != want {
				t.Fatalf("correct: exit %d, stdout %q, stderr %q; want %q", code, out, errOut, want)
			}
			stored := storedMessages(t, dsn, "velo")["m1"]
			if stored.Sentiment != sentiment || fmt.Sprint(*stored.Spam) != spam || stored.Corrected != store.CorrectedSentiment|store.CorrectedSpam {
				t.Fatalf("stored after correct: sentiment %s, spam %v, corrected %q", stored.Sentiment, *stored.Spam, stored.Corrected)
			}
			after := analyzeOne(t, text, "--db", dsn, "--workspace", "velo")
			if after.Sentiment != sentiment || fmt.Sprint(*after.Spam) != spam || !slices.Equal(after.Topics, []string{"Freins"}) {
				t.Fatalf("after correct: %s, want sentiment %s and spam %s", after, sentiment, spam)
			}
			if got := analyzeOne(t, text, "--db", dsn, "--workspace", "banque"); got.String() != wantAnalysed(bare, text).String() {
				t.Fatalf("another workspace learned the correction: %s", got)
			}
			// A reanalysis keeps the corrected values.
			code, out, errOut = run(t, "", "reanalyze", "--db", dsn, "--workspace", "velo", "--json")
			if err := json.Unmarshal([]byte(out), &sum); code != 0 || err != nil || sum.Messages != 3 || !strings.HasSuffix(sum.Version, "+c2") {
				t.Fatalf("reanalyze after correct: exit %d, %q, %s", code, out, errOut)
			}
			if got := storedMessages(t, dsn, "velo")["m1"]; got.Sentiment != sentiment || fmt.Sprint(*got.Spam) != spam {
				t.Fatalf("reanalysis overwrote the corrections: %s, %v", got.Sentiment, *got.Spam)
			}
		})
	}
}

// labelled is a small labelled set in the format of the training data.
const labelled = `{"id":"1","text":"Merci beaucoup, service parfait et rapide !","lang":"fr","sentiment":"pos","intent":"praise","spam":false,"needs_response":false}
{"id":"2","text":"Colis jamais arrivé, je suis furieux.","lang":"fr","sentiment":"neg","intent":"complaint","spam":false,"needs_response":true}
{"id":"3","text":"Quels sont vos horaires le samedi ?","lang":"fr","sentiment":"neu","intent":"question","spam":false,"needs_response":true}
{"id":"4","text":"Thanks a lot, great support!","lang":"en","sentiment":"pos","intent":"praise","spam":false,"needs_response":false}
{"id":"5","text":"My order never arrived, this is unacceptable.","lang":"en","sentiment":"neg","intent":"complaint","spam":false,"needs_response":true}
{"id":"6","text":"What time do you open on Saturday?","lang":"en","sentiment":"neu","intent":"question","spam":false,"needs_response":true}
{"id":"7","text":"Cheap pills, buy now at http://spam.example","lang":"en","sentiment":"neu","intent":"other","spam":true,"needs_response":false}
{"id":"8","text":"Gagnez un iPhone gratuit, cliquez ici http://spam.example","lang":"fr","sentiment":"neu","intent":"other","spam":true,"needs_response":false}

{"id":"9","text":"Pourriez-vous m'envoyer la facture ?","lang":"fr","sentiment":"neu","intent":"request","spam":false,"needs_response":true}
{"id":"10","text":"Could you send me the invoice please?","lang":"en","sentiment":"neu","intent":"request","spam":false,"needs_response":true}
{"id":"11","text":"Le nouveau catalogue est bien, mais les prix ont augmenté.","lang":"fr","sentiment":"neu","intent":"feedback"}
{"id":"12","text":"The new app is nice but a bit slow.","lang":"en","sentiment":"neu","intent":"feedback"}
`

func TestTrainAndEvalCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	small := filepath.Join(dir, "small.jsonl")
	if err := os.WriteFile(small, []byte(labelled), 0o644); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := run(t, "", "train", "--cv", "2", small)
	if code != 0 {
		t.Fatalf("train --cv 2: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"2-fold cross-validation on 12 examples from " + small, "macro-F1", "== sentiment", "== intent"} {
		if !strings.Contains(out, want) {
			t.Errorf("train --cv 2 output lacks %q:\n%s", want, out)
		}
	}

	// Test sets are for evaluation only: nothing is read nor written.
	model := filepath.Join(dir, "out", "model.bin")
	if err := os.Mkdir(filepath.Dir(model), 0o755); err != nil {
		t.Fatal(err)
	}
	testSet := filepath.Join(dir, "test.jsonl")
	if err := os.WriteFile(testSet, []byte(labelled), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"train", "--out", model, testSet},
		{"train", "--out", model, small, testSet},
		{"train", "--cv", "2", testSet},
		{"train", "--out", model, filepath.Join(dir, "nlp-test-2024.jsonl")},
	} {
		code, out, errOut := run(t, "", args...)
		if code != cli.ExitUsage || out != "" || !strings.Contains(errOut, "a test set is for evaluation only") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 refusing the test set", args, code, out, errOut)
		}
	}
	if _, err := os.Stat(model); !os.IsNotExist(err) {
		t.Fatalf("a refused training wrote %s: %v", model, err)
	}

	code, out, errOut = run(t, "", "train", "--out", model, small)
	if code != 0 || !strings.HasPrefix(out, "trained on 12 examples from "+small+"; wrote "+model) {
		t.Fatalf("train: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	f, err := os.Open(model)
	if err != nil {
		t.Fatal(err)
	}
	trained, err := enrich.ReadModel(f)
	f.Close()
	if err != nil {
		t.Fatalf("the written model does not read back: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(model)); len(entries) != 1 {
		t.Fatalf("train left files beside the model: %v", entries)
	}

	// eval uses the model it is given; a test set is fine to evaluate on.
	code, out, errOut = run(t, "", "eval", "--model", model, small, testSet)
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"24 examples from " + small + ", " + testSet + ", model " + trained.Version(),
		"accuracy", "macro-F1", "confusion (rows gold, columns predicted):", "== lang", "== sentiment", "== spam", "== intent", "== needs_response"} {
		if !strings.Contains(out, want) {
			t.Errorf("eval output lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`(?m)^pos\s+\d+\s+\d+\s+\d+$`).MatchString(out) {
		t.Errorf("eval output has no sentiment confusion row for pos:\n%s", out)
	}
	code, out, errOut = run(t, "", "eval", small)
	if code != 0 || !strings.Contains(out, "model "+bareAnalyzer(t).Model().Version()) {
		t.Fatalf("eval with the built-in model: exit %d, %q, %s", code, out, errOut)
	}
	code, out, errOut = run(t, "", "eval", "--model", model, "--json", small)
	var rep enrich.Report
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil {
		t.Fatalf("eval --json: exit %d, %v, stderr %s", code, err, errOut)
	}
	if sc := rep.Fields["sentiment"]["all"]; sc == nil || sc.N != 12 || rep.Fields["spam"]["all"].N != 10 || rep.Fields["intent"]["lang=en"].N != 6 {
		t.Fatalf("eval --json: %+v", rep.Fields)
	}
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"eval"}, cli.ExitUsage},
		{[]string{"eval", "--model", filepath.Join(dir, "absent.bin"), small}, cli.ExitFailure},
		{[]string{"eval", filepath.Join(dir, "absent.jsonl")}, cli.ExitFailure},
		{[]string{"eval", writeFile(t, "bad.jsonl", `{"text":"x","sentiment":"angry"}`)}, cli.ExitFailure},
		{[]string{"train", "--out", filepath.Join(dir, "no", "such", "dir", "m.bin"), small}, cli.ExitFailure},
		{[]string{"train", "--cv", "50", small}, cli.ExitFailure},
	} {
		if code, _, errOut := run(t, "", c.args...); code != c.code {
			t.Errorf("%v: exit %d, want %d; stderr %s", c.args, code, c.code, errOut)
		}
	}
}

func TestImportAnalyzeFlag(t *testing.T) {
	t.Parallel()
	input := writeFile(t, "three.ndjson", threeMessages)
	export := func(analyze ...string) []map[string]any {
		t.Helper()
		dsn := testutil.NewDSN(t, store.EngineSQLite)
		args := append(append([]string{"import", "--db", dsn, "--workspace", "w"}, analyze...), input)
		if code, _, errOut := run(t, "", args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		code, out, errOut := run(t, "", "export", "--db", dsn, "--workspace", "w")
		if code != 0 {
			t.Fatalf("export: exit %d: %s", code, errOut)
		}
		var msgs []map[string]any
		dec := json.NewDecoder(bytes.NewReader([]byte(out)))
		for dec.More() {
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, m)
		}
		if len(msgs) != 3 {
			t.Fatalf("exported %d messages: %s", len(msgs), out)
		}
		return msgs
	}
	keys := []string{"lang", "lang_confidence", "sentiment", "sentiment_score", "intent", "needs_response",
		"needs_response_score", "spam", "spam_score"}
	for _, m := range export() {
		for _, k := range keys {
			if _, ok := m[k]; !ok {
				t.Errorf("default import: %s has no %s", m["external_id"], k)
			}
		}
		if m["author_is_staff"] == true && (m["needs_response"] != false || m["needs_response_score"] != 0.0) {
			t.Errorf("staff message %s needs a response: %v", m["external_id"], m["needs_response"])
		}
	}
	for _, flag := range []string{"--analyze=false", "-analyze=false"} {
		for _, m := range export(flag) {
			for _, k := range append(keys, "topics") {
				if _, ok := m[k]; ok {
					t.Errorf("%s: %s has %s = %v", flag, m["external_id"], k, m[k])
				}
			}
		}
	}
}
