package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// inboxFixture is a store with three workspaces of conversations, and a
// raw connection to the same database to set what no store call sets
// directly in a few lines.
type inboxFixture struct {
	st      *store.Store
	raw     *sql.DB
	ws      map[string]int64           // slug → id
	convs   map[string]int64           // root external id → conversation id
	msgs    map[string]int64           // external id → message id
	u1, u2  int64                      // a CM and an expert
	t0      time.Time                  // the first message's time
	channel map[string]model.Channel   // "slug/name" → channel
	spaces  map[string]model.Workspace // slug → workspace
}

// msg describes one message of the fixture.
type msg struct {
	ws, ch, ext, root, author, email, body string
	staff                                  bool
	lang, sentiment, intent                string
	topics                                 []string
	minute                                 int
}

func openRaw(t testing.TB, engine, dsn string) *sql.DB {
	t.Helper()
	driver := "pgx"
	if engine == store.EngineSQLite {
		driver, dsn = "sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newInboxFixture(t *testing.T, engine string) *inboxFixture {
	t.Helper()
	ctx := context.Background()
	dsn := testutil.NewDSN(t, engine)
	st, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &inboxFixture{st: st, raw: openRaw(t, engine, dsn), ws: map[string]int64{}, convs: map[string]int64{},
		msgs: map[string]int64{}, t0: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC),
		channel: map[string]model.Channel{}, spaces: map[string]model.Workspace{}}
	for _, slug := range []string{"velo", "banque", "secret"} {
		w, err := st.CreateWorkspace(ctx, model.Workspace{Slug: slug, Name: slug})
		if err != nil {
			t.Fatal(err)
		}
		f.ws[slug] = w.ID
		f.spaces[slug] = w
		for _, name := range []string{"blog", "forum"} {
			ch, err := st.EnsureChannel(ctx, w.ID, name, "wordpress")
			if err != nil {
				t.Fatal(err)
			}
			f.channel[slug+"/"+name] = ch
		}
	}
	msgs := []msg{
		{ws: "velo", ch: "blog", ext: "c1", root: "c1", author: "Alice Martin", email: "alice@example.org",
			body: "Mon vélo électrique est cassé", lang: "fr", sentiment: "neg", intent: "complaint", topics: []string{"reparation"}, minute: 1},
		{ws: "velo", ch: "blog", ext: "c1-r1", root: "c1", author: "Staff", staff: true, body: "Nous avons répondu par courriel", minute: 2},
		{ws: "velo", ch: "blog", ext: "c1-c2", root: "c1", author: "Alice Martin", email: "alice@example.org",
			body: "  Toujours\n\nen   panne,\tmerci  ", lang: "fr", sentiment: "neg", intent: "request", topics: []string{"livraison", "prix"}, minute: 3},
		{ws: "velo", ch: "blog", ext: "c1-r2", root: "c1", author: "Staff", staff: true, body: "Un technicien arrive", minute: 4},
		{ws: "velo", ch: "blog", ext: "c2", root: "c2", author: "Bob", email: "bob@example.com",
			body: "I keep running into errors with the app", lang: "en", sentiment: "pos", intent: "question", topics: []string{"prix-fixe"}, minute: 5},
		{ws: "velo", ch: "forum", ext: "c3", root: "c3", author: "Staff", staff: true, body: "Annonce : nouveaux horaires", minute: 6},
		{ws: "velo", ch: "forum", ext: "c3-r1", root: "c3", author: "Staff", staff: true, body: "Précision sur les horaires", minute: 7},
		{ws: "banque", ch: "blog", ext: "c4", root: "c4", author: "Carole", email: "carole@example.net",
			body: "Les chevaux électriques et la carte bancaire", lang: "fr", sentiment: "neu", intent: "feedback", minute: 8},
		{ws: "secret", ch: "blog", ext: "c5", root: "c5", author: "Alice Martin", email: "alice@example.org",
			body: "vélo électrique secret running", lang: "fr", minute: 9},
		{ws: "velo", ch: "blog", ext: "c6", root: "c6", author: "Zoé", body: "Je veux un vélos pliant", lang: "fr", minute: 10},
	}
	f.importMessages(t, msgs)
	users := []string{"cm", "expert"}
	for i, login := range users {
		u, err := st.CreateUser(ctx, model.User{Login: login, Name: login}, "x", "test")
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			f.u1 = u.ID
		} else {
			f.u2 = u.ID
		}
	}
	// c1: open, the CM's, urgent, awaiting an answer, due in 30 minutes,
	// tagged; the expert was asked in and mentioned.
	// c2: pending and snoozed, tagged, due in 3 hours. c3: resolved.
	// c4: new, the CM's, due 10 minutes ago. c6: new, unassigned.
	now := f.now()
	f.exec(t, `UPDATE conversations SET status = 'new', assignee_id = NULL, priority = 0, awaiting_since = NULL,
		snoozed_until = NULL, response_due_at = NULL`)
	f.exec(t, `UPDATE conversations SET status = 'open', assignee_id = $1, priority = 2, awaiting_since = $2, response_due_at = $3 WHERE id = $4`,
		f.u1, now.Add(-time.Hour).UnixMicro(), now.Add(30*time.Minute).UnixMicro(), f.convs["c1"])
	f.exec(t, `UPDATE conversations SET status = 'pending', snoozed_until = $1, response_due_at = $2, awaiting_since = $3 WHERE id = $4`,
		now.Add(24*time.Hour).UnixMicro(), now.Add(3*time.Hour).UnixMicro(), now.Add(-time.Hour).UnixMicro(), f.convs["c2"])
	f.exec(t, `UPDATE conversations SET status = 'resolved', awaiting_since = $1 WHERE id = $2`, now.UnixMicro(), f.convs["c3"])
	f.exec(t, `UPDATE conversations SET assignee_id = $1, response_due_at = $2 WHERE id = $3`,
		f.u1, now.Add(-10*time.Minute).UnixMicro(), f.convs["c4"])
	f.exec(t, `UPDATE conversations SET assignee_id = $1 WHERE id = $2`, f.u2, f.convs["c5"])
	f.exec(t, `INSERT INTO conversation_tags (conversation_id, tag) VALUES ($1, 'urgent'), ($2, 'urgent'), ($2, 'vip')`, f.convs["c1"], f.convs["c2"])
	f.exec(t, `INSERT INTO participants (conversation_id, user_id, workspace_id, added_by, created_at) VALUES ($1, $2, $3, 'cm', 0)`,
		f.convs["c1"], f.u2, f.ws["velo"])
	f.exec(t, `INSERT INTO events (workspace_id, actor, action, subject, detail, conversation_id, recipient_id, created_at)
		VALUES ($1, 'cm', 'note.mention', '', '', $2, $3, 0), ($1, 'cm', 'note.add', '', '', $4, $3, 0)`,
		f.ws["velo"], f.convs["c1"], f.u2, f.convs["c6"])
	return f
}

