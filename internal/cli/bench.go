package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"palabre/internal/bench"
	"palabre/internal/store"
)

// maxBenchMessages bounds --n: ten times the documented run is plenty, and
// keeps a typo from filling the disk.
const maxBenchMessages = 10_000_000

// benchFlags are the settings of `palabre bench import`. They have their
// own PALABRE_BENCH_* variables: the shared PALABRE_DB names the database
// to work on, which a benchmark must never write to.
type benchFlags struct {
	n    int
	db   string
	dir  string
	seed uint64
	json bool
}

func runBench(ctx context.Context, args []string, env Env) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fmt.Fprintln(env.Stderr, "Usage: palabre bench import [--n 1000000] [--db sqlite|postgres://…] [--dir DIR] [--seed 1] [--json]")
		fmt.Fprintln(env.Stderr, "       palabre bench team [--db sqlite|postgres://…] [--messages N] [--routing R] [--clients C] [--rate M] [--duration D] [--json]")
		fmt.Fprintln(env.Stderr, "       palabre bench console [--db sqlite|postgres://…] [--messages N] [--cms C] [--requests R] [--keep] [--json]")
		fmt.Fprintln(env.Stderr, "       palabre bench sources [--db sqlite|postgres://…] [--sources N] [--hosts H] [--interval 30s] [--change 1m] [--duration 5m] [--json]")
		fmt.Fprintln(env.Stderr, "       palabre bench metrics [--db sqlite|postgres://…] [--messages N] [--workspaces W] [--years Y] [--share S] [--requests R] [--keep] [--json]")
		fmt.Fprintln(env.Stderr, "       palabre bench soak [--db sqlite|postgres://…] [--duration 1m] [--clients 500] [--rate 200] [--reads 50] [--json]")
		return flag.ErrHelp
	}
	if len(args) > 0 && args[0] == "team" {
		return runBenchTeam(ctx, args[1:], env)
	}
	if len(args) > 0 && args[0] == "console" {
		return runBenchConsole(ctx, args[1:], env)
	}
	if len(args) > 0 && args[0] == "sources" {
		return runBenchSources(ctx, args[1:], env)
	}
	if len(args) > 0 && args[0] == "metrics" {
		return runBenchMetrics(ctx, args[1:], env)
	}
	if len(args) > 0 && args[0] == "soak" {
		return runBenchSoak(ctx, args[1:], env)
	}
	if len(args) == 0 || args[0] != "import" {
		return usagef("bench takes the name of a benchmark: palabre bench import, team, console, sources, metrics or soak [flags]")
	}
	f, err := parseBenchFlags(args[1:], env)
	if err != nil {
		return err
	}
	exe, cleanup, err := palabreExecutable(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	opts := bench.Options{N: f.n, Seed: f.seed, DB: f.db, Dir: f.dir, Palabre: exe}
	if isTerminal(env.Stderr) {
		opts.Log = env.Stderr
	}
	res, err := bench.Run(ctx, opts)
	if err != nil {
		return err
	}
	return printResult(env.Stdout, f.json, res, printBench)
}

