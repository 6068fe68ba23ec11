package store_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// pt0 is when the people tests' messages start.
var pt0 = time.Date(2024, 1, 10, 9, 0, 0, 0, time.UTC)

// authored is one message of the people tests: its id, its conversation's
// root, its author, when, and its sentiment.
type authored struct {
	ext, root           string
	email, handle, name string
	at                  time.Time
	sentiment           string
	score               float64
	staff               bool
}

// item prepares a message as ingest would, with the identity keys it
// derives (ingest cannot be imported here: it imports the store).
func (a authored) item(ws, channel string) store.IngestItem {
	m := model.Message{ExternalID: a.ext, Kind: model.KindComment, Status: model.StatusApproved, Body: "body of " + a.ext,
		AuthorEmail: a.email, AuthorHandle: a.handle, AuthorName: a.name, AuthorIsStaff: a.staff, CreatedAt: a.at,
		Sentiment: a.sentiment}
	if a.ext == a.root {
		m.Kind = model.KindPost
	} else {
		m.ParentExternalID = a.root
	}
	if a.sentiment != "" {
		score := a.score
		m.SentimentScore = &score
	}
	var keys []store.IdentityKey
	if a.email != "" {
		keys = append(keys, store.IdentityKey{Key: "email:" + strings.ToLower(a.email), Kind: model.IdentityEmail, Value: a.email})
	}
	if a.handle != "" {
		keys = append(keys, store.IdentityKey{Key: "handle:" + channel + ":" + strings.ToLower(a.handle), Kind: model.IdentityHandle, Value: a.handle})
	}
	if a.name != "" {
		keys = append(keys, store.IdentityKey{Key: "name:" + channel + ":" + strings.ToLower(a.name), Kind: model.IdentityName, Value: a.name, Weak: true})
	}
	it := store.IngestItem{Message: m, Root: a.root, Identities: keys, DisplayName: a.name}
	if len(keys) > 0 {
		it.NewMemberID = ws + "-" + strings.NewReplacer(":", "-", "@", "-").Replace(keys[0].Key)
	}
	if a.ext == a.root {
		it.Subject = "subject " + a.ext
	}
	return it
}

// peopleWorld is a workspace with a blog whose messages come from Ana
// (e-mail and name) and Anouk (handle and name), who turn out to be one
// person.
type peopleWorld struct {
	st        *store.Store
	ws        model.Workspace
	ch        model.Channel
	ana, anou string // member ids
}

func newPeopleWorld(t *testing.T, st *store.Store, slug string) peopleWorld {
	t.Helper()
	ctx := context.Background()
	ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: slug, Name: slug})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := st.EnsureChannel(ctx, ws.ID, "blog", "wordpress")
	if err != nil {
		t.Fatal(err)
	}
	w := peopleWorld{st: st, ws: ws, ch: ch, ana: slug + "-email-ana-example.org", anou: slug + "-handle-blog-anouk"}
	w.write(t,
		authored{ext: "p1", root: "p1", email: "ana@example.org", name: "Ana", at: pt0, sentiment: "pos", score: 0.8},
		authored{ext: "c1", root: "p1", email: "ana@example.org", name: "Ana", at: pt0.Add(30 * 24 * time.Hour), sentiment: "neg", score: -0.6},
		authored{ext: "p2", root: "p2", handle: "anouk", name: "Anouk", at: pt0.Add(24 * time.Hour), sentiment: "neu", score: 0, staff: true},
		authored{ext: "c2", root: "p1", handle: "anouk", name: "Anouk", at: pt0.Add(60 * 24 * time.Hour), sentiment: "neg", score: -0.9},
		authored{ext: "c9", root: "p1", email: "zoe@example.org", name: "Zoé", at: pt0.Add(2 * time.Hour)},
	)
	return w
}

func (w peopleWorld) write(t *testing.T, msgs ...authored) {
	t.Helper()
	items := make([]store.IngestItem, 0, len(msgs))
	for _, a := range msgs {
		items = append(items, a.item(w.ws.Slug, w.ch.Name))
	}
	if _, err := w.st.NewImporter(w.ws, w.ch).Write(context.Background(), items); err != nil {
		t.Fatal(err)
	}
}

