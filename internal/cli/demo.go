package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
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
	"palabre/internal/report"
	"palabre/internal/routing"
	"palabre/internal/server"
	"palabre/internal/store"
	"palabre/internal/team"
)

func runDemo(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("palabre demo", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (a free port is used when this one is taken and --addr is not given)")
	db := fs.String("db", "", "database to seed (default: a throw-away SQLite file, removed on exit; PALABRE_DB is deliberately not read)")
	reports := fs.String("reports", "", "write each demo brand's client report of last month (PDF, HTML, CSV) into this folder, then exit instead of serving")
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
	password, err := demoAccounts(ctx, st)
	if err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	if err := seedTeamWork(ctx, st); err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	if *reports != "" {
		return writeSampleReports(ctx, st, now, *reports, env)
	}
	var logins []string
	for _, m := range demo.Team() {
		logins = append(logins, m.Login)
	}
	return serveStore(ctx, st, team.Config{DSN: dsn}, server.Config{Addr: *addr}, !addrGiven, env, []string{
		fmt.Sprintf("demo agency: %d messages in %s", total, strings.Join(slugs, ", ")),
		fmt.Sprintf("login: %s · password: %s", demoLogin, password),
		fmt.Sprintf("the team, same password: %s", strings.Join(logins, ", ")),
	})
}

// demoLogin is the demo's administrator.
const demoLogin = "demo"

// demoAccounts gives the demo's administrator and its team one new
// password, creating the accounts on first use — with the team's roles
// and profiles — and returns the password.
func demoAccounts(ctx context.Context, st *store.Store) (string, error) {
	password, err := newPassword()
	if err != nil {
		return "", err
	}
	hash, err := auth.HashPassword(password, auth.DefaultParams())
	if err != nil {
		return "", err
	}
	account := func(login, name string, admin bool) (model.User, bool, error) {
		u, err := st.UserByLogin(ctx, login)
		if errors.Is(err, store.ErrNotFound) {
			u, err = st.CreateUser(ctx, model.User{Login: login, Name: name, IsAdmin: admin}, hash, "demo")
			return u, true, err
		}
		if err != nil {
			return model.User{}, false, err
		}
		return u, false, st.SetPasswordHash(ctx, u.ID, hash, "demo")
	}
	if _, _, err := account(demoLogin, "Demo administrator", true); err != nil {
		return "", err
	}
	for _, m := range demo.Team() {
		u, created, err := account(m.Login, m.Name, false)
		if err != nil || !created {
			if err != nil {
				return "", err
			}
			continue // seeded before; its people may have changed since
		}
		for slug, role := range m.Roles {
			ws, err := st.WorkspaceBySlug(ctx, slug)
			if err != nil {
				return "", err
			}
			if err := st.SetMembership(ctx, u.ID, ws.ID, role, "demo"); err != nil {
				return "", err
			}
		}
		p := model.DefaultProfile(u.ID)
		p.Languages, p.TimeZone, p.Capacity = m.Languages, "Europe/Paris", m.Capacity
		p.Specialisations = append(p.Specialisations, m.Specialisations...)
		if err := st.SetProfile(ctx, p, "demo"); err != nil {
			return "", fmt.Errorf("profile of %s: %w", m.Login, err)
		}
	}
	return password, nil
}

// seedTeamWork gives each demo brand its SLA and canned replies, the first
// time, and routes its conversations to the team.
func seedTeamWork(ctx context.Context, st *store.Store) error {
	for _, b := range demo.Brands() {
		ws, err := st.WorkspaceBySlug(ctx, b.Workspace.Slug)
		if err != nil {
			return err
		}
		if _, ok, err := st.SLASettings(ctx, ws.ID); err != nil {
			return err
		} else if !ok {
			if err := st.SetSLASettings(ctx, ws.ID, demo.SLA(ws.Slug), "demo"); err != nil {
				return fmt.Errorf("%s: SLA: %w", ws.Slug, err)
			}
		}
		have, err := st.CannedReplies(ctx, ws.ID, "")
		if err != nil {
			return err
		}
		for _, c := range demo.CannedReplies(ws.Slug) {
			if len(have) > 0 {
				break
			}
			if _, err := st.SaveCannedReply(ctx, ws.ID, c, "demo"); err != nil {
				return fmt.Errorf("%s: canned reply %q: %w", ws.Slug, c.Name, err)
			}
		}
		if _, err := routing.RouteWorkspace(ctx, st, ws.ID, time.Now()); err != nil {
			return fmt.Errorf("%s: routing: %w", ws.Slug, err)
		}
		if err := seedListening(ctx, st, ws, b); err != nil {
			return fmt.Errorf("%s: %w", ws.Slug, err)
		}
	}
	return nil
}

// seedListening turns on, the first time, a brand's listening alerts
// (its name watched) and its monthly report to the client.
func seedListening(ctx context.Context, st *store.Store, ws model.Workspace, b demo.Brand) error {
	set, err := st.AlertSettings(ctx, ws.ID)
	if err != nil {
		return err
	}
	if set.UpdatedAt.IsZero() {
		set.Enabled, set.Keywords = true, []string{b.Workspace.Name}
		if _, err := st.SetAlertSettings(ctx, ws.ID, set, "demo", time.Now()); err != nil {
			return fmt.Errorf("alerts: %w", err)
		}
	}
	sc, err := st.ReportSchedule(ctx, ws.ID)
	if err != nil {
		return err
	}
	if sc.UpdatedAt.IsZero() {
		sc = model.ReportSchedule{Enabled: true, Recipients: []string{"client@" + ws.Slug + ".example"}}
		if _, err := st.SetReportSchedule(ctx, ws.ID, sc, time.Now().Format("2006-01"), "demo", time.Now()); err != nil {
			return fmt.Errorf("monthly report: %w", err)
		}
	}
	return nil
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

// writeSampleReports writes the client report of last month of each demo
// brand, in its language and in every format, into dir.
func writeSampleReports(ctx context.Context, st *store.Store, now time.Time, dir string, env Env) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--reports: %w", err)
	}
	for _, b := range demo.Brands() {
		ws, err := st.WorkspaceBySlug(ctx, b.Workspace.Slug)
		if err != nil {
			return err
		}
		month, err := report.DefaultMonth(ctx, st, ws.ID, now)
		if err != nil {
			return err
		}
		d, err := report.Build(ctx, st, ws, month, report.Language(ws), now)
		if err != nil {
			return err
		}
		for _, format := range report.Formats() {
			path := filepath.Join(dir, report.FileName(d, format))
			if err := writeFile(path, 0o600, func(w io.Writer) error { return report.Write(w, d, format, now) }); err != nil {
				return err
			}
			fmt.Fprintln(env.Stdout, path)
		}
	}
	return nil
}