func parseBenchFlags(args []string, env Env) (benchFlags, error) {
	f := benchFlags{n: 1_000_000, db: bench.EngineSQLite, seed: 1}
	var errs []string
	if v := env.Getenv("PALABRE_BENCH_N"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("PALABRE_BENCH_N=%q: not a number", v))
		}
		f.n = n
	}
	if v := env.Getenv("PALABRE_BENCH_DB"); v != "" {
		f.db = v
	}
	f.dir = env.Getenv("PALABRE_BENCH_DIR")
	if v := env.Getenv("PALABRE_BENCH_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			errs = append(errs, fmt.Sprintf("PALABRE_BENCH_SEED=%q: not a number", v))
		}
		f.seed = s
	}
	if v := env.Getenv("PALABRE_JSON"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Sprintf("PALABRE_JSON=%q: not a boolean", v))
		}
		f.json = b
	}
	if len(errs) > 0 {
		return f, usagef("environment: %s", strings.Join(errs, "; "))
	}

	fs := flag.NewFlagSet("palabre bench import", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.IntVar(&f.n, "n", f.n, "messages to generate and import (env PALABRE_BENCH_N)")
	fs.StringVar(&f.db, "db", f.db, "sqlite for fresh files in --dir, or the postgres:// URL of a server on which "+
		"throw-away databases palabre_bench_* are created and dropped (env PALABRE_BENCH_DB)")
	fs.StringVar(&f.dir, "dir", f.dir, "folder for the generated file, which stays, and the SQLite databases, which are removed "+
		"(default: a temporary folder, removed) (env PALABRE_BENCH_DIR)")
	fs.Uint64Var(&f.seed, "seed", f.seed, "seed of the generated messages (env PALABRE_BENCH_SEED)")
	fs.BoolVar(&f.json, "json", f.json, "print one JSON object instead of a table (env PALABRE_JSON)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return f, err
		}
		return f, usageError{err.Error()}
	}
	switch {
	case fs.NArg() > 0:
		return f, usagef("bench import takes no arguments, got %q", fs.Args())
	case f.n < 1 || f.n > maxBenchMessages:
		return f, usagef("--n must be between 1 and %d", maxBenchMessages)
	case f.db != bench.EngineSQLite && !store.IsPostgresDSN(f.db):
		return f, usagef("--db must be sqlite or a postgres:// server URL, not %q", f.db)
	}
	return f, nil
}

// palabreExecutable finds the palabre binary the imports run: this very
// program, unless it is not palabre (a test binary), in which case palabre
// is built into a temporary folder that cleanup removes.
func palabreExecutable(ctx context.Context) (exe string, cleanup func(), err error) {
	exe, err = os.Executable()
	if err == nil {
		base := strings.TrimSuffix(filepath.Base(exe), ".exe")
		if strings.HasPrefix(base, "palabre") && !strings.HasSuffix(base, ".test") {
			return exe, func() {}, nil
		}
	}
	dir, err := os.MkdirTemp("", "palabre-bench-bin-")
	if err != nil {
		return "", nil, err
	}
	exe, err = bench.Build(ctx, dir)
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	return exe, func() { os.RemoveAll(dir) }, nil
}

// printBench writes the result as a short report around one table row.
func printBench(w io.Writer, r bench.Result) error {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "palabre bench import · %s · %s, %d cores, %.1f GiB · %s · %s\n",
		r.Date, m.CPU, m.Cores, m.MemoryGB, m.OS, m.Go)
	fmt.Fprintf(&b, "engine: %s (%s)\n", r.EngineVersion, settingsLine(r.EngineSettings))
	fmt.Fprintf(&b, "input: %d messages in %d conversations by %d authors, %.0f MiB of NDJSON, seed %d\n\n",
		r.N, r.Generated.Conversations, r.Generated.Authors, r.FileMB, r.Seed)

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "engine\tN\timport msg/s\tpeak RSS MiB\tre-import msg/s\tre-import speed-up\traw ceiling msg/s\tratio\t")
	fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%.0f\t%.1f×\t%.0f\t%.0f%%\t\n",
		r.Engine, r.N, r.ImportRate, r.PeakRSSMB, r.ReimportRate, r.ReimportSpeedup, r.RawRate, 100*r.Ratio)
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintf(&b, "\nwith analysis off (--analyze=false): %.0f msg/s in %.1f s; the analysed import runs at %.0f%% of that\n",
		r.PlainImportRate, r.PlainImportSeconds, 100*r.AnalysisRatio)
	fmt.Fprintf(&b, "import %.1f s (CPU %.1f s), re-import %.1f s (CPU %.1f s, peak RSS %.0f MiB), raw ceiling %.1f s in the database\n",
		r.ImportSeconds, r.ImportCPUSeconds, r.ReimportSeconds, r.ReimportCPUSeconds, r.ReimportPeakRSSMB, r.RawSeconds)
	same := "the raw ceiling stored the same rows"
	if !r.SameRows {
		same = fmt.Sprintf("the raw ceiling stored OTHER rows: %+v", r.RawRows)
	}
	fmt.Fprintf(&b, "rows: %d messages, %d conversations, %d members, %d identities (%.0f MiB); %s\n",
		r.Rows.Messages, r.Rows.Conversations, r.Rows.Members, r.Rows.Identities, r.DBMB, same)
	for _, warn := range r.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", warn)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// settingsLine writes engine settings as "k=v k=v", sorted by name.