// owners maps each message's external id to its member id.
func (w peopleWorld) owners(t *testing.T) map[string]string {
	t.Helper()
	ctx := context.Background()
	page, err := w.st.Conversations(ctx, w.ws.ID, store.ConversationFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string)
	for _, c := range page.Conversations {
		msgs, err := w.st.ConversationMessages(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			out[m.ExternalID] = m.MemberID
		}
	}
	return out
}

func (w peopleWorld) member(t *testing.T, id string) model.Member {
	t.Helper()
	m, err := w.st.Member(context.Background(), w.ws.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func identityValues(m model.Member) []string {
	var out []string
	for _, i := range m.Identities {
		out = append(out, i.Kind+":"+i.Value)
	}
	slices.Sort(out)
	return out
}

func TestMergeAndUnmerge(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newPeopleWorld(t, st, "velo")
		other := newPeopleWorld(t, st, "banque")
		if _, err := st.SetMemberTags(ctx, w.ws.ID, w.ana, []string{"Blogger"}, nil, "cm"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SetMemberTags(ctx, w.ws.ID, w.anou, []string{"VIP", "blogger"}, nil, "cm"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.AddMemberNote(ctx, w.ws.ID, w.anou, model.User{Login: "cm"}, "Writes from Lyon.", pt0); err != nil {
			t.Fatal(err)
		}
		anaBefore, anouBefore, ownersBefore := w.member(t, w.ana), w.member(t, w.anou), w.owners(t)
		if anaBefore.MessageCount != 2 || anouBefore.MessageCount != 2 || !anouBefore.IsStaff || anaBefore.IsStaff {
			t.Fatalf("before: %+v %+v", anaBefore, anouBefore)
		}

		// Refusals.
		for _, c := range []struct {
			into, from string
			want       error
		}{
			{w.ana, w.ana, store.ErrInvalid},
			{w.ana, other.anou, store.ErrNotFound}, // a member of another workspace
			{w.ana, "nobody", store.ErrNotFound},
		} {
			if _, err := st.MergeMembers(ctx, w.ws.ID, c.into, c.from, "cm", pt0); !errors.Is(err, c.want) {
				t.Errorf("merge %s into %s: %v, want %v", c.from, c.into, err, c.want)
			}
		}
		if _, err := st.UnmergeMember(ctx, w.ws.ID, w.anou, "cm", pt0); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("unmerge a member never merged: %v", err)
		}

		for round := range 2 {
			merged, err := st.MergeMembers(ctx, w.ws.ID, w.ana, w.anou, "cm", pt0.Add(time.Hour))
			if err != nil {
				t.Fatalf("round %d: merge: %v", round, err)
			}
			wantIDs := []string{"email:ana@example.org", "handle:anouk", "name:Ana", "name:Anouk"}
			if merged.MessageCount != 4 || !merged.IsStaff || !merged.FirstSeenAt.Equal(pt0) || !merged.LastSeenAt.Equal(pt0.Add(60*24*time.Hour)) ||
				!slices.Equal(identityValues(merged), wantIDs) || !slices.Equal(merged.Tags, []string{"blogger", "vip"}) || merged.MergedInto != "" {
				t.Errorf("round %d: merged %+v", round, merged)
			}
			gone := w.member(t, w.anou)
			if gone.MergedInto != w.ana || gone.MessageCount != 0 || len(gone.Identities) != 0 {
				t.Errorf("round %d: merged away: %+v", round, gone)
			}
			for ext, id := range w.owners(t) {
				if want := map[bool]string{true: w.ana, false: "velo-email-zoe-example.org"}[ext != "c9"]; id != want {
					t.Errorf("round %d: message %s of %s, want %s", round, ext, id, want)
				}
			}
			if merges, err := st.MemberMerges(ctx, w.ws.ID, w.ana); err != nil || len(merges) != 1 ||
				merges[0].From != w.anou || merges[0].Into != w.ana || merges[0].Actor != "cm" || merges[0].Identities != 2 || merges[0].Messages != 2 {
				t.Errorf("round %d: merges: %+v, %v", round, merges, err)
			}
			if notes, err := st.MemberNotes(ctx, w.ws.ID, w.ana); err != nil || len(notes) != 1 || notes[0].MemberID != w.anou {
				t.Errorf("round %d: notes of the survivor: %+v, %v", round, notes, err)
			}
			// Merging again, into a merged member, or changing it: refused.
			if _, err := st.MergeMembers(ctx, w.ws.ID, w.ana, w.anou, "cm", pt0); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("round %d: merge twice: %v", round, err)
			}
			if _, err := st.MergeMembers(ctx, w.ws.ID, w.anou, "velo-email-zoe-example.org", "cm", pt0); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("round %d: merge into a merged member: %v", round, err)
			}
			if _, err := st.SetMemberTags(ctx, w.ws.ID, w.anou, []string{"x"}, nil, "cm"); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("round %d: tag a merged member: %v", round, err)
			}
			if round == 0 {
				// Undone at once, everything is as it was.
				back, err := st.UnmergeMember(ctx, w.ws.ID, w.anou, "cm", pt0.Add(2*time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				if !equalMember(back, anouBefore) || !equalMember(w.member(t, w.ana), anaBefore) {
					t.Errorf("after unmerge:\n%+v\n%+v\nwant\n%+v\n%+v", back, w.member(t, w.ana), anouBefore, anaBefore)
				}
				if got := w.owners(t); !maps.Equal(got, ownersBefore) {
					t.Errorf("owners after unmerge %v, want %v", got, ownersBefore)
				}
				if merges, _ := st.MemberMerges(ctx, w.ws.ID, w.ana); len(merges) != 0 {
					t.Errorf("merges after unmerge: %+v", merges)
				}
				continue
			}
			// Imported after the merge: Anouk by her handle with an
			// e-mail address never seen, Ana by hers; then Anouk by
			// that new address alone.
			w.write(t,
				authored{ext: "c3", root: "p2", handle: "anouk", email: "anouk@example.org", at: pt0.Add(90 * 24 * time.Hour)},
				authored{ext: "c4", root: "p2", email: "ana@example.org", name: "Ana", at: pt0.Add(91 * 24 * time.Hour)},
			)
			w.write(t, authored{ext: "c5", root: "p2", email: "anouk@example.org", at: pt0.Add(92 * 24 * time.Hour)})
			owners := w.owners(t)
			for _, ext := range []string{"c3", "c4", "c5"} {
				if owners[ext] != w.ana {
					t.Errorf("message %s imported after the merge went to %s, want %s", ext, owners[ext], w.ana)
				}
			}
			back, err := st.UnmergeMember(ctx, w.ws.ID, w.anou, "cm", pt0.Add(100*24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			owners = w.owners(t)
			for ext, want := range map[string]string{"p1": w.ana, "c1": w.ana, "c4": w.ana, "p2": w.anou, "c2": w.anou, "c3": w.anou, "c5": w.anou} {
				if owners[ext] != want {
					t.Errorf("after unmerge, message %s of %s, want %s", ext, owners[ext], want)
				}
			}
			if want := []string{"email:anouk@example.org", "handle:anouk", "name:Anouk"}; !slices.Equal(identityValues(back), want) ||
				back.MessageCount != 4 || !back.IsStaff || !back.FirstSeenAt.Equal(pt0.Add(24*time.Hour)) ||
				!back.LastSeenAt.Equal(pt0.Add(92*24*time.Hour)) || back.MergedInto != "" || !slices.Equal(back.Tags, []string{"blogger", "vip"}) {
				t.Errorf("given back: %+v", back)
			}
			ana := w.member(t, w.ana)
			if want := []string{"email:ana@example.org", "name:Ana"}; !slices.Equal(identityValues(ana), want) ||
				ana.MessageCount != 3 || ana.IsStaff || !ana.LastSeenAt.Equal(pt0.Add(91*24*time.Hour)) || !slices.Equal(ana.Tags, []string{"blogger"}) {
				t.Errorf("survivor after unmerge: %+v", ana)
			}
			// Anouk's next message, by her new address, is hers again.
			w.write(t, authored{ext: "c6", root: "p2", email: "anouk@example.org", at: pt0.Add(101 * 24 * time.Hour)})
			if got := w.owners(t)["c6"]; got != w.anou {
				t.Errorf("message after unmerge went to %s", got)
			}
		}
		events, err := st.Events(ctx, w.ws.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, e := range events {
			count[e.Action]++
		}
		if count["member.merge"] != 2 || count["member.unmerge"] != 2 || count["member.tags"] != 2 || count["member.note"] != 1 {
			t.Errorf("events: %v", count)
		}
		if _, err := st.UnmergeMember(ctx, w.ws.ID, w.anou, "cm", pt0); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("unmerge twice: %v", err)
		}
	})
}

// equalMember compares members as Member reads them.
func equalMember(a, b model.Member) bool {
	return a.ID == b.ID && a.DisplayName == b.DisplayName && a.IsStaff == b.IsStaff && a.MessageCount == b.MessageCount &&
		a.FirstSeenAt.Equal(b.FirstSeenAt) && a.LastSeenAt.Equal(b.LastSeenAt) && a.MergedInto == b.MergedInto &&
		slices.Equal(a.Identities, b.Identities) && slices.Equal(a.Tags, b.Tags)
}

func TestMemberChainOfMerges(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newPeopleWorld(t, st, "velo")
		zoe := "velo-email-zoe-example.org"
		if _, err := st.MergeMembers(ctx, w.ws.ID, w.anou, zoe, "cm", pt0); err != nil {
			t.Fatal(err)
		}
		if _, err := st.MergeMembers(ctx, w.ws.ID, w.ana, w.anou, "cm", pt0); err != nil {
			t.Fatal(err)
		}
		if m := w.member(t, w.ana); m.MessageCount != 5 {
			t.Errorf("after two merges: %+v", m)
		}
		if _, err := st.UnmergeMember(ctx, w.ws.ID, zoe, "cm", pt0); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("unmerge from a member merged away: %v", err)
		}
		if _, err := st.UnmergeMember(ctx, w.ws.ID, w.anou, "cm", pt0); err != nil {
			t.Fatal(err)
		}
		if z, err := st.UnmergeMember(ctx, w.ws.ID, zoe, "cm", pt0); err != nil || z.MessageCount != 1 || len(z.Identities) != 2 {
			t.Errorf("unmerge zoe: %+v, %v", z, err)
		}
		if a, n := w.member(t, w.ana), w.member(t, w.anou); a.MessageCount != 2 || n.MessageCount != 2 {
			t.Errorf("after undoing both: %+v %+v", a, n)
		}
	})
}

