package bench

// The inbox part of `palabre bench team`: how fast a CM's inbox lists in a
// large workspace, through the store and through the HTTP API.

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"palabre/internal/api"
	"palabre/internal/connector"
	"palabre/internal/connector/ndjson"
	"palabre/internal/ingest"
	"palabre/internal/model"
	"palabre/internal/store"
)

// InboxOptions size the inbox part.
type InboxOptions struct {
	Messages int // generated and imported
	CMs      int // the conversations are shared out among them
	Listings int // timed listings, through the store and again over HTTP
	WarmUp   int // untimed listings before each series
	Seed     uint64
	Log      io.Writer
}

// InboxResult is what the inbox part measured.
type InboxResult struct {
	Messages      int     `json:"messages"`
	Conversations int     `json:"conversations"`
	ImportSeconds float64 `json:"import_seconds"` // analysis off
	CMs           int     `json:"cms"`
	// Status counts the conversations by status after the share-out.
	Status map[string]int `json:"status"`
	// OpenPerCM is the smallest number of open conversations a CM holds.
	OpenPerCM     int     `json:"open_per_cm"`
	AssignSeconds float64 `json:"assign_seconds"`
	Listed        int     `json:"listed"` // conversations per listing, the smallest seen
	Store         Latency `json:"store"`
	HTTP          Latency `json:"http"`
	// Plan is the engine's plan of the listing's query.
	Plan string `json:"plan"`
}

// inboxStatus gives the inbox statuses by tenths of the conversations:
// 40% open, 20% new, 10% pending, 30% resolved.
func inboxStatus() [10]string {
	return [10]string{
		model.ConvOpen, model.ConvOpen, model.ConvOpen, model.ConvOpen,
		model.ConvNew, model.ConvNew, model.ConvPending,
		model.ConvResolved, model.ConvResolved, model.ConvResolved,
	}
}

// InboxBench imports generated messages into an empty database, shares the
// conversations out among CMs with a mix of statuses, then times listings
// of a CM's open inbox (the 50 with the newest activity), cycling over the
// CMs, first through the store, then through GET
// /api/v1/workspaces/{slug}/conversations on a real listener.
func InboxBench(ctx context.Context, dsn string, o InboxOptions) (InboxResult, error) {
	res := InboxResult{Messages: o.Messages, CMs: o.CMs}
	if o.Messages < 1 || o.CMs < 1 || o.Listings < 1 {
		return res, fmt.Errorf("bench: inbox: need messages, CMs and listings, got %+v", o)
	}
	logf := logger(o.Log)
	st, ws, err := openWorkspace(ctx, dsn)
	if err != nil {
		return res, err
	}
	defer st.Close()

	logf("inbox: importing %d generated messages (analysis off)", o.Messages)
	t0 := time.Now()
	sum, err := importGenerated(ctx, st, ws, o.Messages, o.Seed)
	if err != nil {
		return res, err
	}
	res.ImportSeconds = time.Since(t0).Seconds()
	if sum.Inserted != o.Messages {
		return res, fmt.Errorf("bench: inbox: the import stored %d of %d messages: %+v", sum.Inserted, o.Messages, sum)
	}
	res.Conversations = sum.Conversations

	cms, err := teamUsers(ctx, st, ws, "cm", o.CMs, model.RoleCM)
	if err != nil {
		return res, err
	}
	logf("inbox: sharing %d conversations out among %d CMs", res.Conversations, o.CMs)
	t0 = time.Now()
	if err := shareOut(ctx, dsn, ws.ID, cms); err != nil {
		return res, err
	}
	res.AssignSeconds = time.Since(t0).Seconds()
	if res.Status, res.OpenPerCM, err = inboxCounts(ctx, dsn, ws.ID, cms); err != nil {
		return res, err
	}
	if res.Plan, err = inboxPlan(ctx, dsn, ws.ID, cms[0].Login); err != nil {
		return res, err
	}

	logf("inbox: %d listings through the store", o.Listings)
	res.Listed = -1
	listStore := func(login string) (int, error) {
		page, err := st.Conversations(ctx, ws.ID, store.ConversationFilter{Assignee: login, Status: model.ConvOpen, Limit: 50})
		return len(page.Conversations), err
	}
	if res.Store, err = timeListings(o, cms, &res.Listed, listStore); err != nil {
		return res, err
	}

	logf("inbox: %d listings over HTTP", o.Listings)
	manager, err := teamUsers(ctx, st, ws, "manager", 1, model.RoleManager)
	if err != nil {
		return res, err
	}
	token, err := apiToken(ctx, st, manager[0])
	if err != nil {
		return res, err
	}
	base, stop, err := serveAPI(api.Config{}, st)
	if err != nil {
		return res, err
	}
	defer stop()
	client := &http.Client{Timeout: time.Minute}
	listHTTP := func(login string) (int, error) {
		return listOverHTTP(ctx, client, base, token, login)
	}
	if res.HTTP, err = timeListings(o, cms, &res.Listed, listHTTP); err != nil {
		return res, err
	}
	return res, nil
}

