package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"palabre/internal/ingest"
	"palabre/internal/metrics"
	"palabre/internal/metrics/metricstest"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// TestMetricFacts stores the hand-built month of internal/metricstest and
// reads its facts back: the metrics computed from them are those worked
// out by hand (metrics' own tests pin them), on both engines, for the
// workspace and for slices of it.
func TestMetricFacts(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		want, p := metricstest.March(t)
		ws := newWorkspace(t, st, "velo")
		// A conversation that ended before the month and one that began
		// after it: read or not, they change nothing.
		loadMonth(t, st, db, ws, want)
		got, err := st.MetricFacts(ctx, ws.ID, p, want.Now)
		if err != nil {
			t.Fatal(err)
		}
		got.Clock = want.Clock
		for name, keep := range map[string]func(metrics.Conversation) bool{
			"workspace": nil,
			"lea":       func(c metrics.Conversation) bool { return c.Assignee == "lea" },
			"forum":     func(c metrics.Conversation) bool { return c.Channel == "forum" },
			"expert":    func(c metrics.Conversation) bool { return c.WithExpert },
		} {
			if g, w := metrics.Compute(got, p, keep), metrics.Compute(want, p, keep); g != w {
				t.Errorf("%s, from the store:\n got %+v\nwant %+v", name, g, w)
			}
		}
		// The most engaged, scored alike (the store's member ids are its
		// own).
		ge, we := metrics.Engaged(got, p, metrics.DefaultWeights(), 10), metrics.Engaged(want, p, metrics.DefaultWeights(), 10)
		if len(ge) != len(we) || len(ge) != 3 {
			t.Fatalf("engaged from the store %+v, want %+v", ge, we)
		}
		for i := range ge {
			g, w := ge[i], we[i]
			if g.Score != w.Score || g.Messages != w.Messages || g.Days != w.Days || g.Helpful != w.Helpful || g.Name != w.MemberID {
				t.Errorf("engaged %d from the store %+v, want %+v", i, g, w)
			}
		}
		if len(got.Conversations) < 5 {
			t.Errorf("read %d conversations, want the month's", len(got.Conversations))
		}
		for _, c := range got.Conversations {
			if c.Channel == "old" || c.Channel == "later" {
				t.Errorf("read %s's conversation %+v", c.Channel, c)
			}
		}
	})
}

