package bench

// `palabre bench soak`: a palabre server, composed as `palabre serve`
// composes it, run for a long while under the load of a busy team —
// hundreds of live event streams, messages posted to an inbound webhook
// at a steady rate, API and console reads — to find what only time shows:
// errors, lost events, slow deliveries, memory growth, goroutines or
// files left open. Clients and server share this process (soakload.go,
// soaklive.go); what is the server's is told apart by measuring the
// process idle before and after the load.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"palabre/internal/analysis"
	"palabre/internal/enrich"
	"palabre/internal/server"
	"palabre/internal/store"
	"palabre/internal/team"
)

// SoakOptions configure one soak run. DefaultSoakOptions gives the sizes
// of issue 9.
type SoakOptions struct {
	// DB is EngineSQLite, for a fresh file in Dir, or the postgres:// URL
	// of a server on which the run creates, and drops at the end, a
	// database named palabre_bench_*.
	DB  string
	Dir string // the SQLite file; empty: a temporary folder, removed

	Clients      int           // live event streams, each its own connection
	ConnsPerUser int           // streams per CM user, as tabs of one browser
	Rate         int           // messages posted to the webhook per second
	Reads        int           // API and console reads per second
	Duration     time.Duration // how long the load runs, measured
	// WarmUp runs the same load, unmeasured, before the idle baseline is
	// taken, so that pools and caches have grown to their working size.
	WarmUp time.Duration
	// Drain is how long, at most, the streams get after the load to
	// receive what is still on its way.
	Drain  time.Duration
	Sample time.Duration // how often goroutines, files and memory are read
	Seed   uint64
	// Log, when not nil, is told each step as it starts.
	Log io.Writer
	// HeapProfile, when not nil, receives the process's heap profile
	// (pprof) taken at the load's sample with the most heap in use.
	HeapProfile io.Writer

	// lose, when set (tests only), makes stream i forget event id as if
	// it had never arrived: the accounting must notice.
	lose func(client int, id int64) bool
}

// DefaultSoakOptions are the sizes of issue 9, for a minute.
func DefaultSoakOptions() SoakOptions {
	return SoakOptions{DB: EngineSQLite, Clients: 500, ConnsPerUser: 10, Rate: 200, Reads: 50,
		Duration: time.Minute, WarmUp: 10 * time.Second, Drain: 10 * time.Second, Sample: 2 * time.Second, Seed: 1}
}

// Goals of issue 9, and how much goroutines and open files may differ,
// idle, after the load from before it without counting as drift: the
// database pools and the server's background jobs open and close a few
// as they go.
const (
	SoakDeliveryP99    = 500 * time.Millisecond
	SoakMemoryMiB      = 1024
	SoakMinRate        = 0.95 // share of the asked ingest and read rates that must be reached
	SoakGoroutineSlack = 20
	SoakFileSlack      = 10
)

// SoakResult is what a soak run measured; its JSON form is what `palabre
// bench soak --json` prints.
type SoakResult struct {
	Date          string  `json:"date"`
	Machine       Machine `json:"machine"`
	Engine        string  `json:"engine"`
	EngineVersion string  `json:"engine_version"`
	// InProcess says that clients and server share one process (and its
	// cores), which the memory, goroutine and file counts include.
	InProcess bool `json:"in_process"`

	Clients       int     `json:"clients"`
	Users         int     `json:"users"`
	Rate          int     `json:"rate"`  // asked, messages per second
	Reads         int     `json:"reads"` // asked, reads per second
	WarmUpSeconds float64 `json:"warm_up_seconds"`
	LoadSeconds   float64 `json:"load_seconds"`

	Ingest SoakIngest         `json:"ingest"`
	Live   SoakLive           `json:"live"`
	Read   map[string]Latency `json:"read"` // by kind of read
	// ReadRate is the reads answered per second of the load.
	ReadRate float64 `json:"read_rate"`
	// Errors counts failures by kind, warm-up included: HTTP statuses
	// other than 2xx, transport errors, streams that ended.
	Errors map[string]int `json:"errors"`

	Memory     SoakMemory   `json:"memory"`
	Goroutines SoakDrift    `json:"goroutines"`
	Files      SoakDrift    `json:"files"`
	Samples    []SoakSample `json:"samples"`
	Goals      []SoakGoal   `json:"goals"`
}

