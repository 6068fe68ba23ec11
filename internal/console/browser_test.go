package console_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
	"palabre/internal/webtest"
)

// The browser tests drive Debian's headless Chromium through the console
// as CMs do, on SQLite (the store's engines are covered by the store's
// and the console's HTTP tests).

// signInBrowser opens a browser and signs login in through the form.
func signInBrowser(t *testing.T, a *agency, login string) context.Context {
	t.Helper()
	ctx := webtest.Browser(t)
	webtest.Run(t, ctx, "sign in as "+login,
		chromedp.Navigate(a.base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#login`)),
		chromedp.SendKeys(chromedp.CSS(`#login`), login),
		chromedp.SendKeys(chromedp.CSS(`#password`), a.passwords[login]),
		chromedp.Submit(chromedp.CSS(`#password`)),
	)
	webtest.WaitFor(t, ctx, login+" signed in", `location.pathname === '/inbox' && document.readyState === 'complete'`)
	return ctx
}

// rowIDs are the conversation ids of the inbox's rows, in order.
func rowIDs(t *testing.T, ctx context.Context) []string {
	t.Helper()
	ids := webtest.Eval[[]string](t, ctx, `Array.from(document.querySelectorAll('.rows .row')).map(r => r.dataset.id)`)
	return ids
}

func TestBrowser(t *testing.T) {
	a := newAgency(t, testutil.NewStore(t, "sqlite"))
	id := func(n int64) string { return fmt.Sprint(n) }

	lea := signInBrowser(t, a, "lea")

	t.Run("inbox across workspaces", func(t *testing.T) {
		webtest.Run(t, lea, "open the inbox", chromedp.Navigate(a.base+"/inbox?view=all"), chromedp.WaitVisible(chromedp.CSS(`.rows`)))
		got := rowIDs(t, lea)
		// Newest activity first, both brands mixed.
		want := []string{id(a.agios), id(a.service), id(a.samedi), id(a.panne)}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("rows %v, want %v", got, want)
		}
		dots := webtest.Eval[int](t, lea, `document.querySelectorAll('.rows .row .dot').length`)
		if dots != 4 {
			t.Errorf("%d workspace colours on 4 rows of 2 workspaces", dots)
		}
	})

	t.Run("filtering", func(t *testing.T) {
		// Choosing a sentiment submits the filters at once (the script).
		webtest.Eval[bool](t, lea, `(() => { const s = document.querySelector('select[name=sentiment]'); s.value = 'neg'; s.dispatchEvent(new Event('change', {bubbles: true})); return true })()`)
		webtest.WaitFor(t, lea, "filtered by sentiment", `location.search.includes('sentiment=neg')`)
		webtest.Run(t, lea, "rows", chromedp.WaitVisible(chromedp.CSS(`.rows`)))
		if got, want := strings.Join(rowIDs(t, lea), ","), id(a.agios)+","+id(a.panne); got != want {
			t.Fatalf("negative rows %s, want %s", got, want)
		}
		webtest.Run(t, lea, "filter by workspace", chromedp.Navigate(a.base+"/inbox?view=all&ws=velo&lang=en"), chromedp.WaitVisible(chromedp.CSS(`.rows`)))
		if got := rowIDs(t, lea); len(got) != 1 || got[0] != id(a.service) {
			t.Fatalf("velo English rows %v, want [%d]", got, a.service)
		}
		webtest.Run(t, lea, "search", chromedp.Navigate(a.base+"/inbox?view=all&q=velos+electriques"), chromedp.WaitVisible(chromedp.CSS(`.rows`)))
		if got := rowIDs(t, lea); len(got) != 1 || got[0] != id(a.panne) {
			t.Fatalf("search rows %v, want [%d] (stemmed, accents folded)", got, a.panne)
		}
	})

	t.Run("keyboard", func(t *testing.T) {
		webtest.Run(t, lea, "open the inbox", chromedp.Navigate(a.base+"/inbox?view=all"), chromedp.WaitVisible(chromedp.CSS(`.rows`)))
		selected := func() string {
			s := webtest.Eval[string](t, lea, `(document.querySelector('.rows .row[aria-selected=true]') || {dataset: {}}).dataset.id || ''`)
			return s
		}
		webtest.Run(t, lea, "j j k", chromedp.KeyEvent("j"), chromedp.KeyEvent("j"))
		if got := selected(); got != id(a.service) {
			t.Fatalf("after j j: row %q selected, want %d", got, a.service)
		}
		webtest.Run(t, lea, "k", chromedp.KeyEvent("k"))
		if got := selected(); got != id(a.agios) {
			t.Fatalf("after k: row %q selected, want %d", got, a.agios)
		}
		webtest.Run(t, lea, "? shows the help", chromedp.KeyEvent("?"), chromedp.WaitVisible(chromedp.CSS(`#help`)), chromedp.KeyEvent("\x1b"))
		webtest.Run(t, lea, "/ focuses the search", chromedp.KeyEvent("/"))
		focused := webtest.Eval[string](t, lea, `document.activeElement.id`)
		if focused != "search" {
			t.Fatalf("after /: focus on %q, want the search box", focused)
		}
		webtest.Eval[bool](t, lea, `(document.activeElement.blur(), true)`)
		webtest.Run(t, lea, "back to the rows", chromedp.KeyEvent("j"), chromedp.KeyEvent("j"), chromedp.KeyEvent("\r"))
		webtest.WaitFor(t, lea, "enter opens the conversation", fmt.Sprintf(`location.pathname === '/conversations/%d'`, a.samedi))
	})

	t.Run("reply with a canned reply", func(t *testing.T) {
		webtest.Run(t, lea, "open the complaint", chromedp.Navigate(fmt.Sprintf("%s/conversations/%d", a.base, a.panne)),
			chromedp.WaitVisible(chromedp.CSS(`#reply-body`)))
		canned := webtest.Eval[string](t, lea, `document.querySelector('#canned option:nth-child(2)').value`)
		webtest.Eval[bool](t, lea, fmt.Sprintf(`(() => { const s = document.querySelector('#canned'); s.value = %q; s.dispatchEvent(new Event('change', {bubbles: true})); return true })()`, canned))
		webtest.WaitFor(t, lea, "the canned reply fills the composer", `document.querySelector('#reply-body').value.startsWith('Bonjour Camille, toutes nos excuses')`)
		webtest.Run(t, lea, "send", chromedp.Click(chromedp.CSS(`#reply-form button[type=submit]`)))
		webtest.WaitFor(t, lea, "the reply is in the thread", `Array.from(document.querySelectorAll('.msg.staff')).some(m => m.textContent.includes('toutes nos excuses'))`)
		msgs, err := a.st.ConversationMessages(context.Background(), a.panne)
		if err != nil {
			t.Fatal(err)
		}
		last := msgs[len(msgs)-1]
		if !last.AuthorIsStaff || !strings.HasPrefix(last.Body, "Bonjour Camille, toutes nos excuses") {
			t.Fatalf("stored reply %+v", last.Message)
		}
		canneds, err := a.st.CannedReplies(context.Background(), a.velo.ID, "fr")
		if err != nil || len(canneds) != 1 || canneds[0].UsageCount != 1 {
			t.Fatalf("canned reply use not counted: %+v, %v", canneds, err)
		}
	})

	t.Run("correct a sentiment", func(t *testing.T) {
		sel := fmt.Sprintf(`#m%d .correct button[value=pos]`, a.panneComment)
		webtest.Run(t, lea, "click positive", chromedp.Navigate(fmt.Sprintf("%s/conversations/%d", a.base, a.panne)),
			chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
		webtest.WaitFor(t, lea, "the chip is pressed", fmt.Sprintf(`document.querySelector(%q).getAttribute('aria-pressed') === 'true'`, sel))
		deadline := time.Now().Add(10 * time.Second)
		for {
			m, err := a.st.Message(context.Background(), a.velo.ID, a.panneComment)
			if err != nil {
				t.Fatal(err)
			}
			if m.Sentiment == "pos" && m.Corrected&store.CorrectedSentiment != 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("message not corrected: sentiment %q, corrected %v", m.Sentiment, m.Corrected)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})

	t.Run("hold a comment, then publish it", func(t *testing.T) {
		hold := fmt.Sprintf(`#m%d .moderation button[value=unapprove]`, a.panneComment)
		webtest.Run(t, lea, "click hold", chromedp.Navigate(fmt.Sprintf("%s/conversations/%d", a.base, a.panne)),
			chromedp.WaitVisible(chromedp.CSS(hold)), chromedp.Click(chromedp.CSS(hold)))
		webtest.WaitFor(t, lea, "the comment shows held", fmt.Sprintf(`!!document.querySelector('#m%d .badge.mod-pending') && document.querySelector(%q).getAttribute('aria-pressed') === 'true'`, a.panneComment, hold))
		if m, err := a.st.Message(context.Background(), a.velo.ID, a.panneComment); err != nil || m.Status != model.StatusPending {
			t.Fatalf("held comment: status %q, %v", m.Status, err)
		}
		publish := fmt.Sprintf(`#m%d .moderation button[value=approve]`, a.panneComment)
		webtest.Run(t, lea, "click approve", chromedp.Click(chromedp.CSS(publish)))
		webtest.WaitFor(t, lea, "the comment is published", fmt.Sprintf(`!document.querySelector('#m%d .badge.mod-pending') && document.querySelector(%q).getAttribute('aria-pressed') === 'true'`, a.panneComment, publish))
		if m, err := a.st.Message(context.Background(), a.velo.ID, a.panneComment); err != nil || m.Status != model.StatusApproved {
			t.Fatalf("published comment: status %q, %v", m.Status, err)
		}
	})

	t.Run("live update and collision", func(t *testing.T) {
		hugo := signInBrowser(t, a, "hugo")
		page := fmt.Sprintf("%s/conversations/%d", a.base, a.samedi)
		webtest.Run(t, hugo, "hugo opens the question", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`#reply-body`)))
		webtest.Run(t, lea, "lea opens it too", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`#reply-body`)))
		// Hugo sees Léa arrive, then her note, without reloading.
		webtest.WaitFor(t, hugo, "presence of lea", `document.querySelector('#presence').textContent.includes('lea')`)
		webtest.Run(t, lea, "lea writes a note", chromedp.SendKeys(chromedp.CSS(`#note-body`), "Ouvert le samedi de 9 h à 18 h, @hugo"),
			chromedp.Click(chromedp.CSS(`#notes form button[type=submit]`)))
		webtest.WaitFor(t, hugo, "the note arrives over the live stream", `document.querySelector('#notes').textContent.includes('de 9 h à 18 h')`)
		// Hugo starts a reply; Léa answers first.
		webtest.Run(t, hugo, "hugo types", chromedp.SendKeys(chromedp.CSS(`#reply-body`), "Bonjour Paul, nous ouvrons à 9 h."))
		webtest.Run(t, lea, "lea replies", chromedp.SendKeys(chromedp.CSS(`#reply-body`), "Bonjour Paul, de 9 h à 18 h le samedi."),
			chromedp.Click(chromedp.CSS(`#reply-form button[type=submit]`)))
		webtest.WaitFor(t, hugo, "lea's reply arrives over the live stream", `Array.from(document.querySelectorAll('#thread .msg.staff')).some(m => m.textContent.includes('de 9 h à 18 h le samedi'))`)
		webtest.Run(t, hugo, "hugo sends", chromedp.Click(chromedp.CSS(`#reply-form button[type=submit]`)))
		webtest.WaitFor(t, hugo, "the collision warning", `document.querySelector('.stale') !== null && document.querySelector('#reply-body').value.includes('nous ouvrons à 9 h')`)
		count := func() int {
			msgs, err := a.st.ConversationMessages(context.Background(), a.samedi)
			if err != nil {
				t.Fatal(err)
			}
			return len(msgs)
		}
		if n := count(); n != 2 {
			t.Fatalf("%d messages after the refused reply, want 2 (question and lea's reply)", n)
		}
		webtest.Run(t, hugo, "send anyway", chromedp.Click(chromedp.CSS(`#reply-form button[type=submit]`)))
		webtest.WaitFor(t, hugo, "sent", `document.querySelector('.stale') === null && Array.from(document.querySelectorAll('#thread .msg.staff')).some(m => m.textContent.includes('nous ouvrons à 9 h'))`)
		if n := count(); n != 3 {
			t.Fatalf("%d messages after sending anyway, want 3", n)
		}
	})

	t.Run("a new message reaches the open inbox", func(t *testing.T) {
		webtest.Run(t, lea, "open the inbox", chromedp.Navigate(a.base+"/inbox?view=all"), chromedp.WaitVisible(chromedp.CSS(`.rows`)))
		ctx := context.Background()
		blog, err := a.st.Channel(ctx, a.velo.ID, "blog")
		if err != nil {
			t.Fatal(err)
		}
		m := model.Message{ExternalID: "p9", ConversationExternalID: "p9", Kind: model.KindPost, Status: model.StatusApproved,
			AuthorName: "Nora Petit", Body: "Livrez-vous en Belgique ?", CreatedAt: time.Now().UTC(), Lang: "fr", Sentiment: "neu", Intent: "question"}
		if _, err := a.st.NewImporter(a.velo, blog).Write(ctx, []store.IngestItem{{Message: m, Root: "p9", Subject: "Livraison en Belgique"}}); err != nil {
			t.Fatal(err)
		}
		webtest.WaitFor(t, lea, "the new conversation on top of the list", `(document.querySelector('.rows .row') || {textContent: ''}).textContent.includes('Nora Petit')`)
		webtest.WaitFor(t, lea, "the update announced to screen readers", `document.querySelector('#live').textContent !== ''`)
	})

	t.Run("client view", func(t *testing.T) {
		marc := signInBrowser(t, a, "marc")
		webtest.Run(t, marc, "inbox", chromedp.Navigate(a.base+"/inbox?view=all"), chromedp.WaitVisible(chromedp.CSS(`.rows`)))
		for _, id := range rowIDs(t, marc) {
			if id == fmt.Sprint(a.agios) {
				t.Fatalf("the client of velo sees banque's conversation %s", id)
			}
		}
		if got := rowIDs(t, marc); len(got) != 4 {
			t.Fatalf("client rows %v: want velo's 4 conversations", got)
		}
		var forms, settings int
		forms = webtest.Eval[int](t, marc, `document.querySelectorAll('.rows form').length`)
		settings = webtest.Eval[int](t, marc, `document.querySelectorAll('a[href="/settings"]').length`)
		if forms != 0 || settings != 0 {
			t.Errorf("client sees %d action forms and %d settings links", forms, settings)
		}
		webtest.Run(t, marc, "a conversation", chromedp.Navigate(fmt.Sprintf("%s/conversations/%d", a.base, a.samedi)), chromedp.WaitVisible(chromedp.CSS(`#thread`)))
		var composer, notes, correct int
		var text string
		composer = webtest.Eval[int](t, marc, `document.querySelectorAll('#reply-form').length`)
		notes = webtest.Eval[int](t, marc, `document.querySelectorAll('#notes').length`)
		correct = webtest.Eval[int](t, marc, `document.querySelectorAll('form.correct').length`)
		text = webtest.Eval[string](t, marc, `document.body.textContent`)
		if composer+notes+correct != 0 || strings.Contains(text, "@hugo") {
			t.Errorf("client sees composer %d, notes %d, corrections %d, note text %v", composer, notes, correct, strings.Contains(text, "@hugo"))
		}
		status := webtest.Eval[int](t, marc, fmt.Sprintf(`fetch('/conversations/%d', {credentials: 'same-origin'}).then(r => r.status)`, a.agios), chromedp.EvalAwaitPromise)
		if status != 404 {
			t.Errorf("client opens another brand's conversation: %d, want 404", status)
		}
	})

	t.Run("reports draw their charts", func(t *testing.T) {
		marc := signInBrowser(t, a, "marc") // a client
		webtest.Run(t, marc, "open the reports", chromedp.Navigate(a.base+"/reports"), chromedp.WaitVisible(chromedp.CSS(`.charts svg`)))
		if n := webtest.Eval[int](t, marc, `document.querySelectorAll('.charts svg.chart').length`); n != 3 {
			t.Errorf("%d charts, want 3", n)
		}
		if bars := webtest.Eval[int](t, marc, `document.querySelectorAll('.charts svg rect title').length`); bars == 0 {
			t.Error("no bar drawn")
		}
		if w := webtest.Eval[float64](t, marc, `document.querySelector('.charts svg').getBoundingClientRect().width`); w < 200 {
			t.Errorf("the chart is %.0f px wide", w)
		}
		// The month's client report opens styled: its policy allows its
		// own style sheet, by hash.
		report := webtest.Eval[string](t, marc, `(() => { const f = document.querySelector('.client-report');
			return f.action + '?month=' + f.month.value + '&format=' + f.querySelector('button').value })()`)
		webtest.Run(t, marc, "open the client report", chromedp.Navigate(report))
		webtest.Run(t, marc, "see its title", chromedp.Poll[chromedp.Void](`document.querySelector('h1 small') !== null`))
		if c := webtest.Eval[string](t, marc, `getComputedStyle(document.querySelector('h1 small')).color`); c != "rgb(48, 70, 197)" {
			t.Errorf("the report's subtitle is %s: its style sheet was refused", c)
		}
		if fill := webtest.Eval[string](t, marc, `getComputedStyle(document.querySelector('svg .s-in')).fill`); fill != "rgb(48, 70, 197)" {
			t.Errorf("the report's bars are %s", fill)
		}
	})

	t.Run("every field has a label", func(t *testing.T) {
		nadia := signInBrowser(t, a, "nadia")
		for _, path := range []string{"/inbox", fmt.Sprintf("/conversations/%d", a.panne), "/workspaces/velo/people/m-camille@example.org",
			"/settings/workspaces/velo/canned", "/settings/workspaces/velo/sla", "/settings/workspaces/velo/topics",
			"/settings/workspaces/velo/members", "/settings/workspaces/velo/team", "/settings/workspaces/velo/routing",
			"/settings/workspaces/velo/import", "/settings/tokens", "/reports/velo", "/settings/workspaces/velo/sources"} {
			webtest.Run(t, nadia, "open "+path, chromedp.Navigate(a.base+path), chromedp.WaitVisible(chromedp.CSS(`#main`)))
			unlabelled := webtest.Eval[[]string](t, nadia, `Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
				.filter(e => e.labels.length === 0 && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
				.map(e => e.outerHTML.slice(0, 80))`)
			if len(unlabelled) > 0 {
				t.Errorf("%s: fields without a label: %q", path, unlabelled)
			}
			if h1 := webtest.Eval[int](t, nadia, `document.querySelectorAll('h1').length`); h1 != 1 {
				t.Errorf("%s: %d h1 headings, want 1", path, h1)
			}
		}
	})

	t.Run("language", func(t *testing.T) {
		webtest.Run(t, lea, "open the inbox", chromedp.Navigate(a.base+"/inbox"), chromedp.WaitVisible(chromedp.CSS(`.rows`)))
		var lang, nav string
		lang = webtest.Eval[string](t, lea, `document.documentElement.lang`)
		if lang != "en" {
			t.Fatalf("lang %q before the switch, want en (the browser asks for English)", lang)
		}
		webtest.Eval[bool](t, lea, `(() => { document.querySelector('details.menu').open = true; const s = document.querySelector('#ui-language'); s.value = 'fr'; s.dispatchEvent(new Event('change', {bubbles: true})); return true })()`)
		webtest.WaitFor(t, lea, "the page comes back in French", `document.documentElement.lang === 'fr'`)
		nav = webtest.Eval[string](t, lea, `document.querySelector('.main-nav a').textContent`)
		if !strings.Contains(nav, "Boîte de réception") {
			t.Fatalf("navigation %q after switching to French", nav)
		}
		u, err := a.st.UserByLogin(context.Background(), "lea")
		if err != nil || u.UILanguage != "fr" {
			t.Fatalf("lea's language %q, %v", u.UILanguage, err)
		}
	})
}
