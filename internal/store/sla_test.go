package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"palabre/internal/model"
	"palabre/internal/sla"
	"palabre/internal/store"
)

// slaSettings is a valid workspace SLA: office hours in Paris, one
// policy.
func slaSettings() sla.Settings {
	return sla.Settings{
		Calendar: sla.Calendar{TimeZone: "Europe/Paris",
			Hours:    model.WeeklyHours{"mon": {"09:00-18:00"}, "tue": {"09:00-12:00", "14:00-18:00"}},
			Holidays: []string{"2026-12-25"}},
		WarnBefore: sla.Duration(30 * time.Minute),
		Policies: []sla.Policy{
			{Name: "urgent", Priorities: []int{model.PriorityUrgent}, Channels: []string{"forum"}, FirstResponse: sla.Duration(time.Hour)},
			{Name: "default", FirstResponse: sla.Duration(4 * time.Hour), NextResponse: sla.Duration(2 * time.Hour), Resolution: sla.Duration(40 * time.Hour)},
		},
		Escalation: sla.Escalation{Notify: true, Reroute: true, RaisePriority: true},
	}
}

// staleIDs lists the ids of the workspace's conversations whose SLA
// clocks must be computed again.
func staleIDs(t *testing.T, st *store.Store, workspaceID int64) []int64 {
	t.Helper()
	ins, err := st.StaleSLA(context.Background(), workspaceID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, in := range ins {
		out = append(out, in.ID)
	}
	return out
}

// byRoot returns the ids of a workspace's conversations by the external
// id of their root message.
func byRoot(t *testing.T, st *store.Store, workspaceID int64) map[string]int64 {
	t.Helper()
	page, err := st.Conversations(context.Background(), workspaceID, store.ConversationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, c := range page.Conversations {
		out[c.RootExternalID] = c.ID
	}
	return out
}

// staleOne returns the stale SLA input of one conversation.
func staleOne(t *testing.T, st *store.Store, workspaceID, id int64) store.SLAInput {
	t.Helper()
	ins, err := st.StaleSLA(context.Background(), workspaceID, id-1, 1)
	if err != nil || len(ins) != 1 || ins[0].ID != id {
		t.Fatalf("stale SLA of conversation %d: %+v %v", id, ins, err)
	}
	return ins[0]
}

// setDues computes nothing: it records the given dues for a stale
// conversation, as the SLA job would.
func setDues(t *testing.T, st *store.Store, workspaceID, id int64, d sla.Dues) {
	t.Helper()
	if err := st.SetSLADues(context.Background(), staleOne(t, st, workspaceID, id), d); err != nil {
		t.Fatal(err)
	}
}

func TestSLASettings(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		ws, convs := importConversations(t, st, "velo",
			model.Message{ExternalID: "a", Body: "a", AuthorName: "ana", CreatedAt: t0},
			model.Message{ExternalID: "b", Body: "b", AuthorName: "bob", CreatedAt: t0.Add(time.Minute)})
		other, otherConvs := importConversations(t, st, "banque",
			model.Message{ExternalID: "x", Body: "x", AuthorName: "ana", CreatedAt: t0})

		if s, ok, err := st.SLASettings(ctx, ws.ID); err != nil || ok || !reflect.DeepEqual(s, sla.Settings{}) {
			t.Fatalf("no settings yet: %+v %v %v", s, ok, err)
		}
		// New conversations start stale; once computed they are not.
		if got := staleIDs(t, st, ws.ID); !reflect.DeepEqual(got, convs) {
			t.Fatalf("stale at first %v, want %v", got, convs)
		}
		for _, id := range convs {
			setDues(t, st, ws.ID, id, sla.Dues{})
		}
		setDues(t, st, other.ID, otherConvs[0], sla.Dues{})
		if got := staleIDs(t, st, ws.ID); len(got) != 0 {
			t.Fatalf("stale after computing %v", got)
		}

		for name, mutate := range map[string]func(s *sla.Settings){
			"bad zone":       func(s *sla.Settings) { s.Calendar.TimeZone = "Mars/Olympus" },
			"no zone":        func(s *sla.Settings) { s.Calendar.TimeZone = "" },
			"bad hours":      func(s *sla.Settings) { s.Calendar.Hours = model.WeeklyHours{"mon": {"18:00-09:00"}} },
			"bad holiday":    func(s *sla.Settings) { s.Calendar.Holidays = []string{"25/12/2026"} },
			"unnamed":        func(s *sla.Settings) { s.Policies[0].Name = "" },
			"same name":      func(s *sla.Settings) { s.Policies[1].Name = s.Policies[0].Name },
			"negative warn":  func(s *sla.Settings) { s.WarnBefore = -1 },
			"bad priority":   func(s *sla.Settings) { s.Policies[0].Priorities = []int{7} },
			"huge target":    func(s *sla.Settings) { s.Policies[1].Resolution = sla.Duration(sla.MaxTarget + time.Hour) },
			"empty channel":  func(s *sla.Settings) { s.Policies[0].Channels = []string{""} },
			"no open day":    func(s *sla.Settings) { s.Calendar.Hours = model.WeeklyHours{"mon": {}} },
			"unknown day":    func(s *sla.Settings) { s.Calendar.Hours = model.WeeklyHours{"monday": {"09:00-10:00"}} },
			"twice holidays": func(s *sla.Settings) { s.Calendar.Holidays = []string{"2026-12-25", "2026-12-25"} },
		} {
			s := slaSettings()
			mutate(&s)
			if err := st.SetSLASettings(ctx, ws.ID, s, "max"); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}
		if _, ok, err := st.SLASettings(ctx, ws.ID); err != nil || ok {
			t.Fatalf("settings stored after refusals: %v %v", ok, err)
		}
		if got := staleIDs(t, st, ws.ID); len(got) != 0 {
			t.Fatalf("refused settings made conversations stale: %v", got)
		}

		want := slaSettings()
		if err := st.SetSLASettings(ctx, ws.ID, want, "max"); err != nil {
			t.Fatal(err)
		}
		got, ok, err := st.SLASettings(ctx, ws.ID)
		if err != nil || !ok || !reflect.DeepEqual(got, want) {
			t.Fatalf("settings\n%+v %v %v\nwant\n%+v", got, ok, err, want)
		}
		if got := staleIDs(t, st, ws.ID); !reflect.DeepEqual(got, convs) {
			t.Fatalf("stale after new settings %v, want %v", got, convs)
		}
		if got := staleIDs(t, st, other.ID); len(got) != 0 {
			t.Fatalf("another workspace's conversations made stale: %v", got)
		}
		if _, ok, err := st.SLASettings(ctx, other.ID); err != nil || ok {
			t.Fatalf("another workspace has settings: %v %v", ok, err)
		}

		// Replaced, not merged.
		want.Policies = want.Policies[1:]
		want.Calendar = sla.Calendar{TimeZone: "UTC"}
		want.WarnBefore = 0
		if err := st.SetSLASettings(ctx, ws.ID, want, "lea"); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := st.SLASettings(ctx, ws.ID); err != nil || !ok || !reflect.DeepEqual(got, want) {
			t.Fatalf("replaced settings\n%+v %v %v\nwant\n%+v", got, ok, err, want)
		}
		evs := actions(t, st, ws.ID, "sla.settings")
		if len(evs) != 2 || evs[0].Actor != "max" || evs[0].Detail != `{"policies":["urgent","default"],"time_zone":"Europe/Paris"}` ||
			evs[1].Actor != "lea" || evs[1].Detail != `{"policies":["default"],"time_zone":"UTC"}` {
			t.Fatalf("sla.settings events %+v", evs)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM sla_settings`); n != 1 {
			t.Fatalf("%d settings rows, want 1", n)
		}
	})
}

func TestStaleSLAAndSetSLADues(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		ws, _ := importConversations(t, st, "velo",
			model.Message{ExternalID: "a", Body: "a", AuthorName: "ana", CreatedAt: t0},
			model.Message{ExternalID: "b", Body: "b", AuthorName: "bob", CreatedAt: t0.Add(time.Minute)},
			model.Message{ExternalID: "b1", ParentExternalID: "b", Body: "staff", AuthorName: "Velo", AuthorIsStaff: true, CreatedAt: t0.Add(5 * time.Minute)},
			model.Message{ExternalID: "c", Body: "c", AuthorName: "cy", CreatedAt: t0.Add(2 * time.Minute)})
		ids := byRoot(t, st, ws.ID)
		a, b, c := ids["a"], ids["b"], ids["c"]

		ins, err := st.StaleSLA(ctx, ws.ID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		first := t0.Add(5 * time.Minute)
		at, bt := t0, t0.Add(time.Minute)
		want := []store.SLAInput{
			{ID: a, Status: model.ConvNew, Conversation: sla.Conversation{Channel: "forum", CreatedAt: t0, AwaitingSince: &at}},
			{ID: b, Status: model.ConvNew, Conversation: sla.Conversation{Channel: "forum", CreatedAt: bt, FirstResponseAt: &first}},
			{ID: c, Status: model.ConvNew, Conversation: sla.Conversation{Channel: "forum", CreatedAt: t0.Add(2 * time.Minute),
				AwaitingSince: ptr(t0.Add(2 * time.Minute))}},
		}
		if !reflect.DeepEqual(ins, want) {
			t.Fatalf("stale\n%+v\nwant\n%+v", ins, want)
		}
		// Paged by id.
		if page, err := st.StaleSLA(ctx, ws.ID, a, 1); err != nil || len(page) != 1 || page[0].ID != b {
			t.Fatalf("page after %d: %+v %v", a, page, err)
		}
		if page, err := st.StaleSLA(ctx, newWorkspace(t, st, "vide").ID, 0, 10); err != nil || len(page) != 0 {
			t.Fatalf("another workspace: %+v %v", page, err)
		}

		// Recording dues clears the stale mark and shows on the conversation.
		resp, res := t0.Add(4*time.Hour), t0.Add(40*time.Hour)
		if err := st.SetSLADues(ctx, ins[0], sla.Dues{Policy: "default", Response: &resp, ResponseKind: sla.ResponseFirst, Resolution: &res}); err != nil {
			t.Fatal(err)
		}
		got := conv(t, st, ws.ID, a).SLA
		if got.Policy != "default" || !sameTime(got.ResponseDueAt, resp) || !sameTime(got.ResolutionDueAt, res) || got.Response != "" || got.Resolution != "" {
			t.Fatalf("clocks %+v", got)
		}
		if ids := staleIDs(t, st, ws.ID); !reflect.DeepEqual(ids, []int64{b, c}) {
			t.Fatalf("stale %v, want %v", ids, []int64{b, c})
		}
		// A second write of the same, now stale-free, input changes nothing.
		other := t0.Add(time.Hour)
		if err := st.SetSLADues(ctx, ins[0], sla.Dues{Policy: "x", Response: &other}); err != nil {
			t.Fatal(err)
		}
		if got := conv(t, st, ws.ID, a).SLA; got.Policy != "default" || !sameTime(got.ResponseDueAt, resp) {
			t.Fatalf("a non-stale conversation was overwritten: %+v", got)
		}

		// The recorded states survive a recomputation whose due times did
		// not move; a clock whose due time moved starts again.
		for _, clock := range []string{store.ClockResponse, store.ClockResolution} {
			due := resp
			if clock == store.ClockResolution {
				due = res
			}
			if ok, err := st.MarkSLA(ctx, ws.ID, store.SLADue{ConversationID: a, Clock: clock, Due: due}, sla.StateWarning, "sla"); err != nil || !ok {
				t.Fatalf("mark %s: %v %v", clock, ok, err)
			}
		}
		high := model.PriorityHigh
		if _, err := st.ChangeConversations(ctx, ws.ID, []int64{a}, store.ConversationChange{Priority: &high}, "lea", time.Now()); err != nil {
			t.Fatal(err)
		}
		in := staleOne(t, st, ws.ID, a)
		if in.Priority != model.PriorityHigh {
			t.Fatalf("stale input %+v, want priority high", in)
		}
		if err := st.SetSLADues(ctx, in, sla.Dues{Policy: "default", Response: &resp, Resolution: &res}); err != nil {
			t.Fatal(err)
		}
		if got := conv(t, st, ws.ID, a).SLA; got.Response != sla.StateWarning || got.Resolution != sla.StateWarning {
			t.Fatalf("unmoved clocks lost their state: %+v", got)
		}
		urgent := model.PriorityUrgent
		if _, err := st.ChangeConversations(ctx, ws.ID, []int64{a}, store.ConversationChange{Priority: &urgent}, "lea", time.Now()); err != nil {
			t.Fatal(err)
		}
		sooner := t0.Add(time.Hour)
		if err := st.SetSLADues(ctx, staleOne(t, st, ws.ID, a), sla.Dues{Policy: "urgent", Response: &sooner, Resolution: &res}); err != nil {
			t.Fatal(err)
		}
		if got := conv(t, st, ws.ID, a).SLA; got.Policy != "urgent" || !sameTime(got.ResponseDueAt, sooner) || got.Response != "" ||
			!sameTime(got.ResolutionDueAt, res) || got.Resolution != sla.StateWarning {
			t.Fatalf("after the response due time moved: %+v", got)
		}
		// A clock that stops (no due time) starts again too.
		if _, err := st.ChangeConversations(ctx, ws.ID, []int64{a}, store.ConversationChange{Priority: &high}, "lea", time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := st.SetSLADues(ctx, staleOne(t, st, ws.ID, a), sla.Dues{}); err != nil {
			t.Fatal(err)
		}
		if got := conv(t, st, ws.ID, a).SLA; got != (model.SLAClocks{}) {
			t.Fatalf("no policy: clocks %+v, want none", got)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM conversations WHERE id = $1 AND response_due_at IS NULL AND resolution_due_at IS NULL`, a); n != 1 {
			t.Fatal("due times not cleared")
		}
	})
}

