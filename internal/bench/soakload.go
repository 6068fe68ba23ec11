package bench

// The soak's load: the team it seeds, messages posted to an inbound
// webhook at a steady pace, reads of the API and the console, and the
// live streams (soaklive.go), run together for one phase.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"palabre/internal/auth"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/webhook"
)

// soakChannel is the channel whose inbound webhook the messages are
// posted to.
const soakChannel = "soak"

// soakSeed is what the load needs of the seeded workspace.
type soakSeed struct {
	ws           model.Workspace
	streamTokens []string     // one per CM user
	readToken    string       // a manager's read-only token, for API reads
	cookie       *http.Cookie // the same manager's session, for console reads
	secret       []byte       // the webhook's
}

// seedSoak makes the workspace, a manager, the CMs whose streams are
// watched, their credentials, and the channel's inbound webhook — the
// last through the API, as a manager would.
func seedSoak(ctx context.Context, st *store.Store, base string, o SoakOptions) (soakSeed, error) {
	var s soakSeed
	ws, err := st.EnsureWorkspace(ctx, model.Workspace{Slug: Workspace, Name: Workspace})
	if err != nil {
		return s, fmt.Errorf("bench: soak: %w", err)
	}
	s.ws = ws
	managers, err := teamUsers(ctx, st, ws, "manager", 1, model.RoleManager)
	if err != nil {
		return s, err
	}
	mgr := managers[0]
	if s.readToken, err = apiToken(ctx, st, mgr); err != nil {
		return s, err
	}
	if s.cookie, err = signIn(ctx, st, mgr); err != nil {
		return s, err
	}
	writeToken, hash, err := auth.NewAPIToken()
	if err != nil {
		return s, fmt.Errorf("bench: soak: %w", err)
	}
	if _, err := st.CreateAPIToken(ctx, model.APIToken{UserID: mgr.ID, Name: "bench soak", CanWrite: true}, hash, teamActor); err != nil {
		return s, fmt.Errorf("bench: soak: %w", err)
	}
	cms, err := teamUsers(ctx, st, ws, "cm", (o.Clients+o.ConnsPerUser-1)/o.ConnsPerUser, model.RoleCM)
	if err != nil {
		return s, err
	}
	for _, u := range cms {
		tok, err := apiToken(ctx, st, u)
		if err != nil {
			return s, err
		}
		s.streamTokens = append(s.streamTokens, tok)
	}

	body := `{"channel":"` + soakChannel + `","kind":"webhook","name":"Soak","config":{}}`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/workspaces/"+ws.Slug+"/sources", bytes.NewReader([]byte(body)))
	if err != nil {
		return s, fmt.Errorf("bench: soak: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+writeToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return s, fmt.Errorf("bench: soak: make the webhook: %w", err)
	}
	defer resp.Body.Close()
	var created struct {
		Config struct {
			Secret string `json:"secret"`
		} `json:"config"`
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(answer, &created) != nil || created.Config.Secret == "" {
		return s, fmt.Errorf("bench: soak: make the webhook: status %d: %s", resp.StatusCode, bytes.TrimSpace(answer))
	}
	s.secret = []byte(created.Config.Secret)
	return s, nil
}

// soakRun holds what the phases share.
type soakRun struct {
	opts SoakOptions
	base string
	seed soakSeed
	st   *store.Store
	errs *errorCounts
	gen  *generator // across phases, so that every message is new
}

// phaseResult is what one phase measured.
type phaseResult struct {
	loadSeconds, drainSeconds, connectSeconds float64
	// rateSeconds is what rates are reckoned over: the load's length,
	// or the length asked when the last request was due before its end.
	rateSeconds float64
	ingest      *soakIngester
	reads       *soakReader
	led         *ledger
	clients     []*soakClient
}

// phase connects the streams, runs the ingest and the reads for d, lets
// the streams drain, and disconnects everything. smp, when not nil, is
// sampling this phase.
func (r *soakRun) phase(ctx context.Context, d time.Duration, smp *sampler) (*phaseResult, error) {
	startID, err := r.st.LastEventID(ctx)
	if err != nil {
		return nil, fmt.Errorf("bench: soak: %w", err)
	}
	ph := &phaseResult{led: newLedger(r.st, startID)}

	streamTransport := &http.Transport{MaxIdleConnsPerHost: r.opts.Clients, DisableCompression: true}
	defer streamTransport.CloseIdleConnections()
	streams := &http.Client{Transport: streamTransport}
	cliCtx, stopClients := context.WithCancel(ctx)
	defer stopClients()
	var connected, running sync.WaitGroup
	ph.clients = make([]*soakClient, r.opts.Clients)
	connected.Add(len(ph.clients))
	t0 := time.Now()
	for i := range ph.clients {
		c := &soakClient{index: i, url: r.base + "/api/v1/events", token: r.seed.streamTokens[i/r.opts.ConnsPerUser],
			start: startID, http: streams, led: ph.led, lose: r.opts.lose, errs: r.errs}
		ph.clients[i] = c
		running.Add(1)
		go func() {
			defer running.Done()
			c.run(cliCtx, connected.Done)
		}()
	}
	stopAll := func() {
		stopClients()
		running.Wait()
	}
	if err := waitFor(ctx, &connected, 2*time.Minute); err != nil {
		stopAll()
		return nil, fmt.Errorf("bench: soak: the streams did not all open within 2 minutes: %w", err)
	}
	ph.connectSeconds = time.Since(t0).Seconds()
	for _, c := range ph.clients {
		if c.err != nil {
			stopAll()
			return nil, fmt.Errorf("bench: soak: open a stream: %w", c.err)
		}
	}

	ledCtx, stopLedger := context.WithCancel(ctx)
	tailed := make(chan struct{})
	go func() {
		defer close(tailed)
		ph.led.tail(ledCtx, 100*time.Millisecond, r.errs)
	}()
	defer func() {
		stopLedger()
		<-tailed
	}()

	loadTransport := &http.Transport{MaxIdleConnsPerHost: 128, DisableCompression: true}
	defer loadTransport.CloseIdleConnections()
	loadClient := &http.Client{Transport: loadTransport, Timeout: time.Minute}
	ph.ingest = &soakIngester{client: loadClient, url: r.base + "/api/v1/hooks/" + r.seed.ws.Slug + "/" + soakChannel,
		secret: r.seed.secret, gen: r.gen, led: ph.led, errs: r.errs}
	ph.reads = &soakReader{client: loadClient, base: r.base, seed: r.seed, led: ph.led, errs: r.errs,
		rng: rand.New(rand.NewPCG(r.opts.Seed, 0x50a)), words: r.gen.fr, hist: map[string]*histogram{}}

	if smp != nil {
		smp.begin()
		defer smp.end()
	}
	loadStart := time.Now()
	var load sync.WaitGroup
	load.Add(2)
	go func() {
		defer load.Done()
		ph.ingest.run(ctx, r.opts.Rate, d)
	}()
	go func() {
		defer load.Done()
		if r.opts.Reads > 0 {
			ph.reads.run(ctx, r.opts.Reads, d)
		}
	}()
	load.Wait()
	ph.loadSeconds = time.Since(loadStart).Seconds()
	ph.rateSeconds = max(ph.loadSeconds, d.Seconds())
	if err := ctx.Err(); err != nil {
		stopAll()
		return nil, err
	}

	// The drain: until every stream has every message's event, or the
	// time is up.
	if smp != nil {
		smp.draining()
	}
	drainStart := time.Now()
	for deadline := drainStart.Add(r.opts.Drain); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if err := ph.led.poll(ctx); err != nil {
			r.errs.add("ledger: " + err.Error())
		}
		events := ph.led.newEvents()
		if events < int(ph.ingest.stored.Load()) {
			continue
		}
		var got int64
		for _, c := range ph.clients {
			got += c.received.Load()
		}
		if got >= int64(events*len(ph.clients)) {
			break
		}
	}
	ph.drainSeconds = time.Since(drainStart).Seconds()
	stopAll()
	stopLedger()
	<-tailed
	// Everything is committed now: the last reading sees every event.
	if err := ph.led.poll(ctx); err != nil {
		return nil, fmt.Errorf("bench: soak: read the events: %w", err)
	}
	for _, c := range ph.clients {
		c.resolve(true)
	}
	return ph, nil
}

// fill writes the measured phase into res.
func (ph *phaseResult) fill(res *SoakResult) {
	res.LoadSeconds = ph.loadSeconds
	in := ph.ingest
	res.Ingest = SoakIngest{Sent: int(in.sent.Load()), Stored: int(in.stored.Load()), Conversations: in.conversations,
		Achieved: float64(in.sent.Load()) / ph.rateSeconds, Latency: in.hist.latency()}
	res.Read = map[string]Latency{}
	answered := 0
	for kind, h := range ph.reads.hist {
		res.Read[kind] = h.latency()
		answered += int(h.n)
	}
	res.ReadRate = float64(answered) / ph.rateSeconds

	lv := &res.Live
	lv.ConnectSeconds, lv.DrainSeconds = ph.connectSeconds, ph.drainSeconds
	ids := ph.led.newIDs()
	lv.Events = len(ids)
	lv.Expected = lv.Events * len(ph.clients)
	var delivery histogram
	for _, c := range ph.clients {
		lv.Delivered += c.count(ids)
		lv.Duplicates += c.duplicates
		lv.Reconnects += c.reconnects
		lv.Resets += c.resets
		delivery.merge(&c.hist)
	}
	lv.Missed = lv.Expected - lv.Delivered
	if gap := res.Ingest.Stored - lv.Events; gap > 0 {
		lv.Missed += gap * len(ph.clients)
	}
	lv.Delivery = delivery.latency()
	if n := ph.led.unmatchedEvents(); n > 0 {
		res.Errors["events not matching a message sent"] += n
	}
}

// waitFor waits for wg, at most d.
func waitFor(ctx context.Context, wg *sync.WaitGroup, d time.Duration) error {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return errors.New("timed out")
	}
}

