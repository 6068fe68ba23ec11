package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"palabre/internal/ingest"
	"palabre/internal/model"
	"palabre/internal/route"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// importConversations stores the messages in a new workspace and returns
// it with the ids of the conversations, oldest first.
func importConversations(t *testing.T, st *store.Store, slug string, msgs ...model.Message) (model.Workspace, []int64) {
	t.Helper()
	ctx := context.Background()
	ws := newWorkspace(t, st, slug)
	if _, err := ingest.Import(ctx, st, ingest.FromMessages(msgs), ingest.Options{Workspace: ws, Channel: "forum"}); err != nil {
		t.Fatal(err)
	}
	page, err := st.Conversations(ctx, ws.ID, store.ConversationFilter{})
	if err != nil {
		t.Fatalf("conversations: %+v %v", page, err)
	}
	ids := make([]int64, len(page.Conversations))
	for i, c := range page.Conversations { // newest first
		ids[len(ids)-1-i] = c.ID
	}
	return ws, ids
}

func TestRoutingCandidates(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		t0 := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
		ws, convs := importConversations(t, st, "velo",
			model.Message{ExternalID: "a", Body: "a", CreatedAt: t0},
			model.Message{ExternalID: "b", Body: "b", CreatedAt: t0.Add(time.Minute)},
			model.Message{ExternalID: "c", Body: "c", CreatedAt: t0.Add(2 * time.Minute)})
		newWorkspace(t, st, "banque")
		users := map[string]model.User{}
		for _, m := range []struct{ login, role string }{
			{"lea", model.RoleCM}, {"max", model.RoleManager}, {"cli", model.RoleClient},
			{"exp", model.RoleExpert}, {"off", model.RoleCM}, {"own", model.RoleOwner},
		} {
			u := newUser(t, st, m.login, false)
			users[m.login] = u
			if err := st.SetMembership(ctx, u.ID, ws.ID, m.role, "test"); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.SetUserDisabled(ctx, users["off"].ID, true, "test"); err != nil {
			t.Fatal(err)
		}
		if err := st.SetProfile(ctx, model.Profile{UserID: users["lea"].ID, Languages: []string{"fr"},
			TimeZone: "Europe/Paris", Hours: model.WeeklyHours{"mon": {"09:00-17:00"}}, Capacity: 5,
			Status: model.StatusAway, Specialisations: []model.Specialisation{
				{Workspace: "velo", Topic: "freins", Strength: 0.9},
				{Workspace: "banque", Topic: "crédit", Strength: 1},
			}}, "test"); err != nil {
			t.Fatal(err)
		}
		lea := users["lea"].ID
		for _, id := range convs {
			if err := st.Assign(ctx, id, ws.ID, &lea, "test", "test"); err != nil {
				t.Fatal(err)
			}
		}
		// Only new, open and pending count as open.
		if _, err := db.Exec(`UPDATE conversations SET status = 'resolved' WHERE id = $1`, convs[0]); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`UPDATE conversations SET status = 'pending' WHERE id = $1`, convs[1]); err != nil {
			t.Fatal(err)
		}
		cands, err := st.RoutingCandidates(ctx, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(cands) != 2 || cands[0].Login != "lea" || cands[1].Login != "max" {
			t.Fatalf("candidates %+v, want lea and max", cands)
		}
		c := cands[0]
		if c.Open != 2 || !c.Away || c.Capacity != 5 || c.Location.String() != "Europe/Paris" ||
			!reflect.DeepEqual(c.Languages, []string{"fr"}) || !reflect.DeepEqual(c.Topics, map[string]float64{"freins": 0.9}) ||
			!reflect.DeepEqual(c.Hours, model.WeeklyHours{"mon": {"09:00-17:00"}}) || c.LastAssigned.IsZero() {
			t.Fatalf("lea %+v", c)
		}
		m := cands[1] // the default profile
		if m.Open != 0 || m.Away || m.Capacity != 0 || m.Location != time.UTC || len(m.Languages) != 0 ||
			len(m.Topics) != 0 || !m.LastAssigned.IsZero() {
			t.Fatalf("max %+v", m)
		}
	})
}

