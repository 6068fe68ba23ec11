package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"

	"palabre/internal/enrich"
)

// FuzzAnalyzeLine feeds arbitrary lines to palabre analyze's line reader:
// it never panics, and always answers one JSON object, either the input's
// members with the analysis or an error.
func FuzzAnalyzeLine(f *testing.F) {
	for _, s := range []string{
		`{"id":"1","text":"C'est pas mal du tout :)"}`,
		`{"text":"x","lang":"de","topics":null}`,
		`{"body":"Merci","title":"Re"}`,
		`{"text":null}`, `[1,2]`, `{"text":"a"} {"text":"b"}`, `{"text":"\ud800"}`, `{`, `"x"`,
	} {
		f.Add([]byte(s))
	}
	m, err := enrich.Default()
	if err != nil {
		f.Fatal(err)
	}
	a := enrich.NewAnalyzer(m, nil, nil)
	s := enrich.NewScratch(m)
	f.Fuzz(func(t *testing.T, line []byte) {
		var out bytes.Buffer
		w := bufio.NewWriter(&out)
		err := analyzeLine(w, a, s, line)
		if err != nil {
			if err := writeError(w, 1, err.Error()); err != nil {
				t.Fatal(err)
			}
		}
		w.Flush()
		var obj map[string]json.RawMessage
		if jerr := json.Unmarshal(out.Bytes(), &obj); jerr != nil {
			t.Fatalf("line %q: answer %q is not a JSON object: %v", line, out.Bytes(), jerr)
		}
		if err == nil {
			for _, k := range []string{"lang", "sentiment", "sentiment_score", "intent", "needs_response", "spam", "topics"} {
				if _, ok := obj[k]; !ok {
					t.Errorf("line %q: answer lacks %q: %s", line, k, out.Bytes())
				}
			}
		} else if _, ok := obj["error"]; !ok {
			t.Errorf("line %q: error answer without \"error\": %s", line, out.Bytes())
		}
	})
}