// SoakIngest is what the webhook was posted.
type SoakIngest struct {
	Sent          int     `json:"sent"`   // requests sent
	Stored        int     `json:"stored"` // answered 200 with one message inserted
	Conversations int     `json:"conversations"`
	Achieved      float64 `json:"achieved"` // requests sent per second of the load
	// Latency runs from sending a request to reading its answer.
	Latency Latency `json:"latency"`
}

// SoakLive is what the event streams received.
type SoakLive struct {
	ConnectSeconds float64 `json:"connect_seconds"` // until every stream was open
	// Events counts the message.new events recorded for the load's
	// messages, one per message; Expected is Events × clients.
	Events   int `json:"events"`
	Expected int `json:"expected"`
	// Delivered counts distinct (stream, event) received; Missed the
	// deliveries due and not made, after the drain, plus, for each
	// message stored without its event, one per stream.
	Delivered  int `json:"delivered"`
	Missed     int `json:"missed"`
	Duplicates int `json:"duplicates"`
	// Reconnects counts streams opened again with Last-Event-ID after
	// one ended during the load; Resets, streams the server told to
	// reload (too far behind to replay).
	Reconnects int `json:"reconnects"`
	Resets     int `json:"resets"`
	// Delivery runs from sending the message's request to a stream
	// reading the last line of its event.
	Delivery     Latency `json:"delivery"`
	DrainSeconds float64 `json:"drain_seconds"`
}

// SoakMemory is the process's memory during the load.
type SoakMemory struct {
	MaxRSSMiB  float64 `json:"max_rss_mib"`  // resident, sampled (VmRSS)
	PeakRSSMiB float64 `json:"peak_rss_mib"` // the system's high-water mark of the whole run
	MaxHeapMiB float64 `json:"max_heap_mib"` // Go heap in use, sampled
	// HeapBefore and HeapAfter are the heap in use, idle, after a
	// collection, before and after the load.
	HeapBeforeMiB float64 `json:"heap_before_mib"`
	HeapAfterMiB  float64 `json:"heap_after_mib"`
}

// SoakDrift follows one count (goroutines, open files) through the run.
// Before and After are read idle — no client connected, idle connections
// closed — after the warm-up and after the load: it drifts when After
// exceeds Before by more than Slack, what a leak (a stream, a request or a
// database connection never let go) leaves behind. First and Last, the
// medians of the samples of the load's first and last window (a minute,
// or a quarter of a shorter load), show the trend under load; they are
// not judged, as they follow the requests in flight, which grow with the
// server's answer time.
type SoakDrift struct {
	Before int  `json:"before"`
	First  int  `json:"first"`
	Last   int  `json:"last"`
	Max    int  `json:"max"`
	After  int  `json:"after"`
	Slack  int  `json:"slack"`
	Drift  bool `json:"drift"`
	Known  bool `json:"known"` // false where the count cannot be read
	Window int  `json:"window_samples"`
}

// SoakSample is one reading of the process.
type SoakSample struct {
	Seconds    float64 `json:"seconds"` // since the load started
	Phase      string  `json:"phase"`   // idle, load or drain
	Goroutines int     `json:"goroutines"`
	Files      int     `json:"files"`
	HeapMiB    float64 `json:"heap_mib"`
	RSSMiB     float64 `json:"rss_mib"`
}

// SoakGoal is one goal of issue 9 and what was measured against it.
type SoakGoal struct {
	Name     string `json:"name"`
	Target   string `json:"target"`
	Measured string `json:"measured"`
	Met      bool   `json:"met"`
}

// Met tells whether every goal was met.
func (r SoakResult) Met() bool {
	for _, g := range r.Goals {
		if !g.Met {
			return false
		}
	}
	return len(r.Goals) > 0
}

// Missed names the goals not met.
func (r SoakResult) Missed() []string {
	var out []string
	for _, g := range r.Goals {
		if !g.Met {
			out = append(out, g.Name)
		}
	}
	return out
}

