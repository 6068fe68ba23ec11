package poll_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"palabre/internal/ingest"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
	wordpresstest "palabre/internal/testutil/wordpress"
	"palabre/internal/webtest"
)

// TestWordPressEndToEnd runs palabre serve's work (scheduler, routing,
// outbox) against a real WordPress: a visitor's new comment is read
// through the REST API and through the post's comment feed, stored once,
// routed to the CM, answered in palabre, and the answer appears on
// WordPress under the visitor's comment, and is not stored twice when
// read back.
func TestWordPressEndToEnd(t *testing.T) {
	site := wordpresstest.Start(t)
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws, lea := servedWorkspace(t, st, "jardin")
		now := time.Now()
		post := strconv.FormatInt(site.PostID, 10)
		rest, err := st.CreateSource(ctx, ws.ID, model.Source{Channel: "blog", Kind: model.SourceWordPress, Name: "site",
			IntervalSeconds: 15, Enabled: true}, fmt.Sprintf(`{"site_url":%q,"user":%q,"app_password":%q}`,
			site.URL, site.Admin, site.AppPassword), "test", now)
		if err != nil {
			t.Fatal(err)
		}
		feed, err := st.CreateSource(ctx, ws.ID, model.Source{Channel: "blog", Kind: model.SourceFeed, Name: "comments",
			IntervalSeconds: 15, Enabled: true}, fmt.Sprintf(`{"url":%q}`, site.URL+"/?p="+post+"&feed=comments-rss2"), "test", now)
		if err != nil {
			t.Fatal(err)
		}

		// A visitor comments; both sources are asked to poll.
		var c struct {
			ID int64 `json:"id"`
		}
		marker := "Bonjour " + st.Engine()
		site.REST(t, http.MethodPost, "/wp/v2/comments", map[string]any{"post": site.PostID, "author_name": "Anne",
			"author_email": "anne-" + st.Engine() + "@example.org", "content": marker + ", quand faut-il tailler les rosiers ?",
			"status": "approved"}, &c)
		id := ingest.CanonicalID(site.URL + "/?p=" + post + "#comment-" + strconv.FormatInt(c.ID, 10))
		pollBoth := func() time.Time {
			at := time.Now()
			for _, src := range []model.Source{rest, feed} {
				if err := st.PollSourceNow(ctx, ws.ID, src.ID, at); err != nil {
					t.Fatal(err)
				}
			}
			return at
		}
		polledSince := func(at time.Time) bool {
			for _, src := range []model.Source{rest, feed} {
				s, err := st.Source(ctx, ws.ID, src.ID)
				if err != nil {
					t.Fatal(err)
				}
				if s.Health.LastSuccessAt == nil || s.Health.LastSuccessAt.Before(at) {
					return false
				}
			}
			return true
		}
		at := pollBoth()
		var conv model.Conversation
		testutil.Eventually(t, "the comment read by both sources and routed", 30*time.Second, func() bool {
			if !polledSince(at) {
				return false
			}
			page, err := st.Conversations(ctx, ws.ID, store.ConversationFilter{Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			for _, cv := range page.Conversations {
				conv = cv
			}
			return len(page.Conversations) == 1 && conv.Assignee != ""
		})
		msgs, err := st.ConversationMessages(ctx, conv.ID)
		if err != nil {
			t.Fatal(err)
		}
		found, anne := 0, int64(0)
		for _, m := range msgs {
			if strings.Contains(m.Body, marker) {
				found, anne = found+1, m.ID
				if m.ExternalID != id {
					t.Errorf("stored as %s, want %s", m.ExternalID, id)
				}
			}
		}
		if found != 1 || conv.Assignee != "lea" {
			t.Fatalf("the comment stored %d times, conversation assigned to %q", found, conv.Assignee)
		}

		// Léa answers in palabre; the outbox posts it under Anne's comment.
		answer := "Fin février, avant la reprise de la végétation (" + st.Engine() + ")."
		var seen int64
		for _, m := range msgs {
			seen = max(seen, m.ID)
		}
		sent, err := st.AddReply(ctx, store.Reply{WorkspaceID: ws.ID, ConversationID: conv.ID, Author: lea,
			Body: answer, InReplyTo: id, BasedOn: seen}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var entry store.OutboxEntry
		testutil.Eventually(t, "the reply sent", 30*time.Second, func() bool {
			list, err := st.ConversationOutbox(ctx, ws.ID, conv.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range list {
				if e.ID == sent.OutboxID {
					entry = e
				}
			}
			if entry.Status == store.OutboxFailed {
				t.Fatalf("the reply failed: %s", entry.LastError)
			}
			return entry.Status == store.OutboxSent
		})
		var replies []struct {
			ID      int64 `json:"id"`
			Parent  int64 `json:"parent"`
			Content struct {
				Raw string `json:"raw"`
			} `json:"content"`
		}
		site.REST(t, http.MethodGet, fmt.Sprintf("/wp/v2/comments?post=%d&parent=%d&context=edit", site.PostID, c.ID), nil, &replies)
		if len(replies) != 1 || !strings.Contains(replies[0].Content.Raw, answer) {
			t.Fatalf("replies under Anne's comment on WordPress: %+v", replies)
		}
		if want := ingest.CanonicalID(site.URL + "/?p=" + post + "#comment-" + strconv.FormatInt(replies[0].ID, 10)); entry.ExternalID != want {
			t.Errorf("the reply's id %s, want %s", entry.ExternalID, want)
		}
		// Read back by both sources, the reply is the one already stored.
		at = pollBoth()
		testutil.Eventually(t, "both sources polled again", 30*time.Second, func() bool { return polledSince(at) })
		msgs, err = st.ConversationMessages(ctx, conv.ID)
		if err != nil {
			t.Fatal(err)
		}
		replyCopies := 0
		for _, m := range msgs {
			if strings.Contains(m.Body, answer) {
				replyCopies++
				if !m.AuthorIsStaff {
					t.Errorf("the reply is not staff: %+v", m)
				}
			}
		}
		if replyCopies != 1 {
			t.Errorf("the reply is stored %d times", replyCopies)
		}

		// Léa marks Anne's comment as spam, then publishes it again: the
		// outbox applies each on WordPress.
		for _, step := range []struct{ action, want string }{{model.ModSpam, "spam"}, {model.ModApprove, "approved"}} {
			if _, err := st.ModerateMessage(ctx, ws.ID, anne, step.action, "lea", time.Now()); err != nil {
				t.Fatal(err)
			}
			testutil.Eventually(t, step.action+" applied on WordPress", 30*time.Second, func() bool {
				list, err := st.ConversationModerations(ctx, ws.ID, conv.ID)
				if err != nil || len(list) != 1 {
					t.Fatalf("moderations: %+v, %v", list, err)
				}
				if list[0].Status == store.OutboxFailed {
					t.Fatalf("the moderation failed: %s", list[0].LastError)
				}
				return list[0].Status == store.OutboxSent && list[0].Action == step.action
			})
			var onSite struct {
				Status string `json:"status"`
			}
			site.REST(t, http.MethodGet, fmt.Sprintf("/wp/v2/comments/%d?context=edit", c.ID), nil, &onSite)
			if onSite.Status != step.want {
				t.Errorf("after %s, the comment is %q on WordPress, want %q", step.action, onSite.Status, step.want)
			}
		}
		// Held on the site itself: the next poll shows it held here too.
		var held struct {
			Status string `json:"status"`
		}
		site.REST(t, http.MethodPost, fmt.Sprintf("/wp/v2/comments/%d", c.ID), map[string]any{"status": "hold"}, &held)
		at = pollBoth()
		testutil.Eventually(t, "the comment held on the site read as held", 30*time.Second, func() bool {
			m, err := st.Message(ctx, ws.ID, anne)
			if err != nil {
				t.Fatal(err)
			}
			return polledSince(at) && m.Status == model.StatusPending
		})
	})
}

// servedWorkspace makes a workspace with one CM, lea, and serves the
// store as palabre serve does (scheduler, routing, outbox) until the test
// ends.
func servedWorkspace(t *testing.T, st *store.Store, slug string) (model.Workspace, model.User) {
	t.Helper()
	ctx := context.Background()
	ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: slug, Name: slug})
	if err != nil {
		t.Fatal(err)
	}
	lea, _ := webtest.User(t, st, "lea", false)
	if err := st.SetMembership(ctx, lea.ID, ws.ID, model.RoleCM, "test"); err != nil {
		t.Fatal(err)
	}
	webtest.Start(t, st)
	return ws, lea
}
