package wordpress

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"palabre/internal/connector"
)

// maxStepBack bounds how many pages one poll reads back looking for a
// comment already read; past it the poll goes on from where it is.
const maxStepBack = 10

// position is the poll's mark, kept in Cursor.Position: the id of the
// last comment read, and how many rows of the comment list (in id order)
// have been gone through, which is where the first unread one should be.
type position struct {
	after  int64
	offset int64
}

func (p position) String() string {
	if p == (position{}) {
		return ""
	}
	return "after=" + strconv.FormatInt(p.after, 10) + "&offset=" + strconv.FormatInt(p.offset, 10)
}

// parsePosition reads a Cursor.Position written by position.String.
func parsePosition(s string) (position, error) {
	if s == "" {
		return position{}, nil
	}
	q, err := url.ParseQuery(s)
	if err == nil {
		after, err1 := strconv.ParseInt(q.Get("after"), 10, 64)
		offset, err2 := strconv.ParseInt(q.Get("offset"), 10, 64)
		if err1 == nil && err2 == nil && after >= 0 && offset >= 0 {
			return position{after: after, offset: offset}, nil
		}
	}
	return position{}, &connector.PermanentError{Err: fmt.Errorf("wordpress: cursor %q is not after=ID&offset=N", s)}
}

// page is one page of the comment list.
type page struct {
	start       int64 // rows before the page
	items       []json.RawMessage
	ids         []int64 // each item's id; 0 when unreadable
	total       int64   // X-WP-Total: rows in the whole list; -1 when not said
	etag        string
	notModified bool
}

// rows is how many rows of the list the page covers. WordPress counts
// in X-WP-Total, and skips in the page, comments the user may not read
// (those of private posts, for visitors): rows can exceed len(items).
func (p *page) rows(perPage int) int64 {
	if p.total < 0 {
		return int64(len(p.items))
	}
	return max(min(int64(perPage), p.total-p.start), 0)
}

// holds reports whether the page shows a comment read before.
func (p *page) holds(after int64) bool {
	for _, id := range p.ids {
		if id > 0 && id <= after {
			return true
		}
	}
	return false
}

// Poll reads the comments after the cursor, one page (PerPage rows) at a
// time; Batch.More says whether more are waiting.
//
// A poll asks for the page that starts one row before the first unread
// one, and expects to find there a comment already read: then no unread
// comment moved before the page. If not, comments were deleted (trash
// and spam are emptied after some days) or the row is one the user may
// not read: the poll reads back a page at a time until it finds one, at
// most maxStepBack pages, and takes what is new in all the pages read.
func (c *Client) Poll(ctx context.Context, cur connector.Cursor) (connector.Batch, error) {
	pos, err := parsePosition(cur.Position)
	if err != nil {
		return connector.Batch{}, err
	}
	site, err := c.siteInfo(ctx)
	if err != nil {
		return connector.Batch{}, err
	}
	per := int64(c.cfg.PerPage)
	start, etag := max(pos.offset-1, 0), cur.ETag
	var pages []*page // earliest first
	for steps := 0; ; steps++ {
		pg, err := c.page(ctx, start, etag)
		if err != nil {
			return connector.Batch{}, err
		}
		if pg.notModified {
			b := connector.Batch{Cursor: cur, NotModified: true}
			b.Statuses, err = c.statusesAfter(ctx, site, pos.after)
			return b, err
		}
		pages = append([]*page{pg}, pages...)
		if start == 0 || pg.holds(pos.after) || steps == maxStepBack {
			break
		}
		etag = ""
		if pg.total >= 0 && start >= pg.total {
			// The list became shorter than the cursor: read its end.
			start = max(pg.total-per, 0)
		} else {
			start = max(start-(per-1), 0) // overlapping one row
		}
	}
	last := pages[len(pages)-1] // the page the poll started with
	b := connector.Batch{Cursor: connector.Cursor{ETag: last.etag}}
	next := position{after: pos.after, offset: last.start + last.rows(c.cfg.PerPage)}
	if last.total >= 0 {
		next.offset = min(next.offset, last.total)
	}
	seen := int64(0) // the greatest id met in the pages so far
	for _, pg := range pages {
		var prev int64
		for i, raw := range pg.items {
			id := pg.ids[i]
			if id <= 0 {
				// Rows before the cursor were read, bad ones included.
				if pg.start+int64(i) >= pos.offset {
					var cm comment
					err := json.Unmarshal(raw, &cm)
					b.Records = append(b.Records, connector.Record{Err: fmt.Errorf("comment at row %d of the list: %s", pg.start+int64(i)+1, unreadable(err, cm.ID))})
				}
				continue
			}
			if id <= prev {
				return connector.Batch{}, &connector.PermanentError{Err: fmt.Errorf("wordpress: the site lists comment %d after %d: it does not sort comments by id as asked (a plugin?)", id, prev)}
			}
			prev = id
			if id <= seen || id <= pos.after {
				continue // read before, or on the previous page
			}
			seen, next.after = id, max(next.after, id)
			var cm comment
			if err := json.Unmarshal(raw, &cm); err != nil {
				b.Records = append(b.Records, connector.Record{Err: fmt.Errorf("comment %d: %w", id, err)})
				continue
			}
			if cm.pingback() {
				continue
			}
			m, err := cm.message(site)
			b.Records = append(b.Records, connector.Record{Message: m, Err: err})
		}
		seen = max(seen, prev)
	}
	b.Cursor.Position = next.String()
	if last.total >= 0 {
		b.More = last.start+per < last.total
	} else {
		b.More = len(last.items) == c.cfg.PerPage
	}
	if !b.More { // caught up: the newest comments are the ones to follow
		if b.Statuses, err = c.statusesAfter(ctx, site, pos.after); err != nil {
			return connector.Batch{}, err
		}
	}
	return b, nil
}

