package cli

import (
	"context"
	"fmt"

	"palabre/internal/config"
	"palabre/internal/store"
)

// runBackup runs `palabre backup [--db D] FILE`: a consistent copy of the
// SQLite database, while palabre serve goes on writing.
func runBackup(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	rest, err := parse("backup", args, env, &cfg, config.DB)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("backup takes the file to write, which must not exist: palabre backup [--db D] FILE")
	}
	st, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Backup(ctx, rest[0]); err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "backed up to %s\n", rest[0])
	return err
}

// runRestore runs `palabre restore [--db D] FILE`: the backup FILE,
// checked, in place of a database that does not exist (any other moved
// aside first, palabre stopped).
func runRestore(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	rest, err := parse("restore", args, env, &cfg, config.DB)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("restore takes the backup to restore: palabre restore [--db D] FILE")
	}
	if err := store.Restore(ctx, rest[0], cfg.DB); err != nil {
		return err
	}
	_, err = fmt.Fprintf(env.Stdout, "restored %s to %s\n", rest[0], cfg.DB)
	return err
}
