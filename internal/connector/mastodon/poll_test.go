package mastodon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"palabre/internal/connector"
	"palabre/internal/model"
)

// brief is what a test checks of a message.
type brief struct {
	ID, Parent, Root, Kind, Name, Handle string
	Staff                                bool
}

func briefs(t *testing.T, recs []connector.Record) []brief {
	t.Helper()
	var out []brief
	for _, r := range recs {
		if r.Err != nil {
			t.Errorf("record error: %v", r.Err)
			continue
		}
		m := r.Message
		out = append(out, brief{m.ExternalID, m.ParentExternalID, m.ConversationExternalID, m.Kind, m.AuthorName, m.AuthorHandle, m.AuthorIsStaff})
	}
	return out
}

func checkBriefs(t *testing.T, got, want []brief) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d messages, want %d:\n%+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("message %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestPollRepliesThenMentions(t *testing.T) {
	t.Parallel()
	in := newInstance(t, nil)
	c := in.client(Config{Account: "@brand"})
	ctx := context.Background()

	// First poll: the replies to the account's latest posts.
	b, err := c.Poll(ctx, connector.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	const (
		p1 = "https://social.example/users/brand/statuses/110001"
		p2 = "https://social.example/users/brand/statuses/110002"
		r1 = "https://cycling.example/users/alice/statuses/9001"
		s1 = "https://social.example/users/brand/statuses/110060"
		r2 = "https://social.example/users/bob/statuses/110070"
	)
	local := "@bob@127.0.0.1"
	checkBriefs(t, briefs(t, b.Records), []brief{
		{p2, "", p2, model.KindPost, "Vélos Brand", "@brand@127.0.0.1", true}, // its context is 404: alone
		{p1, "", p1, model.KindPost, "Vélos Brand", "@brand@127.0.0.1", true},
		{r1, p1, p1, model.KindComment, "Alice", "@alice@cycling.example", false},
		{s1, r1, p1, model.KindReply, "Vélos Brand", "@brand@127.0.0.1", true},
		{r2, s1, p1, model.KindReply, "bob", local, false},
	})
	if !b.More {
		t.Error("More = false after the replies, want the mentions at once")
	}
	if got := b.Records[1].Message.Body; got != "Nouvelle gamme de vélos cargo !\n[image: Un vélo cargo vert]" {
		t.Errorf("body with an attachment = %q", got)
	}
	if got := b.Records[2].Message; got.Body != "@brand Quel prix pour le modèle long ?" || got.URL != "https://cycling.example/@alice/9001" ||
		!got.CreatedAt.Equal(time.Date(2024, 5, 1, 9, 30, 0, 0, time.UTC)) || !strings.Contains(got.BodyHTML, "Quel prix") {
		t.Errorf("reply = %+v", got)
	}
	if want := `{"replies_at":"2024-05-03T12:00:00Z"}`; b.Cursor.Position != want {
		t.Errorf("cursor = %s, want %s", b.Cursor.Position, want)
	}
	scan := in.requests("GET", "/api/v1/accounts/108/statuses")
	if len(scan) != 1 || scan[0].Query.Get("limit") != "5" || scan[0].Query.Get("exclude_reblogs") != "true" {
		t.Errorf("posts asked with %+v", scan)
	}

	// Second poll: the newest mentions, oldest first.
	b, err = c.Poll(ctx, b.Cursor)
	if err != nil {
		t.Fatal(err)
	}
	const (
		m1     = "https://bikes.example/users/dave/statuses/3"
		m2     = "https://other.example/users/carol/statuses/77"
		erin1  = "https://bikes.example/users/erin/statuses/1"
		erin2  = "https://bikes.example/users/erin/statuses/2"
		carol  = "@carol@other.example"
		daveID = "@dave@bikes.example"
	)
	checkBriefs(t, briefs(t, b.Records), []brief{
		{m1, erin2, erin1, model.KindReply, "Dave", daveID, false},
		{m2, "", m2, model.KindMessage, "Carol", carol, false},
	})
	if got := b.Records[1].Message; got.Title != "Commande" || got.Body != "@brand j'ai un souci avec ma commande" {
		t.Errorf("direct mention = title %q body %q", got.Title, got.Body)
	}
	if b.More {
		t.Error("More = true after the first page of mentions: history is not read")
	}
	if want := `{"notification":"5002","replies_at":"2024-05-03T12:00:00Z"}`; b.Cursor.Position != want {
		t.Errorf("cursor = %s, want %s", b.Cursor.Position, want)
	}
	asked := in.requests("GET", "/api/v1/notifications")
	if q := asked[0].Query; q.Get("types[]") != "mention" || q.Get("limit") != "40" || q.Has("min_id") || q.Has("since_id") {
		t.Errorf("first notifications query = %v", q)
	}
	if got := len(in.requests("GET", "/api/v1/accounts/verify_credentials")); got != 1 {
		t.Errorf("verify_credentials asked %d times, want once", got)
	}

	// Third poll: from the last mention on.
	if _, err = c.Poll(ctx, b.Cursor); err != nil {
		t.Fatal(err)
	}
	asked = in.requests("GET", "/api/v1/notifications")
	if q := asked[1].Query; q.Get("min_id") != "5002" || q.Has("since_id") {
		t.Errorf("next notifications query = %v, want min_id=5002", q)
	}
}

// mentionsCursor is a cursor whose replies were just read, so that Poll
// reads mentions.
func mentionsCursor(notification string) connector.Cursor {
	p := position{Notification: notification, RepliesAt: testNow.Add(-time.Minute)}
	return connector.Cursor{Position: p.encode()}
}

func TestPollPages(t *testing.T) {
	t.Parallel()
	noParent := func(int) string { return "" }
	tests := []struct {
		name      string
		page      []any
		since     string
		wantIDs   []string // the statuses' URIs' last part
		wantNext  string
		wantMore  bool
		wantAsked int // context requests
	}{
		{"a full page: more", mentionPage(6001, 40, noParent), "6000", nil, "6040", true, 0},
		{"a short page: caught up", mentionPage(6001, 3, noParent), "6000", []string{"6001", "6002", "6003"}, "6003", false, 0},
		{"an empty page keeps the cursor", []any{}, "6000", []string{}, "6000", false, 0},
		{"ids of different lengths", mentionPage(998, 4, noParent), "997", []string{"998", "999", "1000", "1001"}, "1001", false, 0},
		{
			"out of order, with old ones", append(mentionPage(7001, 2, noParent), mentionPage(6999, 2, noParent)...), "7000",
			[]string{"7001", "7002"}, "7002", false, 0,
		},
		{
			"thread look-ups are bounded", mentionPage(8001, 25, func(i int) string { return fmt.Sprint(300000 + i) }), "8000",
			nil, "8020", true, contextBudget,
		},
		{
			"one thread is looked up once", mentionPage(9001, 5, func(int) string { return "300000" }), "9000",
			[]string{"9001", "9002", "9003", "9004", "9005"}, "9005", false, 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := newInstance(t, map[string]http.HandlerFunc{
				"GET /api/v1/notifications": func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, tt.page) },
				"GET /api/v1/statuses/{id}/context": func(w http.ResponseWriter, r *http.Request) {
					// The parent, a root.
					writeJSON(w, http.StatusOK, map[string]any{"ancestors": []any{map[string]any{
						"id": "300000", "uri": "https://far.example/root", "created_at": "2024-05-03T09:00:00Z",
						"content": "root", "account": map[string]any{"id": "1"},
					}}, "descendants": []any{}})
				},
			})
			b, err := in.client(Config{}).Poll(context.Background(), mentionsCursor(tt.since))
			if err != nil {
				t.Fatal(err)
			}
			if q := in.requests("GET", "/api/v1/notifications")[0].Query; q.Get("min_id") != tt.since {
				t.Errorf("min_id = %q, want %q", q.Get("min_id"), tt.since)
			}
			if tt.wantIDs != nil {
				var got []string
				for _, r := range b.Records {
					got = append(got, r.Message.ExternalID[strings.LastIndex(r.Message.ExternalID, "/")+1:])
				}
				if strings.Join(got, " ") != strings.Join(tt.wantIDs, " ") {
					t.Errorf("read %v, want %v", got, tt.wantIDs)
				}
			}
			if got := readPosition(b.Cursor.Position).Notification; got != tt.wantNext {
				t.Errorf("next = %q, want %q", got, tt.wantNext)
			}
			if b.More != tt.wantMore {
				t.Errorf("More = %v, want %v", b.More, tt.wantMore)
			}
			if got := len(in.requests("GET", "/api/v1/statuses/300000/context")) + countContexts(in); got != tt.wantAsked {
				t.Errorf("%d thread look-ups, want %d", got, tt.wantAsked)
			}
		})
	}
}

