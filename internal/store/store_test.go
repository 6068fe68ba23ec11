package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

func TestWorkspaces(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "velo", Name: "Vélo", Sector: "cycling"})
		if err != nil {
			t.Fatal(err)
		}
		if w.ID == 0 {
			t.Fatal("no id assigned")
		}
		if _, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "velo"}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second create: got %v, want ErrConflict", err)
		}
		for _, bad := range []string{"", "Velo", "-velo", "velo-", "vé", "a b"} {
			if _, err := st.CreateWorkspace(ctx, model.Workspace{Slug: bad}); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("slug %q: got %v, want ErrInvalid", bad, err)
			}
		}
		again, err := st.EnsureWorkspace(ctx, model.Workspace{Slug: "velo", Name: "other"})
		if err != nil || again.ID != w.ID || again.Name != "Vélo" {
			t.Fatalf("ensure existing: %+v, %v", again, err)
		}
		if _, err := st.WorkspaceBySlug(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing workspace: got %v, want ErrNotFound", err)
		}
		if _, err := st.EnsureWorkspace(ctx, model.Workspace{Slug: "banque"}); err != nil {
			t.Fatal(err)
		}
		all, err := st.Workspaces(ctx)
		if err != nil || len(all) != 2 || all[0].Slug != "banque" || all[1].Slug != "velo" {
			t.Fatalf("list: %+v, %v", all, err)
		}
		c1, err := st.EnsureChannel(ctx, w.ID, "blog", "wordpress")
		if err != nil {
			t.Fatal(err)
		}
		c2, err := st.EnsureChannel(ctx, w.ID, "blog", "other")
		if err != nil || c2.ID != c1.ID || c2.Kind != "wordpress" {
			t.Fatalf("ensure channel twice: %+v %+v %v", c1, c2, err)
		}
		if _, err := st.EnsureChannel(ctx, w.ID, "Bad Name", ""); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("bad channel name: got %v", err)
		}
	})
}

func TestMigrationsRunOnce(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			dsn := testutil.NewDSN(t, engine)
			ctx := context.Background()
			st, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "kept"}); err != nil {
				t.Fatal(err)
			}
			st.Close()
			st, err = store.Open(ctx, dsn) // a second start must not re-apply steps
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			defer st.Close()
			if _, err := st.WorkspaceBySlug(ctx, "kept"); err != nil {
				t.Fatalf("data lost on reopen: %v", err)
			}
		})
	}
}

// item builds a prepared message for the importer.
func item(ext, parent, root string, at time.Time, author string) store.IngestItem {
	m := model.Message{ExternalID: ext, ParentExternalID: parent, ConversationExternalID: root,
		Kind: model.KindComment, Status: model.StatusApproved, Body: "body of " + ext, CreatedAt: at, AuthorName: author}
	if parent == "" {
		m.Kind = model.KindPost
	}
	it := store.IngestItem{Message: m, Root: root}
	if author != "" {
		it.Identities = []store.IdentityKey{{Key: "name:" + author, Kind: model.IdentityName, Value: author}}
		it.NewMemberID = "m_" + author
		it.DisplayName = author
	}
	if ext == root {
		it.Subject = "subject " + ext
	}
	return it
}

func setup(t *testing.T, st *store.Store) (model.Workspace, model.Channel) {
	t.Helper()
	ctx := context.Background()
	w, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "ws"})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := st.EnsureChannel(ctx, w.ID, "blog", "wordpress")
	if err != nil {
		t.Fatal(err)
	}
	return w, ch
}

