package bench

// `palabre bench console`: how fast the web console's pages answer a CM
// signed in to a large workspace — the inbox's views, filters and search, a
// long conversation, a busy member — served by the whole server (API and
// console) on a real listener, timed by the client over loopback and, on
// the server side, by the server's own request log.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"palabre/internal/api"
	"palabre/internal/auth"
	"palabre/internal/connector/ndjson"
	"palabre/internal/ingest"
	"palabre/internal/model"
	"palabre/internal/server"
	"palabre/internal/store"
)

// ConsoleTarget is the bound on a page's server-side time.
const ConsoleTarget = 100 * time.Millisecond

// ConsoleOptions configure one `palabre bench console` run. Zero fields
// take the defaults of DefaultConsoleOptions.
type ConsoleOptions struct {
	// DB is EngineSQLite, for a fresh file in Dir, or the postgres:// URL
	// of a server on which the run creates, and drops at the end, a
	// database named palabre_bench_*.
	DB  string
	Dir string // SQLite file; empty: a temporary folder, removed
	// Messages are generated and imported (analysis off).
	Messages int
	// CMs share the conversations out; the signed-in CM is the first.
	CMs int
	// LongThread messages are added to one conversation, so that one
	// thread is longer than the generator's 20.
	LongThread int
	Requests   int // timed requests per page
	WarmUp     int // untimed requests per page before its timed ones
	Seed       uint64
	// Keep leaves the database (and Dir) in place at the end, so that its
	// query plans can be looked at; ConsoleResult.Kept names it.
	Keep bool
	// Log, when not nil, is told each step as it starts.
	Log io.Writer
}

// DefaultConsoleOptions are the sizes of the target: 1,000,000
// messages, five CMs, so that each holds more than 10,000 conversations
// still to deal with.
func DefaultConsoleOptions() ConsoleOptions {
	return ConsoleOptions{DB: EngineSQLite, Messages: 1_000_000, CMs: 5, LongThread: 300, Requests: 50, WarmUp: 5, Seed: 1}
}

// ConsoleResult is what one run measured; its JSON form is what `palabre
// bench console --json` prints.
type ConsoleResult struct {
	Date          string  `json:"date"`
	Machine       Machine `json:"machine"`
	Engine        string  `json:"engine"`
	EngineVersion string  `json:"engine_version"`
	Messages      int     `json:"messages"` // generated and added to the long thread
	Conversations int     `json:"conversations"`
	ImportSeconds float64 `json:"import_seconds"` // analysis off
	// PrepareSeconds is the share-out, the labels, the response dues and
	// the search index.
	PrepareSeconds float64 `json:"prepare_seconds"`
	CMs            int     `json:"cms"`
	// Status counts the conversations by status after the share-out.
	Status map[string]int `json:"status"`
	// Open counts the conversations of the inbox's "open" view: new, open
	// or pending, not snoozed. OpenFewest and OpenMost are those a CM
	// holds; OpenMine, the signed-in CM's, whose "mine" view is timed.
	Open       int `json:"open"`
	OpenFewest int `json:"open_fewest_per_cm"`
	OpenMost   int `json:"open_most_per_cm"`
	OpenMine   int `json:"open_mine"`
	// Awaiting counts the conversations awaiting an answer (the "needs"
	// view's, with the status of any), Due those given a response due time.
	Awaiting int    `json:"awaiting"`
	Due      int    `json:"due"`
	CM       string `json:"cm"` // the signed-in CM's login
	// Kept is the database left in place with ConsoleOptions.Keep.
	Kept  string       `json:"kept,omitempty"`
	Pages []PageResult `json:"pages"`
}

// PageResult is one console page's timings.
type PageResult struct {
	Name string `json:"name"`
	Path string `json:"path"`
	// Items are the inbox rows, or the thread's messages, or the member's
	// conversations, the page showed; Bytes its size.
	Items int `json:"items"`
	Bytes int `json:"bytes"`
	// Client is from sending the request to reading the whole answer,
	// over loopback; Server is the handler's time as the server's request
	// log measured it, rendering and writing included.
	Client Latency `json:"client"`
	Server Latency `json:"server"`
	// Error says why the page got no answer, its last request; "" when
	// every request was answered.
	Error string `json:"error,omitempty"`
}

