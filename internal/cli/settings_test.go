package cli_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"palabre/internal/store"
)

func TestRulesAndSLACommands(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			dsn := newWorkspaces(t, engine, "velo")
			palabre := func(want int, stdin string, args ...string) (string, string) {
				t.Helper()
				code, out, errOut := run(t, stdin, append(args[:2:2], append([]string{"--db", dsn, "--workspace", "velo"}, args[2:]...)...)...)
				if code != want {
					t.Fatalf("palabre %v: exit %d, want %d; stderr %s", args, code, want, errOut)
				}
				return out, errOut
			}

			if out, _ := palabre(0, "", "rules", "show"); strings.TrimSpace(out) != `{
  "rules": []
}` {
				t.Fatalf("no rules: %q", out)
			}
			rules := `{"rules": [{"name": "VIP", "when": {"author": "@vip"}, "then": {"tags": ["vip"], "priority": 2}}]}`
			if out, _ := palabre(0, rules, "rules", "set", "-"); out != "rules of velo saved\n" {
				t.Fatalf("set: %q", out)
			}
			out, _ := palabre(0, "", "rules", "show")
			var got, want any
			json.Unmarshal([]byte(out), &got)
			json.Unmarshal([]byte(rules), &want)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("rules shown %s, want %s", out, rules)
			}
			// Refused: nothing changes.
			for _, bad := range []string{
				`{"rules": [{"name": "", "then": {}}]}`,
				`{"rules": [{"name": "x", "then": {"priority": 9}}]}`,
				`{"rulez": []}`,
				`{}`,
				`not json`,
			} {
				if _, errOut := palabre(2, bad, "rules", "set", "-"); errOut == "" {
					t.Errorf("%s: refused without a word", bad)
				}
			}
			if out2, _ := palabre(0, "", "rules", "show"); out2 != out {
				t.Fatalf("rules changed by refused sets: %s", out2)
			}

			if _, errOut := palabre(1, "", "sla", "show"); !strings.Contains(errOut, "no SLA yet") {
				t.Fatalf("sla show before any: %q", errOut)
			}
			settings := `{"calendar": {"time_zone": "Europe/Paris", "hours": {"mon": ["09:00-18:00"]}, "holidays": []},
				"warn_before": "30m", "policies": [{"name": "standard", "first_response": "4h"}],
				"escalation": {"notify": true, "reroute": false, "raise_priority": true}}`
			palabre(0, settings, "sla", "set", "-")
			out, _ = palabre(0, "", "sla", "show")
			for _, s := range []string{`"time_zone": "Europe/Paris"`, `"warn_before": "30m"`, `"first_response": "4h"`, `"raise_priority": true`} {
				if !strings.Contains(out, s) {
					t.Errorf("sla show lacks %s:\n%s", s, out)
				}
			}
			if _, errOut := palabre(2, strings.Replace(settings, "Europe/Paris", "Mars/Olympus", 1), "sla", "set", "-"); !strings.Contains(errOut, "Mars/Olympus") {
				t.Errorf("a bad time zone: %q", errOut)
			}
			if _, errOut := palabre(2, "", "sla", "set"); !strings.Contains(errOut, "one FILE") {
				t.Errorf("no file: %q", errOut)
			}
		})
	}
}