func TestAssignIsCompareAndSet(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		spam := true
		t0 := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
		ws, convs := importConversations(t, st, "velo",
			model.Message{ExternalID: "a", Body: "a", CreatedAt: t0, Lang: "fr", Intent: "question",
				Sentiment: "negative", Topics: []string{"freins"}, AuthorHandle: "@max", AuthorEmail: "max@example.org"},
			model.Message{ExternalID: "a1", ParentExternalID: "a", Body: "a1", CreatedAt: t0.Add(time.Minute),
				Lang: "en", Topics: []string{"pneus", "freins"}},
			model.Message{ExternalID: "b", Body: "b", CreatedAt: t0.Add(2 * time.Minute), Lang: "en", Spam: &spam})
		lea, max := newUser(t, st, "lea", false), newUser(t, st, "max", false)

		got, err := st.UnroutedConversations(ctx, ws.ID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []store.Unrouted{
			{ID: convs[0], Conversation: route.Conversation{Lang: "fr", Intent: "question", Sentiment: "negative",
				Channel: "forum", Author: "@max max@example.org", Topics: []string{"freins", "pneus"}}},
			{ID: convs[1], Conversation: route.Conversation{Lang: "en", Channel: "forum", Topics: []string{}, Spam: true}},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("unrouted\n%+v\nwant\n%+v", got, want)
		}
		if got, err := st.UnroutedConversations(ctx, ws.ID, convs[0], 10); err != nil || len(got) != 1 || got[0].ID != convs[1] {
			t.Fatalf("unrouted after the first: %+v %v", got, err)
		}

		// Nobody: the reason is kept, the conversation stays unrouted.
		if err := st.Assign(ctx, convs[0], ws.ID, nil, "nobody available: no candidates", "test"); err != nil {
			t.Fatal(err)
		}
		if err := st.Assign(ctx, convs[0], ws.ID, nil, "nobody available: no candidates", "test"); err != nil {
			t.Fatal(err)
		}
		c, err := st.Conversation(ctx, convs[0])
		if err != nil || c.AssigneeID != nil || c.AssignedAt != nil || c.AssignmentReason != "nobody available: no candidates" {
			t.Fatalf("after nobody: %+v %v", c, err)
		}

		if err := st.Assign(ctx, convs[0], ws.ID, &lea.ID, "topic 'freins'", "test"); err != nil {
			t.Fatal(err)
		}
		err = st.Assign(ctx, convs[0], ws.ID, &max.ID, "second", "test")
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second assignment: %v, want ErrConflict", err)
		}
		if err := st.Assign(ctx, convs[0], ws.ID, nil, "nobody", "test"); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("nobody after an assignment: %v, want ErrConflict", err)
		}
		if err := st.Assign(ctx, 999999, ws.ID, &lea.ID, "x", "test"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing conversation: %v, want ErrNotFound", err)
		}
		c, err = st.Conversation(ctx, convs[0])
		if err != nil || c.AssigneeID == nil || *c.AssigneeID != lea.ID || c.Assignee != "lea" ||
			c.AssignmentReason != "topic 'freins'" || c.AssignedAt == nil {
			t.Fatalf("after assignment: %+v %v", c, err)
		}
		if got, err := st.UnroutedConversations(ctx, ws.ID, 0, 10); err != nil || len(got) != 1 || got[0].ID != convs[1] {
			t.Fatalf("unrouted after assignment: %+v %v", got, err)
		}
		page, err := st.Conversations(ctx, ws.ID, store.ConversationFilter{Assignee: "LEA"})
		if err != nil || len(page.Conversations) != 1 || page.Conversations[0].ID != convs[0] {
			t.Fatalf("filter by assignee: %+v %v", page, err)
		}
		evs := actions(t, st, ws.ID, "conversation.assign")
		if len(evs) != 2 {
			t.Fatalf("assign events %+v, want the nobody and the assignment", evs)
		}
		// Deleting the CM leaves the conversation unassigned.
		if _, err := db.Exec(`DELETE FROM users WHERE id = $1`, lea.ID); err != nil {
			t.Fatal(err)
		}
		if c, err := st.Conversation(ctx, convs[0]); err != nil || c.AssigneeID != nil || c.Assignee != "" {
			t.Fatalf("after deleting the CM: %+v %v", c, err)
		}
	})
}

