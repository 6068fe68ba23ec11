package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"palabre/internal/config"
	"palabre/internal/model"
	"palabre/internal/privacy"
	"palabre/internal/store"
)

const privacyUsage = `Usage:
  palabre privacy export --workspace SLUG [--format json|csv] [--out FILE] MEMBER
  palabre privacy erase  --workspace SLUG [--mode delete|anonymise] [--json] MEMBER
  palabre privacy policy --workspace SLUG [--erasure delete|anonymise]
                         [--retention-months N] [--retention-action purge|anonymise] [--json]
  palabre privacy retain [--workspace SLUG] [--json]

What palabre holds on people, for a person's requests and the workspace's
policy. MEMBER is a member id (as the API and the console show it) or one
of the person's e-mail addresses.

export   writes everything the workspace holds on the person: JSON, or a zip
         of CSV files (one per table; --out is then required).
erase    forgets the person: their identities, notes, tags and merges, and
         their messages deleted (with the conversations only they wrote in)
         or anonymised, as the workspace's policy says (or --mode); their
         name, addresses and handles are replaced by "[erased]" wherever
         else the workspace's texts hold them. It cannot be undone.
policy   shows the workspace's policy, or sets what the flags give.
retain   applies the retention of one workspace, or of every workspace
         with a retention period (palabre serve does it once a day).
Every export, erasure, policy change and retention run is in the audit log.
`

func runPrivacy(ctx context.Context, args []string, env Env) error {
	return runSubcommand(ctx, "privacy", privacyUsage, []subcommand{
		{"export", privacyExport},
		{"erase", privacyErase},
		{"policy", privacyPolicy},
		{"retain", privacyRetain},
	}, args, env)
}

// privacyActor is who the audit log says acted from the command line.
const privacyActor = "cli"

// privacyMember opens the workspace cfg names and finds MEMBER, an id or
// an e-mail address, in it. The caller closes the store.
func privacyMember(ctx context.Context, cfg config.Config, rest []string, sub string) (*store.Store, model.Workspace, string, error) {
	if cfg.Workspace == "" {
		return nil, model.Workspace{}, "", usagef("--workspace is required")
	}
	if len(rest) != 1 {
		return nil, model.Workspace{}, "", usagef("privacy %s takes one MEMBER (an id or an e-mail address), flags first", sub)
	}
	st, ws, err := openWorkspace(ctx, cfg)
	if err != nil {
		return nil, model.Workspace{}, "", err
	}
	id := rest[0]
	if strings.Contains(id, "@") {
		if id, err = st.MemberByEmail(ctx, ws.ID, id); err != nil {
			st.Close()
			return nil, model.Workspace{}, "", err
		}
	}
	return st, ws, id, nil
}

func privacyExport(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	format := privacy.FormatJSON
	rest, err := parseWith("privacy export", args, env, &cfg, func(fs *flag.FlagSet) {
		fs.StringVar(&format, "format", format, "json, or csv for a zip of CSV files")
	}, config.DB, config.Workspace, config.Out)
	if err != nil {
		return err
	}
	if format != privacy.FormatJSON && format != privacy.FormatCSV {
		return usagef("--format %q: want json or csv", format)
	}
	if format == privacy.FormatCSV && cfg.Out == "" {
		return usagef("--format csv writes a zip archive: give --out FILE")
	}
	st, ws, id, err := privacyMember(ctx, cfg, rest, "export")
	if err != nil {
		return err
	}
	defer st.Close()
	data, err := st.ExportMember(ctx, ws, id, privacyActor, time.Now())
	if err != nil {
		return invalidAsUsage(err)
	}
	if cfg.Out == "" {
		return privacy.Write(env.Stdout, data, format)
	}
	return writeNewFile(cfg.Out, func(w io.Writer) error { return privacy.Write(w, data, format) })
}

// writeNewFile writes a file that must not exist yet, as writeFile does
// (nothing half written is left under its name).
func writeNewFile(path string, write func(io.Writer) error) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s exists already: give a new file", path)
	}
	return writeFile(path, 0o600, write)
}

