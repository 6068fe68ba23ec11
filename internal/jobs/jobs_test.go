package jobs_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"palabre/internal/ingest"
	"palabre/internal/jobs"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// wait is how long a test waits for something that should happen at once.
const wait = 5 * time.Second

// counted is a job that counts its rounds and signals each on a channel.
type counted struct {
	n    atomic.Int64
	runs chan time.Time
}

func newCounted() *counted { return &counted{runs: make(chan time.Time, 100)} }

func (c *counted) job(name string, every time.Duration) jobs.Job {
	return jobs.Job{Name: name, Every: every, Run: func(_ context.Context, now time.Time) error {
		c.n.Add(1)
		select {
		case c.runs <- now:
		default:
		}
		return nil
	}}
}

// next waits for the job's next round and returns the time it was given.
func (c *counted) next(t *testing.T, what string) time.Time {
	t.Helper()
	select {
	case now := <-c.runs:
		return now
	case <-time.After(wait):
		t.Fatalf("%s: no round within %s", what, wait)
		return time.Time{}
	}
}

// run starts the runner and returns a function that stops it and waits
// (bounded) for Run to return.
func run(t *testing.T, r *jobs.Runner) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		r.Run(ctx)
		close(done)
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case <-done:
		case <-time.After(wait):
			t.Errorf("Run did not return within %s of its context ending", wait)
		}
	}
	t.Cleanup(stop)
	return stop
}

func TestRunnerRunsAtStartAndOnPeriod(t *testing.T) {
	t.Parallel()
	fast, slow := newCounted(), newCounted()
	r := jobs.NewRunner(slog.New(slog.DiscardHandler), fast.job("fast", 10*time.Millisecond), slow.job("slow", time.Hour))
	before := time.Now()
	stop := run(t, r)
	if now := slow.next(t, "slow job at start"); now.Before(before) || now.After(time.Now()) {
		t.Fatalf("slow job ran with now %v, want the time of its round", now)
	}
	for range 3 {
		fast.next(t, "fast job round")
	}
	stop()
	if n := slow.n.Load(); n != 1 {
		t.Fatalf("hourly job ran %d times in its first hour, want once", n)
	}
	// Once Run returned no round starts any more.
	n := fast.n.Load()
	time.Sleep(30 * time.Millisecond)
	if m := fast.n.Load(); m != n {
		t.Fatalf("fast job ran %d more times after Run returned", m-n)
	}
}

func TestRunnerKick(t *testing.T) {
	t.Parallel()
	kicked, plain := newCounted(), newCounted()
	r := jobs.NewRunner(slog.New(slog.DiscardHandler), jobs.Kicked(kicked.job("kicked", time.Hour)), plain.job("plain", time.Hour))
	if j := jobs.Kicked(jobs.Job{Name: "x"}); !j.OnKick || j.Name != "x" || j.KickGap != jobs.DefaultKickGap {
		t.Fatalf("Kicked gave %+v", j)
	}
	// Kick never blocks, even with nobody listening.
	idle := jobs.NewRunner(slog.New(slog.DiscardHandler), jobs.Kicked(newCounted().job("idle", time.Hour)))
	for range 10 {
		idle.Kick()
	}
	stop := run(t, r)
	kicked.next(t, "kicked job at start")
	plain.next(t, "plain job at start")
	const base = 1
	for i := range 3 {
		r.Kick()
		kicked.next(t, "kicked job after Kick")
		if n := kicked.n.Load(); n != base+int64(i)+1 {
			t.Fatalf("after kick %d the kicked job ran %d times, want %d", i+1, n, base+int64(i)+1)
		}
	}
	stop()
	if n := plain.n.Load(); n != 1 {
		t.Fatalf("a job not marked OnKick ran %d times, want once (at start)", n)
	}
}

