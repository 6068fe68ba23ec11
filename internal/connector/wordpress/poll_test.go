package wordpress

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"palabre/internal/connector"
)

// ids lists the comment numbers of a batch's good records.
func ids(t *testing.T, b connector.Batch) []int64 {
	t.Helper()
	var out []int64
	for _, r := range b.Records {
		if r.Err != nil {
			t.Fatalf("bad record: %v", r.Err)
		}
		_, id, err := parseExternalID(r.Message.ExternalID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	return out
}

func TestPollPagesAndResumes(t *testing.T) {
	t.Parallel()
	f := newFakeSite(t)
	f.add(5)
	c := newTestClient(t, Config{SiteURL: f.srv.URL, PerPage: 3})
	ctx := context.Background()
	var cur connector.Cursor
	got := drainWithin(t, c, &cur, 10)
	if want := []int64{1, 2, 3, 4, 5}; !slices.Equal(got, want) {
		t.Fatalf("read %v, want %v", got, want)
	}
	if cur.Position != "after=5&offset=5" {
		t.Errorf("cursor %q", cur.Position)
	}

	// Nothing new: nothing read again.
	b, err := c.Poll(ctx, cur)
	if err != nil || len(b.Records) != 0 || b.More || b.Cursor.Position != cur.Position {
		t.Fatalf("idle poll: %+v, %v", b, err)
	}

	// Comments before the cursor are deleted (trash emptied) while new
	// ones arrive: the poll steps back rather than skip any.
	f.remove(1, 2, 3)
	f.add(3) // 6, 7, 8
	got = drainWithin(t, c, &cur, 10)
	if want := []int64{6, 7, 8}; !slices.Equal(got, want) {
		t.Fatalf("after deletions read %v, want %v", got, want)
	}
	if cur.Position != "after=8&offset=5" {
		t.Errorf("cursor %q", cur.Position)
	}

	// Every comment deleted: the cursor survives and new ones are read.
	f.remove(4, 5, 6, 7, 8)
	if b, err = c.Poll(ctx, cur); err != nil || len(b.Records) != 0 {
		t.Fatalf("empty list: %+v, %v", b, err)
	}
	cur = b.Cursor
	f.add(1) // 9
	if b, err = c.Poll(ctx, cur); err != nil || !slices.Equal(ids(t, b), []int64{9}) {
		t.Fatalf("after emptying: %+v, %v", b, err)
	}
}

// drain polls from cur until More is false and returns the ids read.
func drain(t *testing.T, c *Client, cur *connector.Cursor) []int64 {
	t.Helper()
	return drainWithin(t, c, cur, 50)
}

// drainWithin is drain failing after most+1 polls.
func drainWithin(t *testing.T, c *Client, cur *connector.Cursor, most int) []int64 {
	t.Helper()
	var got []int64
	for _, b := range pollAll(t, c, cur, most) {
		got = append(got, ids(t, b)...)
	}
	return got
}

// pollAll polls c from cur until More is false and returns the batches
// read, failing after most+1 polls; cur is left where the last batch
// ends.
func pollAll(t *testing.T, c *Client, cur *connector.Cursor, most int) []connector.Batch {
	t.Helper()
	var out []connector.Batch
	for polls := 0; ; polls++ {
		if polls > most {
			t.Fatalf("More never ends after %d polls", polls)
		}
		b, err := c.Poll(context.Background(), *cur)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
		*cur = b.Cursor
		if !b.More {
			return out
		}
	}
}

func TestPollPassesHiddenRows(t *testing.T) {
	t.Parallel()
	f := newFakeSite(t)
	f.add(20)
	// Comments of a private post: counted by WordPress, never shown to
	// a visitor; a run longer than a page must not stop the poll.
	f.hide(3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 18)
	c := newTestClient(t, Config{SiteURL: f.srv.URL, PerPage: 3})
	var cur connector.Cursor
	if got, want := drain(t, c, &cur), []int64{1, 2, 14, 15, 16, 17, 19, 20}; !slices.Equal(got, want) {
		t.Fatalf("read %v, want %v", got, want)
	}
	f.add(2)
	f.hide(21)
	if got, want := drain(t, c, &cur), []int64{22}; !slices.Equal(got, want) {
		t.Fatalf("then read %v, want %v", got, want)
	}
	if got := drain(t, c, &cur); len(got) != 0 {
		t.Fatalf("idle poll read %v", got)
	}
}

func TestPollMapsComments(t *testing.T) {
	t.Parallel()
	f := newFakeSite(t)
	f.comment = func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("context") != "edit" || r.URL.Query().Get("status") != "any" {
			http.Error(w, "signed-in polls ask for every status", http.StatusBadRequest)
			return
		}
		if u, p, ok := r.BasicAuth(); !ok || u != "greg" || p != "abcd efgh" {
			http.Error(w, `{"code":"incorrect_password"}`, http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `[
			{"id":10,"post":7,"parent":0,"author":0,"author_name":" Anne ","author_email":"anne@example.org","author_url":"http://",
			 "date":"2026-03-01T10:00:00","date_gmt":"2026-03-01T09:00:00","status":"hold","type":"comment",
			 "link":"https://blog.example/potager/#comment-10",
			 "content":{"rendered":"<p>Quand repiquer&nbsp;?<br />\nMerci !</p>\n<script>x()</script>","raw":"Quand repiquer ?\nMerci !"}},
			{"id":11,"post":7,"parent":10,"author":1,"author_name":"Greg","date_gmt":"2026-03-01T10:00:00","status":"approved","type":"comment",
			 "content":{"rendered":"","raw":"Fin avril."}},
			{"id":12,"post":7,"parent":0,"author":0,"date_gmt":"2026-03-01T11:00:00","status":"approved","type":"pingback","content":{"rendered":"ping"}},
			{"id":13,"post":0,"date_gmt":"2026-03-01T11:00:00","status":"spam","type":"comment"},
			"not a comment",
			{"id":15,"post":7,"date_gmt":"yesterday","status":"trash","type":"comment"}
		]`)
	}
	c := newTestClient(t, Config{SiteURL: f.srv.URL, User: "greg", AppPassword: "abcd efgh"})
	b, err := c.Poll(context.Background(), connector.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Records) != 5 {
		t.Fatalf("%d records, want 5 (the pingback skipped): %+v", len(b.Records), b.Records)
	}
	const post = "https://blog.example/?p=7"
	m := b.Records[0].Message
	if b.Records[0].Err != nil || m.ExternalID != post+"#comment-10" || m.ConversationExternalID != post || m.ParentExternalID != post ||
		m.Kind != "comment" || m.Status != "pending" || m.AuthorName != "Anne" || m.AuthorEmail != "anne@example.org" ||
		m.AuthorURL != "" || m.AuthorIsStaff || m.Body != "Quand repiquer ?\nMerci !" || strings.Contains(m.BodyHTML, "script") ||
		m.URL != "https://blog.example/potager/#comment-10" || !m.CreatedAt.Equal(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("comment 10 = %+v, %v", m, b.Records[0].Err)
	}
	m = b.Records[1].Message
	if b.Records[1].Err != nil || m.ParentExternalID != post+"#comment-10" || m.Kind != "reply" || !m.AuthorIsStaff ||
		m.AuthorHandle != "greg" || m.Body != "Fin avril." || m.Status != "approved" {
		t.Errorf("comment 11 = %+v, %v", m, b.Records[1].Err)
	}
	for i, want := range []string{"comment 13 belongs to no post", "comment at row 5 of the list: not a comment", `date_gmt "yesterday" is not a date`} {
		if err := b.Records[2+i].Err; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("record %d: error %v, want %q", 2+i, err, want)
		}
	}
	if b.Cursor.Position != "after=15&offset=6" || b.More {
		t.Errorf("cursor %q, more %v", b.Cursor.Position, b.More)
	}
}

func TestPollRefusesUnsortedList(t *testing.T) {
	t.Parallel()
	f := newFakeSite(t)
	f.comment = func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `[{"id":3,"post":7,"date_gmt":"2026-03-01T09:00:00"},{"id":2,"post":7,"date_gmt":"2026-03-01T09:00:00"}]`)
	}
	c := newTestClient(t, Config{SiteURL: f.srv.URL})
	_, err := c.Poll(context.Background(), connector.Cursor{})
	if !connector.IsPermanent(err) || !strings.Contains(err.Error(), "does not sort comments by id") {
		t.Fatalf("error %v", err)
	}
}

