// Package cli implements palabre's subcommands, one file each. Main parses
// the command line and maps failures to exit codes; every command gets its
// input, output and environment from Env, never from globals, so tests run
// them in-process.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"palabre/internal/config"
	"palabre/internal/model"
	"palabre/internal/store"
)

// Exit codes.
const (
	ExitOK       = 0
	ExitFailure  = 1 // the command failed; nothing it would have stored changed
	ExitUsage    = 2 // the command line is wrong
	ExitRejected = 3 // import finished, but some records were bad and skipped
)

// Env is what a command may use of the outside world.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// Ready, when set, is told the URL a serving command listens on.
	Ready func(url string)
}

func (e Env) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(e.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// usageError is a command-line mistake: exit code 2 and a hint.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// exitError carries a specific exit code for an error already explained.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, env Env) error
}

func commands() []command {
	return []command{
		{"serve", "serve the web console and the API", runServe},
		{"demo", "seed a demo agency in a throw-away database, then serve it", runDemo},
		{"import", "import messages from a file, a URL or standard input", runImport},
		{"export", "export a workspace's messages as NDJSON or CSV", runExport},
		{"report", "write a workspace's monthly client report as PDF, HTML or CSV", runReport},
		{"rollups", "count a workspace's metrics rollups again from every message (serve keeps them up to date)", runRollups},
		{"backup", "write a consistent copy of the SQLite database, while palabre runs", runBackup},
		{"restore", "put a backup in place of a SQLite database that does not exist yet", runRestore},
		{"privacy", "export or erase what palabre holds on a person; set and apply a workspace's retention", runPrivacy},
		{"migrate-db", "copy a SQLite database into an empty PostgreSQL database, checked table by table", runMigrateDB},
		{"analyze", "analyse JSON lines from standard input (language, sentiment, intent, spam, topics)", runAnalyze},
		{"reanalyze", "analyse a workspace's stored messages again (after a model or vocabulary change)", runReanalyze},
		{"correct", "correct a message's sentiment, intent, spam or needs_response; the workspace learns it", runCorrect},
		{"user", "add users, set their passwords and their roles in workspaces", runUser},
		{"token", "create, list or revoke a user's personal API tokens", runToken},
		{"profile", "show or set a CM's profile: languages, hours, capacity, status, specialisations", runProfile},
		{"train", "train the analysis model on labelled JSONL (see docs/ANALYSIS.md)", runTrain},
		{"eval", "evaluate the analysis model on labelled JSONL", runEval},
		{"route", "assign a workspace's unassigned conversations to its CMs again (after profiles or rules changed)", runRoute},
		{"rules", "show or replace a workspace's routing rules (JSON)", runRules},
		{"sla", "show or replace a workspace's SLA: business hours, targets, escalation (JSON)", runSLA},
		{"topics", "list, set or delete a workspace's topics (its vocabulary)", runTopics},
		{"bench", "measure import throughput (see docs/BENCHMARKS.md)", runBench},
		{"version", "print the version", runVersion},
	}
}

// Main runs the command named by args[0] and returns the process exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(env.Stderr)
		if len(args) == 0 {
			return ExitUsage
		}
		return ExitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], env)
		if err == nil || errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		fmt.Fprintf(env.Stderr, "palabre %s: %v\n", c.name, err)
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(env.Stderr, "run 'palabre %s -h' for help\n", c.name)
			return ExitUsage
		}
		var ee exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		return ExitFailure
	}
	fmt.Fprintf(env.Stderr, "palabre: unknown command %q\n", args[0])
	printUsage(env.Stderr)
	return ExitUsage
}

func printUsage(w io.Writer) {
	var b strings.Builder
	b.WriteString("palabre — community management, self-hosted\n\nUsage: palabre COMMAND [flags]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-10s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun 'palabre COMMAND -h' for a command's flags.\n")
	io.WriteString(w, b.String())
}

// parse binds the given settings, parses args and returns the positional
// arguments left.
func parse(name string, args []string, env Env, cfg *config.Config, settings ...config.Setting) ([]string, error) {
	return parseWith(name, args, env, cfg, nil, settings...)
}

// parseWith is parse for a command with flags of its own, which extra
// binds on the flag set.
func parseWith(name string, args []string, env Env, cfg *config.Config, extra func(*flag.FlagSet), settings ...config.Setting) ([]string, error) {
	fs := flag.NewFlagSet("palabre "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	if err := cfg.Bind(fs, env.Getenv, settings...); err != nil {
		return nil, usageError{err.Error()}
	}
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err.Error()}
	}
	return fs.Args(), nil
}

// isTerminal reports whether w is a terminal, where progress bars belong.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// openWorkspace opens the store and finds the workspace cfg names. The
// caller closes the store.
func openWorkspace(ctx context.Context, cfg config.Config) (*store.Store, model.Workspace, error) {
	st, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return nil, model.Workspace{}, err
	}
	ws, err := st.WorkspaceBySlug(ctx, cfg.Workspace)
	if err != nil {
		st.Close()
		return nil, model.Workspace{}, err
	}
	return st, ws, nil
}

// subcommand is one verb of a command with several ("palabre user add").
type subcommand struct {
	name string
	run  func(ctx context.Context, args []string, env Env) error
}

// runSubcommand runs the subcommand args[0] names, or prints usage for -h.
func runSubcommand(ctx context.Context, command, usage string, subs []subcommand, args []string, env Env) error {
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = s.name
	}
	list := strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	if len(args) == 0 {
		return usagef("%s needs a subcommand: %s", command, list)
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		io.WriteString(env.Stderr, usage)
		return flag.ErrHelp
	}
	for _, s := range subs {
		if s.name == args[0] {
			return s.run(ctx, args[1:], env)
		}
	}
	return usagef("unknown subcommand %q: use %s", args[0], list)
}

// invalidAsUsage turns the store's ErrInvalid — a refusal of what the
// command line gave — into a usage error, and leaves other errors alone.
func invalidAsUsage(err error) error {
	if errors.Is(err, store.ErrInvalid) {
		return usageError{err.Error()}
	}
	return err
}

// writeFile writes path through write, beside it first and renamed at
// the end with the permissions perm, so that a failure never leaves a
// half-written file under its name.
func writeFile(path string, perm os.FileMode, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), perm); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
