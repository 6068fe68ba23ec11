package bench

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// smallSoak is a soak of a few seconds, for tests.
func smallSoak(db string, dir string) SoakOptions {
	return SoakOptions{DB: db, Dir: dir, Clients: 20, ConnsPerUser: 4, Rate: 20, Reads: 8,
		Duration: 3 * time.Second, WarmUp: time.Second, Drain: 15 * time.Second, Sample: 250 * time.Millisecond, Seed: 3}
}

// TestRunSoak runs a short soak and checks that its numbers are counted,
// not assumed: every message sent stored once, one event each, every
// stream given every event once and each delivery timed, the reads
// answered, the process sampled. It checks no speed: the machine running
// the tests is shared.
func TestRunSoak(t *testing.T) {
	forEachDatabase(t, "soaks for seconds", func(t *testing.T, db string) {
		o := smallSoak(db, t.TempDir())
		r, err := RunSoak(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if r.EngineVersion == "" || r.Machine.Cores == 0 || !r.InProcess || r.Users != 5 {
			t.Errorf("run not described: %+v", r)
		}
		in := r.Ingest
		// Paced, not bursty: about Rate a second, never more.
		if in.Sent > o.Rate*3 || in.Sent < o.Rate*3/2 || in.Stored != in.Sent || in.Conversations < in.Sent/(maxThread+minThread) {
			t.Errorf("ingest: %+v", in)
		}
		checkLatency(t, "ingest", in.Latency, in.Sent)
		lv := r.Live
		if lv.Events != in.Stored || lv.Expected != lv.Events*o.Clients || lv.Delivered != lv.Expected || lv.Missed != 0 || lv.Duplicates != 0 {
			t.Errorf("live: %+v for %d messages stored", lv, in.Stored)
		}
		checkLatency(t, "delivery", lv.Delivery, lv.Delivered)
		if lv.Delivery.P50 < in.Latency.P50/10 {
			t.Errorf("deliveries (p50 %.1f ms) timed from less than the request's start (answers p50 %.1f ms)", lv.Delivery.P50, in.Latency.P50)
		}
		reads := 0
		for kind, l := range r.Read {
			reads += l.N
			if l.N == 0 || l.P50 <= 0 || l.P99 > l.Max {
				t.Errorf("read %s: %+v", kind, l)
			}
		}
		if reads < o.Reads*3/2 || reads > o.Reads*3 || r.Read["search"].N == 0 || r.Read["metrics"].N == 0 {
			t.Errorf("reads: %+v", r.Read)
		}
		if len(r.Errors) != 0 {
			t.Errorf("errors: %v", r.Errors)
		}
		if len(r.Samples) < 6 || r.Memory.MaxRSSMiB <= 0 || r.Memory.MaxHeapMiB <= 0 || !r.Goroutines.Known || !r.Files.Known ||
			r.Goroutines.Max < o.Clients || r.Files.Max < o.Clients {
			t.Errorf("process not read: %d samples, memory %+v, goroutines %+v, files %+v", len(r.Samples), r.Memory, r.Goroutines, r.Files)
		}
		if len(r.Goals) != 7 {
			t.Errorf("goals: %+v", r.Goals)
		}
		for _, g := range r.Goals {
			if (g.Name == "errors" || g.Name == "missed events") && !g.Met {
				t.Errorf("goal %+v", g)
			}
		}
	})
}

// TestSoakNoticesLostEvents makes two streams forget some of the events
// they read: the soak must count each as missed, and miss its goal.
func TestSoakNoticesLostEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("soaks for seconds; skipped with -short")
	}
	t.Parallel()
	o := smallSoak(EngineSQLite, t.TempDir())
	o.WarmUp = 0
	var lost atomic.Int64
	o.lose = func(client int, id int64) bool {
		if (client == 3 && id%5 == 0) || (client == 11 && id%2 == 1) {
			lost.Add(1)
			return true
		}
		return false
	}
	r, err := RunSoak(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if lost.Load() == 0 || r.Live.Missed != int(lost.Load()) || r.Live.Delivered != r.Live.Expected-int(lost.Load()) {
		t.Errorf("lost %d; live %+v", lost.Load(), r.Live)
	}
	if r.Met() || r.Goals[1].Name != "missed events" || r.Goals[1].Met {
		t.Errorf("the goals do not show it: %+v", r.Goals)
	}
}

func TestHistogram(t *testing.T) {
	t.Parallel()
	var h histogram
	var ds []time.Duration
	// From 1 µs to about 20 s, unevenly.
	for i := 1; i <= 20000; i++ {
		d := time.Duration(i*i/20+i) * time.Microsecond
		h.add(d)
		ds = append(ds, d)
	}
	exact := summarize(ds)
	got := h.latency()
	near := func(a, b float64) bool { return a >= b && a <= b*1.016+0.001 }
	if got.N != exact.N || got.Max != exact.Max || !near(got.P50, exact.P50) || !near(got.P95, exact.P95) || !near(got.P99, exact.P99) {
		t.Errorf("histogram %+v, exact %+v", got, exact)
	}
	for v := uint64(0); v < 1<<20; v += 1 + v/100 {
		if i := histIndex(v); histUpper(i) < v || (i > 0 && histUpper(i-1) >= v) {
			t.Fatalf("%d µs in bucket %d of upper bound %d", v, i, histUpper(i))
		}
	}
	var other histogram
	other.add(time.Hour)
	h.merge(&other)
	if h.n != 20001 || h.max != time.Hour || h.quantile(1) != time.Hour {
		t.Errorf("merged: n %d, max %v", h.n, h.max)
	}
	var empty histogram
	if empty.latency() != (Latency{}) {
		t.Errorf("empty: %+v", empty.latency())
	}
}

func TestDrift(t *testing.T) {
	t.Parallel()
	var samples []SoakSample
	for s := 1; s <= 100; s++ {
		samples = append(samples, SoakSample{Seconds: float64(s), Phase: "load", Goroutines: 1000 + s})
	}
	count := func(x SoakSample) int { return x.Goroutines }
	d := drift(samples, 40, 55, 20, 100, count)
	// Windows of 25 s: medians of 1001..1025 and 1076..1101.
	if d.Drift || d.First != 1013 || d.Last != 1088 || d.Max != 1100 || !d.Known {
		t.Errorf("within the slack: %+v", d)
	}
	if d := drift(samples, 40, 61, 20, 100, count); !d.Drift {
		t.Errorf("61 goroutines after 40 before: %+v", d)
	}
	if d := drift(samples, -1, -1, 20, 100, count); d.Known {
		t.Errorf("unknown counts: %+v", d)
	}
}