func TestRoutingRulesRoundTrip(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, _ *sql.DB) {
		ctx := context.Background()
		ws := newWorkspace(t, st, "velo")
		if rules, err := st.RoutingRules(ctx, ws.ID); err != nil || len(rules) != 0 {
			t.Fatalf("no rules: %+v %v", rules, err)
		}
		two := 2
		rules := []route.Rule{
			{Name: "vip", When: route.Condition{Author: "@max"}, Then: route.Action{AssignTo: "lea", Priority: &two, Stop: true}},
			{Name: "freins", When: route.Condition{Topic: "freins", Lang: "fr"}, Then: route.Action{Tags: []string{"sav"}}},
		}
		for range 2 { // replaced, not added to
			if err := st.SetRoutingRules(ctx, ws.ID, rules, "test"); err != nil {
				t.Fatal(err)
			}
		}
		got, err := st.RoutingRules(ctx, ws.ID)
		if err != nil || !reflect.DeepEqual(got, rules) {
			t.Fatalf("rules %+v %v, want %+v", got, err, rules)
		}
		if evs := actions(t, st, ws.ID, "routing.rules"); len(evs) != 2 {
			t.Fatalf("events %+v", evs)
		}
	})
}

// TestApplyDecisionsMixedPage records a page mixing plain decisions,
// decisions with rule actions, nobody, and a conversation another node
// assigned meanwhile, on both engines (PostgreSQL records the plain ones
// set-wise).
func TestApplyDecisionsMixedPage(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		t0 := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
		var msgs []model.Message
		for i := range 5 {
			msgs = append(msgs, model.Message{ExternalID: fmt.Sprint("m", i), Body: "question", CreatedAt: t0.Add(time.Duration(i) * time.Minute)})
		}
		ws, convs := importConversations(t, st, "velo", msgs...)
		lea, max := newUser(t, st, "lea", false), newUser(t, st, "max", false)
		for _, u := range []model.User{lea, max} {
			if err := st.SetMembership(ctx, u.ID, ws.ID, model.RoleCM, "test"); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Assign(ctx, convs[3], ws.ID, &max.ID, "earlier", "test"); err != nil {
			t.Fatal(err)
		}
		page := []store.Routed{
			{ConversationID: convs[0], Decision: store.Decision{Assignee: &lea.ID, Reason: "to lea", Priority: -1}},
			{ConversationID: convs[1], Decision: store.Decision{Reason: "nobody: all away", Priority: -1}},
			{ConversationID: convs[2], Decision: store.Decision{Assignee: &max.ID, Reason: "rule vip", Tags: []string{"VIP"}, Priority: 2}},
			{ConversationID: convs[3], Decision: store.Decision{Assignee: &lea.ID, Reason: "too late", Priority: -1}},
		}
		conflicts, err := st.ApplyDecisions(ctx, ws.ID, page, "routing")
		if err != nil || !slices.Equal(conflicts, []int64{convs[3]}) {
			t.Fatalf("conflicts %v, %v; want [%d]", conflicts, err, convs[3])
		}
		want := []struct {
			assignee, reason string
			priority         int
			tags             []string
		}{{"lea", "to lea", 0, []string{}}, {"", "nobody: all away", 0, []string{}}, {"max", "rule vip", 2, []string{"vip"}}, {"max", "earlier", 0, []string{}}}
		for i, w := range want {
			c, err := st.WorkspaceConversation(ctx, ws.ID, convs[i])
			if err != nil || c.Assignee != w.assignee || c.AssignmentReason != w.reason || c.Priority != w.priority || !slices.Equal(c.Tags, w.tags) {
				t.Errorf("conversation %d: %+v %v; want %+v", i, c, err, w)
			}
			events, _ := st.ConversationEvents(ctx, ws.ID, convs[i], 0, 100)
			assigns := 0
			for _, e := range events {
				if e.Action == "conversation.assign" && e.Actor == "routing" {
					assigns++
				}
			}
			if wantN := map[bool]int{true: 1, false: 0}[i < 3]; assigns != wantN {
				t.Errorf("conversation %d: %d assignment events by routing, want %d", i, assigns, wantN)
			}
		}
		// Nobody again, for the same reason: nothing new.
		before := countRows(t, db, "SELECT COUNT(*) FROM events")
		if c, err := st.ApplyDecisions(ctx, ws.ID, page[1:2], "routing"); err != nil || len(c) != 0 {
			t.Fatalf("again: %v %v", c, err)
		}
		if after := countRows(t, db, "SELECT COUNT(*) FROM events"); after != before {
			t.Errorf("%d events after deciding nobody again, want %d", after, before)
		}
		// A conversation not of this workspace spoils the page: nothing of
		// it is recorded.
		_, err = st.ApplyDecisions(ctx, ws.ID, []store.Routed{
			{ConversationID: convs[4], Decision: store.Decision{Assignee: &lea.ID, Reason: "to lea", Priority: -1}},
			{ConversationID: 999999, Decision: store.Decision{Assignee: &lea.ID, Reason: "to lea", Priority: -1}},
		}, "routing")
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing conversation: %v, want ErrNotFound", err)
		}
		if c, _ := st.WorkspaceConversation(ctx, ws.ID, convs[4]); c.Assignee != "" {
			t.Errorf("conversation 4 assigned to %q by a refused page", c.Assignee)
		}
	})
}

