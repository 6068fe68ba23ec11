package routing_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"palabre/internal/ingest"
	"palabre/internal/model"
	"palabre/internal/routing"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// TestRouteWorkspace imports conversations in two languages and topics into
// a workspace with two CMs of different specialisations, and checks that
// each went to the right one, saying why, and that routing again assigns
// nothing new.
func TestRouteWorkspace(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "velo"})
		if err != nil {
			t.Fatal(err)
		}
		cms := map[string]int64{}
		for _, p := range []struct {
			login, lang, topic string
		}{{"lea", "fr", "freins"}, {"sam", "en", "tyres"}} {
			u, err := st.CreateUser(ctx, model.User{Login: p.login}, "hash", "test")
			if err != nil {
				t.Fatal(err)
			}
			cms[p.login] = u.ID
			if err := st.SetMembership(ctx, u.ID, ws.ID, model.RoleCM, "test"); err != nil {
				t.Fatal(err)
			}
			if err := st.SetProfile(ctx, model.Profile{UserID: u.ID, Languages: []string{p.lang}, TimeZone: "UTC",
				Status: model.StatusAvailable, Specialisations: []model.Specialisation{{Workspace: "velo", Topic: p.topic, Strength: 0.9}}}, "test"); err != nil {
				t.Fatal(err)
			}
		}
		client, err := st.CreateUser(ctx, model.User{Login: "brand"}, "hash", "test")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SetMembership(ctx, client.ID, ws.ID, model.RoleClient, "test"); err != nil {
			t.Fatal(err)
		}

		t0 := time.Date(2024, 6, 3, 9, 0, 0, 0, time.UTC)
		want := map[string]struct{ login, topic string }{ // root external id → CM
			"fr1": {"lea", "freins"}, "fr2": {"lea", "freins"}, "en1": {"sam", "tyres"}, "en2": {"sam", "tyres"},
		}
		msgs := []model.Message{
			{ExternalID: "fr1", Body: "Mes freins grincent", Lang: "fr", Topics: []string{"freins"}},
			{ExternalID: "en1", Body: "Flat tyre again", Lang: "en", Topics: []string{"tyres"}},
			{ExternalID: "fr2", Body: "Réglage des freins ?", Lang: "fr", Topics: []string{"freins"}},
			{ExternalID: "en2", Body: "Which tyres for winter?", Lang: "en", Topics: []string{"tyres"}},
		}
		for i := range msgs {
			msgs[i].CreatedAt = t0.Add(time.Duration(i) * time.Minute)
			msgs[i].AuthorName = "ana"
		}
		if _, err := ingest.Import(ctx, st, ingest.FromMessages(msgs), ingest.Options{Workspace: ws, Channel: "forum"}); err != nil {
			t.Fatal(err)
		}

		sum, err := routing.RouteWorkspace(ctx, st, ws.ID, t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if sum != (routing.Summary{Assigned: 4}) {
			t.Fatalf("first run %+v, want 4 assigned", sum)
		}
		page, err := st.Conversations(ctx, ws.ID, store.ConversationFilter{})
		if err != nil || len(page.Conversations) != 4 {
			t.Fatalf("conversations %+v %v", page, err)
		}
		for _, c := range page.Conversations {
			w := want[c.RootExternalID]
			if c.Assignee != w.login || c.AssigneeID == nil || *c.AssigneeID != cms[w.login] || c.AssignedAt == nil {
				t.Errorf("%s went to %q (%v), want %s", c.RootExternalID, c.Assignee, c.AssigneeID, w.login)
			}
			if !strings.Contains(c.AssignmentReason, "topic '"+w.topic+"'") {
				t.Errorf("%s: reason %q does not name topic %s", c.RootExternalID, c.AssignmentReason, w.topic)
			}
		}

		sum, err = routing.RouteWorkspace(ctx, st, ws.ID, t0.Add(2*time.Hour))
		if err != nil || sum != (routing.Summary{}) {
			t.Fatalf("second run %+v %v, want nothing new", sum, err)
		}
	})
}

