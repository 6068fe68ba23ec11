package rollup

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"palabre/internal/ingest"
	"palabre/internal/metrics"
	"palabre/internal/model"
	"palabre/internal/sla"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// now is when the test's workspace is looked at: after five months of
// conversations in Paris, across the end of summer time (25 October).
var testNow = time.Date(2026, 11, 20, 14, 30, 0, 0, time.UTC)

// queries are those asked of the workspace, each checked against the
// reference (the first four while days changed are counted live): the
// default month, the five months by week and channel, a
// year by topic (the one before it empty), October by day and assignee
// (the end of summer time), three months by month, a month that ends in
// the future.
func queries() []metrics.Query {
	return []metrics.Query{
		{},
		{From: "2026-07-01", To: "2026-11-21", By: "channel"},
		{From: "2025-11-21", To: "2026-11-21", By: "topic"},
		{From: "2026-10-01", To: "2026-11-01", Every: metrics.Day, By: "assignee"},
		{From: "2026-08-01", To: "2026-11-01", Every: metrics.Month},
		{From: "2026-11-01", To: "2026-12-01", By: "channel"},
		{From: "2026-09-14", To: "2026-10-12", Every: metrics.Week, By: "topic"},
	}
}

// fixture is the test's workspace on one engine.
type fixture struct {
	st    *store.Store
	db    *sql.DB
	ws    model.Workspace
	users map[string]int64
}

// TestRollupsMatchTheFacts answers every query from rollups and from
// every fact (metrics.Ask), on both engines: before any rollup is kept,
// once they all are, and after each kind of change — a reply, an import
// of the past, a reopening, a closing, a reassignment, a sentiment read
// again, an expert asked, two members merged, topics changed (of an open
// conversation too), a channel renamed, business hours changed, a
// conversation deleted — both before
// the rollups are built again (the changed days counted live) and after.
func TestRollupsMatchTheFacts(t *testing.T) {
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			fx := newFixture(t, engine)
			ctx := context.Background()
			wants := fx.reference(t)
			fx.check(t, "nothing kept", wants, false)
			n, err := Refresh(ctx, fx.st, fx.ws.ID, testNow)
			if err != nil {
				t.Fatal(err)
			}
			if n < 140 {
				t.Fatalf("refresh counted %d days, want every day since July", n)
			}
			if n, err := Refresh(ctx, fx.st, fx.ws.ID, testNow); err != nil || n != 0 {
				t.Fatalf("refresh again counted %d days (%v), want none", n, err)
			}
			fx.check(t, "all kept", wants, true)
			fx.checkKeys(t)
			for _, change := range fx.changes() {
				change.do(t)
				wants := fx.reference(t)
				fx.check(t, change.name+", not built again", wants, false)
				if _, err := Refresh(ctx, fx.st, fx.ws.ID, testNow); err != nil {
					t.Fatal(err)
				}
				fx.check(t, change.name+", built again", wants, true)
			}
		})
	}
}

// checkKeys checks the workspace's dictionary once every day is kept:
// each member who wrote has a key, the keys are 1 to n, each names its
// member back, and asking again gives the same keys.
func (fx *fixture) checkKeys(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	var ids []string
	rows, err := fx.db.QueryContext(ctx, `SELECT DISTINCT member_id FROM messages WHERE workspace_id = $1 AND member_id IS NOT NULL
		AND NOT author_is_staff`, fx.ws.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) < 10 {
		t.Fatalf("%d members wrote: the dictionary tells little", len(ids))
	}
	var count, top int
	if err := fx.db.QueryRowContext(ctx, `SELECT COUNT(*), MAX(number) FROM metric_members WHERE workspace_id = $1`,
		fx.ws.ID).Scan(&count, &top); err != nil {
		t.Fatal(err)
	}
	if count != len(ids) || top != len(ids) {
		t.Fatalf("%d members wrote; %d numbered, up to %d", len(ids), count, top)
	}
	keys, err := fx.st.MemberKeys(ctx, fx.ws.ID, ids)
	if err != nil {
		t.Fatal(err)
	}
	list := make([]uint32, 0, len(keys))
	for _, k := range keys {
		list = append(list, k)
	}
	back, err := fx.st.MemberIDs(ctx, fx.ws.ID, append(list, uint32(top+1)))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if k := keys[id]; k < 1 || int(k) > top || back[k] != id {
			t.Fatalf("member %q: key %d names %q", id, k, back[k])
		}
	}
	if _, ok := back[uint32(top+1)]; ok || len(back) != len(ids) {
		t.Fatalf("%d ids for %d keys and one never given", len(back), len(ids))
	}
	if _, err := fx.st.MemberKeys(ctx, fx.ws.ID, []string{"nobody-of-this-workspace"}); err == nil {
		t.Fatal("a key given to an id no member has")
	}
}

