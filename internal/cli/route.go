package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"palabre/internal/config"
	"palabre/internal/routing"
)

func runRoute(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	rest, err := parse("route", args, env, &cfg, config.DB, config.Workspace, config.JSON)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("route takes no arguments, got %q", rest)
	}
	if cfg.Workspace == "" {
		return usagef("--workspace is required")
	}
	st, ws, err := openWorkspace(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	sum, err := routing.RouteWorkspace(ctx, st, ws.ID, time.Now())
	if err != nil {
		return err
	}
	if cfg.JSON {
		return json.NewEncoder(env.Stdout).Encode(sum)
	}
	fmt.Fprintf(env.Stdout, "%s: assigned %d conversations; %d left unassigned (their reason says why)\n",
		ws.Slug, sum.Assigned, sum.Unassigned)
	return nil
}
