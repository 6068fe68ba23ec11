package bench

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"time"

	"palabre/internal/insights"
	"palabre/internal/metrics"
	"palabre/internal/model"
	"palabre/internal/rollup"
	"palabre/internal/sla"
	"palabre/internal/store"
)

// DashboardTarget is the bound on a one-year dashboard.
const DashboardTarget = 500 * time.Millisecond

// MetricsOptions configure one `palabre bench metrics` run. Zero fields
// take the defaults of DefaultMetricsOptions.
type MetricsOptions struct {
	// DB is EngineSQLite, for a fresh file in Dir, or the postgres:// URL
	// of a server on which the run creates, and drops at the end, a
	// database named palabre_bench_*.
	DB  string
	Dir string
	// Messages are stored in all, over Years up to now, in Workspaces
	// workspaces; the first, whose dashboards are timed, holds Share of
	// them.
	Messages   int
	Workspaces int
	Years      int
	Share      float64
	Requests   int // timed answers of each query, after one untimed
	Seed       uint64
	Keep       bool
	// Reuse names the database an earlier run kept (Keep): its rows and
	// rollups are timed again, nothing stored; Timed names the workspace
	// timed there (brand-1, the first, by default).
	Reuse, Timed string
	Log          io.Writer
}

// DefaultMetricsOptions are the sizes of the target: 10,000,000
// messages stored over two years in four workspaces, the dashboard's
// holding 40% of them.
func DefaultMetricsOptions() MetricsOptions {
	return MetricsOptions{DB: EngineSQLite, Messages: 10_000_000, Workspaces: 4, Years: 2, Share: 0.4, Requests: 20, Seed: 1}
}

// MetricsResult is what one run measured; its JSON form is what `palabre
// bench metrics --json` prints.
type MetricsResult struct {
	Date          string  `json:"date"`
	Machine       Machine `json:"machine"`
	Engine        string  `json:"engine"`
	EngineVersion string  `json:"engine_version"`
	Requests      int     `json:"requests"` // timed answers of each dashboard
	Stored        Counts  `json:"stored"`
	// Timed counts what the timed workspace holds, and what it holds in
	// the year its dashboards show.
	TimedSlug string `json:"timed_workspace"`
	Timed     Counts `json:"timed"`
	TimedYear Counts `json:"timed_year"`
	// LoadSeconds stored the rows (in bulk, the rollups' triggers set
	// aside as a restore would);
	// RebuildSeconds counted every rollup again (`palabre rollups`);
	// RefreshSeconds is a round of the rollups job with nothing to do.
	LoadSeconds    float64 `json:"load_seconds"`
	RebuildSeconds float64 `json:"rebuild_seconds"`
	RefreshSeconds float64 `json:"refresh_seconds"`
	// Queries are the timed dashboards.
	Queries []QueryResult `json:"queries"`
	// FromFactsMS is one answer of the year's dashboard counted from
	// every fact (metrics.Ask), to compare; Same says it was exactly the
	// rollups' answer.
	FromFactsMS float64 `json:"from_facts_ms"`
	Same        bool    `json:"same"`
	Kept        string  `json:"kept,omitempty"`
}

// QueryResult is one dashboard's timings.
type QueryResult struct {
	Name  string        `json:"name"`
	Query metrics.Query `json:"query"`
	Time  Latency       `json:"time"`
	// In is the customers' messages it counted, to see it is the year
	// (for insights, those it read: at most insights.MaxMessages).
	In int `json:"in"`
	// Insights: the query's insights were timed, not its figures.
	Insights bool `json:"insights,omitempty"`
}

// Met reports whether the query kept to DashboardTarget.
func (q QueryResult) Met() bool { return q.Time.N > 0 && q.Time.P99 <= ms(DashboardTarget) }