func TestMemberPanel(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newPeopleWorld(t, st, "velo")
		convs, err := st.MemberConversations(ctx, w.ws.ID, w.ana, 0)
		if err != nil || len(convs) != 1 {
			t.Fatalf("conversations: %+v, %v", convs, err)
		}
		c := convs[0]
		if c.RootExternalID != "p1" || c.Messages != 2 || c.Sentiment != "neg" || c.SentimentScore == nil || *c.SentimentScore != -0.6 ||
			!c.LastMessageAt.Equal(pt0.Add(30*24*time.Hour)) || c.Tags == nil || c.MessageCount != 4 {
			t.Errorf("conversation of Ana: %+v", c)
		}
		convs, err = st.MemberConversations(ctx, w.ws.ID, w.anou, 0)
		if err != nil || len(convs) != 2 || convs[0].RootExternalID != "p1" || convs[1].RootExternalID != "p2" {
			t.Errorf("conversations of Anouk, newest first: %+v, %v", convs, err)
		}
		if convs, err := st.MemberConversations(ctx, w.ws.ID, w.anou, 1); err != nil || len(convs) != 1 {
			t.Errorf("limit 1: %+v, %v", convs, err)
		}
		if _, err := st.MemberConversations(ctx, w.ws.ID, w.anou, 501); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("limit 501: %v", err)
		}
		pts, err := st.MemberSentiment(ctx, w.ws.ID, w.ana)
		if err != nil || len(pts) != 2 {
			t.Fatalf("sentiment: %+v, %v", pts, err)
		}
		if p := pts[0]; !p.Month.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) || p.Messages != 1 || p.Positive != 1 || p.MeanScore != 0.8 {
			t.Errorf("January: %+v", p)
		}
		if p := pts[1]; !p.Month.Equal(time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)) || p.Negative != 1 || p.MeanScore != -0.6 {
			t.Errorf("February: %+v", p)
		}
		if pts, err := st.MemberSentiment(ctx, w.ws.ID, "velo-email-zoe-example.org"); err != nil || len(pts) != 1 || pts[0].MeanScore != 0 || pts[0].Messages != 1 {
			t.Errorf("unanalysed: %+v, %v", pts, err)
		}
	})
}

