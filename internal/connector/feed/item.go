package feed

import (
	"bytes"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/mmcdole/gofeed"

	"palabre/internal/connector"
	"palabre/internal/htmltext"
	"palabre/internal/model"
)

// record parses one wrapped item with gofeed and maps it to a message.
func (r *Reader) record(it *itemStart, doc []byte) connector.Record {
	rec := connector.Record{Pos: connector.Position{Offset: it.off}}
	f, err := r.parser.Parse(bytes.NewReader(doc))
	switch {
	case err != nil:
		rec.Err = fmt.Errorf("%s: %w", it.tag.Name.Local, err)
		return rec
	case len(f.Items) != 1 || f.Items[0] == nil:
		rec.Err = fmt.Errorf("%s: not understood as a feed item", it.tag.Name.Local)
		return rec
	}
	rec.Message, rec.Err = r.message(f.Items[0])
	return rec
}

// message maps one gofeed item. An item without an id or a date cannot be
// imported: the id makes re-imports idempotent and the date orders the
// conversation.
func (r *Reader) message(it *gofeed.Item) (model.Message, error) {
	guid, link := strings.TrimSpace(it.GUID), strings.TrimSpace(it.Link)
	id := guid
	if id == "" {
		id = link
	}
	if id == "" {
		return model.Message{}, fmt.Errorf("item %q has neither a guid/id nor a link", strings.TrimSpace(it.Title))
	}
	created := it.PublishedParsed
	if created == nil {
		created = it.UpdatedParsed
	}
	if created == nil {
		if raw := strings.TrimSpace(it.Published + " " + it.Updated); raw != "" {
			return model.Message{}, fmt.Errorf("item %s: unreadable date %q", id, raw)
		}
		return model.Message{}, fmt.Errorf("item %s has no date (published, pubDate or updated)", id)
	}
	body := it.Content
	if strings.TrimSpace(body) == "" {
		body = it.Description
	}
	m := model.Message{
		Channel:    r.opts.Channel,
		ExternalID: id,
		Status:     model.StatusApproved,
		Body:       htmltext.PlainText(body),
		BodyHTML:   htmltext.Sanitize(body),
		URL:        link,
		CreatedAt:  created.UTC(),
	}
	if a := author(it); a != nil {
		m.AuthorName, m.AuthorEmail = strings.TrimSpace(a.Name), strings.TrimSpace(a.Email)
	}
	post, comment, ok := wordpressComment(guid)
	if !ok {
		post, comment, ok = wordpressComment(link)
	}
	if ok {
		// A WordPress comment feed says which post a comment belongs to
		// but not which comment it answers: it hangs under the post.
		m.ExternalID = comment
		m.Kind = model.KindComment
		m.ConversationExternalID, m.ParentExternalID = post, post
		return m, nil
	}
	m.Kind = model.KindPost
	m.ConversationExternalID = m.ExternalID
	m.Title = strings.TrimSpace(it.Title)
	return m, nil
}

func author(it *gofeed.Item) *gofeed.Person {
	for _, a := range it.Authors {
		if a != nil && (a.Name != "" || a.Email != "") {
			return a
		}
	}
	return nil
}

// wordpressComment recognises WordPress's comment ids,
// BASE/?p=POSTID#comment-COMMENTID, and returns the canonical post and
// comment ids, without any other query parameter, so that they equal the
// ids read from the blog's WXR export.
func wordpressComment(s string) (post, comment string, ok bool) {
	rest, frag, found := strings.Cut(s, "#")
	if !found {
		return "", "", false
	}
	commentID, isComment := strings.CutPrefix(frag, "comment-")
	commentID, valid := wpID(commentID)
	if !isComment || !valid {
		return "", "", false
	}
	base, query, found := strings.Cut(rest, "?")
	if !found {
		return "", "", false
	}
	values, err := url.ParseQuery(query)
	if err != nil {
		return "", "", false
	}
	postID, valid := wpID(values.Get("p"))
	base = strings.TrimRight(base, "/")
	if !valid || base == "" {
		return "", "", false
	}
	post = base + "/?p=" + postID
	return post, post + "#comment-" + commentID, true
}

// wpID normalises a WordPress id: digits only, not zero, written without
// leading zeros as WordPress does, so that "?p=01843" and "?p=1843" are the
// same post.
func wpID(s string) (string, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return "", false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return "", false
	}
	return strconv.FormatUint(n, 10), true
}
