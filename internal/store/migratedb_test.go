package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// sqliteSource is a SQLite store with a workspace, a channel, a
// conversation and its message, and a raw connection to its file.
func sqliteSource(t *testing.T) (string, *sql.DB) {
	t.Helper()
	ctx := context.Background()
	path := testutil.NewDSN(t, store.EngineSQLite)
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "lumiere", Name: "Maison Lumière"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.EnsureChannel(ctx, ws.ID, "blog", "wordpress"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateUser(ctx, model.User{Login: "anne", Name: "Anne", IsAdmin: true}, "hash", "test"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	for _, stmt := range []string{
		`INSERT INTO conversations (id, workspace_id, channel_id, root_external_id, created_at, last_activity_at, sla_stale)
			VALUES (7, 1, 1, 'p1', 1, 2, 0)`,
		`INSERT INTO members (workspace_id, id, display_name, is_staff, first_seen_at, last_seen_at) VALUES (1, 'm1', 'Zoé « l''Ardéchoise »', 1, 1, 2)`,
		// Values at the edges of what each engine keeps: NULLs, booleans
		// both ways, floats exactly, text with quotes and backslashes.
		`INSERT INTO messages (id, workspace_id, channel_id, conversation_id, external_id, kind, status, author_is_staff, member_id,
			body, created_at, sentiment_score, needs_response, spam, lang_confidence)
			VALUES (41, 1, 1, 7, 'p1', 'post', 'published', 1, 'm1', 'Il a dit : « c''est \ l''été » — 100 % ✓', 3, 0.1, 0, NULL, NULL)`,
		`INSERT INTO messages (id, workspace_id, channel_id, conversation_id, external_id, kind, status, author_is_staff,
			body, created_at, sentiment_score, needs_response, spam)
			VALUES (42, 1, 1, 7, 'c1', 'comment', 'published', 0, 'Réponse', 4, -4.9e-324, 1, 1)`,
		`INSERT INTO metric_rollups (workspace_id, slice, grain, day, zone, built_at, data, members)
			VALUES (1, '', 'day', 20000, 'UTC', 1, x'00ff0001', x'')`,
	} {
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	return path, raw
}

// pgTableCount is the number of tables in the schema of a PostgreSQL DSN.
func pgTableCount(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func openPG(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestMigrateDBValues moves values at the edges — NULLs, booleans kept as
// 0 and 1, floats, quotes, bytes — and reads them back the same on
// PostgreSQL; the message imported later gets the next id.
func TestMigrateDBValues(t *testing.T) {
	ctx := context.Background()
	src, _ := sqliteSource(t)
	dst := testutil.NewDSN(t, store.EnginePostgres)
	moved, err := store.MigrateDB(ctx, "sqlite:"+src, dst)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int64{}
	for _, m := range moved {
		rows[m.Table] = m.Rows
		if len(m.Checksum) != 64 {
			t.Errorf("table %s: checksum %q", m.Table, m.Checksum)
		}
	}
	if rows["messages"] != 2 || rows["members"] != 1 || rows["users"] != 1 || rows["metric_rollups"] != 1 {
		t.Errorf("moved rows: %v", rows)
	}
	for _, skipped := range []string{"schema_migrations", "message_search", "member_search", "member_search_keys", "search_backfill", "sqlite_sequence"} {
		if _, ok := rows[skipped]; ok {
			t.Errorf("%s was copied", skipped)
		}
	}
	pg := openPG(t, dst)
	var body string
	var staff, needs bool
	var spam, lang sql.NullBool
	var score float64
	var conf sql.NullFloat64
	err = pg.QueryRow(`SELECT body, author_is_staff, needs_response, spam, sentiment_score, lang_confidence IS NOT NULL
		FROM messages WHERE id = 41`).Scan(&body, &staff, &needs, &spam, &score, &lang)
	if err != nil {
		t.Fatal(err)
	}
	if body != `Il a dit : « c'est \ l'été » — 100 % ✓` || !staff || needs || spam.Valid || score != 0.1 || lang.Bool {
		t.Errorf("message 41 on PostgreSQL: %q staff=%v needs=%v spam=%v score=%v lang_confidence set=%v", body, staff, needs, spam, score, lang.Bool)
	}
	if err := pg.QueryRow(`SELECT author_is_staff, needs_response, spam, sentiment_score, lang_confidence FROM messages WHERE id = 42`).
		Scan(&staff, &needs, &spam, &score, &conf); err != nil {
		t.Fatal(err)
	}
	if staff || !needs || !spam.Bool || score != -math.SmallestNonzeroFloat64 || conf.Valid {
		t.Errorf("message 42 on PostgreSQL: staff=%v needs=%v spam=%v score=%v confidence=%v", staff, needs, spam, score, conf)
	}
	var data, members []byte
	if err := pg.QueryRow(`SELECT data, members FROM metric_rollups`).Scan(&data, &members); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, []byte{0, 0xff, 0, 1}) || len(members) != 0 {
		t.Errorf("rollup bytes on PostgreSQL: %x, members %x", data, members)
	}
	var next int64
	if err := pg.QueryRow(`SELECT nextval(pg_get_serial_sequence('messages', 'id'))`).Scan(&next); err != nil || next != 43 {
		t.Errorf("next message id: %d, want 43 (%v)", next, err)
	}
}

// TestMigrateDBRefusals: a missing source, a file that is no palabre
// database, a source at another schema version, a destination that
// cannot be reached or holds data, and a value that does not fit are
// refused, saying why, and leave
// the destination as it was — a failure in the middle of the copy
// included.
func TestMigrateDBRefusals(t *testing.T) {
	ctx := context.Background()
	t.Run("missing source", func(t *testing.T) {
		dst := testutil.NewDSN(t, store.EnginePostgres)
		missing := filepath.Join(t.TempDir(), "nothing.db")
		_, err := store.MigrateDB(ctx, missing, dst)
		wantErr(t, err, missing, "no such file")
		if n := pgTableCount(t, openPG(t, dst)); n != 0 {
			t.Errorf("the destination got %d tables", n)
		}
	})
	t.Run("not a database", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "notes.db")
		if err := os.WriteFile(path, []byte(strings.Repeat("not a database\n", 400)), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := store.MigrateDB(ctx, path, testutil.NewDSN(t, store.EnginePostgres))
		wantErr(t, err, path, "not a palabre SQLite database")
	})
	t.Run("engines the wrong way round", func(t *testing.T) {
		src, _ := sqliteSource(t)
		_, err := store.MigrateDB(ctx, src, filepath.Join(t.TempDir(), "other.db"))
		wantErr(t, err, "must be a postgres:// URL")
		_, err = store.MigrateDB(ctx, "postgres://somebody@127.0.0.1/db", src)
		wantErr(t, err, "must be a SQLite database")
	})
	t.Run("unreachable destination", func(t *testing.T) {
		src, _ := sqliteSource(t)
		_, err := store.MigrateDB(ctx, src, "postgres://palabre:secret@127.0.0.1:1/palabre?sslmode=disable")
		wantErr(t, err, "destination postgres://palabre:xxxxx@127.0.0.1:1/palabre", "connect")
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("the error shows the password: %v", err)
		}
	})
	for _, c := range []struct {
		name, change, want string
	}{
		{"older source", `DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)`, "is older than this palabre's"},
		{"newer source", `INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)`, "is newer than this palabre's"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src, raw := sqliteSource(t)
			if _, err := raw.Exec(c.change); err != nil {
				t.Fatal(err)
			}
			dst := testutil.NewDSN(t, store.EnginePostgres)
			_, err := store.MigrateDB(ctx, src, dst)
			wantErr(t, err, src, c.want, "palabre")
			if n := pgTableCount(t, openPG(t, dst)); n != 0 {
				t.Errorf("the destination got %d tables", n)
			}
		})
	}
	t.Run("destination holds data", func(t *testing.T) {
		src, _ := sqliteSource(t)
		dsn := testutil.NewDSN(t, store.EnginePostgres)
		dst, err := store.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer dst.Close()
		if _, err := dst.CreateWorkspace(ctx, model.Workspace{Slug: "already", Name: "Already there"}); err != nil {
			t.Fatal(err)
		}
		pg := openPG(t, dsn)
		_, err = store.MigrateDB(ctx, src, dsn)
		wantErr(t, err, "already holds data", "workspaces")
		var slugs string
		if err := pg.QueryRow(`SELECT string_agg(slug, ',') FROM workspaces`).Scan(&slugs); err != nil || slugs != "already" {
			t.Errorf("workspaces after the refusal: %q %v", slugs, err)
		}
	})
	t.Run("a value that does not fit", func(t *testing.T) {
		src, raw := sqliteSource(t)
		// SQLite keeps text in an INTEGER column; PostgreSQL will not.
		if _, err := raw.Exec(`INSERT INTO webhooks (id, workspace_id, url, secret, created_by, created_at) VALUES (1, 1, 'https://x.example', 's', 't', 1)`); err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(`INSERT INTO webhook_deliveries (webhook_id, event_id, attempts, next_attempt_at, created_at) VALUES (1, 1, 'many', 1, 1)`); err != nil {
			t.Fatal(err)
		}
		dst := testutil.NewDSN(t, store.EnginePostgres)
		_, err := store.MigrateDB(ctx, src, dst)
		wantErr(t, err, "webhook_deliveries", "attempts", "does not fit")
		pg := openPG(t, dst)
		for _, table := range []string{"workspaces", "users", "messages", "webhooks"} {
			var n int
			if err := pg.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil || n != 0 {
				t.Errorf("after the failed copy, %s holds %d rows (%v)", table, n, err)
			}
		}
		// The destination is still empty: once the value is fixed, the
		// move goes through.
		if _, err := raw.Exec(`UPDATE webhook_deliveries SET attempts = 2`); err != nil {
			t.Fatal(err)
		}
		if _, err := store.MigrateDB(ctx, src, dst); err != nil {
			t.Errorf("migrate after fixing the value: %v", err)
		}
	})
}

func wantErr(t *testing.T, err error, says ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one saying %q", says)
	}
	for _, s := range says {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
}
