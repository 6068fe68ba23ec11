package cli_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"palabre/internal/cli"
)

// TestBackupAndRestore backs a database up again and again while imports
// write to it, restores each backup, and finds in each one consistent
// state: as many messages as some moment of the imports held, every
// conversation's message count that of its messages, no dangling row.
// Restoring over a database, from a file that is not a backup, or from
// one cut short, and backing up over a file, are refused and say why.
func TestBackupAndRestore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "p.db")
	at := time.Now().AddDate(0, 0, -3).UTC()
	batch := func(n int) string {
		var b strings.Builder
		for i := range 200 {
			fmt.Fprintf(&b, `{"external_id":"%d-%d","conversation_external_id":"c%d-%d","author_name":"Anne %d","body":"Bonjour %d ?","created_at":"%s"}`+"\n",
				n, i, n, i%20, i, i, at.Add(time.Duration(i)*time.Minute).Format(time.RFC3339))
		}
		return writeFile(t, fmt.Sprintf("b%d.ndjson", n), b.String())
	}
	if code, _, stderr := run(t, "", "import", "--db", db, "--workspace", "lumiere", batch(0)); code != cli.ExitOK {
		t.Fatalf("import: %s", stderr)
	}
	// Backups, one after the other, while four more batches are imported.
	var wg sync.WaitGroup
	imported := make(chan struct{})
	wg.Go(func() {
		defer close(imported)
		for n := 1; n <= 4; n++ {
			if code, _, stderr := run(t, "", "import", "--db", db, "--workspace", "lumiere", batch(n)); code != cli.ExitOK {
				t.Errorf("import %d: %s", n, stderr)
			}
		}
	})
	var backups []string
	for done := false; !done && len(backups) < 50; {
		select {
		case <-imported:
			done = true
		default:
		}
		backup := filepath.Join(dir, fmt.Sprintf("backup-%d.db", len(backups)))
		code, out, stderr := run(t, "", "backup", "--db", db, backup)
		if code != cli.ExitOK || !strings.Contains(out, backup) {
			t.Fatalf("backup: exit %d: %s%s", code, out, stderr)
		}
		backups = append(backups, backup)
	}
	wg.Wait()
	var counts []int
	for i, backup := range backups {
		restored := filepath.Join(dir, fmt.Sprintf("restored-%d.db", i))
		if code, out, stderr := run(t, "", "restore", "--db", restored, backup); code != cli.ExitOK {
			t.Fatalf("restore: exit %d: %s%s", code, out, stderr)
		}
		counts = append(counts, consistent(t, restored))
	}
	t.Logf("messages in the %d backups taken during the imports: %v", len(backups), counts)
	if last := counts[len(counts)-1]; last != 1000 {
		t.Errorf("the backup taken after the imports holds %d messages, want 1000", last)
	}

	for _, c := range []struct {
		name, db, from, want string
	}{
		{"over a database", db, backups[0], "exists"},
		{"from a text file", filepath.Join(dir, "a.db"), writeFile(t, "notes.txt", strings.Repeat("not a database\n", 400)), "not a SQLite database"},
		{"from a backup cut short", filepath.Join(dir, "b.db"), cut(t, backups[0]), "restore from"},
		{"from nothing", filepath.Join(dir, "c.db"), filepath.Join(dir, "missing.db"), "no such file"},
	} {
		code, _, stderr := run(t, "", "restore", "--db", c.db, c.from)
		if code == cli.ExitOK || !strings.Contains(stderr, c.want) {
			t.Errorf("restore %s: exit %d, %q; want an error saying %q", c.name, code, stderr, c.want)
		}
		if _, err := os.Stat(c.db); c.db != db && err == nil {
			t.Errorf("restore %s: left %s behind", c.name, c.db)
		}
	}
	if code, _, stderr := run(t, "", "backup", "--db", db, backups[0]); code == cli.ExitOK || !strings.Contains(stderr, "exists") {
		t.Errorf("backup over a file: exit %d, %q", code, stderr)
	}
}

// consistent checks a restored database: one moment of the imports (200
// messages at a time), every conversation's message count that of its
// messages, no dangling row. It returns its messages.
func consistent(t *testing.T, restored string) int {
	t.Helper()
	ctx := context.Background()
	openStore(t, restored) // opens, at this palabre's schema
	raw, err := sql.Open("sqlite", "file:"+restored+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var messages, wrong, dangling int
	if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages`).Scan(&messages); err != nil {
		t.Fatal(err)
	}
	if messages < 200 || messages > 1000 || messages%200 != 0 {
		t.Errorf("%s: %d messages: not a moment of the imports (200 at a time)", restored, messages)
	}
	if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM conversations c
		WHERE c.message_count <> (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id)`).Scan(&wrong); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_foreign_key_check`).Scan(&dangling); err != nil {
		t.Fatal(err)
	}
	if wrong != 0 || dangling != 0 {
		t.Errorf("%s: %d conversations miscounted, %d rows dangling", restored, wrong, dangling)
	}
	return messages
}

// cut writes the first half of a file to a new one.
func cut(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "cut.db", string(b[:len(b)/2]))
}
