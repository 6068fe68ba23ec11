package mastodon

import (
	"cmp"
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"palabre/internal/connector"
)

// Bounds of one poll, which keep it within Mastodon's default rate limit
// (300 requests in 5 minutes) even while catching up.
const (
	// pageSize is how many notifications one poll asks for.
	pageSize = 40
	// contextBudget is how many threads one page of mentions may look
	// up; a page that needs more stops there and the next poll goes on
	// from the last mention it read.
	contextBudget = 20
	// ownPosts is how many of the account's latest posts the replies
	// are read of.
	ownPosts = 5
	// repliesEvery is how often those replies are read: mentions bring
	// most replies at once, since answering a post mentions its author
	// unless the replier removes the mention.
	repliesEvery = 15 * time.Minute
)

// position is what Cursor.Position holds, as JSON.
type position struct {
	// Notification is the id of the newest mention notification read.
	Notification string `json:"notification,omitempty"`
	// RepliesAt is when the replies to the account's posts were last
	// read.
	RepliesAt time.Time `json:"replies_at,omitzero"`
}

// readPosition decodes a cursor's position. One that cannot be read (it
// was not written by this connector) is taken as a first poll: the newest
// page is read again, and nothing stored twice.
func readPosition(s string) position {
	var p position
	if s == "" || json.Unmarshal([]byte(s), &p) != nil {
		return position{}
	}
	return p
}

func (p position) encode() string {
	b, _ := json.Marshal(p) // a string and a time always encode
	return string(b)
}

// Poll reads one page: every repliesEvery (and first of all) the replies
// to the account's latest posts, otherwise the mentions notified since the
// cursor's. The first reading of mentions takes the newest page only:
// older mentions are not imported. Mentions are read oldest first, so that
// a poll cut short (at contextBudget) goes on from where it stopped.
func (c *Client) Poll(ctx context.Context, cur connector.Cursor) (connector.Batch, error) {
	pos := readPosition(cur.Position)
	me, err := c.self(ctx)
	if err != nil {
		return connector.Batch{}, err
	}
	now := c.now()
	var batch connector.Batch
	if since := now.Sub(pos.RepliesAt); pos.RepliesAt.IsZero() || since >= repliesEvery || since < 0 {
		batch.Records, err = c.readReplies(ctx, me)
		pos.RepliesAt = now
		batch.More = true // the mentions, at once
	} else {
		batch.Records, pos.Notification, batch.More, err = c.readMentions(ctx, me, pos.Notification)
	}
	if err != nil {
		return connector.Batch{}, err
	}
	batch.Cursor = connector.Cursor{Position: pos.encode()}
	return batch, nil
}

// readMentions reads the page of mention notifications that follows the
// one whose id is since (all the newest when since is ""). It asks with
// min_id, which returns the notifications immediately after since, rather
// than since_id, which returns the newest and would skip the middle of a
// burst larger than a page. It returns the records, the id to go on
// from and whether more are waiting.
func (c *Client) readMentions(ctx context.Context, me account, since string) ([]connector.Record, string, bool, error) {
	q := url.Values{"types[]": {"mention"}, "limit": {strconv.Itoa(pageSize)}}
	if since != "" {
		q.Set("min_id", since)
	}
	var page []notification
	if err := c.get(ctx, "/api/v1/notifications", q, &page); err != nil {
		return nil, since, false, err
	}
	// Oldest first, whatever order the server chose, and nothing at or
	// before since, whatever it sent.
	page = slices.DeleteFunc(page, func(n notification) bool { return n.ID == "" || !idBefore(since, n.ID) })
	slices.SortFunc(page, func(a, b notification) int { return compareIDs(a.ID, b.ID) })
	t := newThreads(c, contextBudget)
	var recs []connector.Record
	last := since
	for _, n := range page {
		if n.Type == "mention" && n.Status != nil && n.Status.Reblog == nil {
			p, ok, err := t.place(ctx, *n.Status)
			if err != nil {
				return nil, since, false, err
			}
			if !ok { // out of look-ups: the next poll goes on from here
				return recs, last, true, nil
			}
			recs = append(recs, c.record(*n.Status, p, me.ID))
		}
		last = n.ID
	}
	return recs, last, since != "" && len(page) >= pageSize, nil
}

// readReplies reads the account's latest posts and every reply under
// them the instance knows of. Replies read before are read again: they
// are stored by their URI, once.
func (c *Client) readReplies(ctx context.Context, me account) ([]connector.Record, error) {
	q := url.Values{"limit": {strconv.Itoa(ownPosts)}, "exclude_replies": {"true"}, "exclude_reblogs": {"true"}}
	var posts []status
	if err := c.get(ctx, "/api/v1/accounts/"+url.PathEscape(me.ID)+"/statuses", q, &posts); err != nil {
		return nil, err
	}
	if len(posts) > ownPosts {
		posts = posts[:ownPosts]
	}
	t := newThreads(c, len(posts))
	var recs []connector.Record
	for _, post := range posts {
		if post.Reblog != nil || post.ID == "" {
			continue
		}
		below, err := t.lookUp(ctx, post)
		if err != nil {
			return nil, err
		}
		for _, s := range append([]status{post}, below...) {
			p, _ := t.placeOf(s)
			recs = append(recs, c.record(s, p, me.ID))
		}
	}
	return recs, nil
}

// compareIDs orders status and notification ids: Mastodon's are decimal
// numbers, other servers' fixed-length sortable strings, so a shorter id
// is older and ids of one length compare as text.
func compareIDs(a, b string) int {
	return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
}

// idBefore reports whether id a comes before b; "" comes before all.
func idBefore(a, b string) bool { return a == "" || compareIDs(a, b) < 0 }
