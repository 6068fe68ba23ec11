package jobs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"palabre/internal/ingest"
	"palabre/internal/jobs"
	"palabre/internal/model"
	"palabre/internal/sla"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// TestSLAJob follows one conversation of a workspace open Monday to Friday,
// 09:00 to 18:00 in Paris, promising a first response within an hour and
// warning half an hour before: written on Monday at 17:30, its answer is
// due on Tuesday at 09:30; the job warns at 09:10, and at 09:31 records the
// breach, raises the priority and takes the conversation from its CM.
func TestSLAJob(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		paris, err := time.LoadLocation("Europe/Paris")
		if err != nil {
			t.Fatal(err)
		}
		ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "velo"})
		if err != nil {
			t.Fatal(err)
		}
		// A workspace without SLA settings: its clocks never run.
		bare, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "banque"})
		if err != nil {
			t.Fatal(err)
		}
		week := model.WeeklyHours{}
		for _, d := range []string{"mon", "tue", "wed", "thu", "fri"} {
			week[d] = []string{"09:00-18:00"}
		}
		settings := sla.Settings{
			Calendar:   sla.Calendar{TimeZone: "Europe/Paris", Hours: week},
			WarnBefore: sla.Duration(30 * time.Minute),
			Policies:   []sla.Policy{{Name: "default", FirstResponse: sla.Duration(time.Hour)}},
			Escalation: sla.Escalation{Notify: true, RaisePriority: true, Reroute: true},
		}
		if err := st.SetSLASettings(ctx, ws.ID, settings, "max"); err != nil {
			t.Fatal(err)
		}
		lea, err := st.CreateUser(ctx, model.User{Login: "lea"}, "hash", "test")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SetMembership(ctx, lea.ID, ws.ID, model.RoleCM, "test"); err != nil {
			t.Fatal(err)
		}

		written := time.Date(2026, 3, 2, 17, 30, 0, 0, paris) // a Monday
		due := time.Date(2026, 3, 3, 9, 30, 0, 0, paris).UTC()
		id := importOne(t, st, ws, "a", written)
		bareID := importOne(t, st, bare, "b", written)
		if err := st.Assign(ctx, id, ws.ID, &lea.ID, "test", "test"); err != nil {
			t.Fatal(err)
		}

		job := jobs.SLA(st, time.Minute)
		if job.Name != "sla" || job.Every != time.Minute {
			t.Fatalf("job %+v", job)
		}
		round := func(now time.Time) model.Conversation {
			t.Helper()
			if err := job.Run(ctx, now); err != nil {
				t.Fatalf("round at %v: %v", now, err)
			}
			c, err := st.WorkspaceConversation(ctx, ws.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		slaEvents := func() (warnings, breaches int) {
			return countAction(t, st, ws.ID, "sla.warning"), countAction(t, st, ws.ID, "sla.breach")
		}

		// Just after the message: the due time, in business time.
		c := round(written.Add(time.Minute))
		if c.SLA.Policy != "default" || c.SLA.ResponseDueAt == nil || !c.SLA.ResponseDueAt.Equal(due) ||
			c.SLA.ResolutionDueAt != nil || c.SLA.Response != "" || c.Assignee != "lea" || c.Priority != model.PriorityNormal {
			t.Fatalf("after the first round: %+v, want the response due at %v", c, due)
		}
		if w, b := slaEvents(); w != 0 || b != 0 {
			t.Fatalf("%d warnings, %d breaches after the first round", w, b)
		}
		// The workspace without settings is left as it is.
		bc, err := st.WorkspaceConversation(ctx, bare.ID, bareID)
		if err != nil || bc.SLA != (model.SLAClocks{}) {
			t.Fatalf("workspace without SLA: %+v %v", bc.SLA, err)
		}
		if in, err := st.StaleSLA(ctx, bare.ID, 0, 10); err != nil || len(in) != 1 {
			t.Fatalf("workspace without SLA: stale %+v %v", in, err)
		}

		// 09:10 on Tuesday: 20 minutes of business time left.
		c = round(due.Add(-20 * time.Minute))
		if c.SLA.Response != sla.StateWarning || c.Assignee != "lea" || c.Priority != model.PriorityNormal {
			t.Fatalf("at due-20m: %+v, want a warning only", c)
		}
		warn := eventsOf(t, st, ws.ID, "sla.warning")
		if len(warn) != 1 || warn[0].Actor != jobs.SLAActor || warn[0].ConversationID != id ||
			warn[0].Detail != fmt.Sprintf(`{"assignee":"lea","clock":"response","due":%q}`, due.Format(time.RFC3339Nano)) {
			t.Fatalf("warning events %+v", warn)
		}
		if _, b := slaEvents(); b != 0 {
			t.Fatalf("%d breaches at due-20m", b)
		}
		// Again: nothing new.
		round(due.Add(-10 * time.Minute))
		if w, b := slaEvents(); w != 1 || b != 0 {
			t.Fatalf("%d warnings, %d breaches after a second round before the due time", w, b)
		}

		// 09:31: breached and escalated.
		c = round(due.Add(time.Minute))
		if c.SLA.Response != sla.StateBreached || c.Priority != model.PriorityHigh || c.AssigneeID != nil || c.Assignee != "" ||
			c.AssignmentReason != "SLA response breached while with lea: routed again" {
			t.Fatalf("after the breach: %+v", c)
		}
		breach := eventsOf(t, st, ws.ID, "sla.breach")
		if len(breach) != 1 || breach[0].Actor != jobs.SLAActor || breach[0].ConversationID != id {
			t.Fatalf("breach events %+v", breach)
		}
		prio := eventsOf(t, st, ws.ID, "conversation.priority")
		assign := eventsOf(t, st, ws.ID, "conversation.assign")
		if len(prio) != 1 || prio[0].Actor != jobs.SLAActor || len(assign) == 0 || assign[len(assign)-1].Actor != jobs.SLAActor {
			t.Fatalf("escalation events: priority %+v, assign %+v", prio, assign)
		}

		// Later rounds do nothing more: the priority change made the clocks
		// stale, the due time did not move, the breach is kept.
		nEvents := len(allOf(t, st, ws.ID))
		for _, now := range []time.Time{due.Add(2 * time.Minute), due.Add(time.Hour)} {
			c = round(now)
			if c.SLA.Response != sla.StateBreached || !c.SLA.ResponseDueAt.Equal(due) || c.Priority != model.PriorityHigh || c.AssigneeID != nil {
				t.Fatalf("round at %v after the breach: %+v", now, c)
			}
		}
		if n := len(allOf(t, st, ws.ID)); n != nEvents {
			t.Fatalf("%d events after the breach rounds, want %d: %+v", n, nEvents, allOf(t, st, ws.ID))
		}
	})
}

