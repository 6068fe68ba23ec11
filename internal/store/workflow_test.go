package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"palabre/internal/ingest"
	"palabre/internal/model"
	"palabre/internal/store"
)

// addMember creates a user holding role in the workspace.
func addMember(t *testing.T, st *store.Store, workspaceID int64, login, role string) model.User {
	t.Helper()
	u := newUser(t, st, login, false)
	if err := st.SetMembership(context.Background(), u.ID, workspaceID, role, "test"); err != nil {
		t.Fatal(err)
	}
	return u
}

// importInto stores more messages in the "forum" channel of an existing
// workspace, as a later import would.
func importInto(t *testing.T, st *store.Store, ws model.Workspace, msgs ...model.Message) {
	t.Helper()
	if _, err := ingest.Import(context.Background(), st, ingest.FromMessages(msgs), ingest.Options{Workspace: ws, Channel: "forum"}); err != nil {
		t.Fatal(err)
	}
}

// conv reads one conversation of the workspace.
func conv(t *testing.T, st *store.Store, workspaceID, id int64) model.Conversation {
	t.Helper()
	c, err := st.WorkspaceConversation(context.Background(), workspaceID, id)
	if err != nil {
		t.Fatalf("conversation %d: %v", id, err)
	}
	return c
}

// historyOf returns the events of a conversation with the given action,
// oldest first; every action when action is "".
func historyOf(t *testing.T, st *store.Store, workspaceID, conversationID int64, action string) []model.Event {
	t.Helper()
	evs, err := st.ConversationEvents(context.Background(), workspaceID, conversationID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []model.Event
	for _, e := range evs {
		if action == "" || e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// lastEvent returns the id of the newest event.
func lastEvent(t *testing.T, st *store.Store) int64 {
	t.Helper()
	id, err := st.LastEventID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// sameTime reports whether p is set and at want.
func sameTime(p *time.Time, want time.Time) bool { return p != nil && p.Equal(want) }

// checkEvent fails unless e is about conversationID, by actor, with the
// given detail.
func checkEvent(t *testing.T, e model.Event, workspaceID, conversationID int64, actor, detail string) {
	t.Helper()
	if e.WorkspaceID != workspaceID || e.ConversationID != conversationID || e.Actor != actor ||
		e.Subject != fmt.Sprintf("conversation %d", conversationID) || e.Detail != detail {
		t.Errorf("event %+v, want conversation %d by %s with detail %s", e, conversationID, actor, detail)
	}
}

func jsonTime(t time.Time) string { return `"` + t.UTC().Format(time.RFC3339Nano) + `"` }

func TestChangeConversationStatusAndPriority(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, _ *sql.DB) {
		ctx := context.Background()
		t0 := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
		ws, convs := importConversations(t, st, "velo", model.Message{ExternalID: "a", Body: "a", CreatedAt: t0})
		now := t0.Add(24*time.Hour + 123456789)
		id := convs[0]

		got, err := st.ChangeConversations(ctx, ws.ID, []int64{id}, store.ConversationChange{Status: ptr(model.ConvResolved)}, "max", now)
		if err != nil {
			t.Fatal(err)
		}
		at := store.TruncateTime(now)
		if len(got) != 1 || got[0].ID != id || got[0].Status != model.ConvResolved ||
			!sameTime(got[0].ResolvedAt, at) || !sameTime(got[0].StatusAt, at) {
			t.Fatalf("after resolving: %+v", got)
		}
		evs := historyOf(t, st, ws.ID, id, "conversation.status")
		if len(evs) != 1 {
			t.Fatalf("status events %+v", evs)
		}
		checkEvent(t, evs[0], ws.ID, id, "max", `{"after":"resolved","before":"new"}`)
		if !evs[0].CreatedAt.Equal(at) {
			t.Errorf("event at %v, want %v", evs[0].CreatedAt, at)
		}

		// The same status again changes nothing.
		later := now.Add(time.Hour)
		if _, err := st.ChangeConversations(ctx, ws.ID, []int64{id}, store.ConversationChange{Status: ptr(model.ConvResolved)}, "max", later); err != nil {
			t.Fatal(err)
		}
		if c := conv(t, st, ws.ID, id); !sameTime(c.StatusAt, at) || !sameTime(c.ResolvedAt, at) {
			t.Fatalf("same status moved the clocks: %+v", c)
		}
		if evs := historyOf(t, st, ws.ID, id, "conversation.status"); len(evs) != 1 {
			t.Fatalf("same status recorded %d events", len(evs))
		}

		// Reopening clears the resolution.
		got, err = st.ChangeConversations(ctx, ws.ID, []int64{id}, store.ConversationChange{Status: ptr(model.ConvOpen)}, "lea", later)
		if err != nil || got[0].Status != model.ConvOpen || got[0].ResolvedAt != nil || !sameTime(got[0].StatusAt, store.TruncateTime(later)) {
			t.Fatalf("reopen: %+v %v", got, err)
		}

		got, err = st.ChangeConversations(ctx, ws.ID, []int64{id}, store.ConversationChange{Priority: ptr(model.PriorityUrgent)}, "lea", later)
		if err != nil || got[0].Priority != model.PriorityUrgent {
			t.Fatalf("priority: %+v %v", got, err)
		}
		evs = historyOf(t, st, ws.ID, id, "conversation.priority")
		if len(evs) != 1 {
			t.Fatalf("priority events %+v", evs)
		}
		checkEvent(t, evs[0], ws.ID, id, "lea", `{"after":2,"before":0}`)

		for name, ch := range map[string]store.ConversationChange{
			"status":   {Status: ptr("closed")},
			"priority": {Priority: ptr(model.PriorityCritical + 1)},
			"negative": {Priority: ptr(-1)},
		} {
			if _, err := st.ChangeConversations(ctx, ws.ID, []int64{id}, ch, "lea", later); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}
		if c := conv(t, st, ws.ID, id); c.Status != model.ConvOpen || c.Priority != model.PriorityUrgent {
			t.Fatalf("an invalid change changed %+v", c)
		}

		// Closing a snoozed conversation ends its snooze.
		if _, err := st.ChangeConversations(ctx, ws.ID, []int64{id}, store.ConversationChange{SnoozeUntil: ptr(later.Add(time.Hour))}, "lea", later); err != nil {
			t.Fatal(err)
		}
		got, err = st.ChangeConversations(ctx, ws.ID, []int64{id}, store.ConversationChange{Status: ptr(model.ConvSpam)}, "lea", later)
		if err != nil || got[0].Status != model.ConvSpam || got[0].SnoozedUntil != nil || got[0].ResolvedAt != nil {
			t.Fatalf("closed as spam: %+v %v", got, err)
		}
	})
}

func TestChangeConversationTags(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, _ *sql.DB) {
		ctx := context.Background()
		t0 := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
		ws, convs := importConversations(t, st, "velo", model.Message{ExternalID: "a", Body: "a", CreatedAt: t0})
		id, now := convs[0], t0.Add(time.Hour)
		change := func(ch store.ConversationChange) (model.Conversation, error) {
			got, err := st.ChangeConversations(ctx, ws.ID, []int64{id}, ch, "max", now)
			if err != nil {
				return model.Conversation{}, err
			}
			return got[0], nil
		}

		c, err := change(store.ConversationChange{AddTags: []string{"  VIP  Client ", "SAV", "sav"}})
		if err != nil || !reflect.DeepEqual(c.Tags, []string{"sav", "vip client"}) {
			t.Fatalf("add: %+v %v", c.Tags, err)
		}
		evs := historyOf(t, st, ws.ID, id, "conversation.tags")
		if len(evs) != 1 {
			t.Fatalf("tag events %+v", evs)
		}
		checkEvent(t, evs[0], ws.ID, id, "max", `{"added":["vip client","sav"],"removed":[]}`)

		// Adding what is there and removing what is not record nothing.
		if c, err := change(store.ConversationChange{AddTags: []string{"vip client"}, RemoveTags: []string{"nope"}}); err != nil ||
			!reflect.DeepEqual(c.Tags, []string{"sav", "vip client"}) {
			t.Fatalf("idempotent add: %+v %v", c.Tags, err)
		}
		if evs := historyOf(t, st, ws.ID, id, "conversation.tags"); len(evs) != 1 {
			t.Fatalf("idempotent add recorded events: %+v", evs)
		}

		c, err = change(store.ConversationChange{AddTags: []string{"Freins"}, RemoveTags: []string{" SAV"}})
		if err != nil || !reflect.DeepEqual(c.Tags, []string{"freins", "vip client"}) {
			t.Fatalf("add and remove: %+v %v", c.Tags, err)
		}
		evs = historyOf(t, st, ws.ID, id, "conversation.tags")
		if len(evs) != 2 {
			t.Fatalf("tag events %+v", evs)
		}
		checkEvent(t, evs[1], ws.ID, id, "max", `{"added":["freins"],"removed":["sav"]}`)

		for name, ch := range map[string]store.ConversationChange{
			"empty":           {AddTags: []string{"   "}},
			"comma":           {AddTags: []string{"a,b"}},
			"control":         {AddTags: []string{"a\tb\x01"}},
			"too long":        {AddTags: []string{strings.Repeat("é", model.MaxTagLen+1)}},
			"added & removed": {AddTags: []string{"x"}, RemoveTags: []string{" X "}},
		} {
			if _, err := change(ch); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}
		if _, err := change(store.ConversationChange{AddTags: []string{strings.Repeat("é", model.MaxTagLen)}}); err != nil {
			t.Fatalf("tag of %d characters: %v", model.MaxTagLen, err)
		}

		// Up to MaxTagsPerConvo tags; one more is refused and adds none.
		var more []string
		for i := range model.MaxTagsPerConvo - 3 {
			more = append(more, fmt.Sprintf("t%02d", i))
		}
		if c, err := change(store.ConversationChange{AddTags: more}); err != nil || len(c.Tags) != model.MaxTagsPerConvo {
			t.Fatalf("filling the tags: %d %v", len(c.Tags), err)
		}
		if _, err := change(store.ConversationChange{AddTags: []string{"one more", "freins"}}); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("tag %d: %v, want ErrInvalid", model.MaxTagsPerConvo+1, err)
		}
		// Replacing one keeps the count.
		if c, err := change(store.ConversationChange{AddTags: []string{"one more"}, RemoveTags: []string{"t00"}}); err != nil ||
			len(c.Tags) != model.MaxTagsPerConvo || !slices.Contains(c.Tags, "one more") || slices.Contains(c.Tags, "t00") {
			t.Fatalf("swap at the limit: %v %v", c.Tags, err)
		}
	})
}