// now is the fixture's present: after every message.
func (f *inboxFixture) now() time.Time { return f.t0.Add(time.Hour) }

func (f *inboxFixture) exec(t testing.TB, q string, args ...any) {
	t.Helper()
	if _, err := f.raw.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func (f *inboxFixture) importMessages(t testing.TB, msgs []msg) {
	t.Helper()
	ctx := context.Background()
	byChannel := map[string][]store.IngestItem{}
	var order []string
	for _, m := range msgs {
		mm := model.Message{ExternalID: m.ext, ConversationExternalID: m.root, Kind: model.KindComment,
			Status: model.StatusApproved, Body: m.body, AuthorName: m.author, AuthorIsStaff: m.staff,
			CreatedAt: f.t0.Add(time.Duration(m.minute) * time.Minute), Lang: m.lang, Sentiment: m.sentiment,
			Intent: m.intent, Topics: m.topics}
		if m.ext == m.root {
			mm.Kind = model.KindPost
		} else {
			mm.ParentExternalID = m.root
		}
		it := store.IngestItem{Message: mm, Root: m.root}
		if m.ext == m.root {
			it.Subject = "subject " + m.ext
		}
		if m.email != "" {
			it.Identities = []store.IdentityKey{{Key: "email:" + m.email, Kind: model.IdentityEmail, Value: m.email}}
			it.NewMemberID = "m_" + strings.Split(m.email, "@")[0]
			it.DisplayName = m.author
		}
		key := m.ws + "/" + m.ch
		if _, ok := byChannel[key]; !ok {
			order = append(order, key)
		}
		byChannel[key] = append(byChannel[key], it)
	}
	for _, key := range order {
		slug, _, _ := strings.Cut(key, "/")
		im := f.st.NewImporter(f.spaces[slug], f.channel[key])
		if _, err := im.Write(ctx, byChannel[key]); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := f.raw.Query(`SELECT m.external_id, m.id, c.root_external_id, c.id FROM messages m JOIN conversations c ON c.id = m.conversation_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var ext, root string
		var id, cid int64
		if err := rows.Scan(&ext, &id, &root, &cid); err != nil {
			t.Fatal(err)
		}
		f.msgs[ext], f.convs[root] = id, cid
	}
}

// roots names the conversations of a page by their root external id.
func (f *inboxFixture) roots(rows []store.InboxRow) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, r.RootExternalID)
	}
	return out
}

func intPtr(i int) *int { return &i }

func TestInboxFilters(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			f := newInboxFixture(t, engine)
			ctx := context.Background()
			all := []int64{f.ws["velo"], f.ws["banque"]}
			velo := []int64{f.ws["velo"]}
			for _, tc := range []struct {
				name string
				f    store.InboxFilter
				want []string
			}{
				{"all, latest activity first", store.InboxFilter{WorkspaceIDs: all}, []string{"c6", "c4", "c3", "c2", "c1"}},
				{"one workspace", store.InboxFilter{WorkspaceIDs: velo}, []string{"c6", "c3", "c2", "c1"}},
				{"status", store.InboxFilter{WorkspaceIDs: all, Status: model.ConvPending}, []string{"c2"}},
				{"open", store.InboxFilter{WorkspaceIDs: all, Open: true}, []string{"c6", "c4", "c1"}},
				{"assignee", store.InboxFilter{WorkspaceIDs: all, AssigneeID: f.u1}, []string{"c4", "c1"}},
				{"unassigned", store.InboxFilter{WorkspaceIDs: all, Unassigned: true}, []string{"c6", "c3", "c2"}},
				{"participant", store.InboxFilter{WorkspaceIDs: all, Participant: f.u2}, []string{"c1"}},
				{"mentions", store.InboxFilter{WorkspaceIDs: all, MentionsOf: f.u2}, []string{"c1"}},
				{"needs response", store.InboxFilter{WorkspaceIDs: all, NeedsResponse: true}, []string{"c2", "c1"}},
				{"tag", store.InboxFilter{WorkspaceIDs: all, Tag: "VIP"}, []string{"c2"}},
				{"topic", store.InboxFilter{WorkspaceIDs: all, Topic: "prix"}, []string{"c1"}},
				{"topic of a message that is not the headline", store.InboxFilter{WorkspaceIDs: all, Topic: "reparation"}, []string{}},
				{"sentiment", store.InboxFilter{WorkspaceIDs: all, Sentiment: "neg"}, []string{"c1"}},
				{"lang", store.InboxFilter{WorkspaceIDs: all, Lang: "en"}, []string{"c2"}},
				{"intent", store.InboxFilter{WorkspaceIDs: all, Intent: "request"}, []string{"c1"}},
				{"channel", store.InboxFilter{WorkspaceIDs: all, Channel: "forum"}, []string{"c3"}},
				{"priority", store.InboxFilter{WorkspaceIDs: all, Priority: intPtr(2)}, []string{"c1"}},
				{"by due", store.InboxFilter{WorkspaceIDs: all, ByDue: true}, []string{"c4", "c1", "c2"}},
				{"combined", store.InboxFilter{WorkspaceIDs: all, Open: true, AssigneeID: f.u1, ByDue: true}, []string{"c4", "c1"}},
				{"query", store.InboxFilter{WorkspaceIDs: all, Query: "electrique"}, []string{"c4", "c1"}},
				{"query and filter", store.InboxFilter{WorkspaceIDs: all, Query: "electrique", Status: model.ConvOpen}, []string{"c1"}},
			} {
				page, err := f.st.Inbox(ctx, tc.f)
				if err != nil {
					t.Errorf("%s: %v", tc.name, err)
					continue
				}
				if got := f.roots(page.Rows); !slices.Equal(got, tc.want) {
					t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
				}
				if page.Next != "" {
					t.Errorf("%s: a next cursor on the only page", tc.name)
				}
			}
		})
	}
}

func TestInboxInvalid(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws := []int64{1}
		for name, f := range map[string]store.InboxFilter{
			"no workspace":            {},
			"limit":                   {WorkspaceIDs: ws, Limit: 501},
			"negative limit":          {WorkspaceIDs: ws, Limit: -1},
			"status":                  {WorkspaceIDs: ws, Status: "closed"},
			"priority":                {WorkspaceIDs: ws, Priority: intPtr(9)},
			"assignee and unassigned": {WorkspaceIDs: ws, AssigneeID: 3, Unassigned: true},
			"cursor":                  {WorkspaceIDs: ws, Cursor: "nope"},
			"tag":                     {WorkspaceIDs: ws, Tag: strings.Repeat("x", 200)},
			"participant":             {WorkspaceIDs: ws, Participant: -2},
		} {
			if _, err := st.Inbox(ctx, f); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s: got %v, want ErrInvalid", name, err)
			}
		}
		if _, err := st.InboxCounts(ctx, nil, 1, time.Now()); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("counts without workspaces: got %v, want ErrInvalid", err)
		}
		if _, err := st.SearchMembers(ctx, nil, "x", 0); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("member search without workspaces: got %v, want ErrInvalid", err)
		}
	})
}

func TestInboxHeadline(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			f := newInboxFixture(t, engine)
			page, err := f.st.Inbox(context.Background(), store.InboxFilter{WorkspaceIDs: []int64{f.ws["velo"]}})
			if err != nil {
				t.Fatal(err)
			}
			by := map[string]store.InboxRow{}
			for _, r := range page.Rows {
				by[r.RootExternalID] = r
			}
			h := by["c1"].Headline
			if h.MessageID != f.msgs["c1-c2"] || h.Excerpt != "Toujours en panne, merci" || h.Author != "Alice Martin" ||
				h.MemberID != "m_alice" || h.Lang != "fr" || h.Sentiment != "neg" || h.Intent != "request" ||
				!slices.Equal(h.Topics, []string{"livraison", "prix"}) || !h.CreatedAt.Equal(f.t0.Add(3*time.Minute)) {
				t.Errorf("c1 headline (the latest customer message): %+v", h)
			}
			if got := by["c1"].Tags; !slices.Equal(got, []string{"urgent"}) {
				t.Errorf("c1 tags: %v", got)
			}
			if by["c1"].AssigneeID == nil || *by["c1"].AssigneeID != f.u1 || by["c1"].Assignee != "cm" || by["c1"].Workspace != "velo" {
				t.Errorf("c1 conversation: %+v", by["c1"].Conversation)
			}
			if h := by["c3"].Headline; h.MessageID != f.msgs["c3"] || h.Excerpt != "Annonce : nouveaux horaires" {
				t.Errorf("c3 headline (only staff: the root): %+v", h)
			}
			if h := by["c2"].Headline; len(h.Topics) != 1 || h.Excerpt != "I keep running into errors with the app" {
				t.Errorf("c2 headline: %+v", h)
			}
		})
	}
}

func TestInboxPaging(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			f := newInboxFixture(t, engine)
			ctx := context.Background()
			var msgs []msg
			for i := range 40 {
				ws := []string{"velo", "banque", "secret"}[i%3]
				// Several share a time, so that the keyset's id decides.
				msgs = append(msgs, msg{ws: ws, ch: "blog", ext: fmt.Sprint("p", i), root: fmt.Sprint("p", i),
					author: "Dan", body: fmt.Sprint("page ", i), minute: 20 + i/4})
			}
			f.importMessages(t, msgs)
			f.exec(t, `UPDATE conversations SET response_due_at = last_activity_at + id % 3 WHERE root_external_id LIKE 'p%'`)
			for _, byDue := range []bool{false, true} {
				wss := []int64{f.ws["velo"], f.ws["banque"]}
				full, err := f.st.Inbox(ctx, store.InboxFilter{WorkspaceIDs: wss, ByDue: byDue, Limit: 500})
				if err != nil {
					t.Fatal(err)
				}
				if len(full.Rows) < 30 {
					t.Fatalf("only %d rows", len(full.Rows))
				}
				var paged []string
				cursor := ""
				for range 100 {
					page, err := f.st.Inbox(ctx, store.InboxFilter{WorkspaceIDs: wss, ByDue: byDue, Limit: 7, Cursor: cursor})
					if err != nil {
						t.Fatal(err)
					}
					if len(page.Rows) > 7 {
						t.Fatalf("page of %d rows", len(page.Rows))
					}
					paged = append(paged, f.roots(page.Rows)...)
					if cursor = page.Next; cursor == "" {
						break
					}
				}
				if want := f.roots(full.Rows); !slices.Equal(paged, want) {
					t.Errorf("by due %v: pages give %v, want %v", byDue, paged, want)
				}
				for i := 1; i < len(full.Rows); i++ {
					a, b := full.Rows[i-1], full.Rows[i]
					ka, kb := a.LastActivityAt, b.LastActivityAt
					if byDue {
						kb, ka = *a.SLA.ResponseDueAt, *b.SLA.ResponseDueAt
						a, b = b, a
					}
					if ka.Before(kb) || ka.Equal(kb) && a.ID < b.ID {
						t.Errorf("by due %v: rows %d and %d out of order", byDue, i-1, i)
					}
				}
			}
		})
	}
}

func TestInboxSearch(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			f := newInboxFixture(t, engine)
			ctx := context.Background()
			all := []int64{f.ws["velo"], f.ws["banque"]}
			for _, tc := range []struct {
				query string
				want  []string
			}{
				{"vélos", []string{"c6", "c1"}},       // French plural finds the singular
				{"velo", []string{"c6", "c1"}},        // and the other way round, accents folded
				{"ELECTRIQUE", []string{"c4", "c1"}},  // diacritics and case folded
				{"répondre", []string{"c1"}},          // "répondu", in a staff reply
				{"cheval", []string{"c4"}},            // "chevaux"
				{"run", []string{"c2"}},               // English "running"
				{"error", []string{"c2"}},             // English plural
				{"vélo cassé", []string{"c1"}},        // every word must match
				{"vélo banane", []string{}},           // …or nothing
				{"alice@example.org", []string{"c1"}}, // a member's identity
				{"Alice@Example.ORG", []string{"c1"}}, // an address, whatever its case
				{"martin@example.org", []string{}},    // an address is looked for whole, not word by word
				{"Martin", []string{"c1"}},            // a member's name (also an author name)
				{"carole", []string{"c4"}},            // a member whose name only her messages carry
				{"technicien arrive", []string{"c1"}}, // a staff message
				{"subject", []string{}},               // subjects are not message text
				{`"vélo électrique"`, []string{"c1"}}, // quotes are plain separators
			} {
				page, err := f.st.Inbox(ctx, store.InboxFilter{WorkspaceIDs: all, Query: tc.query})
				if err != nil {
					t.Errorf("%q: %v", tc.query, err)
					continue
				}
				if got := f.roots(page.Rows); !slices.Equal(got, tc.want) {
					t.Errorf("%q: got %v, want %v", tc.query, got, tc.want)
				}
				// The path of common words finds the same.
				f.st.SearchDenseForTest(tc.query)
				page, err = f.st.Inbox(ctx, store.InboxFilter{WorkspaceIDs: all, Query: tc.query})
				if err != nil {
					t.Errorf("%q, dense: %v", tc.query, err)
					continue
				}
				if got := f.roots(page.Rows); !slices.Equal(got, tc.want) {
					t.Errorf("%q, dense: got %v, want %v", tc.query, got, tc.want)
				}
			}
			for _, q := range []string{`"`, `AND (`, `*`, `NEAR(a b)`, `'`, `\`, `) OR 1=1 --`, `col:val`, `^x`, `a AND OR NOT b`,
				`$1`, "\xff\xfe", strings.Repeat("vélo ", 500), `''''`, `&|!<->`, `:*`} {
				if _, err := f.st.Inbox(ctx, store.InboxFilter{WorkspaceIDs: all, Query: q}); err != nil {
					t.Errorf("hostile query %q: %v", q, err)
				}
				if _, err := f.st.SearchMembers(ctx, all, q, 0); err != nil {
					t.Errorf("hostile member query %q: %v", q, err)
				}
			}
		})
	}
}