// paced calls fn(i) rate times a second for d, each call at its own time
// (i/rate seconds after the start), not in bursts; a late call is
// followed at once by the next, and calls still due at the end of d are
// not made: fn blocking (no slot free) lowers the rate achieved.
func paced(ctx context.Context, rate int, d time.Duration, fn func(i int)) {
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for i := 0; ; i++ {
		at := time.Duration(int64(i) * int64(time.Second) / int64(rate))
		if at >= d || time.Since(start) >= d {
			return
		}
		if wait := time.Until(start.Add(at)); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		}
		if ctx.Err() != nil {
			return
		}
		fn(i)
	}
}

// soakSlots is how many conversations are written in at once. A
// conversation has at most one request in flight, so that its events come
// in the order its messages were sent; more slots than requests in flight
// keeps the pace.
const soakSlots = 256

// soakIngester posts generated messages, one a request, to the inbound
// webhook: conversations of 5 to 20 messages, soakSlots at a time.
type soakIngester struct {
	client *http.Client
	url    string
	secret []byte
	gen    *generator
	led    *ledger
	errs   *errorCounts

	sent, stored  atomic.Int64
	conversations int // by run's goroutine
	mu            sync.Mutex
	hist          histogram
}

// hookMessage is a message as the webhook reads it (palabre's NDJSON).
type hookMessage struct {
	ExternalID             string `json:"external_id"`
	ParentExternalID       string `json:"parent_external_id,omitempty"`
	ConversationExternalID string `json:"conversation_external_id,omitempty"`
	Kind                   string `json:"kind,omitempty"`
	Title                  string `json:"title,omitempty"`
	AuthorName             string `json:"author_name,omitempty"`
	AuthorEmail            string `json:"author_email,omitempty"`
	AuthorHandle           string `json:"author_handle,omitempty"`
	AuthorURL              string `json:"author_url,omitempty"`
	AuthorIsStaff          bool   `json:"author_is_staff,omitempty"`
	Body                   string `json:"body"`
	CreatedAt              string `json:"created_at"`
}

