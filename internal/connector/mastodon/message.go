package mastodon

import (
	"fmt"
	"strings"
	"time"

	"palabre/internal/connector"
	"palabre/internal/htmltext"
	"palabre/internal/model"
)

// place is where a status sits in its thread: the URIs of the status it
// answers and of the thread's root. A root's parent is "" and its root its
// own URI; so is a reply's parent when the instance cannot show it
// (deleted, or private to others), and then its root is the highest
// ancestor the instance showed, or the reply itself.
type place struct{ parent, root string }

// record maps s to a record, a bad one when s cannot become a message.
func (c *Client) record(s status, p place, meID string) connector.Record {
	m, err := toMessage(s, p, meID, c.base.Hostname())
	if err != nil {
		return connector.Record{Err: err}
	}
	return connector.Record{Message: m}
}

// toMessage maps a status to a message. meID is the connected account's
// id, whose statuses are the staff's; host completes local handles.
func toMessage(s status, p place, meID, host string) (model.Message, error) {
	uri := strings.TrimSpace(s.URI)
	if uri == "" {
		return model.Message{}, fmt.Errorf("mastodon status %q: no uri", s.ID)
	}
	created, err := time.Parse(time.RFC3339Nano, s.CreatedAt)
	if err != nil {
		return model.Message{}, fmt.Errorf("mastodon status %s: created_at %q is not an ISO 8601 time", uri, s.CreatedAt)
	}
	root := p.root
	if root == "" {
		root = uri
	}
	m := model.Message{
		ExternalID:             uri,
		ParentExternalID:       p.parent,
		ConversationExternalID: root,
		Kind:                   kind(s, uri, p.parent, root),
		Title:                  strings.TrimSpace(s.SpoilerText),
		AuthorName:             authorName(s.Account),
		AuthorHandle:           handle(s.Account, host),
		AuthorURL:              strings.TrimSpace(s.Account.URL),
		AuthorIsStaff:          meID != "" && s.Account.ID == meID,
		Body:                   bodyText(s),
		BodyHTML:               htmltext.Sanitize(s.Content),
		URL:                    strings.TrimSpace(s.URL),
		CreatedAt:              created,
	}
	if m.URL == "" {
		m.URL = uri
	}
	if m.Body == "" {
		return model.Message{}, fmt.Errorf("mastodon status %s: no text and no attachment", uri)
	}
	if err := connector.Validate(&m); err != nil {
		return model.Message{}, fmt.Errorf("mastodon status %s: %w", uri, err)
	}
	return m, nil
}

// kind is what a status is in palabre's terms: a direct status is a
// private message; otherwise a root is a post, an answer to the root a
// comment, any other answer a reply.
func kind(s status, uri, parent, root string) string {
	switch {
	case s.Visibility == visibilityDirect:
		return model.KindMessage
	case parent == "" && root == uri:
		return model.KindPost
	case parent == root:
		return model.KindComment
	}
	return model.KindReply
}

// bodyText is a status's readable text: its content, then a line per
// attachment with its description, since a picture's alt text is often
// what the author said.
func bodyText(s status) string {
	lines := []string{htmltext.PlainText(s.Content)}
	for _, a := range s.MediaAttachments {
		what := strings.TrimSpace(a.Type)
		if what == "" {
			what = "attachment"
		}
		if d := strings.Join(strings.Fields(a.Description), " "); d != "" {
			what += ": " + d
		}
		lines = append(lines, "["+what+"]")
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// authorName is the name the account shows, else its username.
func authorName(a account) string {
	if n := strings.TrimSpace(a.DisplayName); n != "" {
		return n
	}
	return strings.TrimSpace(a.Username)
}

// handle is an account's full handle, "@user@host": a local account's acct
// lacks the host, which is the instance's. (An instance that serves its
// pages on another domain than its handles' shows the pages' domain; the
// handles of one channel stay consistent either way.)
func handle(a account, host string) string {
	acct := strings.TrimPrefix(strings.TrimSpace(a.Acct), "@")
	if acct == "" {
		return ""
	}
	if !strings.Contains(acct, "@") {
		acct += "@" + host
	}
	return "@" + acct
}
