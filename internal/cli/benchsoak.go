package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"palabre/internal/bench"
)

// runBenchSoak runs `palabre bench soak`: a server under a team's load for
// a while — live streams, webhook ingest, reads — checked for errors,
// lost events, slow deliveries, memory and drift (docs/BENCHMARKS.md). It
// exits non-zero when a goal is missed, for CI.
func runBenchSoak(ctx context.Context, args []string, env Env) error {
	opts := bench.DefaultSoakOptions()
	opts.Log = env.Stderr
	var asJSON bool
	var cpuProfile, heapProfile string
	fs := newBenchFlags("soak", env, &opts.DB, &opts.Dir, &opts.Seed, &asJSON)
	fs.DurationVar(&opts.Duration, "duration", opts.Duration, "how long the load runs, measured")
	fs.IntVar(&opts.Clients, "clients", opts.Clients, "live event streams (GET /api/v1/events), each its own connection")
	fs.IntVar(&opts.ConnsPerUser, "streams-per-user", opts.ConnsPerUser, "streams per CM user, as tabs of one browser")
	fs.IntVar(&opts.Rate, "rate", opts.Rate, "messages posted to the inbound webhook per second, one a request")
	fs.IntVar(&opts.Reads, "reads", opts.Reads, "reads per second: inbox, conversation, console search and metrics in turn")
	fs.DurationVar(&opts.WarmUp, "warmup", opts.WarmUp, "the same load, unmeasured, before the idle baseline is read")
	fs.DurationVar(&opts.Drain, "drain", opts.Drain, "how long the streams get after the load to receive the last events")
	fs.DurationVar(&opts.Sample, "sample", opts.Sample, "how often goroutines, open files and memory are read")
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write the process's CPU profile of the whole run to this `file` (go tool pprof)")
	fs.StringVar(&heapProfile, "memprofile", "", "write the process's heap profile at the load's largest heap to this `file` (go tool pprof)")
	if err := parseBench(fs, "soak", args, &opts.DB); err != nil {
		return err
	}
	switch {
	case opts.Duration < time.Second || opts.Duration > 7*24*time.Hour:
		return usagef("--duration must be between 1s and 168h, not %s", opts.Duration)
	case opts.Clients < 1 || opts.Clients > 20_000:
		return usagef("--clients must be between 1 and 20000, not %d", opts.Clients)
	case opts.ConnsPerUser < 1 || opts.ConnsPerUser > 1000:
		return usagef("--streams-per-user must be between 1 and 1000, not %d", opts.ConnsPerUser)
	case opts.Rate < 1 || opts.Rate > 10_000:
		return usagef("--rate must be between 1 and 10000, not %d", opts.Rate)
	case opts.Reads < 0 || opts.Reads > 10_000:
		return usagef("--reads must be between 0 and 10000, not %d", opts.Reads)
	case opts.WarmUp < 0 || opts.WarmUp > time.Hour:
		return usagef("--warmup must be between 0 and 1h, not %s", opts.WarmUp)
	case opts.Drain < 100*time.Millisecond || opts.Drain > time.Hour:
		return usagef("--drain must be between 100ms and 1h, not %s", opts.Drain)
	case opts.Sample < 100*time.Millisecond || opts.Sample > time.Hour:
		return usagef("--sample must be between 100ms and 1h, not %s", opts.Sample)
	}
	if cpuProfile != "" {
		stop, err := startCPUProfile(cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	if heapProfile != "" {
		f, err := os.OpenFile(heapProfile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return fmt.Errorf("heap profile: %w", err)
		}
		defer f.Close()
		opts.HeapProfile = f
	}
	res, err := bench.RunSoak(ctx, opts)
	if err != nil {
		return err
	}
	if err := printResult(env.Stdout, asJSON, res, printBenchSoak); err != nil {
		return err
	}
	if !res.Met() {
		return fmt.Errorf("soak: goals missed: %s", strings.Join(res.Missed(), ", "))
	}
	return nil
}

// startCPUProfile profiles the process's CPU into a new file at path until
// the returned function is called.
func startCPUProfile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile %s: %w", path, err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// printBenchSoak writes the result as a short report and the goals.
func printBenchSoak(w io.Writer, r bench.SoakResult) error {
	var b strings.Builder
	b.WriteString(benchHeader("soak", r.Date, r.Machine, r.EngineVersion))
	lat := func(l bench.Latency) string {
		return fmt.Sprintf("p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms (%d)", l.P50, l.P95, l.P99, l.Max, l.N)
	}
	fmt.Fprintf(&b, "load: %d streams (%d CM users), %d messages/s to the inbound webhook, %d reads/s, for %.0f s after a %.0f s warm-up\n",
		r.Clients, r.Users, r.Rate, r.Reads, r.LoadSeconds, r.WarmUpSeconds)
	if r.InProcess {
		b.WriteString("clients and server share this process and its cores: memory and counts are the process's\n")
	}
	in := r.Ingest
	fmt.Fprintf(&b, "\ningest: %d sent (%.1f/s), %d stored, %d conversations; answer %s\n", in.Sent, in.Achieved, in.Stored, in.Conversations, lat(in.Latency))
	lv := r.Live
	fmt.Fprintf(&b, "live: streams open in %.1f s; %d events, %d of %d deliveries, %d missed, %d duplicates; %d reconnects, %d resets; drained in %.1f s\n",
		lv.ConnectSeconds, lv.Events, lv.Delivered, lv.Expected, lv.Missed, lv.Duplicates, lv.Reconnects, lv.Resets, lv.DrainSeconds)
	fmt.Fprintf(&b, "  delivery (request sent → event read): %s\n", lat(lv.Delivery))
	fmt.Fprintf(&b, "reads: %.1f/s answered\n", r.ReadRate)
	kinds := make([]string, 0, len(r.Read))
	for k := range r.Read {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(&b, "  %-12s %s\n", k, lat(r.Read[k]))
	}
	if len(r.Errors) == 0 {
		b.WriteString("errors: none\n")
	} else {
		b.WriteString("errors:\n")
		kinds = kinds[:0]
		for k := range r.Errors {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			fmt.Fprintf(&b, "  %6d  %s\n", r.Errors[k], k)
		}
	}
	m := r.Memory
	fmt.Fprintf(&b, "memory: resident ≤ %.0f MiB sampled (peak %.0f MiB), heap in use ≤ %.0f MiB; heap idle after GC %.0f → %.0f MiB\n",
		m.MaxRSSMiB, m.PeakRSSMiB, m.MaxHeapMiB, m.HeapBeforeMiB, m.HeapAfterMiB)
	for _, d := range []struct {
		name string
		d    bench.SoakDrift
	}{{"goroutines", r.Goroutines}, {"open files", r.Files}} {
		fmt.Fprintf(&b, "%s: idle %d before → %d after; under load %d first → %d last (medians of %d samples), max %d\n",
			d.name, d.d.Before, d.d.After, d.d.First, d.d.Last, d.d.Window, d.d.Max)
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "goal\ttarget\tmeasured\t")
	for _, g := range r.Goals {
		verdict := "met"
		if !g.Met {
			verdict = "MISSED"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", g.Name, g.Target, g.Measured, verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, b.String())
	return err
}