// logger returns a printf to w, or one that does nothing.
func logger(w io.Writer) func(format string, args ...any) {
	return func(format string, args ...any) {
		if w != nil {
			fmt.Fprintf(w, "bench: "+format+"\n", args...)
		}
	}
}

// importGenerated imports n generated messages into the workspace, without
// analysis, streaming them from the generator: no file is written.
func importGenerated(ctx context.Context, st *store.Store, ws model.Workspace, n int, seed uint64) (ingest.Summary, error) {
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriterSize(pw, 1<<20)
		_, err := Generate(bw, n, seed)
		if err == nil {
			err = bw.Flush()
		}
		pw.CloseWithError(err)
	}()
	defer pr.Close()
	var bad error
	sum, err := ingest.Import(ctx, st, ndjson.NewReader(pr), ingest.Options{
		Workspace: ws, ChannelKind: channelKind,
		Bad: func(pos connector.Position, err error) {
			if bad == nil {
				bad = fmt.Errorf("%v: %w", pos, err)
			}
		},
	})
	if err == nil {
		err = bad
	}
	if err != nil {
		return sum, fmt.Errorf("bench: import: %w", err)
	}
	return sum, nil
}

// shareOut assigns every conversation of the workspace to a CM, round-robin
// by id, and gives it a status by the next digit of its id (inboxStatus),
// in one UPDATE: the fast path, where the API would take one transaction
// and one audit event per conversation. assigned_at and status_at are the
// conversation's last activity.
func shareOut(ctx context.Context, dsn string, workspaceID int64, cms []model.User) error {
	db, closeDB, err := openEngine(ctx, dsn)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer closeDB()
	var who, status strings.Builder
	for i, u := range cms {
		fmt.Fprintf(&who, " WHEN %d THEN %d", i, u.ID)
	}
	for i, s := range inboxStatus() {
		fmt.Fprintf(&status, " WHEN %d THEN '%s'", i, s)
	}
	// Every value spliced in is an integer or a status constant of ours.
	q := fmt.Sprintf(`UPDATE conversations SET
		assignee_id = CASE id %% %d%s END,
		assignment_reason = 'bench',
		assigned_at = last_activity_at,
		status = CASE (id / %d) %% 10%s END,
		status_at = last_activity_at,
		resolved_at = CASE (id / %d) %% 10 WHEN 7 THEN last_activity_at WHEN 8 THEN last_activity_at WHEN 9 THEN last_activity_at END
		WHERE workspace_id = %d`, len(cms), who.String(), len(cms), status.String(), len(cms), workspaceID)
	if _, err := db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("bench: share conversations out: %w", err)
	}
	if store.IsPostgresDSN(dsn) {
		// What autovacuum does within a minute of such an update; SQLite
		// has no such daemon and palabre never runs ANALYZE there.
		if _, err := db.ExecContext(ctx, `ANALYZE conversations`); err != nil {
			return fmt.Errorf("bench: analyze: %w", err)
		}
	}
	return nil
}

