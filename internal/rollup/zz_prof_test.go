package rollup

import (
	"context"
	"os"
	"testing"
	"time"

	"palabre/internal/metrics"
	"palabre/internal/store"
)

func TestZZProf(t *testing.T) {
	dsn := os.Getenv("PROF_DSN")
	if dsn == "" {
		t.Skip()
	}
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ws, err := st.WorkspaceBySlug(ctx, "brand-1")
	if err != nil {
		t.Fatal(err)
	}
	q := metrics.Query{From: time.Now().AddDate(-1, 0, 1).Format(time.DateOnly), To: time.Now().AddDate(0, 0, 1).Format(time.DateOnly), By: os.Getenv("PROF_BY")}
	for range 20 {
		start := time.Now()
		_, c, err := ask(ctx, st, ws.ID, q, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		t.Log(time.Since(start), len(c.live))
	}
}