func TestChangeConversationSnoozeAndAssignee(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		t0 := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
		ws, convs := importConversations(t, st, "velo", model.Message{ExternalID: "a", Body: "a", CreatedAt: t0})
		lea := addMember(t, st, ws.ID, "lea", model.RoleCM)
		addMember(t, st, ws.ID, "boss", model.RoleManager)
		addMember(t, st, ws.ID, "exp", model.RoleExpert)
		addMember(t, st, ws.ID, "cli", model.RoleClient)
		newUser(t, st, "ghost", false) // no role here
		other := newWorkspace(t, st, "banque")
		addMember(t, st, other.ID, "far", model.RoleCM)
		id, now := convs[0], t0.Add(time.Hour)
		change := func(ch store.ConversationChange, at time.Time) (model.Conversation, error) {
			got, err := st.ChangeConversations(ctx, ws.ID, []int64{id}, ch, "max", at)
			if err != nil {
				return model.Conversation{}, err
			}
			return got[0], nil
		}

		until := now.Add(2 * time.Hour)
		c, err := change(store.ConversationChange{SnoozeUntil: &until}, now)
		if err != nil || !sameTime(c.SnoozedUntil, until) || !sameTime(c.StatusAt, now) || c.Status != model.ConvNew {
			t.Fatalf("snooze: %+v %v", c, err)
		}
		evs := historyOf(t, st, ws.ID, id, "conversation.snooze")
		if len(evs) != 1 {
			t.Fatalf("snooze events %+v", evs)
		}
		checkEvent(t, evs[0], ws.ID, id, "max", `{"after":`+jsonTime(until)+`,"before":null}`)
		for name, ch := range map[string]store.ConversationChange{
			"past":    {SnoozeUntil: ptr(now.Add(-time.Minute))},
			"now":     {SnoozeUntil: ptr(now)},
			"and not": {SnoozeUntil: ptr(now.Add(time.Hour)), Unsnooze: true},
		} {
			if _, err := change(ch, now); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("snooze %s: %v, want ErrInvalid", name, err)
			}
		}
		if c := conv(t, st, ws.ID, id); !sameTime(c.SnoozedUntil, until) {
			t.Fatalf("an invalid snooze changed it: %+v", c.SnoozedUntil)
		}
		c, err = change(store.ConversationChange{Unsnooze: true}, now)
		if err != nil || c.SnoozedUntil != nil {
			t.Fatalf("unsnooze: %+v %v", c, err)
		}
		if _, err := change(store.ConversationChange{Unsnooze: true}, now); err != nil {
			t.Fatal(err)
		}
		evs = historyOf(t, st, ws.ID, id, "conversation.unsnooze")
		if len(evs) != 1 {
			t.Fatalf("unsnooze events %+v, want one", evs)
		}
		checkEvent(t, evs[0], ws.ID, id, "max", `{"after":null,"before":`+jsonTime(until)+`}`)

		c, err = change(store.ConversationChange{Assignee: ptr("LEA")}, now)
		if err != nil || c.AssigneeID == nil || *c.AssigneeID != lea.ID || c.Assignee != "lea" ||
			c.AssignmentReason != "assigned by max" || !sameTime(c.AssignedAt, now) {
			t.Fatalf("assign: %+v %v", c, err)
		}
		for _, login := range []string{"exp", "cli", "ghost", "nobody", "far", "bad login!"} {
			if _, err := change(store.ConversationChange{Assignee: ptr(login)}, now); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("assign %s: %v, want ErrInvalid", login, err)
			}
		}
		if c := conv(t, st, ws.ID, id); c.AssigneeID == nil || *c.AssigneeID != lea.ID {
			t.Fatalf("a refused assignee changed it: %+v", c)
		}
		// Assigning the same CM again records nothing; a manager can hold it.
		if _, err := change(store.ConversationChange{Assignee: ptr("lea")}, now); err != nil {
			t.Fatal(err)
		}
		if c, err := change(store.ConversationChange{Assignee: ptr("boss")}, now); err != nil || c.Assignee != "boss" {
			t.Fatalf("assign a manager: %+v %v", c, err)
		}
		if _, err := change(store.ConversationChange{Assignee: ptr("lea")}, now); err != nil {
			t.Fatal(err)
		}
		c, err = change(store.ConversationChange{Assignee: ptr("")}, now)
		if err != nil || c.AssigneeID != nil || c.Assignee != "" || c.AssignedAt != nil || c.AssignmentReason != "unassigned by max" {
			t.Fatalf("unassign: %+v %v", c, err)
		}
		// Taken off by hand: routing must not hand it straight back.
		if n := countRows(t, db, `SELECT COUNT(*) FROM conversations WHERE id = $1 AND previous_assignee_id IS NULL`, id); n != 1 {
			t.Fatalf("previous assignee kept after a manual unassignment")
		}
		// Unassigning what nobody holds records nothing.
		if _, err := change(store.ConversationChange{Assignee: ptr("")}, now); err != nil {
			t.Fatal(err)
		}
		evs = historyOf(t, st, ws.ID, id, "conversation.assign")
		want := []string{
			`{"assignee":"lea","before":null,"reason":"max"}`,
			`{"assignee":"boss","before":"lea","reason":"max"}`,
			`{"assignee":"lea","before":"boss","reason":"max"}`,
			`{"assignee":null,"before":"lea","reason":"max"}`,
		}
		if len(evs) != len(want) {
			t.Fatalf("assign events %+v", evs)
		}
		for i, e := range evs {
			checkEvent(t, e, ws.ID, id, "max", want[i])
		}
	})
}