func settingsLine(s map[string]string) string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + s[k]
	}
	return strings.Join(parts, " ")
}

// runBenchTeam runs `palabre bench team`: the inbox, routing and live
// event measurements of a team at work (docs/BENCHMARKS.md). Its few
// progress lines go to stderr, whatever it is: the run takes minutes.
func runBenchTeam(ctx context.Context, args []string, env Env) error {
	opts := bench.DefaultTeamOptions()
	opts.Log = env.Stderr
	var asJSON bool
	fs := flag.NewFlagSet("palabre bench team", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.StringVar(&opts.DB, "db", opts.DB, "sqlite for fresh files in --dir, or the postgres:// URL of a server on which "+
		"throw-away databases palabre_bench_* are created and dropped")
	fs.StringVar(&opts.Dir, "dir", "", "folder for the SQLite databases, removed at the end (default: a temporary folder)")
	fs.Uint64Var(&opts.Seed, "seed", opts.Seed, "seed of the generated messages")
	fs.IntVar(&opts.Inbox.Messages, "messages", opts.Inbox.Messages, "messages stored before timing inbox listings; 0 skips the inbox part")
	fs.IntVar(&opts.Inbox.Listings, "listings", opts.Inbox.Listings, "timed inbox listings, through the store and again over HTTP")
	fs.IntVar(&opts.Routing.Conversations, "routing", opts.Routing.Conversations, "new conversations routed; 0 skips the routing part")
	fs.IntVar(&opts.Live.Clients, "clients", opts.Live.Clients, "live event clients; 0 skips the live part")
	fs.IntVar(&opts.Live.Rate, "rate", opts.Live.Rate, "messages stored per second during the live part")
	fs.DurationVar(&opts.Live.Duration, "duration", opts.Live.Duration, "how long messages are stored during the live part")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object instead of a report")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	switch {
	case fs.NArg() > 0:
		return usagef("bench team takes no arguments, got %q", fs.Args())
	case opts.DB != bench.EngineSQLite && !store.IsPostgresDSN(opts.DB):
		return usagef("--db must be sqlite or a postgres:// server URL, not %q", opts.DB)
	case opts.Inbox.Messages < 0 || opts.Inbox.Messages > maxBenchMessages:
		return usagef("--messages must be between 0 and %d", maxBenchMessages)
	case opts.Inbox.Listings < 1:
		return usagef("--listings must be at least 1")
	case opts.Routing.Conversations < 0 || opts.Routing.Conversations > maxBenchMessages:
		return usagef("--routing must be between 0 and %d", maxBenchMessages)
	case opts.Live.Clients < 0 || opts.Live.Clients > 10_000:
		return usagef("--clients must be between 0 and 10000")
	case opts.Live.Rate < 1 || opts.Live.Rate > 100_000:
		return usagef("--rate must be between 1 and 100000")
	case opts.Live.Duration < 100*time.Millisecond:
		return usagef("--duration must be at least 100ms")
	}
	// Zero skips a part; RunTeam skips the negative.
	for _, n := range []*int{&opts.Inbox.Messages, &opts.Routing.Conversations, &opts.Live.Clients} {
		if *n == 0 {
			*n = -1
		}
	}
	res, err := bench.RunTeam(ctx, opts)
	if err != nil {
		return err
	}
	return printResult(env.Stdout, asJSON, res, printBenchTeam)
}