type soakSlot struct{ t *thread }

func (in *soakIngester) run(ctx context.Context, rate int, d time.Duration) {
	slots := make(chan *soakSlot, soakSlots)
	for range soakSlots {
		slots <- &soakSlot{}
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	paced(ctx, rate, d, func(int) {
		var slot *soakSlot
		select {
		case slot = <-slots:
		case <-ctx.Done():
			return
		}
		if slot.t == nil || len(slot.t.ids) >= slot.t.size {
			slot.t = in.gen.startThread(maxThread + minThread)
			in.conversations++
		}
		m := in.gen.message(slot.t)
		body, err := json.Marshal(hookMessage{ExternalID: m.ExternalID, ParentExternalID: m.ParentExternalID,
			ConversationExternalID: m.ConversationExternalID, Kind: m.Kind, Title: m.Title, AuthorName: m.AuthorName,
			AuthorEmail: m.AuthorEmail, AuthorHandle: m.AuthorHandle, AuthorURL: m.AuthorURL, AuthorIsStaff: m.AuthorIsStaff,
			Body: m.Body, CreatedAt: time.Now().UTC().Format(time.RFC3339Nano)})
		if err != nil {
			in.errs.add("ingest: encode: " + err.Error())
			slots <- slot
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if !in.post(ctx, slot.t.root, body) {
				// Whether it was stored is unknown: the conversation takes
				// no more messages, so that its events stay in order.
				slot.t = nil
			}
			slots <- slot
		}()
	})
}

// post sends one message and tells whether it was stored.
func (in *soakIngester) post(ctx context.Context, root string, body []byte) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.url, bytes.NewReader(body))
	if err != nil {
		in.errs.add("ingest: " + err.Error())
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	sent := time.Now()
	req.Header.Set(webhook.SignatureHeader, webhook.Sign(in.secret, sent, body))
	in.led.sent(root, sent)
	in.sent.Add(1)
	resp, err := in.client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			in.errs.add("ingest: transport")
		}
		return false
	}
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	took := time.Since(sent)
	in.mu.Lock()
	in.hist.add(took)
	in.mu.Unlock()
	if err != nil {
		in.errs.add("ingest: transport")
		return false
	}
	if resp.StatusCode != http.StatusOK {
		in.errs.addStatus("ingest", resp)
		return false
	}
	var sum struct {
		Inserted int `json:"inserted"`
	}
	if json.Unmarshal(answer, &sum) != nil || sum.Inserted != 1 {
		in.errs.add("ingest: not stored")
		return false
	}
	in.stored.Add(1)
	return true
}

