package bench

// `palabre bench sources`: how soon a comment published on one of many
// polled feeds is stored. Feeds are served on 127.0.0.1 by the benchmark
// itself, spread over many loopback addresses (hosts), each gaining a
// comment every Change at its own moment; one scheduler — palabre serve's,
// with its fetch client, connector, analysis and store — polls them all.
// The lag of a comment is from its publication to the end of the poll that
// stored it; CPU and memory are the whole process's.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"palabre/internal/analysis"
	"palabre/internal/connector"
	"palabre/internal/enrich"
	"palabre/internal/fetch"
	"palabre/internal/model"
	"palabre/internal/poll"
	"palabre/internal/store"
)

// SourcesTarget is the bound on the p99 lag.
const SourcesTarget = 60 * time.Second

// SourcesOptions configure one `palabre bench sources` run; zero fields
// take DefaultSourcesOptions' values.
type SourcesOptions struct {
	DB  string // EngineSQLite, or a postgres:// server URL
	Dir string // SQLite file; empty: a temporary folder, removed
	// Sources are the feeds polled, Hosts the loopback addresses they are
	// spread over (a host is polled twice at once at most).
	Sources, Hosts int
	// Interval is the sources' poll interval; Change how often each feed
	// gains a comment; Items how many comments a feed shows.
	Interval, Change time.Duration
	Items            int
	// Duration is how long lags are measured, after a warm-up in which
	// every source is polled once (reading the comments already there).
	Duration time.Duration
	Log      io.Writer
}

// DefaultSourcesOptions are the sizes: 1,000 feeds, each changing
// once a minute.
func DefaultSourcesOptions() SourcesOptions {
	return SourcesOptions{DB: EngineSQLite, Sources: 1000, Hosts: 100, Interval: 30 * time.Second, Change: time.Minute,
		Items: 20, Duration: 5 * time.Minute}
}

// SourcesResult is what one run measured.
type SourcesResult struct {
	Date            string  `json:"date"`
	Machine         Machine `json:"machine"`
	Engine          string  `json:"engine"`
	EngineVersion   string  `json:"engine_version"`
	Sources         int     `json:"sources"`
	Hosts           int     `json:"hosts"`
	IntervalSeconds float64 `json:"interval_seconds"`
	ChangeSeconds   float64 `json:"change_seconds"`
	DurationSeconds float64 `json:"duration_seconds"`
	WarmUpSeconds   float64 `json:"warm_up_seconds"`
	// Published comments during the measured time that a poll should
	// have found by its end; Stored those stored by then.
	Published int `json:"published"`
	Stored    int `json:"stored"`
	// Lag from publication to storage, of the comments stored.
	Lag Latency `json:"lag"`
	// Polls during the measured time, those that read nothing (the feed
	// unchanged: 304), and those that failed.
	Polls       int `json:"polls"`
	NotModified int `json:"not_modified"`
	Failed      int `json:"failed"`
	// CPUCores is the process's CPU time over the measured time, divided
	// by it; MaxRSSMiB the process's peak resident memory; HeapMiB the
	// most heap in use seen.
	CPUCores  float64 `json:"cpu_cores"`
	MaxRSSMiB float64 `json:"max_rss_mib"`
	HeapMiB   float64 `json:"heap_mib"`
}

// Met reports whether the p99 lag is within the target and every comment
// due was stored.
func (r SourcesResult) Met() bool {
	return r.Stored >= r.Published && r.Lag.N > 0 && r.Lag.P99 <= ms(SourcesTarget)
}