func TestMemberNotesAndTagsStayInTheirWorkspace(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		a := newPeopleWorld(t, st, "velo")
		b := newPeopleWorld(t, st, "banque")
		// The same member id in both workspaces.
		for _, w := range []peopleWorld{a, b} {
			it := authored{ext: "s1", root: "s1", email: "same@example.org", at: pt0}.item(w.ws.Slug, w.ch.Name)
			it.NewMemberID = "m_same"
			if _, err := st.NewImporter(w.ws, w.ch).Write(ctx, []store.IngestItem{it}); err != nil {
				t.Fatal(err)
			}
		}
		author := model.User{ID: 0, Login: "cm"}
		if _, err := st.AddMemberNote(ctx, a.ws.ID, "m_same", author, "Only in A.", pt0); err != nil {
			t.Fatal(err)
		}
		if tags, err := st.SetMemberTags(ctx, a.ws.ID, "m_same", []string{" Only  A "}, nil, "cm"); err != nil || !slices.Equal(tags, []string{"only a"}) {
			t.Fatalf("tags: %v, %v", tags, err)
		}
		if notes, err := st.MemberNotes(ctx, b.ws.ID, "m_same"); err != nil || len(notes) != 0 {
			t.Errorf("notes seen from B: %+v, %v", notes, err)
		}
		if m := b.member(t, "m_same"); len(m.Tags) != 0 {
			t.Errorf("tags seen from B: %v", m.Tags)
		}
		if notes, err := st.MemberNotes(ctx, a.ws.ID, "m_same"); err != nil || len(notes) != 1 || notes[0].Body != "Only in A." || notes[0].Author != "cm" {
			t.Errorf("notes of A: %+v, %v", notes, err)
		}
		if _, err := st.AddMemberNote(ctx, b.ws.ID, a.ana, author, "x", pt0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("note on a member of A through B: %v", err)
		}
		if _, err := st.SetMemberTags(ctx, b.ws.ID, a.ana, []string{"x"}, nil, "cm"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("tag a member of A through B: %v", err)
		}
		if _, err := st.Member(ctx, b.ws.ID, a.ana); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("member of A through B: %v", err)
		}
		if _, err := st.MemberConversations(ctx, b.ws.ID, a.ana, 0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("conversations of a member of A through B: %v", err)
		}
		for _, bad := range []string{"", "  ", strings.Repeat("x", model.MaxNoteLen+1)} {
			if _, err := st.AddMemberNote(ctx, a.ws.ID, a.ana, author, bad, pt0); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("note %.10q: %v", bad, err)
			}
		}
		for _, c := range []struct{ add, remove []string }{
			{[]string{""}, nil}, {[]string{"a,b"}, nil}, {[]string{"x"}, []string{"X"}},
		} {
			if _, err := st.SetMemberTags(ctx, a.ws.ID, a.ana, c.add, c.remove, "cm"); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("tags %v %v: %v", c.add, c.remove, err)
			}
		}
		if tags, err := st.SetMemberTags(ctx, a.ws.ID, "m_same", []string{"b"}, []string{"only a"}, "cm"); err != nil || !slices.Equal(tags, []string{"b"}) {
			t.Errorf("add and remove: %v, %v", tags, err)
		}
	})
}

// TestImportNamingAMergedMember checks that a record naming, by member_id
// alone, a member merged into another since lands on the survivor, as an
// export taken before the merge and imported again would.
func TestImportNamingAMergedMember(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newPeopleWorld(t, st, "merged-id")
		if _, err := st.MergeMembers(context.Background(), w.ws.ID, w.ana, w.anou, "lea", time.Now()); err != nil {
			t.Fatal(err)
		}
		it := authored{ext: "c10", root: "p1", at: pt0.Add(90 * 24 * time.Hour)}.item(w.ws.Slug, w.ch.Name)
		it.MemberID = w.anou
		if _, err := st.NewImporter(w.ws, w.ch).Write(context.Background(), []store.IngestItem{it}); err != nil {
			t.Fatal(err)
		}
		if got := w.owners(t)["c10"]; got != w.ana {
			t.Fatalf("c10 landed on %q, want the survivor %q", got, w.ana)
		}
		if m := w.member(t, w.anou); m.MessageCount != 0 {
			t.Errorf("the merged-away member counts %d messages", m.MessageCount)
		}
	})
}
