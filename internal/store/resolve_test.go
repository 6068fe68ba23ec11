package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"palabre/internal/model"
	"palabre/internal/namematch"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// resolveWorld is a workspace whose authors sign alike on a blog and a
// forum, each kept apart by the importer (no verified identifier in
// common).
type resolveWorld struct {
	st           *store.Store
	ws           model.Workspace
	blog, forum  model.Channel
	jean         string // Jean Dupont, e-mail, blog
	jeanForum    string // Jean Dupont, handle, forum
	initial      string // J. Dupont, e-mail, blog, in Jean's conversation
	handle       string // jdupont, handle, forum
	ivan, ivanRU string // Ivan Petrov (forum) and Иван Петров (blog)
	site, site2  string // two names on the same personal web domain
	med1, med2   string // two names on medium.com: a shared host
	staff        string // a staff member named Jean Dupont
}

func writeTo(t *testing.T, st *store.Store, ws model.Workspace, ch model.Channel, url string, msgs ...authored) {
	t.Helper()
	var items []store.IngestItem
	for _, a := range msgs {
		it := a.item(ws.Slug, ch.Name)
		it.Message.AuthorURL = url
		items = append(items, it)
	}
	if _, err := st.NewImporter(ws, ch).Write(context.Background(), items); err != nil {
		t.Fatal(err)
	}
}

func newResolveWorld(t *testing.T, st *store.Store) resolveWorld {
	t.Helper()
	ctx := context.Background()
	ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "rs", Name: "rs"})
	if err != nil {
		t.Fatal(err)
	}
	blog, err := st.EnsureChannel(ctx, ws.ID, "blog", "wordpress")
	if err != nil {
		t.Fatal(err)
	}
	forum, err := st.EnsureChannel(ctx, ws.ID, "forum", "discourse")
	if err != nil {
		t.Fatal(err)
	}
	w := resolveWorld{st: st, ws: ws, blog: blog, forum: forum,
		jean: "rs-email-jean-example.org", jeanForum: "rs-handle-forum-jd", initial: "rs-email-jd-example.net",
		handle: "rs-handle-forum-jdupont", ivan: "rs-handle-forum-ipetrov", ivanRU: "rs-email-ivan-example.ru",
		site: "rs-email-paul-example.org", site2: "rs-handle-forum-pc", med1: "rs-email-ann-example.org", med2: "rs-handle-forum-bea",
		staff: "rs-email-team-brand.example"}
	writeTo(t, st, ws, blog, "",
		authored{ext: "p1", root: "p1", email: "jean@example.org", name: "Jean Dupont", at: pt0},
		authored{ext: "c1", root: "p1", email: "jd@example.net", name: "J. Dupont", at: pt0.Add(time.Hour)},
		authored{ext: "c2", root: "p1", email: "team@brand.example", name: "Jean Dupont", at: pt0.Add(2 * time.Hour), staff: true},
		authored{ext: "p2", root: "p2", email: "ivan@example.ru", name: "Иван Петров", at: pt0.Add(3 * time.Hour)},
	)
	writeTo(t, st, ws, forum, "",
		authored{ext: "f1", root: "f1", handle: "jd", name: "Jean Dupont", at: pt0.Add(4 * time.Hour)},
		authored{ext: "f2", root: "f1", handle: "jdupont", at: pt0.Add(5 * time.Hour)},
		authored{ext: "f3", root: "f1", handle: "ipetrov", name: "Ivan Petrov", at: pt0.Add(6 * time.Hour)},
	)
	writeTo(t, st, ws, blog, "https://www.paul-caron.fr/blog", authored{ext: "p3", root: "p3", email: "paul@example.org", name: "Paul", at: pt0})
	writeTo(t, st, ws, forum, "http://paul-caron.fr", authored{ext: "f4", root: "f4", handle: "pc", name: "P C", at: pt0})
	writeTo(t, st, ws, blog, "https://medium.com/@ann", authored{ext: "p4", root: "p4", email: "ann@example.org", name: "Ann", at: pt0})
	writeTo(t, st, ws, forum, "https://medium.com/@bea", authored{ext: "f5", root: "f5", handle: "bea", name: "Bea", at: pt0})
	return w
}