func TestInboxIsolation(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			f := newInboxFixture(t, engine)
			ctx := context.Background()
			all := []int64{f.ws["velo"], f.ws["banque"]}
			secret := f.convs["c5"]
			// Alice wrote c5 in the secret workspace too: neither her
			// name, her address nor the words of c5 may bring it out.
			for _, filter := range []store.InboxFilter{
				{WorkspaceIDs: all}, {WorkspaceIDs: all, Query: "secret"}, {WorkspaceIDs: all, Query: "alice"},
				{WorkspaceIDs: all, Query: "running"}, {WorkspaceIDs: all, AssigneeID: f.u2},
				{WorkspaceIDs: all, Limit: 500, Open: true},
			} {
				page, err := f.st.Inbox(ctx, filter)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range page.Rows {
					if r.ID == secret || r.WorkspaceID == f.ws["secret"] {
						t.Errorf("%+v: the secret workspace's conversation is listed", filter)
					}
				}
			}
			members, err := f.st.SearchMembers(ctx, all, "alice", 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range members {
				if m.WorkspaceID == f.ws["secret"] {
					t.Errorf("member search shows the secret workspace's %s", m.ID)
				}
			}
			// The secret workspace itself does find it.
			page, err := f.st.Inbox(ctx, store.InboxFilter{WorkspaceIDs: []int64{f.ws["secret"]}, Query: "secret"})
			if err != nil || len(page.Rows) != 1 || page.Rows[0].ID != secret {
				t.Errorf("secret workspace search: %+v, %v", page.Rows, err)
			}
		})
	}
}