// reference answers each query from every fact.
func (fx *fixture) reference(t *testing.T) []metrics.Answer {
	t.Helper()
	var out []metrics.Answer
	for _, q := range queries() {
		want, err := metrics.Ask(context.Background(), fx.st, fx.ws.ID, q, testNow)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, want)
	}
	return out
}

// check compares each query's answer from rollups with the reference's.
// When all is kept, only today and days to come are counted live.
func (fx *fixture) check(t *testing.T, when string, wants []metrics.Answer, kept bool) {
	t.Helper()
	ctx := context.Background()
	for i, q := range queries() {
		if !kept && i >= 4 {
			break // changed days counted live: the first queries are enough
		}
		want := wants[i]
		got, c, err := ask(ctx, fx.st, fx.ws.ID, q, testNow)
		if err != nil {
			t.Fatalf("%s, %+v: %v", when, q, err)
		}
		if !reflect.DeepEqual(got, want) {
			g, _ := json.MarshalIndent(got, "", " ")
			w, _ := json.MarshalIndent(want, "", " ")
			t.Fatalf("%s, %+v: from rollups\n%s\nwant\n%s", when, q, g, w)
		}
		if kept && c == nil {
			t.Fatalf("%s, %+v: counted from the facts, not from rollups", when, q)
		}
		for d := range c.live {
			if kept && d < metrics.LocalDay(testNow, c.loc) {
				t.Fatalf("%s, %+v: day %s counted live", when, q, midnight(d, c.loc).Format(time.DateOnly))
			}
		}
		if r := want.Total; q.From == "2026-08-01" && (r.In < 200 || r.Members.TurnedAround == 0 || r.Members.Returning == 0 ||
			r.Members.New == 0 || r.Backlog.Open == 0 || r.Backlog.Unanswered == 0 || r.SLA.Of == 0 || r.WithExpert.Of == 0 ||
			r.Resolution.Count == 0 || len(want.Engaged) < 10) {
			t.Fatalf("%s: the three months tell little: %+v", when, r)
		}
		if q.By == "topic" && len(want.Groups) < 3 {
			t.Fatalf("%s, %+v: %d topics tell little", when, q, len(want.Groups))
		}
	}
}

