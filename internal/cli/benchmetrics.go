package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"palabre/internal/bench"
)

// maxBenchMetricsMessages bounds --messages of bench metrics: twice the
// documented run.
const maxBenchMetricsMessages = 20_000_000

// runBenchMetrics runs `palabre bench metrics`: a year's dashboard of a
// large workspace among 10,000,000 messages stored, from the rollups
// (docs/BENCHMARKS.md). Its progress lines go to stderr: the run takes
// a while.
func runBenchMetrics(ctx context.Context, args []string, env Env) error {
	opts := bench.DefaultMetricsOptions()
	opts.Log = env.Stderr
	var asJSON bool
	fs := newBenchFlags("metrics", env, &opts.DB, &opts.Dir, &opts.Seed, &asJSON)
	fs.IntVar(&opts.Messages, "messages", opts.Messages, "messages stored in all workspaces")
	fs.IntVar(&opts.Workspaces, "workspaces", opts.Workspaces, "workspaces the messages are shared out among")
	fs.IntVar(&opts.Years, "years", opts.Years, "years the messages are spread over, up to now")
	fs.Float64Var(&opts.Share, "share", opts.Share, "share of the messages in the first workspace, whose dashboards are timed")
	fs.IntVar(&opts.Requests, "requests", opts.Requests, "timed answers of each dashboard, after one untimed")
	fs.BoolVar(&opts.Keep, "keep", false, "leave the database in place at the end")
	fs.StringVar(&opts.Timed, "timed", "", "with --reuse: the workspace timed (default brand-1, the largest)")
	fs.StringVar(&opts.Reuse, "reuse", "", "time again the database an earlier run kept (a SQLite file or a postgres:// URL), storing nothing")
	if err := parseBench(fs, "metrics", args, &opts.DB); err != nil {
		return err
	}
	switch {
	case opts.Reuse != "" && opts.Keep:
		return usagef("--reuse times a kept database again: --keep is for the run that stores it")
	case opts.Messages < 1 || opts.Messages > maxBenchMetricsMessages:
		return usagef("--messages must be between 1 and %d", maxBenchMetricsMessages)
	case opts.Workspaces < 1 || opts.Workspaces > 100:
		return usagef("--workspaces must be between 1 and 100")
	case opts.Years < 1 || opts.Years > 10:
		return usagef("--years must be between 1 and 10")
	case !(opts.Share > 0 && opts.Share <= 1):
		return usagef("--share must be more than 0 and at most 1")
	case opts.Requests < 1 || opts.Requests > 10_000:
		return usagef("--requests must be between 1 and 10000")
	}
	res, err := bench.RunMetrics(ctx, opts)
	if err != nil {
		return err
	}
	return printResult(env.Stdout, asJSON, res, printBenchMetrics)
}

// printBenchMetrics writes the result as a short report and a table, each
// dashboard against the target.
func printBenchMetrics(w io.Writer, r bench.MetricsResult) error {
	var b strings.Builder
	b.WriteString(benchHeader("metrics", r.Date, r.Machine, r.EngineVersion))
	fmt.Fprintf(&b, "stored: %d messages, %d conversations, %d members (in %.0f s, in bulk)\n",
		r.Stored.Messages, r.Stored.Conversations, r.Stored.Members, r.LoadSeconds)
	fmt.Fprintf(&b, "timed workspace %s: %d messages, %d conversations, %d members; in its last year %d, %d, %d\n",
		r.TimedSlug, r.Timed.Messages, r.Timed.Conversations, r.Timed.Members, r.TimedYear.Messages, r.TimedYear.Conversations, r.TimedYear.Members)
	fmt.Fprintf(&b, "rollups counted again in %.0f s (palabre rollups, every workspace); a round with nothing to do: %.2f s\n\n",
		r.RebuildSeconds, r.RefreshSeconds)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "dashboard\tcustomers' messages\ttimed\tp50/p95/p99/max ms\ttarget")
	for _, q := range r.Queries {
		verdict := "met"
		if !q.Met() {
			verdict = "MISSED"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f / %.0f / %.0f / %.0f\t%s\n", q.Name, q.In, q.Time.N, q.Time.P50, q.Time.P95, q.Time.P99, q.Time.Max, verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	same := "the same answer"
	if !r.Same {
		same = "A DIFFERENT ANSWER"
	}
	fmt.Fprintf(&b, "\nthe first dashboard counted from every fact instead: %.0f ms, %s\n", r.FromFactsMS, same)
	if r.Kept != "" {
		fmt.Fprintf(&b, "the database stays: %s\n", r.Kept)
	}
	fmt.Fprintf(&b, "target: p99 ≤ %v a dashboard\n", bench.DashboardTarget)
	_, err := io.WriteString(w, b.String())
	return err
}