func TestSearchMembers(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			f := newInboxFixture(t, engine)
			ctx := context.Background()
			all := []int64{f.ws["velo"], f.ws["banque"], f.ws["secret"]}
			got := func(q string, ws []int64) []string {
				t.Helper()
				ms, err := f.st.SearchMembers(ctx, ws, q, 0)
				if err != nil {
					t.Fatal(err)
				}
				out := []string{}
				for _, m := range ms {
					out = append(out, fmt.Sprint(m.WorkspaceID, "/", m.ID))
				}
				return out
			}
			alice := func(ws string) string { return fmt.Sprint(f.ws[ws], "/m_alice") }
			// Most recently seen first: Alice wrote last in the secret
			// workspace.
			if g, want := got("alice", all), []string{alice("secret"), alice("velo")}; !slices.Equal(g, want) {
				t.Errorf("alice: got %v, want %v", g, want)
			}
			if g, want := got("MARTIN", []int64{f.ws["velo"]}), []string{alice("velo")}; !slices.Equal(g, want) {
				t.Errorf("martin: got %v, want %v", g, want)
			}
			if g, want := got("example.net", all), []string{fmt.Sprint(f.ws["banque"], "/m_carole")}; !slices.Equal(g, want) {
				t.Errorf("by e-mail domain: got %v, want %v", g, want)
			}
			if g := got("zzz", all); len(g) != 0 {
				t.Errorf("zzz: got %v", g)
			}
			ms, err := f.st.SearchMembers(ctx, []int64{f.ws["velo"]}, "bob", 0)
			if err != nil || len(ms) != 1 || ms[0].DisplayName != "Bob" || len(ms[0].Identities) != 1 ||
				ms[0].Identities[0].Value != "bob@example.com" {
				t.Errorf("bob: %+v, %v", ms, err)
			}
		})
	}
}

