package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// commentFeed serves, on 127.0.0.1, an article page that announces its
// comment feed, and the feed with two comments.
func commentFeed(t *testing.T) (page string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/2024/05/velo/":
			io.WriteString(w, `<!doctype html><html><head><link rel="alternate" type="application/rss+xml" title="Vélo » Flux des commentaires" href="feed/"></head><body>Article</body></html>`)
		case "/2024/05/velo/feed/":
			w.Header().Set("Content-Type", "application/rss+xml")
			io.WriteString(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Commentaires sur Vélo</title>`)
			for i := 1; i <= 2; i++ {
				fmt.Fprintf(w, `<item><title>Par : Lecteur %d</title><link>https://blog.example/2024/05/velo/#comment-%d</link>
<guid isPermaLink="false">https://blog.example/?p=9#comment-%d</guid><description>Mon dérailleur %d saute, une idée ?</description>
<pubDate>Mon, 01 Apr 2024 10:0%d:00 +0000</pubDate></item>`, i, i, i, i, i)
			}
			io.WriteString(w, `</channel></rss>`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/2024/05/velo/"
}

func TestSourcesPage(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		a := newAgency(t, st)
		nadia, lea := a.session(t, "nadia"), a.session(t, "lea")
		page := commentFeed(t)
		const path = "/settings/workspaces/velo/sources"

		if got := lea.Get(path); got.Status != http.StatusNotFound {
			t.Errorf("a CM on the sources page: status %d", got.Status)
		}
		contains(t, "empty", nadia.Get(path), "No live source yet", `name="url"`)

		// A page that is no feed and announces none: the form comes back
		// with the reason and what was typed.
		bad := nadia.Submit(path, url.Values{"url": {page + "nope/"}, "channel": {"blog"}, "interval": {"60"}})
		if bad.Status != http.StatusUnprocessableEntity {
			t.Fatalf("unknown page: status %d", bad.Status)
		}
		contains(t, "unknown page", bad, `class="problem"`, "404", `value="`+page+`nope/"`)

		// The article's address: its comment feed is found and polled at
		// once by the server's scheduler.
		added := nadia.Submit(path, url.Values{"url": {page}, "name": {"Article vélo"}, "channel": {"blog"}, "interval": {"300"}})
		if added.Status != http.StatusSeeOther || added.Location() != path {
			t.Fatalf("add: status %d, to %q", added.Status, added.Location())
		}
		list, err := st.Sources(context.Background(), a.velo.ID)
		if err != nil || len(list) != 1 {
			t.Fatalf("sources: %+v, %v", list, err)
		}
		src := list[0]
		if src.Kind != model.SourceFeed || src.Channel != "blog" || src.IntervalSeconds != 300 || src.Name != "Article vélo" {
			t.Fatalf("added: %+v", src)
		}
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if src, err = st.Source(context.Background(), a.velo.ID, src.ID); err != nil {
				t.Fatal(err)
			}
			if src.Health.LastSuccessAt != nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("not polled within 15 s: %+v", src.Health)
			}
		}
		if src.Health.ItemsSeen != 2 {
			t.Fatalf("first poll read %d messages, want 2", src.Health.ItemsSeen)
		}
		listed := nadia.Get(path)
		contains(t, "listed", listed, "Article vélo", page+"feed/", `class="badge pos"`, "Poll now", "Pause")
		// Both comments are on one article: one conversation.
		if got := nadia.Get("/inbox?view=all&q=" + url.QueryEscape("dérailleur")); len(rows(got)) != 1 {
			t.Errorf("the polled comments in the inbox: %d rows, want their one conversation", len(rows(got)))
		}

		id := fmt.Sprint(src.ID)
		for _, step := range []struct{ action, says string }{
			{"poll", "will be polled"}, {"pause", "paused"}, {"resume", "resumed"},
		} {
			res := nadia.Submit(path+"/"+id+"/"+step.action, nil)
			if res.Status != http.StatusSeeOther {
				t.Fatalf("%s: status %d", step.action, res.Status)
			}
			contains(t, step.action, nadia.Get(path), step.says)
		}
		if res := lea.Submit(path+"/"+id+"/delete", nil); res.Status != http.StatusNotFound {
			t.Errorf("a CM removing a source: status %d", res.Status)
		}
		if res := nadia.Submit(path+"/"+id+"/delete", nil); res.Status != http.StatusSeeOther {
			t.Fatalf("remove: status %d", res.Status)
		}
		after := nadia.Get(path)
		contains(t, "removed", after, "what it read stays", "No live source yet")
		lacks(t, "removed", after, "Article vélo")
		if !strings.Contains(nadia.Get("/inbox?view=all&q="+url.QueryEscape("dérailleur")).Body, "dérailleur") {
			t.Error("the messages read went with the source")
		}
	})
}
