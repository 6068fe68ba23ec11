package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"palabre/internal/config"
	csvconn "palabre/internal/connector/csv"
	"palabre/internal/connector/ndjson"
	"palabre/internal/model"
)

// messageWriter is what both export formats offer.
type messageWriter interface {
	Write(m *model.Message) error
	Flush() error
}

func runExport(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	rest, err := parse("export", args, env, &cfg, config.DB, config.Workspace, config.Format, config.Out)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("export takes no arguments (use --out FILE), got %q", rest)
	}
	if cfg.Workspace == "" {
		return usagef("--workspace is required")
	}
	format := cfg.Format
	if format == "auto" || format == "" {
		format = "ndjson"
		if strings.HasSuffix(strings.ToLower(cfg.Out), ".csv") {
			format = "csv"
		}
	}
	if format != "ndjson" && format != "csv" {
		return usagef("--format: export writes ndjson or csv, not %q", format)
	}

	st, ws, err := openWorkspace(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()

	n := 0
	export := func(out io.Writer) error {
		w := newWriter(format, out)
		var bar *progressbar.ProgressBar
		if isTerminal(env.Stderr) {
			stats, err := st.WorkspaceStats(ctx, ws.ID)
			if err != nil {
				return err
			}
			bar = progressbar.NewOptions(stats.Messages, progressbar.OptionSetWriter(env.Stderr),
				progressbar.OptionSetDescription("exporting"), progressbar.OptionShowCount(),
				progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
			defer bar.Finish()
		}
		err := st.ExportMessages(ctx, ws.ID, func(m *model.Message) error {
			n++
			if bar != nil {
				bar.Add(1)
			}
			return w.Write(m)
		})
		if err == nil {
			err = w.Flush()
		}
		if err != nil {
			return fmt.Errorf("export %s: %w", ws.Slug, err)
		}
		return nil
	}
	if cfg.Out == "" || cfg.Out == "-" {
		return export(env.Stdout)
	}
	// Written beside the target and renamed at the end, so an interrupted
	// export never leaves a half-written file under the final name.
	if err := writeFile(cfg.Out, 0o600, export); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "exported %d messages of %s to %s\n", n, ws.Slug, cfg.Out)
	return nil
}

func newWriter(format string, w io.Writer) messageWriter {
	if format == "csv" {
		return csvconn.NewWriter(w)
	}
	return ndjson.NewWriter(w)
}