func TestSearchBackfill(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			f := newInboxFixture(t, engine)
			ctx := context.Background()
			all := []int64{f.ws["velo"], f.ws["banque"]}
			// As if the messages and members had been stored before the
			// index existed.
			f.exec(t, `DELETE FROM message_search`)
			f.exec(t, `DELETE FROM member_search`)
			page, err := f.st.Inbox(ctx, store.InboxFilter{WorkspaceIDs: all, Query: "vélo"})
			if err != nil || len(page.Rows) != 0 {
				t.Fatalf("emptied index still finds: %v, %v", f.roots(page.Rows), err)
			}
			f.exec(t, `INSERT INTO search_backfill (id, message_id) SELECT 1, MAX(id) FROM messages`)
			if pending, err := f.st.SearchIndexPending(ctx); err != nil || !pending {
				t.Fatalf("pending after the mark: %v, %v", pending, err)
			}
			// A search does not wait for the backfill: it finds what is
			// indexed.
			page, err = f.st.Inbox(ctx, store.InboxFilter{WorkspaceIDs: all, Query: "vélo"})
			if err != nil || len(page.Rows) != 0 {
				t.Fatalf("before the backfill: %v, %v", f.roots(page.Rows), err)
			}
			if err := f.st.BackfillSearch(ctx); err != nil {
				t.Fatal(err)
			}
			if pending, err := f.st.SearchIndexPending(ctx); err != nil || pending {
				t.Fatalf("pending after the backfill: %v, %v", pending, err)
			}
			page, err = f.st.Inbox(ctx, store.InboxFilter{WorkspaceIDs: all, Query: "vélo"})
			if err != nil || !slices.Equal(f.roots(page.Rows), []string{"c6", "c1"}) {
				t.Fatalf("after backfill: %v, %v", f.roots(page.Rows), err)
			}
			ms, err := f.st.SearchMembers(ctx, all, "carole", 0)
			if err != nil || len(ms) != 1 {
				t.Fatalf("members after backfill: %+v, %v", ms, err)
			}
			var left int
			if err := f.raw.QueryRow(`SELECT COUNT(*) FROM search_backfill`).Scan(&left); err != nil || left != 0 {
				t.Fatalf("backfill mark left: %d, %v", left, err)
			}
		})
	}
}

