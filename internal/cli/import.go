package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"palabre/internal/analysis"
	"palabre/internal/config"
	"palabre/internal/connector"
	"palabre/internal/fetch"
	"palabre/internal/ingest"
	"palabre/internal/model"
	"palabre/internal/routing"
	"palabre/internal/store"
)

// maxShownRejects is how many bad records are listed one by one.
const maxShownRejects = 20

// maxFetchBytes bounds what a URL import downloads.
const maxFetchBytes = 512 << 20

func runImport(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	rest, err := parse("import", args, env, &cfg,
		config.DB, config.Workspace, config.Channel, config.Format, config.JSON, config.Strict,
		config.AllowPrivate, config.BatchSize, config.Timeout, config.Analyze, config.Model, config.Route)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("import takes one FILE, URL or - (standard input), got %d arguments", len(rest))
	}
	if cfg.Workspace == "" {
		return usagef("--workspace is required")
	}
	if err := store.ValidateSlug(cfg.Workspace); err != nil {
		return usagef("--workspace: %v", err)
	}
	if cfg.Channel != "" {
		if err := store.ValidateSlug(cfg.Channel); err != nil {
			return usagef("--channel: %v", err)
		}
	}
	if cfg.BatchSize <= 0 {
		return usagef("--batch-size must be positive")
	}
	format, err := connector.ParseFormat(cfg.Format)
	if err != nil {
		return usagef("--format: %v", err)
	}

	in, err := openInput(ctx, rest[0], cfg, env)
	if err != nil {
		return err
	}
	defer in.Remove()
	rep := &rejects{name: in.Name, w: env.Stderr}
	plan, err := ingest.NewPlan(ctx, in, ingest.PlanOptions{Format: format, Channel: cfg.Channel,
		Workspace: cfg.Workspace, Strict: cfg.Strict, Bad: rep.add})
	if err != nil {
		rep.flush()
		if cfg.Strict && errors.Is(err, ingest.ErrNothingImported) {
			return fmt.Errorf("%w (--strict)", err)
		}
		return err
	}

	var bar *progressbar.ProgressBar
	if isTerminal(env.Stderr) {
		bar = newBar(env.Stderr, in.Size, "importing")
		plan.Progress = bar
	}
	st, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	ws, err := st.EnsureWorkspace(ctx, model.Workspace{Slug: cfg.Workspace, Name: cfg.Workspace})
	if err != nil {
		return err
	}
	var enrichFn func(*model.Message)
	if cfg.Analyze {
		m, err := loadModel(cfg)
		if err != nil {
			return err
		}
		a, err := analysis.ForWorkspace(ctx, st, m, ws.ID)
		if err != nil {
			return err
		}
		enrichFn = analysis.NewEnricher(a).Enrich
	}
	sum, err := plan.Run(ctx, st, ws, actor(env), ingest.Options{
		BatchSize: cfg.BatchSize, Bad: rep.add, Enrich: enrichFn,
		Progress: func(read int) {
			if bar != nil {
				bar.Describe(fmt.Sprintf("importing: %d records", read))
			}
		},
	})
	if bar != nil {
		bar.Finish()
	}
	rep.flush()
	if err != nil {
		return err
	}
	if cfg.Route {
		// The summary's format is fixed; how many were assigned is in the
		// audit log, and palabre route tells it.
		if _, err := routing.RouteWorkspace(ctx, st, ws.ID, time.Now()); err != nil {
			return fmt.Errorf("%s: imported, but routing failed (run palabre route to retry): %w", in.Name, err)
		}
	}
	if cfg.JSON {
		if err := json.NewEncoder(env.Stdout).Encode(sum); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(env.Stdout, "%s: read %d, inserted %d, duplicates %d, rejected %d; %d new conversations, %d new members in %s/%s\n",
			in.Name, sum.Read, sum.Inserted, sum.Duplicates, sum.Rejected, sum.Conversations, sum.Members, ws.Slug, plan.Channel)
	}
	if sum.Rejected > 0 {
		return exitError{ExitRejected, fmt.Errorf("%d of %d records were rejected; the others were imported", sum.Rejected, sum.Read)}
	}
	return nil
}

// actor names who ran a command, for the audit log.
func actor(env Env) string {
	if u := env.Getenv("USER"); u != "" {
		return "cli:" + u
	}
	return "cli"
}

// openInput finds the file an import reads. Standard input and URLs are
// first copied to a temporary file: the import may read its input twice,
// and an interrupted import can be re-run on the same bytes.
func openInput(ctx context.Context, arg string, cfg config.Config, env Env) (ingest.File, error) {
	switch {
	case arg == "-":
		return ingest.Spool(ctx, "standard input", env.Stdin)
	case strings.HasPrefix(arg, "http://") || strings.HasPrefix(arg, "https://"):
		c := fetch.Client{AllowPrivate: cfg.AllowPrivate, Timeout: cfg.Timeout, MaxBytes: maxFetchBytes, UserAgent: "palabre/" + versionString()}
		body, err := c.Get(ctx, arg)
		if err != nil {
			return ingest.File{}, err
		}
		defer body.Close()
		in, err := ingest.Spool(ctx, arg, body)
		if err != nil {
			return ingest.File{}, fmt.Errorf("%s: %w", arg, err)
		}
		return in, nil
	}
	st, err := os.Stat(arg)
	if err != nil {
		return ingest.File{}, fmt.Errorf("%s: %w", arg, errors.Unwrap(err))
	}
	if st.IsDir() {
		return ingest.File{}, fmt.Errorf("%s: is a directory, not a file", arg)
	}
	return ingest.File{Name: arg, Path: arg, Size: st.Size()}, nil
}

// rejects reports bad records on stderr: the first few one per line as
// "FILE line N: reason", then how many more there were.
type rejects struct {
	name   string
	w      io.Writer
	count  int
	hidden int
}

func (r *rejects) add(pos connector.Position, err error) {
	r.count++
	if r.count > maxShownRejects {
		r.hidden++
		return
	}
	fmt.Fprintf(r.w, "%s %s: %v\n", r.name, pos, err)
}

func (r *rejects) flush() {
	if r.hidden > 0 {
		fmt.Fprintf(r.w, "%s: … and %d more rejected records\n", r.name, r.hidden)
		r.hidden = 0
	}
}

func newBar(w io.Writer, size int64, desc string) *progressbar.ProgressBar {
	return progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionShowCount(),
		progressbar.OptionClearOnFinish(),
	)
}
