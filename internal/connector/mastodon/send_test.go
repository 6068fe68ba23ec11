package mastodon

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"palabre/internal/connector"
)

const (
	carolDM     = "https://other.example/users/carol/statuses/77" // direct, by carol@other.example
	bobReply    = "https://social.example/users/bob/statuses/110070"
	postedReply = "https://social.example/users/brand/statuses/110100"
)

func TestReply(t *testing.T) {
	t.Parallel()
	in := newInstance(t, nil)
	c := in.client(Config{})
	sent, err := c.Reply(context.Background(), connector.Reply{
		Key:                    "outbox-42",
		ConversationExternalID: carolDM,
		InReplyTo:              carolDM,
		Body:                   "Bonjour, pouvez-vous nous donner votre numéro de commande ?",
		AuthorName:             "Léa",
	})
	if err != nil {
		t.Fatal(err)
	}
	if sent.ExternalID != postedReply || sent.URL != "https://social.example/@brand/110100" {
		t.Errorf("sent = %+v", sent)
	}
	posts := in.requests("POST", "/api/v1/statuses")
	if len(posts) != 1 {
		t.Fatalf("%d posts, want 1", len(posts))
	}
	p := posts[0]
	if got := p.Header.Get("Idempotency-Key"); got != "outbox-42" {
		t.Errorf("Idempotency-Key = %q, want the reply's key", got)
	}
	if got := p.Form.Get("status"); got != "@carol@other.example Bonjour, pouvez-vous nous donner votre numéro de commande ?" {
		t.Errorf("status = %q", got)
	}
	if got := p.Form.Get("in_reply_to_id"); got != "110090" {
		t.Errorf("in_reply_to_id = %q, want the parent's local id", got)
	}
	if got := p.Form.Get("visibility"); got != "direct" {
		t.Errorf("visibility = %q, want direct like the parent", got)
	}
}

func TestReplyVisibilityMirrorsParent(t *testing.T) {
	t.Parallel()
	tests := []struct{ parent, want string }{
		{"public", "public"},
		{"unlisted", "unlisted"},
		{"private", "private"},
		{"direct", "direct"},
		{"limited", "direct"}, // unknown: the narrowest
		{"(none)", "direct"},
	}
	for _, tt := range tests {
		t.Run(tt.parent, func(t *testing.T) {
			t.Parallel()
			in := newInstance(t, map[string]http.HandlerFunc{"GET /api/v2/search": search(t, tt.parent)})
			_, err := in.client(Config{}).Reply(context.Background(), connector.Reply{Key: "k", InReplyTo: bobReply, Body: "Oui, dès juin."})
			if err != nil {
				t.Fatal(err)
			}
			p := in.requests("POST", "/api/v1/statuses")[0]
			if got := p.Form.Get("visibility"); got != tt.want {
				t.Errorf("visibility = %q, want %q", got, tt.want)
			}
			if got := p.Form.Get("status"); got != "@bob Oui, dès juin." {
				t.Errorf("status = %q, want the local author's mention", got)
			}
		})
	}
}

func TestReplyFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		reply     connector.Reply
		routes    map[string]http.HandlerFunc
		permanent bool
		contains  string
	}{
		{"empty text", connector.Reply{InReplyTo: carolDM, Body: "  "}, nil, true, "empty"},
		{"nothing answered", connector.Reply{Body: "Hello"}, nil, true, "no status to answer"},
		{"parent not found", connector.Reply{InReplyTo: "https://gone.example/statuses/1", Body: "Hello"}, nil, true, "cannot find"},
		{
			"refused by the instance", connector.Reply{InReplyTo: carolDM, Body: strings.Repeat("long ", 200)},
			map[string]http.HandlerFunc{"POST /api/v1/statuses": func(w http.ResponseWriter, _ *http.Request) {
				writeFile(w, http.StatusUnprocessableEntity, "unprocessable.json")
			}},
			true, "character limit",
		},
		{
			"rate limited", connector.Reply{InReplyTo: carolDM, Body: "Hello"},
			map[string]http.HandlerFunc{"POST /api/v1/statuses": func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("X-RateLimit-Reset", "2024-05-03T12:30:00.000Z")
				writeFile(w, http.StatusTooManyRequests, "rate_limited.json")
			}},
			false, "429",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := newInstance(t, tt.routes)
			_, err := in.client(Config{}).Reply(context.Background(), tt.reply)
			if err == nil {
				t.Fatal("no error")
			}
			if got := connector.IsPermanent(err); got != tt.permanent {
				t.Errorf("permanent = %v, want %v: %v", got, tt.permanent, err)
			}
			if !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("error %q does not say %q", err, tt.contains)
			}
		})
	}
}