// TestRunnerKickGap kicks a job without pause: its rounds start KickGap
// apart at least, each taking every kick since the last, and a kick
// after a quiet spell runs at once.
func TestRunnerKickGap(t *testing.T) {
	t.Parallel()
	const gap = 150 * time.Millisecond
	c := newCounted()
	j := c.job("kicked", time.Hour)
	j.OnKick, j.KickGap = true, gap
	r := jobs.NewRunner(slog.New(slog.DiscardHandler), j)
	stop := run(t, r)
	first := c.next(t, "job at start")
	deadline := time.Now().Add(3 * gap)
	for time.Now().Before(deadline) {
		r.Kick()
		time.Sleep(time.Millisecond)
	}
	stop()
	// About three gaps of kicks: three rounds (four at most with the
	// round at start), not hundreds.
	if n := c.n.Load(); n < 2 || n > 4 {
		t.Fatalf("%d rounds for %s of kicks with a gap of %s", n, 3*gap, gap)
	}
	rounds := []time.Time{first}
	for {
		select {
		case at := <-c.runs:
			rounds = append(rounds, at)
			continue
		default:
		}
		break
	}
	for i := 1; i < len(rounds); i++ {
		if d := rounds[i].Sub(rounds[i-1]); d < gap {
			t.Errorf("round %d began %s after the one before, under the gap of %s", i, d, gap)
		}
	}

	// A kick long after the last round is not delayed.
	c2 := newCounted()
	j2 := c2.job("quiet", time.Hour)
	j2.OnKick, j2.KickGap = true, gap
	r2 := jobs.NewRunner(slog.New(slog.DiscardHandler), j2)
	run(t, r2)
	c2.next(t, "job at start")
	time.Sleep(gap + 50*time.Millisecond)
	kicked := time.Now()
	r2.Kick()
	if at := c2.next(t, "round after a quiet kick"); at.Sub(kicked) > gap/2 {
		t.Errorf("a kick after a quiet spell ran %s later", at.Sub(kicked))
	}
}

// TestRunnerKickShare kicks without pause a job whose rounds are slow:
// they start KickShare round lengths apart, not KickGap apart — unless
// the job's period comes first.
func TestRunnerKickShare(t *testing.T) {
	t.Parallel()
	const took = 20 * time.Millisecond
	for _, c := range []struct {
		name     string
		every    time.Duration
		min, max time.Duration // between rounds
	}{
		{"hourly", time.Hour, jobs.KickShare * took, wait},
		{"every 80ms", 80 * time.Millisecond, 80 * time.Millisecond, jobs.KickShare * took},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			starts := make(chan time.Time, 100)
			j := jobs.Job{Name: "slow", Every: c.every, OnKick: true, KickGap: time.Millisecond,
				Run: func(ctx context.Context, now time.Time) error {
					select {
					case starts <- now:
					default:
					}
					time.Sleep(took)
					return nil
				}}
			r := jobs.NewRunner(slog.New(slog.DiscardHandler), j)
			stop := run(t, r)
			deadline := time.Now().Add(3 * jobs.KickShare * took)
			for time.Now().Before(deadline) {
				r.Kick()
				time.Sleep(time.Millisecond)
			}
			stop()
			close(starts)
			var rounds []time.Time
			for at := range starts {
				rounds = append(rounds, at)
			}
			if len(rounds) < 2 {
				t.Fatalf("%d rounds in %s of kicks", len(rounds), 3*jobs.KickShare*took)
			}
			for i := 1; i < len(rounds); i++ {
				// A tick may come a little early or late: a tenth off.
				if d := rounds[i].Sub(rounds[i-1]); d < c.min*9/10 || d > c.max*11/10 {
					t.Errorf("round %d began %s after the one before, want from %s to %s", i, d, c.min, c.max)
				}
			}
		})
	}
}