func TestInboxCounts(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			f := newInboxFixture(t, engine)
			ctx := context.Background()
			all := []int64{f.ws["velo"], f.ws["banque"]}
			for _, tc := range []struct {
				ws   []int64
				user int64
				want store.InboxCounts
			}{
				// Open: c1 (cm), c4 (cm, due 10 minutes ago), c6
				// (unassigned); c2 is snoozed, c3 resolved.
				{all, f.u1, store.InboxCounts{Mine: 2, Unassigned: 1, NeedsResponse: 1, Mentions: 0, DueSoon: 2}},
				{all, f.u2, store.InboxCounts{Mine: 0, Unassigned: 1, NeedsResponse: 1, Mentions: 1, DueSoon: 2}},
				{[]int64{f.ws["banque"]}, f.u1, store.InboxCounts{Mine: 1, DueSoon: 1}},
				{[]int64{f.ws["secret"]}, f.u2, store.InboxCounts{Mine: 0, Unassigned: 0}}, // c5 is new and the expert's
			} {
				got, err := f.st.InboxCounts(ctx, tc.ws, tc.user, f.now())
				if err != nil {
					t.Fatal(err)
				}
				if tc.ws[0] == f.ws["secret"] {
					tc.want.Mine = 1
				}
				if got != tc.want {
					t.Errorf("workspaces %v user %d: got %+v, want %+v", tc.ws, tc.user, got, tc.want)
				}
			}
			// Due soon is relative to now: an hour earlier, c1 (due in
			// 30 minutes) is not due within the hour, c4 still is.
			got, err := f.st.InboxCounts(ctx, all, f.u1, f.now().Add(-time.Hour))
			if err != nil || got.DueSoon != 1 {
				t.Errorf("due soon an hour earlier: %+v, %v", got, err)
			}
		})
	}
}