func TestChangeConversationsBulk(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, _ *sql.DB) {
		ctx := context.Background()
		t0 := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
		ws, convs := importConversations(t, st, "velo",
			model.Message{ExternalID: "a", Body: "a", CreatedAt: t0},
			model.Message{ExternalID: "b", Body: "b", CreatedAt: t0.Add(time.Minute)},
			model.Message{ExternalID: "c", Body: "c", CreatedAt: t0.Add(2 * time.Minute)})
		other, far := importConversations(t, st, "banque", model.Message{ExternalID: "x", Body: "x", CreatedAt: t0})
		addMember(t, st, ws.ID, "lea", model.RoleCM)
		now := t0.Add(time.Hour)

		got, err := st.ChangeConversations(ctx, ws.ID, convs, store.ConversationChange{
			Status: ptr(model.ConvPending), AddTags: []string{"Lot"}, Assignee: ptr("lea")}, "max", now)
		if err != nil || len(got) != len(convs) {
			t.Fatalf("bulk: %+v %v", got, err)
		}
		for i, c := range got {
			if c.ID != convs[i] || c.Status != model.ConvPending || !reflect.DeepEqual(c.Tags, []string{"lot"}) || c.Assignee != "lea" {
				t.Errorf("bulk %d: %+v", i, c)
			}
			if evs := historyOf(t, st, ws.ID, c.ID, ""); len(evs) != 4 { // message.new, status, tags, assign
				t.Errorf("bulk %d: events %+v", i, evs)
			}
		}

		// One conversation of another workspace: nothing changes at all.
		before := lastEvent(t, st)
		mixed := []int64{convs[0], convs[1], far[0]}
		_, err = st.ChangeConversations(ctx, ws.ID, mixed, store.ConversationChange{
			Status: ptr(model.ConvIgnored), AddTags: []string{"other"}, Priority: ptr(model.PriorityHigh), Assignee: ptr("")}, "max", now)
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another workspace's conversation: %v, want ErrNotFound", err)
		}
		for _, id := range convs[:2] {
			if c := conv(t, st, ws.ID, id); c.Status != model.ConvPending || !reflect.DeepEqual(c.Tags, []string{"lot"}) ||
				c.Priority != model.PriorityNormal || c.Assignee != "lea" {
				t.Errorf("conversation %d changed by a refused bulk: %+v", id, c)
			}
		}
		if c := conv(t, st, other.ID, far[0]); c.Status != model.ConvNew || len(c.Tags) != 0 || c.Priority != model.PriorityNormal {
			t.Errorf("the other workspace's conversation changed: %+v", c)
		}
		if after := lastEvent(t, st); after != before {
			t.Errorf("a refused bulk recorded events: last event %d, was %d", after, before)
		}
		if _, err := st.WorkspaceConversation(ctx, ws.ID, far[0]); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another workspace's conversation read: %v, want ErrNotFound", err)
		}
		if _, err := st.ChangeConversations(ctx, ws.ID, []int64{999999}, store.ConversationChange{Status: ptr(model.ConvOpen)}, "max", now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing conversation: %v, want ErrNotFound", err)
		}

		tooMany := make([]int64, model.MaxBulkConversation+1)
		for i := range tooMany {
			tooMany[i] = convs[i%len(convs)]
		}
		for name, ids := range map[string][]int64{"empty": nil, "too many": tooMany} {
			if _, err := st.ChangeConversations(ctx, ws.ID, ids, store.ConversationChange{Status: ptr(model.ConvOpen)}, "max", now); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}
		if c := conv(t, st, ws.ID, convs[0]); c.Status != model.ConvPending {
			t.Errorf("a refused list changed %+v", c)
		}
		// The largest bulk allowed goes through (ids repeated change once).
		got, err = st.ChangeConversations(ctx, ws.ID, tooMany[:model.MaxBulkConversation], store.ConversationChange{Status: ptr(model.ConvOpen)}, "max", now)
		if err != nil || len(got) != model.MaxBulkConversation || got[0].Status != model.ConvOpen {
			t.Fatalf("bulk of %d: %d %v", model.MaxBulkConversation, len(got), err)
		}
		if evs := historyOf(t, st, ws.ID, convs[0], "conversation.status"); len(evs) != 2 {
			t.Errorf("status events %+v, want pending then open", evs)
		}
	})
}

func TestConversationWorkflowFilters(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		t0 := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
		ws, convs := importConversations(t, st, "velo",
			model.Message{ExternalID: "a", Body: "a", CreatedAt: t0},
			model.Message{ExternalID: "b", Body: "b", CreatedAt: t0.Add(time.Minute)},
			model.Message{ExternalID: "c", Body: "c", CreatedAt: t0.Add(2 * time.Minute)},
			model.Message{ExternalID: "d", Body: "d", CreatedAt: t0.Add(3 * time.Minute)})
		sam := addMember(t, st, ws.ID, "sam", model.RoleCM)
		exp := addMember(t, st, ws.ID, "exp", model.RoleExpert)
		now := t0.Add(time.Hour)
		change := func(ids []int64, ch store.ConversationChange) {
			t.Helper()
			if _, err := st.ChangeConversations(ctx, ws.ID, ids, ch, "sam", now); err != nil {
				t.Fatal(err)
			}
		}
		change([]int64{convs[0], convs[2]}, store.ConversationChange{AddTags: []string{"VIP"}})
		change([]int64{convs[2]}, store.ConversationChange{AddTags: []string{"sav"}})
		change([]int64{convs[1]}, store.ConversationChange{Assignee: ptr("sam"), SnoozeUntil: ptr(now.Add(time.Hour))})
		change([]int64{convs[0]}, store.ConversationChange{Priority: ptr(model.PriorityUrgent)})
		if _, err := st.AddNote(ctx, ws.ID, convs[3], sam, "@exp une idée ?", now); err != nil {
			t.Fatal(err)
		}

		list := func(f store.ConversationFilter) []int64 {
			t.Helper()
			page, err := st.Conversations(ctx, ws.ID, f)
			if err != nil {
				t.Fatalf("filter %+v: %v", f, err)
			}
			ids := []int64{}
			for _, c := range page.Conversations {
				ids = append(ids, c.ID)
			}
			return ids
		}
		for name, tc := range map[string]struct {
			f    store.ConversationFilter
			want []int64
		}{
			"all":             {store.ConversationFilter{}, []int64{convs[3], convs[2], convs[1], convs[0]}},
			"tag":             {store.ConversationFilter{Tag: " Vip "}, []int64{convs[2], convs[0]}},
			"other tag":       {store.ConversationFilter{Tag: "sav"}, []int64{convs[2]}},
			"unknown tag":     {store.ConversationFilter{Tag: "nope"}, []int64{}},
			"unassigned":      {store.ConversationFilter{Unassigned: true}, []int64{convs[3], convs[2], convs[0]}},
			"assignee":        {store.ConversationFilter{Assignee: "sam"}, []int64{convs[1]}},
			"participant":     {store.ConversationFilter{Participant: exp.ID}, []int64{convs[3]}},
			"not participant": {store.ConversationFilter{Participant: sam.ID}, []int64{}},
			"urgent":          {store.ConversationFilter{Priority: ptr(model.PriorityUrgent)}, []int64{convs[0]}},
			"normal":          {store.ConversationFilter{Priority: ptr(model.PriorityNormal)}, []int64{convs[3], convs[2], convs[1]}},
			"snoozed":         {store.ConversationFilter{Snoozed: ptr(true)}, []int64{convs[1]}},
			"not snoozed":     {store.ConversationFilter{Snoozed: ptr(false)}, []int64{convs[3], convs[2], convs[0]}},
			"combined":        {store.ConversationFilter{Tag: "vip", Unassigned: true, Priority: ptr(model.PriorityNormal)}, []int64{convs[2]}},
			"no due time yet": {store.ConversationFilter{ByDue: true}, []int64{}},
		} {
			if got := list(tc.f); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s: %v, want %v", name, got, tc.want)
			}
		}
		for name, f := range map[string]store.ConversationFilter{
			"priority":              {Priority: ptr(model.PriorityCritical + 1)},
			"tag":                   {Tag: "a,b"},
			"assignee & unassigned": {Assignee: "sam", Unassigned: true},
		} {
			if _, err := st.Conversations(ctx, ws.ID, f); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}

		// Tags come with the listed conversations.
		page, err := st.Conversations(ctx, ws.ID, store.ConversationFilter{})
		if err != nil {
			t.Fatal(err)
		}
		tags := map[int64][]string{}
		for _, c := range page.Conversations {
			tags[c.ID] = c.Tags
		}
		wantTags := map[int64][]string{convs[0]: {"vip"}, convs[1]: {}, convs[2]: {"sav", "vip"}, convs[3]: {}}
		if !reflect.DeepEqual(tags, wantTags) {
			t.Errorf("tags %v, want %v", tags, wantTags)
		}

		// Soonest response due first, two to a page, the tie at the page
		// boundary broken by id.
		base := t0.Add(48 * time.Hour)
		due := map[int64]time.Time{convs[3]: base, convs[1]: base.Add(time.Hour), convs[2]: base.Add(time.Hour), convs[0]: base.Add(3 * time.Hour)}
		for id, at := range due {
			if _, err := db.Exec(`UPDATE conversations SET response_due_at = $1 WHERE id = $2`, at.UnixMicro(), id); err != nil {
				t.Fatal(err)
			}
		}
		lo, hi := min(convs[1], convs[2]), max(convs[1], convs[2])
		first, err := st.Conversations(ctx, ws.ID, store.ConversationFilter{ByDue: true, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(first.Conversations) != 2 || first.Conversations[0].ID != convs[3] || first.Conversations[1].ID != lo || first.Next == "" {
			t.Fatalf("first page by due: %+v", first)
		}
		for _, c := range first.Conversations {
			if !sameTime(c.SLA.ResponseDueAt, due[c.ID]) {
				t.Errorf("conversation %d due %v, want %v", c.ID, c.SLA.ResponseDueAt, due[c.ID])
			}
		}
		second, err := st.Conversations(ctx, ws.ID, store.ConversationFilter{ByDue: true, Limit: 2, Cursor: first.Next})
		if err != nil {
			t.Fatal(err)
		}
		if len(second.Conversations) != 2 || second.Conversations[0].ID != hi || second.Conversations[1].ID != convs[0] || second.Next != "" {
			t.Fatalf("second page by due: %+v", second)
		}
		if !reflect.DeepEqual(second.Conversations[1].Tags, []string{"vip"}) {
			t.Errorf("tags on the second page: %v", second.Conversations[1].Tags)
		}
		// Filters combine with the due order.
		if got := list(store.ConversationFilter{ByDue: true, Tag: "vip"}); !reflect.DeepEqual(got, []int64{convs[2], convs[0]}) {
			t.Errorf("by due with a tag: %v", got)
		}
	})
}

