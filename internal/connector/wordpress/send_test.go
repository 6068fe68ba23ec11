package wordpress

import (
	"context"
	"errors"
	"strings"
	"testing"

	"palabre/internal/connector"
)

func TestReplyTarget(t *testing.T) {
	t.Parallel()
	const post = "https://blog.example/?p=7"
	for _, tc := range []struct {
		r             connector.Reply
		post, comment int64
		err           string
	}{
		{r: connector.Reply{Key: "k", ConversationExternalID: post}, post: 7},
		{r: connector.Reply{Key: "k", ConversationExternalID: post, InReplyTo: post + "#comment-70"}, post: 7, comment: 70},
		{r: connector.Reply{Key: "k", InReplyTo: post + "#comment-70"}, post: 7, comment: 70},
		{r: connector.Reply{Key: "k", ConversationExternalID: post, InReplyTo: "https://blog.example/?p=8#comment-70"}, err: "is not in the conversation"},
		{r: connector.Reply{Key: "k", ConversationExternalID: "https://blog.example/potager/"}, err: "is not a WordPress id"},
		{r: connector.Reply{ConversationExternalID: post}, err: "needs a key"},
	} {
		p, c, err := replyTarget(tc.r)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%+v: error %v, want %q", tc.r, err, tc.err)
			}
			continue
		}
		if err != nil || p != tc.post || c != tc.comment {
			t.Errorf("%+v: %d, %d, %v", tc.r, p, c, err)
		}
	}
}

func TestMarker(t *testing.T) {
	t.Parallel()
	if got := marker("outbox:42"); got != "<!-- palabre:outbox:42 -->" {
		t.Errorf("marker %q", got)
	}
	for _, key := range []string{"a--b", "a b", "-->", strings.Repeat("k", 101), "é"} {
		k := markerKey(key)
		if !strings.HasPrefix(k, "sha256:") || strings.Contains(k, "--") || k == markerKey(key+"x") {
			t.Errorf("key %q written %q", key, k)
		}
	}
	r := connector.Reply{Key: "k1", Body: "  a < b && c > d\n\nsee <b>  "}
	if got, want := replyContent(r), "a &lt; b &amp;&amp; c &gt; d\n\nsee &lt;b&gt;\n\n<!-- palabre:k1 -->"; got != want {
		t.Errorf("content %q, want %q", got, want)
	}
}

func TestSendRefusesBadRequests(t *testing.T) {
	t.Parallel()
	const post = "https://blog.example/?p=7"
	ctx := context.Background()
	public := newTestClient(t, Config{SiteURL: "https://blog.example"})
	r := connector.Reply{Key: "k", ConversationExternalID: post, Body: "Merci"}
	if _, err := public.Reply(ctx, r); !connector.IsPermanent(err) || !errors.Is(err, errNotSignedIn) {
		t.Errorf("reply without credentials: %v", err)
	}
	if _, _, err := public.Find(ctx, r); !connector.IsPermanent(err) {
		t.Errorf("find without credentials: %v", err)
	}
	if err := public.Moderate(ctx, post+"#comment-3", connector.ModSpam); !connector.IsPermanent(err) {
		t.Errorf("moderate without credentials: %v", err)
	}
	// Signed in, what is wrong with the request itself fails before
	// any request (the site does not exist).
	c := newTestClient(t, Config{SiteURL: "https://blog.example", User: "greg", AppPassword: "x"})
	for _, r := range []connector.Reply{
		{Key: "k", ConversationExternalID: post, Body: "  \n"},
		{Key: "k", ConversationExternalID: "https://blog.example/potager/", Body: "Merci"},
		{ConversationExternalID: post, Body: "Merci"},
	} {
		if _, err := c.Reply(ctx, r); !connector.IsPermanent(err) {
			t.Errorf("reply %+v: %v", r, err)
		}
	}
	if err := c.Moderate(ctx, post, connector.ModSpam); !errors.Is(err, connector.ErrUnsupported) {
		t.Errorf("moderating a post: %v", err)
	}
	if err := c.Moderate(ctx, post+"#comment-3", "pin"); !errors.Is(err, connector.ErrUnsupported) {
		t.Errorf("unknown action: %v", err)
	}
	if err := c.Moderate(ctx, "https://blog.example/potager/#comment-3", connector.ModSpam); !connector.IsPermanent(err) {
		t.Errorf("moderating a bad id: %v", err)
	}
}