// RunSoak runs the soak on a fresh database and reports what it
// measured; an error means the run could not be made, not that a goal
// was missed (see SoakResult.Met).
func RunSoak(ctx context.Context, opts SoakOptions) (SoakResult, error) {
	res := SoakResult{Date: time.Now().Format(time.DateOnly), Machine: ThisMachine(), Engine: store.EngineSQLite, InProcess: true,
		Clients: opts.Clients, Rate: opts.Rate, Reads: opts.Reads, Errors: map[string]int{}}
	switch {
	case opts.DB != EngineSQLite && !store.IsPostgresDSN(opts.DB):
		return res, fmt.Errorf("bench: soak: database %q: want %s or a postgres:// server URL", opts.DB, EngineSQLite)
	case opts.Clients < 1 || opts.Rate < 1 || opts.Reads < 0 || opts.Duration <= 0 || opts.WarmUp < 0 || opts.Drain <= 0 || opts.Sample <= 0:
		return res, fmt.Errorf("bench: soak: need clients, a rate, a duration, a drain and a sampling period, got %+v", opts)
	}
	if opts.ConnsPerUser < 1 {
		opts.ConnsPerUser = 1
	}
	if store.IsPostgresDSN(opts.DB) {
		res.Engine = store.EnginePostgres
	}
	logf := logger(opts.Log)
	// Each stream holds a file on both ends, and the server its database.
	if _, err := raiseFileLimit(uint64(2*opts.Clients + 256)); err != nil {
		return res, err
	}
	dir, cleanup, err := workDir(opts.Dir, "soak", false)
	if err != nil {
		return res, err
	}
	defer cleanup()
	dsn, drop, err := freshDatabase(ctx, opts.DB, dir, "soak")
	if err != nil {
		return res, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := drop(cctx); err != nil {
			logf("%v", err)
		}
	}()
	if res.EngineVersion, err = engineVersion(ctx, dsn); err != nil {
		return res, err
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return res, fmt.Errorf("bench: soak: %w", err)
	}
	defer st.Close()

	base, stopServer, err := startSoakServer(ctx, st, dsn)
	if err != nil {
		return res, err
	}
	defer stopServer()
	logf("soak: server at %s (%s); seeding", base, res.EngineVersion)
	s, err := seedSoak(ctx, st, base, opts)
	if err != nil {
		return res, err
	}
	res.Users = len(s.streamTokens)
	errs := &errorCounts{m: res.Errors}
	run := &soakRun{opts: opts, base: base, seed: s, st: st, errs: errs, gen: newGenerator(1_000_000, opts.Seed)}

	if opts.WarmUp > 0 {
		logf("soak: warming up for %s", opts.WarmUp)
		if _, err := run.phase(ctx, opts.WarmUp, nil); err != nil {
			return res, err
		}
		res.WarmUpSeconds = opts.WarmUp.Seconds()
	}
	before := settle(ctx, nil)
	res.Memory.HeapBeforeMiB = heapAfterGC()

	logf("soak: %d streams, %d messages/s, %d reads/s for %s", opts.Clients, opts.Rate, opts.Reads, opts.Duration)
	sampler := newSampler(opts.Sample)
	sampler.profile = opts.HeapProfile != nil
	ph, err := run.phase(ctx, opts.Duration, sampler)
	if err != nil {
		return res, err
	}
	if opts.HeapProfile != nil {
		if _, err := opts.HeapProfile.Write(sampler.peakProfile()); err != nil {
			return res, fmt.Errorf("soak: heap profile: %w", err)
		}
	}
	after := settle(ctx, &before)
	res.Memory.HeapAfterMiB = heapAfterGC()
	_, peak := selfUsage()
	res.Memory.PeakRSSMiB = mib(peak)

	ph.fill(&res)
	res.Samples = sampler.samples()
	res.Samples = append([]SoakSample{before}, res.Samples...)
	after.Seconds = ph.loadSeconds + ph.drainSeconds
	res.Samples = append(res.Samples, after)
	for _, x := range res.Samples {
		res.Memory.MaxRSSMiB = max(res.Memory.MaxRSSMiB, x.RSSMiB)
		res.Memory.MaxHeapMiB = max(res.Memory.MaxHeapMiB, x.HeapMiB)
	}
	res.Goroutines = drift(res.Samples, before.Goroutines, after.Goroutines, SoakGoroutineSlack, ph.loadSeconds,
		func(x SoakSample) int { return x.Goroutines })
	res.Files = drift(res.Samples, before.Files, after.Files, SoakFileSlack, ph.loadSeconds,
		func(x SoakSample) int { return x.Files })
	res.Goals = soakGoals(res)
	return res, nil
}