// BenchmarkInbox measures the inbox's pages, counts and searches over
// 200,000 messages in 20,000 conversations of five workspaces, half of the
// conversations open. PALABRE_TEST_POSTGRES adds the PostgreSQL runs.
func BenchmarkInbox(b *testing.B) {
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		b.Run(engine, func(b *testing.B) {
			ctx := context.Background()
			dsn := testutil.NewDSN(b, engine)
			st, err := store.Open(ctx, dsn)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			raw := openRaw(b, engine, dsn)
			const convs, perConv = 20_000, 10
			words := []string{"vélo", "livraison", "remboursement", "électrique", "carte", "application", "running", "panne", "merci", "commande", "retard", "batterie"}
			t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
			var wss []int64
			start := time.Now()
			for w := range 5 {
				ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: fmt.Sprint("ws", w)})
				if err != nil {
					b.Fatal(err)
				}
				wss = append(wss, ws.ID)
				ch, err := st.EnsureChannel(ctx, ws.ID, "blog", "wordpress")
				if err != nil {
					b.Fatal(err)
				}
				im := st.NewImporter(ws, ch)
				var batch []store.IngestItem
				for c := w; c < convs; c += 5 {
					root := fmt.Sprint("c", c)
					for k := range perConv {
						ext := root
						if k > 0 {
							ext = fmt.Sprint(root, "-", k)
						}
						author := fmt.Sprint("author", (c*7+k)%3000)
						m := model.Message{ExternalID: ext, ConversationExternalID: root, Kind: model.KindComment,
							Status: model.StatusApproved, AuthorName: author, AuthorIsStaff: k%4 == 3, Lang: "fr",
							Body: fmt.Sprintf("Message %d about %s and %s, %s %s", k, words[(c+k)%len(words)], words[(c*3+k)%len(words)],
								strings.Repeat("du texte ", 20), fmt.Sprint("ref", c*perConv+k)),
							CreatedAt: t0.Add(time.Duration(c*perConv+k) * time.Second)}
						if k > 0 {
							m.ParentExternalID = root
						}
						it := store.IngestItem{Message: m, Root: root, NewMemberID: "m_" + author, DisplayName: author,
							Identities: []store.IdentityKey{{Key: "name:" + author, Kind: model.IdentityName, Value: author}}}
						batch = append(batch, it)
						if len(batch) == 1000 {
							if _, err := im.Write(ctx, batch); err != nil {
								b.Fatal(err)
							}
							batch = batch[:0]
						}
					}
				}
				if _, err := im.Write(ctx, batch); err != nil {
					b.Fatal(err)
				}
			}
			b.Logf("%s: imported %d messages in %v", engine, convs*perConv, time.Since(start).Round(time.Millisecond))
			for _, q := range []string{
				`UPDATE conversations SET status = 'resolved' WHERE id % 2 = 0`,
				`UPDATE conversations SET assignee_id = NULL, awaiting_since = last_activity_at, response_due_at = last_activity_at + 3600000000 WHERE id % 2 = 1`,
				`ANALYZE`,
			} {
				if _, err := raw.Exec(q); err != nil {
					b.Fatal(err)
				}
			}
			now := t0.Add(convs * perConv * time.Second)
			one := wss[:1]
			for _, bc := range []struct {
				name string
				f    store.InboxFilter
			}{
				{"all", store.InboxFilter{WorkspaceIDs: wss}},
				{"all-page-10", store.InboxFilter{WorkspaceIDs: wss}},
				{"open", store.InboxFilter{WorkspaceIDs: wss, Open: true}},
				{"one-workspace-open", store.InboxFilter{WorkspaceIDs: one, Open: true}},
				{"by-due", store.InboxFilter{WorkspaceIDs: wss, Open: true, ByDue: true}},
				{"lang-en-none", store.InboxFilter{WorkspaceIDs: wss, Open: true, Lang: "en"}},
				{"search-common", store.InboxFilter{WorkspaceIDs: wss, Query: "vélos"}},
				{"search-rare", store.InboxFilter{WorkspaceIDs: wss, Query: "ref123457"}},
				{"search-member", store.InboxFilter{WorkspaceIDs: wss, Query: "author42"}},
			} {
				f := bc.f
				if bc.name == "all-page-10" {
					for range 9 {
						page, err := st.Inbox(ctx, f)
						if err != nil {
							b.Fatal(err)
						}
						f.Cursor = page.Next
					}
				}
				b.Run(bc.name, func(b *testing.B) {
					for b.Loop() {
						if _, err := st.Inbox(ctx, f); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
			b.Run("counts", func(b *testing.B) {
				for b.Loop() {
					if _, err := st.InboxCounts(ctx, wss, 1, now); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("members", func(b *testing.B) {
				for b.Loop() {
					if _, err := st.SearchMembers(ctx, wss, "author42", 20); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// TestPostgresWithoutJIT checks that palabre's PostgreSQL connections do
// not JIT-compile queries: a search over a common word spent 413 ms of
// 437 compiling.
func TestPostgresWithoutJIT(t *testing.T) {
	st := testutil.NewStore(t, "postgres")
	var jit string
	if err := st.QueryRowForTest(context.Background(), `SHOW jit`).Scan(&jit); err != nil {
		t.Fatal(err)
	}
	if jit != "off" {
		t.Fatalf("jit = %q, want off", jit)
	}
}

// TestOptimizeReachesReaders checks that the statistics Optimize gathers
// reach the SQLite readers already open: ANALYZE alone leaves them planning
// with what they loaded before, and after a large import a busy member's
// page took ten times as long until they were closed.
func TestOptimizeReachesReaders(t *testing.T) {
	ctx := context.Background()
	st := testutil.NewStore(t, store.EngineSQLite)
	// Column a picks one row of 2,000, b all of them; without statistics
	// SQLite takes the index created last, b's.
	for _, stmt := range []string{
		`CREATE TABLE optimize_probe (a INTEGER, b INTEGER)`,
		`CREATE INDEX optimize_probe_a ON optimize_probe (a)`,
		`CREATE INDEX optimize_probe_b ON optimize_probe (b)`,
		`WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
			INSERT INTO optimize_probe SELECT i, 1 FROM n`,
	} {
		if err := st.ExecForTest(ctx, stmt); err != nil {
			t.Fatal(err)
		}
	}
	reader, err := st.ReaderForTest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	plan := func() string {
		t.Helper()
		rows, err := reader.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT * FROM optimize_probe WHERE a = 5 AND b = 1`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			out = append(out, detail)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return strings.Join(out, "; ")
	}
	if p := plan(); !strings.Contains(p, "optimize_probe_b") {
		t.Fatalf("before Optimize: plan %q; the probe no longer tells stale statistics from fresh", p)
	}
	if err := st.Optimize(ctx); err != nil {
		t.Fatal(err)
	}
	// A query reads the schema's version as it starts, and the schema
	// again when that changed; EXPLAIN does not, so one is asked first.
	var n int
	if err := reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM optimize_probe WHERE b = 1`).Scan(&n); err != nil || n != 2000 {
		t.Fatalf("count: %d, %v", n, err)
	}
	if p := plan(); !strings.Contains(p, "optimize_probe_a") {
		t.Errorf("after Optimize, a reader open before it plans %q: it did not load the new statistics", p)
	}
}

// TestSearchPendingListShort: on PostgreSQL the search indexes merge what
// is added into the index once 128 kB wait in their pending list, which
// every search reads through (at the default 4 MB, a busy inbox made
// each search read thousands of pending entries).
func TestSearchPendingListShort(t *testing.T) {
	_, db := testutil.NewRaw(t, store.EnginePostgres)
	for _, index := range []string{"message_search_terms", "member_search_terms"} {
		var options string
		err := db.QueryRow(`SELECT COALESCE(array_to_string(reloptions, ','), '') FROM pg_class WHERE relname = $1`, index).Scan(&options)
		if err != nil {
			t.Fatalf("%s: %v", index, err)
		}
		if !slices.Contains(strings.Split(options, ","), "gin_pending_list_limit=128") {
			t.Errorf("index %s: options %q, want gin_pending_list_limit=128", index, options)
		}
	}
}