// Kinds of reads, made in turn.
var soakReadKinds = [...]string{"inbox", "conversation", "search", "metrics"}

// soakReader reads what a CM's screens read: the inbox over the API, a
// conversation, a search in the console, the workspace's metrics.
type soakReader struct {
	client *http.Client
	base   string
	seed   soakSeed
	led    *ledger
	errs   *errorCounts
	rng    *rand.Rand // the run goroutine's
	words  []string

	mu   sync.Mutex
	hist map[string]*histogram
}

// soakReadsInFlight bounds the reads waiting for an answer; when that many
// are, the pace slows, which the achieved rate shows.
const soakReadsInFlight = 64

func (rd *soakReader) run(ctx context.Context, rate int, d time.Duration) {
	sem := make(chan struct{}, soakReadsInFlight)
	var wg sync.WaitGroup
	defer wg.Wait()
	ws := rd.seed.ws.Slug
	paced(ctx, rate, d, func(i int) {
		kind := soakReadKinds[i%len(soakReadKinds)]
		var path string
		cookie := false
		switch kind {
		case "inbox":
			path = "/api/v1/workspaces/" + ws + "/conversations?limit=50"
		case "conversation":
			id, ok := rd.led.conversation(rd.rng)
			if !ok {
				kind, path = "inbox", "/api/v1/workspaces/"+ws+"/conversations?limit=50"
				break
			}
			path = "/api/v1/conversations/" + strconv.FormatInt(id, 10)
		case "search":
			path, cookie = "/inbox?view=all&q="+url.QueryEscape(rd.words[rd.rng.IntN(len(rd.words))]), true
		case "metrics":
			path = "/api/v1/workspaces/" + ws + "/metrics"
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			rd.read(ctx, kind, path, cookie)
		}()
	})
}

func (rd *soakReader) read(ctx context.Context, kind, path string, cookie bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rd.base+path, nil)
	if err != nil {
		rd.errs.add("read " + kind + ": " + err.Error())
		return
	}
	if cookie {
		req.AddCookie(rd.seed.cookie)
	} else {
		req.Header.Set("Authorization", "Bearer "+rd.seed.readToken)
	}
	t0 := time.Now()
	resp, err := rd.client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			rd.errs.add("read " + kind + ": transport")
		}
		return
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	took := time.Since(t0)
	switch {
	case err != nil:
		rd.errs.add("read " + kind + ": transport")
		return
	case resp.StatusCode != http.StatusOK:
		rd.errs.addStatus("read "+kind, resp)
		return
	}
	rd.mu.Lock()
	h := rd.hist[kind]
	if h == nil {
		h = &histogram{}
		rd.hist[kind] = h
	}
	h.add(took)
	rd.mu.Unlock()
}
