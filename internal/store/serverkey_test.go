package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"sync"
	"testing"

	"palabre/internal/store"
)

// TestServerKey: a key is made once, 32 random bytes, and every caller —
// concurrent ones too, as nodes starting together — gets that same key;
// another name gets another key.
func TestServerKey(t *testing.T) {
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		keys := make([][]byte, 8)
		var wg sync.WaitGroup
		for i := range keys {
			wg.Go(func() {
				k, err := st.ServerKey(ctx, "device")
				if err != nil {
					t.Errorf("ServerKey(device): %v", err)
				}
				keys[i] = k
			})
		}
		wg.Wait()
		if len(keys[0]) != 32 || bytes.Equal(keys[0], make([]byte, 32)) {
			t.Fatalf("ServerKey(device) = %x, want 32 random bytes", keys[0])
		}
		for i, k := range keys {
			if !bytes.Equal(k, keys[0]) {
				t.Errorf("call %d got key %x, call 0 got %x: every caller must get the same key", i, k, keys[0])
			}
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM server_keys`).Scan(&n); err != nil || n != 1 {
			t.Errorf("server_keys holds %d rows (err %v), want 1", n, err)
		}
		other, err := st.ServerKey(ctx, "other")
		if err != nil || bytes.Equal(other, keys[0]) {
			t.Errorf("ServerKey(other) = %x, %v: want a key of its own", other, err)
		}
		if _, err := st.ServerKey(ctx, ""); err == nil {
			t.Error("ServerKey(\"\") succeeded, want an error")
		}
	})
}