// RunMetrics stores the messages, counts every rollup, and times the
// timed workspace's dashboards (rollup.Ask, what the console and the API
// answer with).
func RunMetrics(ctx context.Context, opts MetricsOptions) (MetricsResult, error) {
	def := DefaultMetricsOptions()
	for _, f := range []struct {
		p *int
		d int
	}{{&opts.Messages, def.Messages}, {&opts.Workspaces, def.Workspaces}, {&opts.Years, def.Years}, {&opts.Requests, def.Requests}} {
		if *f.p == 0 {
			*f.p = f.d
		}
	}
	if opts.Share == 0 {
		opts.Share = def.Share
	}
	if opts.DB == "" {
		opts.DB = def.DB
	}
	res := MetricsResult{Date: time.Now().Format(time.DateOnly), Machine: ThisMachine(), Engine: store.EngineSQLite,
		Requests: opts.Requests}
	if opts.DB != EngineSQLite && !store.IsPostgresDSN(opts.DB) {
		return res, fmt.Errorf("bench: database %q: want %s or a postgres:// server URL", opts.DB, EngineSQLite)
	}
	if opts.Messages < 1 || opts.Workspaces < 1 || opts.Years < 1 || opts.Requests < 1 || !(opts.Share > 0 && opts.Share <= 1) {
		return res, fmt.Errorf("bench: metrics: need messages, workspaces, years, requests and a share in (0, 1], got %+v", opts)
	}
	if store.IsPostgresDSN(opts.DB) {
		res.Engine = store.EnginePostgres
	}
	logf := logger(opts.Log)
	if opts.Reuse != "" {
		if store.IsPostgresDSN(opts.Reuse) {
			res.Engine = store.EnginePostgres
		}
		return timeKept(ctx, opts.Reuse, cmp.Or(opts.Timed, "brand-1"), res)
	}
	dsn, version, cleanup, err := runDatabase(ctx, opts.DB, opts.Dir, "metrics", opts.Keep, logf)
	if err != nil {
		return res, err
	}
	defer cleanup()
	res.EngineVersion = version
	if opts.Keep {
		res.Kept = keptName(dsn)
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return res, fmt.Errorf("bench: %w", err)
	}
	defer st.Close()
	now := time.Now()
	start := now.AddDate(-opts.Years, 0, 0)
	yearAgo := now.AddDate(-1, 0, 0)
	rng := rand.New(rand.NewPCG(opts.Seed, 8))
	began := time.Now()
	for w := range opts.Workspaces {
		n := int(float64(opts.Messages) * opts.Share)
		if w > 0 {
			n = (opts.Messages - int(float64(opts.Messages)*opts.Share)) / max(opts.Workspaces-1, 1)
		}
		if opts.Workspaces == 1 {
			n = opts.Messages
		}
		logf("metrics: storing workspace %d of %d, %d messages", w+1, opts.Workspaces, n)
		_, all, year, err := loadWorkspace(ctx, st, dsn, fmt.Sprintf("brand-%d", w+1), n, start, yearAgo, now, rng)
		if err != nil {
			return res, err
		}
		res.Stored.Messages += all.Messages
		res.Stored.Conversations += all.Conversations
		res.Stored.Members += all.Members
		if w == 0 {
			res.Timed, res.TimedYear = all, year
		}
	}
	res.LoadSeconds = time.Since(began).Seconds()
	logf("metrics: stored %d messages in %.0f s; counting every rollup again", res.Stored.Messages, res.LoadSeconds)
	began = time.Now()
	list, err := st.Workspaces(ctx)
	if err != nil {
		return res, err
	}
	for _, ws := range list {
		if err := st.ForgetRollups(ctx, ws.ID); err != nil {
			return res, err
		}
		if _, err := rollup.Refresh(ctx, st, ws.ID, time.Now()); err != nil {
			return res, err
		}
	}
	res.RebuildSeconds = time.Since(began).Seconds()
	logf("metrics: rollups counted in %.0f s; timing the dashboards", res.RebuildSeconds)
	return timeDashboardsOf(ctx, st, "brand-1", res)
}

// timeKept times the dashboards of a database an earlier run kept.
func timeKept(ctx context.Context, dsn, slug string, res MetricsResult) (MetricsResult, error) {
	var err error
	if res.EngineVersion, err = engineVersion(ctx, dsn); err != nil {
		return res, err
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return res, fmt.Errorf("bench: %w", err)
	}
	defer st.Close()
	res.Kept = keptName(dsn)
	db, closeDB, err := openEngine(ctx, dsn)
	if err != nil {
		return res, fmt.Errorf("bench: %w", err)
	}
	defer closeDB()
	yearAgo := time.Now().AddDate(-1, 0, 0).UnixMicro()
	for _, c := range []struct {
		n     *int
		query string
	}{
		{&res.Stored.Messages, `SELECT COUNT(*) FROM messages`},
		{&res.Stored.Conversations, `SELECT COUNT(*) FROM conversations`},
		{&res.Stored.Members, `SELECT COUNT(*) FROM members`},
		{&res.Timed.Messages, `SELECT COUNT(*) FROM messages m JOIN workspaces w ON w.id = m.workspace_id WHERE w.slug = $1`},
		{&res.Timed.Conversations, `SELECT COUNT(*) FROM conversations c JOIN workspaces w ON w.id = c.workspace_id WHERE w.slug = $1`},
		{&res.Timed.Members, `SELECT COUNT(*) FROM members m JOIN workspaces w ON w.id = m.workspace_id WHERE w.slug = $1`},
		{&res.TimedYear.Messages, fmt.Sprintf(`SELECT COUNT(*) FROM messages m JOIN workspaces w ON w.id = m.workspace_id
			WHERE w.slug = $1 AND m.created_at >= %d`, yearAgo)},
	} {
		args := []any{slug}
		if !strings.Contains(c.query, "$1") {
			args = nil
		}
		if err := db.QueryRowContext(ctx, c.query, args...).Scan(c.n); err != nil {
			return res, fmt.Errorf("bench: %w", err)
		}
	}
	return timeDashboardsOf(ctx, st, slug, res)
}

