package bench

// The live part of `palabre bench team`: how long new-message events take
// to reach hundreds of connected Server-Sent Events clients while messages
// are being stored.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"palabre/internal/api"
	"palabre/internal/ingest"
	"palabre/internal/live"
	"palabre/internal/model"
	"palabre/internal/store"
)

// LiveOptions size the live part.
type LiveOptions struct {
	Clients      int           // SSE connections
	ConnsPerUser int           // connections per CM user
	Rate         int           // messages stored per second
	Duration     time.Duration // how long messages are stored
	// Tail is how long to wait after the last batch for the clients to
	// receive everything; 10s when zero.
	Tail time.Duration
	Seed uint64
	Log  io.Writer
}

// LiveResult is what the live part measured.
type LiveResult struct {
	Clients  int     `json:"clients"`
	Users    int     `json:"users"`
	Rate     int     `json:"rate"`     // asked, messages per second
	Achieved float64 `json:"achieved"` // messages stored per second of the run
	Seconds  float64 `json:"seconds"`
	Messages int     `json:"messages"` // stored
	Batches  int     `json:"batches"`
	// NewConversations counts the messages that opened a conversation;
	// the others replied in one.
	NewConversations int     `json:"new_conversations"`
	Batch            Latency `json:"batch"`           // time to store one batch
	ConnectSeconds   float64 `json:"connect_seconds"` // until every client was subscribed
	// Events counts the message.new events recorded during the run;
	// Expected is Events × Clients, the deliveries due.
	Events     int `json:"events"`
	Expected   int `json:"expected"`
	Delivered  int `json:"delivered"`  // distinct (client, event) received
	Duplicates int `json:"duplicates"` // events a client received twice
	// Delay runs from the event's CreatedAt, set in the transaction that
	// stored the messages, to the client reading the event's last line.
	Delay Latency `json:"delay"`
	// Reconnects counts streams that ended during the run (the server
	// drops a client that falls too far behind) and were opened again
	// with Last-Event-ID; ClientsReconnected counts the clients that did.
	Reconnects         int `json:"reconnects"`
	ClientsReconnected int `json:"clients_reconnected"`
}

// liveChannel is the channel the live part's messages arrive in.
const liveChannel = "live"

