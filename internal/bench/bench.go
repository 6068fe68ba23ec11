// Package bench measures how fast palabre imports, and how far that is from
// what the database engine can do at best (docs/BENCHMARKS.md).
//
// A run generates realistic synthetic messages (Generate), imports them
// with the real `palabre import --json` run as a subprocess into a fresh
// database, imports them again (all duplicates), and inserts the same rows
// into another fresh database with plain prepared single-row INSERTs
// (RawCeiling). It reports the rates, the import's peak memory, and the
// ratios between them. Nothing here is a timed unit test: the numbers come
// from `palabre bench import`.
package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"palabre/internal/ingest"
	"palabre/internal/store"
)

// EngineSQLite is the Options.DB value that selects SQLite.
const EngineSQLite = "sqlite"

// Options configure one run.
type Options struct {
	N    int    // messages to generate and import
	Seed uint64 // seed of the generated messages
	// DB is EngineSQLite, for fresh database files in Dir, or the
	// postgres:// URL of a server on which the run creates, and drops at
	// the end, databases named palabre_bench_*.
	DB string
	// Dir holds the generated file and the SQLite databases. Empty means
	// a temporary folder removed at the end; in a given folder the
	// generated file stays, the databases are removed.
	Dir string
	// Palabre is the palabre executable that runs the imports.
	Palabre string
	// Log, when not nil, is told each step as it starts.
	Log io.Writer
}

// Result is what one run measured. Its JSON form is what `palabre bench
// import --json` prints. Rates are messages per second of wall-clock time;
// sizes are in MiB.
type Result struct {
	Date    string  `json:"date"`
	Machine Machine `json:"machine"`

	Engine         string            `json:"engine"`
	EngineVersion  string            `json:"engine_version"`
	EngineSettings map[string]string `json:"engine_settings"`

	N         int     `json:"n"`
	Seed      uint64  `json:"seed"`
	FileMB    float64 `json:"file_mb"`
	Generated Stats   `json:"generated"`

	// The first import, into a fresh database: the whole subprocess, from
	// start to exit.
	ImportSeconds    float64        `json:"import_seconds"`
	ImportCPUSeconds float64        `json:"import_cpu_seconds"` // user + system
	ImportRate       float64        `json:"import_msgs_per_s"`
	PeakRSSMB        float64        `json:"peak_rss_mb"`
	Imported         ingest.Summary `json:"imported"` // what the import printed
	Rows             Counts         `json:"rows"`     // rows in the database afterwards
	DBMB             float64        `json:"db_mb"`    // database size afterwards

	// The same file imported into another fresh database with analysis
	// off (--analyze=false), and how the analysed import compares.
	PlainImportSeconds float64 `json:"plain_import_seconds"`
	PlainImportRate    float64 `json:"plain_import_msgs_per_s"`
	AnalysisRatio      float64 `json:"analysis_ratio"` // ImportRate / PlainImportRate

	// The same file imported again into the same database.
	ReimportSeconds    float64        `json:"reimport_seconds"`
	ReimportCPUSeconds float64        `json:"reimport_cpu_seconds"`
	ReimportRate       float64        `json:"reimport_msgs_per_s"`
	ReimportSpeedup    float64        `json:"reimport_speedup"` // ReimportRate / ImportRate
	ReimportPeakRSSMB  float64        `json:"reimport_peak_rss_mb"`
	Reimported         ingest.Summary `json:"reimported"`

	// The raw ceiling: the same rows, plain single-row INSERTs.
	RawSeconds float64 `json:"raw_seconds"`
	RawRate    float64 `json:"raw_msgs_per_s"`
	RawRows    Counts  `json:"raw_rows"`
	SameRows   bool    `json:"same_rows"` // RawRows equals Rows
	Ratio      float64 `json:"ratio"`     // ImportRate / RawRate

	// Warnings lists what looked wrong without making the numbers
	// meaningless, such as row counts that differ from the generator's.
	Warnings []string `json:"warnings,omitempty"`
}

