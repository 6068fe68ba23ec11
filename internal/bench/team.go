package bench

// `palabre bench team`: the three targets of a team at work — a CM's inbox
// listed fast in a large workspace (inbox.go), routing keeping up with a
// flood of new conversations (routing.go), and live events reaching many
// connected clients quickly while messages arrive (sse.go). Each part runs
// in this process on a fresh database of the chosen engine.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"

	"palabre/internal/auth"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/store/postgres"
)

// TeamOptions configure one `palabre bench team` run. Zero fields take
// the defaults of DefaultTeamOptions; a negative count skips its part.
type TeamOptions struct {
	// DB is EngineSQLite, for fresh files in Dir, or the postgres:// URL
	// of a server on which the run creates, and drops at the end,
	// databases named palabre_bench_*.
	DB  string
	Dir string // SQLite files; empty: a temporary folder, removed
	// Seed of the generated messages.
	Seed uint64
	// Log, when not nil, is told each step as it starts.
	Log io.Writer

	Inbox   InboxOptions
	Routing RoutingOptions
	Live    LiveOptions
}

// DefaultTeamOptions are the sizes of the targets.
func DefaultTeamOptions() TeamOptions {
	return TeamOptions{
		DB:      EngineSQLite,
		Seed:    1,
		Inbox:   InboxOptions{Messages: 1_000_000, CMs: 10, Listings: 2000, WarmUp: 100},
		Routing: RoutingOptions{Conversations: 20_000, CMs: 20},
		Live:    LiveOptions{Clients: 500, ConnsPerUser: 10, Rate: 200, Duration: 30 * time.Second},
	}
}

// TeamResult is what one run measured; its JSON form is what `palabre
// bench team --json` prints. A part that was skipped is nil.
type TeamResult struct {
	Date          string         `json:"date"`
	Machine       Machine        `json:"machine"`
	Engine        string         `json:"engine"`
	EngineVersion string         `json:"engine_version"`
	Inbox         *InboxResult   `json:"inbox,omitempty"`
	Routing       *RoutingResult `json:"routing,omitempty"`
	Live          *LiveResult    `json:"live,omitempty"`
}

// Targets of issue 5.
const (
	InboxTargetP99   = 20 * time.Millisecond
	RoutingTarget    = 2000 // conversations per second
	LiveTargetP99    = 200 * time.Millisecond
	teamActor        = "bench"
	teamPasswordSize = 24
)

// RunTeam runs the team benchmark's parts, each on a fresh database.
func RunTeam(ctx context.Context, opts TeamOptions) (TeamResult, error) {
	if opts.DB != EngineSQLite && !store.IsPostgresDSN(opts.DB) {
		return TeamResult{}, fmt.Errorf("bench: database %q: want %s or a postgres:// server URL", opts.DB, EngineSQLite)
	}
	logf := func(format string, args ...any) {
		if opts.Log != nil {
			fmt.Fprintf(opts.Log, "bench: "+format+"\n", args...)
		}
	}
	dir := opts.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "palabre-bench-team-")
		if err != nil {
			return TeamResult{}, fmt.Errorf("bench: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return TeamResult{}, fmt.Errorf("bench: %w", err)
	}
	res := TeamResult{Date: time.Now().Format(time.DateOnly), Machine: ThisMachine(), Engine: store.EngineSQLite}
	if store.IsPostgresDSN(opts.DB) {
		res.Engine = store.EnginePostgres
	}
	part := func(name string, fn func(dsn string) error) error {
		dsn, drop, err := freshDatabase(ctx, opts.DB, dir, name)
		if err != nil {
			return err
		}
		defer func() {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if err := drop(cctx); err != nil {
				logf("%v", err)
			}
		}()
		if res.EngineVersion == "" {
			if res.EngineVersion, err = engineVersion(ctx, dsn); err != nil {
				return err
			}
		}
		return fn(dsn)
	}
	if opts.Inbox.Messages >= 0 {
		err := part("inbox", func(dsn string) error {
			o := opts.Inbox
			o.Seed, o.Log = opts.Seed, opts.Log
			r, err := InboxBench(ctx, dsn, o)
			res.Inbox = &r
			return err
		})
		if err != nil {
			return res, err
		}
	}
	if opts.Routing.Conversations >= 0 {
		err := part("routing", func(dsn string) error {
			o := opts.Routing
			o.Seed, o.Log = opts.Seed, opts.Log
			r, err := RoutingBench(ctx, dsn, o)
			res.Routing = &r
			return err
		})
		if err != nil {
			return res, err
		}
	}
	if opts.Live.Clients >= 0 {
		err := part("live", func(dsn string) error {
			o := opts.Live
			o.Seed, o.Log = opts.Seed, opts.Log
			r, err := LiveBench(ctx, dsn, o)
			res.Live = &r
			return err
		})
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// freshDatabase makes an empty database for one part: a SQLite file in dir
// (replacing an earlier run's), or a new database on the PostgreSQL server.
func freshDatabase(ctx context.Context, db, dir, name string) (string, func(context.Context) error, error) {
	if db == EngineSQLite {
		path := filepath.Join(dir, "team-"+name+".db")
		drop := func(context.Context) error {
			var errs []error
			for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
				if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
					errs = append(errs, err)
				}
			}
			return errors.Join(errs...)
		}
		if err := drop(ctx); err != nil {
			return "", nil, fmt.Errorf("bench: remove an earlier run's database: %w", err)
		}
		return path, drop, nil
	}
	u, err := url.Parse(db)
	if err != nil {
		return "", nil, fmt.Errorf("bench: server URL: %w", err)
	}
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, fmt.Errorf("bench: %w", err)
	}
	// Made here of [a-z0-9_]: safe to splice into statements.
	dbName := "palabre_bench_" + hex.EncodeToString(b[:]) + "_" + name
	admin, err := postgres.Open(ctx, db)
	if err != nil {
		return "", nil, fmt.Errorf("bench: %w", err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+dbName); err != nil {
		return "", nil, fmt.Errorf("bench: create database %s: %w", dbName, err)
	}
	v := *u
	v.Path, v.RawPath = "/"+dbName, ""
	drop := func(ctx context.Context) error {
		admin, err := postgres.Open(ctx, db)
		if err != nil {
			return fmt.Errorf("bench: drop database %s: %w", dbName, err)
		}
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+dbName+` WITH (FORCE)`); err != nil {
			return fmt.Errorf("bench: drop database %s: %w", dbName, err)
		}
		return nil
	}
	return v.String(), drop, nil
}

