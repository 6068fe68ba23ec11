package wordpress

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"palabre/internal/connector"
)

// errNotSignedIn: sending needs a user.
var errNotSignedIn = errors.New("wordpress: replies and moderation need a user and an application password")

// Reply posts r as a comment of the signed-in user, under the comment (or
// post) it answers, tagged with r.Key.
func (c *Client) Reply(ctx context.Context, r connector.Reply) (connector.Sent, error) {
	if !c.signedIn() {
		return connector.Sent{}, &connector.PermanentError{Err: errNotSignedIn}
	}
	post, parent, err := replyTarget(r)
	if err != nil {
		return connector.Sent{}, &connector.PermanentError{Err: err}
	}
	if strings.TrimSpace(r.Body) == "" {
		return connector.Sent{}, &connector.PermanentError{Err: fmt.Errorf("reply %s has no text", r.Key)}
	}
	site, err := c.siteInfo(ctx)
	if err != nil {
		return connector.Sent{}, err
	}
	body := map[string]any{
		"post":    post,
		"parent":  parent,
		"content": replyContent(r),
		// Naming the author keeps the reply the user's even when
		// author_name is given, which alone would make it a visitor's.
		"author": site.userID,
	}
	if name := strings.TrimSpace(r.AuthorName); name != "" {
		body["author_name"] = name
	}
	a, err := c.call(ctx, request{method: http.MethodPost, route: "/wp/v2/comments", query: url.Values{"context": {"edit"}, "_fields": {commentFields}}, body: body})
	if err != nil {
		return connector.Sent{}, fmt.Errorf("reply %s: %w", r.Key, err)
	}
	var cm comment
	if err := a.decode("new comment", &cm); err != nil {
		return connector.Sent{}, fmt.Errorf("reply %s: %w", r.Key, err)
	}
	if cm.ID <= 0 || cm.Post <= 0 {
		return connector.Sent{}, &connector.PermanentError{Err: fmt.Errorf("reply %s: %s: WordPress answered without the comment's id", r.Key, a.what)}
	}
	return sent(site, cm), nil
}

// Find looks among the signed-in user's comments on the post for one
// carrying r.Key's marker.
func (c *Client) Find(ctx context.Context, r connector.Reply) (connector.Sent, bool, error) {
	if !c.signedIn() {
		return connector.Sent{}, false, &connector.PermanentError{Err: errNotSignedIn}
	}
	post, _, err := replyTarget(r)
	if err != nil {
		return connector.Sent{}, false, &connector.PermanentError{Err: err}
	}
	site, err := c.siteInfo(ctx)
	if err != nil {
		return connector.Sent{}, false, err
	}
	q := url.Values{
		"post":     {strconv.FormatInt(post, 10)},
		"author":   {strconv.FormatInt(site.userID, 10)},
		"search":   {"palabre:" + markerKey(r.Key)},
		"status":   {"any"},
		"context":  {"edit"},
		"orderby":  {"id"},
		"order":    {"desc"},
		"per_page": {"20"},
		"_fields":  {commentFields},
	}
	a, err := c.call(ctx, request{method: http.MethodGet, route: "/wp/v2/comments", query: q})
	if err != nil {
		return connector.Sent{}, false, fmt.Errorf("find reply %s: %w", r.Key, err)
	}
	var found []comment
	if err := a.decode("comment list", &found); err != nil {
		return connector.Sent{}, false, fmt.Errorf("find reply %s: %w", r.Key, err)
	}
	mark := marker(r.Key)
	for _, cm := range found {
		// The search also matches longer keys and other fields: only
		// the whole marker in the text counts.
		if cm.ID > 0 && cm.Post > 0 && strings.Contains(cm.Content.Raw, mark) {
			return sent(site, cm), true, nil
		}
	}
	return connector.Sent{}, false, nil
}