func TestRunnerFinishesRoundAndLogsErrors(t *testing.T) {
	t.Parallel()
	var logs testutil.SyncBuffer
	started, release := make(chan struct{}), make(chan struct{})
	var finished atomic.Bool
	failing := newCounted()
	r := jobs.NewRunner(slog.New(slog.NewTextHandler(&logs, nil)),
		jobs.Job{Name: "slow round", Every: time.Hour, Run: func(context.Context, time.Time) error {
			close(started)
			<-release // a round ignoring its context, to the end
			finished.Store(true)
			return nil
		}},
		jobs.Job{Name: "failing", Every: time.Hour, Run: func(_ context.Context, now time.Time) error {
			failing.runs <- now
			return errors.New("disk on fire")
		}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		r.Run(ctx)
		close(done)
	}()
	select {
	case <-started:
	case <-time.After(wait):
		t.Fatal("slow job did not start")
	}
	failing.next(t, "failing job")
	deadline := time.Now().Add(wait)
	for !strings.Contains(logs.String(), "disk on fire") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if l := logs.String(); !strings.Contains(l, `msg="job failed" job=failing error="disk on fire"`) {
		t.Fatalf("log %q, want the failing job's error", l)
	}
	cancel()
	select {
	case <-done:
		t.Fatal("Run returned while a round was in progress")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("Run did not return after the round ended")
	}
	if !finished.Load() {
		t.Fatal("the round was not finished")
	}
}

// TestRoutingJob routes the unassigned conversations of every workspace.
func TestRoutingJob(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		cms := map[int64]int64{} // workspace → its CM
		var wss []model.Workspace
		for i, slug := range []string{"velo", "banque"} {
			ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: slug})
			if err != nil {
				t.Fatal(err)
			}
			wss = append(wss, ws)
			u, err := st.CreateUser(ctx, model.User{Login: "cm-" + slug}, "hash", "test")
			if err != nil {
				t.Fatal(err)
			}
			if err := st.SetMembership(ctx, u.ID, ws.ID, model.RoleCM, "test"); err != nil {
				t.Fatal(err)
			}
			cms[ws.ID] = u.ID
			msgs := []model.Message{
				{ExternalID: "a", Body: "Bonjour", AuthorName: "ana", CreatedAt: t0.Add(time.Duration(i) * time.Minute)},
				{ExternalID: "b", Body: "Hello", AuthorName: "bob", CreatedAt: t0.Add(time.Duration(i+2) * time.Minute)},
			}
			if _, err := ingest.Import(ctx, st, ingest.FromMessages(msgs), ingest.Options{Workspace: ws, Channel: "forum"}); err != nil {
				t.Fatal(err)
			}
		}
		// A workspace without any CM is left alone.
		empty, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "vide"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ingest.Import(ctx, st, ingest.FromMessages([]model.Message{{ExternalID: "z", Body: "?", AuthorName: "zoe", CreatedAt: t0}}),
			ingest.Options{Workspace: empty, Channel: "forum"}); err != nil {
			t.Fatal(err)
		}

		job := jobs.Routing(st, time.Minute)
		if job.Name != "routing" || job.Every != time.Minute || job.OnKick {
			t.Fatalf("job %+v", job)
		}
		for range 2 { // the second round finds nothing to do
			if err := job.Run(ctx, t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		for _, ws := range wss {
			page, err := st.Conversations(ctx, ws.ID, store.ConversationFilter{})
			if err != nil || len(page.Conversations) != 2 {
				t.Fatalf("%s: %+v %v", ws.Slug, page, err)
			}
			for _, c := range page.Conversations {
				if c.AssigneeID == nil || *c.AssigneeID != cms[ws.ID] || c.Assignee != "cm-"+ws.Slug {
					t.Errorf("%s conversation %d: assignee %v %q, want cm-%s", ws.Slug, c.ID, c.AssigneeID, c.Assignee, ws.Slug)
				}
			}
			if n := countAction(t, st, ws.ID, "conversation.assign"); n != 2 {
				t.Errorf("%s: %d assign events, want 2 (none from the second round)", ws.Slug, n)
			}
		}
		page, err := st.Conversations(ctx, empty.ID, store.ConversationFilter{})
		if err != nil || len(page.Conversations) != 1 || page.Conversations[0].AssigneeID != nil || page.Conversations[0].AssignmentReason != "" {
			t.Fatalf("workspace without CMs: %+v %v", page, err)
		}
	})
}

// TestSnoozeJob wakes the conversations whose snooze ended.
func TestSnoozeJob(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "velo"})
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now().Add(-time.Hour)
		if _, err := ingest.Import(ctx, st, ingest.FromMessages([]model.Message{{ExternalID: "a", Body: "a", AuthorName: "ana", CreatedAt: t0}}),
			ingest.Options{Workspace: ws, Channel: "forum"}); err != nil {
			t.Fatal(err)
		}
		page, err := st.Conversations(ctx, ws.ID, store.ConversationFilter{})
		if err != nil || len(page.Conversations) != 1 {
			t.Fatalf("%+v %v", page, err)
		}
		id := page.Conversations[0].ID
		until := store.TruncateTime(time.Now().Add(time.Hour))
		if _, err := st.ChangeConversations(ctx, ws.ID, []int64{id}, store.ConversationChange{SnoozeUntil: &until}, "lea", time.Now()); err != nil {
			t.Fatal(err)
		}
		job := jobs.Snooze(st, time.Minute)
		if err := job.Run(ctx, until.Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if c, err := st.WorkspaceConversation(ctx, ws.ID, id); err != nil || c.SnoozedUntil == nil {
			t.Fatalf("woken before its time: %+v %v", c, err)
		}
		if err := job.Run(ctx, until.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		if c, err := st.WorkspaceConversation(ctx, ws.ID, id); err != nil || c.SnoozedUntil != nil {
			t.Fatalf("still snoozed after its time: %+v %v", c, err)
		}
	})
}

// countAction counts a workspace's audit events with that action.
func countAction(t *testing.T, st *store.Store, workspaceID int64, action string) int {
	t.Helper()
	return len(eventsOf(t, st, workspaceID, action))
}

// eventsOf lists a workspace's audit events with that action, oldest first.
func eventsOf(t *testing.T, st *store.Store, workspaceID int64, action string) []model.Event {
	t.Helper()
	evs, err := st.Events(context.Background(), workspaceID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []model.Event
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Action == action {
			out = append(out, evs[i])
		}
	}
	return out
}