// soakGoals checks a result against the goals of issue 9, and that the
// load asked for was the load made.
func soakGoals(r SoakResult) []SoakGoal {
	errors := 0
	for _, n := range r.Errors {
		errors += n
	}
	driftText := func(d SoakDrift) string {
		if !d.Known {
			return "unknown"
		}
		return fmt.Sprintf("idle %d → %d", d.Before, d.After)
	}
	achieved := float64(0)
	if r.Rate > 0 {
		achieved = r.Ingest.Achieved / float64(r.Rate)
	}
	readsOK := r.Reads == 0 || r.ReadRate >= SoakMinRate*float64(r.Reads)
	return []SoakGoal{
		{"errors", "0", strconv.Itoa(errors), errors == 0},
		{"missed events", "0", strconv.Itoa(r.Live.Missed), r.Live.Missed == 0 && r.Live.Events > 0},
		{"delivery p99", fmt.Sprintf("< %d ms", SoakDeliveryP99.Milliseconds()), fmt.Sprintf("%.0f ms", r.Live.Delivery.P99),
			r.Live.Delivery.N > 0 && r.Live.Delivery.P99 < ms(SoakDeliveryP99)},
		{"memory", fmt.Sprintf("< %d MiB resident", SoakMemoryMiB), fmt.Sprintf("%.0f MiB", r.Memory.MaxRSSMiB), r.Memory.MaxRSSMiB < SoakMemoryMiB},
		{"goroutine drift", fmt.Sprintf("none (± %d)", r.Goroutines.Slack), driftText(r.Goroutines), r.Goroutines.Known && !r.Goroutines.Drift},
		{"file drift", fmt.Sprintf("none (± %d)", r.Files.Slack), driftText(r.Files), r.Files.Known && !r.Files.Drift},
		{"load", fmt.Sprintf("≥ %.0f%% of the rates asked", 100*SoakMinRate),
			fmt.Sprintf("%.1f msg/s, %.1f reads/s", r.Ingest.Achieved, r.ReadRate), achieved >= SoakMinRate && readsOK},
	}
}

// drift follows one count: idle before and after, and the medians of the
// load's first and last windows.
func drift(samples []SoakSample, before, after, slack int, loadSeconds float64, count func(SoakSample) int) SoakDrift {
	d := SoakDrift{Before: before, After: after, Slack: slack, Known: before >= 0 && after >= 0}
	window := min(60, loadSeconds/4)
	var first, last []int
	for _, x := range samples {
		d.Max = max(d.Max, count(x))
		if x.Phase != "load" {
			continue
		}
		if x.Seconds <= window {
			first = append(first, count(x))
		}
		if x.Seconds >= loadSeconds-window {
			last = append(last, count(x))
		}
	}
	d.First, d.Last, d.Window = median(first), median(last), min(len(first), len(last))
	d.Drift = after > before+slack
	return d
}

func median(xs []int) int {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// startSoakServer serves st on a free port of 127.0.0.1 as `palabre serve`
// does — API, console, live events, background jobs — with its request
// log silenced, until the returned func is called.
func startSoakServer(ctx context.Context, st *store.Store, dsn string) (string, func(), error) {
	logs := slog.New(slog.DiscardHandler)
	m, err := enrich.Default()
	if err != nil {
		return "", nil, fmt.Errorf("bench: soak: %w", err)
	}
	an := analysis.NewRegistry(st, m)
	tm := team.New(st, team.Config{DSN: dsn, Analysis: an}, logs)
	srv := server.New(server.Config{Addr: "127.0.0.1:0", Live: tm.Live(), Sources: tm.Sources(), BackgroundRouting: true}, st, an, logs)
	ln, err := srv.Listen()
	if err != nil {
		return "", nil, fmt.Errorf("bench: soak: %w", err)
	}
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		tm.Run(sctx)
	}()
	go func() {
		defer wg.Done()
		srv.Serve(sctx, ln)
	}()
	return srv.URL(), func() {
		cancel()
		wg.Wait()
	}, nil
}