// RunSources runs the benchmark.
func RunSources(ctx context.Context, opts SourcesOptions) (SourcesResult, error) {
	def := DefaultSourcesOptions()
	if opts.DB == "" {
		opts.DB = def.DB
	}
	for _, f := range []struct{ p, d *int }{{&opts.Sources, &def.Sources}, {&opts.Hosts, &def.Hosts}, {&opts.Items, &def.Items}} {
		if *f.p == 0 {
			*f.p = *f.d
		}
	}
	for _, f := range []struct{ p, d *time.Duration }{{&opts.Interval, &def.Interval}, {&opts.Change, &def.Change}, {&opts.Duration, &def.Duration}} {
		if *f.p == 0 {
			*f.p = *f.d
		}
	}
	res := SourcesResult{Date: time.Now().Format(time.DateOnly), Machine: ThisMachine(), Engine: store.EngineSQLite,
		Sources: opts.Sources, Hosts: min(opts.Hosts, opts.Sources), IntervalSeconds: opts.Interval.Seconds(),
		ChangeSeconds: opts.Change.Seconds(), DurationSeconds: opts.Duration.Seconds()}
	if opts.DB != EngineSQLite && !store.IsPostgresDSN(opts.DB) {
		return res, fmt.Errorf("bench: database %q: want %s or a postgres:// server URL", opts.DB, EngineSQLite)
	}
	if store.IsPostgresDSN(opts.DB) {
		res.Engine = store.EnginePostgres
	}
	logf := logger(opts.Log)
	dsn, version, cleanup, err := runDatabase(ctx, opts.DB, opts.Dir, "sources", false, logf)
	if err != nil {
		return res, err
	}
	defer cleanup()
	res.EngineVersion = version
	st, ws, err := openWorkspace(ctx, dsn)
	if err != nil {
		return res, err
	}
	defer st.Close()

	start := time.Now().Truncate(time.Second)
	farm := &feedFarm{start: start, change: opts.Change, items: opts.Items, sources: opts.Sources}
	urls, stopFarm, err := farm.serve(res.Hosts)
	if err != nil {
		return res, err
	}
	defer stopFarm()
	logf("sources: %d feeds on %d hosts, polled every %s, each gaining a comment every %s", opts.Sources, res.Hosts, opts.Interval, opts.Change)
	for i, u := range urls {
		_, err := st.CreateSource(ctx, ws.ID, model.Source{Channel: "blog", Kind: model.SourceFeed, Name: fmt.Sprintf("feed %04d", i),
			IntervalSeconds: int(opts.Interval / time.Second), Enabled: true}, `{"url":"`+u+`"}`, "bench", start)
		if err != nil {
			return res, fmt.Errorf("bench: %w", err)
		}
	}
	m, err := enrich.Default()
	if err != nil {
		return res, err
	}
	rec := &lagRecorder{seen: make(map[string]bool)}
	ingest := poll.StoreIngest(st, analysis.NewRegistry(st, m))
	counting := &countingStore{Store: st}
	sched := &poll.Scheduler{Store: counting, Factories: poll.Factories((fetch.Client{AllowPrivate: true}).Reusing()),
		Logger: slog.New(slog.DiscardHandler), Now: time.Now,
		Ingest: func(ctx context.Context, src model.Source, records []connector.Record) (int, error) {
			n, err := ingest(ctx, src, records)
			if err == nil {
				rec.stored(records, time.Now())
			}
			return n, err
		}}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sched.Run(runCtx)
	}()
	defer func() {
		stop()
		<-done
	}()

	// Warm-up: every source polled once, reading what is there already.
	logf("sources: warming up (every source polled once)")
	for counting.successes() < opts.Sources {
		if err := sleep(ctx, time.Second); err != nil {
			return res, err
		}
		if time.Since(start) > 10*opts.Interval+time.Minute {
			return res, fmt.Errorf("bench: after %s, %d of %d sources polled once", time.Since(start).Round(time.Second), counting.successes(), opts.Sources)
		}
	}
	// Whole seconds: feeds date comments to the second.
	from := time.Now().Truncate(time.Second).Add(time.Second)
	if err := sleep(ctx, time.Until(from)); err != nil {
		return res, err
	}
	res.WarmUpSeconds = from.Sub(start).Seconds()
	rec.measureFrom(from)
	counting.reset()
	cpu0, _ := selfUsage()
	heap := &heapWatch{}
	stopWatch := heap.watch(time.Second)
	logf("sources: measuring for %s", opts.Duration)
	if err := sleep(ctx, opts.Duration); err != nil {
		return res, err
	}
	to := time.Now()
	stopWatch()
	cpu1, rss := selfUsage()
	res.CPUCores = (cpu1 - cpu0).Seconds() / to.Sub(from).Seconds()
	res.MaxRSSMiB = mib(rss)
	res.HeapMiB = heap.peak()
	res.Polls, res.NotModified, res.Failed = counting.counts()
	// A comment published before to minus the longest wait (an interval
	// and its jitter, and a poll's own time) must have been stored.
	dueBy := to.Add(-opts.Interval*11/10 - 5*time.Second).Truncate(time.Second)
	res.Published = farm.publishedBetween(from, dueBy)
	lags, storedDue := rec.result(from, dueBy)
	res.Stored = storedDue
	res.Lag = summarize(lags)
	return res, nil
}

// feedFarm serves the benchmark's feeds: feed i gains comment k at
// start + offset(i) + k·change, so that the feeds change at moments spread
// over the period. A feed shows its newest items comments; its ETag is the
// newest's number, so that an unchanged feed answers 304.
type feedFarm struct {
	start   time.Time
	change  time.Duration
	items   int
	sources int
}

func (f *feedFarm) offset(i int) time.Duration {
	return time.Duration(int64(f.change) * int64(i) / int64(f.sources))
}

// newest is the number of the newest comment of feed i at t, -1 before the
// first.
func (f *feedFarm) newest(i int, t time.Time) int {
	d := t.Sub(f.start.Add(f.offset(i)))
	if d < 0 {
		return -1
	}
	return int(d / f.change)
}

// published is when comment k of feed i appears.
func (f *feedFarm) published(i, k int) time.Time {
	return f.start.Add(f.offset(i) + time.Duration(k)*f.change)
}

// publishedBetween counts the comments published in [from, to).
func (f *feedFarm) publishedBetween(from, to time.Time) int {
	n := 0
	for i := range f.sources {
		for k := max(f.newest(i, from), 0); k <= f.newest(i, to); k++ {
			// As the feed dates it: to the second.
			if p := f.published(i, k).Truncate(time.Second); !p.Before(from) && p.Before(to) {
				n++
			}
		}
	}
	return n
}

