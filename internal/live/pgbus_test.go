package live

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// postgresDSN returns the throw-away database of ./scripts/test, skipping
// the test without one unless PALABRE_REQUIRE_POSTGRES=1.
func postgresDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("PALABRE_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("PALABRE_REQUIRE_POSTGRES") == "1" {
			t.Fatal("PALABRE_REQUIRE_POSTGRES=1 but PALABRE_TEST_POSTGRES is not set")
		}
		t.Skip("PostgreSQL not available: set PALABRE_TEST_POSTGRES to a postgres:// URL (./scripts/test does)")
	}
	return dsn
}

func TestPGBusTwoNodes(t *testing.T) {
	dsn := postgresDSN(t)
	a, b := NewPGBus(dsn, nil), NewPGBus(dsn, nil)
	defer a.Close()
	defer b.Close()
	gotA, gotB := listen(t, a), listen(t, b)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Publish(ctx, []byte(`{"kind":"test","from":"a"}`)); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(ctx, []byte(`{"kind":"test","from":"b"}`)); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*collector{"a": gotA, "b": gotB} {
		for _, from := range []string{"a", "b"} { // own messages included
			c.waitFor(t, fmt.Sprintf("message from %s on %s", from, name), 10*time.Second, func(p string) bool {
				return strings.Contains(p, `"from":"`+from+`"`)
			})
		}
	}
	testPayloadLimits(t, a)
}

func TestPGBusReconnects(t *testing.T) {
	dsn := postgresDSN(t)
	const app = "palabre_live_reconnect_test"
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	bus := NewPGBus(dsn+sep+"application_name="+app, nil)
	defer bus.Close()
	got := listen(t, bus)

	// Kill the listener's connection from another session.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var killed int
	err = admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND query ILIKE 'LISTEN%'`, app).Scan(&killed)
	if err != nil || killed == 0 {
		t.Fatalf("terminate listener: %d killed, %v", killed, err)
	}

	// The listener comes back (another wake) and receives again; publish
	// until it does, since messages sent while it is away are lost.
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; ; i++ {
		if err := bus.Publish(ctx, []byte(fmt.Sprintf(`{"kind":"test","after_kill":%d}`, i))); err != nil {
			t.Fatal(err)
		}
		got.mu.Lock()
		back := false
		for _, p := range got.got {
			back = back || strings.Contains(p, `"after_kill"`)
		}
		wakes := 0
		for _, p := range got.got {
			if isWake(p) {
				wakes++
			}
		}
		received := len(got.got)
		got.mu.Unlock()
		if back && wakes >= 2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("listener did not come back: %d messages, %d wakes", received, wakes)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