// timeDashboardsOf brings the rollups of the timed workspace up to date,
// times its dashboards, and counts the first from every fact once.
func timeDashboardsOf(ctx context.Context, st *store.Store, slug string, res MetricsResult) (MetricsResult, error) {
	res.TimedSlug = slug
	timed, err := st.WorkspaceBySlug(ctx, slug)
	if err != nil {
		return res, err
	}
	began := time.Now()
	if _, err := rollup.Refresh(ctx, st, timed.ID, time.Now()); err != nil {
		return res, err
	}
	res.RefreshSeconds = time.Since(began).Seconds()
	res.Queries, err = timeDashboards(ctx, st, timed.ID, res.Requests)
	if err != nil {
		return res, err
	}
	// Both at the same instant: a due time passing between them would
	// change the answer.
	year, at := res.Queries[0].Query, time.Now()
	began = time.Now()
	want, err := metrics.Ask(ctx, st, timed.ID, year, at)
	if err != nil {
		return res, err
	}
	res.FromFactsMS = ms(time.Since(began))
	got, err := rollup.Ask(ctx, st, timed.ID, year, at)
	if err != nil {
		return res, err
	}
	res.Same = reflect.DeepEqual(got, want)
	return res, nil
}

// timeDashboards times the dashboards of a workspace: a year by week and
// channel (the console's), by topic, by month; the last 30 days.
func timeDashboards(ctx context.Context, st *store.Store, workspaceID int64, requests int) ([]QueryResult, error) {
	today := time.Now().In(parisOf()).AddDate(0, 0, 1).Format(time.DateOnly)
	yearAgo := time.Now().In(parisOf()).AddDate(-1, 0, 1).Format(time.DateOnly)
	list := []QueryResult{
		{Name: "a year by week and channel (the console's)", Query: metrics.Query{From: yearAgo, To: today, By: "channel"}},
		{Name: "a year by week, no slices (the API's)", Query: metrics.Query{From: yearAgo, To: today}},
		{Name: "a year by week and topic", Query: metrics.Query{From: yearAgo, To: today, By: "topic"}},
		{Name: "a year by month and assignee", Query: metrics.Query{From: yearAgo, To: today, Every: metrics.Month, By: "assignee"}},
		{Name: "the last 30 days by day and channel", Query: metrics.Query{By: "channel"}},
	}
	for i := range list {
		var times []time.Duration
		for r := range requests + 1 {
			began := time.Now()
			a, err := rollup.Ask(ctx, st, workspaceID, list[i].Query, time.Now())
			if err != nil {
				return nil, fmt.Errorf("bench: %s: %w", list[i].Name, err)
			}
			if r > 0 {
				times = append(times, time.Since(began))
			}
			list[i].In = a.Total.In
		}
		list[i].Time = summarize(times)
	}
	// What the console's Reports page shows beside the figures: what the
	// community said over the year, against the year before.
	said := QueryResult{Name: "the year's insights (beside them in the console)", Query: list[0].Query, Insights: true}
	var times []time.Duration
	for r := range requests + 1 {
		began := time.Now()
		a, err := insights.Ask(ctx, st, workspaceID, said.Query, time.Now())
		if err != nil {
			return nil, fmt.Errorf("bench: %s: %w", said.Name, err)
		}
		if r > 0 {
			times = append(times, time.Since(began))
		}
		said.In = a.Read
	}
	said.Time = summarize(times)
	return append(list, said), nil
}

// parisOf is the time zone of the generated workspaces.
func parisOf() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return time.UTC
	}
	return loc
}