// LiveBench serves the API with a running live hub (polling every second,
// woken by each commit) on a real listener, connects Clients SSE clients
// to /api/v1/events — ConnsPerUser each for users with the cm role — then
// stores Rate messages per second for Duration, in batches every 100 ms,
// each message opening a conversation or replying in a recent one (half
// and half), and measures when each client receives each "message.new"
// event. Clients reconnect with Last-Event-ID when their stream ends.
func LiveBench(ctx context.Context, dsn string, o LiveOptions) (LiveResult, error) {
	res := LiveResult{Clients: o.Clients, Rate: o.Rate}
	if o.Clients < 1 || o.Rate < 1 || o.Duration <= 0 {
		return res, fmt.Errorf("bench: live: need clients, a rate and a duration, got %+v", o)
	}
	if o.ConnsPerUser < 1 {
		o.ConnsPerUser = 1
	}
	if o.Tail <= 0 {
		o.Tail = 10 * time.Second
	}
	logf := logger(o.Log)
	st, ws, err := openWorkspace(ctx, dsn)
	if err != nil {
		return res, err
	}
	defer st.Close()
	ch, err := st.EnsureChannel(ctx, ws.ID, liveChannel, channelKind)
	if err != nil {
		return res, fmt.Errorf("bench: %w", err)
	}
	res.Users = (o.Clients + o.ConnsPerUser - 1) / o.ConnsPerUser
	users, err := teamUsers(ctx, st, ws, "cm", res.Users, model.RoleCM)
	if err != nil {
		return res, err
	}
	tokens := make([]string, len(users))
	for i, u := range users {
		if tokens[i], err = apiToken(ctx, st, u); err != nil {
			return res, err
		}
	}
	startID, err := st.LastEventID(ctx)
	if err != nil {
		return res, fmt.Errorf("bench: %w", err)
	}

	// The server side, wired as `palabre serve` wires it.
	srvCtx, stopSrv := context.WithCancel(ctx)
	defer stopSrv()
	logs := slog.New(slog.DiscardHandler)
	hub := live.NewHub(st, logs, live.HubOptions{Poll: time.Second})
	bus := live.NewLocalBus()
	st.OnCommit(hub.Wake)
	defer st.OnCommit(nil)
	var bg sync.WaitGroup
	bg.Add(2)
	go func() {
		defer bg.Done()
		hub.Run(srvCtx)
	}()
	go func() {
		defer bg.Done()
		bus.Listen(srvCtx, func(payload []byte) { hub.HandleMessage(payload) })
	}()
	defer bg.Wait()
	defer stopSrv()
	base, stopAPI, err := serveAPI(api.Config{Live: api.Live{Hub: hub, Presence: live.NewPresence(30 * time.Second), Bus: bus}}, st)
	if err != nil {
		return res, err
	}
	defer stopAPI()

	logf("live: connecting %d clients", o.Clients)
	cliCtx, stopClients := context.WithCancel(ctx)
	defer stopClients()
	transport := &http.Transport{MaxIdleConnsPerHost: o.Clients, DisableCompression: true}
	defer transport.CloseIdleConnections()
	httpClient := &http.Client{Transport: transport}
	clients := make([]*sseClient, o.Clients)
	var connected, running sync.WaitGroup
	connected.Add(o.Clients)
	t0 := time.Now()
	for i := range clients {
		c := &sseClient{url: base + "/api/v1/events", token: tokens[i/o.ConnsPerUser], start: startID, http: httpClient}
		clients[i] = c
		running.Add(1)
		go func() {
			defer running.Done()
			c.run(cliCtx, connected.Done)
		}()
	}
	waited := make(chan struct{})
	go func() {
		connected.Wait()
		close(waited)
	}()
	select {
	case <-waited:
	case <-time.After(time.Minute):
		stopClients()
		running.Wait()
		return res, errors.New("bench: live: the clients did not all connect within a minute")
	}
	res.ConnectSeconds = time.Since(t0).Seconds()
	for _, c := range clients {
		if c.err != nil {
			stopClients()
			running.Wait()
			return res, fmt.Errorf("bench: live: connect: %w", c.err)
		}
	}

	logf("live: storing %d messages/s for %s", o.Rate, o.Duration)
	ing := newLiveIngester(st, ws, ch, o.Seed)
	batchTimes, err := ing.run(ctx, o.Rate, o.Duration)
	res.Seconds = ing.elapsed.Seconds()
	res.Messages, res.Batches, res.NewConversations = ing.messages, len(batchTimes), ing.roots
	res.Achieved = rate(ing.messages, ing.elapsed)
	res.Batch = summarize(batchTimes)
	if err != nil {
		stopClients()
		running.Wait()
		return res, err
	}
	if res.Events, err = countNewMessageEvents(ctx, st, startID); err != nil {
		stopClients()
		running.Wait()
		return res, err
	}
	res.Expected = res.Events * o.Clients

	// Wait for the stragglers, then stop everything.
	deadline := time.Now().Add(o.Tail)
	for time.Now().Before(deadline) {
		total := 0
		for _, c := range clients {
			total += int(c.delivered.Load())
		}
		if total >= res.Expected {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	stopSrv()
	stopClients()
	running.Wait()

	var delays []time.Duration
	for _, c := range clients {
		res.Delivered += int(c.delivered.Load())
		res.Duplicates += c.duplicates
		res.Reconnects += c.reconnects
		if c.reconnects > 0 {
			res.ClientsReconnected++
		}
		delays = append(delays, c.delays...)
	}
	res.Delay = summarize(delays)
	return res, nil
}

// countNewMessageEvents counts the message.new events recorded after the
// event afterID.
func countNewMessageEvents(ctx context.Context, st *store.Store, afterID int64) (int, error) {
	n := 0
	for {
		page, err := st.EventsAfter(ctx, afterID, 500)
		if err != nil {
			return n, fmt.Errorf("bench: %w", err)
		}
		for _, e := range page {
			if e.Action == "message.new" {
				n++
			}
			afterID = e.ID
		}
		if len(page) < 500 {
			return n, nil
		}
	}
}

// liveIngester stores generated messages in batches, as a connector
// polling a busy source would.
type liveIngester struct {
	st      *store.Store
	ws      model.Workspace
	imp     *store.Importer
	gen     *generator
	rng     *rand.Rand
	threads []*thread // recent conversations, replied in at random

	messages, roots int
	elapsed         time.Duration
}

// recentThreads bounds the conversations replies go to.
const recentThreads = 100

func newLiveIngester(st *store.Store, ws model.Workspace, ch model.Channel, seed uint64) *liveIngester {
	return &liveIngester{st: st, ws: ws, imp: st.NewImporter(ws, ch), gen: newGenerator(1_000_000, seed),
		rng: rand.New(rand.NewPCG(seed, 0x5ee))}
}

// run stores rate messages per second for d, a batch every 100 ms (a late
// batch is followed at once by the next), and returns each batch's time.
func (li *liveIngester) run(ctx context.Context, rate int, d time.Duration) ([]time.Duration, error) {
	const tick = 100 * time.Millisecond
	ticks := int(d / tick)
	if ticks < 1 {
		ticks = 1
	}
	times := make([]time.Duration, 0, ticks)
	start := time.Now()
	defer func() { li.elapsed = time.Since(start) }()
	for k := range ticks {
		if wait := time.Until(start.Add(time.Duration(k) * tick)); wait > 0 {
			select {
			case <-ctx.Done():
				return times, ctx.Err()
			case <-time.After(wait):
			}
		}
		n := rate*(k+1)/10 - rate*k/10
		if n == 0 {
			continue
		}
		items, err := li.batch(n)
		if err != nil {
			return times, err
		}
		t0 := time.Now()
		r, err := li.imp.Write(ctx, items)
		times = append(times, time.Since(t0))
		if err != nil {
			return times, fmt.Errorf("bench: live: store a batch: %w", err)
		}
		if r.Inserted != n {
			return times, fmt.Errorf("bench: live: a batch stored %d of %d messages: %+v", r.Inserted, n, r)
		}
		li.messages += n
	}
	// The last batch opens the last tick, which the run lasts to the end of.
	if wait := time.Until(start.Add(time.Duration(ticks) * tick)); wait > 0 {
		select {
		case <-ctx.Done():
			return times, ctx.Err()
		case <-time.After(wait):
		}
	}
	return times, nil
}

// batch makes n new messages, half opening a conversation, half replying
// in one of the recent ones.
func (li *liveIngester) batch(n int) ([]store.IngestItem, error) {
	items := make([]store.IngestItem, 0, n)
	for range n {
		var t *thread
		if len(li.threads) == 0 || li.rng.IntN(2) == 0 {
			t = li.gen.startThread(maxThread + minThread)
			if len(li.threads) < recentThreads {
				li.threads = append(li.threads, t)
			} else {
				li.threads[li.rng.IntN(recentThreads)] = t
			}
			li.roots++
		} else {
			t = li.threads[li.rng.IntN(len(li.threads))]
		}
		m := li.gen.message(t)
		m.CreatedAt = time.Now()
		it, err := ingest.Prepare(li.ws.Slug, liveChannel, m)
		if err != nil {
			return nil, fmt.Errorf("bench: live: %w", err)
		}
		items = append(items, it)
	}
	return items, nil
}

// sseClient is one EventSource-like client: it reads the stream, and
// when the stream ends, reconnects with Last-Event-ID.
type sseClient struct {
	url, token string
	start      int64 // events up to this id are not counted
	http       *http.Client

	last       int64
	seen       []uint64 // bit i: event start+1+i received
	delays     []time.Duration
	delivered  atomic.Int64
	duplicates int
	reconnects int
	err        error // the first connection's failure
}

// run connects, calls connected once the first stream is open (or failed),
// and reads until ctx ends.
func (c *sseClient) run(ctx context.Context, connected func()) {
	first := true
	for ctx.Err() == nil {
		body, err := c.connect(ctx)
		if first {
			first = false
			c.err = err
			connected()
			if err != nil {
				return
			}
		}
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		c.read(body)
		body.Close()
		if ctx.Err() == nil {
			c.reconnects++
		}
	}
}

func (c *sseClient) connect(ctx context.Context) (io.ReadCloser, error) {
	return openEvents(ctx, c.http, c.url, c.token, c.last)
}

// openEvents opens the live event stream at url as a browser's
// EventSource does, from after event last (0: from now).
func openEvents(ctx context.Context, client *http.Client, url, token string, last int64) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/event-stream")
	if last > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(last, 10))
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		resp.Body.Close()
		return nil, fmt.Errorf("events: status %d: %s", resp.StatusCode, bytes.TrimSpace(msg))
	}
	return resp.Body, nil
}