// TestSLAJobEscalationOff: a workspace that escalates nothing still
// records the breach, once.
func TestSLAJobEscalationOff(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "velo"})
		if err != nil {
			t.Fatal(err)
		}
		settings := sla.Settings{
			Calendar: sla.Calendar{TimeZone: "UTC"}, // around the clock
			Policies: []sla.Policy{{Name: "p", FirstResponse: sla.Duration(2 * time.Hour), Resolution: sla.Duration(3 * time.Hour)}},
		}
		if err := st.SetSLASettings(ctx, ws.ID, settings, "max"); err != nil {
			t.Fatal(err)
		}
		lea, err := st.CreateUser(ctx, model.User{Login: "lea"}, "hash", "test")
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 3, 7, 23, 0, 0, 0, time.UTC) // a Saturday night: no calendar, no pause
		id := importOne(t, st, ws, "a", t0)
		if err := st.Assign(ctx, id, ws.ID, &lea.ID, "test", "test"); err != nil {
			t.Fatal(err)
		}
		job := jobs.SLA(st, time.Minute)
		for _, now := range []time.Time{t0, t0.Add(2 * time.Hour), t0.Add(3 * time.Hour), t0.Add(4 * time.Hour)} {
			if err := job.Run(ctx, now); err != nil {
				t.Fatal(err)
			}
		}
		c, err := st.WorkspaceConversation(ctx, ws.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if !c.SLA.ResponseDueAt.Equal(t0.Add(2*time.Hour)) || !c.SLA.ResolutionDueAt.Equal(t0.Add(3*time.Hour)) ||
			c.SLA.Response != sla.StateBreached || c.SLA.Resolution != sla.StateBreached || c.Priority != model.PriorityNormal || c.Assignee != "lea" {
			t.Fatalf("after the breaches: %+v", c)
		}
		if w, b := countAction(t, st, ws.ID, "sla.warning"), countAction(t, st, ws.ID, "sla.breach"); w != 0 || b != 2 {
			t.Fatalf("%d warnings and %d breaches, want none (no warning delay) and one per clock", w, b)
		}
	})
}