func TestImporterIdempotentAndThreaded(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w, ch := setup(t, st)
		t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
		items := []store.IngestItem{
			item("p1", "", "p1", t0, "ana"),
			item("c1", "p1", "p1", t0.Add(time.Hour), "bob"),
			item("c2", "c1", "", t0.Add(2*time.Hour), "ana"), // root found through its parent
			item("c3", "p1", "p1", t0.Add(30*time.Minute), "cy"),
			item("c1", "p1", "p1", t0.Add(time.Hour), "bob"), // repeated in the batch
		}
		im := st.NewImporter(w, ch)
		res, err := im.Write(ctx, items)
		if err != nil {
			t.Fatal(err)
		}
		want := store.BatchResult{Inserted: 4, Duplicates: 1, NewConversations: 1, NewMembers: 3}
		if res != want {
			t.Fatalf("first write: got %+v, want %+v", res, want)
		}
		// A second importer (a re-run) sees everything as stored.
		res, err = st.NewImporter(w, ch).Write(ctx, items)
		if err != nil {
			t.Fatal(err)
		}
		if want := (store.BatchResult{Duplicates: 5}); res != want {
			t.Fatalf("re-run: got %+v, want %+v", res, want)
		}
		stats, err := st.WorkspaceStats(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stats != (store.Stats{Conversations: 1, Messages: 4, Members: 3}) {
			t.Fatalf("stats: %+v", stats)
		}
		page, err := st.Conversations(ctx, w.ID, store.ConversationFilter{})
		if err != nil || len(page.Conversations) != 1 {
			t.Fatalf("conversations: %+v %v", page, err)
		}
		c := page.Conversations[0]
		if c.MessageCount != 4 || !c.CreatedAt.Equal(t0) || !c.LastActivityAt.Equal(t0.Add(2*time.Hour)) ||
			c.Subject != "subject p1" || c.Status != model.ConvNew || c.Channel != "blog" || c.Workspace != "ws" {
			t.Fatalf("conversation: %+v", c)
		}
		msgs, err := st.ConversationMessages(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range msgs {
			got = append(got, fmt.Sprintf("%s@%d", m.ExternalID, m.Depth))
		}
		if fmt.Sprint(got) != "[p1@0 c3@1 c1@1 c2@2]" {
			t.Fatalf("thread order: %v", got)
		}
		if msgs[3].ConversationExternalID != "p1" || msgs[0].MemberID != msgs[3].MemberID || msgs[0].MemberID != "m_ana" {
			t.Fatalf("reply resolution: %+v", msgs[3])
		}
	})
}

