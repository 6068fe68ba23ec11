package bench

import (
	"context"
	"os/exec"
	"testing"

	"palabre/internal/testutil"
)

// TestRun runs the whole benchmark on a few hundred messages and checks
// that it measured what it says, not how fast: the imports stored every
// message once, the second found only duplicates, and the raw ceiling
// stored the same rows.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the palabre binary; skipped with -short")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command to build palabre")
	}
	t.Parallel()
	ctx := context.Background()
	exe, err := Build(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, engine := range []string{EngineSQLite, "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			db := engine
			if engine == "postgres" {
				db = testutil.PostgresURL(t)
			}
			const n = 700
			res, err := Run(ctx, Options{N: n, Seed: 3, DB: db, Dir: t.TempDir(), Palabre: exe})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Warnings) > 0 {
				t.Errorf("warnings: %q", res.Warnings)
			}
			if !res.SameRows || res.Rows.Messages != n {
				t.Errorf("rows %+v, raw ceiling %+v", res.Rows, res.RawRows)
			}
			if res.Imported.Inserted != n || res.Reimported.Duplicates != n {
				t.Errorf("import %+v, re-import %+v", res.Imported, res.Reimported)
			}
			if res.ImportRate <= 0 || res.ReimportRate <= 0 || res.RawRate <= 0 || res.Ratio <= 0 {
				t.Errorf("rates: %+v", res)
			}
			if res.EngineVersion == "" || len(res.EngineSettings) == 0 || res.Machine.Cores == 0 {
				t.Errorf("engine or machine not described: %+v", res)
			}
		})
	}
}