// printBenchTeam writes the result as a short report, each part against
// its target.
func printBenchTeam(w io.Writer, r bench.TeamResult) error {
	var b strings.Builder
	b.WriteString(benchHeader("team", r.Date, r.Machine, r.EngineVersion))
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	lat := func(l bench.Latency) string {
		return fmt.Sprintf("p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms (%d)", l.P50, l.P95, l.P99, l.Max, l.N)
	}
	if in := r.Inbox; in != nil {
		fmt.Fprintf(&b, "\ninbox: %d messages in %d conversations (imported in %.0f s, analysis off), %d CMs, ≥ %d open each; %v\n",
			in.Messages, in.Conversations, in.ImportSeconds, in.CMs, in.OpenPerCM, in.Status)
		fmt.Fprintf(&b, "  store: %s\n  HTTP:  %s\n", lat(in.Store), lat(in.HTTP))
		fmt.Fprintf(&b, "  %d conversations a listing; target p99 ≤ %v: store %s, HTTP %s\n", in.Listed, bench.InboxTargetP99,
			verdict(in.Store.P99 <= ms(bench.InboxTargetP99)), verdict(in.HTTP.P99 <= ms(bench.InboxTargetP99)))
		fmt.Fprintf(&b, "  plan:\n    %s\n", strings.ReplaceAll(in.Plan, "\n", "\n    "))
	}
	if rt := r.Routing; rt != nil {
		fmt.Fprintf(&b, "\nrouting: %d conversations among %d CMs in %.2f s: %.0f conversations/s (%d assigned, %d not; %d–%d a CM); target ≥ %d/s: %s\n",
			rt.Conversations, rt.CMs, rt.Seconds, rt.Rate, rt.Assigned, rt.Unassigned, rt.FewestPerCM, rt.MostPerCM,
			bench.RoutingTarget, verdict(rt.Rate >= bench.RoutingTarget))
	}
	if lv := r.Live; lv != nil {
		fmt.Fprintf(&b, "\nlive: %d clients (%d users), %d messages in %.1f s (%.0f/s asked %d/s, %d batches: %s)\n",
			lv.Clients, lv.Users, lv.Messages, lv.Seconds, lv.Achieved, lv.Rate, lv.Batches, lat(lv.Batch))
		fmt.Fprintf(&b, "  %d events, %d of %d deliveries (%d duplicates), %d reconnects by %d clients\n",
			lv.Events, lv.Delivered, lv.Expected, lv.Duplicates, lv.Reconnects, lv.ClientsReconnected)
		fmt.Fprintf(&b, "  delay: %s; target p99 ≤ %v: %s\n", lat(lv.Delay), bench.LiveTargetP99,
			verdict(lv.Delay.P99 <= ms(bench.LiveTargetP99) && lv.Delivered == lv.Expected))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// newBenchFlags starts the flags of a benchmark run on a fresh database:
// --db, --dir, --seed and --json.
func newBenchFlags(name string, env Env, db, dir *string, seed *uint64, asJSON *bool) *flag.FlagSet {
	fs := flag.NewFlagSet("palabre bench "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.StringVar(db, "db", *db, "sqlite for a fresh file in --dir, or the postgres:// URL of a server on which "+
		"a throw-away database palabre_bench_* is created and dropped")
	fs.StringVar(dir, "dir", "", "folder for the SQLite database, removed at the end (default: a temporary folder)")
	fs.Uint64Var(seed, "seed", *seed, "seed of the generated messages")
	fs.BoolVar(asJSON, "json", false, "print one JSON object instead of a report")
	return fs
}

// parseBench parses a benchmark's flags: no arguments, and --db sqlite or
// a server's URL.
func parseBench(fs *flag.FlagSet, name string, args []string, db *string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	switch {
	case fs.NArg() > 0:
		return usagef("bench %s takes no arguments, got %q", name, fs.Args())
	case *db != bench.EngineSQLite && !store.IsPostgresDSN(*db):
		return usagef("--db must be sqlite or a postgres:// server URL, not %q", *db)
	}
	return nil
}

// runBenchConsole runs `palabre bench console`: the web console's pages
// timed for a CM of a large workspace (docs/BENCHMARKS.md). Its few
// progress lines go to stderr: the run takes minutes.
func runBenchConsole(ctx context.Context, args []string, env Env) error {
	opts := bench.DefaultConsoleOptions()
	opts.Log = env.Stderr
	var asJSON bool
	fs := newBenchFlags("console", env, &opts.DB, &opts.Dir, &opts.Seed, &asJSON)
	fs.IntVar(&opts.Messages, "messages", opts.Messages, "messages generated and imported before timing the pages")
	fs.IntVar(&opts.CMs, "cms", opts.CMs, "CMs the conversations are shared out among")
	fs.IntVar(&opts.Requests, "requests", opts.Requests, "timed requests of each page, after a few untimed")
	fs.BoolVar(&opts.Keep, "keep", false, "leave the database in place at the end, to look at its query plans")
	if err := parseBench(fs, "console", args, &opts.DB); err != nil {
		return err
	}
	switch {
	case opts.Messages < 1 || opts.Messages > maxBenchMessages:
		return usagef("--messages must be between 1 and %d", maxBenchMessages)
	case opts.CMs < 1 || opts.CMs > 1000:
		return usagef("--cms must be between 1 and 1000")
	case opts.Requests < 1 || opts.Requests > 100_000:
		return usagef("--requests must be between 1 and 100000")
	}
	res, err := bench.RunConsole(ctx, opts)
	if err != nil {
		return err
	}
	return printResult(env.Stdout, asJSON, res, printBenchConsole)
}

// printBenchConsole writes the result as a short report and a table, each
// page against the target.
func printBenchConsole(w io.Writer, r bench.ConsoleResult) error {
	var b strings.Builder
	b.WriteString(benchHeader("console", r.Date, r.Machine, r.EngineVersion))
	fmt.Fprintf(&b, "%d messages in %d conversations (imported in %.0f s, analysis off; prepared in %.0f s), %d CMs; %v\n",
		r.Messages, r.Conversations, r.ImportSeconds, r.PrepareSeconds, r.CMs, r.Status)
	fmt.Fprintf(&b, "open (new, open, pending): %d in all, %d to %d a CM, %d for %s (signed in); %d awaiting an answer, %d with a due time\n\n",
		r.Open, r.OpenFewest, r.OpenMost, r.OpenMine, r.CM, r.Awaiting, r.Due)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "page\titems\tKiB\ttimed\tserver p50/p95/p99/max ms\tclient p50/p95/p99/max ms\ttarget")
	for _, p := range r.Pages {
		verdict := "met"
		if !p.Met() {
			verdict = "MISSED"
		}
		if p.Error != "" {
			verdict = "MISSED (no answer: " + p.Error + ")"
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%d\t%.1f / %.1f / %.1f / %.1f\t%.1f / %.1f / %.1f / %.1f\t%s\n", p.Name, p.Items, float64(p.Bytes)/1024,
			p.Server.N, p.Server.P50, p.Server.P95, p.Server.P99, p.Server.Max, p.Client.P50, p.Client.P95, p.Client.P99, p.Client.Max, verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.Kept != "" {
		fmt.Fprintf(&b, "\nthe database stays: %s\n", r.Kept)
	}
	fmt.Fprintf(&b, "\ntarget: server-side p99 ≤ %v a page; timed: how many requests were timed\n", bench.ConsoleTarget)
	_, err := io.WriteString(w, b.String())
	return err
}

// runBenchSources runs `palabre bench sources`: how soon comments
// published on many polled feeds are stored (docs/BENCHMARKS.md). Its
// progress lines go to stderr: the run takes minutes.
func runBenchSources(ctx context.Context, args []string, env Env) error {
	opts := bench.DefaultSourcesOptions()
	opts.Log = env.Stderr
	var asJSON bool
	fs := flag.NewFlagSet("palabre bench sources", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.StringVar(&opts.DB, "db", opts.DB, "sqlite for a fresh file in --dir, or the postgres:// URL of a server on which "+
		"a throw-away database palabre_bench_* is created and dropped")
	fs.StringVar(&opts.Dir, "dir", "", "folder for the SQLite database, removed at the end (default: a temporary folder)")
	fs.IntVar(&opts.Sources, "sources", opts.Sources, "feeds polled")
	fs.IntVar(&opts.Hosts, "hosts", opts.Hosts, "loopback addresses the feeds are spread over")
	fs.DurationVar(&opts.Interval, "interval", opts.Interval, "the sources' poll interval")
	fs.DurationVar(&opts.Change, "change", opts.Change, "how often each feed gains a comment")
	fs.DurationVar(&opts.Duration, "duration", opts.Duration, "how long lags are measured, after every source was polled once")
	fs.BoolVar(&asJSON, "json", false, "print one JSON object instead of a report")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	switch {
	case fs.NArg() > 0:
		return usagef("bench sources takes no arguments, got %q", fs.Args())
	case opts.DB != bench.EngineSQLite && !store.IsPostgresDSN(opts.DB):
		return usagef("--db must be sqlite or a postgres:// server URL, not %q", opts.DB)
	case opts.Sources < 1 || opts.Sources > 100_000:
		return usagef("--sources must be between 1 and 100000")
	case opts.Hosts < 1 || opts.Hosts > 10_000:
		return usagef("--hosts must be between 1 and 10000")
	case opts.Interval < store.MinSourceInterval || opts.Interval > store.MaxSourceInterval:
		return usagef("--interval must be between %s and %s", store.MinSourceInterval, store.MaxSourceInterval)
	case opts.Change < time.Second || opts.Duration < time.Second:
		return usagef("--change and --duration must be at least a second")
	}
	res, err := bench.RunSources(ctx, opts)
	if err != nil {
		return err
	}
	return printResult(env.Stdout, asJSON, res, printBenchSources)
}

// printBenchSources writes the result as a short report against the
// target.
func printBenchSources(w io.Writer, r bench.SourcesResult) error {
	var b strings.Builder
	b.WriteString(benchHeader("sources", r.Date, r.Machine, r.EngineVersion))
	fmt.Fprintf(&b, "%d feeds on %d hosts, polled every %.0f s, each gaining a comment every %.0f s; warm-up %.0f s, measured %.0f s\n",
		r.Sources, r.Hosts, r.IntervalSeconds, r.ChangeSeconds, r.WarmUpSeconds, r.DurationSeconds)
	fmt.Fprintf(&b, "polls: %d (%d read nothing new: 304, %d failed)\n", r.Polls, r.NotModified, r.Failed)
	fmt.Fprintf(&b, "comments published and due: %d, stored: %d\n", r.Published, r.Stored)
	fmt.Fprintf(&b, "lag from publication to storage: p50 %.1f s, p95 %.1f s, p99 %.1f s, max %.1f s\n",
		r.Lag.P50/1000, r.Lag.P95/1000, r.Lag.P99/1000, r.Lag.Max/1000)
	fmt.Fprintf(&b, "CPU: %.2f cores on average; memory: %.0f MiB peak resident, %.0f MiB heap in use at most\n", r.CPUCores, r.MaxRSSMiB, r.HeapMiB)
	verdict := "met"
	if !r.Met() {
		verdict = "MISSED"
	}
	fmt.Fprintf(&b, "\ntarget: p99 lag ≤ %v, every comment stored: %s\n", bench.SourcesTarget, verdict)
	_, err := io.WriteString(w, b.String())
	return err
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// printResult writes a benchmark's result: one JSON object, or the report
// print makes of it.
func printResult[T any](w io.Writer, asJSON bool, res T, print func(io.Writer, T) error) error {
	if !asJSON {
		return print(w, res)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(res)
}

// benchHeader is the first line of a benchmark's report: which, when, on
// what machine and engine.
func benchHeader(name, date string, m bench.Machine, engine string) string {
	return fmt.Sprintf("palabre bench %s · %s · %s, %d cores, %.1f GiB · %s · %s · %s\n",
		name, date, m.CPU, m.Cores, m.MemoryGB, m.OS, m.Go, engine)
}
