package security_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"palabre/internal/model"
	"palabre/internal/testutil"
	"palabre/internal/webtest"
)

// injected finds in a page's DOM what a payload would have put there to
// run, whether or not the Content-Security-Policy then stopped it: so the
// browser test fails on an escaping mistake even where the policy saves
// the day.
const injected = `(() => {
	const found = [];
	for (const el of document.querySelectorAll('*')) {
		for (const a of el.attributes) {
			const v = a.value.replace(/[\u0000-\u0020]/g, '').toLowerCase();
			if (a.name.startsWith('on') || a.name === 'srcdoc' ||
				(['href', 'src', 'action', 'formaction', 'data', 'xlink:href'].includes(a.name) && /^(javascript|vbscript|data):/.test(v))) {
				found.push(el.outerHTML.slice(0, 200));
			}
		}
		const tag = el.tagName.toLowerCase();
		if (['iframe', 'object', 'embed', 'base', 'frame'].includes(tag) ||
			(tag === 'script' && !(el.getAttribute('src') || '').startsWith('/static/'))) {
			found.push(el.outerHTML.slice(0, 200));
		}
	}
	return found;
})()`

// TestXSSBrowser opens console pages showing the corpus in headless
// Chromium, as the owner of the workspace it was planted in: no payload
// may run (they all set window.__xss) and none may have put in the page
// an element or attribute that runs script. Short mode plants the first
// two payloads of each category through every input and the whole corpus
// through an import, and opens the inbox, the first planted conversation
// and its author, the settings pages and the reports;
// PALABRE_SECURITY_LONG=1 plants every payload everywhere and opens every
// planted conversation. On SQLite: the pages are the same on both engines,
// which the other suites check.
func TestXSSBrowser(t *testing.T) {
	corpus := loadCorpus(t)
	each := representative(corpus)
	if long() {
		each = corpus
	}
	w := newWorld(t, testutil.NewStore(t, "sqlite"), hostileName, "Banque")
	w.plant(t, w.own, texts(append(append([]payload{}, each...), corpus...)), len(each))

	ctx := webtest.Browser(t)
	webtest.Run(t, ctx, "sign in",
		chromedp.Navigate(w.base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#login`)),
		chromedp.SendKeys(chromedp.CSS(`#login`), model.RoleOwner),
		chromedp.SendKeys(chromedp.CSS(`#password`), w.passwords[model.RoleOwner]),
		chromedp.Submit(chromedp.CSS(`#password`)),
	)
	webtest.WaitFor(t, ctx, "signed in", `location.pathname === '/inbox' && document.readyState === 'complete'`)

	pages := []string{"/inbox?view=all", "/inbox?view=all&q=script",
		fmt.Sprintf("/conversations/%d", w.own.conv), "/workspaces/velo/people/" + w.own.member,
		"/settings/workspaces/velo/canned", "/settings/workspaces/velo/topics", "/settings/workspaces/velo/sources",
		"/settings/workspaces/velo/routing", "/settings/workspaces/velo/sla", "/settings/workspaces/velo/members",
		"/settings/workspaces/velo/team/owner", "/reports/velo", "/reports/velo/client"}
	if long() {
		for _, c := range w.conversations(t, w.own) {
			pages = append(pages, fmt.Sprintf("/conversations/%d", c.ID))
		}
	}
	shown := false
	for _, p := range pages {
		webtest.Run(t, ctx, "open "+p, chromedp.Navigate(w.base+p))
		webtest.WaitFor(t, ctx, p+" loaded", `document.readyState === 'complete'`)
		// Give the console's script, and anything a payload scheduled, a
		// moment to run.
		webtest.Run(t, ctx, "wait", chromedp.Sleep(200*time.Millisecond))
		if webtest.Eval[bool](t, ctx, `window.__xss !== undefined`) {
			t.Errorf("%s: a payload ran (window.__xss is set)", p)
		}
		for _, el := range webtest.Eval[[]string](t, ctx, injected) {
			t.Errorf("%s: injected into the page: %s%s", p, el, whose(corpus, el))
		}
		if webtest.Eval[bool](t, ctx, `document.body.innerText.includes('window.__xss=1')`) {
			shown = true
		}
	}
	if !shown {
		t.Error("no page shows a payload as text: the test checks nothing")
	}
}