// TestApplyDecisionsSkipsBusy: on PostgreSQL routing does not wait for a
// conversation another transaction is writing (an import adding to it):
// the page's others are assigned at once, the busy one is returned with
// the conflicts, left to nobody; a CM's own assignment waits for it.
func TestApplyDecisionsSkipsBusy(t *testing.T) {
	t.Parallel()
	st, db := testutil.NewRaw(t, store.EnginePostgres)
	ctx := context.Background()
	t0 := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
	ws, convs := importConversations(t, st, "velo",
		model.Message{ExternalID: "a", Body: "question", CreatedAt: t0},
		model.Message{ExternalID: "b", Body: "question", CreatedAt: t0.Add(time.Minute)})
	lea := newUser(t, st, "lea", false)
	if err := st.SetMembership(ctx, lea.ID, ws.ID, model.RoleCM, "test"); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE conversations SET message_count = message_count + 1 WHERE id = $1`, convs[0]); err != nil {
		t.Fatal(err)
	}
	page := []store.Routed{
		{ConversationID: convs[0], Decision: store.Decision{Assignee: &lea.ID, Reason: "to lea", Priority: -1}},
		{ConversationID: convs[1], Decision: store.Decision{Assignee: &lea.ID, Reason: "to lea", Priority: -1}},
	}
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conflicts, err := st.ApplyDecisions(waitCtx, ws.ID, page, "routing")
	if err != nil || !slices.Equal(conflicts, []int64{convs[0]}) {
		t.Fatalf("a page with a conversation being written: conflicts %v, %v; want [%d]", conflicts, err, convs[0])
	}
	for i, want := range []string{"", "lea"} {
		if c, err := st.WorkspaceConversation(ctx, ws.ID, convs[i]); err != nil || c.Assignee != want {
			t.Errorf("conversation %d: assigned to %q (%v), want %q", i, c.Assignee, err, want)
		}
	}
	// A CM's assignment waits: it ends when the writing does.
	done := make(chan error, 1)
	go func() { done <- st.Assign(ctx, convs[0], ws.ID, &lea.ID, "by hand", "test") }()
	select {
	case err := <-done:
		t.Fatalf("an assignment by hand did not wait for the conversation being written: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("the assignment by hand, once the writing ended: %v", err)
	}
	if c, err := st.WorkspaceConversation(ctx, ws.ID, convs[0]); err != nil || c.Assignee != "lea" || c.MessageCount != 2 {
		t.Errorf("conversation 0: assigned to %q with %d messages (%v), want lea and 2", c.Assignee, c.MessageCount, err)
	}
}