// serve listens on hosts loopback addresses (127.0.1.1, 127.0.1.2, …) and
// returns the feeds' URLs, spread over them.
func (f *feedFarm) serve(hosts int) ([]string, func(), error) {
	srv := &http.Server{Handler: http.HandlerFunc(f.answer), ReadHeaderTimeout: 10 * time.Second}
	var lns []net.Listener
	stop := func() {
		srv.Close()
		for _, ln := range lns {
			ln.Close()
		}
	}
	for h := range hosts {
		addr := net.JoinHostPort(fmt.Sprintf("127.0.%d.%d", 1+h/250, 1+h%250), "0")
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			stop()
			return nil, nil, fmt.Errorf("bench: feeds: %w", err)
		}
		lns = append(lns, ln)
		go srv.Serve(ln)
	}
	urls := make([]string, f.sources)
	for i := range urls {
		urls[i] = fmt.Sprintf("http://%s/feed/%d", lns[i%len(lns)].Addr(), i)
	}
	return urls, stop, nil
}

func (f *feedFarm) answer(w http.ResponseWriter, r *http.Request) {
	i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/feed/"))
	if err != nil || i < 0 || i >= f.sources {
		http.NotFound(w, r)
		return
	}
	newest := f.newest(i, time.Now())
	etag := `"` + strconv.Itoa(newest) + `"`
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Commentaires sur « Article %d »</title><link>https://blog%d.example/article/</link>`, i, i)
	for k := newest; k >= 0 && k > newest-f.items; k-- {
		fmt.Fprintf(&b, `<item><title>Par : Lecteur %d</title><link>https://blog%d.example/article/#comment-%d</link><dc:creator>Lecteur %d</dc:creator>
<pubDate>%s</pubDate><guid isPermaLink="false">https://blog%d.example/?p=1#comment-%d</guid>
<description>Bonjour, ma commande %d n'est toujours pas arrivée, pouvez-vous vérifier la livraison ?</description></item>`,
			k%97, i, k, k%97, f.published(i, k).UTC().Format(time.RFC1123Z), i, k, k)
	}
	b.WriteString(`</channel></rss>`)
	io.WriteString(w, b.String())
}

// lagRecorder notes when each comment was first stored.
type lagRecorder struct {
	mu   sync.Mutex
	from time.Time
	seen map[string]bool
	lags []lagAt
}

type lagAt struct {
	published time.Time
	lag       time.Duration
}

func (r *lagRecorder) measureFrom(t time.Time) {
	r.mu.Lock()
	r.from = t
	r.mu.Unlock()
}

// stored notes the records a poll stored at now; a comment's publication
// is its date in the feed.
func (r *lagRecorder) stored(records []connector.Record, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range records {
		id := rec.Message.ExternalID
		if rec.Err != nil || r.seen[id] {
			continue
		}
		r.seen[id] = true
		if p := rec.Message.CreatedAt; !r.from.IsZero() && !p.Before(r.from) {
			r.lags = append(r.lags, lagAt{published: p, lag: now.Sub(p)})
		}
	}
}

// result returns the lags of the comments published in [from, dueBy), and
// how many of them were stored.
func (r *lagRecorder) result(from, dueBy time.Time) ([]time.Duration, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []time.Duration
	for _, l := range r.lags {
		if !l.published.Before(from) && l.published.Before(dueBy) {
			out = append(out, l.lag)
		}
	}
	return out, len(out)
}

// countingStore counts the polls the scheduler records.
type countingStore struct {
	*store.Store
	mu                      sync.Mutex
	ok, notModified, failed int
	everOK                  map[int64]bool
}

func (c *countingStore) FinishPoll(ctx context.Context, claim store.SourceClaim, o store.PollOutcome) error {
	c.mu.Lock()
	if c.everOK == nil {
		c.everOK = make(map[int64]bool)
	}
	switch {
	case o.Err != "":
		c.failed++
	default:
		c.ok++
		c.everOK[claim.Source.ID] = true
		if o.Items == 0 {
			c.notModified++
		}
	}
	c.mu.Unlock()
	return c.Store.FinishPoll(ctx, claim, o)
}

func (c *countingStore) successes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.everOK)
}

func (c *countingStore) reset() {
	c.mu.Lock()
	c.ok, c.notModified, c.failed = 0, 0, 0
	c.mu.Unlock()
}

func (c *countingStore) counts() (polls, notModified, failed int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ok + c.failed, c.notModified, c.failed
}

// heapWatch samples the heap in use.
type heapWatch struct {
	mu  sync.Mutex
	max uint64
}

func (h *heapWatch) watch(every time.Duration) (stop func()) {
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			h.mu.Lock()
			h.max = max(h.max, m.HeapInuse)
			h.mu.Unlock()
			select {
			case <-quit:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(quit); <-done }
}

func (h *heapWatch) peak() float64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return mib(int64(h.max))
}

// sleep waits d, or less if ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