func TestImporterMembersAcrossBatches(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w, ch := setup(t, st)
		t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
		a := item("p1", "", "p1", t0, "")
		a.Identities = []store.IdentityKey{{Key: "email:x@example.org", Kind: "email", Value: "X@example.org"}}
		a.NewMemberID, a.DisplayName = "m_x", "Xavier"
		b := item("c1", "p1", "p1", t0.Add(time.Minute), "")
		// A new handle and a known e-mail: the e-mail decides, the handle is learnt.
		b.Identities = []store.IdentityKey{
			{Key: "email:x@example.org", Kind: "email", Value: "x@example.org"},
			{Key: "handle:blog:xav", Kind: "handle", Value: "xav"},
		}
		b.NewMemberID = "m_other"
		b.Message.AuthorIsStaff = true
		c := item("c2", "p1", "p1", t0.Add(2*time.Minute), "")
		c.Identities = []store.IdentityKey{{Key: "handle:blog:xav", Kind: "handle", Value: "xav"}}
		c.NewMemberID = "m_third"
		d := item("c3", "p1", "p1", t0.Add(3*time.Minute), "")
		d.MemberID = "m_x" // an explicit member id wins
		d.Identities = []store.IdentityKey{{Key: "email:y@example.org", Kind: "email", Value: "y@example.org"}}
		d.NewMemberID = "m_y"

		im := st.NewImporter(w, ch)
		for i, batch := range [][]store.IngestItem{{a}, {b}, {c, d}} {
			if _, err := im.Write(ctx, batch); err != nil {
				t.Fatalf("batch %d: %v", i, err)
			}
		}
		var members []string
		err := st.ExportMessages(ctx, w.ID, func(m *model.Message) error {
			members = append(members, m.MemberID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(members) != "[m_x m_x m_x m_x]" {
			t.Fatalf("members: %v", members)
		}
		stats, _ := st.WorkspaceStats(ctx, w.ID)
		if stats.Members != 1 || stats.StaffMessages != 1 {
			t.Fatalf("stats: %+v", stats)
		}
		m, err := st.Member(ctx, w.ID, "m_x")
		if err != nil {
			t.Fatal(err)
		}
		if m.MessageCount != 4 || !m.IsStaff || m.DisplayName != "Xavier" || len(m.Identities) != 3 ||
			!m.FirstSeenAt.Equal(t0) || !m.LastSeenAt.Equal(t0.Add(3*time.Minute)) {
			t.Fatalf("member: %+v", m)
		}
	})
}

func TestConversationPages(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w, ch := setup(t, st)
		t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
		var items []store.IngestItem
		for i := range 7 {
			id := fmt.Sprintf("p%d", i)
			// Two conversations share an activity time, to exercise the tie-break.
			at := t0.Add(time.Duration(min(i, 5)) * time.Hour)
			items = append(items, item(id, "", id, at, ""))
		}
		if _, err := st.NewImporter(w, ch).Write(ctx, items); err != nil {
			t.Fatal(err)
		}
		var seen []string
		cursor := ""
		for range 10 {
			page, err := st.Conversations(ctx, w.ID, store.ConversationFilter{Limit: 3, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page.Conversations {
				seen = append(seen, c.RootExternalID)
			}
			if page.Next == "" {
				break
			}
			cursor = page.Next
		}
		if fmt.Sprint(seen) != "[p6 p5 p4 p3 p2 p1 p0]" {
			t.Fatalf("pages: %v", seen)
		}
		for _, f := range []store.ConversationFilter{{Limit: -1}, {Limit: 501}, {Status: "closed"}, {Cursor: "!!"}, {Cursor: "YWJj"}} {
			if _, err := st.Conversations(ctx, w.ID, f); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("filter %+v: got %v, want ErrInvalid", f, err)
			}
		}
		page, err := st.Conversations(ctx, w.ID, store.ConversationFilter{Status: model.ConvResolved})
		if err != nil || len(page.Conversations) != 0 {
			t.Fatalf("status filter: %+v %v", page, err)
		}
		if _, err := st.Conversation(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing conversation: %v", err)
		}
	})
}

func TestEvents(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w, _ := setup(t, st)
		t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
		for i, action := range []string{"import", "export", "import"} {
			if _, err := st.RecordEvent(ctx, model.Event{WorkspaceID: w.ID, Actor: "cli", Action: action,
				Subject: fmt.Sprint("file", i), CreatedAt: t0.Add(time.Duration(i) * time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.RecordEvent(ctx, model.Event{Actor: "cli", Action: "global"}); err != nil {
			t.Fatalf("event without workspace: %v", err)
		}
		if _, err := st.RecordEvent(ctx, model.Event{Actor: "cli"}); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("event without action: %v", err)
		}
		evs, err := st.Events(ctx, w.ID, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || evs[0].Subject != "file2" || evs[1].Action != "export" || !evs[0].CreatedAt.Equal(t0.Add(2*time.Minute)) {
			t.Fatalf("events %+v", evs)
		}
		if _, err := st.Events(ctx, w.ID, 0); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("limit 0: %v", err)
		}
	})
}

// TestInListLengths reads through IN lists of every length from 1 to 40,
// with repeats and unknown values: the list is filled up to a power of
// two, which must change nothing of what it selects.
func TestInListLengths(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		for i := 1; i <= 40; i++ {
			if _, err := st.CreateWorkspace(ctx, model.Workspace{Slug: fmt.Sprintf("w%d", i), Name: "W"}); err != nil {
				t.Fatal(err)
			}
		}
		for n := 1; n <= 40; n++ {
			var values []string
			want := map[string]int{}
			for i := range n {
				v := fmt.Sprintf("w%d", (i*7)%45+1) // w41..w45 do not exist; some repeat
				values = append(values, v)
				if (i*7)%45+1 <= 40 {
					want[v] = 1
				}
				if i%5 == 4 {
					values = append(values, values[0])
				}
			}
			got := map[string]int{}
			err := st.InListForTest(ctx, `SELECT slug FROM workspaces WHERE slug`, nil, values, func(r *sql.Rows) error {
				var s string
				err := r.Scan(&s)
				got[s]++
				return err
			})
			if err != nil {
				t.Fatalf("%d values: %v", n, err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%d values %v: got %v, want %v", n, values, got, want)
			}
		}
	})
}