// TestSetSLADuesIsCompareAndSet: a conversation that changed between
// StaleSLA and SetSLADues keeps its stale mark and gets no due times
// computed from what it was.
func TestSetSLADuesIsCompareAndSet(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, _ *sql.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		ws, _ := importConversations(t, st, "velo",
			model.Message{ExternalID: "b", Body: "b", AuthorName: "bob", CreatedAt: t0},
			model.Message{ExternalID: "b1", ParentExternalID: "b", Body: "staff", AuthorName: "Velo", AuthorIsStaff: true, CreatedAt: t0.Add(5 * time.Minute)},
			model.Message{ExternalID: "c", Body: "c", AuthorName: "cy", CreatedAt: t0})
		ids := byRoot(t, st, ws.ID)
		b, c := ids["b"], ids["c"]

		// b was answered: no reply awaited. Then the customer writes again.
		in := staleOne(t, st, ws.ID, b)
		if in.AwaitingSince != nil {
			t.Fatalf("answered conversation awaiting since %v", in.AwaitingSince)
		}
		later := t0.Add(time.Hour)
		importInto(t, st, ws, model.Message{ExternalID: "b2", ParentExternalID: "b1", Body: "and?", AuthorName: "bob", CreatedAt: later})
		res := t0.Add(40 * time.Hour)
		if err := st.SetSLADues(ctx, in, sla.Dues{Policy: "default", Resolution: &res}); err != nil {
			t.Fatal(err)
		}
		if got := conv(t, st, ws.ID, b).SLA; got != (model.SLAClocks{}) {
			t.Fatalf("dues computed from the old conversation recorded: %+v", got)
		}
		in = staleOne(t, st, ws.ID, b) // still stale, as it is now
		if !sameTime(in.AwaitingSince, later) {
			t.Fatalf("stale input %+v, want awaiting since %v", in, later)
		}
		resp := later.Add(2 * time.Hour)
		if err := st.SetSLADues(ctx, in, sla.Dues{Policy: "default", Response: &resp, Resolution: &res}); err != nil {
			t.Fatal(err)
		}
		if got := conv(t, st, ws.ID, b).SLA; got.Policy != "default" || !sameTime(got.ResponseDueAt, resp) || !sameTime(got.ResolutionDueAt, res) {
			t.Fatalf("clocks %+v", got)
		}

		// c awaits; a status change in between also keeps it stale.
		in = staleOne(t, st, ws.ID, c)
		pending := model.ConvPending
		if _, err := st.ChangeConversations(ctx, ws.ID, []int64{c}, store.ConversationChange{Status: &pending}, "lea", time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := st.SetSLADues(ctx, in, sla.Dues{Policy: "default", Resolution: &res}); err != nil {
			t.Fatal(err)
		}
		if got := conv(t, st, ws.ID, c).SLA; got != (model.SLAClocks{}) {
			t.Fatalf("dues of the conversation before its status change recorded: %+v", got)
		}
		if in := staleOne(t, st, ws.ID, c); in.Status != model.ConvPending {
			t.Fatalf("stale input %+v, want pending", in)
		}
	})
}

