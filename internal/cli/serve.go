package cli

import (
	"context"
	"fmt"
	"net"

	"palabre/internal/analysis"
	"palabre/internal/config"
	"palabre/internal/enrich"
	"palabre/internal/server"
	"palabre/internal/store"
	"palabre/internal/team"
)

func runServe(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	rest, err := parse("serve", args, env, &cfg, config.DB, config.Addr, config.MaxSectors, config.WebhooksAllowPrivate)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("serve takes no arguments, got %q", rest)
	}
	if err := checkMaxSectors(cfg); err != nil {
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
	return serveStore(ctx, st, team.Config{DSN: cfg.DB, WebhooksAllowPrivate: cfg.WebhooksAllowPrivate},
		server.Config{Addr: cfg.Addr, MaxSectors: cfg.MaxSectors}, false, env, extra)
}

// serveStore serves st, opened from tc.dsn, as sc says until ctx ends, with
// the server's own work (live events, routing, SLA, …) running beside.
// When fallback is set and sc.Addr is taken, it listens on a free port
// instead. Extra lines are printed under the URL.
func serveStore(ctx context.Context, st *store.Store, tc team.Config, sc server.Config, fallback bool, env Env, extra []string) error {
	logger := env.logger()
	// Messages stored before full-text search existed are indexed once,
	// before the first search needs them.
	if err := st.BackfillSearch(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tm := team.New(st, tc, logger)
	sc.Live = tm.Live()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tm.Run(ctx)
	}()
	defer func() {
		cancel()
		<-stopped
	}()
	m, err := enrich.Default()
	if err != nil {
		return err
	}
	an := analysis.NewRegistry(st, m)
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