// Met reports whether the page met the target: its server-side p99 within
// ConsoleTarget.
func (p PageResult) Met() bool { return p.Error == "" && p.Server.P99 <= ms(ConsoleTarget) }

// consolePage is one page to time, and how to count what it showed.
type consolePage struct {
	name, path string
	marker     string // must be in the answer
	item       string // counted in the answer
}

// RunConsole builds a fresh database, signs a CM in and times the
// console's pages.
func RunConsole(ctx context.Context, opts ConsoleOptions) (ConsoleResult, error) {
	def := DefaultConsoleOptions()
	for _, f := range []struct {
		p *int
		d int
	}{{&opts.Messages, def.Messages}, {&opts.CMs, def.CMs},
		{&opts.Requests, def.Requests}, {&opts.WarmUp, def.WarmUp}} {
		if *f.p == 0 {
			*f.p = f.d
		}
	}
	if opts.DB == "" {
		opts.DB = def.DB
	}
	res := ConsoleResult{Date: time.Now().Format(time.DateOnly), Machine: ThisMachine(), Engine: store.EngineSQLite, CMs: opts.CMs}
	if opts.DB != EngineSQLite && !store.IsPostgresDSN(opts.DB) {
		return res, fmt.Errorf("bench: database %q: want %s or a postgres:// server URL", opts.DB, EngineSQLite)
	}
	if opts.Messages < 1 || opts.CMs < 1 || opts.Requests < 1 || opts.WarmUp < 0 || opts.LongThread < 0 {
		return res, fmt.Errorf("bench: console: need messages, CMs and requests, got %+v", opts)
	}
	if store.IsPostgresDSN(opts.DB) {
		res.Engine = store.EnginePostgres
	}
	logf := logger(opts.Log)
	dsn, version, cleanup, err := runDatabase(ctx, opts.DB, opts.Dir, "console", opts.Keep, logf)
	if err != nil {
		return res, err
	}
	defer cleanup()
	res.EngineVersion = version
	if opts.Keep {
		res.Kept = keptName(dsn)
		logf("console: the database stays: %s", res.Kept)
	}
	st, ws, err := openWorkspace(ctx, dsn)
	if err != nil {
		return res, err
	}
	defer st.Close()

	cms, thread, err := prepareConsole(ctx, st, ws, dsn, opts, &res)
	if err != nil {
		return res, err
	}
	pages, err := consolePages(ctx, dsn, ws, thread)
	if err != nil {
		return res, err
	}
	res.CM = cms[0].Login
	cookie, err := signIn(ctx, st, cms[0])
	if err != nil {
		return res, err
	}
	res.Pages, err = timePages(ctx, st, cookie, pages, opts)
	return res, err
}

// prepareConsole fills the workspace: the generated messages, a long
// thread, the CMs and their share of the conversations, labels, response
// dues and the search index; it counts what the inbox will show. It
// returns the CMs and the long thread's conversation.
func prepareConsole(ctx context.Context, st *store.Store, ws model.Workspace, dsn string, opts ConsoleOptions, res *ConsoleResult) ([]model.User, int64, error) {
	logf := logger(opts.Log)
	logf("console: importing %d generated messages (analysis off)", opts.Messages)
	t0 := time.Now()
	sum, err := importGenerated(ctx, st, ws, opts.Messages, opts.Seed)
	if err != nil {
		return nil, 0, err
	}
	res.ImportSeconds = time.Since(t0).Seconds()
	if sum.Inserted != opts.Messages {
		return nil, 0, fmt.Errorf("bench: console: the import stored %d of %d messages: %+v", sum.Inserted, opts.Messages, sum)
	}
	res.Messages, res.Conversations = sum.Inserted, sum.Conversations

	logf("console: preparing the workspace (%d more messages in one thread, %d CMs, labels, dues, search index)", opts.LongThread, opts.CMs)
	t0 = time.Now()
	thread, err := longestThread(ctx, dsn, ws.ID)
	if err != nil {
		return nil, 0, err
	}
	if opts.LongThread > 0 {
		if err := lengthenThread(ctx, st, ws, dsn, thread, opts.LongThread, opts.Seed); err != nil {
			return nil, 0, err
		}
		res.Messages += opts.LongThread
	}
	cms, err := teamUsers(ctx, st, ws, "cm", opts.CMs, model.RoleCM)
	if err != nil {
		return nil, 0, err
	}
	if err := shareOut(ctx, dsn, ws.ID, cms); err != nil {
		return nil, 0, err
	}
	if err := labelAndDue(ctx, dsn, ws.ID); err != nil {
		return nil, 0, err
	}
	if err := st.BackfillSearch(ctx); err != nil { // as `palabre serve` does at start
		return nil, 0, fmt.Errorf("bench: %w", err)
	}
	// The planner's statistics, as palabre import leaves them and palabre
	// serve refreshes them at start (the store was opened empty).
	if err := st.Optimize(ctx); err != nil {
		return nil, 0, fmt.Errorf("bench: %w", err)
	}
	res.PrepareSeconds = time.Since(t0).Seconds()
	return cms, thread, consoleCounts(ctx, dsn, ws.ID, cms, res)
}

