package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

// migrate applies, in order and each in its own transaction, every embedded
// migration step newer than the database's version. Steps are files named
// NNNN_description.sql.
func migrate(ctx context.Context, db *sql.DB, migrations fs.FS) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at BIGINT  NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: list steps: %w", err)
	}
	sort.Strings(names)
	var current int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: read version: %w", err)
	}
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		version, err := stepVersion(base)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if version <= current {
			continue
		}
		body, err := fs.ReadFile(migrations, name)
		if err != nil {
			return fmt.Errorf("migrate: read %s: %w", base, err)
		}
		if err := applyStep(ctx, db, version, string(body)); err != nil {
			return fmt.Errorf("migrate: step %s: %w", base, err)
		}
	}
	return nil
}

func applyStep(ctx context.Context, db *sql.DB, version int, body string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return err
	}
	// A concurrent node may have applied the same step: the primary key
	// makes the second commit fail instead of applying it twice.
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
		version, time.Now().UnixMicro()); err != nil {
		return err
	}
	return tx.Commit()
}

// stepVersion is the number a migration step's file name begins with.
func stepVersion(base string) (int, error) {
	num, _, ok := strings.Cut(base, "_")
	version, err := strconv.Atoi(num)
	if !ok || err != nil {
		return 0, fmt.Errorf("step %s: name must start with a number and an underscore", base)
	}
	return version, nil
}

// latestMigration is the number of the last step of migrations.
func latestMigration(migrations fs.FS) (int, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	latest := 0
	for _, name := range names {
		v, err := stepVersion(strings.TrimPrefix(name, "migrations/"))
		if err != nil {
			return 0, fmt.Errorf("migrations: %w", err)
		}
		latest = max(latest, v)
	}
	return latest, nil
}
