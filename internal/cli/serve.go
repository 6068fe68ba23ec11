package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"time"

	"palabre/internal/analysis"
	"palabre/internal/config"
	"palabre/internal/connector/email"
	"palabre/internal/enrich"
	"palabre/internal/server"
	"palabre/internal/store"
	"palabre/internal/team"
)

func runServe(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	rest, err := parse("serve", args, env, &cfg, config.DB, config.Addr, config.MaxSectors, config.WebhooksAllowPrivate, config.SourcesAllowHosts, config.Mail)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("serve takes no arguments, got %q", rest)
	}
	if err := checkMaxSectors(cfg); err != nil {
		return err
	}
	mailer, err := newMailer(cfg)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	var extra []string
	n, err := st.CountUsers(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		extra = append(extra, "no user yet: create the first administrator with 'palabre user add LOGIN --admin'")
	}
	if mailer == nil {
		extra = append(extra, "no SMTP server (--smtp-addr): monthly reports are not e-mailed")
	}
	tc := team.Config{DSN: cfg.DB, WebhooksAllowPrivate: cfg.WebhooksAllowPrivate, SourcesAllowHosts: cfg.SourcesAllowHosts}
	if mailer != nil {
		tc.Mailer = mailer
	}
	return serveStore(ctx, st, tc,
		server.Config{Addr: cfg.Addr, MaxSectors: cfg.MaxSectors}, false, env, extra)
}

// serveStore serves st, opened from tc.dsn, as sc says until ctx ends, with
// the server's own work (live events, routing, SLA, …) running beside.
// When fallback is set and sc.Addr is taken, it listens on a free port
// instead. Extra lines are printed under the URL.
func serveStore(ctx context.Context, st *store.Store, tc team.Config, sc server.Config, fallback bool, env Env, extra []string) error {
	logger := env.logger()
	m, err := enrich.Default()
	if err != nil {
		return err
	}
	an := analysis.NewRegistry(st, m)
	tc.Analysis = an
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tm := team.New(st, tc, logger)
	sc.Live, sc.Sources, sc.Mail = tm.Live(), tm.Sources(), tc.Mailer != nil
	// The team's routing job is kicked by each new message.
	sc.BackgroundRouting = true
	stopped, indexed := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tm.Run(ctx)
	}()
	go func() {
		defer close(indexed)
		backfillSearch(ctx, st, logger)
	}()
	defer func() {
		cancel()
		<-stopped
		<-indexed
	}()
	srv := server.New(sc, st, an, logger)
	ln, err := srv.Listen()
	if err != nil && fallback {
		host, _, _ := net.SplitHostPort(sc.Addr)
		sc.Addr = net.JoinHostPort(host, "0")
		srv = server.New(sc, st, an, logger)
		ln, err = srv.Listen()
	}
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String() + "/"
	fmt.Fprintf(env.Stdout, "palabre is serving at %s (%s database; Ctrl+C stops it)\n", url, st.Engine())
	for _, line := range extra {
		fmt.Fprintln(env.Stdout, line)
	}
	if env.Ready != nil {
		env.Ready(url)
	}
	return srv.Serve(ctx, ln)
}

// backfillSearch indexes for search what was stored before the index
// existed or changed, while the server already answers: a large database
// takes minutes, and searches meanwhile find what is indexed so far.
func backfillSearch(ctx context.Context, st *store.Store, logger *slog.Logger) {
	pending, err := st.SearchIndexPending(ctx)
	if err != nil || !pending {
		if err != nil && ctx.Err() == nil {
			logger.ErrorContext(ctx, "search index", slog.Any("error", err))
		}
		return
	}
	logger.InfoContext(ctx, "search index: indexing stored messages and members in the background")
	start := time.Now()
	if err := st.BackfillSearch(ctx); err != nil {
		if ctx.Err() == nil {
			logger.ErrorContext(ctx, "search index", slog.Any("error", err))
		}
		return
	}
	logger.InfoContext(ctx, "search index: done", slog.Duration("took", time.Since(start).Round(time.Millisecond)))
}

// newMailer is the mailer of cfg's SMTP settings, nil when there is no
// server. The server is the administrator's: private and loopback
// addresses are allowed (a relay beside palabre).
func newMailer(cfg config.Config) (*email.Mailer, error) {
	if cfg.SMTPAddr == "" {
		if cfg.MailFrom != "" || cfg.SMTPUser != "" {
			return nil, usagef("--mail-from and --smtp-user need --smtp-addr")
		}
		return nil, nil
	}
	from, err := mail.ParseAddress(cfg.MailFrom)
	if err != nil {
		return nil, usagef("--mail-from %q: %v", cfg.MailFrom, err)
	}
	m, err := email.NewMailer(email.MailerConfig{Addr: cfg.SMTPAddr, User: cfg.SMTPUser, Password: cfg.SMTPPassword,
		TLS: email.TLSMode(cfg.SMTPTLS), From: *from, AllowPrivate: true})
	if err != nil {
		return nil, usagef("%v", err)
	}
	return m, nil
}