// timePages serves the whole server — API and console — over st on a new
// listener on 127.0.0.1, as `palabre serve` does, and times each page.
func timePages(ctx context.Context, st *store.Store, cookie *http.Cookie, pages []consolePage, opts ConsoleOptions) ([]PageResult, error) {
	logf := logger(opts.Log)
	times := make(chan time.Duration, 16)
	srvCtx, stopServer := context.WithCancel(context.WithoutCancel(ctx))
	srv := server.New(server.Config{Addr: "127.0.0.1:0"}, st, nil, slog.New(requestTimes{times}))
	ln, err := srv.Listen()
	if err != nil {
		stopServer()
		return nil, fmt.Errorf("bench: %w", err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(srvCtx, ln) }()
	defer func() {
		stopServer()
		if err := <-served; err != nil {
			logf("%v", err)
		}
	}()
	client := &http.Client{Timeout: 10 * time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // a redirect to /login is a failure, not a page
	}}
	var out []PageResult
	for _, p := range pages {
		logf("console: %d + %d requests of %s", opts.WarmUp, opts.Requests, p.path)
		r, err := timePage(ctx, client, srv.URL(), cookie, p, opts, times)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// keptName names a kept database without the server URL's credentials:
// the SQLite file, or the PostgreSQL database.
func keptName(dsn string) string {
	if !store.IsPostgresDSN(dsn) {
		return dsn
	}
	if u, err := url.Parse(dsn); err == nil {
		return strings.TrimPrefix(u.Path, "/")
	}
	return ""
}

// longestThread returns the id of the conversation with the most
// messages.
func longestThread(ctx context.Context, dsn string, workspaceID int64) (int64, error) {
	db, closeDB, err := openEngine(ctx, dsn)
	if err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	defer closeDB()
	var id int64
	if err := db.QueryRowContext(ctx, `SELECT id FROM conversations WHERE workspace_id = $1
		ORDER BY message_count DESC, id LIMIT 1`, workspaceID).Scan(&id); err != nil {
		return 0, fmt.Errorf("bench: longest thread: %w", err)
	}
	return id, nil
}

// lengthenThread imports n more replies into a conversation, through
// ingest as any import, written by ten authors in turn and dated in the
// millisecond before its last activity, which stays where it was.
func lengthenThread(ctx context.Context, st *store.Store, ws model.Workspace, dsn string, convID int64, n int, seed uint64) error {
	db, closeDB, err := openEngine(ctx, dsn)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	var channel, root string
	var last int64
	err = db.QueryRowContext(ctx, `SELECT ch.name, c.root_external_id, c.last_activity_at
		FROM conversations c JOIN channels ch ON ch.id = c.channel_id WHERE c.id = $1`, convID).Scan(&channel, &root, &last)
	closeDB()
	if err != nil {
		return fmt.Errorf("bench: long thread: %w", err)
	}
	g := newGenerator(n, seed)
	var buf bytes.Buffer
	w := ndjson.NewWriter(&buf)
	at := time.UnixMicro(last).Add(-time.Millisecond)
	for i := range n {
		a := i % 10
		m := model.Message{
			Channel: channel, ConversationExternalID: root, ParentExternalID: root,
			ExternalID: fmt.Sprintf("bench-long-%d", i+1), Kind: model.KindComment,
			AuthorName:  fmt.Sprintf("Long Fil %d", a+1),
			AuthorEmail: fmt.Sprintf("long.fil.%d@bench.example.org", a+1),
			Body:        g.body(i%2 == 0),
			CreatedAt:   at.Add(time.Duration(i-n) * time.Microsecond),
		}
		if err := w.Write(&m); err != nil {
			return fmt.Errorf("bench: long thread: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("bench: long thread: %w", err)
	}
	sum, err := ingest.Import(ctx, st, ndjson.NewReader(&buf), ingest.Options{Workspace: ws, ChannelKind: channelKind})
	if err != nil {
		return fmt.Errorf("bench: long thread: %w", err)
	}
	if sum.Inserted != n || sum.Conversations != 0 {
		return fmt.Errorf("bench: long thread: stored %d of %d messages, %d new conversations", sum.Inserted, n, sum.Conversations)
	}
	return nil
}

// labelAndDue gives the messages the labels an analysed import would
// leave — fr or en by conversation (3 in 5 French), 15% negative, 30%
// positive, the rest neutral, by message id — and every conversation
// awaiting an answer a response due time four hours after it began to
// wait, as an SLA policy would. Like shareOut, it is the fast path: one
// UPDATE each. The inbox's filters then select what they would in a
// workspace that is analysed and has an SLA.
func labelAndDue(ctx context.Context, dsn string, workspaceID int64) error {
	db, closeDB, err := openEngine(ctx, dsn)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer closeDB()
	stmts := []string{
		fmt.Sprintf(`UPDATE messages SET
			lang = CASE WHEN conversation_id %% 5 < 3 THEN 'fr' ELSE 'en' END,
			sentiment = CASE WHEN id %% 20 < 3 THEN 'neg' WHEN id %% 20 < 9 THEN 'pos' ELSE 'neu' END
			WHERE workspace_id = %d`, workspaceID),
		fmt.Sprintf(`UPDATE conversations SET response_due_at = awaiting_since + %d
			WHERE workspace_id = %d AND awaiting_since IS NOT NULL`, (4 * time.Hour).Microseconds(), workspaceID),
	}
	if store.IsPostgresDSN(dsn) {
		// What autovacuum does within minutes of such updates.
		stmts = append(stmts, `VACUUM ANALYZE messages`, `VACUUM ANALYZE conversations`)
	}
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("bench: label messages: %w", err)
		}
	}
	return nil
}

// consoleCounts fills in the result's counts of conversations.
func consoleCounts(ctx context.Context, dsn string, workspaceID int64, cms []model.User, res *ConsoleResult) error {
	var err error
	if res.Status, _, err = inboxCounts(ctx, dsn, workspaceID, cms); err != nil {
		return err
	}
	db, closeDB, err := openEngine(ctx, dsn)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer closeDB()
	const open = ` AND status IN ('` + model.ConvNew + `', '` + model.ConvOpen + `', '` + model.ConvPending + `') AND snoozed_until IS NULL`
	count := func(where string, args ...any) (int, error) {
		var n int
		err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM conversations WHERE workspace_id = $1`+where,
			append([]any{workspaceID}, args...)...).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("bench: count conversations: %w", err)
		}
		return n, nil
	}
	if res.Open, err = count(open); err != nil {
		return err
	}
	if res.Awaiting, err = count(` AND awaiting_since IS NOT NULL`); err != nil {
		return err
	}
	if res.Due, err = count(` AND response_due_at IS NOT NULL`); err != nil {
		return err
	}
	res.OpenFewest = -1
	for i, u := range cms {
		n, err := count(open+` AND assignee_id = $2`, u.ID)
		if err != nil {
			return err
		}
		if i == 0 {
			res.OpenMine = n
		}
		if res.OpenFewest < 0 || n < res.OpenFewest {
			res.OpenFewest = n
		}
		res.OpenMost = max(res.OpenMost, n)
	}
	return nil
}

// consolePages are the pages to time: the inbox's views, two filters and
// three searches, the long thread, and the member who wrote the most.
// The rare search is a one-off author's e-mail address, as a CM pastes
// it; the common one a word of most French messages.
func consolePages(ctx context.Context, dsn string, ws model.Workspace, thread int64) ([]consolePage, error) {
	db, closeDB, err := openEngine(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer closeDB()
	var member, email string
	if err := db.QueryRowContext(ctx, `SELECT id FROM members WHERE workspace_id = $1
		ORDER BY message_count DESC, id LIMIT 1`, ws.ID).Scan(&member); err != nil {
		return nil, fmt.Errorf("bench: busiest member: %w", err)
	}
	if err := db.QueryRowContext(ctx, `SELECT i.value FROM identities i
		JOIN members m ON m.workspace_id = i.workspace_id AND m.id = i.member_id
		WHERE i.workspace_id = $1 AND i.kind = $2 AND m.message_count = 1
		ORDER BY i.key LIMIT 1`, ws.ID, model.IdentityEmail).Scan(&email); err != nil {
		return nil, fmt.Errorf("bench: a one-off author: %w", err)
	}
	const rows, row = `class="rows"`, `<li class="row `
	return []consolePage{
		{"inbox: open", "/inbox?view=open", rows, row},
		{"inbox: mine", "/inbox?view=mine", rows, row},
		{"inbox: needs response", "/inbox?view=needs", rows, row},
		{"inbox: by SLA due", "/inbox?view=due", rows, row},
		{"inbox: open, sentiment negative", "/inbox?view=open&sentiment=neg", rows, row},
		{"inbox: open, language en", "/inbox?view=open&lang=en", rows, row},
		{"search: common word (open)", "/inbox?q=livraison", rows, row},
		{"search: common word (all)", "/inbox?view=all&q=livraison", rows, row},
		{"search: rare (one e-mail)", "/inbox?q=" + url.QueryEscape(email), rows, row},
		{"conversation: long thread", "/conversations/" + strconv.FormatInt(thread, 10), `class="thread"`, `class="msg `},
		{"member: most messages", "/workspaces/" + ws.Slug + "/people/" + url.PathEscape(member), `class="member"`, `href="/conversations/`},
	}, nil
}

// signIn opens a session for u, as the sign-in form does, and returns its
// cookie.
func signIn(ctx context.Context, st *store.Store, u model.User) (*http.Cookie, error) {
	secret, err := auth.NewSecret()
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	if err := st.CreateSession(ctx, auth.HashSecret(secret), u.ID, time.Now().Add(24*time.Hour)); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	return &http.Cookie{Name: api.SessionCookie, Value: secret}, nil
}

// A page slower than slowPage is not warmed up further; one whose
// requests have taken pageBudget in all is not asked again, so that a
// page far beyond the target costs the run a minute, not an hour. The
// result's N tells how many requests were timed.
const (
	slowPage   = 10 * ConsoleTarget
	pageBudget = 30 * time.Second
)

// timePage requests a page o.WarmUp times untimed, then o.Requests times
// timed, each answer checked; the server's time of each comes from its
// request log, through times. A request that gets no answer (the server
// cuts an answer after its write timeout, 30 s) ends the page's timings,
// counted, with PageResult.Error saying why.
func timePage(ctx context.Context, client *http.Client, base string, cookie *http.Cookie, p consolePage, o ConsoleOptions,
	times <-chan time.Duration) (PageResult, error) {
	res := PageResult{Name: p.name, Path: p.path, Items: -1}
	var clientDs, serverDs []time.Duration
	start, warm := time.Now(), o.WarmUp
	for i := 0; ; i++ {
		d, sd, body, err := getPage(ctx, client, base+p.path, cookie, times)
		if err == nil && !bytes.Contains(body, []byte(p.marker)) {
			err = fmt.Errorf("%d bytes without %s: %.300q", len(body), p.marker, body)
		}
		if sd < 0 {
			return res, fmt.Errorf("bench: %s: %w", p.path, err)
		}
		if err != nil {
			res.Error = err.Error()
			clientDs, serverDs = append(clientDs, d), append(serverDs, sd)
			break
		}
		items := bytes.Count(body, []byte(p.item))
		if res.Items >= 0 && items != res.Items {
			return res, fmt.Errorf("bench: %s: %d items, then %d", p.path, res.Items, items)
		}
		res.Items, res.Bytes = items, len(body)
		spent := time.Since(start)
		if i < warm {
			if spent > pageBudget { // too slow to ask again: its only measure
				clientDs, serverDs = append(clientDs, d), append(serverDs, sd)
				break
			}
			if d > slowPage {
				warm = i + 1
			}
			continue
		}
		clientDs, serverDs = append(clientDs, d), append(serverDs, sd)
		if len(clientDs) >= o.Requests || spent > pageBudget {
			break
		}
	}
	res.Client, res.Server = summarize(clientDs), summarize(serverDs)
	return res, nil
}

// getPage gets one page and returns the time the client waited for the
// whole answer, the server's time from its request log (-1 when the
// server logged nothing), and the body of a 200 answer.
func getPage(ctx context.Context, client *http.Client, u string, cookie *http.Cookie, times <-chan time.Duration) (time.Duration, time.Duration, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, -1, nil, err
	}
	req.AddCookie(cookie)
	t0 := time.Now()
	resp, err := client.Do(req)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %d: %.300q", resp.StatusCode, body)
		}
	}
	d := time.Since(t0)
	var sd time.Duration
	select {
	case sd = <-times:
	case <-time.After(10 * time.Minute):
		return d, -1, nil, errors.Join(err, errors.New("the server logged no request"))
	}
	if err != nil {
		// The client sends a GET again when its connection closes before
		// an answer: each attempt is logged. Drain them all, so that the
		// next page reads its own, and keep the longest.
		attempts := 1
		for more := true; more; {
			select {
			case again := <-times:
				attempts++
				sd = max(sd, again)
			case <-time.After(2 * time.Second):
				more = false
			}
		}
		err = fmt.Errorf("%w (%d attempts logged by the server)", err, attempts)
	}
	return d, sd, body, err
}