// createdAtKey starts an event's creation time in its JSON.
const createdAtKey = `"created_at":"`

// read reads events until the stream ends, noting for each message.new
// event when it arrived.
func (c *sseClient) read(body io.Reader) {
	br := bufio.NewReaderSize(body, 64<<10)
	var id int64
	var action string
	var created time.Time
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case len(line) == 0: // end of an event
			if id > 0 {
				c.note(id, action, created, time.Now())
			}
			id, action, created = 0, "", time.Time{}
		case bytes.HasPrefix(line, []byte("id: ")):
			id, _ = strconv.ParseInt(string(line[4:]), 10, 64)
		case bytes.HasPrefix(line, []byte("event: ")):
			action = string(line[7:])
		case bytes.HasPrefix(line, []byte("data: ")):
			if i := bytes.Index(line, []byte(createdAtKey)); i >= 0 {
				rest := line[i+len(createdAtKey):]
				if j := bytes.IndexByte(rest, '"'); j >= 0 {
					created, _ = time.Parse(time.RFC3339Nano, string(rest[:j]))
				}
			}
		}
	}
}

func (c *sseClient) note(id int64, action string, created, now time.Time) {
	c.last = max(c.last, id)
	if id <= c.start || action != "message.new" || created.IsZero() {
		return
	}
	i := id - c.start - 1
	for int64(len(c.seen))*64 <= i {
		c.seen = append(c.seen, 0)
	}
	if c.seen[i/64]&(1<<(i%64)) != 0 {
		c.duplicates++
		return
	}
	c.seen[i/64] |= 1 << (i % 64)
	c.delays = append(c.delays, now.Sub(created))
	c.delivered.Add(1)
}