// inboxCounts counts the conversations by status, and the open ones of the
// CM who holds the fewest.
func inboxCounts(ctx context.Context, dsn string, workspaceID int64, cms []model.User) (map[string]int, int, error) {
	db, closeDB, err := openEngine(ctx, dsn)
	if err != nil {
		return nil, 0, fmt.Errorf("bench: %w", err)
	}
	defer closeDB()
	counts := map[string]int{}
	rows, err := db.QueryContext(ctx, `SELECT status, COUNT(*) FROM conversations WHERE workspace_id = $1 GROUP BY status`, workspaceID)
	if err != nil {
		return nil, 0, fmt.Errorf("bench: count conversations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, 0, fmt.Errorf("bench: count conversations: %w", err)
		}
		counts[s] = n
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("bench: count conversations: %w", err)
	}
	fewest := -1
	for _, u := range cms {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM conversations WHERE workspace_id = $1 AND assignee_id = $2 AND status = $3`,
			workspaceID, u.ID, model.ConvOpen).Scan(&n); err != nil {
			return nil, 0, fmt.Errorf("bench: count conversations: %w", err)
		}
		if fewest < 0 || n < fewest {
			fewest = n
		}
	}
	return counts, fewest, nil
}

// inboxPlan returns the engine's plan of the query store.Conversations
// runs for a CM's open inbox: the same joins, WHERE and ORDER BY, the
// assignee by id from the login. It selects one column of the left-joined
// users, as the store does, so that the engine keeps that join.
func inboxPlan(ctx context.Context, dsn string, workspaceID int64, login string) (string, error) {
	db, closeDB, err := openEngine(ctx, dsn)
	if err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	defer closeDB()
	query := `SELECT c.id, au.login FROM conversations c
		JOIN workspaces w ON w.id = c.workspace_id
		JOIN channels ch ON ch.id = c.channel_id
		LEFT JOIN users au ON au.id = c.assignee_id
		WHERE c.workspace_id = $1 AND c.status = $2
		AND c.assignee_id = (SELECT id FROM users WHERE login = $3)
		ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $4`
	explain := `EXPLAIN ANALYZE `
	if !store.IsPostgresDSN(dsn) {
		explain = `EXPLAIN QUERY PLAN `
		query = strings.NewReplacer("$1", "?", "$2", "?", "$3", "?", "$4", "?").Replace(query)
	}
	rows, err := db.QueryContext(ctx, explain+query, workspaceID, model.ConvOpen, login, 51)
	if err != nil {
		return "", fmt.Errorf("bench: explain: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", fmt.Errorf("bench: explain: %w", err)
	}
	var lines []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", fmt.Errorf("bench: explain: %w", err)
		}
		// PostgreSQL: one column of text; SQLite: id, parent, notused, detail.
		lines = append(lines, vals[len(vals)-1].String)
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("bench: explain: %w", err)
	}
	return strings.Join(lines, "\n"), nil
}

// timeListings runs o.WarmUp untimed then o.Listings timed listings,
// cycling over the CMs, and keeps in *listed the fewest conversations a
// listing returned.
func timeListings(o InboxOptions, cms []model.User, listed *int, list func(login string) (int, error)) (Latency, error) {
	ds := make([]time.Duration, 0, o.Listings)
	for i := range o.WarmUp + o.Listings {
		login := cms[i%len(cms)].Login
		t0 := time.Now()
		n, err := list(login)
		d := time.Since(t0)
		if err != nil {
			return Latency{}, fmt.Errorf("bench: list the inbox of %s: %w", login, err)
		}
		if *listed < 0 || n < *listed {
			*listed = n
		}
		if i >= o.WarmUp {
			ds = append(ds, d)
		}
	}
	return summarize(ds), nil
}

// serveAPI serves the API over st on a new listener on 127.0.0.1 and
// returns its base URL and how to stop it.
func serveAPI(cfg api.Config, st *store.Store) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("bench: %w", err)
	}
	srv := &http.Server{Handler: api.New(cfg, st, nil, nil, slog.New(slog.DiscardHandler)), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			srv.Close()
		}
		<-done
	}
	return "http://" + ln.Addr().String(), stop, nil
}

// listOverHTTP asks the API for a CM's open inbox and returns how many
// conversations it listed.
func listOverHTTP(ctx context.Context, client *http.Client, base, token, login string) (int, error) {
	u := base + "/api/v1/workspaces/" + Workspace + "/conversations?assignee=" + url.QueryEscape(login) + "&status=open&limit=50"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	var page struct {
		Conversations []json.RawMessage `json:"conversations"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return 0, err
	}
	if page.Conversations == nil {
		return 0, errors.New("no conversations field in the answer")
	}
	return len(page.Conversations), nil
}
