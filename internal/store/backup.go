package store

// Backup and restore of the embedded SQLite database (PostgreSQL is
// backed up with its own tools: the README, "Backup and restore").

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"palabre/internal/store/sqlite"
)

// ErrPostgresBackup: palabre backs up and restores SQLite databases
// only; PostgreSQL has pg_dump and pg_restore.
var ErrPostgresBackup = errors.New("a PostgreSQL database is backed up with pg_dump --format=custom and restored with " +
	"pg_restore (README, \"Backup and restore\")")

// Backup writes a copy of the database to path, a file that must not
// exist yet: one consistent state of it, while writes go on (SQLite's
// VACUUM INTO reads a single snapshot, and the copy is compact).
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.engine != EngineSQLite {
		return fmt.Errorf("backup: %w", ErrPostgresBackup)
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("backup: %s exists: name a new file", path)
	}
	if _, err := s.r.ExecContext(ctx, `VACUUM INTO $1`, path); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}

// Restore puts the backup at from (Backup) in place of the SQLite
// database at dsn, which must not exist: the one it replaces is moved
// aside by hand, palabre stopped. The backup is checked first — a SQLite
// database whose pages are whole, with palabre's schema, not newer than
// this palabre — then copied, and brought to this palabre's schema.
func Restore(ctx context.Context, from, dsn string) error {
	if IsPostgresDSN(dsn) {
		return fmt.Errorf("restore: %w", ErrPostgresBackup)
	}
	to := sqlite.Path(dsn)
	if _, err := os.Lstat(to); err == nil {
		return fmt.Errorf("restore: %s exists: move it aside first (with palabre stopped)", to)
	}
	if err := checkBackup(ctx, from); err != nil {
		return fmt.Errorf("restore from %s: %w", from, err)
	}
	tmp := to + ".restoring"
	if err := copyFile(from, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("restore from %s: %w", from, err)
	}
	if err := os.Rename(tmp, to); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("restore to %s: %w", to, err)
	}
	st, err := Open(ctx, to)
	if err != nil {
		return fmt.Errorf("restore to %s: %w", to, err)
	}
	return st.Close()
}

// checkBackup opens a backup read-only and checks that it is a whole
// SQLite database with palabre's schema, not newer than this palabre's.
func checkBackup(ctx context.Context, path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return errors.New("not a file")
	}
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(path)+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	var check string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil {
		return fmt.Errorf("not a SQLite database: %w", err)
	}
	if check != "ok" {
		return fmt.Errorf("damaged: %s", check)
	}
	var version int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return fmt.Errorf("not a palabre database: %w", err)
	}
	latest, err := latestMigration(sqlite.Migrations)
	if err != nil {
		return err
	}
	if version > latest {
		return fmt.Errorf("made by a newer palabre (schema %d, this one knows up to %d)", version, latest)
	}
	return nil
}

// copyFile copies from to a new file to, synced to disk.
func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
