package cli_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"palabre/internal/store"
)

// TestRouteCommand routes an imported workspace to its CM, once, and
// checks that import routes by itself unless told not to.
func TestRouteCommand(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "p.db")
	must := func(stdin string, args ...string) string {
		t.Helper()
		full := append([]string{args[0], "--db", db}, args[1:]...)
		if args[0] == "user" || args[0] == "profile" {
			full = append(args[:2:2], append([]string{"--db", db}, args[2:]...)...)
		}
		code, out, errOut := run(t, stdin, full...)
		if code != 0 {
			t.Fatalf("palabre %v: exit %d: %s", args, code, errOut)
		}
		return out
	}
	// No CM yet: the import assigns nothing.
	must("", "import", "--workspace", "w", writeFile(t, "a.ndjson", sampleNDJSON()))
	must("", "user", "add", "lea")
	must("", "user", "grant", "lea", "--workspace", "w", "--role", "cm")
	must("", "profile", "set", "lea", "--languages", "fr,en")

	var sum struct{ Assigned, Unassigned int }
	if err := json.Unmarshal([]byte(must("", "route", "--workspace", "w", "--json")), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Assigned != 3 || sum.Unassigned != 0 {
		t.Fatalf("first route: %+v, want the 3 conversations assigned", sum)
	}
	if err := json.Unmarshal([]byte(must("", "route", "--workspace", "w", "--json")), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Assigned != 0 {
		t.Fatalf("second route assigned %d again", sum.Assigned)
	}

	st := openStore(t, db)
	ctx := context.Background()
	ws, err := st.WorkspaceBySlug(ctx, "w")
	if err != nil {
		t.Fatal(err)
	}
	page, err := st.Conversations(ctx, ws.ID, store.ConversationFilter{Assignee: "lea"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Conversations) != 3 {
		t.Fatalf("lea has %d conversations, want 3", len(page.Conversations))
	}
	for _, c := range page.Conversations {
		if c.Assignee != "lea" || !strings.Contains(c.AssignmentReason, "lea") || c.AssignedAt == nil {
			t.Errorf("conversation %d: assignee %q, reason %q, at %v", c.ID, c.Assignee, c.AssignmentReason, c.AssignedAt)
		}
	}

	// An import routes what it brings, unless --route=false.
	more := strings.ReplaceAll(sampleNDJSON(), `"external_id":"`, `"external_id":"b-`)
	more = strings.ReplaceAll(more, `"parent_external_id":"`, `"parent_external_id":"b-`)
	must("", "import", "--workspace", "w", "--route=false", writeFile(t, "b.ndjson", more))
	page, err = st.Conversations(ctx, ws.ID, store.ConversationFilter{Assignee: "lea"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Conversations) != 3 {
		t.Fatalf("--route=false: lea has %d conversations, want still 3", len(page.Conversations))
	}
	more = strings.ReplaceAll(more, `"b-`, `"c-`)
	must("", "import", "--workspace", "w", writeFile(t, "c.ndjson", more))
	page, err = st.Conversations(ctx, ws.ID, store.ConversationFilter{Assignee: "lea"})
	if err != nil {
		t.Fatal(err)
	}
	// The c- import routes its own conversations and the b- ones left
	// unrouted by --route=false.
	if len(page.Conversations) != 9 {
		t.Fatalf("after a routed import: lea has %d conversations, want 9", len(page.Conversations))
	}

	if code, _, errOut := run(t, "", "route", "--db", db); code != 2 || !strings.Contains(errOut, "--workspace") {
		t.Errorf("route without --workspace: exit %d, %s", code, errOut)
	}
}