// settle waits, with no client connected, for the process to calm down —
// idle connections closed, handlers returned — and reads it. Given the
// reading before the load, it waits (up to 20 s) for goroutines and files
// to come back within the slack, as a process that leaks nothing does.
func settle(ctx context.Context, before *SoakSample) SoakSample {
	deadline := time.Now().Add(20 * time.Second)
	time.Sleep(2 * time.Second)
	for {
		x := readProcess("idle", 0)
		if before == nil || time.Now().After(deadline) || ctx.Err() != nil ||
			(x.Goroutines <= before.Goroutines+SoakGoroutineSlack && x.Files <= before.Files+SoakFileSlack) {
			return x
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// readProcess reads the process: goroutines, open files, heap in use and
// resident memory.
func readProcess(phase string, seconds float64) SoakSample {
	// The heap in use (MemStats.HeapInuse, without stopping the world)
	// and the goroutines.
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/sched/goroutines:goroutines"}}
	metrics.Read(samples)
	var heap uint64
	for _, s := range samples[:2] {
		if s.Value.Kind() == metrics.KindUint64 {
			heap += s.Value.Uint64()
		}
	}
	x := SoakSample{Seconds: seconds, Phase: phase, Goroutines: runtime.NumGoroutine(), Files: openFiles(), HeapMiB: mib(int64(heap))}
	if samples[2].Value.Kind() == metrics.KindUint64 {
		x.Goroutines = int(samples[2].Value.Uint64())
	}
	x.RSSMiB = residentMiB()
	return x
}

// residentMiB reads VmRSS from /proc/self/status; 0 where there is none.
func residentMiB() float64 {
	v := strings.TrimSuffix(procField("/proc/self/status", "VmRSS"), " kB")
	kb, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return 0
	}
	return kb / 1024
}

// heapAfterGC collects garbage and reads the heap in use.
func heapAfterGC() float64 {
	runtime.GC()
	return readProcess("idle", 0).HeapMiB
}

// sampler reads the process every period while the load runs and drains.
type sampler struct {
	every time.Duration
	mu    sync.Mutex
	list  []SoakSample
	start time.Time
	phase string
	stop  chan struct{}
	done  chan struct{}

	// profile asks for the heap profile at the heap's peak: peak, taken
	// when the heap in use passed peakHeap (the sampler's goroutine's).
	profile  bool
	peakHeap float64
	peak     []byte
}

func newSampler(every time.Duration) *sampler {
	return &sampler{every: every}
}

// begin starts sampling, the load starting now.
func (s *sampler) begin() {
	s.start, s.phase = time.Now(), "load"
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.every)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.mu.Lock()
				phase := s.phase
				s.mu.Unlock()
				x := readProcess(phase, time.Since(s.start).Seconds())
				var prof bytes.Buffer
				if s.profile && x.HeapMiB > s.peakHeap {
					s.peakHeap = x.HeapMiB
					pprof.Lookup("heap").WriteTo(&prof, 0)
				}
				s.mu.Lock()
				s.list = append(s.list, x)
				if prof.Len() > 0 {
					s.peak = prof.Bytes()
				}
				s.mu.Unlock()
			}
		}
	}()
}

// draining marks the samples from now on as the drain's.
func (s *sampler) draining() {
	s.mu.Lock()
	s.phase = "drain"
	s.mu.Unlock()
}

func (s *sampler) end() {
	close(s.stop)
	<-s.done
}

// peakProfile returns the heap profile taken at the sample with the most
// heap in use, when asked for (profile).
func (s *sampler) peakProfile() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

func (s *sampler) samples() []SoakSample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.list)
}

// errorCounts counts failures by kind, from many goroutines.
type errorCounts struct {
	mu sync.Mutex
	m  map[string]int
}

func (e *errorCounts) add(kind string) {
	e.mu.Lock()
	e.m[kind]++
	e.mu.Unlock()
}

// addStatus counts an answer of status other than want.
func (e *errorCounts) addStatus(what string, resp *http.Response) {
	e.add(fmt.Sprintf("%s: HTTP %d", what, resp.StatusCode))
}
