package wordpress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"palabre/internal/connector"
	"palabre/internal/connector/feed"
	"palabre/internal/connector/wxr"
	"palabre/internal/fetch"
	"palabre/internal/ingest"
	"palabre/internal/model"
	wordpresstest "palabre/internal/testutil/wordpress"
)

// TestLive runs the connector against a real WordPress (see
// internal/testutil/wordpress); its steps share the site and run in
// order.
func TestLive(t *testing.T) {
	site := wordpresstest.Start(t)
	w := &liveSite{t: t, site: site, http: fetch.NewHTTPClient(true, 30*time.Second)}
	ctx := context.Background()
	c := w.client(Config{})
	// Ids come in ingest's canonical form: https, whatever the site's.
	post := ingest.CanonicalID(site.URL + "/?p=" + strconv.FormatInt(site.PostID, 10))
	if !strings.HasPrefix(post, "https://127.0.0.1:") {
		t.Fatalf("post id %s", post)
	}

	// A visitor's approved comment, a visitor's reply held for
	// moderation, and the blogger's answer.
	anne := w.comment(map[string]any{"post": site.PostID, "author_name": "Anne", "author_email": "anne@example.org",
		"author_url": "https://anne.example", "content": "Quand repiquer ?\n\nMerci !", "status": "approved"})
	bob := w.comment(map[string]any{"post": site.PostID, "parent": anne, "author_name": "Bob", "author_email": "bob@example.org",
		"content": "Moi aussi <em>je veux savoir</em>", "status": "hold"})
	greg := w.comment(map[string]any{"post": site.PostID, "parent": anne, "content": "Fin avril.", "status": "approved"})
	id := func(n int64) string { return post + "#comment-" + strconv.FormatInt(n, 10) }

	var cur connector.Cursor
	t.Run("poll", func(t *testing.T) {
		b, err := c.Poll(ctx, connector.Cursor{})
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Records) != 3 || b.More {
			t.Fatalf("%d records, more %v: %+v", len(b.Records), b.More, b.Records)
		}
		cur = b.Cursor
		want := []struct {
			id, parent, kind, status, author, email, body string
			staff                                         bool
		}{
			{id(anne), post, model.KindComment, model.StatusApproved, "Anne", "anne@example.org", "Quand repiquer ?\n\nMerci !", false},
			{id(bob), id(anne), model.KindReply, model.StatusPending, "Bob", "bob@example.org", "Moi aussi je veux savoir", false},
			{id(greg), id(anne), model.KindReply, model.StatusApproved, "admin", "admin@example.test", "Fin avril.", true},
		}
		for i, r := range b.Records {
			m, wt := r.Message, want[i]
			if r.Err != nil || m.ExternalID != wt.id || m.ParentExternalID != wt.parent || m.ConversationExternalID != post ||
				m.Kind != wt.kind || m.Status != wt.status || m.AuthorName != wt.author || m.AuthorEmail != wt.email ||
				m.Body != wt.body || m.AuthorIsStaff != wt.staff || m.CreatedAt.IsZero() || time.Since(m.CreatedAt) > time.Hour ||
				!strings.HasPrefix(m.URL, site.URL+"/potager/") {
				t.Errorf("record %d = %+v, %v\nwant %+v", i, m, r.Err, wt)
			}
		}
		if m := b.Records[0].Message; m.AuthorURL != "https://anne.example" || !strings.Contains(m.BodyHTML, "<p>Quand repiquer ?</p>") {
			t.Errorf("Anne's comment: url %q, html %q", m.AuthorURL, m.BodyHTML)
		}
		if m := b.Records[2].Message; m.AuthorHandle != "admin" {
			t.Errorf("the blogger's comment has handle %q", m.AuthorHandle)
		}
	})

	t.Run("same ids as the comment feed and the WXR export", func(t *testing.T) {
		// The feed shows approved comments only.
		body := w.get(site.URL + "/?p=" + strconv.FormatInt(site.PostID, 10) + "&feed=comments-rss2")
		fromFeed := readAll(t, feed.NewReader(bytes.NewReader(body), feed.Options{}))
		var got []string
		for _, m := range fromFeed {
			if !strings.HasPrefix(m.ExternalID, site.URL+"/?p=") {
				t.Errorf("feed id %s", m.ExternalID)
			}
			got = append(got, ingest.CanonicalID(m.ExternalID))
		}
		slices.Sort(got)
		if want := []string{id(anne), id(greg)}; !slices.Equal(got, want) {
			t.Errorf("feed ids %v, want %v", got, want)
		}
		export := site.PHP(t, "require_once ABSPATH . 'wp-admin/includes/export.php';\nexport_wp();")
		var fromWXR []model.Message
		for _, m := range readAll(t, wxr.NewReader(strings.NewReader(export), wxr.Options{})) {
			if m.Kind != model.KindPost {
				fromWXR = append(fromWXR, m)
			}
		}
		b, err := c.Poll(ctx, connector.Cursor{})
		if err != nil {
			t.Fatal(err)
		}
		fromREST := connector.Messages(b.Records)
		if len(fromWXR) != len(fromREST) {
			t.Fatalf("WXR %d comments, REST %d", len(fromWXR), len(fromREST))
		}
		for i, m := range fromREST {
			x := fromWXR[i]
			for _, id := range []*string{&x.ExternalID, &x.ParentExternalID, &x.ConversationExternalID} {
				*id = ingest.CanonicalID(*id)
			}
			if x.ExternalID != m.ExternalID || x.ParentExternalID != m.ParentExternalID || x.ConversationExternalID != m.ConversationExternalID ||
				x.Kind != m.Kind || x.Status != m.Status || x.AuthorIsStaff != m.AuthorIsStaff || x.AuthorHandle != m.AuthorHandle ||
				x.AuthorName != m.AuthorName || x.AuthorEmail != m.AuthorEmail || x.AuthorURL != m.AuthorURL || x.URL != m.URL ||
				!x.CreatedAt.Equal(m.CreatedAt) || x.Body != m.Body {
				t.Errorf("comment %d\nWXR  %+v\nREST %+v", i, x, m)
			}
		}
	})

	t.Run("the cursor reads only what is new", func(t *testing.T) {
		b, err := c.Poll(ctx, cur)
		if err != nil || len(b.Records) != 0 || b.More {
			t.Fatalf("idle poll: %+v, %v", b, err)
		}
		cleo := w.comment(map[string]any{"post": site.PostID, "author_name": "Cléo", "author_email": "cleo@example.org", "content": "Merci.", "status": "approved"})
		b, err = c.Poll(ctx, b.Cursor)
		if err != nil || len(b.Records) != 1 || b.Records[0].Message.ExternalID != id(cleo) || b.Records[0].Message.AuthorName != "Cléo" {
			t.Fatalf("poll after a new comment: %+v, %v", b, err)
		}
		cur = b.Cursor
	})

	t.Run("paging", func(t *testing.T) {
		for range 4 {
			w.comment(map[string]any{"post": site.PostID, "author_name": "Dan", "author_email": "dan@example.org",
				"content": "Encore une question " + strconv.Itoa(int(time.Now().UnixNano())), "status": "approved"})
		}
		small := w.client(Config{PerPage: 3})
		var cur connector.Cursor
		batches := pollAll(t, small, &cur, 20)
		got, polls := readIDs(batches), len(batches)
		all, err := c.Poll(ctx, connector.Cursor{})
		if err != nil {
			t.Fatal(err)
		}
		if want := externalIDs(connector.Messages(all.Records)); len(want) != 8 || !slices.Equal(got, want) {
			t.Errorf("paged read %v in %d polls, want %v", got, polls, want)
		}
	})

	t.Run("rest_route without pretty permalinks", func(t *testing.T) {
		plain := w.client(Config{APIURL: site.URL + "/?rest_route=/"})
		b, err := plain.Poll(ctx, connector.Cursor{})
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Records) != 8 || b.Records[0].Message.ExternalID != id(anne) {
			t.Errorf("%d records, first %+v", len(b.Records), b.Records[0].Message)
		}
	})

	t.Run("without credentials only approved comments", func(t *testing.T) {
		public := w.client(Config{User: "-"})
		b, err := public.Poll(ctx, connector.Cursor{})
		if err != nil {
			t.Fatal(err)
		}
		got := connector.Messages(b.Records)
		if len(got) != 7 || slices.ContainsFunc(got, func(m model.Message) bool {
			return m.ExternalID == id(bob) || m.AuthorEmail != ""
		}) {
			t.Errorf("public poll: %+v", got)
		}
	})

	t.Run("reply and find", func(t *testing.T) {
		r := connector.Reply{Key: "outbox-1", ConversationExternalID: post, InReplyTo: id(bob), Body: "Bonne question : <b>fin avril</b> & pas avant."}
		if _, found, err := c.Find(ctx, r); err != nil || found {
			t.Fatalf("found before sending: %v, %v", found, err)
		}
		s, err := c.Reply(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		n := commentNumber(t, s.ExternalID)
		if s.ExternalID != id(n) || ingest.CanonicalID(s.ExternalID) != s.ExternalID || !strings.HasPrefix(s.URL, site.URL+"/potager/") || !strings.HasSuffix(s.URL, "#comment-"+strconv.FormatInt(n, 10)) {
			t.Errorf("sent %+v", s)
		}
		got := w.read(n)
		if got.Parent != bob || got.Post != site.PostID || got.Author != site.AdminID || got.Status != "approved" ||
			got.Content.Raw != "Bonne question : &lt;b&gt;fin avril&lt;/b&gt; &amp; pas avant.\n\n<!-- palabre:outbox-1 -->" {
			t.Errorf("WordPress keeps %+v", got)
		}
		found, ok, err := c.Find(ctx, r)
		if err != nil || !ok || found != s {
			t.Errorf("find: %+v, %v, %v; want %+v", found, ok, err, s)
		}
		// A key that the marker of another merely begins with is not
		// found.
		if _, ok, err := c.Find(ctx, connector.Reply{Key: "outbox-", ConversationExternalID: post}); err != nil || ok {
			t.Errorf("find outbox-: %v, %v", ok, err)
		}
		b, err := c.Poll(ctx, cur)
		if err != nil || len(b.Records) != 5 {
			t.Fatalf("poll after the reply: %d records, %v", len(b.Records), err)
		}
		cur = b.Cursor
		m := b.Records[4].Message
		if m.ExternalID != s.ExternalID || m.ParentExternalID != id(bob) || !m.AuthorIsStaff ||
			m.Body != "Bonne question : <b>fin avril</b> & pas avant." || strings.Contains(m.BodyHTML, "palabre") {
			t.Errorf("the reply reads back as %+v", m)
		}

		// Signed as someone else, the reply stays the user's.
		r = connector.Reply{Key: "outbox-2", ConversationExternalID: post, Body: "Merci à tous.", AuthorName: "L'équipe Potager"}
		s, err = c.Reply(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		got = w.read(commentNumber(t, s.ExternalID))
		if got.Parent != 0 || got.Author != site.AdminID || got.AuthorName != "L'équipe Potager" {
			t.Errorf("signed reply kept as %+v", got)
		}
		if found, ok, err := c.Find(ctx, r); err != nil || !ok || found != s {
			t.Errorf("find signed reply: %+v, %v, %v", found, ok, err)
		}
	})

	t.Run("moderate", func(t *testing.T) {
		for _, step := range []struct{ action, status string }{
			{connector.ModApprove, "approved"},
			{connector.ModUnapprove, "hold"},
			{connector.ModSpam, "spam"},
			{connector.ModSpam, "spam"}, // again, as a retry would
			{connector.ModApprove, "approved"},
			{connector.ModApprove, "approved"},
			{connector.ModTrash, "trash"},
			{connector.ModTrash, "trash"},
		} {
			if err := c.Moderate(ctx, id(bob), step.action); err != nil {
				t.Fatalf("%s: %v", step.action, err)
			}
			if got := w.read(bob).Status; got != step.status {
				t.Errorf("after %s the status is %q, want %q", step.action, got, step.status)
			}
		}
		// Signed in, the poll reads trashed and spam comments too.
		all, err := c.Poll(ctx, connector.Cursor{})
		if err != nil {
			t.Fatal(err)
		}
		if i := slices.IndexFunc(all.Records, func(r connector.Record) bool { return r.Message.ExternalID == id(bob) }); i < 0 || all.Records[i].Message.Status != model.StatusTrash {
			t.Errorf("Bob's trashed comment polled as %+v", all.Records)
		}
		// Polled again from where it stands, the poll brings the status
		// now of the newest comments read before.
		again, err := c.Poll(ctx, cur)
		if err != nil {
			t.Fatal(err)
		}
		if again.Statuses[id(bob)] != model.StatusTrash || again.Statuses[id(anne)] != model.StatusApproved {
			t.Errorf("statuses polled: %v", again.Statuses)
		}
		if err := c.Moderate(ctx, post, connector.ModSpam); !errorsIsUnsupported(err) {
			t.Errorf("moderating the post: %v", err)
		}
		if err := c.Moderate(ctx, id(anne), "pin"); !errorsIsUnsupported(err) {
			t.Errorf("unknown action: %v", err)
		}
		if err := c.Moderate(ctx, id(999999), connector.ModSpam); !connector.IsPermanent(err) {
			t.Errorf("moderating a missing comment: %v", err)
		}
	})

	t.Run("visitors pass comments they may not read", func(t *testing.T) {
		// WordPress counts the comments of a private post in the list's
		// rows but leaves them out of a visitor's pages.
		var private struct {
			ID int64 `json:"id"`
		}
		w.do(http.MethodPost, "/wp/v2/posts", map[string]any{"title": "Brouillon", "content": "x", "status": "private"}, &private)
		for i := range 5 {
			w.comment(map[string]any{"post": private.ID, "author_name": "Eve", "author_email": "eve@example.org",
				"content": "Privé " + strconv.Itoa(i), "status": "approved"})
		}
		last := w.comment(map[string]any{"post": site.PostID, "author_name": "Fay", "author_email": "fay@example.org", "content": "Public.", "status": "approved"})
		public := w.client(Config{User: "-", PerPage: 2})
		var cur connector.Cursor
		got := readIDs(pollAll(t, public, &cur, 30))
		if len(got) == 0 || got[len(got)-1] != id(last) || slices.ContainsFunc(got, func(s string) bool {
			return strings.Contains(s, "?p="+strconv.FormatInt(private.ID, 10)+"#")
		}) {
			t.Errorf("a visitor read %v", got)
		}
	})

	t.Run("bad credentials are permanent", func(t *testing.T) {
		bad := w.client(Config{AppPassword: "aaaa bbbb cccc dddd eeee ffff"})
		_, err := bad.Poll(ctx, connector.Cursor{})
		if !connector.IsPermanent(err) || !strings.Contains(err.Error(), "401") {
			t.Errorf("poll: %v", err)
		}
		_, err = bad.Reply(ctx, connector.Reply{Key: "k", ConversationExternalID: post, Body: "x"})
		if !connector.IsPermanent(err) {
			t.Errorf("reply: %v", err)
		}
	})
}

// liveSite is a WordPress started for a test, and the administrator's way
// to it.
type liveSite struct {
	t    *testing.T
	site *wordpresstest.Site
	http *http.Client
}

// client returns a connector of the site signed in as the administrator;
// cfg's fields override, User "-" meaning no credentials.
func (w *liveSite) client(cfg Config) *Client {
	w.t.Helper()
	cfg.SiteURL = w.site.URL
	switch cfg.User {
	case "-":
		cfg.User, cfg.AppPassword = "", ""
	case "":
		cfg.User = w.site.Admin
		if cfg.AppPassword == "" {
			cfg.AppPassword = w.site.AppPassword
		}
	}
	c, err := New(cfg, w.http, time.Now)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// do makes an administrator's request and decodes its JSON answer.
func (w *liveSite) do(method, route string, body, out any) {
	w.t.Helper()
	w.site.REST(w.t, method, route, body, out)
}

// comment creates a comment through the REST API and returns its id.
// Without an author_name it is the administrator's.
func (w *liveSite) comment(fields map[string]any) int64 {
	w.t.Helper()
	var c comment
	w.do(http.MethodPost, "/wp/v2/comments", fields, &c)
	return c.ID
}

// read reads a comment back as WordPress keeps it.
func (w *liveSite) read(id int64) comment {
	w.t.Helper()
	var c comment
	w.do(http.MethodGet, fmt.Sprintf("/wp/v2/comments/%d?context=edit", id), nil, &c)
	return c
}

// get reads a page of the site.
func (w *liveSite) get(url string) []byte {
	w.t.Helper()
	resp, err := w.http.Get(url)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		w.t.Fatalf("GET %s: %s, %v", url, resp.Status, err)
	}
	return b
}

func readAll(t *testing.T, src connector.Source) []model.Message {
	t.Helper()
	var out []model.Message
	for {
		r, err := src.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if r.Err != nil {
			t.Fatalf("bad record: %v", r.Err)
		}
		out = append(out, r.Message)
	}
}

func externalIDs(msgs []model.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.ExternalID
	}
	return out
}

func commentNumber(t *testing.T, id string) int64 {
	t.Helper()
	_, n, err := parseExternalID(id)
	if err != nil || n == 0 {
		t.Fatalf("%q: %v", id, err)
	}
	return n
}

func errorsIsUnsupported(err error) bool {
	return errors.Is(err, connector.ErrUnsupported) && !connector.IsPermanent(err)
}

// readIDs lists the external ids of the messages of batches, in order.
func readIDs(batches []connector.Batch) []string {
	var out []string
	for _, b := range batches {
		out = append(out, externalIDs(connector.Messages(b.Records))...)
	}
	return out
}