// newFixture stores five months of a workspace's conversations, drawn
// from a fixed seed: three channels, three CMs, forty members who come
// back, questions, complaints and praise, answers, follow-ups, members
// answering each other, resolutions, due times, experts.
func newFixture(t *testing.T, engine string) *fixture {
	t.Helper()
	ctx := context.Background()
	st, db := testutil.NewRaw(t, engine)
	ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "velo", Name: "Vélo"})
	if err != nil {
		t.Fatal(err)
	}
	fx := &fixture{st: st, db: db, ws: ws, users: map[string]int64{}}
	for _, login := range []string{"lea", "hugo", "claire"} {
		u, err := st.CreateUser(ctx, model.User{Login: login, Name: login}, "x", "test")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SetMembership(ctx, u.ID, ws.ID, model.RoleCM, "test"); err != nil {
			t.Fatal(err)
		}
		fx.users[login] = u.ID
	}
	err = st.SetSLASettings(ctx, ws.ID, sla.Settings{Calendar: sla.Calendar{TimeZone: "Europe/Paris", Hours: model.WeeklyHours{
		"mon": {"09:00-18:00"}, "tue": {"09:00-18:00"}, "wed": {"09:00-18:00"}, "thu": {"09:00-18:00"}, "fri": {"09:00-17:00"},
	}}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	start := time.Date(2026, 7, 1, 6, 0, 0, 0, time.UTC)
	span := testNow.Sub(start)
	pick := func(list ...string) string { return list[rng.IntN(len(list))] }
	for i := range 260 {
		at := start.Add(time.Duration(rng.Int64N(int64(span))))
		channel := pick("blog", "forum", "facebook")
		root := fmt.Sprintf("https://%s.example/c%d", channel, i)
		who := fmt.Sprintf("m%d", rng.IntN(40))
		msg := func(j int, author string, staff bool, at time.Time, intent, sentiment string, topics ...string) model.Message {
			m := model.Message{ExternalID: fmt.Sprintf("%s#%d", root, j), ConversationExternalID: root, Body: "message",
				AuthorName: author, AuthorIsStaff: staff, CreatedAt: at, Intent: intent, Sentiment: sentiment, Topics: topics}
			if !staff {
				m.AuthorEmail = author + "@example.org"
			}
			return m
		}
		first := msg(0, who, false, at, pick("question", "complaint", "praise", ""), pick("neg", "neu", "pos", ""),
			pick("prix", "livraison", "qualité", "prix", ""))
		msgs := []model.Message{first}
		last := at
		if rng.IntN(10) < 7 {
			last = last.Add(time.Duration(rng.IntN(50*60)) * time.Minute)
			msgs = append(msgs, msg(1, "Équipe", true, last, "", ""))
			if rng.IntN(2) == 0 {
				last = last.Add(time.Duration(1+rng.IntN(20*60)) * time.Minute)
				msgs = append(msgs, msg(2, who, false, last, pick("praise", "question", ""), pick("pos", "neg", "neu"), pick("livraison", "")))
			}
		}
		if rng.IntN(5) == 0 {
			last = last.Add(time.Duration(1+rng.IntN(3*24*60)) * time.Minute)
			msgs = append(msgs, msg(3, fmt.Sprintf("m%d", rng.IntN(40)), false, last, "", pick("pos", "neu")))
		}
		if _, err := ingest.Import(ctx, st, ingest.FromMessages(msgs), ingest.Options{Workspace: ws, Channel: channel}); err != nil {
			t.Fatal(err)
		}
		var id int64
		if err := db.QueryRowContext(ctx, `SELECT id FROM conversations WHERE root_external_id = $1`, root).Scan(&id); err != nil {
			t.Fatal(err)
		}
		var assignee, due, closed, resolved any
		if rng.IntN(4) > 0 {
			assignee = fx.users[pick("lea", "hugo", "claire")]
		}
		if rng.IntN(3) > 0 {
			due = at.Add(time.Duration(1+rng.IntN(8)) * time.Hour).UnixMicro()
		}
		status := model.ConvOpen
		if len(msgs) > 1 && rng.IntN(10) < 7 && last.Before(testNow.Add(-time.Hour)) {
			status = pick(model.ConvResolved, model.ConvResolved, model.ConvIgnored)
			end := last.Add(time.Duration(rng.IntN(int(testNow.Sub(last)/time.Minute))) * time.Minute)
			closed = end.UnixMicro()
			if status == model.ConvResolved {
				resolved = closed
			}
		}
		if _, err := db.ExecContext(ctx, `UPDATE conversations SET assignee_id = $1, status = $2, status_at = $3, resolved_at = $4,
			response_due_at = $5 WHERE id = $6`, assignee, status, closed, resolved, due, id); err != nil {
			t.Fatal(err)
		}
		if rng.IntN(8) == 0 {
			fx.expert(t, id)
		}
	}
	return fx
}

// expert asks claire into conversation id.
func (fx *fixture) expert(t *testing.T, id int64) {
	t.Helper()
	if _, err := fx.db.Exec(`INSERT INTO participants (conversation_id, user_id, workspace_id, added_by, created_at)
		VALUES ($1, $2, $3, 'lea', 0)`, id, fx.users["claire"], fx.ws.ID); err != nil {
		t.Fatal(err)
	}
}

// conversation finds the id of a conversation by a query on
// conversations c.
func (fx *fixture) conversation(t *testing.T, where string) int64 {
	t.Helper()
	var id int64
	if err := fx.db.QueryRow(`SELECT c.id FROM conversations c WHERE c.workspace_id = $1 AND `+where+` ORDER BY c.id LIMIT 1`,
		fx.ws.ID).Scan(&id); err != nil {
		t.Fatalf("a conversation where %s: %v", where, err)
	}
	return id
}

// change is one kind of change to the workspace.
type change struct {
	name string
	do   func(t *testing.T)
}

// aug is an instant early in August, in the past of every change.
var aug = time.Date(2026, 8, 3, 0, 0, 0, 0, time.UTC).UnixMicro()

func (fx *fixture) changes() []change {
	ctx := context.Background()
	exec := func(t *testing.T, q string, args ...any) {
		t.Helper()
		if _, err := fx.db.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	status := func(t *testing.T, id int64, to string) {
		t.Helper()
		if _, err := fx.st.ChangeConversations(ctx, fx.ws.ID, []int64{id}, store.ConversationChange{Status: &to}, "lea", testNow); err != nil {
			t.Fatal(err)
		}
	}
	return []change{
		{"a reply today to a conversation of August", func(t *testing.T) {
			id := fx.conversation(t, fmt.Sprintf("c.opened_at < %d AND c.answered_at IS NULL AND c.status = 'open'", aug+30*86400e6))
			_, err := fx.st.AddReply(ctx, store.Reply{WorkspaceID: fx.ws.ID, ConversationID: id,
				Author: model.User{ID: fx.users["lea"], Login: "lea", Name: "lea"}, Body: "Voici.", Confirm: true}, testNow.Add(-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
		}},
		{"an import of September's past into a conversation", func(t *testing.T) {
			var root, channel string
			if err := fx.db.QueryRow(`SELECT c.root_external_id, ch.name FROM conversations c JOIN channels ch ON ch.id = c.channel_id
				WHERE c.workspace_id = $1 AND c.opened_at > $2 ORDER BY c.id LIMIT 1`, fx.ws.ID, aug+40*86400e6).Scan(&root, &channel); err != nil {
				t.Fatal(err)
			}
			early := time.UnixMicro(aug + 35*86400e6)
			msgs := []model.Message{
				{ExternalID: root + "#early", ConversationExternalID: root, Body: "Bof.", AuthorName: "m7", AuthorEmail: "m7@example.org",
					CreatedAt: early, Intent: "complaint", Sentiment: "neg", Topics: []string{"garantie"}},
				{ExternalID: root + "#early-answer", ConversationExternalID: root, Body: "Désolés.", AuthorName: "Équipe",
					AuthorIsStaff: true, CreatedAt: early.Add(2 * time.Hour)},
			}
			if _, err := ingest.Import(ctx, fx.st, ingest.FromMessages(msgs), ingest.Options{Workspace: fx.ws, Channel: channel}); err != nil {
				t.Fatal(err)
			}
		}},
		{"a message of late July imported, by a member who came later", func(t *testing.T) {
			var name string
			if err := fx.db.QueryRow(`SELECT display_name FROM members WHERE workspace_id = $1 ORDER BY first_seen_at DESC LIMIT 1`,
				fx.ws.ID).Scan(&name); err != nil {
				t.Fatal(err)
			}
			// The last message of a conversation of July, before the 25th.
			var root, channel string
			if err := fx.db.QueryRow(`SELECT c.root_external_id, ch.name FROM conversations c JOIN channels ch ON ch.id = c.channel_id
				WHERE c.workspace_id = $1 AND c.last_activity_at < $2 ORDER BY c.id LIMIT 1`, fx.ws.ID, aug-9*86400e6).Scan(&root, &channel); err != nil {
				t.Fatal(err)
			}
			msgs := []model.Message{{ExternalID: root + "#late", ConversationExternalID: root, Body: "Moi aussi.", AuthorName: name,
				AuthorEmail: name + "@example.org", CreatedAt: time.UnixMicro(aug - 8*86400e6), Sentiment: "pos"}}
			if _, err := ingest.Import(ctx, fx.st, ingest.FromMessages(msgs), ingest.Options{Workspace: fx.ws, Channel: channel}); err != nil {
				t.Fatal(err)
			}
		}},
		{"an August conversation reopened", func(t *testing.T) {
			status(t, fx.conversation(t, fmt.Sprintf("c.status = 'resolved' AND c.status_at < %d", aug+20*86400e6)), model.ConvOpen)
		}},
		{"an open conversation resolved", func(t *testing.T) {
			status(t, fx.conversation(t, "c.status = 'open' AND c.opened_at IS NOT NULL"), model.ConvResolved)
		}},
		{"a conversation of July handed to hugo", func(t *testing.T) {
			id := fx.conversation(t, fmt.Sprintf("c.opened_at < %d AND c.assignee_id IS NULL", aug))
			hugo := fx.users["hugo"]
			if err := fx.st.Assign(ctx, id, fx.ws.ID, &hugo, "test", "lea"); err != nil {
				t.Fatal(err)
			}
		}},
		{"a message of July read as negative", func(t *testing.T) {
			exec(t, `UPDATE messages SET sentiment = 'neg' WHERE id = (SELECT MIN(id) FROM messages WHERE workspace_id = $1
				AND NOT author_is_staff AND sentiment <> 'neg' AND created_at < $2)`, fx.ws.ID, aug)
		}},
		{"an expert asked into an August conversation", func(t *testing.T) {
			fx.expert(t, fx.conversation(t, fmt.Sprintf("c.opened_at BETWEEN %d AND %d AND NOT EXISTS (SELECT 1 FROM participants p WHERE p.conversation_id = c.id)", aug, aug+20*86400e6)))
		}},
		{"two members merged", func(t *testing.T) {
			var into, from string
			if err := fx.db.QueryRow(`SELECT a.id, b.id FROM members a, members b WHERE a.workspace_id = $1 AND b.workspace_id = $1
				AND a.display_name = 'm3' AND b.display_name = 'm5'`, fx.ws.ID).Scan(&into, &from); err != nil {
				t.Fatal(err)
			}
			if _, err := fx.st.MergeMembers(ctx, fx.ws.ID, into, from, "lea", testNow); err != nil {
				t.Fatal(err)
			}
		}},
		{"a message's topics changed", func(t *testing.T) {
			exec(t, `UPDATE messages SET topics = '["prix","qualité"]' WHERE id = (SELECT MIN(id) FROM messages WHERE workspace_id = $1
				AND NOT author_is_staff AND created_at > $2)`, fx.ws.ID, aug)
		}},
		{"an open conversation's topics changed", func(t *testing.T) {
			exec(t, `UPDATE messages SET topics = '["retour"]' WHERE id = (SELECT MIN(m.id) FROM messages m
				JOIN conversations c ON c.id = m.conversation_id WHERE m.workspace_id = $1 AND NOT m.author_is_staff
				AND c.status NOT IN ('resolved', 'ignored', 'spam') AND c.opened_at IS NOT NULL)`, fx.ws.ID)
		}},
		{"a channel renamed", func(t *testing.T) {
			exec(t, `UPDATE channels SET name = 'facebook-fr' WHERE workspace_id = $1 AND name = 'facebook'`, fx.ws.ID)
		}},
		{"business hours changed", func(t *testing.T) {
			err := fx.st.SetSLASettings(ctx, fx.ws.ID, sla.Settings{Calendar: sla.Calendar{TimeZone: "Europe/Paris", Hours: model.WeeklyHours{
				"mon": {"08:00-20:00"}, "tue": {"08:00-20:00"}, "wed": {"08:00-20:00"}, "thu": {"08:00-20:00"}, "fri": {"08:00-20:00"},
				"sat": {"10:00-16:00"}}}}, "test")
			if err != nil {
				t.Fatal(err)
			}
		}},
		{"a conversation of August deleted", func(t *testing.T) {
			exec(t, `DELETE FROM conversations WHERE id = $1`, fx.conversation(t, fmt.Sprintf("c.opened_at BETWEEN %d AND %d", aug, aug+10*86400e6)))
		}},
	}
}