func TestPollHonoursETag(t *testing.T) {
	t.Parallel()
	f := newFakeSite(t)
	f.comment = func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		fmt.Fprint(w, `[{"id":1,"post":7,"date_gmt":"2026-03-01T09:00:00"}]`)
	}
	c := newTestClient(t, Config{SiteURL: f.srv.URL})
	b, err := c.Poll(context.Background(), connector.Cursor{})
	if err != nil || len(b.Records) != 1 || b.Cursor.ETag != `"v1"` {
		t.Fatalf("first poll %+v, %v", b, err)
	}
	again, err := c.Poll(context.Background(), b.Cursor)
	if err != nil || !again.NotModified || len(again.Records) != 0 || again.Cursor != b.Cursor {
		t.Fatalf("second poll %+v, %v", again, err)
	}
}

func TestPollRejectsBadCursor(t *testing.T) {
	t.Parallel()
	f := newFakeSite(t)
	c := newTestClient(t, Config{SiteURL: f.srv.URL})
	_, err := c.Poll(context.Background(), connector.Cursor{Position: "42"})
	if !connector.IsPermanent(err) || !strings.Contains(err.Error(), `cursor "42"`) {
		t.Fatalf("error %v", err)
	}
}

func TestPollHonoursContext(t *testing.T) {
	t.Parallel()
	f := newFakeSite(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	f.comment = func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
	c := newTestClient(t, Config{SiteURL: f.srv.URL})
	if _, err := c.siteInfo(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err := c.Poll(ctx, connector.Cursor{})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(began) > 3*time.Second {
		t.Fatalf("error %v after %s", err, time.Since(began))
	}
}