// statusesAfter is recentStatuses when there is something to follow: the
// site was read before, signed in (otherwise every comment is approved).
func (c *Client) statusesAfter(ctx context.Context, site siteInfo, after int64) (map[string]string, error) {
	if !c.signedIn() || after <= 0 {
		return nil, nil
	}
	return c.recentStatuses(ctx, site, after)
}

// recentWindow is how many of the newest comments a poll reads again for
// their status.
const recentWindow = 50

// recentStatuses reads the status now of the newest comments read before
// (ids up to after), by external id: a comment held, approved, spammed or
// trashed on the site since palabre read it shows so. Only the newest
// recentWindow are read again, where moderation happens.
func (c *Client) recentStatuses(ctx context.Context, site siteInfo, after int64) (map[string]string, error) {
	q := url.Values{"orderby": {"id"}, "order": {"desc"}, "per_page": {strconv.Itoa(recentWindow)},
		"context": {"edit"}, "status": {"any"}, "_fields": {commentFields}}
	a, err := c.call(ctx, request{method: http.MethodGet, route: "/wp/v2/comments", query: q})
	if err != nil {
		return nil, fmt.Errorf("read the newest comments' statuses: %w", err)
	}
	var list []comment
	if err := a.decode("comment list", &list); err != nil {
		return nil, fmt.Errorf("read the newest comments' statuses: %w", err)
	}
	out := make(map[string]string, len(list))
	for _, cm := range list {
		if cm.ID <= 0 || cm.ID > after || cm.pingback() {
			continue // not read yet: the pages read it
		}
		if m, err := cm.message(site); err == nil {
			out[m.ExternalID] = m.Status
		}
	}
	return out, nil
}

// unreadable explains why a comment of the list was not read.
func unreadable(err error, id int64) string {
	if err != nil {
		return "not a comment: " + err.Error()
	}
	return fmt.Sprintf("no valid id (%d)", id)
}

// page asks for PerPage rows of the comment list from the start-th
// (0-based), in id order: all statuses when signed in, approved comments
// otherwise.
func (c *Client) page(ctx context.Context, start int64, etag string) (*page, error) {
	q := url.Values{
		"orderby":  {"id"},
		"order":    {"asc"},
		"per_page": {strconv.Itoa(c.cfg.PerPage)},
		"_fields":  {commentFields},
	}
	if start > 0 {
		q.Set("offset", strconv.FormatInt(start, 10))
	}
	if c.signedIn() {
		q.Set("context", "edit")
		q.Set("status", "any")
	}
	a, err := c.call(ctx, request{method: http.MethodGet, route: "/wp/v2/comments", query: q, etag: etag})
	if err != nil {
		return nil, err
	}
	pg := &page{start: start, total: -1, etag: a.header.Get("ETag")}
	if a.status == http.StatusNotModified {
		pg.notModified = true
		return pg, nil
	}
	if err := a.decode("comment list", &pg.items); err != nil {
		return nil, err
	}
	pg.ids = make([]int64, len(pg.items))
	for i, raw := range pg.items {
		var head struct {
			ID int64 `json:"id"`
		}
		if json.Unmarshal(raw, &head) == nil && head.ID > 0 {
			pg.ids[i] = head.ID
		}
	}
	if n, err := strconv.ParseInt(a.header.Get("X-WP-Total"), 10, 64); err == nil && n >= 0 {
		pg.total = n
	}
	return pg, nil
}
