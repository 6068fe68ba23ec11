package cli_test

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"palabre/internal/cli"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// fullDump is the whole database as text: for PostgreSQL what pg_dump
// writes; for SQLite every row of every table, the search index's own
// tables included, blobs as their bytes.
func fullDump(t *testing.T, engine, dsn string) string {
	t.Helper()
	if engine == store.EnginePostgres {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatal(err)
		}
		schema := u.Query().Get("search_path")
		u.RawQuery = ""
		pgDump, err := exec.LookPath("pg_dump")
		if err != nil {
			found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
			if len(found) == 0 {
				t.Fatal("pg_dump not found: install PostgreSQL's client tools (apt-get install -y postgresql)")
			}
			slices.Sort(found)
			pgDump = found[len(found)-1]
		}
		out, err := exec.Command(pgDump, "--no-owner", "--schema="+schema, u.String()).CombinedOutput()
		if err != nil {
			t.Fatalf("pg_dump: %v\n%s", err, out)
		}
		return string(out)
	}
	db, err := sql.Open("sqlite", "file:"+dsn+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tables, err := db.Query(`SELECT name, COALESCE(sql, '') FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var b bytes.Buffer
	for tables.Next() {
		var name, ddl string
		if err := tables.Scan(&name, &ddl); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
		b.WriteString(ddl + "\n")
	}
	tables.Close()
	for _, name := range names {
		rows, err := db.Query(`SELECT * FROM "` + name + `"`)
		if err != nil {
			t.Fatalf("dump %s: %v", name, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if bs, ok := v.([]byte); ok {
					b.Write(bs)
				} else {
					fmt.Fprint(&b, v)
				}
				b.WriteByte('\t')
			}
			b.WriteByte('\n')
		}
		rows.Close()
	}
	return b.String()
}

// TestEraseDemoMemberLeavesNoTrace erases, with palabre privacy erase, the
// demo's most active customer with an e-mail address, and then finds
// neither their name nor any address, handle or signature of theirs in a
// full dump of the database.
func TestEraseDemoMemberLeavesNoTrace(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		for _, mode := range []string{store.ErasureDelete, store.ErasureAnonymise} {
			t.Run(engine+"/"+mode, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				dsn := testutil.NewDSN(t, engine)
				st := openStore(t, dsn)
				db := rawDB(t, engine, dsn)
				if err := cli.SeedDemoForTest(ctx, st, time.Now()); err != nil {
					t.Fatal(err)
				}
				workspaces, err := st.Workspaces(ctx)
				if err != nil || len(workspaces) == 0 {
					t.Fatalf("demo workspaces: %v, %v", workspaces, err)
				}
				ws := workspaces[0]
				var id, email string
				err = db.QueryRowContext(ctx, `SELECT m.id, i.value FROM members m JOIN identities i ON i.workspace_id = m.workspace_id AND i.member_id = m.id
					WHERE m.workspace_id = $1 AND NOT m.is_staff AND i.kind = 'email' AND LENGTH(m.display_name) >= 5
					ORDER BY m.message_count DESC, m.id LIMIT 1`, ws.ID).Scan(&id, &email)
				if err != nil {
					t.Fatal(err)
				}
				m, err := st.Member(ctx, ws.ID, id)
				if err != nil {
					t.Fatal(err)
				}
				traces := []string{m.DisplayName, id}
				for _, i := range m.Identities {
					traces = append(traces, i.Value)
				}
				rows, err := textColumn(ctx, db, `SELECT DISTINCT author_name FROM messages WHERE workspace_id = $1 AND member_id = $2 AND LENGTH(author_name) >= 3
					UNION SELECT DISTINCT author_email FROM messages WHERE workspace_id = $1 AND member_id = $2 AND author_email <> ''`, ws.ID, id)
				if err != nil {
					t.Fatal(err)
				}
				traces = append(traces, rows...)
				// The team wrote about them: a note on the member, one on
				// a conversation, a tag; and their data was exported.
				cm, err := st.CreateUser(ctx, model.User{Login: "lea", Name: "Léa"}, "no-hash", "test")
				if err != nil {
					t.Fatal(err)
				}
				staff := []model.User{cm}
				if _, err := st.AddMemberNote(ctx, ws.ID, id, staff[0], "Loyal customer: "+m.DisplayName+" <"+email+">", time.Now()); err != nil {
					t.Fatal(err)
				}
				convs, err := st.MemberConversations(ctx, ws.ID, id, 1)
				if err != nil || len(convs) == 0 {
					t.Fatalf("conversations of %s: %v, %v", id, convs, err)
				}
				if _, err := st.AddNote(ctx, ws.ID, convs[0].ID, staff[0], "Write to "+strings.ToUpper(m.DisplayName)+" at "+email, time.Now()); err != nil {
					t.Fatal(err)
				}
				out := filepath.Join(t.TempDir(), "person.zip")
				if code, _, stderr := run(t, "", "privacy", "export", "--db", dsn, "--workspace", ws.Slug, "--format", "csv", "--out", out, email); code != 0 {
					t.Fatalf("privacy export: exit %d: %s", code, stderr)
				}
				checkExportZip(t, out, m.DisplayName)

				before := strings.ToLower(fullDump(t, engine, dsn))
				for _, s := range traces {
					if !strings.Contains(before, strings.ToLower(s)) {
						t.Fatalf("before the erasure the dump holds no %q: the test would prove nothing", s)
					}
				}
				var otherMessages int
				if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE workspace_id <> $1`, ws.ID).Scan(&otherMessages); err != nil {
					t.Fatal(err)
				}

				code, stdout, stderr := run(t, "", "privacy", "erase", "--db", dsn, "--workspace", ws.Slug, "--mode", mode, "--json", email)
				if code != 0 {
					t.Fatalf("privacy erase: exit %d: %s", code, stderr)
				}
				var er store.Erasure
				if err := json.Unmarshal([]byte(stdout), &er); err != nil || er.Messages == 0 || er.Mode != mode {
					t.Fatalf("privacy erase printed %q (%v)", stdout, err)
				}
				after := strings.ToLower(fullDump(t, engine, dsn))
				for _, s := range traces {
					if i := strings.Index(after, strings.ToLower(s)); i >= 0 {
						t.Errorf("after the erasure the dump still holds %q: …%q…", s, after[max(0, i-100):min(len(after), i+100)])
					}
				}
				var n int
				if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM messages WHERE workspace_id <> $1`, ws.ID).Scan(&n); err != nil || n != otherMessages {
					t.Errorf("other workspaces' messages: %d → %d (%v)", otherMessages, n, err)
				}
				// Asking again finds no one.
				if code, _, stderr := run(t, "", "privacy", "erase", "--db", dsn, "--workspace", ws.Slug, email); code == 0 || !strings.Contains(stderr, "not found") {
					t.Errorf("erasing again: exit %d: %s", code, stderr)
				}
			})
		}
	}
}

// rawDB opens a store's database with no store in between.
func rawDB(t *testing.T, engine, dsn string) *sql.DB {
	t.Helper()
	driver := "pgx"
	if engine == store.EngineSQLite {
		driver, dsn = "sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// textColumn reads the one text column of a query's rows.
func textColumn(ctx context.Context, db *sql.DB, query string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// checkExportZip opens an export archive: a CSV file per table, the
// member's holding their name.
func checkExportZip(t *testing.T, path, name string) {
	t.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	files := make(map[string]bool)
	for _, f := range z.File {
		files[f.Name] = true
		if f.Name != "members.csv" {
			continue
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(r)
		r.Close()
		if !strings.Contains(b.String(), name) {
			t.Errorf("members.csv holds no %q: %s", name, b.String())
		}
	}
	for _, want := range []string{"README.txt", "members.csv", "identities.csv", "messages.csv", "events.csv"} {
		if !files[want] {
			t.Errorf("export archive has no %s: %v", want, files)
		}
	}
}

func TestPrivacyCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "p.db")
	st := openStore(t, dsn)
	ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "shop", Name: "Shop"})
	if err != nil {
		t.Fatal(err)
	}
	ndjson := `{"external_id":"a1","kind":"post","author_name":"Ana Lopes","author_email":"ana@example.org","body":"Hello","created_at":"2020-01-02T10:00:00Z"}
{"external_id":"a2","kind":"comment","parent_external_id":"a1","author_name":"Zoé","author_email":"zoe@example.org","body":"Hi Ana Lopes","created_at":"2099-01-02T10:00:00Z"}
`
	if code, _, stderr := run(t, "", "import", "--db", dsn, "--workspace", "shop", "--channel", "blog", "--format", "ndjson", writeFile(t, "m.ndjson", ndjson)); code != 0 {
		t.Fatalf("import: %s", stderr)
	}
	code, stdout, stderr := run(t, "", "privacy", "policy", "--db", dsn, "--workspace", "shop", "--json")
	if code != 0 || !strings.Contains(stdout, `"erasure":"delete"`) || !strings.Contains(stdout, `"retention_months":0`) {
		t.Errorf("policy: exit %d, %s %s", code, stdout, stderr)
	}
	code, stdout, _ = run(t, "", "privacy", "policy", "--db", dsn, "--workspace", "shop", "--retention-months", "12", "--retention-action", "purge")
	if code != 0 || !strings.Contains(stdout, "12 months, then purge") {
		t.Errorf("policy set: exit %d, %s", code, stdout)
	}
	code, stdout, stderr = run(t, "", "privacy", "export", "--db", dsn, "--workspace", "shop", "ana@example.org")
	var data store.MemberData
	if code != 0 || json.Unmarshal([]byte(stdout), &data) != nil || len(data.Tables) < 10 {
		t.Fatalf("export: exit %d, %.300s %s", code, stdout, stderr)
	}
	code, stdout, stderr = run(t, "", "privacy", "retain", "--db", dsn, "--json")
	if code != 0 || !strings.Contains(stdout, `"messages":1`) || !strings.Contains(stdout, `"members":1`) {
		t.Errorf("retain: exit %d, %s %s", code, stdout, stderr)
	}
	if _, err := st.MemberByEmail(ctx, ws.ID, "zoe@example.org"); err != nil {
		t.Errorf("Zoé, who wrote in 2099, after the retention: %v", err)
	}
	for _, bad := range [][]string{
		{"privacy", "erase", "--db", dsn, "--workspace", "shop"},
		{"privacy", "erase", "--db", dsn, "ana@example.org"},
		{"privacy", "erase", "--db", dsn, "--workspace", "shop", "--mode", "shred", "zoe@example.org"},
		{"privacy", "export", "--db", dsn, "--workspace", "shop", "--format", "xml", "zoe@example.org"},
		{"privacy", "export", "--db", dsn, "--workspace", "shop", "--format", "csv", "zoe@example.org"},
		{"privacy", "policy", "--db", dsn, "--workspace", "shop", "--retention-months", "601"},
		{"privacy", "policy", "--db", dsn, "--workspace", "shop", "--erasure", "burn"},
		{"privacy", "shred"},
	} {
		if code, _, stderr := run(t, "", bad...); code != 2 || stderr == "" {
			t.Errorf("%q: exit %d, %s; want a usage error", bad, code, stderr)
		}
	}
	if code, _, stderr := run(t, "", "privacy", "erase", "--db", dsn, "--workspace", "shop", "nobody@example.org"); code != 1 || !strings.Contains(stderr, "nobody@example.org") {
		t.Errorf("unknown address: exit %d, %s", code, stderr)
	}
	if _, err := st.MemberByEmail(ctx, ws.ID, "zoe@example.org"); err != nil {
		t.Errorf("refused commands erased Zoé: %v", err)
	}
	os.Remove(dsn + ".tmp")
}