// importOne imports one customer message as a new conversation of ws and
// returns the conversation's id.
func importOne(t *testing.T, st *store.Store, ws model.Workspace, externalID string, at time.Time) int64 {
	t.Helper()
	ctx := context.Background()
	if _, err := ingest.Import(ctx, st, ingest.FromMessages([]model.Message{{ExternalID: externalID, Body: "Au secours",
		AuthorName: "ana", CreatedAt: at}}), ingest.Options{Workspace: ws, Channel: "forum"}); err != nil {
		t.Fatal(err)
	}
	page, err := st.Conversations(ctx, ws.ID, store.ConversationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range page.Conversations {
		if c.RootExternalID == externalID {
			return c.ID
		}
	}
	t.Fatalf("conversation %s not found", externalID)
	return 0
}

// allOf lists a workspace's audit events, newest first.
func allOf(t *testing.T, st *store.Store, workspaceID int64) []model.Event {
	t.Helper()
	evs, err := st.Events(context.Background(), workspaceID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// settingsChangedMidRound is a store on which a manager saves new SLA
// settings right after the SLA job read the stale conversations.
type settingsChangedMidRound struct {
	*store.Store
	workspaceID int64
	newer       sla.Settings
	done        bool
}

func (s *settingsChangedMidRound) StaleSLA(ctx context.Context, workspaceID, afterID int64, limit int) ([]store.SLAInput, error) {
	in, err := s.Store.StaleSLA(ctx, workspaceID, afterID, limit)
	if err == nil && !s.done && workspaceID == s.workspaceID {
		s.done = true
		err = s.SetSLASettings(ctx, workspaceID, s.newer, "max")
	}
	return in, err
}

// TestSLAJobSettingsChangedDuringRound: settings saved while a round
// computes due times under the old ones must not be lost: the
// conversation's due time ends up computed under the new settings.
func TestSLAJobSettingsChangedDuringRound(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "velo"})
		if err != nil {
			t.Fatal(err)
		}
		old := sla.Settings{Calendar: sla.Calendar{TimeZone: "UTC"},
			Policies: []sla.Policy{{Name: "p", FirstResponse: sla.Duration(4 * time.Hour)}}}
		if err := st.SetSLASettings(ctx, ws.ID, old, "max"); err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		id := importOne(t, st, ws, "a", t0)
		newer := old
		newer.Policies = []sla.Policy{{Name: "p", FirstResponse: sla.Duration(time.Hour)}}
		job := jobs.SLA(&settingsChangedMidRound{Store: st, workspaceID: ws.ID, newer: newer}, time.Minute)
		for range 2 {
			if err := job.Run(ctx, t0.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		c, err := st.WorkspaceConversation(ctx, ws.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if want := t0.Add(time.Hour); c.SLA.ResponseDueAt == nil || !c.SLA.ResponseDueAt.Equal(want) {
			t.Fatalf("response due at %v, want %v under the settings saved during the first round", c.SLA.ResponseDueAt, want)
		}
	})
}
