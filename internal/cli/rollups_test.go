package cli_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"palabre/internal/cli"
	"palabre/internal/metrics"
	"palabre/internal/rollup"
)

// TestRollupsCommand imports two workspaces' messages, counts their
// rollups again from the command line, and finds the figures of every
// fact; an unknown workspace is an error that names it.
func TestRollupsCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "p.db")
	asked := time.Now().AddDate(0, 0, -20).UTC()
	day, later := asked.Format(time.RFC3339), asked.Add(time.Hour).Format(time.RFC3339)
	for _, ws := range []string{"lumiere", "velo"} {
		in := writeFile(t, ws+".ndjson",
			`{"external_id":"1","conversation_external_id":"c1","author_name":"Anne","body":"Bonjour ?","intent":"question","created_at":"`+day+`"}`+"\n"+
				`{"external_id":"2","conversation_external_id":"c1","author_name":"Équipe","author_is_staff":true,"body":"Bonjour !","created_at":"`+later+`"}`+"\n")
		if code, _, stderr := run(t, "", "import", "--db", db, "--workspace", ws, in); code != cli.ExitOK {
			t.Fatalf("import: %s", stderr)
		}
	}
	code, out, stderr := run(t, "", "rollups", "--db", db, "--json")
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var seen []string
	for line := range strings.Lines(out) {
		var r struct {
			Workspace string
			Days      int
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if r.Days < 20 {
			t.Errorf("%s: %d days counted, want the 20 since its message", r.Workspace, r.Days)
		}
		seen = append(seen, r.Workspace)
	}
	if !reflect.DeepEqual(seen, []string{"lumiere", "velo"}) {
		t.Errorf("rebuilt %v, want both workspaces", seen)
	}
	code, out, stderr = run(t, "", "rollups", "--db", db, "--workspace", "velo")
	if code != cli.ExitOK || !strings.HasPrefix(out, "velo: ") || !strings.Contains(out, "days counted again") {
		t.Fatalf("exit %d: %s%s", code, out, stderr)
	}
	st := openStore(t, db)
	ws, err := st.WorkspaceBySlug(context.Background(), "velo")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	got, err := rollup.Ask(context.Background(), st, ws.ID, metrics.Query{By: "channel"}, now)
	if err != nil {
		t.Fatal(err)
	}
	want, err := metrics.Ask(context.Background(), st, ws.ID, metrics.Query{By: "channel"}, now)
	if err != nil || !reflect.DeepEqual(got, want) || got.Total.ResponseRate.Of != 1 {
		t.Fatalf("from rollups %+v (%v), want %+v", got.Total, err, want.Total)
	}
	if code, _, stderr := run(t, "", "rollups", "--db", db, "--workspace", "nowhere"); code == cli.ExitOK || !strings.Contains(stderr, `"nowhere"`) {
		t.Errorf("an unknown workspace: exit %d: %s", code, stderr)
	}
}
