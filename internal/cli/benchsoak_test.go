package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"palabre/internal/bench"
)

func TestBenchSoakRefusesBadFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"--rate", "0"}, "--rate must be between 1 and 10000"},
		{[]string{"--clients", "-3"}, "--clients must be between 1 and 20000"},
		{[]string{"--duration", "10ms"}, "--duration must be between 1s and 168h"},
		{[]string{"--reads", "x"}, "invalid value"},
		{[]string{"--db", "mysql://x"}, "--db must be sqlite or a postgres:// server URL"},
		{[]string{"extra"}, "bench soak takes no arguments"},
	} {
		code, _, stderr := run(t, "", append([]string{"bench", "soak"}, tc.args...)...)
		if code != 2 || !strings.Contains(stderr, tc.says) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, stderr, tc.says)
		}
	}
}

// TestBenchSoakExitsByItsGoals runs a tiny soak: the exit code is 0
// exactly when the report says every goal was met.
func TestBenchSoakExitsByItsGoals(t *testing.T) {
	if testing.Short() {
		t.Skip("soaks for seconds; skipped with -short")
	}
	t.Parallel()
	dir := t.TempDir()
	cpu, heap := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "heap.pprof")
	code, stdout, stderr := run(t, "", "bench", "soak", "--dir", t.TempDir(), "--duration", "2s", "--warmup", "0s",
		"--clients", "6", "--streams-per-user", "3", "--rate", "10", "--reads", "4", "--sample", "200ms", "--json",
		"--cpuprofile", cpu, "--memprofile", heap)
	var r bench.SoakResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("exit %d, %v: %s %s", code, err, stdout, stderr)
	}
	if r.Clients != 6 || r.Users != 2 || r.Ingest.Stored == 0 || r.Live.Delivered != r.Live.Expected || len(r.Goals) == 0 {
		t.Errorf("report: %+v", r)
	}
	// Both profiles written, as pprof writes them: gzip-compressed.
	for _, p := range []string{cpu, heap} {
		b, err := os.ReadFile(p)
		if err != nil || len(b) < 100 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("profile %s: %d bytes, %v", filepath.Base(p), len(b), err)
		}
	}
	if met := code == 0; met != r.Met() || (!met && (code != 1 || !strings.Contains(stderr, "goals missed: "+strings.Join(r.Missed(), ", ")))) {
		t.Errorf("exit %d for goals %+v: %s", code, r.Goals, stderr)
	}
}
