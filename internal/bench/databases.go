package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"palabre/internal/store"
	"palabre/internal/store/postgres"
)

// databases are the fresh databases of a run: one for palabre's imports,
// one for an import without analysis, one for the raw ceiling.
type databases struct {
	engine                string
	dsn, plainDSN, rawDSN string
	drop                  func(ctx context.Context) error // removes them
}

// name shows a DSN without its password.
func (d databases) name(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && store.IsPostgresDSN(dsn) {
		return u.Redacted()
	}
	return dsn
}

// newDatabases makes the run's databases: SQLite files in dir (replacing
// those of an earlier run), or new databases on the PostgreSQL server at
// serverURL.
func newDatabases(ctx context.Context, db, dir string) (databases, error) {
	if db == EngineSQLite {
		d := databases{
			engine:   store.EngineSQLite,
			dsn:      filepath.Join(dir, "palabre.db"),
			plainDSN: filepath.Join(dir, "plain.db"),
			rawDSN:   filepath.Join(dir, "raw.db"),
		}
		d.drop = func(context.Context) error {
			var errs []error
			for _, path := range []string{d.dsn, d.plainDSN, d.rawDSN} {
				for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
					if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
						errs = append(errs, err)
					}
				}
			}
			return errors.Join(errs...)
		}
		if err := d.drop(ctx); err != nil {
			return d, fmt.Errorf("bench: remove an earlier run's databases: %w", err)
		}
		return d, nil
	}
	return newPostgresDatabases(ctx, db)
}

// newPostgresDatabases creates three databases named
// palabre_bench_<random>, …_plain and …_raw on the server.
func newPostgresDatabases(ctx context.Context, serverURL string) (databases, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return databases{}, fmt.Errorf("bench: server URL: %w", err)
	}
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return databases{}, fmt.Errorf("bench: %w", err)
	}
	name := "palabre_bench_" + hex.EncodeToString(b[:])
	names := []string{name, name + "_plain", name + "_raw"}
	withDB := func(db string) string {
		v := *u
		v.Path = "/" + db
		v.RawPath = ""
		return v.String()
	}
	d := databases{engine: store.EnginePostgres, dsn: withDB(names[0]), plainDSN: withDB(names[1]), rawDSN: withDB(names[2])}
	admin, err := postgres.Open(ctx, serverURL)
	if err != nil {
		return d, fmt.Errorf("bench: %w", err)
	}
	defer admin.Close()
	created := 0
	d.drop = func(ctx context.Context) error {
		admin, err := postgres.Open(ctx, serverURL)
		if err != nil {
			return fmt.Errorf("bench: drop databases %s: %w", strings.Join(names[:created], ", "), err)
		}
		defer admin.Close()
		var errs []error
		for _, n := range names[:created] {
			// The names are made here of [a-z0-9_]: safe to splice.
			if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+n+` WITH (FORCE)`); err != nil {
				errs = append(errs, fmt.Errorf("bench: drop database %s: %w", n, err))
			}
		}
		return errors.Join(errs...)
	}
	for _, n := range names {
		if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+n); err != nil {
			derr := d.drop(context.WithoutCancel(ctx))
			return d, errors.Join(fmt.Errorf("bench: create database %s: %w", n, err), derr)
		}
		created++
	}
	return d, nil
}

// dbInfo is what inspect learns of a database after an import.
type dbInfo struct {
	version  string
	settings map[string]string
	rows     Counts
	size     int64 // bytes
}

// inspect counts the rows an import filled, and reads the engine's version,
// the settings that matter to write speed, and the database's size.
func inspect(ctx context.Context, dsn string) (dbInfo, error) {
	db, closeDB, err := openEngine(ctx, dsn)
	if err != nil {
		return dbInfo{}, fmt.Errorf("bench: %w", err)
	}
	defer closeDB()
	info := dbInfo{settings: make(map[string]string)}
	for _, c := range []struct {
		table string
		n     *int
	}{
		{"messages", &info.rows.Messages},
		{"conversations", &info.rows.Conversations},
		{"members", &info.rows.Members},
		{"identities", &info.rows.Identities},
	} {
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+c.table).Scan(c.n); err != nil {
			return info, fmt.Errorf("bench: count %s: %w", c.table, err)
		}
	}
	if store.IsPostgresDSN(dsn) {
		err = inspectPostgres(ctx, db, &info)
	} else {
		err = inspectSQLite(ctx, db, &info)
	}
	if err != nil {
		return info, fmt.Errorf("bench: %w", err)
	}
	return info, nil
}

func inspectPostgres(ctx context.Context, db *sql.DB, info *dbInfo) error {
	if err := db.QueryRowContext(ctx, `SHOW server_version`).Scan(&info.version); err != nil {
		return err
	}
	info.version = "PostgreSQL " + info.version
	if err := db.QueryRowContext(ctx, `SELECT pg_database_size(current_database())`).Scan(&info.size); err != nil {
		return err
	}
	rows, err := db.QueryContext(ctx, `SELECT name, setting, COALESCE(unit, '') FROM pg_settings
		WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_level',
		               'shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'wal_sync_method')`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var name, setting, unit string
		if err := rows.Scan(&name, &setting, &unit); err != nil {
			return err
		}
		info.settings[name] = setting + unitSuffix(unit)
	}
	return rows.Err()
}

// unitSuffix writes pg_settings units after the value: "16384" "8kB"
// becomes "16384×8kB", "1024" "MB" becomes "1024MB".
func unitSuffix(unit string) string {
	switch {
	case unit == "":
		return ""
	case unit[0] >= '0' && unit[0] <= '9':
		return "×" + unit
	}
	return unit
}

func inspectSQLite(ctx context.Context, db *sql.DB, info *dbInfo) error {
	if err := db.QueryRowContext(ctx, `SELECT sqlite_version()`).Scan(&info.version); err != nil {
		return err
	}
	info.version = "SQLite " + info.version
	var pages, pageSize int64
	if err := db.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		return err
	}
	if err := db.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize); err != nil {
		return err
	}
	info.size = pages * pageSize
	// The pragmas the store sets on every connection.
	for _, p := range []string{"journal_mode", "synchronous", "foreign_keys", "cache_size", "temp_store"} {
		var v string
		if err := db.QueryRowContext(ctx, `PRAGMA `+p).Scan(&v); err != nil {
			return err
		}
		info.settings[p] = v
	}
	return nil
}