func TestDueSLA(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		var msgs []model.Message
		for i := range 7 {
			msgs = append(msgs, model.Message{ExternalID: fmt.Sprint(i), Body: "m", AuthorName: "ana", CreatedAt: t0.Add(time.Duration(i) * time.Minute)})
		}
		ws, convs := importConversations(t, st, "velo", msgs...)
		other, otherConvs := importConversations(t, st, "banque", msgs[0])
		lea := addMember(t, st, ws.ID, "lea", model.RoleCM)
		h := func(n int) *time.Time { x := t0.Add(time.Duration(n) * time.Hour); return &x }

		setDues(t, st, ws.ID, convs[0], sla.Dues{Policy: "p", Response: h(3), Resolution: h(1)})
		setDues(t, st, ws.ID, convs[1], sla.Dues{Policy: "p", Response: h(2)})
		setDues(t, st, ws.ID, convs[2], sla.Dues{Policy: "p", Response: h(2)}) // same due: by id
		setDues(t, st, ws.ID, convs[3], sla.Dues{Policy: "p", Response: h(9)}) // beyond the horizon
		setDues(t, st, ws.ID, convs[4], sla.Dues{Policy: "p", Resolution: h(4)})
		setDues(t, st, ws.ID, convs[5], sla.Dues{Policy: "p", Response: h(1)})
		setDues(t, st, ws.ID, convs[6], sla.Dues{}) // no clock
		setDues(t, st, other.ID, otherConvs[0], sla.Dues{Policy: "p", Response: h(1)})
		if err := st.Assign(ctx, convs[0], ws.ID, &lea.ID, "test", "test"); err != nil {
			t.Fatal(err)
		}
		two := model.PriorityUrgent
		if _, err := st.ChangeConversations(ctx, ws.ID, []int64{convs[1]}, store.ConversationChange{Priority: &two}, "lea", time.Now()); err != nil {
			t.Fatal(err)
		}
		// The priority change made it stale; its due time is still recorded.
		// convs[4]: pending counts; convs[5]: resolved does not.
		if _, err := db.Exec(`UPDATE conversations SET status = 'pending' WHERE id = $1`, convs[4]); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`UPDATE conversations SET status = 'resolved' WHERE id = $1`, convs[5]); err != nil {
			t.Fatal(err)
		}
		if ok, err := st.MarkSLA(ctx, ws.ID, store.SLADue{ConversationID: convs[2], Clock: store.ClockResponse, Due: *h(2)}, sla.StateWarning, "sla"); err != nil || !ok {
			t.Fatalf("mark warning: %v %v", ok, err)
		}
		if ok, err := st.MarkSLA(ctx, ws.ID, store.SLADue{ConversationID: convs[0], Clock: store.ClockResolution, Due: *h(1)}, sla.StateBreached, "sla"); err != nil || !ok {
			t.Fatalf("mark breached: %v %v", ok, err)
		}

		got, err := st.DueSLA(ctx, ws.ID, *h(4), 100)
		if err != nil {
			t.Fatal(err)
		}
		want := []store.SLADue{
			{ConversationID: convs[1], Clock: store.ClockResponse, Due: *h(2), Priority: model.PriorityUrgent},
			{ConversationID: convs[2], Clock: store.ClockResponse, Due: *h(2), State: sla.StateWarning},
			{ConversationID: convs[0], Clock: store.ClockResponse, Due: *h(3), Assignee: "lea"},
			{ConversationID: convs[4], Clock: store.ClockResolution, Due: *h(4)},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("due\n%+v\nwant\n%+v", got, want)
		}
		if got, err := st.DueSLA(ctx, ws.ID, *h(4), 2); err != nil || !reflect.DeepEqual(got, want[:2]) {
			t.Fatalf("due, limit 2: %+v %v", got, err)
		}
		if got, err := st.DueSLA(ctx, ws.ID, h(2).Add(-time.Microsecond), 100); err != nil || len(got) != 0 {
			t.Fatalf("due before the first: %+v %v", got, err)
		}
		if got, err := st.DueSLA(ctx, other.ID, *h(4), 100); err != nil || len(got) != 1 || got[0].ConversationID != otherConvs[0] {
			t.Fatalf("other workspace due: %+v %v", got, err)
		}
		for _, status := range []string{model.ConvIgnored, model.ConvSpam} {
			if _, err := db.Exec(`UPDATE conversations SET status = $1 WHERE id = $2`, status, convs[4]); err != nil {
				t.Fatal(err)
			}
			if got, err := st.DueSLA(ctx, ws.ID, *h(4), 100); err != nil || !reflect.DeepEqual(got, want[:3]) {
				t.Fatalf("due with a %s conversation: %+v %v", status, got, err)
			}
		}
	})
}

