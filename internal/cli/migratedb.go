package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"palabre/internal/store"
)

// runMigrateDB runs `palabre migrate-db --from SQLITE --to postgres://…`:
// the whole SQLite installation copied into an empty PostgreSQL
// database, each table's rows counted and digested on both sides.
func runMigrateDB(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("palabre migrate-db", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	from := fs.String("from", "", "the SQLite database to copy: a file path, or sqlite:PATH (read only; stop palabre first)")
	to := fs.String("to", "", "the empty PostgreSQL database to fill: postgres://user@host/db")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: palabre migrate-db --from sqlite:PATH --to postgres://user@host/db\n\n"+
			"Copies every table of a SQLite palabre database into an empty PostgreSQL database, in one\n"+
			"transaction, then checks each table's row count and checksum on both sides and builds the\n"+
			"search index again. Stop palabre first: what it writes after the copy began is not moved.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("migrate-db takes no arguments, got %q", fs.Args())
	}
	if *from == "" || *to == "" {
		return usagef("migrate-db needs both --from (the SQLite database) and --to (a postgres:// URL)")
	}
	start := time.Now()
	moved, err := store.MigrateDB(ctx, *from, *to)
	if err != nil {
		return err
	}
	width := 0
	for _, m := range moved {
		width = max(width, len(m.Table))
	}
	var rows int64
	for _, m := range moved {
		if _, err := fmt.Fprintf(env.Stdout, "%-*s %10d rows  sha256 %s  ok\n", width, m.Table, m.Rows, m.Checksum[:16]); err != nil {
			return err
		}
		rows += m.Rows
	}
	_, err = fmt.Fprintf(env.Stdout, "moved %d tables, %d rows, in %s: row counts and checksums match; search index rebuilt\n",
		len(moved), rows, time.Since(start).Round(time.Millisecond))
	return err
}
