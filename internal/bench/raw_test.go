package bench

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"palabre/internal/store"
	"palabre/internal/testutil"
)

func writeInput(t *testing.T, n int) (string, Stats) {
	t.Helper()
	data, st := generate(t, n, 5)
	path := filepath.Join(t.TempDir(), "messages.ndjson")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, st
}

// TestRawCeilingRows checks that the raw ceiling stores the rows palabre
// would: one per message, conversation and author, and their identities.
func TestRawCeilingRows(t *testing.T) {
	t.Parallel()
	path, st := writeInput(t, 2500)
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			dsn := testutil.NewDSN(t, engine)
			ctx := context.Background()
			res, err := RawCeiling(ctx, dsn, path)
			if err != nil {
				t.Fatal(err)
			}
			info, err := inspect(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			if info.rows != res.Rows {
				t.Errorf("the database holds %+v, RawCeiling says %+v", info.rows, res.Rows)
			}
			want := Counts{Messages: st.Messages, Conversations: st.Conversations, Members: st.Authors}
			got := info.rows
			got.Identities = 0
			if got != want {
				t.Errorf("rows %+v, want %+v", got, want)
			}
			if info.rows.Identities < 2*st.Authors {
				t.Errorf("%d identities for %d authors with a name and an e-mail", info.rows.Identities, st.Authors)
			}
			if res.Elapsed <= 0 {
				t.Errorf("elapsed %v", res.Elapsed)
			}
		})
	}
}