// benchConversation is one generated conversation.
type benchConversation struct {
	channel, assignee int
	msgs              []benchMessage
	status            string
	closed, due       int64 // micros, 0 for none
	expert            bool
}

// benchMessage is one generated message.
type benchMessage struct {
	at                        int64
	staff                     bool
	member                    int
	intent, sentiment, topics string
}

// loadWorkspace stores a workspace of n messages from start to now, as
// the store's own writes would leave them, with plain multi-row INSERTs
// (the triggers on, as in production): four channels, eight CMs, an SLA
// calendar in Paris, members who come back, questions answered or not,
// follow-ups, members answering each other, resolutions, due times,
// experts. It counts what it stored, and what of it is after yearAgo.
func loadWorkspace(ctx context.Context, st *store.Store, dsn, slug string, n int, start, yearAgo, now time.Time, rng *rand.Rand) (model.Workspace, Counts, Counts, error) {
	var all, year Counts
	ws, err := st.EnsureWorkspace(ctx, model.Workspace{Slug: slug, Name: slug, Language: "fr"})
	if err != nil {
		return ws, all, year, err
	}
	err = st.SetSLASettings(ctx, ws.ID, sla.Settings{Calendar: sla.Calendar{TimeZone: "Europe/Paris", Hours: model.WeeklyHours{
		"mon": {"09:00-18:00"}, "tue": {"09:00-18:00"}, "wed": {"09:00-18:00"}, "thu": {"09:00-18:00"}, "fri": {"09:00-18:00"}}}}, "bench")
	if err != nil {
		return ws, all, year, err
	}
	channels := []string{"blog", "forum", "facebook", "email"}
	var channelIDs []int64
	for _, name := range channels {
		ch, err := st.EnsureChannel(ctx, ws.ID, name, name)
		if err != nil {
			return ws, all, year, err
		}
		channelIDs = append(channelIDs, ch.ID)
	}
	var cms []int64
	for i := range 8 {
		u, err := st.CreateUser(ctx, model.User{Login: fmt.Sprintf("%s-cm%d", slug, i+1), Name: fmt.Sprintf("CM %d", i+1)}, "x", "bench")
		if err != nil {
			return ws, all, year, err
		}
		if err := st.SetMembership(ctx, u.ID, ws.ID, model.RoleCM, "bench"); err != nil {
			return ws, all, year, err
		}
		cms = append(cms, u.ID)
	}
	// The conversations, in time order, and each member's first and last
	// message.
	members := max(n/8, 10)
	span := now.Sub(start)
	pick := func(list ...string) string { return list[rng.IntN(len(list))] }
	topics := []string{`["prix"]`, `["livraison"]`, `["qualité"]`, `["garantie"]`, `["taille"]`, `["retour"]`, `["prix","livraison"]`, ``, ``}
	var convs []benchConversation
	seen := make([][2]int64, members)
	for count := 0; count < n; {
		at := start.Add(time.Duration(float64(span) * float64(count) / float64(n))).Add(time.Duration(rng.IntN(600)) * time.Second)
		u := rng.Float64()
		who := int(float64(members) * u * u) // a few members write much
		c := benchConversation{channel: rng.IntN(len(channels)), assignee: -1, status: model.ConvOpen}
		if rng.IntN(10) > 0 {
			c.assignee = rng.IntN(len(cms))
		}
		t := at.UnixMicro()
		c.msgs = append(c.msgs, benchMessage{at: t, member: who, intent: pick("question", "question", "complaint", "praise", ""),
			sentiment: pick("neg", "neu", "neu", "pos", ""), topics: topics[rng.IntN(len(topics))]})
		if rng.IntN(100) < 85 {
			t += int64(10+rng.IntN(30*60)) * 60e6
			c.msgs = append(c.msgs, benchMessage{at: t, staff: true, member: -1})
			if rng.IntN(100) < 45 {
				t += int64(1+rng.IntN(24*60)) * 60e6
				c.msgs = append(c.msgs, benchMessage{at: t, member: who, intent: pick("praise", "question", ""),
					sentiment: pick("pos", "pos", "neu", "neg")})
			}
		}
		if rng.IntN(100) < 20 {
			u := rng.Float64()
			t += int64(1+rng.IntN(3*24*60)) * 60e6
			c.msgs = append(c.msgs, benchMessage{at: t, member: int(float64(members) * u * u), sentiment: pick("pos", "neu")})
		}
		if t > now.UnixMicro() {
			continue
		}
		if rng.IntN(3) > 0 {
			c.due = at.Add(4 * time.Hour).UnixMicro()
		}
		switch old := t < now.Add(-15*24*time.Hour).UnixMicro(); {
		case len(c.msgs) > 1 && t < now.Add(-48*time.Hour).UnixMicro() && rng.IntN(100) < 92:
			c.status = pick(model.ConvResolved, model.ConvResolved, model.ConvResolved, model.ConvIgnored)
			c.closed = t + int64(1+rng.IntN(3*24*60))*60e6
		case len(c.msgs) == 1 && old && rng.IntN(100) < 90:
			// Left unanswered, then set aside within two weeks; a tenth
			// stays open for good, as comments nobody closes do.
			c.status, c.closed = model.ConvIgnored, t+int64(1+rng.IntN(14*24*60))*60e6
		}
		if c.closed > now.UnixMicro() {
			// Not closed yet: a closing is never dated after now.
			c.status, c.closed = model.ConvOpen, 0
		}
		c.expert = rng.IntN(20) == 0
		for _, m := range c.msgs {
			if m.member < 0 {
				continue
			}
			if s := &seen[m.member]; s[0] == 0 || m.at < s[0] {
				s[0] = m.at
			}
			if s := &seen[m.member]; m.at > s[1] {
				s[1] = m.at
			}
		}
		count += len(c.msgs)
		convs = append(convs, c)
	}
	db, closeDB, err := openEngine(ctx, dsn)
	if err != nil {
		return ws, all, year, fmt.Errorf("bench: %w", err)
	}
	defer closeDB()
	var id int64 // conversations are numbered here, to insert their messages at once
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM conversations`).Scan(&id); err != nil {
		return ws, all, year, err
	}
	restore, err := triggersOff(ctx, db)
	if err != nil {
		return ws, all, year, err
	}
	w := &rowWriter{db: db, restore: restore}
	if err := w.begin(ctx); err != nil {
		return ws, all, year, err
	}
	for i, s := range seen {
		if s[0] == 0 {
			continue
		}
		name := fmt.Sprintf("m%d", i)
		if err := w.add(ctx, "members", "workspace_id, id, display_name, message_count, first_seen_at, last_seen_at",
			ws.ID, name, name, 1, s[0], s[1]); err != nil {
			return ws, all, year, err
		}
		all.Members++
		if s[1] >= yearAgo.UnixMicro() {
			year.Members++
		}
	}
	for i, c := range convs {
		id++
		first, last := c.msgs[0].at, c.msgs[len(c.msgs)-1].at
		var answered, assignee, due, closed, resolved any
		if len(c.msgs) > 1 && c.msgs[1].staff {
			answered = c.msgs[1].at
		}
		if c.assignee >= 0 {
			assignee = cms[c.assignee]
		}
		if c.due > 0 {
			due = c.due
		}
		if c.closed > 0 {
			closed = c.closed
			if c.status == model.ConvResolved {
				resolved = c.closed
			}
		}
		// Its topics, as the triggers set aside would keep them.
		var topics []string
		for _, m := range c.msgs {
			if !m.staff && m.topics != "" && !slices.Contains(topics, m.topics) {
				topics = append(topics, m.topics)
			}
		}
		slices.Sort(topics)
		root := fmt.Sprintf("%s-%d", slug, i)
		if err := w.add(ctx, "conversations", `id, workspace_id, channel_id, root_external_id, status, message_count, created_at,
			last_activity_at, assignee_id, status_at, resolved_at, response_due_at, opened_at, answered_at, topics`,
			id, ws.ID, channelIDs[c.channel], root, c.status, len(c.msgs), first, last, assignee, closed, resolved, due, first, answered,
			strings.Join(topics, "\n")); err != nil {
			return ws, all, year, err
		}
		for j, m := range c.msgs {
			var member any
			author := "Équipe"
			if m.member >= 0 {
				author = fmt.Sprintf("m%d", m.member)
				member = author
			}
			if err := w.add(ctx, "messages", `workspace_id, channel_id, conversation_id, external_id, kind, status, author_name,
				author_is_staff, member_id, body, created_at, sentiment, intent, topics`,
				ws.ID, channelIDs[c.channel], id, fmt.Sprintf("%s#%d", root, j), model.KindComment, "approved", author,
				m.staff, member, "Un message.", m.at, m.sentiment, m.intent, m.topics); err != nil {
				return ws, all, year, err
			}
			all.Messages++
			if m.at >= yearAgo.UnixMicro() {
				year.Messages++
			}
		}
		if c.expert {
			if err := w.add(ctx, "participants", "conversation_id, user_id, workspace_id, added_by, created_at",
				id, cms[(c.assignee+1+len(cms))%len(cms)], ws.ID, "bench", first); err != nil {
				return ws, all, year, err
			}
		}
		all.Conversations++
		if last >= yearAgo.UnixMicro() {
			year.Conversations++
		}
	}
	return ws, all, year, w.commit(ctx)
}

// rowWriter inserts rows a few hundred at a time, in transactions of
// some tens of thousands, table by table in the order they come.
type rowWriter struct {
	db      *sql.DB
	restore func(context.Context) error // sets the triggers back
	tx      *sql.Tx
	table   string
	columns string
	rows    [][]any
	inTx    int
}

const (
	rowsPerInsert = 200
	rowsPerTx     = 20000
)

func (w *rowWriter) begin(ctx context.Context) error {
	tx, err := w.db.BeginTx(ctx, nil)
	w.tx, w.inTx = tx, 0
	return err
}

// add queues a row of table; a row of another table flushes those
// queued first, so that rows are inserted in the order they come.
func (w *rowWriter) add(ctx context.Context, table, columns string, values ...any) error {
	if table != w.table || len(w.rows) == rowsPerInsert {
		if err := w.flush(ctx); err != nil {
			return err
		}
	}
	w.table, w.columns = table, columns
	w.rows = append(w.rows, values)
	return nil
}

func (w *rowWriter) flush(ctx context.Context) error {
	if len(w.rows) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("INSERT INTO " + w.table + " (" + w.columns + ") VALUES ")
	var args []any
	for i, row := range w.rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(")
		for j, v := range row {
			if j > 0 {
				b.WriteString(", ")
			}
			args = append(args, v)
			fmt.Fprintf(&b, "$%d", len(args))
		}
		b.WriteString(")")
	}
	if _, err := w.tx.ExecContext(ctx, b.String(), args...); err != nil {
		return fmt.Errorf("bench: insert into %s: %w", w.table, err)
	}
	w.inTx += len(w.rows)
	w.rows = w.rows[:0]
	if w.inTx >= rowsPerTx {
		if err := w.tx.Commit(); err != nil {
			return fmt.Errorf("bench: commit: %w", err)
		}
		return w.begin(ctx)
	}
	return nil
}

func (w *rowWriter) commit(ctx context.Context) error {
	if err := w.flush(ctx); err != nil {
		return err
	}
	if err := w.tx.Commit(); err != nil {
		return err
	}
	return w.restore(ctx)
}

// triggersOff sets aside the triggers that mark what changed for the
// rollups while rows are stored in bulk, as a restore would: the run
// counts every rollup again afterwards, which does not read those marks.
// It returns what sets them back. On PostgreSQL the triggers are
// disabled on the tables; SQLite has no such switch, so they are dropped
// and created again from their own text.
func triggersOff(ctx context.Context, db *sql.DB) (func(context.Context) error, error) {
	tables := []string{"conversations", "messages", "members", "participants"}
	var sqliteTriggers []string
	var err error
	if _, pgErr := db.ExecContext(ctx, `SELECT pg_backend_pid()`); pgErr == nil {
		for _, t := range tables {
			if _, err = db.ExecContext(ctx, `ALTER TABLE `+t+` DISABLE TRIGGER USER`); err != nil {
				return nil, fmt.Errorf("bench: %w", err)
			}
		}
		return func(ctx context.Context) error {
			for _, t := range tables {
				if _, err := db.ExecContext(ctx, `ALTER TABLE `+t+` ENABLE TRIGGER USER`); err != nil {
					return fmt.Errorf("bench: %w", err)
				}
			}
			return nil
		}, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN
		('conversations', 'messages', 'members', 'participants')`)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	var names []string
	for rows.Next() {
		var name, text string
		if err := rows.Scan(&name, &text); err != nil {
			rows.Close()
			return nil, fmt.Errorf("bench: %w", err)
		}
		names, sqliteTriggers = append(names, name), append(sqliteTriggers, text)
	}
	rows.Close()
	for _, name := range names {
		if _, err := db.ExecContext(ctx, `DROP TRIGGER `+name); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
	}
	return func(ctx context.Context) error {
		for _, text := range sqliteTriggers {
			if _, err := db.ExecContext(ctx, text); err != nil {
				return fmt.Errorf("bench: %w", err)
			}
		}
		return nil
	}, nil
}
