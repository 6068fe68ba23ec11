package store_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"palabre/internal/store"
)

// TestBackupEngines backs a SQLite store up to a new file, which opens as
// a store, and refuses a file that exists; PostgreSQL's is refused with
// its recipe.
func TestBackupEngines(t *testing.T) {
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, _ *sql.DB) {
		ctx := context.Background()
		path := filepath.Join(t.TempDir(), "copy.db")
		err := st.Backup(ctx, path)
		if st.Engine() == store.EnginePostgres {
			if !errors.Is(err, store.ErrPostgresBackup) {
				t.Fatalf("backup of PostgreSQL: %v, want the pg_dump recipe", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Backup(ctx, path); err == nil {
			t.Fatal("a backup written over an existing file")
		}
		copy, err := store.Open(ctx, path)
		if err != nil {
			t.Fatalf("the backup does not open: %v", err)
		}
		copy.Close()
	})
}
