package cli_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// writeThreads writes n messages in threads of 8, some authors recurring.
func writeThreads(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	root := ""
	for i := range n {
		m := model.Message{
			Channel:    []string{"blog", "forum"}[i/8%2],
			ExternalID: fmt.Sprintf("m%06d", i),
			AuthorName: fmt.Sprintf("Person %d", i%997),
			Body:       fmt.Sprintf("Message %d: est-ce que le modèle %d existe en bleu ?", i, i%31),
			CreatedAt:  t0.Add(time.Duration(i) * time.Minute),
		}
		if i%5 == 0 {
			m.AuthorEmail = fmt.Sprintf("p%d@example.org", i%997)
		}
		if i%8 == 0 {
			root = m.ExternalID
		} else {
			m.ParentExternalID = root
			m.ConversationExternalID = root
		}
		if err := enc.Encode(&m); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestKilledImportResumes kills `palabre import` with SIGKILL at random
// moments, runs it again, and checks that the database ends up exactly as
// after one uninterrupted import: nothing lost, nothing duplicated.
func TestKilledImportResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the palabre binary; skipped with -short")
	}
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "palabre")
	build := exec.Command("go", "build", "-o", bin, "palabre/cmd/palabre")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "threads.ndjson")
	const n = 20000
	writeThreads(t, data, n)

	palabre := func(args ...string) (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(bin, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		return cmd, &out
	}
	export := func(dsn string) string {
		cmd, out := palabre("export", "--db", dsn, "--workspace", "w")
		if err := cmd.Run(); err != nil {
			t.Fatalf("export: %v\n%s", err, out)
		}
		return out.String()
	}

	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			ref := testutil.NewDSN(t, engine)
			cmd, out := palabre("import", "--db", ref, "--workspace", "w", "--batch-size", "250", data)
			start := time.Now()
			if err := cmd.Run(); err != nil {
				t.Fatalf("reference import: %v\n%s", err, out)
			}
			full := time.Since(start)
			want := export(ref)
			if c := bytes.Count([]byte(want), []byte("\n")); c != n {
				t.Fatalf("reference export has %d lines, want %d", c, n)
			}

			rng := rand.New(rand.NewPCG(7, uint64(len(engine))))
			killedMidway := 0
			for trial := range 6 {
				dsn := testutil.NewDSN(t, engine)
				// Kill somewhere in the import, start-up and migrations
				// included; half the trials in its first third, so that
				// some kill it midway even when the reference ran slower
				// (a loaded machine) than the trials.
				span := full
				if trial%2 == 0 {
					span = full / 3
				}
				delay := time.Duration(rng.Int64N(int64(span)))
				cmd, out := palabre("import", "--db", dsn, "--workspace", "w", "--batch-size", "250", data)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				time.Sleep(delay)
				cmd.Process.Kill()
				err := cmd.Wait()
				if err != nil {
					killedMidway++
				}
				t.Logf("trial %d: killed after %v of %v (%v)", trial, delay, full, err)
				_ = out

				cmd, out = palabre("import", "--db", dsn, "--workspace", "w", "--batch-size", "250", "--json", data)
				if err := cmd.Run(); err != nil {
					t.Fatalf("trial %d: re-run failed: %v\n%s", trial, err, out)
				}
				var s struct{ Read, Inserted, Duplicates, Rejected int }
				if err := json.Unmarshal(out.Bytes(), &s); err != nil {
					t.Fatalf("trial %d: summary %q: %v", trial, out, err)
				}
				if s.Read != n || s.Inserted+s.Duplicates != n || s.Rejected != 0 {
					t.Fatalf("trial %d: re-run summary %+v", trial, s)
				}
				if got := export(dsn); got != want {
					t.Fatalf("trial %d: database after kill and re-run differs from an uninterrupted import", trial)
				}
			}
			if killedMidway == 0 {
				t.Fatalf("no trial killed the import before it finished; the test proved nothing")
			}
		})
	}
}