// loadMonth stores the month's facts: each conversation's messages
// through ingest (in its channel, rooted at c<ID>), then its assignee,
// state, due time and expert as the workflow would have left them; and
// two conversations outside the month.
func loadMonth(t *testing.T, st *store.Store, db *sql.DB, ws model.Workspace, f metrics.Facts) {
	t.Helper()
	ctx := context.Background()
	users := map[string]int64{}
	for _, login := range []string{"lea", "hugo", "claire"} {
		u, err := st.CreateUser(ctx, model.User{Login: login, Name: login}, "x", "test")
		if err != nil {
			t.Fatal(err)
		}
		users[login] = u.ID
	}
	root := func(id int64) string { return fmt.Sprintf("https://blog.example/c%d", id) }
	convs := append([]metrics.Conversation{}, f.Conversations...)
	msgs := append([]metrics.Message{}, f.Messages...)
	jan := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	convs = append(convs, metrics.Conversation{ID: 100, Channel: "old", ClosedAt: &jan, ResolvedAt: &jan},
		metrics.Conversation{ID: 101, Channel: "later"})
	msgs = append(msgs, metrics.Message{ConversationID: 100, At: jan.Add(-time.Hour), Intent: "question"},
		metrics.Message{ConversationID: 100, At: jan.Add(-time.Minute), Staff: true},
		metrics.Message{ConversationID: 101, At: time.Date(2026, 4, 3, 10, 0, 0, 0, time.UTC), Intent: "question"})
	for _, c := range convs {
		var batch []model.Message
		for i, m := range msgs {
			if m.ConversationID != c.ID {
				continue
			}
			author, email := m.MemberID, ""
			if m.MemberID != "" {
				email = m.MemberID + "@example.org"
			}
			if m.Staff {
				author = "Équipe"
			}
			batch = append(batch, model.Message{ExternalID: fmt.Sprintf("%s#m%d", root(c.ID), i), ConversationExternalID: root(c.ID),
				Body: "message", AuthorName: author, AuthorEmail: email, AuthorIsStaff: m.Staff, CreatedAt: m.At,
				Sentiment: m.Sentiment, Intent: m.Intent})
		}
		if _, err := ingest.Import(ctx, st, ingest.FromMessages(batch), ingest.Options{Workspace: ws, Channel: c.Channel}); err != nil {
			t.Fatal(err)
		}
		var id int64
		if err := db.QueryRowContext(ctx, `SELECT id FROM conversations WHERE root_external_id = $1`, root(c.ID)).Scan(&id); err != nil {
			t.Fatal(err)
		}
		micros := func(at *time.Time) any {
			if at == nil {
				return nil
			}
			return at.UnixMicro()
		}
		var assignee any
		if c.Assignee != "" {
			assignee = users[c.Assignee]
		}
		status := model.ConvOpen
		if c.ClosedAt != nil {
			status = model.ConvResolved
		}
		if _, err := db.ExecContext(ctx, `UPDATE conversations SET assignee_id = $1, status = $2, status_at = $3, resolved_at = $4,
			response_due_at = $5 WHERE id = $6`, assignee, status, micros(c.ClosedAt), micros(c.ResolvedAt), micros(c.ResponseDueAt), id); err != nil {
			t.Fatal(err)
		}
		if c.WithExpert {
			if _, err := db.ExecContext(ctx, `INSERT INTO participants (conversation_id, user_id, workspace_id, added_by, created_at)
				VALUES ($1, $2, $3, 'lea', 0)`, id, users["claire"], ws.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestInsightMessages reads the customers' messages of a period, newest
// first, without the team's, spam, trash, or those of other periods and
// workspaces.
func TestInsightMessages(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws, other := newWorkspace(t, st, "velo"), newWorkspace(t, st, "banque")
		at := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		msg := func(id, status string, staff bool, when time.Time) model.Message {
			return model.Message{ExternalID: "https://blog.example/p#" + id, ConversationExternalID: "https://blog.example/p", Body: "body " + id,
				AuthorName: "Ana", AuthorIsStaff: staff, Status: status, CreatedAt: when, Lang: "fr", Intent: "question",
				Topics: []string{"livraison"}}
		}
		msgs := []model.Message{msg("a", model.StatusApproved, false, at), msg("b", model.StatusApproved, false, at.Add(time.Hour)),
			msg("staff", model.StatusApproved, true, at), msg("spam", model.StatusSpam, false, at), msg("trash", model.StatusTrash, false, at),
			msg("held", model.StatusPending, false, at.Add(-time.Hour)), msg("april", model.StatusApproved, false, at.AddDate(0, 1, 0))}
		for _, w := range []model.Workspace{ws, other} {
			if _, err := ingest.Import(ctx, st, ingest.FromMessages(msgs), ingest.Options{Workspace: w, Channel: "blog"}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := st.InsightMessages(ctx, ws.ID, metrics.Period{From: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}, 10)
		if err != nil {
			t.Fatal(err)
		}
		var bodies []string
		for _, m := range got {
			bodies = append(bodies, m.Body)
		}
		if fmt.Sprint(bodies) != "[body b body a body held]" || got[0].Lang != "fr" || got[0].Intent != "question" ||
			len(got[0].Topics) != 1 || got[0].Topics[0] != "livraison" || !got[1].At.Equal(at) {
			t.Errorf("read %q: %+v", bodies, got)
		}
		if two, err := st.InsightMessages(ctx, ws.ID, metrics.Period{From: at.AddDate(0, -1, 0), To: at.AddDate(0, 2, 0)}, 2); err != nil || len(two) != 2 || two[0].Body != "body april" {
			t.Errorf("the newest two: %+v, %v", two, err)
		}
	})
}

func TestEngagementWeights(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws, other := newWorkspace(t, st, "velo"), newWorkspace(t, st, "banque")
		if w, err := st.EngagementWeights(ctx, ws.ID); err != nil || w != metrics.DefaultWeights() {
			t.Fatalf("before any: %+v, %v", w, err)
		}
		mine := metrics.Weights{Messages: 0.5, Helpful: 10}
		for range 2 { // set twice: replaced
			if err := st.SetEngagementWeights(ctx, ws.ID, mine, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if w, err := st.EngagementWeights(ctx, ws.ID); err != nil || w != mine {
			t.Errorf("after: %+v, %v", w, err)
		}
		if w, err := st.EngagementWeights(ctx, other.ID); err != nil || w != metrics.DefaultWeights() {
			t.Errorf("another workspace's: %+v, %v", w, err)
		}
		if err := st.SetEngagementWeights(ctx, ws.ID, metrics.Weights{Days: -2}, time.Now()); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("a negative weight: %v", err)
		}
	})
}

// TestMetricFactsWaiting reads a month whose backlog holds conversations
// of the month before: they come without their messages, with their start
// and first answer, and count in the backlog (and in their topic's slice)
// as if their messages had been read.
func TestMetricFactsWaiting(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		ws := newWorkspace(t, st, "velo")
		z := func(s string) time.Time {
			at, err := time.Parse(time.RFC3339, s)
			if err != nil {
				t.Fatal(err)
			}
			return at
		}
		var msgs []model.Message
		add := func(conv, at string, staff bool, topics ...string) {
			msgs = append(msgs, model.Message{ExternalID: conv + at, ConversationExternalID: conv, Body: "x", AuthorName: "Anne",
				AuthorEmail: "anne@example.org", AuthorIsStaff: staff, CreatedAt: z(at), Intent: "question", Topics: topics})
		}
		add("a", "2026-02-10T10:00:00Z", false, "livraison")
		add("a", "2026-02-10T12:00:00Z", true)
		add("b", "2026-02-20T09:00:00Z", false)
		add("c", "2026-02-05T09:00:00Z", false)
		add("c", "2026-02-05T10:00:00Z", true)
		add("d", "2026-03-10T08:00:00Z", false)
		if _, err := ingest.Import(ctx, st, ingest.FromMessages(msgs), ingest.Options{Workspace: ws, Channel: "blog"}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `UPDATE conversations SET status = $1, status_at = $2, resolved_at = $2 WHERE root_external_id = 'c'`,
			model.ConvResolved, z("2026-02-06T09:00:00Z").UnixMicro()); err != nil {
			t.Fatal(err)
		}
		march := metrics.Period{From: z("2026-03-01T00:00:00Z"), To: z("2026-04-01T00:00:00Z")}
		f, err := st.MetricFacts(ctx, ws.ID, march, z("2026-04-02T00:00:00Z"))
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Messages) != 1 || len(f.Conversations) != 3 {
			t.Fatalf("read %d messages of %d conversations, want d's one of a, b and d", len(f.Messages), len(f.Conversations))
		}
		r := metrics.Compute(f, march, nil)
		ageOf := func(start string) int64 { return int64(march.To.Sub(z(start)) / time.Second) }
		want := metrics.Backlog{Open: 3, Unanswered: 2, MedianAge: ageOf("2026-02-20T09:00:00Z"), OldestAge: ageOf("2026-02-10T10:00:00Z")}
		if r.Backlog != want || r.In != 1 || r.Conversations != 1 {
			t.Errorf("March: backlog %+v, want %+v; in %d, conversations %d", r.Backlog, want, r.In, r.Conversations)
		}
		topic := metrics.Compute(f, march, func(c metrics.Conversation) bool { return slices.Contains(c.Topics, "livraison") })
		if topic.Backlog.Open != 1 || topic.Backlog.Unanswered != 0 {
			t.Errorf("the topic's backlog %+v, want a's alone, answered", topic.Backlog)
		}
		// The team answers b on 25 February, from palabre: b is answered
		// by the end of March.
		var b int64
		if err := db.QueryRowContext(ctx, `SELECT id FROM conversations WHERE root_external_id = 'b'`).Scan(&b); err != nil {
			t.Fatal(err)
		}
		sam, err := st.CreateUser(ctx, model.User{Login: "sam", Name: "Sam"}, "x", "test")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.AddReply(ctx, store.Reply{WorkspaceID: ws.ID, ConversationID: b, Author: sam, Body: "Voilà.", Confirm: true},
			z("2026-02-25T10:00:00Z")); err != nil {
			t.Fatal(err)
		}
		if f, err = st.MetricFacts(ctx, ws.ID, march, z("2026-04-02T00:00:00Z")); err != nil {
			t.Fatal(err)
		}
		if r := metrics.Compute(f, march, nil); r.Backlog.Open != 3 || r.Backlog.Unanswered != 1 || len(f.Messages) != 1 {
			t.Errorf("after the answer to b: backlog %+v, %d messages read", r.Backlog, len(f.Messages))
		}
	})
}