func privacyErase(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	var mode string
	rest, err := parseWith("privacy erase", args, env, &cfg, func(fs *flag.FlagSet) {
		fs.StringVar(&mode, "mode", "", "delete or anonymise (default: the workspace's policy)")
	}, config.DB, config.Workspace, config.JSON)
	if err != nil {
		return err
	}
	if mode != "" && mode != store.ErasureDelete && mode != store.ErasureAnonymise {
		return usagef("--mode %q: want delete or anonymise", mode)
	}
	st, ws, id, err := privacyMember(ctx, cfg, rest, "erase")
	if err != nil {
		return err
	}
	defer st.Close()
	er, err := st.EraseMember(ctx, ws.ID, id, mode, privacyActor, time.Now())
	if err != nil {
		return invalidAsUsage(err)
	}
	if cfg.JSON {
		return json.NewEncoder(env.Stdout).Encode(er)
	}
	verb := "deleted"
	if er.Mode == store.ErasureAnonymise {
		verb = "anonymised"
	}
	_, err = fmt.Fprintf(env.Stdout, "erased: %d member record(s), %d identities, %d messages %s, %d conversations deleted, %d texts elsewhere scrubbed\n",
		er.Members, er.Identities, er.Messages, verb, er.Conversations, er.Scrubbed)
	return err
}

func privacyPolicy(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	var erasure, action string
	months := -1
	rest, err := parseWith("privacy policy", args, env, &cfg, func(fs *flag.FlagSet) {
		fs.StringVar(&erasure, "erasure", "", "how a person is erased: delete or anonymise")
		fs.IntVar(&months, "retention-months", -1, "how many months messages are kept (0: for ever)")
		fs.StringVar(&action, "retention-action", "", "what happens to older messages: purge or anonymise")
	}, config.DB, config.Workspace, config.JSON)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("privacy policy takes no arguments, got %q", rest)
	}
	if cfg.Workspace == "" {
		return usagef("--workspace is required")
	}
	st, ws, err := openWorkspace(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	set, err := st.PrivacySettings(ctx, ws.ID)
	if err != nil {
		return err
	}
	if erasure != "" || months >= 0 || action != "" {
		if erasure != "" {
			set.Erasure = erasure
		}
		if months >= 0 {
			set.RetentionMonths = months
		}
		if action != "" {
			set.RetentionAction = action
		}
		if set, err = st.SetPrivacySettings(ctx, ws.ID, set, privacyActor, time.Now()); err != nil {
			return invalidAsUsage(err)
		}
	}
	if cfg.JSON {
		return json.NewEncoder(env.Stdout).Encode(set)
	}
	keep := "for ever"
	if set.RetentionMonths > 0 {
		keep = fmt.Sprintf("%d months, then %s", set.RetentionMonths, set.RetentionAction)
	}
	_, err = fmt.Fprintf(env.Stdout, "%s: erasure %s; messages kept %s\n", ws.Slug, set.Erasure, keep)
	return err
}

func privacyRetain(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	rest, err := parse("privacy retain", args, env, &cfg, config.DB, config.Workspace, config.JSON)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("privacy retain takes no arguments, got %q", rest)
	}
	st, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	now := time.Now()
	var ids []int64
	if cfg.Workspace != "" {
		ws, err := st.WorkspaceBySlug(ctx, cfg.Workspace)
		if err != nil {
			return err
		}
		ids = []int64{ws.ID}
	} else if ids, err = st.DueRetentions(ctx, now.Add(time.Minute)); err != nil {
		return err
	}
	type result struct {
		Workspace int64 `json:"workspace_id"`
		store.Retention
	}
	var out []result
	for _, id := range ids {
		ret, err := st.ApplyRetention(ctx, id, privacyActor, now)
		if err != nil {
			return invalidAsUsage(err)
		}
		out = append(out, result{id, ret})
	}
	if cfg.JSON {
		if out == nil {
			out = []result{}
		}
		return json.NewEncoder(env.Stdout).Encode(out)
	}
	if len(out) == 0 {
		_, err = fmt.Fprintln(env.Stdout, "no workspace has a retention period")
		return err
	}
	for _, r := range out {
		if _, err := fmt.Fprintf(env.Stdout, "workspace %d: %d messages written before %s %sd, %d conversations and %d members gone\n",
			r.Workspace, r.Messages, r.Before.Format(time.DateOnly), r.Action, r.Conversations, r.Members); err != nil {
			return err
		}
	}
	return nil
}