func TestMarkSLA(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		ws, convs := importConversations(t, st, "velo",
			model.Message{ExternalID: "a", Body: "a", AuthorName: "ana", CreatedAt: t0})
		other := newWorkspace(t, st, "banque")
		lea := addMember(t, st, ws.ID, "lea", model.RoleCM)
		id := convs[0]
		resp, res := t0.Add(time.Hour), t0.Add(8*time.Hour)
		setDues(t, st, ws.ID, id, sla.Dues{Policy: "p", Response: &resp, Resolution: &res})
		if err := st.Assign(ctx, id, ws.ID, &lea.ID, "test", "test"); err != nil {
			t.Fatal(err)
		}
		due, err := st.DueSLA(ctx, ws.ID, resp, 10)
		if err != nil || len(due) != 1 {
			t.Fatalf("due %+v %v", due, err)
		}
		d := due[0]

		if _, err := st.MarkSLA(ctx, ws.ID, store.SLADue{ConversationID: id, Clock: "reply", Due: resp}, sla.StateWarning, "sla"); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("unknown clock: %v, want ErrInvalid", err)
		}
		for _, state := range []string{sla.StateOK, "late"} {
			if _, err := st.MarkSLA(ctx, ws.ID, d, state, "sla"); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("state %q: %v, want ErrInvalid", state, err)
			}
		}
		// Another workspace's id, or a due time that moved, marks nothing.
		if ok, err := st.MarkSLA(ctx, other.ID, d, sla.StateWarning, "sla"); err != nil || ok {
			t.Fatalf("from another workspace: %v %v", ok, err)
		}
		moved := d
		moved.Due = resp.Add(time.Minute)
		if ok, err := st.MarkSLA(ctx, ws.ID, moved, sla.StateWarning, "sla"); err != nil || ok {
			t.Fatalf("moved due time: %v %v", ok, err)
		}

		if ok, err := st.MarkSLA(ctx, ws.ID, d, sla.StateWarning, "sla"); err != nil || !ok {
			t.Fatalf("warning: %v %v", ok, err)
		}
		// Another node read the same clock before: it records nothing.
		if ok, err := st.MarkSLA(ctx, ws.ID, d, sla.StateWarning, "sla"); err != nil || ok {
			t.Fatalf("warning again: %v %v, want false", ok, err)
		}
		if ok, err := st.MarkSLA(ctx, ws.ID, d, sla.StateBreached, "sla"); err != nil || ok {
			t.Fatalf("breach from the old state: %v %v, want false", ok, err)
		}
		if got := conv(t, st, ws.ID, id).SLA; got.Response != sla.StateWarning || got.Resolution != "" {
			t.Fatalf("after warning %+v", got)
		}
		d.State = sla.StateWarning
		if ok, err := st.MarkSLA(ctx, ws.ID, d, sla.StateBreached, "sla"); err != nil || !ok {
			t.Fatalf("breach: %v %v", ok, err)
		}
		if ok, err := st.MarkSLA(ctx, ws.ID, d, sla.StateBreached, "sla"); err != nil || ok {
			t.Fatalf("breach again: %v %v, want false", ok, err)
		}
		// The resolution clock is separate.
		rd := store.SLADue{ConversationID: id, Clock: store.ClockResolution, Due: res}
		if ok, err := st.MarkSLA(ctx, ws.ID, rd, sla.StateBreached, "sla"); err != nil || !ok {
			t.Fatalf("resolution breach: %v %v", ok, err)
		}
		if got := conv(t, st, ws.ID, id).SLA; got.Response != sla.StateBreached || got.Resolution != sla.StateBreached {
			t.Fatalf("after breaches %+v", got)
		}
		if got, err := st.DueSLA(ctx, ws.ID, res.Add(time.Hour), 10); err != nil || len(got) != 0 {
			t.Fatalf("breached clocks still due: %+v %v", got, err)
		}

		warn := historyOf(t, st, ws.ID, id, "sla.warning")
		breach := historyOf(t, st, ws.ID, id, "sla.breach")
		if len(warn) != 1 || len(breach) != 2 {
			t.Fatalf("events: %d warnings, %d breaches; want 1 and 2", len(warn), len(breach))
		}
		checkEvent(t, warn[0], ws.ID, id, "sla", `{"assignee":"lea","clock":"response","due":`+jsonTime(resp)+`}`)
		checkEvent(t, breach[0], ws.ID, id, "sla", `{"assignee":"lea","clock":"response","due":`+jsonTime(resp)+`}`)
		checkEvent(t, breach[1], ws.ID, id, "sla", `{"assignee":"","clock":"resolution","due":`+jsonTime(res)+`}`)
		if n := countRows(t, db, `SELECT COUNT(*) FROM events WHERE action LIKE 'sla.%'`); n != 3 {
			t.Fatalf("%d sla events, want 3", n)
		}
	})
}