// requestTimes is a log handler that passes on the duration of each
// request the server logs: the server-side time of a page, measured by the
// server's own middleware around everything it does for the request.
type requestTimes struct{ times chan<- time.Duration }

func (h requestTimes) Enabled(context.Context, slog.Level) bool { return true }

func (h requestTimes) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "request" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key != "duration" {
			return true
		}
		h.times <- a.Value.Duration()
		return false
	})
	return nil
}

func (h requestTimes) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h requestTimes) WithGroup(string) slog.Handler      { return h }

// runDatabase makes the fresh database of a run named name — a SQLite
// file in dir (a temporary folder when ""), or a new database on the
// PostgreSQL server db — and returns its address, its engine's version,
// and what removes it and the folder at the end, unless keep.
func runDatabase(ctx context.Context, db, dir, name string, keep bool, logf func(string, ...any)) (string, string, func(), error) {
	dir, removeDir, err := workDir(dir, name, keep)
	if err != nil {
		return "", "", nil, err
	}
	dsn, drop, err := freshDatabase(ctx, db, dir, name)
	if err != nil {
		removeDir()
		return "", "", nil, err
	}
	cleanup := func() {
		defer removeDir()
		if keep {
			return
		}
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := drop(cctx); err != nil {
			logf("%v", err)
		}
	}
	version, err := engineVersion(ctx, dsn)
	if err != nil {
		cleanup()
		return "", "", nil, err
	}
	return dsn, version, cleanup, nil
}

// workDir is the folder of a run's SQLite files: dir, made if need be, or
// a temporary folder that the returned func removes (unless keep).
func workDir(dir, name string, keep bool) (string, func(), error) {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", nil, fmt.Errorf("bench: %w", err)
		}
		return dir, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "palabre-bench-"+name+"-")
	if err != nil {
		return "", nil, fmt.Errorf("bench: %w", err)
	}
	if keep {
		return tmp, func() {}, nil
	}
	return tmp, func() { os.RemoveAll(tmp) }, nil
}