// TestWriteGroups stores several deliveries in one transaction: each
// group is told what it inserted and what it repeated, each delivery is
// remembered, and a failure stores nothing of any.
func TestWriteGroups(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w, ch := setup(t, st)
		t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
		until := time.Now().Add(time.Hour)
		groups := []store.Group{
			{Items: []store.IngestItem{item("p1", "", "p1", t0, "ana"), item("c1", "p1", "p1", t0.Add(time.Hour), "bob")},
				Delivery: &store.Delivery{Key: "k1", Until: until}},
			// c1 again (the first group has it), c2 new, c2 repeated in the group.
			{Items: []store.IngestItem{item("c1", "p1", "p1", t0.Add(time.Hour), "bob"), item("c2", "c1", "", t0.Add(2*time.Hour), "cy"),
				item("c2", "c1", "", t0.Add(2*time.Hour), "cy")},
				Delivery: &store.Delivery{Key: "k2", Until: until}},
			{Delivery: &store.Delivery{Key: "k1", Until: until.Add(time.Hour)}}, // the same key twice in one call
			{Items: []store.IngestItem{item("q1", "", "q1", t0, "dee")}},
		}
		res, err := st.NewImporter(w, ch).WriteGroups(ctx, groups)
		if err != nil {
			t.Fatal(err)
		}
		want := []store.BatchResult{{Inserted: 2}, {Inserted: 1, Duplicates: 2}, {}, {Inserted: 1}}
		if fmt.Sprint(res) != fmt.Sprint(want) {
			t.Fatalf("results %+v, want %+v", res, want)
		}
		for _, k := range []string{"k1", "k2"} {
			if seen, err := st.SeenDelivery(ctx, ch.ID, k, until.Add(-time.Minute)); err != nil || !seen {
				t.Errorf("delivery %s not remembered: %v %v", k, seen, err)
			}
		}
		// k1 kept the later of its two ends.
		if seen, err := st.SeenDelivery(ctx, ch.ID, "k1", until.Add(30*time.Minute)); err != nil || !seen {
			t.Errorf("delivery k1 not kept until its later end: %v %v", seen, err)
		}
		stats, err := st.WorkspaceStats(ctx, w.ID)
		if err != nil || stats != (store.Stats{Conversations: 2, Messages: 4, Members: 4}) {
			t.Fatalf("stats: %+v %v", stats, err)
		}
		// Again: everything repeated.
		res, err = st.NewImporter(w, ch).WriteGroups(ctx, groups)
		if err != nil {
			t.Fatal(err)
		}
		if want := []store.BatchResult{{Duplicates: 2}, {Duplicates: 3}, {}, {Duplicates: 1}}; fmt.Sprint(res) != fmt.Sprint(want) {
			t.Fatalf("again: results %+v, want %+v", res, want)
		}
		// A transaction that fails (its context ended) stores nothing and
		// remembers nothing.
		done, cancel := context.WithCancel(ctx)
		cancel()
		_, err = st.NewImporter(w, ch).WriteGroups(done, []store.Group{
			{Items: []store.IngestItem{item("r1", "", "r1", t0, "eve")}, Delivery: &store.Delivery{Key: "k3", Until: until}}})
		if err == nil {
			t.Fatal("a write with its context ended succeeded")
		}
		if seen, err := st.SeenDelivery(ctx, ch.ID, "k3", time.Now()); err != nil || seen {
			t.Errorf("a failed write remembered its delivery: %v %v", seen, err)
		}
		if stats, err := st.WorkspaceStats(ctx, w.ID); err != nil || stats.Messages != 4 {
			t.Fatalf("after a failed write: %+v %v", stats, err)
		}
	})
}
