package route

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// FuzzRulesJSON feeds routing rules as a manager sends them to the API
// (decoded as the API decodes them, then ValidateRules): nothing panics,
// rules that pass encode and decode to themselves and pass again, and
// Decide runs with them.
func FuzzRulesJSON(f *testing.F) {
	f.Add(`[{"name":"vélos","when":{"topic":"akku","lang":"fr"},"then":{"assign_to":"lea","tags":["batterie"],"priority":2,"stop":true}}]`)
	f.Add(`[{"name":"x","when":{},"then":{"priority":-1}}]`)
	f.Add(`[{"name":"a","then":{"tags":["a"]}},{"name":"a","then":{"tags":["b"]}}]`)
	f.Add(`[{"name":"","when":{"author":"\u0000"},"then":{"tags":[""]}}]`)
	f.Add(`null`)
	f.Add(`[{"name":"p","then":{"priority":9223372036854775807}}]`)
	f.Fuzz(func(t *testing.T, body string) {
		var rules []Rule
		dec := json.NewDecoder(bytes.NewReader([]byte(body)))
		dec.DisallowUnknownFields()
		if dec.Decode(&rules) != nil || ValidateRules(rules) != nil {
			return
		}
		b, err := json.Marshal(rules)
		if err != nil {
			t.Fatalf("rules %s that passed do not encode: %v", body, err)
		}
		var again []Rule
		if err := json.Unmarshal(b, &again); err != nil || ValidateRules(again) != nil {
			t.Fatalf("rules %s encoded as %s no longer pass: %v, %v", body, b, err, ValidateRules(again))
		}
		if b2, err := json.Marshal(again); err != nil || !bytes.Equal(b2, b) {
			t.Fatalf("rules %s encoded as %s, decoded and encoded again as %s", body, b, b2)
		}
		conv := Conversation{Lang: "fr", Topics: []string{"akku"}, Author: "lea", Intent: "question"}
		Decide(time.Unix(1774747800, 0), conv, rules, []Candidate{{UserID: 1, Login: "lea"}, {UserID: 2, Login: "max"}})
	})
}
