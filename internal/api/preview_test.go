package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"palabre/internal/api"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

type previewAnswer struct {
	Conversations []struct {
		ConversationID int64    `json:"conversation_id"`
		Assignee       string   `json:"assignee"`
		WouldAssign    string   `json:"would_assign"`
		Rule           string   `json:"rule"`
		Tags           []string `json:"tags"`
		Reason         string   `json:"reason"`
	} `json:"conversations"`
}

func TestRoutingPreview(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newProfileWorld(t, st, api.Config{})
		velo := w.ws["velo"]
		body := `{"external_id":"q1","body":"Quand ouvrez-vous ?","created_at":"2024-03-01T10:00:00Z","author_email":"paul@example.org","lang":"fr","intent":"question"}
{"external_id":"c1","body":"Très déçu","created_at":"2024-03-01T11:00:00Z","author_email":"eve@example.org","lang":"fr","intent":"complaint"}
`
		decodeImport(t, w.as(t, "max", http.MethodPost, "/api/v1/workspaces/velo/imports?format=ndjson", body))
		before, err := st.Conversations(ctx, velo.ID, store.ConversationFilter{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		events := func() int {
			n := 0
			for _, c := range before.Conversations {
				evs, err := st.ConversationEvents(ctx, velo.ID, c.ID, 0, 1000)
				if err != nil {
					t.Fatal(err)
				}
				n += len(evs)
			}
			return n
		}
		eventsBefore := events()
		rules := `{"rules":[{"name":"complaints","when":{"intent":"complaint"},"then":{"assign_to":"max","tags":["care"]}}],"limit":50}`
		const path = "/api/v1/workspaces/velo/routing-rules/preview"

		if res := w.as(t, "lea", http.MethodPost, path, rules); res.status != http.StatusForbidden && res.status != http.StatusNotFound {
			t.Fatalf("CM preview: status %d: %s", res.status, res.body)
		}
		if res := w.as(t, "max", http.MethodPost, path, `{"rules":[{"name":"","then":{}}]}`); res.status != http.StatusUnprocessableEntity {
			t.Fatalf("bad rules: status %d, want 422: %s", res.status, res.body)
		}
		res := w.as(t, "max", http.MethodPost, path, rules)
		if res.status != http.StatusOK {
			t.Fatalf("preview: status %d: %s", res.status, res.body)
		}
		var got previewAnswer
		if err := json.Unmarshal(res.body, &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Conversations) != len(before.Conversations) || len(got.Conversations) == 0 {
			t.Fatalf("%d conversations previewed, %d stored", len(got.Conversations), len(before.Conversations))
		}
		ruled := 0
		for _, c := range got.Conversations {
			if c.Rule == "complaints" {
				ruled++
				if c.WouldAssign != "max" || !slices.Contains(c.Tags, "care") || !strings.Contains(c.Reason, "rule 'complaints'") {
					t.Errorf("complaint previewed as %+v", c)
				}
			}
		}
		if ruled != 1 {
			t.Errorf("%d conversations decided by the rule, want 1: %s", ruled, res.body)
		}

		// Nothing changed: rules, assignments, tags, the audit log.
		if rs, err := st.RoutingRules(ctx, velo.ID); err != nil || len(rs) != 0 {
			t.Errorf("rules after a preview: %v, %v", rs, err)
		}
		after, err := st.Conversations(ctx, velo.ID, store.ConversationFilter{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		same := func(a, b model.Conversation) bool {
			return a.ID == b.ID && a.Assignee == b.Assignee && slices.Equal(a.Tags, b.Tags) && a.Priority == b.Priority && a.AssignmentReason == b.AssignmentReason
		}
		if !slices.EqualFunc(before.Conversations, after.Conversations, same) {
			t.Errorf("a preview changed conversations:\n%+v\n%+v", before.Conversations, after.Conversations)
		}
		if n := events(); n != eventsBefore {
			t.Errorf("a preview wrote %d events", n-eventsBefore)
		}
	})
}