// Run runs the import benchmark.
func Run(ctx context.Context, opts Options) (Result, error) {
	if opts.N < 1 {
		return Result{}, fmt.Errorf("bench: %d messages: need at least one", opts.N)
	}
	if opts.DB != EngineSQLite && !store.IsPostgresDSN(opts.DB) {
		return Result{}, fmt.Errorf("bench: database %q: want %s or a postgres:// server URL", opts.DB, EngineSQLite)
	}
	if opts.Palabre == "" {
		return Result{}, errors.New("bench: no palabre executable to run the imports")
	}
	logf := func(format string, args ...any) {
		if opts.Log != nil {
			fmt.Fprintf(opts.Log, "bench: "+format+"\n", args...)
		}
	}
	dir := opts.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "palabre-bench-")
		if err != nil {
			return Result{}, fmt.Errorf("bench: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return Result{}, fmt.Errorf("bench: %w", err)
	}

	res := Result{Date: time.Now().Format(time.DateOnly), Machine: ThisMachine(), N: opts.N, Seed: opts.Seed}
	file := filepath.Join(dir, "messages.ndjson")
	logf("writing %d messages to %s", opts.N, file)
	stats, size, err := generateFile(file, opts.N, opts.Seed)
	if err != nil {
		return res, err
	}
	res.Generated, res.FileMB = stats, mib(size)

	dbs, err := newDatabases(ctx, opts.DB, dir)
	if err != nil {
		return res, err
	}
	defer func() {
		// Clean up even when the run was interrupted.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := dbs.drop(cctx); err != nil {
			logf("%v", err)
		}
	}()
	res.Engine = dbs.engine

	logf("palabre import into %s", dbs.name(dbs.dsn))
	first, err := runImport(ctx, opts.Palabre, dbs.dsn, file, true)
	if err != nil {
		return res, err
	}
	if first.summary.Inserted != opts.N {
		return res, fmt.Errorf("bench: the import stored %d of %d messages: %+v", first.summary.Inserted, opts.N, first.summary)
	}
	res.ImportSeconds, res.ImportCPUSeconds = first.elapsed.Seconds(), first.cpu.Seconds()
	res.ImportRate = rate(opts.N, first.elapsed)
	res.PeakRSSMB, res.Imported = mib(first.maxRSS), first.summary

	logf("palabre import again into the same database")
	second, err := runImport(ctx, opts.Palabre, dbs.dsn, file, true)
	if err != nil {
		return res, err
	}
	res.ReimportSeconds, res.ReimportCPUSeconds = second.elapsed.Seconds(), second.cpu.Seconds()
	res.ReimportRate = rate(opts.N, second.elapsed)
	res.ReimportSpeedup = res.ReimportRate / res.ImportRate
	res.ReimportPeakRSSMB, res.Reimported = mib(second.maxRSS), second.summary
	if second.summary.Duplicates != opts.N || second.summary.Inserted != 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("the second import was not all duplicates: %+v", second.summary))
	}

	logf("palabre import --analyze=false into %s", dbs.name(dbs.plainDSN))
	plain, err := runImport(ctx, opts.Palabre, dbs.plainDSN, file, false)
	if err != nil {
		return res, err
	}
	res.PlainImportSeconds, res.PlainImportRate = plain.elapsed.Seconds(), rate(opts.N, plain.elapsed)
	res.AnalysisRatio = res.ImportRate / res.PlainImportRate

	info, err := inspect(ctx, dbs.dsn)
	if err != nil {
		return res, err
	}
	res.EngineVersion, res.EngineSettings, res.Rows, res.DBMB = info.version, info.settings, info.rows, mib(info.size)
	if res.Rows.Conversations != stats.Conversations || res.Rows.Members != stats.Authors {
		res.Warnings = append(res.Warnings, fmt.Sprintf(
			"palabre stored %d conversations and %d members; the generator wrote %d conversations by %d authors",
			res.Rows.Conversations, res.Rows.Members, stats.Conversations, stats.Authors))
	}

	logf("raw ceiling into %s", dbs.name(dbs.rawDSN))
	raw, err := RawCeiling(ctx, dbs.rawDSN, file)
	if err != nil {
		return res, err
	}
	res.RawSeconds, res.RawRate = raw.Elapsed.Seconds(), rate(opts.N, raw.Elapsed)
	res.Ratio = res.ImportRate / res.RawRate
	rawInfo, err := inspect(ctx, dbs.rawDSN)
	if err != nil {
		return res, err
	}
	res.RawRows = rawInfo.rows
	res.SameRows = res.RawRows == res.Rows
	if !res.SameRows {
		res.Warnings = append(res.Warnings, fmt.Sprintf("the raw ceiling stored other rows than palabre: %+v, palabre %+v", res.RawRows, res.Rows))
	}
	return res, nil
}

