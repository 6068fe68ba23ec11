package cli

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"palabre/internal/config"
	"palabre/internal/i18n"
	"palabre/internal/report"
)

func runReport(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	rest, err := parse("report", args, env, &cfg, config.DB, config.Workspace, config.Month, config.Lang, config.ReportFormat, config.Out)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("report takes no arguments (use --out FILE), got %q", rest)
	}
	if cfg.Workspace == "" {
		return usagef("--workspace is required")
	}
	format := strings.ToLower(cfg.ReportFormat)
	if format == "auto" || format == "" {
		format = strings.TrimPrefix(strings.ToLower(filepath.Ext(cfg.Out)), ".")
		if !slices.Contains(report.Formats(), format) {
			format = "pdf"
		}
	}
	if !slices.Contains(report.Formats(), format) {
		return usagef("--format: a report is written as %s, not %q", strings.Join(report.Formats(), ", "), cfg.ReportFormat)
	}
	if cfg.Month != "" {
		if _, _, err := report.Month(cfg.Month); err != nil {
			return usagef("--month: %v", err)
		}
	}
	var lang i18n.Lang
	if cfg.Lang != "" {
		l, ok := i18n.Parse(cfg.Lang)
		if !ok {
			return usagef("--lang: %q is not en or fr", cfg.Lang)
		}
		lang = l
	}
	if format == "pdf" && (cfg.Out == "" || cfg.Out == "-") && isTerminal(env.Stdout) {
		return usagef("a PDF is not written to a terminal: give --out FILE")
	}

	st, ws, err := openWorkspace(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now()
	month := cfg.Month
	if month == "" {
		if month, err = report.DefaultMonth(ctx, st, ws.ID, now); err != nil {
			return err
		}
	}
	if lang == "" {
		lang = report.Language(ws)
	}
	d, err := report.Build(ctx, st, ws, month, lang, now)
	if err != nil {
		return err
	}
	write := func(w io.Writer) error { return report.Write(w, d, format, now) }
	if cfg.Out == "" || cfg.Out == "-" {
		return write(env.Stdout)
	}
	if err := writeFile(cfg.Out, 0o600, write); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "wrote the %s report of %s for %s to %s\n", format, ws.Slug, month, cfg.Out)
	return nil
}