func TestFind(t *testing.T) {
	t.Parallel()
	in := newInstance(t, nil)
	c := in.client(Config{})
	ctx := context.Background()
	tests := []struct {
		name  string
		reply connector.Reply
		found bool
	}{
		{"same text", connector.Reply{InReplyTo: carolDM, Body: "Bonjour, pouvez-vous nous donner votre numéro de commande ?"}, true},
		{"same text, mention given", connector.Reply{InReplyTo: carolDM, Body: "@carol@other.example Bonjour, pouvez-vous  nous donner\nvotre numéro de commande ?"}, true},
		{"other text", connector.Reply{InReplyTo: carolDM, Body: "Bonjour !"}, false},
		{"same text, other parent", connector.Reply{InReplyTo: bobReply, Body: "Bonjour, pouvez-vous nous donner votre numéro de commande ?"}, false},
	}
	for _, tt := range tests {
		sent, found, err := c.Find(ctx, tt.reply)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if found != tt.found {
			t.Errorf("%s: found = %v, want %v", tt.name, found, tt.found)
		}
		if found && sent.ExternalID != postedReply {
			t.Errorf("%s: found %+v", tt.name, sent)
		}
	}
	for _, r := range in.requests("GET", "/api/v1/accounts/108/statuses") {
		if r.Query.Get("limit") != "40" || r.Query.Has("exclude_replies") {
			t.Errorf("Find asked %v", r.Query)
		}
	}
	if n := len(in.requests("POST", "/api/v1/statuses")); n != 0 {
		t.Errorf("Find posted %d statuses", n)
	}
}

func TestModerateUnsupported(t *testing.T) {
	t.Parallel()
	in := newInstance(t, nil)
	c := in.client(Config{})
	for _, action := range []string{connector.ModApprove, connector.ModUnapprove, connector.ModSpam, connector.ModTrash} {
		if err := c.Moderate(context.Background(), carolDM, action); !errors.Is(err, connector.ErrUnsupported) {
			t.Errorf("Moderate(%s) = %v, want ErrUnsupported", action, err)
		}
	}
}

func TestWithMention(t *testing.T) {
	t.Parallel()
	c := &Client{}
	c.base, _ = instanceURL("https://social.example")
	me := account{ID: "108", Acct: "brand"}
	remote := account{ID: "301", Acct: "carol@other.example"}
	local := account{ID: "150", Acct: "bob"}
	tests := []struct {
		text   string
		author account
		want   string
	}{
		{"Bonjour", remote, "@carol@other.example Bonjour"},
		{"@carol@other.example Bonjour", remote, "@carol@other.example Bonjour"},
		{"Merci @Carol@Other.example.", remote, "Merci @Carol@Other.example."},
		{"@carol Bonjour", remote, "@carol@other.example @carol Bonjour"}, // @carol would be a local account
		{"@carol@other.example.org hi", remote, "@carol@other.example @carol@other.example.org hi"},
		{"Oui @bob", local, "Oui @bob"},
		{"@bob@social.example oui", local, "@bob@social.example oui"},
		{"@bobby oui", local, "@bob @bobby oui"},
		{"écrivez à x@bob.example", local, "@bob écrivez à x@bob.example"},
		{"Suite du fil", me, "Suite du fil"},
		{"Hello", account{}, "Hello"},
	}
	for _, tt := range tests {
		if got := c.withMention(tt.text, tt.author, me); got != tt.want {
			t.Errorf("withMention(%q, %s) = %q, want %q", tt.text, tt.author.Acct, got, tt.want)
		}
	}
}

func TestNewRefusesBadSettings(t *testing.T) {
	t.Parallel()
	tests := []Config{
		{InstanceURL: "", AccessToken: "t"},
		{InstanceURL: "mastodon.example", AccessToken: "t"},
		{InstanceURL: "ftp://mastodon.example", AccessToken: "t"},
		{InstanceURL: "https://mastodon.example/?x=1", AccessToken: "t"},
		{InstanceURL: "https://user:pw@mastodon.example", AccessToken: "t"},
		{InstanceURL: "https://mastodon.example", AccessToken: " "},
	}
	for _, cfg := range tests {
		if _, err := New(cfg, nil, nil); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	c, err := New(Config{InstanceURL: "https://Mastodon.example/", AccessToken: "t"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Host() != "Mastodon.example" || c.base.String() != "https://Mastodon.example" {
		t.Errorf("host %q, base %q", c.Host(), c.base)
	}
}

func TestSameAccount(t *testing.T) {
	t.Parallel()
	c := &Client{}
	c.base, _ = instanceURL("https://social.example")
	tests := []struct {
		configured, acct string
		want             bool
	}{
		{"brand", "brand", true},
		{"Brand", "brand", true},
		{"brand@social.example", "brand", true},
		{"brand@SOCIAL.example", "brand", true},
		{"brand@other.example", "brand", false},
		{"other", "brand", false},
	}
	for _, tt := range tests {
		if got := c.sameAccount(tt.configured, tt.acct); got != tt.want {
			t.Errorf("sameAccount(%q, %q) = %v, want %v", tt.configured, tt.acct, got, tt.want)
		}
	}
}