// others returns the ids suggested with their first evidence's kind.
func others(sg []store.MergeSuggestion) map[string]string {
	out := map[string]string{}
	for _, s := range sg {
		out[s.Other.ID] = s.Evidence[0].Kind
	}
	return out
}

func TestSameNameOnTwoChannelsIsNotMergedButSuggested(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newResolveWorld(t, st)
		// The importer merged nobody on a name alone.
		for _, id := range []string{w.jean, w.jeanForum, w.initial, w.handle, w.staff, w.ivan, w.ivanRU} {
			if m, err := st.Member(ctx, w.ws.ID, id); err != nil || m.MergedInto != "" {
				t.Fatalf("member %s: %+v %v", id, m, err)
			}
		}
		sg, err := st.MemberSuggestions(ctx, w.ws.ID, w.jean, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := others(sg)
		want := map[string]string{w.jeanForum: namematch.KindSameName, w.handle: namematch.KindHandle, w.initial: namematch.KindInitials}
		if len(got) != len(want) {
			t.Fatalf("suggestions for Jean: %+v", sg)
		}
		for id, kind := range want {
			if got[id] != kind {
				t.Errorf("suggestion %s: kind %q, want %q (%+v)", id, got[id], kind, sg)
			}
		}
		if sg[0].Other.ID != w.jeanForum || sg[0].Other.DisplayName != "Jean Dupont" || sg[0].Member.ID != w.jean || sg[0].Score <= 0 || sg[0].Score > 1 {
			t.Errorf("best suggestion: %+v", sg[0])
		}
		// J. Dupont wrote in Jean's conversation: one in common.
		for _, s := range sg {
			if s.Other.ID != w.initial {
				continue
			}
			if len(s.Evidence) != 2 || s.Evidence[1].Kind != namematch.KindThreads || s.Evidence[1].Count != 1 || s.Evidence[0].A != "Jean Dupont" || s.Evidence[0].B != "J. Dupont" {
				t.Errorf("J. Dupont's evidence: %+v", s.Evidence)
			}
		}
		if sg, err := st.MemberSuggestions(ctx, w.ws.ID, w.ivanRU, 0); err != nil || len(sg) != 1 || sg[0].Other.ID != w.ivan || sg[0].Evidence[0].Kind != namematch.KindSameName {
			t.Errorf("suggestions for Иван: %+v %v", sg, err)
		}
		if sg, err := st.MemberSuggestions(ctx, w.ws.ID, w.site, 0); err != nil || len(sg) != 1 || sg[0].Other.ID != w.site2 || sg[0].Evidence[0].Kind != namematch.KindDomain {
			t.Errorf("suggestions for Paul: %+v %v", sg, err)
		}
		if sg, err := st.MemberSuggestions(ctx, w.ws.ID, w.med1, 0); err != nil || len(sg) != 0 {
			t.Errorf("a shared host suggests: %+v %v", sg, err)
		}
		if sg, err := st.MemberSuggestions(ctx, w.ws.ID, w.staff, 0); err != nil || len(sg) != 0 {
			t.Errorf("staff get suggestions: %+v %v", sg, err)
		}
		if _, err := st.MemberSuggestions(ctx, w.ws.ID, "nobody", 0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown member: %v", err)
		}
		if _, err := st.MemberSuggestions(ctx, w.ws.ID, w.jean, 101); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("limit 101: %v", err)
		}

		all, err := st.MergeSuggestions(ctx, w.ws.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		pairs := map[[2]string]bool{}
		for i, s := range all {
			pairs[[2]string{s.Member.ID, s.Other.ID}] = true
			if s.Member.ID >= s.Other.ID || (i > 0 && s.Score > all[i-1].Score) || s.Member.DisplayName == "" {
				t.Errorf("pair %d out of order or unnamed: %+v", i, s)
			}
			if s.Member.ID == w.staff || s.Other.ID == w.staff {
				t.Errorf("staff suggested: %+v", s)
			}
		}
		for _, p := range [][2]string{{w.jean, w.jeanForum}, {w.ivanRU, w.ivan}, {w.site, w.site2}, {w.initial, w.jean}} {
			a, b := p[0], p[1]
			if b < a {
				a, b = b, a
			}
			if !pairs[[2]string{a, b}] {
				t.Errorf("pair %s/%s missing from %+v", a, b, all)
			}
		}
		if a, b := w.med1, w.med2; pairs[[2]string{min(a, b), max(a, b)}] {
			t.Errorf("shared host suggested")
		}
		if one, err := st.MergeSuggestions(ctx, w.ws.ID, 1); err != nil || len(one) != 1 || one[0].Score != all[0].Score {
			t.Errorf("limit 1: %+v %v", one, err)
		}

		// Dismissed and merged members are suggested no more.
		if err := st.DismissSuggestion(ctx, w.ws.ID, w.handle, w.jean, "cm", pt0); err != nil {
			t.Fatal(err)
		}
		if err := st.DismissSuggestion(ctx, w.ws.ID, w.jean, w.handle, "cm", pt0); err != nil {
			t.Errorf("dismissed twice: %v", err)
		}
		if err := st.DismissSuggestion(ctx, w.ws.ID, w.jean, w.jean, "cm", pt0); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("dismiss with itself: %v", err)
		}
		if err := st.DismissSuggestion(ctx, w.ws.ID, w.jean, "nobody", "cm", pt0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("dismiss with nobody: %v", err)
		}
		if _, err := st.MergeMembers(ctx, w.ws.ID, w.jean, w.jeanForum, "cm", pt0); err != nil {
			t.Fatal(err)
		}
		sg, err = st.MemberSuggestions(ctx, w.ws.ID, w.jean, 0)
		if got := others(sg); err != nil || len(got) != 1 || got[w.initial] == "" {
			t.Errorf("after a dismissal and a merge: %+v %v", sg, err)
		}
		all, err = st.MergeSuggestions(ctx, w.ws.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range all {
			if s.Member.ID == w.jeanForum || s.Other.ID == w.jeanForum || strings.Contains(s.Member.ID+s.Other.ID, w.handle) && strings.Contains(s.Member.ID+s.Other.ID, w.jean) {
				t.Errorf("merged or dismissed pair suggested: %+v", s)
			}
		}
		events, err := st.Events(ctx, w.ws.ID, 50)
		if err != nil {
			t.Fatal(err)
		}
		dismissals := slices.DeleteFunc(events, func(e model.Event) bool { return e.Action != "member.dismiss" })
		if len(dismissals) != 1 || dismissals[0].Actor != "cm" || !strings.Contains(dismissals[0].Detail, w.jean) {
			t.Errorf("dismissal events: %+v", dismissals)
		}
		// Unmerged, the forum's Jean is suggested again.
		if _, err := st.UnmergeMember(ctx, w.ws.ID, w.jeanForum, "cm", pt0); err != nil {
			t.Fatal(err)
		}
		if sg, err := st.MemberSuggestions(ctx, w.ws.ID, w.jean, 0); err != nil || others(sg)[w.jeanForum] != namematch.KindSameName {
			t.Errorf("after the unmerge: %+v %v", sg, err)
		}
		// A merge carries the web domain of the messages it moves.
		if _, err := st.MergeMembers(ctx, w.ws.ID, w.med1, w.site2, "cm", pt0); err != nil {
			t.Fatal(err)
		}
		if sg, err := st.MemberSuggestions(ctx, w.ws.ID, w.site, 0); err != nil || others(sg)[w.med1] != namematch.KindDomain || len(sg) != 1 {
			t.Errorf("after merging the page's author into Ann: %+v %v", sg, err)
		}
		if _, err := st.UnmergeMember(ctx, w.ws.ID, w.site2, "cm", pt0); err != nil {
			t.Fatal(err)
		}
		if sg, err := st.MemberSuggestions(ctx, w.ws.ID, w.site, 0); err != nil || others(sg)[w.site2] != namematch.KindDomain || len(sg) != 1 {
			t.Errorf("after the unmerge: %+v %v", sg, err)
		}
	})
}