func TestAddNote(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		t0 := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
		ws, convs := importConversations(t, st, "velo",
			model.Message{ExternalID: "a", Body: "a", CreatedAt: t0},
			model.Message{ExternalID: "b", Body: "b", CreatedAt: t0.Add(time.Minute)})
		other, far := importConversations(t, st, "banque", model.Message{ExternalID: "x", Body: "x", CreatedAt: t0})
		sam := addMember(t, st, ws.ID, "sam", model.RoleCM)
		lea := addMember(t, st, ws.ID, "lea", model.RoleExpert)
		mx := addMember(t, st, ws.ID, "max", model.RoleCM)
		newUser(t, st, "nobody", false) // a user, but of no role here
		now := t0.Add(time.Hour + 7)

		n, err := st.AddNote(ctx, ws.ID, convs[0], sam, "@lea et @Max, vous pouvez voir ? cc lea@example.com @nobody", now)
		if err != nil {
			t.Fatal(err)
		}
		at := store.TruncateTime(now)
		if n.ID == 0 || n.ConversationID != convs[0] || n.Author != "sam" || !n.CreatedAt.Equal(at) ||
			!reflect.DeepEqual(n.Mentions, []string{"lea", "max"}) {
			t.Fatalf("note %+v", n)
		}
		if got, err := st.Participants(ctx, convs[0]); err != nil || !reflect.DeepEqual(got, []string{"lea", "max"}) {
			t.Fatalf("participants %v %v", got, err)
		}
		for _, c := range []struct {
			user int64
			want bool
		}{{lea.ID, true}, {mx.ID, true}, {sam.ID, false}} {
			if got, err := st.IsParticipant(ctx, convs[0], c.user); err != nil || got != c.want {
				t.Errorf("participant %d: %v %v, want %v", c.user, got, err, c.want)
			}
		}
		adds := historyOf(t, st, ws.ID, convs[0], "note.add")
		if len(adds) != 1 || adds[0].RecipientID != 0 {
			t.Fatalf("note.add events %+v", adds)
		}
		checkEvent(t, adds[0], ws.ID, convs[0], "sam", fmt.Sprintf(`{"mentions":["lea","max"],"note":%d}`, n.ID))
		mentions := historyOf(t, st, ws.ID, convs[0], "note.mention")
		if len(mentions) != 2 || mentions[0].RecipientID != lea.ID || mentions[1].RecipientID != mx.ID {
			t.Fatalf("note.mention events %+v", mentions)
		}
		checkEvent(t, mentions[0], ws.ID, convs[0], "sam", fmt.Sprintf(`{"mentioned":"lea","note":%d}`, n.ID))
		checkEvent(t, mentions[1], ws.ID, convs[0], "sam", fmt.Sprintf(`{"mentioned":"max","note":%d}`, n.ID))

		// The author mentioning themselves asks nobody in.
		self, err := st.AddNote(ctx, ws.ID, convs[1], sam, "@sam je m'en occupe.", now)
		if err != nil || len(self.Mentions) != 0 {
			t.Fatalf("self mention: %+v %v", self, err)
		}
		if got, err := st.IsParticipant(ctx, convs[1], sam.ID); err != nil || got {
			t.Fatalf("the author became a participant: %v %v", got, err)
		}
		if evs := historyOf(t, st, ws.ID, convs[1], "note.mention"); len(evs) != 0 {
			t.Fatalf("self mention notified: %+v", evs)
		}

		// Asked in again: still one participant row, one more notification.
		again, err := st.AddNote(ctx, ws.ID, convs[0], mx, "@lea. Merci !", now.Add(time.Minute))
		if err != nil || !reflect.DeepEqual(again.Mentions, []string{"lea"}) {
			t.Fatalf("second note: %+v %v", again, err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM participants WHERE conversation_id = $1`, convs[0]); n != 2 {
			t.Fatalf("%d participant rows, want 2", n)
		}
		if evs := historyOf(t, st, ws.ID, convs[0], "note.mention"); len(evs) != 3 || evs[2].RecipientID != lea.ID || evs[2].Actor != "max" {
			t.Fatalf("note.mention events %+v", evs)
		}

		notesBefore := countRows(t, db, `SELECT COUNT(*) FROM notes`)
		for name, c := range map[string]struct {
			ws, conv int64
			body     string
			want     error
		}{
			"empty":             {ws.ID, convs[0], " \n\t", store.ErrInvalid},
			"too long":          {ws.ID, convs[0], strings.Repeat("a", model.MaxNoteLen+1), store.ErrInvalid},
			"not UTF-8":         {ws.ID, convs[0], "a\xff", store.ErrInvalid},
			"another workspace": {ws.ID, far[0], "@lea", store.ErrNotFound},
			"missing":           {ws.ID, 999999, "@lea", store.ErrNotFound},
		} {
			if _, err := st.AddNote(ctx, c.ws, c.conv, sam, c.body, now); !errors.Is(err, c.want) {
				t.Errorf("%s: %v, want %v", name, err, c.want)
			}
		}
		if got := countRows(t, db, `SELECT COUNT(*) FROM notes`); got != notesBefore {
			t.Errorf("refused notes stored: %d notes, were %d", got, notesBefore)
		}
		if got, err := st.Participants(ctx, far[0]); err != nil || len(got) != 0 {
			t.Errorf("participants of another workspace's conversation: %v %v", got, err)
		}

		notes, err := st.Notes(ctx, ws.ID, convs[0])
		if err != nil {
			t.Fatal(err)
		}
		want := []model.Note{n, again}
		want[1].CreatedAt = store.TruncateTime(now.Add(time.Minute))
		if !reflect.DeepEqual(notes, want) {
			t.Fatalf("notes\n%+v\nwant\n%+v", notes, want)
		}
		if notes, err := st.Notes(ctx, other.ID, convs[0]); err != nil || len(notes) != 0 {
			t.Fatalf("notes read from another workspace: %+v %v", notes, err)
		}

		if ids, err := st.ParticipantConversations(ctx, ws.ID, lea.ID); err != nil || !reflect.DeepEqual(ids, []int64{convs[0]}) {
			t.Fatalf("lea's conversations %v %v", ids, err)
		}
		if _, err := st.AddNote(ctx, ws.ID, convs[1], mx, "@LEA tu confirmes ?", now); err != nil {
			t.Fatal(err)
		}
		if ids, err := st.ParticipantConversations(ctx, ws.ID, lea.ID); err != nil || !reflect.DeepEqual(ids, []int64{convs[0], convs[1]}) {
			t.Fatalf("lea's conversations %v %v", ids, err)
		}
		if ids, err := st.ParticipantConversations(ctx, other.ID, lea.ID); err != nil || len(ids) != 0 {
			t.Fatalf("lea's conversations in another workspace %v %v", ids, err)
		}
	})
}

func TestAddReply(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		t0 := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
		ws, convs := importConversations(t, st, "velo",
			model.Message{ExternalID: "q", Body: "Mes freins grincent", CreatedAt: t0, AuthorName: "Ana"},
			model.Message{ExternalID: "z", Body: "autre", CreatedAt: t0.Add(time.Minute)})
		other, far := importConversations(t, st, "banque", model.Message{ExternalID: "x", Body: "x", CreatedAt: t0})
		sam := addMember(t, st, ws.ID, "sam", model.RoleCM)
		id := convs[0]

		c := conv(t, st, ws.ID, id)
		if c.Status != model.ConvNew || c.MessageCount != 1 || !sameTime(c.AwaitingSince, t0) || c.FirstResponseAt != nil {
			t.Fatalf("before the reply: %+v", c)
		}
		msgs, err := st.ConversationMessages(ctx, id)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("messages %+v %v", msgs, err)
		}
		seen := msgs[0].ID

		for name, r := range map[string]store.Reply{
			"no based_on":  {Body: "b"},
			"empty body":   {Body: "  ", BasedOn: seen},
			"too long":     {Body: strings.Repeat("a", model.MaxReplyLen+1), BasedOn: seen},
			"client id":    {Body: "b", BasedOn: seen, ClientID: "a b"},
			"bad status":   {Body: "b", BasedOn: seen, Status: "closed"},
			"in_reply_to":  {Body: "b", BasedOn: seen, InReplyTo: "nope"},
			"not UTF-8":    {Body: "\xff", BasedOn: seen},
			"long id":      {Body: "b", BasedOn: seen, ClientID: strings.Repeat("a", 101)},
			"other canned": {Body: "b", BasedOn: seen, CannedID: 999999},
		} {
			r.WorkspaceID, r.ConversationID, r.Author = ws.ID, id, sam
			if _, err := st.AddReply(ctx, r, t0.Add(time.Hour)); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}
		if _, err := st.AddReply(ctx, store.Reply{WorkspaceID: ws.ID, ConversationID: far[0], Author: sam, Body: "b", Confirm: true},
			t0.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another workspace's conversation: %v, want ErrNotFound", err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM outbox`) + countRows(t, db, `SELECT COUNT(*) FROM messages WHERE author_is_staff`); n != 0 {
			t.Fatalf("refused replies stored %d rows", n)
		}

		now := t0.Add(time.Hour + 5)
		sent, err := st.AddReply(ctx, store.Reply{WorkspaceID: ws.ID, ConversationID: id, Author: sam,
			Body: "Bonjour Ana, essayez ceci.", BasedOn: seen, ClientID: "c-1"}, now)
		if err != nil {
			t.Fatal(err)
		}
		at := store.TruncateTime(now)
		m := sent.Message
		if sent.Replayed || sent.OutboxID == 0 || m.ID == 0 || m.ConversationID != id || !m.AuthorIsStaff ||
			m.Kind != model.KindReply || m.Status != model.StatusApproved || m.ExternalID != store.ReplyPrefix+"c-1" ||
			m.ParentExternalID != "q" || m.Body != "Bonjour Ana, essayez ceci." || m.AuthorHandle != "sam" ||
			m.AuthorName != sam.Name || !m.CreatedAt.Equal(at) || m.Channel != "forum" {
			t.Fatalf("reply %+v", sent)
		}
		box, err := st.Outbox(ctx, ws.ID, store.OutboxPending, 10)
		if err != nil {
			t.Fatal(err)
		}
		wantBox := []store.OutboxEntry{{ID: sent.OutboxID, ConversationID: id, MessageID: m.ID, Channel: "forum", InReplyTo: "q",
			Body: "Bonjour Ana, essayez ceci.", Status: store.OutboxPending, CreatedAt: at, NextAttemptAt: &at}}
		if !reflect.DeepEqual(box, wantBox) {
			t.Fatalf("outbox\n%+v\nwant\n%+v", box, wantBox)
		}
		if box, err := st.Outbox(ctx, ws.ID, store.OutboxSent, 10); err != nil || len(box) != 0 {
			t.Fatalf("sent outbox %+v %v", box, err)
		}
		if box, err := st.Outbox(ctx, other.ID, "", 10); err != nil || len(box) != 0 {
			t.Fatalf("another workspace's outbox %+v %v", box, err)
		}
		for _, bad := range []struct {
			status string
			limit  int
		}{{"", 0}, {"", 501}, {"queued", 10}} {
			if _, err := st.Outbox(ctx, ws.ID, bad.status, bad.limit); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("outbox %+v: %v, want ErrInvalid", bad, err)
			}
		}
		c = conv(t, st, ws.ID, id)
		if c.MessageCount != 2 || c.Status != model.ConvOpen || !sameTime(c.FirstResponseAt, at) || c.AwaitingSince != nil ||
			!sameTime(c.StatusAt, at) || !c.LastActivityAt.Equal(at) || c.ResolvedAt != nil {
			t.Fatalf("after the reply: %+v", c)
		}
		evs := historyOf(t, st, ws.ID, id, "reply.add")
		if len(evs) != 1 {
			t.Fatalf("reply events %+v", evs)
		}
		checkEvent(t, evs[0], ws.ID, id, "sam", fmt.Sprintf(`{"in_reply_to":"q","message":%d,"outbox":%d}`, m.ID, sent.OutboxID))
		evs = historyOf(t, st, ws.ID, id, "conversation.status")
		if len(evs) != 1 {
			t.Fatalf("status events %+v", evs)
		}
		checkEvent(t, evs[0], ws.ID, id, "sam", `{"after":"open","before":"new"}`)

		// Sent again with the same client id: the same reply, nothing more.
		again, err := st.AddReply(ctx, store.Reply{WorkspaceID: ws.ID, ConversationID: id, Author: sam,
			Body: "Bonjour Ana, essayez ceci !", BasedOn: seen, ClientID: "c-1"}, now.Add(time.Minute))
		if err != nil || !again.Replayed || again.Message.ID != m.ID || again.OutboxID != sent.OutboxID ||
			again.Message.Body != "Bonjour Ana, essayez ceci." {
			t.Fatalf("replayed: %+v %v", again, err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM outbox`); n != 1 {
			t.Fatalf("%d outbox rows after a replay, want 1", n)
		}
		if c := conv(t, st, ws.ID, id); c.MessageCount != 2 {
			t.Fatalf("a replay counted: %+v", c)
		}
		if evs := historyOf(t, st, ws.ID, id, "reply.add"); len(evs) != 1 {
			t.Fatalf("a replay recorded events: %+v", evs)
		}
		// The same client id in another conversation of the channel.
		if _, err := st.AddReply(ctx, store.Reply{WorkspaceID: ws.ID, ConversationID: convs[1], Author: sam,
			Body: "x", Confirm: true, ClientID: "c-1"}, now); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("client id of another conversation: %v, want ErrConflict", err)
		}

		// The customer wrote meanwhile: the reply based on the first
		// answer is refused with what arrived.
		importInto(t, st, ws, model.Message{ExternalID: "q2", ParentExternalID: "q", Body: "Toujours pas", CreatedAt: t0.Add(2 * time.Hour)})
		if c := conv(t, st, ws.ID, id); !sameTime(c.AwaitingSince, t0.Add(2*time.Hour)) || !sameTime(c.FirstResponseAt, at) || c.MessageCount != 3 {
			t.Fatalf("after the customer's answer: %+v", c)
		}
		r := store.Reply{WorkspaceID: ws.ID, ConversationID: id, Author: sam, Body: "Alors changez les plaquettes.",
			BasedOn: m.ID, ClientID: "c-2", Status: model.ConvPending}
		now2 := t0.Add(3 * time.Hour)
		_, err = st.AddReply(ctx, r, now2)
		var stale *store.StaleError
		if !errors.Is(err, store.ErrStale) || !errors.As(err, &stale) {
			t.Fatalf("collision: %v, want a *StaleError", err)
		}
		if len(stale.Newer) != 1 || stale.Newer[0].ExternalID != "q2" || stale.Newer[0].Body != "Toujours pas" || stale.Newer[0].AuthorIsStaff {
			t.Fatalf("newer messages %+v", stale.Newer)
		}
		if !strings.Contains(stale.Error(), "1 new message(s)") || !strings.Contains(stale.Error(), "(0 from staff)") {
			t.Errorf("stale error %q", stale.Error())
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM outbox`); n != 1 {
			t.Fatalf("a stale reply was queued: %d outbox rows", n)
		}
		r.Confirm = true
		sent2, err := st.AddReply(ctx, r, now2)
		if err != nil || sent2.Replayed || sent2.Message.ParentExternalID != "q" {
			t.Fatalf("confirmed: %+v %v", sent2, err)
		}
		c = conv(t, st, ws.ID, id)
		if c.Status != model.ConvPending || c.MessageCount != 4 || !sameTime(c.FirstResponseAt, at) || c.AwaitingSince != nil ||
			!sameTime(c.StatusAt, now2) {
			t.Fatalf("after the confirmed reply: %+v", c)
		}
		// Based on the newest message, a reply needs no confirmation; it
		// may answer one message of the thread.
		sent3, err := st.AddReply(ctx, store.Reply{WorkspaceID: ws.ID, ConversationID: id, Author: sam, Body: "PS",
			BasedOn: sent2.Message.ID, InReplyTo: "q2"}, now2.Add(time.Minute))
		if err != nil || sent3.Message.ParentExternalID != "q2" || !strings.HasPrefix(sent3.Message.ExternalID, store.ReplyPrefix) ||
			len(sent3.Message.ExternalID) <= len(store.ReplyPrefix) {
			t.Fatalf("reply to q2: %+v %v", sent3, err)
		}
		if c := conv(t, st, ws.ID, id); c.Status != model.ConvPending {
			t.Fatalf("a reply without status changed it: %+v", c)
		}

		// A canned reply of the workspace is counted; one of another
		// workspace refuses the reply and stores nothing.
		canned := func(workspaceID int64) int64 {
			var cid int64
			if err := db.QueryRow(`INSERT INTO canned_replies (workspace_id, name, language, body, usage_count, created_at, updated_at)
				VALUES ($1, 'freins', 'fr', 'Bonjour {{name}}', 0, $2, $2) RETURNING id`, workspaceID, t0.UnixMicro()).Scan(&cid); err != nil {
				t.Fatal(err)
			}
			return cid
		}
		mine, theirs := canned(ws.ID), canned(other.ID)
		used, err := st.AddReply(ctx, store.Reply{WorkspaceID: ws.ID, ConversationID: convs[1], Author: sam, Body: "Bonjour",
			Confirm: true, CannedID: mine}, now2)
		if err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, `SELECT usage_count FROM canned_replies WHERE id = $1`, mine); n != 1 {
			t.Fatalf("usage count %d, want 1", n)
		}
		evs = historyOf(t, st, ws.ID, convs[1], "reply.add")
		if len(evs) != 1 {
			t.Fatalf("reply events %+v", evs)
		}
		checkEvent(t, evs[0], ws.ID, convs[1], "sam", fmt.Sprintf(`{"canned_reply":%d,"in_reply_to":"z","message":%d,"outbox":%d}`,
			mine, used.Message.ID, used.OutboxID))

		msgsBefore, boxBefore := countRows(t, db, `SELECT COUNT(*) FROM messages`), countRows(t, db, `SELECT COUNT(*) FROM outbox`)
		_, err = st.AddReply(ctx, store.Reply{WorkspaceID: ws.ID, ConversationID: convs[1], Author: sam, Body: "Bonjour",
			Confirm: true, CannedID: theirs, ClientID: "c-3"}, now2)
		if !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("another workspace's canned reply: %v, want ErrInvalid", err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM messages`); n != msgsBefore {
			t.Errorf("%d messages, were %d", n, msgsBefore)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM outbox`); n != boxBefore {
			t.Errorf("%d outbox rows, were %d", n, boxBefore)
		}
		if n := countRows(t, db, `SELECT usage_count FROM canned_replies WHERE id = $1`, theirs); n != 0 {
			t.Errorf("another workspace's canned reply counted: %d", n)
		}
		if c := conv(t, st, ws.ID, convs[1]); c.MessageCount != 2 {
			t.Errorf("a refused reply counted: %+v", c)
		}
		box, err = st.Outbox(ctx, ws.ID, "", 2)
		if err != nil || len(box) != 2 || box[0].ID != used.OutboxID || box[1].ID != sent3.OutboxID {
			t.Fatalf("outbox newest first: %+v %v", box, err)
		}
	})
}