// countContexts counts context requests of statuses other than 300000.
func countContexts(in *instance) int {
	in.mu.Lock()
	defer in.mu.Unlock()
	n := 0
	for _, r := range in.reqs {
		if strings.HasSuffix(r.Path, "/context") && r.Path != "/api/v1/statuses/300000/context" {
			n++
		}
	}
	return n
}

func TestPollErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		token     string
		account   string
		handler   http.HandlerFunc
		permanent bool
		temporary bool
		retry     time.Duration
		contains  string
	}{
		{
			name: "rate limited until the window resets",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("X-RateLimit-Limit", "300")
				w.Header().Set("X-RateLimit-Remaining", "0")
				w.Header().Set("X-RateLimit-Reset", "2024-05-03T12:04:30.250Z")
				writeFile(w, http.StatusTooManyRequests, "rate_limited.json")
			},
			temporary: true, retry: 4*time.Minute + 31*time.Second, contains: "Too many requests",
		},
		{
			name: "Retry-After wins",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Retry-After", "90")
				w.Header().Set("X-RateLimit-Reset", "2024-05-03T12:04:30.000Z")
				writeFile(w, http.StatusTooManyRequests, "rate_limited.json")
			},
			temporary: true, retry: 90 * time.Second,
		},
		{
			name:      "server down",
			handler:   func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "bad gateway", http.StatusBadGateway) },
			temporary: true,
		},
		{name: "token refused", token: "revoked", permanent: true, contains: "access token is invalid"},
		{name: "another account's token", account: "@someone", permanent: true, contains: "@someone"},
		{
			name: "malformed JSON",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Write([]byte(`[{"id":"1","type":"mention","status":{`))
			},
			contains: "not the JSON expected",
		},
		{
			name:     "a field of the wrong type",
			handler:  func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`[{"id":1,"type":"mention"}]`)) },
			contains: "not the JSON expected",
		},
		{
			name:     "an HTML page",
			handler:  func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("<html>maintenance</html>")) },
			contains: "not the JSON expected",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := newInstance(t, map[string]http.HandlerFunc{"GET /api/v1/notifications": tt.handler})
			_, err := in.client(Config{AccessToken: tt.token, Account: tt.account}).Poll(context.Background(), mentionsCursor("1"))
			if err == nil {
				t.Fatal("no error")
			}
			if got := connector.IsPermanent(err); got != tt.permanent {
				t.Errorf("permanent = %v, want %v: %v", got, tt.permanent, err)
			}
			var temp *connector.TemporaryError
			if got := errors.As(err, &temp); got != tt.temporary {
				t.Errorf("temporary = %v, want %v: %v", got, tt.temporary, err)
			}
			if got := connector.RetryAfter(err); got != tt.retry {
				t.Errorf("retry after %s, want %s", got, tt.retry)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q does not say %q", err, tt.contains)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error %q shows the token", err)
			}
		})
	}
}

