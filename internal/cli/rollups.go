package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"palabre/internal/config"
	"palabre/internal/model"
	"palabre/internal/rollup"
	"palabre/internal/store"
)

// rebuilt is what rebuilding one workspace's rollups did.
type rebuilt struct {
	Workspace string  `json:"workspace"`
	Days      int     `json:"days"`
	Seconds   float64 `json:"seconds"`
}

func runRollups(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	rest, err := parse("rollups", args, env, &cfg, config.DB, config.Workspace, config.JSON)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("rollups takes no arguments, got %q", rest)
	}
	st, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	var list []model.Workspace
	if cfg.Workspace != "" {
		ws, err := st.WorkspaceBySlug(ctx, cfg.Workspace)
		if err != nil {
			return fmt.Errorf("workspace %q: %w", cfg.Workspace, err)
		}
		list = []model.Workspace{ws}
	} else if list, err = st.Workspaces(ctx); err != nil {
		return err
	}
	for _, ws := range list {
		start := time.Now()
		if err := st.ForgetRollups(ctx, ws.ID); err != nil {
			return err
		}
		days, err := rollup.Refresh(ctx, st, ws.ID, time.Now())
		if err != nil {
			return fmt.Errorf("rollups of %s: %w", ws.Slug, err)
		}
		r := rebuilt{Workspace: ws.Slug, Days: days, Seconds: time.Since(start).Seconds()}
		if cfg.JSON {
			if err := json.NewEncoder(env.Stdout).Encode(r); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(env.Stdout, "%s: %d days counted again in %.1f s\n", r.Workspace, r.Days, r.Seconds)
	}
	return nil
}