func TestImportFollowUp(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		t0 := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
		t1, t2 := t0.Add(time.Hour), t0.Add(2*time.Hour)
		ws, convs := importConversations(t, st, "velo",
			model.Message{ExternalID: "q", Body: "question", CreatedAt: t0, AuthorName: "Ana"},
			model.Message{ExternalID: "r", ParentExternalID: "q", Body: "réponse", CreatedAt: t1, AuthorName: "Sam", AuthorIsStaff: true},
			model.Message{ExternalID: "q2", ParentExternalID: "q", Body: "encore", CreatedAt: t2, AuthorName: "Ana"},
			model.Message{ExternalID: "z", Body: "autre", CreatedAt: t2.Add(time.Minute), AuthorName: "Bob"})
		lea := addMember(t, st, ws.ID, "lea", model.RoleCM)
		id, zid := convs[0], convs[1]

		c := conv(t, st, ws.ID, id)
		if c.MessageCount != 3 || !sameTime(c.FirstResponseAt, t1) || !sameTime(c.AwaitingSince, t2) {
			t.Fatalf("after the first import: %+v", c)
		}
		if z := conv(t, st, ws.ID, zid); z.FirstResponseAt != nil || !sameTime(z.AwaitingSince, t2.Add(time.Minute)) {
			t.Fatalf("conversation without reply: %+v", z)
		}
		news := historyOf(t, st, ws.ID, id, "message.new")
		if len(news) != 1 {
			t.Fatalf("message.new events %+v", news)
		}
		checkEvent(t, news[0], ws.ID, id, store.IngestActor, `{"channel":"forum","messages":3,"new_conversation":true}`)
		if news := historyOf(t, st, ws.ID, zid, "message.new"); len(news) != 1 {
			t.Fatalf("message.new events %+v", news)
		} else {
			checkEvent(t, news[0], ws.ID, zid, store.IngestActor, `{"channel":"forum","messages":1,"new_conversation":true}`)
		}

		// An older customer message arriving late is already answered.
		importInto(t, st, ws, model.Message{ExternalID: "old", ParentExternalID: "q", Body: "oubli", CreatedAt: t0.Add(30 * time.Minute)})
		if c := conv(t, st, ws.ID, id); !sameTime(c.AwaitingSince, t2) || !sameTime(c.FirstResponseAt, t1) || c.MessageCount != 4 {
			t.Fatalf("after an older message: %+v", c)
		}
		// A staff message arriving late, before the first known answer,
		// becomes the first response.
		importInto(t, st, ws, model.Message{ExternalID: "r0", ParentExternalID: "q", Body: "vu", CreatedAt: t0.Add(45 * time.Minute),
			AuthorName: "Sam", AuthorIsStaff: true})
		if c := conv(t, st, ws.ID, id); !sameTime(c.AwaitingSince, t2) || !sameTime(c.FirstResponseAt, t0.Add(45*time.Minute)) {
			t.Fatalf("after an older staff message: %+v", c)
		}

		// Held by lea, then resolved.
		tRes := t0.Add(5 * time.Hour)
		if _, err := st.ChangeConversations(ctx, ws.ID, []int64{id}, store.ConversationChange{Assignee: ptr("lea")}, "max", tRes.Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ChangeConversations(ctx, ws.ID, []int64{id, zid}, store.ConversationChange{Status: ptr(model.ConvResolved)}, "lea", tRes); err != nil {
			t.Fatal(err)
		}
		// History from before the resolution does not reopen it, nor does
		// a staff message, nor spam.
		importInto(t, st, ws,
			model.Message{ExternalID: "late", ParentExternalID: "q", Body: "ancien", CreatedAt: t0.Add(4 * time.Hour)},
			model.Message{ExternalID: "zstaff", ParentExternalID: "z", Body: "clos", CreatedAt: tRes.Add(time.Hour), AuthorName: "Sam", AuthorIsStaff: true},
			model.Message{ExternalID: "zspam", ParentExternalID: "z", Body: "promo", CreatedAt: tRes.Add(time.Hour), Status: model.StatusSpam})
		for _, cid := range []int64{id, zid} {
			c := conv(t, st, ws.ID, cid)
			if c.Status != model.ConvResolved || !sameTime(c.ResolvedAt, tRes) {
				t.Fatalf("conversation %d reopened by old, staff or spam messages: %+v", cid, c)
			}
		}
		if c := conv(t, st, ws.ID, id); c.AssigneeID == nil || *c.AssigneeID != lea.ID {
			t.Fatalf("assignee lost without reopening: %+v", c)
		}
		if evs := historyOf(t, st, ws.ID, id, "conversation.status"); len(evs) != 1 {
			t.Fatalf("status events %+v, want only the resolution", evs)
		}

		// A newer customer message reopens it and hands it back to routing.
		newer := tRes.Add(time.Hour)
		importInto(t, st, ws, model.Message{ExternalID: "new", ParentExternalID: "q", Body: "ça recommence", CreatedAt: newer})
		c = conv(t, st, ws.ID, id)
		if c.Status != model.ConvOpen || c.AssigneeID != nil || c.Assignee != "" || c.AssignedAt != nil ||
			c.AssignmentReason != "reopened by a new message" || c.ResolvedAt != nil || c.StatusAt == nil || !c.StatusAt.After(tRes) {
			t.Fatalf("after a newer message: %+v", c)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM conversations WHERE id = $1 AND previous_assignee_id = $2`, id, lea.ID); n != 1 {
			t.Fatalf("previous assignee not kept")
		}
		evs := historyOf(t, st, ws.ID, id, "conversation.status")
		if len(evs) != 2 {
			t.Fatalf("status events %+v", evs)
		}
		checkEvent(t, evs[1], ws.ID, id, store.IngestActor, `{"after":"open","before":"resolved","reason":"new message"}`)
		news = historyOf(t, st, ws.ID, id, "message.new")
		if len(news) != 5 {
			t.Fatalf("message.new events %+v", news)
		}
		checkEvent(t, news[4], ws.ID, id, store.IngestActor, `{"channel":"forum","messages":1,"new_conversation":false}`)
		if evs := historyOf(t, st, ws.ID, zid, "message.new"); len(evs) != 2 {
			t.Fatalf("z message.new events %+v", evs)
		} else {
			checkEvent(t, evs[1], ws.ID, zid, store.IngestActor, `{"channel":"forum","messages":2,"new_conversation":false}`)
		}
	})
}

func TestFirstResponseIgnoresStaffMessagesBeforeTheCustomer(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, _ *sql.DB) {
		t0 := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
		// The brand's own post opens the conversation; a customer comments,
		// nobody has answered them yet.
		ws, convs := importConversations(t, st, "velo",
			model.Message{ExternalID: "post", Body: "Nouveau modèle", CreatedAt: t0, AuthorName: "Marque", AuthorIsStaff: true},
			model.Message{ExternalID: "q", ParentExternalID: "post", Body: "Quel prix ?", CreatedAt: t0.Add(time.Hour), AuthorName: "Ana"})
		c := conv(t, st, ws.ID, convs[0])
		if !sameTime(c.AwaitingSince, t0.Add(time.Hour)) {
			t.Fatalf("awaiting since %v, want the customer's comment", c.AwaitingSince)
		}
		if c.FirstResponseAt != nil {
			t.Fatalf("first response at %v, before any customer wrote: the staff post is not a response", c.FirstResponseAt)
		}
	})
}

func TestImportFollowUpPendingAndSnoozed(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		t0 := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
		ws, convs := importConversations(t, st, "velo",
			model.Message{ExternalID: "p", Body: "p", CreatedAt: t0},
			model.Message{ExternalID: "s", Body: "s", CreatedAt: t0.Add(time.Minute)})
		addMember(t, st, ws.ID, "lea", model.RoleCM)
		pid, sid := convs[0], convs[1]
		at := t0.Add(time.Hour)
		if _, err := st.ChangeConversations(ctx, ws.ID, []int64{pid}, store.ConversationChange{Status: ptr(model.ConvPending)}, "lea", at); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ChangeConversations(ctx, ws.ID, []int64{sid}, store.ConversationChange{
			Status: ptr(model.ConvOpen), Assignee: ptr("lea"), SnoozeUntil: ptr(at.Add(24 * time.Hour))}, "lea", at); err != nil {
			t.Fatal(err)
		}
		importInto(t, st, ws,
			model.Message{ExternalID: "p2", ParentExternalID: "p", Body: "réponse", CreatedAt: at.Add(time.Minute)},
			model.Message{ExternalID: "s2", ParentExternalID: "s", Body: "réponse", CreatedAt: at.Add(time.Minute)})
		if c := conv(t, st, ws.ID, pid); c.Status != model.ConvOpen || c.AssignmentReason != "reopened by a new message" {
			t.Fatalf("pending after the customer's answer: %+v", c)
		}
		// Snoozed but open: the snooze ends, the CM keeps it.
		c := conv(t, st, ws.ID, sid)
		if c.Status != model.ConvOpen || c.SnoozedUntil != nil || c.Assignee != "lea" {
			t.Fatalf("snoozed after the customer's answer: %+v", c)
		}
		evs := historyOf(t, st, ws.ID, sid, "conversation.unsnooze")
		if len(evs) != 1 {
			t.Fatalf("unsnooze events %+v", evs)
		}
		checkEvent(t, evs[0], ws.ID, sid, store.IngestActor, `{"reason":"new message"}`)
		if n := countRows(t, db, `SELECT COUNT(*) FROM conversations WHERE previous_assignee_id IS NOT NULL`); n != 0 {
			t.Fatalf("%d conversations with a previous assignee, want none", n)
		}
	})
}

func TestConversationEventsAndTail(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, _ *sql.DB) {
		ctx := context.Background()
		t0 := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
		ws, convs := importConversations(t, st, "velo",
			model.Message{ExternalID: "a", Body: "a", CreatedAt: t0},
			model.Message{ExternalID: "b", Body: "b", CreatedAt: t0.Add(time.Minute)})
		other := newWorkspace(t, st, "banque")
		now := t0.Add(time.Hour)
		change := func(id int64, ch store.ConversationChange) {
			t.Helper()
			if _, err := st.ChangeConversations(ctx, ws.ID, []int64{id}, ch, "max", now); err != nil {
				t.Fatal(err)
			}
		}
		change(convs[0], store.ConversationChange{Status: ptr(model.ConvOpen)})
		change(convs[1], store.ConversationChange{Priority: ptr(model.PriorityHigh)})
		change(convs[0], store.ConversationChange{AddTags: []string{"sav"}})
		if _, err := st.RecordEvent(ctx, model.Event{WorkspaceID: ws.ID, Actor: "cli", Action: "export"}); err != nil {
			t.Fatal(err)
		}

		evs, err := st.ConversationEvents(ctx, ws.ID, convs[0], 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for i, e := range evs {
			got = append(got, e.Action)
			if e.ConversationID != convs[0] || e.WorkspaceID != ws.ID || (i > 0 && e.ID <= evs[i-1].ID) {
				t.Errorf("event %d: %+v", i, e)
			}
		}
		if want := []string{"message.new", "conversation.status", "conversation.tags"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("history %v, want %v", got, want)
		}
		if !evs[1].CreatedAt.Equal(now) || evs[1].Detail != `{"after":"open","before":"new"}` {
			t.Errorf("status event %+v", evs[1])
		}
		if page, err := st.ConversationEvents(ctx, ws.ID, convs[0], evs[1].ID, 100); err != nil || len(page) != 1 || page[0].ID != evs[2].ID {
			t.Errorf("after %d: %+v %v", evs[1].ID, page, err)
		}
		if page, err := st.ConversationEvents(ctx, ws.ID, convs[0], 0, 1); err != nil || len(page) != 1 || page[0].ID != evs[0].ID {
			t.Errorf("limit 1: %+v %v", page, err)
		}
		if page, err := st.ConversationEvents(ctx, other.ID, convs[0], 0, 100); err != nil || len(page) != 0 {
			t.Errorf("from another workspace: %+v %v", page, err)
		}
		for _, limit := range []int{0, 1001} {
			if _, err := st.ConversationEvents(ctx, ws.ID, convs[0], 0, limit); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("limit %d: %v, want ErrInvalid", limit, err)
			}
		}

		last := lastEvent(t, st)
		all, err := st.EventsAfter(ctx, 0, 1000)
		if err != nil || len(all) == 0 || all[len(all)-1].ID != last || all[len(all)-1].Action != "export" {
			t.Fatalf("events after 0: %+v %v", all, err)
		}
		tail, err := st.EventsAfter(ctx, evs[1].ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		got = nil
		for _, e := range tail {
			got = append(got, e.Action)
		}
		if want := []string{"conversation.priority", "conversation.tags", "export"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("tail %v, want %v", got, want)
		}
		if tail[0].ConversationID != convs[1] || tail[2].ConversationID != 0 {
			t.Errorf("tail %+v", tail)
		}
		if page, err := st.EventsAfter(ctx, evs[1].ID, 1); err != nil || len(page) != 1 || page[0].ID != tail[0].ID {
			t.Errorf("tail limit 1: %+v %v", page, err)
		}
		if page, err := st.EventsAfter(ctx, last, 10); err != nil || len(page) != 0 {
			t.Errorf("after the last: %+v %v", page, err)
		}
		byID, err := st.EventsByID(ctx, []int64{evs[2].ID, 999999, evs[0].ID})
		if err != nil || len(byID) != 2 || !reflect.DeepEqual(byID[0], evs[0]) || !reflect.DeepEqual(byID[1], evs[2]) {
			t.Fatalf("by id: %+v %v", byID, err)
		}
		if none, err := st.EventsByID(ctx, nil); err != nil || len(none) != 0 {
			t.Fatalf("by no id: %+v %v", none, err)
		}
	})
}

func TestWakeSnoozed(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		t0 := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
		ws, convs := importConversations(t, st, "velo",
			model.Message{ExternalID: "a", Body: "a", CreatedAt: t0},
			model.Message{ExternalID: "b", Body: "b", CreatedAt: t0.Add(time.Minute)},
			model.Message{ExternalID: "c", Body: "c", CreatedAt: t0.Add(2 * time.Minute)})
		now := t0.Add(24 * time.Hour)
		until := map[int64]time.Time{convs[0]: now.Add(-time.Minute), convs[1]: now.Add(time.Hour), convs[2]: now}
		for id, at := range until {
			if _, err := db.Exec(`UPDATE conversations SET snoozed_until = $1 WHERE id = $2`, at.UnixMicro(), id); err != nil {
				t.Fatal(err)
			}
		}
		n, err := st.WakeSnoozed(ctx, now)
		if err != nil || n != 2 {
			t.Fatalf("woke %d %v, want 2", n, err)
		}
		for _, id := range []int64{convs[0], convs[2]} {
			if c := conv(t, st, ws.ID, id); c.SnoozedUntil != nil {
				t.Errorf("conversation %d still snoozed: %v", id, c.SnoozedUntil)
			}
			evs := historyOf(t, st, ws.ID, id, "conversation.unsnooze")
			if len(evs) != 1 {
				t.Fatalf("unsnooze events of %d: %+v", id, evs)
			}
			checkEvent(t, evs[0], ws.ID, id, "snooze", `{"after":null,"before":`+jsonTime(until[id])+`}`)
			if !evs[0].CreatedAt.Equal(now) {
				t.Errorf("event at %v, want %v", evs[0].CreatedAt, now)
			}
		}
		if c := conv(t, st, ws.ID, convs[1]); !sameTime(c.SnoozedUntil, until[convs[1]]) {
			t.Fatalf("woken too early: %+v", c.SnoozedUntil)
		}
		if evs := historyOf(t, st, ws.ID, convs[1], "conversation.unsnooze"); len(evs) != 0 {
			t.Fatalf("event for a conversation still snoozed: %+v", evs)
		}
		if n, err := st.WakeSnoozed(ctx, now); err != nil || n != 0 {
			t.Fatalf("woke again %d %v", n, err)
		}
		if n, err := st.WakeSnoozed(ctx, now.Add(2*time.Hour)); err != nil || n != 1 {
			t.Fatalf("woke later %d %v", n, err)
		}
		if c := conv(t, st, ws.ID, convs[1]); c.SnoozedUntil != nil {
			t.Fatalf("still snoozed: %+v", c.SnoozedUntil)
		}
	})
}

func TestApplyDecisionTagsAndPriority(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, _ *sql.DB) {
		ctx := context.Background()
		t0 := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
		ws, convs := importConversations(t, st, "velo",
			model.Message{ExternalID: "a", Body: "a", CreatedAt: t0},
			model.Message{ExternalID: "b", Body: "b", CreatedAt: t0.Add(time.Minute)})
		_, far := importConversations(t, st, "banque", model.Message{ExternalID: "x", Body: "x", CreatedAt: t0})
		lea := addMember(t, st, ws.ID, "lea", model.RoleCM)
		mx := addMember(t, st, ws.ID, "max", model.RoleCM)
		id := convs[0]

		err := st.ApplyDecision(ctx, id, ws.ID, store.Decision{Assignee: &lea.ID, Reason: "rule vip",
			Tags: []string{"VIP", " sav "}, Priority: model.PriorityUrgent}, "routing")
		if err != nil {
			t.Fatal(err)
		}
		c := conv(t, st, ws.ID, id)
		if !reflect.DeepEqual(c.Tags, []string{"sav", "vip"}) || c.Priority != model.PriorityUrgent ||
			c.AssigneeID == nil || *c.AssigneeID != lea.ID || c.AssignmentReason != "rule vip" {
			t.Fatalf("after the decision: %+v", c)
		}
		evs := historyOf(t, st, ws.ID, id, "")
		var got []string
		for _, e := range evs {
			got = append(got, e.Action)
		}
		if want := []string{"message.new", "conversation.priority", "conversation.tags", "conversation.assign"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("events %v, want %v", got, want)
		}
		checkEvent(t, evs[1], ws.ID, id, "routing", `{"after":2,"before":0}`)
		checkEvent(t, evs[2], ws.ID, id, "routing", `{"added":["vip","sav"],"removed":[]}`)
		checkEvent(t, evs[3], ws.ID, id, "routing", `{"assignee":"lea","reason":"rule vip"}`)

		// Already held: refused, and the rule's tags and priority with it.
		before := lastEvent(t, st)
		err = st.ApplyDecision(ctx, id, ws.ID, store.Decision{Assignee: &mx.ID, Reason: "other",
			Tags: []string{"autre"}, Priority: model.PriorityCritical}, "routing")
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("decision on a held conversation: %v, want ErrConflict", err)
		}
		c = conv(t, st, ws.ID, id)
		if !reflect.DeepEqual(c.Tags, []string{"sav", "vip"}) || c.Priority != model.PriorityUrgent || *c.AssigneeID != lea.ID {
			t.Fatalf("a refused decision changed %+v", c)
		}
		if last := lastEvent(t, st); last != before {
			t.Fatalf("a refused decision recorded events")
		}

		// Nobody available: the tags are still given, a negative priority
		// leaves it alone.
		if err := st.ApplyDecision(ctx, convs[1], ws.ID, store.Decision{Reason: "nobody available",
			Tags: []string{"Nuit"}, Priority: -1}, "routing"); err != nil {
			t.Fatal(err)
		}
		c = conv(t, st, ws.ID, convs[1])
		if !reflect.DeepEqual(c.Tags, []string{"nuit"}) || c.Priority != model.PriorityNormal || c.AssigneeID != nil ||
			c.AssignmentReason != "nobody available" {
			t.Fatalf("after nobody: %+v", c)
		}
		if evs := historyOf(t, st, ws.ID, convs[1], "conversation.priority"); len(evs) != 0 {
			t.Fatalf("priority events %+v", evs)
		}
		// The same decision again changes and records nothing.
		before = lastEvent(t, st)
		if err := st.ApplyDecision(ctx, convs[1], ws.ID, store.Decision{Reason: "nobody available",
			Tags: []string{"nuit"}, Priority: model.PriorityNormal}, "routing"); err != nil {
			t.Fatal(err)
		}
		if last := lastEvent(t, st); last != before {
			t.Fatalf("a repeated decision recorded events")
		}
		if err := st.ApplyDecision(ctx, far[0], ws.ID, store.Decision{Reason: "x", Tags: []string{"y"}, Priority: -1}, "routing"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another workspace's conversation: %v, want ErrNotFound", err)
		}
	})
}