func TestPollBadStatusIsOneBadRecord(t *testing.T) {
	t.Parallel()
	page := mentionPage(10, 3, func(int) string { return "" })
	page[1].(map[string]any)["status"].(map[string]any)["created_at"] = "yesterday"
	in := newInstance(t, map[string]http.HandlerFunc{
		"GET /api/v1/notifications": func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, page) },
	})
	b, err := in.client(Config{}).Poll(context.Background(), mentionsCursor("9"))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Records) != 3 || b.Records[0].Err != nil || b.Records[2].Err != nil {
		t.Fatalf("records = %+v", b.Records)
	}
	if err := b.Records[1].Err; err == nil || !strings.Contains(err.Error(), `created_at "yesterday"`) {
		t.Errorf("bad record error = %v", err)
	}
	if got := readPosition(b.Cursor.Position).Notification; got != "12" {
		t.Errorf("next = %q, want past the bad one", got)
	}
}

func TestReadPosition(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "garbage", `{"notification":42}`, `[1]`} {
		if got := readPosition(s); got != (position{}) {
			t.Errorf("readPosition(%q) = %+v, want a first poll", s, got)
		}
	}
	p := position{Notification: "5002", RepliesAt: testNow}
	if got := readPosition(p.encode()); got.Notification != "5002" || !got.RepliesAt.Equal(testNow) {
		t.Errorf("round trip = %+v", got)
	}
}

func TestCompareIDs(t *testing.T) {
	t.Parallel()
	ordered := []string{"", "9", "10", "99", "100", "01HX0000000000000000000000", "01HX0000000000000000000001"}
	for i := 1; i < len(ordered); i++ {
		if !idBefore(ordered[i-1], ordered[i]) || idBefore(ordered[i], ordered[i-1]) {
			t.Errorf("%q should come before %q", ordered[i-1], ordered[i])
		}
	}
	if idBefore("5", "5") {
		t.Error("an id comes before itself")
	}
}
