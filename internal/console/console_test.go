package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
	"palabre/internal/webtest"
)

// The console's HTTP tests: a browser without JavaScript, on both engines.

func contains(t *testing.T, what string, p webtest.Page, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(p.Body, w) {
			t.Errorf("%s: no %q in the page (status %d)", what, w, p.Status)
		}
	}
}

func lacks(t *testing.T, what string, p webtest.Page, nots ...string) {
	t.Helper()
	for _, n := range nots {
		if strings.Contains(p.Body, n) {
			t.Errorf("%s: %q in the page", what, n)
		}
	}
}

var rowID = regexp.MustCompile(`<li class="row[^"]*" data-id="(\d+)"`)

func rows(p webtest.Page) []string {
	var ids []string
	for _, m := range rowID.FindAllStringSubmatch(p.Body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestConsolePages(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		a := newAgency(t, st)
		ids := func(ns ...int64) string {
			var s []string
			for _, n := range ns {
				s = append(s, fmt.Sprint(n))
			}
			return strings.Join(s, ",")
		}

		t.Run("strangers sign in first", func(t *testing.T) {
			anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err := anon.Get(a.base + "/inbox?view=mine")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/login?next="+url.QueryEscape("/inbox?view=mine") {
				t.Fatalf("anonymous inbox: %d to %q", res.StatusCode, loc)
			}
		})

		lea := a.session(t, "lea")

		t.Run("views", func(t *testing.T) {
			all := lea.Get("/inbox?view=all")
			if got, want := strings.Join(rows(all), ","), ids(a.agios, a.service, a.samedi, a.panne); got != want {
				t.Fatalf("all rows %s, want %s", got, want)
			}
			contains(t, "inbox", all, "Camille Martin", "tombé en panne", "Vélo Atelier", "Banque des Alpes", `class="badge sent-neg"`, "complaint")
			if got := rows(lea.Get("/inbox?view=all&ws=banque")); ids(a.agios) != strings.Join(got, ",") {
				t.Errorf("banque rows %v", got)
			}
			if got := rows(lea.Get("/inbox?view=all&intent=question")); ids(a.samedi) != strings.Join(got, ",") {
				t.Errorf("questions %v", got)
			}
			bad := lea.Get("/inbox?view=all&priority=9")
			if bad.Status != http.StatusOK || len(rows(bad)) != 0 {
				t.Errorf("bad priority: status %d, rows %v", bad.Status, rows(bad))
			}
			contains(t, "bad priority", bad, `role="alert"`, "Priority")
			other := lea.Get("/inbox?view=all&ws=nowhere")
			contains(t, "unknown workspace", other, `role="alert"`)
			part := lea.Get("/inbox?view=all&part=rows")
			if strings.Contains(part.Body, "<html") || len(rows(part)) != 4 {
				t.Errorf("rows part: %d rows, whole page %v", len(rows(part)), strings.Contains(part.Body, "<html"))
			}
		})

		t.Run("paging", func(t *testing.T) {
			// The inbox shows 50 rows a page: 60 older conversations make two.
			ctx := context.Background()
			ch, err := st.EnsureChannel(ctx, a.banque.ID, "forum", "forum")
			if err != nil {
				t.Fatal(err)
			}
			var items []store.IngestItem
			for i := range 60 {
				ext := fmt.Sprintf("old%02d", i)
				items = append(items, store.IngestItem{Root: ext, Subject: "old " + ext, Message: model.Message{ExternalID: ext, ConversationExternalID: ext,
					Kind: model.KindPost, Status: model.StatusApproved, AuthorName: "Ancien", Body: "ancien message " + ext,
					CreatedAt: testTime(i)}})
			}
			if _, err := st.NewImporter(a.banque, ch).Write(ctx, items); err != nil {
				t.Fatal(err)
			}
			first := lea.Get("/inbox?view=all&ws=banque")
			next := regexp.MustCompile(`href="(/inbox\?[^"]*cursor=[^"]+)" rel="next"`).FindStringSubmatch(first.Body)
			if len(rows(first)) != 50 || next == nil {
				t.Fatalf("first page: %d rows, next %v", len(rows(first)), next)
			}
			second := lea.Get(strings.ReplaceAll(next[1], "&amp;", "&"))
			seen := map[string]bool{}
			for _, id := range append(rows(first), rows(second)...) {
				if seen[id] {
					t.Fatalf("row %s on both pages", id)
				}
				seen[id] = true
			}
			if len(seen) != 61 {
				t.Fatalf("%d rows over two pages, want 61", len(seen))
			}
		})

		t.Run("conversation", func(t *testing.T) {
			p := lea.Get(fmt.Sprintf("/conversations/%d", a.panne))
			contains(t, "conversation", p, "Le vélo électrique Urbain 2", "très déçue", `class="badge staff"`, `id="reply-form"`, `id="notes"`,
				`name="csrf" value="`+lea.CSRF+`"`, "Excuses", `aria-pressed="true"`)
			if p.Header.Get("Content-Security-Policy") == "" || !strings.Contains(p.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
				t.Errorf("CSP %q", p.Header.Get("Content-Security-Policy"))
			}
			if got := lea.Get(fmt.Sprintf("/conversations/%d?part=thread", a.panne)); strings.Contains(got.Body, "<html") || !strings.Contains(got.Body, "très déçue") {
				t.Errorf("thread part: %s", got.Body)
			}
			hugo := a.session(t, "hugo")
			if res := hugo.Get(fmt.Sprintf("/conversations/%d", a.agios)); res.Status != http.StatusNotFound {
				t.Errorf("hugo opens banque's conversation: %d, want 404", res.Status)
			}
		})

		t.Run("forms", func(t *testing.T) {
			path := fmt.Sprintf("/conversations/%d/status", a.samedi)
			if res := lea.Post(path, url.Values{"status": {"resolved"}}); res.Status != http.StatusForbidden {
				t.Fatalf("form without CSRF token: %d, want 403", res.Status)
			}
			if c, _ := st.Conversation(context.Background(), a.samedi); c.Status == model.ConvResolved {
				t.Fatal("a form without CSRF token changed the conversation")
			}
			res := lea.Submit(path, url.Values{"status": {"resolved"}, "back": {"/inbox?view=mine"}})
			if res.Status != http.StatusSeeOther || res.Location() != "/inbox?view=mine" {
				t.Fatalf("status form: %d to %q", res.Status, res.Location())
			}
			if c, _ := st.Conversation(context.Background(), a.samedi); c.Status != model.ConvResolved {
				t.Fatalf("status %q after the form", c.Status)
			}
			if res := lea.Submit(path, url.Values{"status": {"open"}, "back": {"https://evil.example/"}}); res.Location() != fmt.Sprintf("/conversations/%d", a.samedi) {
				t.Errorf("a form sent the browser to %q", res.Location())
			}
			// The script's path: the API's answer as is.
			js := lea.Do(http.MethodPost, path, strings.NewReader(url.Values{"csrf": {lea.CSRF}, "status": {"nonsense"}}.Encode()),
				map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
			if js.Status != http.StatusUnprocessableEntity && js.Status != http.StatusBadRequest || !strings.Contains(js.Body, `"detail"`) {
				t.Errorf("bad status from the script: %d %s", js.Status, js.Body)
			}
			flash := lea.Submit(path, url.Values{"status": {"nonsense"}})
			next := lea.Get(flash.Location())
			contains(t, "refused form", next, `class="flash error"`)
			note := lea.Submit(fmt.Sprintf("/conversations/%d/note", a.samedi), url.Values{"body": {"Demande à @claire"}})
			if note.Status != http.StatusSeeOther {
				t.Fatalf("note: %d", note.Status)
			}
			claire := a.session(t, "claire")
			asked := claire.Get("/inbox")
			if got := rows(asked); len(got) != 1 || got[0] != fmt.Sprint(a.samedi) {
				t.Errorf("expert's inbox %v, want the conversation she was asked into", got)
			}
			if res := claire.Get(fmt.Sprintf("/conversations/%d", a.panne)); res.Status != http.StatusNotFound {
				t.Errorf("expert opens a conversation she was not asked into: %d", res.Status)
			}
		})

		t.Run("collision guard without script", func(t *testing.T) {
			p := lea.Get(fmt.Sprintf("/conversations/%d", a.service))
			based := regexp.MustCompile(`name="based_on" value="(\d+)"`).FindStringSubmatch(p.Body)
			if based == nil {
				t.Fatal("no based_on in the composer")
			}
			hugo := a.session(t, "hugo")
			if res := hugo.Submit(fmt.Sprintf("/conversations/%d/reply", a.service), url.Values{"body": {"Thank you Sarah!"}, "based_on": {based[1]}, "client_id": {"h1"}}); res.Status != http.StatusSeeOther {
				t.Fatalf("hugo's reply: %d %s", res.Status, res.Body)
			}
			res := lea.Submit(fmt.Sprintf("/conversations/%d/reply", a.service), url.Values{"body": {"Thanks Sarah"}, "based_on": {based[1]}, "client_id": {"l1"}})
			if res.Status != http.StatusConflict {
				t.Fatalf("stale reply: %d, want 409", res.Status)
			}
			contains(t, "collision page", res, `class="stale"`, "Thank you Sarah!", ">Thanks Sarah</textarea>", `name="confirm" value="1"`)
			again := lea.Submit(fmt.Sprintf("/conversations/%d/reply", a.service), url.Values{"body": {"Thanks Sarah"}, "based_on": {based[1]}, "client_id": {"l1"}, "confirm": {"1"}})
			if again.Status != http.StatusSeeOther {
				t.Fatalf("confirmed reply: %d", again.Status)
			}
			msgs, _ := st.ConversationMessages(context.Background(), a.service)
			if len(msgs) != 3 {
				t.Fatalf("%d messages, want 3", len(msgs))
			}
			// No live source sends this channel's replies: they wait.
			contains(t, "replies waiting", lea.Get(fmt.Sprintf("/conversations/%d", a.service)), `class="delivery"`, "waiting to be sent")
		})

		t.Run("member", func(t *testing.T) {
			ctx := context.Background()
			camille, paul := "m-camille@example.org", "m-paul@example.org"
			page := lea.Get("/workspaces/velo/people/" + camille)
			contains(t, "member page", page, "Camille Martin", "camille@example.org", "Le vélo électrique Urbain 2", `class="bar-neg"`)
			if res := lea.Get("/workspaces/banque/people/" + camille); res.Status != http.StatusNotFound {
				t.Errorf("camille in another workspace: %d", res.Status)
			}
			if res := a.session(t, "hugo").Get("/workspaces/banque/people/m-jeanne@example.org"); res.Status != http.StatusNotFound {
				t.Errorf("hugo opens a member of a workspace he is not in: %d", res.Status)
			}
			if res := lea.Submit("/workspaces/velo/people/"+camille+"/note", url.Values{"body": {"Cliente fidèle depuis 2019"}}); res.Status != http.StatusSeeOther {
				t.Fatalf("member note: %d", res.Status)
			}
			if res := lea.Submit("/workspaces/velo/people/"+camille+"/tags", url.Values{"add": {"fidèle, vip"}}); res.Status != http.StatusSeeOther {
				t.Fatalf("member tags: %d", res.Status)
			}
			if res := lea.Submit("/workspaces/velo/people/"+camille+"/merge", url.Values{"from": {paul}}); res.Status != http.StatusSeeOther {
				t.Fatalf("merge: %d", res.Status)
			}
			merged := lea.Get("/workspaces/velo/people/" + camille)
			contains(t, "merged member", merged, "Cliente fidèle depuis 2019", "#vip", "paul@example.org", "Horaires du samedi", "/people/"+paul+"/unmerge")
			if res := lea.Get("/workspaces/velo/people/" + paul); res.Status != http.StatusSeeOther || !strings.HasSuffix(res.Location(), "/people/"+camille) {
				t.Errorf("the merged-away member's page: %d to %q", res.Status, res.Location())
			}
			if res := lea.Submit("/workspaces/velo/people/"+paul+"/unmerge", url.Values{"back": {"/workspaces/velo/people/" + camille}}); res.Status != http.StatusSeeOther {
				t.Fatalf("unmerge: %d", res.Status)
			}
			m, err := st.Member(ctx, a.velo.ID, paul)
			if err != nil || m.MergedInto != "" || m.MessageCount != 1 {
				t.Fatalf("paul after unmerge: %+v, %v", m, err)
			}
			marc := a.session(t, "marc")
			lacks(t, "client's member page", marc.Get("/workspaces/velo/people/"+camille), "Cliente fidèle depuis 2019", "/merge")
		})

		t.Run("member 360", func(t *testing.T) {
			ctx := context.Background()
			camille := "m-camille@example.org"
			forum, err := st.EnsureChannel(ctx, a.velo.ID, "forum", "discourse")
			if err != nil {
				t.Fatal(err)
			}
			// Camille Martin on the forum: a handle, no e-mail — another member.
			twin := "m-forum-camille_m"
			if _, err := st.NewImporter(a.velo, forum).Write(ctx, []store.IngestItem{{Root: "t1", NewMemberID: twin, DisplayName: "Camille Martin", Subject: "Selle",
				Identities: []store.IdentityKey{{Key: "handle:forum:camille_m", Kind: model.IdentityHandle, Value: "camille_m"}},
				Message: model.Message{ExternalID: "t1", Kind: model.KindPost, Status: model.StatusApproved, Body: "Quelle selle ?", CreatedAt: time.Now().Add(-time.Hour),
					AuthorName: "Camille Martin", AuthorHandle: "camille_m", AuthorURL: "https://camille-martin.fr/"}}}); err != nil {
				t.Fatal(err)
			}
			page := lea.Get("/workspaces/velo/people/" + camille)
			contains(t, "member 360", page, "Engagement score", "over the last 90 days", "Messages by channel", "Custom fields", "No custom field.",
				"Maybe the same person", "same name: Camille Martin and Camille Martin", "/people/"+twin, `name="other" value="`+twin+`"`,
				"/people/"+camille+"/dismiss", `name="from" value="`+twin+`"`)
			contains(t, "the twin's identities", lea.Get("/workspaces/velo/people/"+twin), "camille_m", "https://camille-martin.fr/", ">forum<")
			if res := lea.Submit("/workspaces/velo/people/"+camille+"/fields", url.Values{"key": {"Numéro client"}, "value": {"C-1789"}}); res.Status != http.StatusSeeOther {
				t.Fatalf("set a field: %d", res.Status)
			}
			contains(t, "a field set", lea.Get("/workspaces/velo/people/"+camille), "Numéro client", "C-1789", "Fields changed.")
			if res := lea.Submit("/workspaces/velo/people/"+camille+"/fields", url.Values{"remove": {"Numéro client"}}); res.Status != http.StatusSeeOther {
				t.Fatalf("remove a field: %d", res.Status)
			}
			lacks(t, "a field removed", lea.Get("/workspaces/velo/people/"+camille), "C-1789")
			if f, err := st.MemberFields(ctx, a.velo.ID, camille); err != nil || len(f) != 0 {
				t.Errorf("fields after the removal: %+v %v", f, err)
			}
			marc := a.session(t, "marc")
			lacks(t, "client's member page", marc.Get("/workspaces/velo/people/"+camille), "Maybe the same person", "/dismiss", "/fields")
			if res := marc.Submit("/workspaces/velo/people/"+camille+"/dismiss", url.Values{"other": {twin}}); res.Status != http.StatusSeeOther {
				t.Fatalf("client's dismissal: %d", res.Status)
			}
			if sg, err := st.MemberSuggestions(ctx, a.velo.ID, camille, 0); err != nil || len(sg) != 1 {
				t.Fatalf("a client dismissed a suggestion: %+v %v", sg, err)
			}
			if res := lea.Submit("/workspaces/velo/people/"+camille+"/dismiss", url.Values{"other": {twin}}); res.Status != http.StatusSeeOther {
				t.Fatalf("dismiss: %d", res.Status)
			}
			after := lea.Get("/workspaces/velo/people/" + camille)
			contains(t, "after the dismissal", after, "Not suggested again.", "No suggestion.")
			lacks(t, "after the dismissal", after, `name="other" value="`+twin+`"`)
		})

		t.Run("client", func(t *testing.T) {
			marc := a.session(t, "marc")
			p := marc.Get(fmt.Sprintf("/conversations/%d", a.samedi))
			if p.Status != http.StatusOK {
				t.Fatalf("client conversation: %d", p.Status)
			}
			lacks(t, "client", p, `id="reply-form"`, `id="notes"`, "@claire", "note.add", `class="inline correct"`)
			if res := marc.Submit(fmt.Sprintf("/conversations/%d/status", a.samedi), url.Values{"status": {"spam"}}); res.Status != http.StatusSeeOther {
				t.Fatalf("client form: %d", res.Status)
			}
			if c, _ := st.Conversation(context.Background(), a.samedi); c.Status == model.ConvSpam {
				t.Fatal("a client changed a conversation's status")
			}
		})

		t.Run("language", func(t *testing.T) {
			fr := lea.Do(http.MethodGet, "/inbox", nil, map[string]string{"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
			contains(t, "French inbox", fr, `<html lang="fr">`, "Boîte de réception")
			if res := lea.Submit("/language", url.Values{"language": {"en"}}); res.Status != http.StatusSeeOther {
				t.Fatalf("language form: %d", res.Status)
			}
			en := lea.Do(http.MethodGet, "/inbox", nil, map[string]string{"Accept-Language": "fr"})
			contains(t, "English by choice", en, `<html lang="en">`, ">Inbox")
		})

		t.Run("assets", func(t *testing.T) {
			p := lea.Get("/inbox")
			css := regexp.MustCompile(`href="(/static/app\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(p.Body)
			if css == nil {
				t.Fatal("no stylesheet link")
			}
			res := lea.Get(css[1])
			if res.Status != http.StatusOK || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") {
				t.Errorf("stylesheet: %d %q %q", res.Status, res.Header.Get("Cache-Control"), res.Header.Get("Content-Type"))
			}
			if res := lea.Get("/static/nothing.js"); res.Status != http.StatusNotFound {
				t.Errorf("missing asset: %d", res.Status)
			}
		})
	})
}

// testTime is the i-th of a series of times two days ago, older than the
// agency's messages.
func testTime(i int) time.Time {
	return time.Now().UTC().Add(-48 * time.Hour).Add(time.Duration(i) * time.Minute)
}

// TestSearchWhileIndexing checks that a search answers at once while
// stored messages are still being indexed (palabre serve does it in the
// background), saying that results may be missing, and finds them after.
func TestSearchWhileIndexing(t *testing.T) {
	dsn := testutil.NewDSN(t, store.EngineSQLite)
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := newAgency(t, st)
	lea := a.session(t, "lea")
	const notice = "still being indexed"
	search := "/inbox?view=all&q=" + url.QueryEscape("vélos électriques")
	p := lea.Get(search)
	lacks(t, "indexed", p, notice)
	if got := rows(p); !slices.Equal(got, []string{fmt.Sprint(a.panne)}) {
		t.Fatalf("indexed: rows %v, want [%d]", got, a.panne)
	}
	// As a migration that changes the index leaves it: everything is to be
	// indexed again, and nothing is yet.
	testutil.ForgetSearchIndex(t, dsn)
	p = lea.Get(search)
	contains(t, "indexing", p, notice)
	if got := rows(p); len(got) != 0 {
		t.Errorf("indexing: rows %v, want none yet", got)
	}
	if err := st.BackfillSearch(context.Background()); err != nil {
		t.Fatal(err)
	}
	p = lea.Get(search)
	lacks(t, "indexed again", p, notice)
	if got := rows(p); !slices.Equal(got, []string{fmt.Sprint(a.panne)}) {
		t.Errorf("indexed again: rows %v, want [%d]", got, a.panne)
	}
}
