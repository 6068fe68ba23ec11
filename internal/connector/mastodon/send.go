package mastodon

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"palabre/internal/connector"
	"palabre/internal/htmltext"
)

// findDepth is how many of the account's latest statuses Find looks
// through.
const findDepth = 40

// Reply posts r as the account, answering the status r.InReplyTo (the
// conversation's root when r names none). The text starts with the
// parent's author's @mention unless it mentions them already, since
// Mastodon shows a reply only to those it mentions or who follow the
// thread. Its visibility is the parent's: a reply to a direct status
// stays direct, one to a followers-only status stays followers-only.
//
// r.Key is sent as the Idempotency-Key header: for an hour, Mastodon
// answers a second post under the same key with the status the first
// one made, so a retried Reply does not post twice.
func (c *Client) Reply(ctx context.Context, r connector.Reply) (connector.Sent, error) {
	if strings.TrimSpace(r.Body) == "" {
		return connector.Sent{}, fmtPermanent("mastodon reply: the text is empty")
	}
	me, err := c.self(ctx)
	if err != nil {
		return connector.Sent{}, err
	}
	parent, err := c.lookUpStatus(ctx, answered(r))
	if err != nil {
		return connector.Sent{}, fmt.Errorf("mastodon reply: %w", err)
	}
	form := url.Values{
		"status":         {c.withMention(r.Body, parent.Account, me)},
		"in_reply_to_id": {parent.ID},
		"visibility":     {replyVisibility(parent.Visibility)},
	}
	var s status
	if err := c.post(ctx, "/api/v1/statuses", form, r.Key, &s); err != nil {
		return connector.Sent{}, fmt.Errorf("mastodon reply: %w", err)
	}
	if strings.TrimSpace(s.URI) == "" {
		return connector.Sent{}, errors.New("mastodon reply: the instance answered a status without uri")
	}
	return sent(s), nil
}

// Find looks for r among the account's findDepth latest statuses: one
// answering r's parent whose text is r's, @mentions aside (the instance
// renders a mention of a remote account without its host). So it finds a
// reply posted in the last minutes, which is what the outbox asks after a
// crash, but not one buried under findDepth newer statuses; nor can it
// tell apart two identical replies to one status.
func (c *Client) Find(ctx context.Context, r connector.Reply) (connector.Sent, bool, error) {
	me, err := c.self(ctx)
	if err != nil {
		return connector.Sent{}, false, err
	}
	parent, err := c.lookUpStatus(ctx, answered(r))
	if err != nil {
		return connector.Sent{}, false, fmt.Errorf("mastodon find reply: %w", err)
	}
	q := url.Values{"limit": {strconv.Itoa(findDepth)}, "exclude_reblogs": {"true"}}
	var recent []status
	if err := c.get(ctx, "/api/v1/accounts/"+url.PathEscape(me.ID)+"/statuses", q, &recent); err != nil {
		return connector.Sent{}, false, fmt.Errorf("mastodon find reply: %w", err)
	}
	want := comparable(r.Body)
	for _, s := range recent {
		if s.InReplyToID == parent.ID && s.URI != "" && comparable(htmltext.PlainText(s.Content)) == want {
			return sent(s), true, nil
		}
	}
	return connector.Sent{}, false, nil
}

// Moderate is not supported: an account cannot moderate other accounts'
// statuses. (Muting or blocking their authors, or deleting the account's
// own statuses, are different acts, left to Mastodon's own apps.)
func (c *Client) Moderate(_ context.Context, externalID, action string) error {
	return fmt.Errorf("mastodon: %s %s: %w", action, externalID, connector.ErrUnsupported)
}

// answered is the external id of the status r answers.
func answered(r connector.Reply) string {
	if r.InReplyTo != "" {
		return r.InReplyTo
	}
	return r.ConversationExternalID
}

// lookUpStatus finds the status whose URI is uri through the instance's
// search, which knows the statuses it has seen and fetches others.
func (c *Client) lookUpStatus(ctx context.Context, uri string) (status, error) {
	if strings.TrimSpace(uri) == "" {
		return status{}, fmtPermanent("no status to answer")
	}
	q := url.Values{"q": {uri}, "type": {"statuses"}, "resolve": {"true"}, "limit": {"1"}}
	var res searchResults
	if err := c.get(ctx, "/api/v2/search", q, &res); err != nil {
		return status{}, err
	}
	for _, s := range res.Statuses {
		if s.ID != "" && (s.URI == uri || s.URL == uri) {
			return s, nil
		}
	}
	return status{}, fmtPermanent("status %s: the instance cannot find it (deleted, or not visible to the account)", uri)
}

// withMention returns text starting with the @mention of author, unless
// it mentions them already or author is the account itself.
func (c *Client) withMention(text string, author, me account) string {
	acct := strings.TrimPrefix(strings.TrimSpace(author.Acct), "@")
	if acct == "" || author.ID == me.ID {
		return text
	}
	if mentions(text, acct) || mentions(text, strings.TrimPrefix(handle(author, c.base.Hostname()), "@")) {
		return text
	}
	return "@" + acct + " " + text
}

// mentions reports whether text holds "@"+acct as a whole handle: not
// inside a longer handle or an e-mail address. Case does not matter.
func mentions(text, acct string) bool {
	lower, target := strings.ToLower(text), "@"+strings.ToLower(acct)
	for from := 0; ; {
		i := strings.Index(lower[from:], target)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(target)
		before, _ := utf8.DecodeLastRuneInString(lower[:start])
		if (start == 0 || !handleRune(before)) && !continuesHandle(lower[end:]) {
			return true
		}
		from = start + 1
	}
}

// continuesHandle reports whether rest, which follows a handle, makes it
// a longer one: a handle character, or a dot or hyphen followed by one.
func continuesHandle(rest string) bool {
	r, size := utf8.DecodeRuneInString(rest)
	switch {
	case rest == "":
		return false
	case handleRune(r) || r == '@':
		return true
	case r == '.' || r == '-':
		next, _ := utf8.DecodeRuneInString(rest[size:])
		return handleRune(next)
	}
	return false
}

func handleRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// replyVisibility is the visibility of a reply to a status of visibility
// v: the same, and direct, the narrowest, for one palabre does not know.
func replyVisibility(v string) string {
	switch v {
	case visibilityPublic, visibilityUnlisted, visibilityPrivate, visibilityDirect:
		return v
	}
	return visibilityDirect
}

// comparable is text as Find compares it: words only, without @mentions.
func comparable(text string) string {
	words := strings.Fields(text)
	kept := words[:0]
	for _, w := range words {
		if !strings.HasPrefix(w, "@") {
			kept = append(kept, w)
		}
	}
	return strings.Join(kept, " ")
}

func sent(s status) connector.Sent {
	out := connector.Sent{ExternalID: strings.TrimSpace(s.URI), URL: strings.TrimSpace(s.URL)}
	if out.URL == "" {
		out.URL = out.ExternalID
	}
	return out
}