// Build compiles palabre into dir and returns the executable's path. It is
// for when the running program is not palabre (tests): it runs the go
// command, which must find the palabre module from the working directory.
func Build(ctx context.Context, dir string) (string, error) {
	exe := filepath.Join(dir, "palabre")
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	out, err := exec.CommandContext(ctx, "go", "build", "-o", exe, "palabre/cmd/palabre").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("bench: build palabre: %w\n%s", err, out)
	}
	return exe, nil
}

// generateFile writes n messages to a new file at path and returns what
// was written and the file's size.
func generateFile(path string, n int, seed uint64) (Stats, int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return Stats{}, 0, fmt.Errorf("bench: %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	stats, err := Generate(bw, n, seed)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return stats, 0, fmt.Errorf("bench: write %s: %w", path, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return stats, 0, fmt.Errorf("bench: %w", err)
	}
	return stats, st.Size(), nil
}

// importRun is what one `palabre import` subprocess did.
type importRun struct {
	elapsed time.Duration // wall clock, start to exit
	cpu     time.Duration // user + system
	maxRSS  int64         // peak resident set, bytes; 0 when unknown
	summary ingest.Summary
}

// maxShownStderr bounds how much of a failed import's error output is
// repeated.
const maxShownStderr = 4 << 10

// runImport runs `palabre import --json` on file into dsn, with or without
// analysis of the messages.
func runImport(ctx context.Context, exe, dsn, file string, analyze bool) (importRun, error) {
	cmd := exec.CommandContext(ctx, exe, "import", "--db", dsn, "--workspace", Workspace,
		"--format", "ndjson", "--json", "--analyze="+strconv.FormatBool(analyze), file)
	cmd.Env = childEnv(os.Environ())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0 := time.Now()
	err := cmd.Run()
	run := importRun{elapsed: time.Since(t0)}
	if err != nil {
		msg := stderr.Bytes()
		if len(msg) > maxShownStderr {
			msg = msg[len(msg)-maxShownStderr:]
		}
		return run, fmt.Errorf("bench: palabre import: %w\n%s", err, bytes.TrimSpace(msg))
	}
	run.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	run.maxRSS = maxRSS(cmd.ProcessState)
	if err := json.Unmarshal(stdout.Bytes(), &run.summary); err != nil {
		return run, fmt.Errorf("bench: palabre import printed %q, not its JSON summary: %w", stdout.String(), err)
	}
	return run, nil
}

// childEnv is the environment of the import subprocess: this process's,
// without the PALABRE_* settings, so that only the command line steers the
// import (a PALABRE_BATCH_SIZE or PALABRE_STRICT would change what is
// measured).
func childEnv(environ []string) []string {
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "PALABRE_") {
			out = append(out, kv)
		}
	}
	return out
}

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

func mib(bytes int64) float64 { return float64(bytes) / (1 << 20) }
