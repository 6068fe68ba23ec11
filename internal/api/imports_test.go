package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"palabre/internal/api"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

type importAnswer struct {
	Read, Inserted, Duplicates, Rejected, Conversations, Members int
	Format, Channel                                              string
	Rejections                                                   []string
}

func decodeImport(t *testing.T, res response) importAnswer {
	t.Helper()
	if res.status != http.StatusOK {
		t.Fatalf("import: status %d: %s", res.status, res.body)
	}
	var a importAnswer
	if err := json.Unmarshal(res.body, &a); err != nil {
		t.Fatalf("import: %v in %s", err, res.body)
	}
	return a
}

// stored counts the messages of a workspace's conversations.
func stored(t *testing.T, st *store.Store, wsID int64) (convs, msgs int) {
	t.Helper()
	page, err := st.Conversations(context.Background(), wsID, store.ConversationFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range page.Conversations {
		msgs += c.MessageCount
	}
	return len(page.Conversations), msgs
}

func TestImportUpload(t *testing.T) {
	wxrPath := testutil.SharedData(t, "seed-thread.wxr.xml")
	raw, err := os.ReadFile(wxrPath)
	if err != nil {
		t.Fatal(err)
	}
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newProfileWorld(t, st, api.Config{})
		velo := w.ws["velo"]
		const path = "/api/v1/workspaces/velo/imports"

		t.Run("a CM may not import", func(t *testing.T) {
			if res := w.as(t, "lea", http.MethodPost, path, string(raw)); res.status != http.StatusForbidden && res.status != http.StatusNotFound {
				t.Fatalf("CM import: status %d: %s", res.status, res.body)
			}
			if c, _ := stored(t, st, velo.ID); c != 0 {
				t.Fatalf("a refused import stored %d conversations", c)
			}
		})

		t.Run("a bad file changes nothing", func(t *testing.T) {
			cut := string(raw[:len(raw)/2])
			for name, body := range map[string]string{"truncated WXR": cut, "not a format": "hello, world\x00\x01", "empty": " "} {
				res := w.as(t, "max", http.MethodPost, path+"?name=bad.xml", body)
				if res.status != http.StatusUnprocessableEntity {
					t.Errorf("%s: status %d, want 422: %s", name, res.status, res.body)
				}
				if !strings.Contains(string(res.body), "nothing was imported") {
					t.Errorf("%s: the problem does not say nothing was imported: %s", name, res.body)
				}
			}
			if res := w.as(t, "max", http.MethodPost, path+"?format=yaml", string(raw)); res.status != http.StatusBadRequest {
				t.Errorf("unknown format: status %d, want 400", res.status)
			}
			if c, m := stored(t, st, velo.ID); c != 0 || m != 0 {
				t.Fatalf("bad files stored %d conversations, %d messages", c, m)
			}
		})

		first := decodeImport(t, w.as(t, "max", http.MethodPost, path+"?format=auto", string(raw)))
		t.Run("the WXR fixture", func(t *testing.T) {
			if first.Format != "wxr" || first.Channel != "blog" {
				t.Errorf("format %q channel %q, want wxr blog", first.Format, first.Channel)
			}
			if first.Read == 0 || first.Inserted+first.Rejected != first.Read || first.Duplicates != 0 || first.Conversations == 0 || first.Members == 0 {
				t.Errorf("first import: %+v", first)
			}
			if len(first.Rejections) != min(first.Rejected, 20) {
				t.Errorf("%d rejections listed for %d rejected", len(first.Rejections), first.Rejected)
			}
			if _, m := stored(t, st, velo.ID); m != first.Inserted {
				t.Errorf("%d messages stored, the answer says %d inserted", m, first.Inserted)
			}
		})

		t.Run("importing it again inserts nothing", func(t *testing.T) {
			again := decodeImport(t, w.as(t, "max", http.MethodPost, path, string(raw)))
			if again.Read != first.Read || again.Inserted != 0 || again.Duplicates != first.Inserted || again.Conversations != 0 || again.Members != 0 {
				t.Fatalf("second import: %+v after %+v", again, first)
			}
			if _, m := stored(t, st, velo.ID); m != first.Inserted {
				t.Fatalf("%d messages stored after the second import, want %d", m, first.Inserted)
			}
		})

		t.Run("partly bad NDJSON keeps the good lines", func(t *testing.T) {
			body := `{"external_id":"n1","body":"Bonjour","created_at":"2024-03-01T10:00:00Z"}` + "\n" + `{"external_id":"n2"}` + "\n"
			a := decodeImport(t, w.as(t, "max", http.MethodPost, path+"?format=ndjson&channel=forum", body))
			if a.Read != 2 || a.Inserted != 1 || a.Rejected != 1 || len(a.Rejections) != 1 || !strings.HasPrefix(a.Rejections[0], "line 2: ") || a.Channel != "forum" {
				t.Fatalf("NDJSON import: %+v", a)
			}
		})
	})
}