// Moderate sets the status of the comment externalID. Trash goes through
// DELETE without force, which WordPress refuses (501) on a site whose
// trash is disabled rather than deleting the comment for good.
//
// WordPress answers an error when the comment already has the status
// asked (500 for a status, 410 for trash): Moderate then reads the status
// back, so that moderating twice, as a retry after a crash does, succeeds.
func (c *Client) Moderate(ctx context.Context, externalID, action string) error {
	if !c.signedIn() {
		return &connector.PermanentError{Err: errNotSignedIn}
	}
	_, id, err := parseExternalID(externalID)
	if err != nil {
		return &connector.PermanentError{Err: err}
	}
	if id == 0 {
		return fmt.Errorf("wordpress: %s is a post, which palabre does not moderate: %w", externalID, connector.ErrUnsupported)
	}
	route := "/wp/v2/comments/" + strconv.FormatInt(id, 10)
	q := url.Values{"context": {"edit"}, "_fields": {"id,status"}}
	req := request{method: http.MethodPost, route: route, query: q}
	var want string
	switch action {
	case connector.ModApprove:
		req.body, want = map[string]string{"status": "approved"}, "approved"
	case connector.ModUnapprove:
		req.body, want = map[string]string{"status": "hold"}, "hold"
	case connector.ModSpam:
		req.body, want = map[string]string{"status": "spam"}, "spam"
	case connector.ModTrash:
		req.method, want = http.MethodDelete, "trash"
	default:
		return fmt.Errorf("wordpress: moderation %q: %w", action, connector.ErrUnsupported)
	}
	status, err := c.commentStatus(ctx, req)
	if err != nil && ctx.Err() == nil {
		if now, err2 := c.commentStatus(ctx, request{method: http.MethodGet, route: route, query: q}); err2 == nil && now == want {
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", action, externalID, err)
	}
	if status != want {
		return &connector.PermanentError{Err: fmt.Errorf("%s %s: WordPress left the comment %q, not %q", action, externalID, status, want)}
	}
	return nil
}

// commentStatus makes a request answered by one comment and returns the
// comment's status.
func (c *Client) commentStatus(ctx context.Context, req request) (string, error) {
	a, err := c.call(ctx, req)
	if err != nil {
		return "", err
	}
	var cm struct {
		Status string `json:"status"`
	}
	if err := a.decode("comment", &cm); err != nil {
		return "", err
	}
	return cm.Status, nil
}

// sent is what a comment read back tells of a reply.
func sent(s siteInfo, cm comment) connector.Sent {
	return connector.Sent{ExternalID: commentID(s.home, cm.Post, cm.ID), URL: strings.TrimSpace(cm.Link)}
}

// replyTarget reads the post and parent comment a reply goes under.
func replyTarget(r connector.Reply) (post, parent int64, err error) {
	if r.Key == "" {
		return 0, 0, errors.New("wordpress: a reply needs a key, to be found again")
	}
	to := r.InReplyTo
	if to == "" {
		to = r.ConversationExternalID
	}
	if post, parent, err = parseExternalID(to); err != nil {
		return 0, 0, fmt.Errorf("reply %s: %w", r.Key, err)
	}
	if r.ConversationExternalID != "" && r.ConversationExternalID != to {
		convPost, _, err := parseExternalID(r.ConversationExternalID)
		if err != nil {
			return 0, 0, fmt.Errorf("reply %s: %w", r.Key, err)
		}
		if convPost != post {
			return 0, 0, fmt.Errorf("reply %s: %s is not in the conversation %s", r.Key, to, r.ConversationExternalID)
		}
	}
	return post, parent, nil
}

// replyContent is the comment's text: the reply written as text (the
// characters that HTML reads as markup escaped, so that what the staff
// wrote is what readers see), then the marker.
func replyContent(r connector.Reply) string {
	body := textEscaper.Replace(strings.TrimSpace(r.Body))
	return body + "\n\n" + marker(r.Key)
}

var textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// marker is the HTML comment that tags a reply with its key.
func marker(key string) string {
	return "<!-- palabre:" + markerKey(key) + " -->"
}

// markerKey is key as written in the marker: as it is when it is short
// and made of characters that can stand in an HTML comment and a search
// unescaped, else a digest of it.
func markerKey(key string) string {
	if len(key) > 0 && len(key) <= 100 && !strings.Contains(key, "--") && strings.IndexFunc(key, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '.' || r == ':')
	}) < 0 {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:16])
}