// engineVersion names the engine and its version, such as "SQLite 3.54.1".
func engineVersion(ctx context.Context, dsn string) (string, error) {
	db, closeDB, err := openEngine(ctx, dsn)
	if err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	defer closeDB()
	var info dbInfo
	if store.IsPostgresDSN(dsn) {
		err = db.QueryRowContext(ctx, `SHOW server_version`).Scan(&info.version)
		info.version = "PostgreSQL " + info.version
	} else {
		err = db.QueryRowContext(ctx, `SELECT sqlite_version()`).Scan(&info.version)
		info.version = "SQLite " + info.version
	}
	if err != nil {
		return "", fmt.Errorf("bench: engine version: %w", err)
	}
	return info.version, nil
}

// Latency summarises measured durations, in milliseconds.
type Latency struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// summarize sorts ds and reads its percentiles (nearest rank).
func summarize(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	slices.Sort(ds)
	at := func(p float64) float64 {
		i := int(p*float64(len(ds))+0.999999) - 1 // ceil(p·n) - 1
		i = min(max(i, 0), len(ds)-1)
		return ms(ds[i])
	}
	return Latency{N: len(ds), P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: ms(ds[len(ds)-1])}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// teamUsers creates users named prefix01, prefix02… with the given role in
// the workspace, all with one random password nobody is told: the
// benchmark signs in with API tokens.
func teamUsers(ctx context.Context, st *store.Store, ws model.Workspace, prefix string, n int, role string) ([]model.User, error) {
	secret := make([]byte, teamPasswordSize)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	hash, err := auth.HashPassword(hex.EncodeToString(secret), auth.DefaultParams())
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	users := make([]model.User, n)
	for i := range users {
		u, err := st.CreateUser(ctx, model.User{Login: fmt.Sprintf("%s%02d", prefix, i+1)}, hash, teamActor)
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		if err := st.SetMembership(ctx, u.ID, ws.ID, role, teamActor); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		users[i] = u
	}
	return users, nil
}

// apiToken gives a user a read-only API token and returns its secret.
func apiToken(ctx context.Context, st *store.Store, u model.User) (string, error) {
	token, hash, err := auth.NewAPIToken()
	if err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	if _, err := st.CreateAPIToken(ctx, model.APIToken{UserID: u.ID, Name: "bench"}, hash, teamActor); err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	return token, nil
}

// openWorkspace opens the database dsn names and the bench's workspace in
// it, created if need be.
func openWorkspace(ctx context.Context, dsn string) (*store.Store, model.Workspace, error) {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, model.Workspace{}, fmt.Errorf("bench: %w", err)
	}
	ws, err := st.EnsureWorkspace(ctx, model.Workspace{Slug: Workspace, Name: Workspace})
	if err != nil {
		st.Close()
		return nil, model.Workspace{}, fmt.Errorf("bench: %w", err)
	}
	return st, ws, nil
}
