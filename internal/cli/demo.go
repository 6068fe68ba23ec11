package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"palabre/internal/analysis"
	"palabre/internal/auth"
	"palabre/internal/demo"
	"palabre/internal/enrich"
	"palabre/internal/ingest"
	"palabre/internal/model"
	"palabre/internal/server"
	"palabre/internal/store"
)

func runDemo(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("palabre demo", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (a free port is used when this one is taken and --addr is not given)")
	db := fs.String("db", "", "database to seed (default: a throw-away SQLite file, removed on exit; PALABRE_DB is deliberately not read)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("demo takes no arguments, got %q", fs.Args())
	}
	addrGiven := false
	fs.Visit(func(f *flag.Flag) { addrGiven = addrGiven || f.Name == "addr" })

	dsn := *db
	if dsn == "" {
		dir, err := os.MkdirTemp("", "palabre-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dsn = filepath.Join(dir, "demo.db")
	}
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	// Times are laid out back from the start of today, so the demo looks
	// current and is the same all day long.
	now := time.Now().UTC().Truncate(24 * time.Hour)
	total, slugs, err := seedDemo(ctx, st, now)
	if err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	password, err := demoAdmin(ctx, st)
	if err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	return serveStore(ctx, st, teamConfig{dsn: dsn}, server.Config{Addr: *addr}, !addrGiven, env, []string{
		fmt.Sprintf("demo agency: %d messages in %s", total, strings.Join(slugs, ", ")),
		fmt.Sprintf("login: %s · password: %s", demoLogin, password),
	})
}

// demoLogin is the demo's administrator.
const demoLogin = "demo"

// demoAdmin gives the demo's administrator a new password, creating the
// account on first use, and returns the password.
func demoAdmin(ctx context.Context, st *store.Store) (string, error) {
	password, err := newPassword()
	if err != nil {
		return "", err
	}
	hash, err := auth.HashPassword(password, auth.DefaultParams())
	if err != nil {
		return "", err
	}
	u, err := st.UserByLogin(ctx, demoLogin)
	if errors.Is(err, store.ErrNotFound) {
		_, err = st.CreateUser(ctx, model.User{Login: demoLogin, Name: "Demo administrator", IsAdmin: true}, hash, "demo")
		return password, err
	}
	if err != nil {
		return "", err
	}
	return password, st.SetPasswordHash(ctx, u.ID, hash, "demo")
}

// seedDemo stores the demo brands and their conversations. It is
// idempotent: seeding an already seeded database adds nothing.
func seedDemo(ctx context.Context, st *store.Store, now time.Time) (int, []string, error) {
	total := 0
	var slugs []string
	for _, b := range demo.Brands() {
		ws, err := st.EnsureWorkspace(ctx, b.Workspace)
		if err != nil {
			return 0, nil, err
		}
		for _, ch := range b.Channels {
			if _, err := st.EnsureChannel(ctx, ws.ID, ch.Name, ch.Kind); err != nil {
				return 0, nil, err
			}
		}
		have, err := st.Topics(ctx, ws.ID)
		if err != nil {
			return 0, nil, err
		}
		for _, t := range b.Topics {
			if len(have) > 0 {
				break // seeded before; a CM may have changed them since
			}
			if _, err := st.SetTopic(ctx, ws.ID, t, "demo"); err != nil {
				return 0, nil, err
			}
		}
		m, err := enrich.Default()
		if err != nil {
			return 0, nil, err
		}
		a, err := analysis.ForWorkspace(ctx, st, m, ws.ID)
		if err != nil {
			return 0, nil, err
		}
		msgs := demo.Messages(ws.Slug, now)
		sum, err := ingest.Import(ctx, st, ingest.FromMessages(msgs), ingest.Options{Workspace: ws, Channel: "demo",
			Enrich: analysis.NewEnricher(a).Enrich})
		if err != nil {
			return 0, nil, err
		}
		if sum.Rejected > 0 {
			return 0, nil, fmt.Errorf("%s: %d demo messages rejected", ws.Slug, sum.Rejected)
		}
		total += len(msgs)
		slugs = append(slugs, ws.Slug)
	}
	return total, slugs, nil
}
