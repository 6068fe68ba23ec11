package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"palabre/internal/cli"
	"palabre/internal/ingest"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// run calls palabre in-process and returns its exit code and outputs.
func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cli.Main(context.Background(), args, cli.Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv: func(string) string { return "" },
	})
	return code, out.String(), errb.String()
}

func summary(t *testing.T, stdout string) ingest.Summary {
	t.Helper()
	var s ingest.Summary
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("import --json printed %q: %v", stdout, err)
	}
	return s
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func openStore(t *testing.T, dsn string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestSeedThread checks the facts of the real WordPress thread in
// ../shared/data: one conversation, 23 messages, 9 by staff, 14 people, and
// the RSS comment feed of the same post adding nothing.
func TestSeedThread(t *testing.T) {
	t.Parallel()
	wxrPath := testutil.SharedData(t, "seed-thread.wxr.xml")
	rssPath := testutil.SharedData(t, "seed-thread.comments.rss.xml")
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			dsn := testutil.NewDSN(t, engine)
			code, out, errOut := run(t, "", "import", "--db", dsn, "--workspace", "greg", "--channel", "blog", "--json", wxrPath)
			if code != 0 {
				t.Fatalf("import WXR: exit %d: %s", code, errOut)
			}
			s := summary(t, out)
			if s != (ingest.Summary{Read: 23, Inserted: 23, Conversations: 1, Members: 14}) {
				t.Fatalf("WXR summary: %+v", s)
			}
			code, out, errOut = run(t, "", "import", "--db", dsn, "--workspace", "greg", "--channel", "blog", "--json", rssPath)
			if code != 0 {
				t.Fatalf("import RSS: exit %d: %s", code, errOut)
			}
			if s := summary(t, out); s != (ingest.Summary{Read: 22, Duplicates: 22}) {
				t.Fatalf("RSS summary: %+v", s)
			}

			st := openStore(t, dsn)
			ctx := context.Background()
			ws, err := st.WorkspaceBySlug(ctx, "greg")
			if err != nil {
				t.Fatal(err)
			}
			events, err := st.Events(ctx, ws.ID, 10)
			// Each import is one event; the new messages one more for their
			// conversation (none for the feed: it only had duplicates).
			if err != nil || len(events) != 3 || events[0].Action != "import" || events[0].Subject != rssPath ||
				events[2].Action != "message.new" || events[2].ConversationID == 0 ||
				events[0].Detail != `{"read":22,"inserted":0,"duplicates":22,"rejected":0,"conversations":0,"members":0}` {
				t.Fatalf("audit log: %+v %v", events, err)
			}
			stats, err := st.WorkspaceStats(ctx, ws.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stats != (store.Stats{Conversations: 1, Messages: 23, StaffMessages: 9, Members: 14}) {
				t.Fatalf("stats: %+v", stats)
			}
			page, err := st.Conversations(ctx, ws.ID, store.ConversationFilter{})
			if err != nil || len(page.Conversations) != 1 {
				t.Fatalf("conversations: %v %v", page, err)
			}
			msgs, err := st.ConversationMessages(ctx, page.Conversations[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			byExt := map[string]store.StoredMessage{}
			members := map[string]map[string]bool{} // member → names signed
			for _, m := range msgs {
				byExt[m.ExternalID] = m
				if members[m.MemberID] == nil {
					members[m.MemberID] = map[string]bool{}
				}
				members[m.MemberID][m.AuthorName] = true
			}
			const base = "https://gregfromparis.example/?p=1843"
			if got := byExt[base+"#comment-5014"].ParentExternalID; got != base+"#comment-5013" {
				t.Errorf("comment 5014 answers %q, want comment 5013", got)
			}
			if msgs[0].ExternalID != base || msgs[0].Depth != 0 || page.Conversations[0].Subject == "" {
				t.Errorf("thread must start with the post: %+v", msgs[0])
			}
			cedric := false
			for _, names := range members {
				if names["cedric"] && names["Cedric"] {
					cedric = true
				}
				if names["Cédric Deniaud"] && (names["cedric"] || names["Cedric"]) {
					t.Errorf("Cédric Deniaud merged with cedric: %v", names)
				}
			}
			if !cedric {
				t.Errorf("\"cedric\" and \"Cedric\" are not one member: %v", members)
			}
		})
	}
}
