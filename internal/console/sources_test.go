package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
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

// TestReplyNotSent shows a reply that could not be sent, with the reason,
// and sends it again: here the channel's source is of a kind this
// palabre cannot send through with the settings given.
func TestReplyNotSent(t *testing.T) {
	st := testutil.NewStore(t, store.EngineSQLite)
	a := newAgency(t, st)
	lea := a.session(t, "lea")
	ctx := context.Background()
	conv, err := st.Conversation(ctx, a.samedi)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateSource(ctx, a.velo.ID, model.Source{Channel: conv.Channel, Kind: model.SourceWordPress, Name: "site",
		IntervalSeconds: 3600, Enabled: true}, `{"broken":true}`, "test", time.Now()); err != nil {
		t.Fatal(err)
	}
	page := lea.Get(fmt.Sprintf("/conversations/%d", a.samedi))
	based := regexp.MustCompile(`name="based_on" value="(\d+)"`).FindStringSubmatch(page.Body)
	if based == nil {
		t.Fatal("no based_on in the composer")
	}
	if res := lea.Submit(fmt.Sprintf("/conversations/%d/reply", a.samedi), url.Values{"body": {"Oui, ouvert samedi."}, "based_on": {based[1]}}); res.Status != http.StatusSeeOther {
		t.Fatalf("reply: %d", res.Status)
	}
	entry := failedSoon(t, "the reply", func() ([]store.OutboxEntry, error) {
		return st.ConversationOutbox(ctx, a.velo.ID, a.samedi)
	}, func(e store.OutboxEntry) string { return e.Status })
	shown := lea.Get(fmt.Sprintf("/conversations/%d", a.samedi))
	contains(t, "failed reply", shown, "not sent", "Send again", `name="outbox" value="`+fmt.Sprint(entry.ID)+`"`)
	if !strings.Contains(shown.Body, html.EscapeString(entry.LastError)) {
		t.Errorf("the reason %q is not shown", entry.LastError)
	}
	res := lea.Submit(fmt.Sprintf("/conversations/%d/retry", a.samedi), url.Values{"outbox": {fmt.Sprint(entry.ID)}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("retry: %d", res.Status)
	}
	contains(t, "after retry", lea.Get(fmt.Sprintf("/conversations/%d", a.samedi)), "will be sent again")
	actions := historyActions(t, st, a.velo.ID, a.samedi)
	if !slices.Contains(actions, "reply.failed") || !slices.Contains(actions, "reply.retry") {
		t.Errorf("history: %v", actions)
	}
}

// TestSourcesOtherKinds adds an inbound webhook, whose secret the page
// shows once, and a WordPress site with settings the API refuses: the form
// comes back with the reason, never with the password typed.
func TestSourcesOtherKinds(t *testing.T) {
	st := testutil.NewStore(t, store.EngineSQLite)
	a := newAgency(t, st)
	nadia := a.session(t, "nadia")
	const path = "/settings/workspaces/velo/sources"
	created := nadia.Submit(path, url.Values{"kind": {"webhook"}, "name": {"Formulaire"}, "channel": {"contact"}})
	if created.Status != http.StatusCreated {
		t.Fatalf("webhook: status %d", created.Status)
	}
	secret := regexp.MustCompile(`<code class="secret">(whsec_[0-9a-f]+)</code>`).FindStringSubmatch(created.Body)
	if secret == nil {
		t.Fatalf("no secret shown: %s", created.Body)
	}
	contains(t, "webhook created", created, "/api/v1/hooks/velo/contact")
	if list := nadia.Get(path); strings.Contains(list.Body, secret[1]) || !strings.Contains(list.Body, "Formulaire") {
		t.Error("the secret is shown again, or the webhook not listed")
	}
	refused := nadia.Submit(path, url.Values{"kind": {"wordpress"}, "url": {"ftp://blog.example"}, "user": {"claire"},
		"secret": {"abcd efgh ijkl mnop"}, "channel": {"blog"}})
	if refused.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad WordPress settings: status %d", refused.Status)
	}
	contains(t, "refused", refused, `class="problem"`, `value="ftp://blog.example"`, `value="claire"`)
	lacks(t, "refused", refused, "abcd efgh")

	// A mailbox: the usual ports and TLS filled in, one user and password
	// for both servers, the password never shown again.
	mailbox := nadia.Submit(path, url.Values{"kind": {"email"}, "address": {"support@velo.example"}, "from_name": {"Vélo Atelier"},
		"imap": {"imap.velo.example"}, "smtp": {"smtp.velo.example:465"}, "secret": {"un mot de passe assez long"},
		"sent": {"Sent"}, "junk": {"Junk"}, "trash": {"Trash"}, "channel": {"email"}, "interval": {"60"}})
	if mailbox.Status != http.StatusSeeOther {
		t.Fatalf("mailbox: status %d: %s", mailbox.Status, mailbox.Body)
	}
	ctx := context.Background()
	configs, err := st.SourceConfigs(ctx, a.velo.ID)
	if err != nil {
		t.Fatal(err)
	}
	var mail map[string]any
	for _, c := range configs {
		if strings.Contains(c, "support@velo.example") {
			if err := json.Unmarshal([]byte(c), &mail); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := map[string]any{"imap_addr": "imap.velo.example:993", "imap_tls": "tls", "imap_user": "support@velo.example",
		"smtp_addr": "smtp.velo.example:465", "smtp_tls": "tls", "smtp_user": "support@velo.example",
		"imap_password": "un mot de passe assez long", "from": "support@velo.example", "from_name": "Vélo Atelier", "junk_mailbox": "Junk"}
	for k, v := range want {
		if mail[k] != v {
			t.Errorf("mailbox setting %s = %v, want %v (all: %v)", k, mail[k], v, mail)
		}
	}
	list := nadia.Get(path)
	contains(t, "mailbox listed", list, "support@velo.example")
	lacks(t, "mailbox listed", list, "un mot de passe")
	bad := nadia.Submit(path, url.Values{"kind": {"email"}, "address": {"pas une adresse"}, "imap": {"imap.velo.example"},
		"smtp": {"smtp.velo.example"}, "secret": {"un autre mot de passe"}, "channel": {"email"}})
	if bad.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad mailbox: status %d", bad.Status)
	}
	contains(t, "bad mailbox", bad, `class="problem"`, `value="pas une adresse"`, `value="imap.velo.example"`)
	lacks(t, "bad mailbox", bad, "un autre mot de passe")
}