func TestReroute(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		ws, convs := importConversations(t, st, "velo",
			model.Message{ExternalID: "a", Body: "a", AuthorName: "ana", CreatedAt: t0},
			model.Message{ExternalID: "b", Body: "b", AuthorName: "bob", CreatedAt: t0.Add(time.Minute)})
		other := newWorkspace(t, st, "banque")
		lea, max := addMember(t, st, ws.ID, "lea", model.RoleCM), addMember(t, st, ws.ID, "max", model.RoleCM)
		a, b := convs[0], convs[1]
		if err := st.Assign(ctx, a, ws.ID, &lea.ID, "test", "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`UPDATE conversations SET previous_assignee_id = $1 WHERE id = $2`, max.ID, a); err != nil {
			t.Fatal(err)
		}

		if err := st.Reroute(ctx, other.ID, a, "x", "sla"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("from another workspace: %v, want ErrNotFound", err)
		}
		if err := st.Reroute(ctx, ws.ID, 999999, "x", "sla"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing conversation: %v, want ErrNotFound", err)
		}
		if c := conv(t, st, ws.ID, a); c.Assignee != "lea" {
			t.Fatalf("refused re-routes changed the conversation: %+v", c)
		}

		reason := "SLA response breached while with lea: routed again"
		if err := st.Reroute(ctx, ws.ID, a, reason, "sla"); err != nil {
			t.Fatal(err)
		}
		c := conv(t, st, ws.ID, a)
		if c.AssigneeID != nil || c.Assignee != "" || c.AssignedAt != nil || c.AssignmentReason != reason {
			t.Fatalf("after re-route %+v", c)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM conversations WHERE id = $1 AND previous_assignee_id IS NULL`, a); n != 1 {
			t.Fatal("previous assignee kept: routing would give it back to them")
		}
		evs := historyOf(t, st, ws.ID, a, "conversation.assign")
		checkEvent(t, evs[len(evs)-1], ws.ID, a, "sla", `{"assignee":null,"before":"lea","reason":"`+reason+`"}`)
		unrouted, err := st.UnroutedConversations(ctx, ws.ID, 0, 10)
		if err != nil || len(unrouted) != 2 || unrouted[0].ID != a {
			t.Fatalf("unrouted after re-route %+v %v", unrouted, err)
		}

		// Nobody held b: the event says so.
		if err := st.Reroute(ctx, ws.ID, b, "why", "sla"); err != nil {
			t.Fatal(err)
		}
		evs = historyOf(t, st, ws.ID, b, "conversation.assign")
		if len(evs) != 1 {
			t.Fatalf("events of b %+v", evs)
		}
		checkEvent(t, evs[0], ws.ID, b, "sla", `{"assignee":null,"before":null,"reason":"why"}`)
	})
}