// TestRouteWorkspaceNobody records why nobody took a conversation, and
// assigns it once a CM is back.
func TestRouteWorkspaceNobody(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "velo"})
		if err != nil {
			t.Fatal(err)
		}
		u, err := st.CreateUser(ctx, model.User{Login: "lea"}, "hash", "test")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SetMembership(ctx, u.ID, ws.ID, model.RoleCM, "test"); err != nil {
			t.Fatal(err)
		}
		if err := st.SetStatus(ctx, u.ID, model.StatusAway, "test"); err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2024, 6, 3, 9, 0, 0, 0, time.UTC)
		msgs := []model.Message{{ExternalID: "a", Body: "Bonjour", Lang: "fr", CreatedAt: t0, AuthorName: "ana"}}
		if _, err := ingest.Import(ctx, st, ingest.FromMessages(msgs), ingest.Options{Workspace: ws, Channel: "forum"}); err != nil {
			t.Fatal(err)
		}
		if sum, err := routing.RouteWorkspace(ctx, st, ws.ID, t0); err != nil || sum != (routing.Summary{Unassigned: 1}) {
			t.Fatalf("away: %+v %v", sum, err)
		}
		page, err := st.Conversations(ctx, ws.ID, store.ConversationFilter{})
		if err != nil || len(page.Conversations) != 1 {
			t.Fatal(page, err)
		}
		if c := page.Conversations[0]; c.AssigneeID != nil || c.AssignmentReason != "nobody available: lea away" {
			t.Fatalf("away: %+v", c)
		}
		if err := st.SetStatus(ctx, u.ID, model.StatusAvailable, "test"); err != nil {
			t.Fatal(err)
		}
		if sum, err := routing.RouteWorkspace(ctx, st, ws.ID, t0); err != nil || sum != (routing.Summary{Assigned: 1}) {
			t.Fatalf("back: %+v %v", sum, err)
		}
	})
}

// TestEscalatedConversationGoesElsewhere takes a conversation from its CM
// as an SLA breach does, and checks that routing gives it to the other CM,
// and to nobody while that CM is away.
func TestEscalatedConversationGoesElsewhere(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "velo"})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]int64{}
		for _, login := range []string{"lea", "max"} {
			u, err := st.CreateUser(ctx, model.User{Login: login}, "hash", "test")
			if err != nil {
				t.Fatal(err)
			}
			ids[login] = u.ID
			if err := st.SetMembership(ctx, u.ID, ws.ID, model.RoleCM, "test"); err != nil {
				t.Fatal(err)
			}
		}
		msgs := []model.Message{
			{ExternalID: "a", Body: "Une question", CreatedAt: time.Date(2024, 6, 3, 9, 0, 0, 0, time.UTC)},
			{ExternalID: "b", Body: "Une autre", CreatedAt: time.Date(2024, 6, 3, 9, 1, 0, 0, time.UTC)},
		}
		if _, err := ingest.Import(ctx, st, ingest.FromMessages(msgs), ingest.Options{Workspace: ws, Channel: "forum"}); err != nil {
			t.Fatal(err)
		}
		page, err := st.Conversations(ctx, ws.ID, store.ConversationFilter{})
		if err != nil || len(page.Conversations) != 2 {
			t.Fatalf("conversations: %+v %v", page, err)
		}
		a, b := page.Conversations[1].ID, page.Conversations[0].ID
		for id, login := range map[int64]string{a: "lea", b: "lea"} {
			if err := st.Assign(ctx, id, ws.ID, ptr(ids[login]), "test", "test"); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Reroute(ctx, ws.ID, a, "SLA response breached while with lea: routed again", "sla"); err != nil {
			t.Fatal(err)
		}
		if _, err := routing.RouteWorkspace(ctx, st, ws.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		c, err := st.WorkspaceConversation(ctx, ws.ID, a)
		if err != nil || c.Assignee != "max" {
			t.Fatalf("escalated conversation: %+v %v; want max", c, err)
		}

		// Taken from max in turn while lea is away: nobody.
		if err := st.SetStatus(ctx, ids["lea"], model.StatusAway, "test"); err != nil {
			t.Fatal(err)
		}
		if err := st.Reroute(ctx, ws.ID, a, "SLA resolution breached while with max: routed again", "sla"); err != nil {
			t.Fatal(err)
		}
		if _, err := routing.RouteWorkspace(ctx, st, ws.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		c, err = st.WorkspaceConversation(ctx, ws.ID, a)
		if err != nil || c.Assignee != "" || !strings.Contains(c.AssignmentReason, "max SLA breached while they held it") ||
			!strings.Contains(c.AssignmentReason, "lea away") {
			t.Fatalf("escalated again: %+v %v; want nobody, saying why", c, err)
		}
	})
}

func ptr[T any](v T) *T { return &v }
