package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/schollz/progressbar/v3"

	"palabre/internal/analysis"
	"palabre/internal/config"
	"palabre/internal/store"
)

func runReanalyze(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	rest, err := parse("reanalyze", args, env, &cfg, config.DB, config.Workspace, config.Model, config.JSON, config.BatchSize)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("reanalyze takes no arguments, got %q", rest)
	}
	if cfg.Workspace == "" {
		return usagef("--workspace is required")
	}
	m, err := loadModel(cfg)
	if err != nil {
		return err
	}
	st, ws, err := openWorkspace(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	a, err := analysis.ForWorkspace(ctx, st, m, ws.ID)
	if err != nil {
		return err
	}
	var bar *progressbar.ProgressBar
	opt := analysis.ReanalyzeOptions{BatchSize: cfg.BatchSize, Actor: actor(env)}
	if isTerminal(env.Stderr) {
		opt.Progress = func(done, total int64) {
			if bar == nil {
				bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(env.Stderr),
					progressbar.OptionSetDescription("reanalysing"), progressbar.OptionShowCount(),
					progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
			}
			bar.Set64(done)
		}
	}
	sum, err := analysis.Reanalyze(ctx, st, a, ws.ID, opt)
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return fmt.Errorf("%w (run the same command again to resume)", err)
	}
	if cfg.JSON {
		return json.NewEncoder(env.Stdout).Encode(sum)
	}
	resumed := ""
	if sum.Resumed {
		resumed = " (resumed)"
	}
	fmt.Fprintf(env.Stdout, "reanalysed %d of %d messages of %s with analysis %s%s\n", sum.Messages, sum.Total, ws.Slug, sum.Version, resumed)
	return nil
}

func runCorrect(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	rest, err := parse("correct", args, env, &cfg, config.DB, config.Workspace, config.JSON)
	if err != nil {
		return err
	}
	if cfg.Workspace == "" {
		return usagef("--workspace is required")
	}
	if len(rest) != 3 {
		return usagef("correct takes MESSAGE_ID FIELD VALUE (field: sentiment, intent, spam or needs_response)")
	}
	id, err := strconv.ParseInt(rest[0], 10, 64)
	if err != nil || id <= 0 {
		return usagef("message id %q is not a positive number", rest[0])
	}
	st, ws, err := openWorkspace(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	c, err := analysis.Correct(ctx, st, ws.ID, id, rest[1], rest[2], actor(env))
	if errors.Is(err, store.ErrInvalid) {
		return exitError{ExitUsage, err} // FIELD or VALUE is wrong; the message says which
	}
	if err != nil {
		return err
	}
	if cfg.JSON {
		return json.NewEncoder(env.Stdout).Encode(c)
	}
	fmt.Fprintf(env.Stdout, "message %d: %s %q → %q; %s learns it from now on\n", id, c.Field, c.OldValue, c.NewValue, ws.Slug)
	return nil
}
