package wxr

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"

	"palabre/internal/connector"
	"palabre/internal/model"
)

// post is what the reader keeps of one <item>.
type post struct {
	off         int64
	title       string
	link        string
	pubDate     string
	creator     string
	content     string
	id          string
	date        string
	dateGMT     string
	status      string
	postType    string
	hasPostType bool
	comments    []comment
}

// comment is one wp:comment as exported.
type comment struct {
	off         int64
	ID          string `xml:"comment_id"`
	Author      string `xml:"comment_author"`
	AuthorEmail string `xml:"comment_author_email"`
	AuthorURL   string `xml:"comment_author_url"`
	Date        string `xml:"comment_date"`
	DateGMT     string `xml:"comment_date_gmt"`
	Content     string `xml:"comment_content"`
	Approved    string `xml:"comment_approved"`
	Type        string `xml:"comment_type"`
	Parent      string `xml:"comment_parent"`
	UserID      string `xml:"comment_user_id"`
}

// item reads one <item> whose start tag has just been read, and queues its
// records. The whole item is read before any record is queued because the
// post's id and type may come after its text.
func (r *Reader) item(start xml.StartElement, off int64) error {
	r.push("item", off)
	p := post{off: off}
	for {
		childOff := r.dec.InputOffset()
		tok, err := r.dec.Token()
		if err != nil {
			return r.fail(err)
		}
		switch t := tok.(type) {
		case xml.EndElement:
			r.pop()
			r.queuePost(&p)
			return nil
		case xml.StartElement:
			if err := r.itemChild(&p, t, childOff); err != nil {
				return err
			}
		}
	}
}

func (r *Reader) itemChild(p *post, t xml.StartElement, off int64) error {
	n := t.Name
	var dst *string
	switch {
	case isWP(n.Space) && n.Local == "comment":
		c := comment{off: off}
		if err := r.decode(&c, t, off); err != nil {
			return err
		}
		p.comments = append(p.comments, c)
		return nil
	case n.Space == "" && n.Local == "title":
		dst = &p.title
	case n.Space == "" && n.Local == "link":
		dst = &p.link
	case n.Space == "" && n.Local == "pubDate":
		dst = &p.pubDate
	case isDC(n.Space) && n.Local == "creator":
		dst = &p.creator
	case isContent(n.Space) && n.Local == "encoded":
		var s string
		err := r.decode(&s, t, off)
		p.content = s // untrimmed: leading newlines may matter to autop
		return err
	case isWP(n.Space) && n.Local == "post_id":
		dst = &p.id
	case isWP(n.Space) && n.Local == "post_date":
		dst = &p.date
	case isWP(n.Space) && n.Local == "post_date_gmt":
		dst = &p.dateGMT
	case isWP(n.Space) && n.Local == "status":
		dst = &p.status
	case isWP(n.Space) && n.Local == "post_type":
		p.hasPostType = true
		dst = &p.postType
	default:
		return r.skip(t, off)
	}
	s, err := r.text(t, off)
	*dst = s
	return err
}

// queuePost turns one item into records: the post, then its comments in
// file order. Items that are not posts or pages (attachments, menu items,
// revisions…) carry no conversation and are dropped without a record.
func (r *Reader) queuePost(p *post) {
	if p.hasPostType && p.postType != "post" && p.postType != "page" {
		return
	}
	bad := func(err error) connector.Record {
		return connector.Record{Pos: connector.Position{Offset: p.off}, Err: err}
	}
	name := p.title
	if name == "" {
		name = p.id
	}
	if !p.hasPostType {
		r.queue = append(r.queue, bad(fmt.Errorf("item %q has no wp:post_type%s", name, skipped(p.comments))))
		return
	}
	id, ok := parseID(p.id)
	if !ok || id == 0 {
		r.queue = append(r.queue, bad(fmt.Errorf("item %q: wp:post_id %q is not a positive number%s", name, p.id, skipped(p.comments))))
		return
	}
	base := r.base()
	if base == "" {
		r.queue = append(r.queue, bad(fmt.Errorf("item %q: the export names no site address (wp:base_blog_url, wp:base_site_url, <link>)%s", name, skipped(p.comments))))
		return
	}
	postID := base + "/?p=" + strconv.FormatUint(id, 10)

	created, err := postDate(p.dateGMT, p.pubDate, p.date)
	if err != nil {
		r.queue = append(r.queue, bad(fmt.Errorf("post %s: %w", postID, err)))
	} else {
		plain, safe := bodies(p.content)
		a := r.byLogin[p.creator]
		m := model.Message{
			Channel:                r.opts.Channel,
			ExternalID:             postID,
			ConversationExternalID: postID,
			Kind:                   model.KindPost,
			Status:                 postStatus(p.status),
			Title:                  p.title,
			AuthorName:             cmp.Or(a.DisplayName, p.creator),
			AuthorHandle:           p.creator,
			AuthorEmail:            a.Email,
			AuthorIsStaff:          true,
			Body:                   plain,
			BodyHTML:               safe,
			URL:                    p.link,
			CreatedAt:              created,
		}
		r.queue = append(r.queue, connector.Record{Message: m, Pos: connector.Position{Offset: p.off}})
	}
	for i := range p.comments {
		if rec, ok := r.commentRecord(postID, p.link, &p.comments[i]); ok {
			r.queue = append(r.queue, rec)
		}
	}
}

// commentRecord turns one wp:comment into a record; pingbacks and
// trackbacks are notifications from other sites, not people talking, and
// yield none.
func (r *Reader) commentRecord(postID, postLink string, c *comment) (connector.Record, bool) {
	switch strings.TrimSpace(c.Type) {
	case "pingback", "trackback":
		return connector.Record{}, false
	}
	rec := connector.Record{Pos: connector.Position{Offset: c.off}}
	fail := func(err error) (connector.Record, bool) {
		rec.Err = err
		return rec, true
	}
	id, ok := parseID(c.ID)
	if !ok || id == 0 {
		if strings.TrimSpace(c.ID) == "" {
			return fail(fmt.Errorf("comment of post %s has no wp:comment_id", postID))
		}
		return fail(fmt.Errorf("comment of post %s: wp:comment_id %q is not a positive number", postID, strings.TrimSpace(c.ID)))
	}
	commentID := postID + "#comment-" + strconv.FormatUint(id, 10)
	parent, kind := postID, model.KindComment
	if strings.TrimSpace(c.Parent) != "" {
		pid, ok := parseID(c.Parent)
		if !ok {
			return fail(fmt.Errorf("comment %s: wp:comment_parent %q is not a number", commentID, strings.TrimSpace(c.Parent)))
		}
		if pid != 0 {
			parent, kind = postID+"#comment-"+strconv.FormatUint(pid, 10), model.KindReply
		}
	}
	var userID uint64
	if strings.TrimSpace(c.UserID) != "" {
		if userID, ok = parseID(c.UserID); !ok {
			return fail(fmt.Errorf("comment %s: wp:comment_user_id %q is not a number", commentID, strings.TrimSpace(c.UserID)))
		}
	}
	created, err := commentDate(c.DateGMT, c.Date)
	if err != nil {
		return fail(fmt.Errorf("comment %s: %w", commentID, err))
	}
	plain, safe := bodies(c.Content)
	m := model.Message{
		Channel:                r.opts.Channel,
		ExternalID:             commentID,
		ParentExternalID:       parent,
		ConversationExternalID: postID,
		Kind:                   kind,
		Status:                 connector.WordPressStatus(c.Approved),
		AuthorName:             strings.TrimSpace(c.Author),
		AuthorEmail:            strings.TrimSpace(c.AuthorEmail),
		AuthorURL:              authorURL(c.AuthorURL),
		AuthorIsStaff:          userID != 0,
		Body:                   plain,
		BodyHTML:               safe,
		CreatedAt:              created,
	}
	// A comment written while logged in names the account: giving it the
	// account's login lets ingest file the blogger's comments and posts
	// under one member whatever name they signed with.
	if a, ok := r.byID[userID]; ok && userID != 0 {
		m.AuthorHandle = a.Login
	}
	if postLink != "" {
		m.URL = postLink + "#comment-" + strconv.FormatUint(id, 10)
	}
	rec.Message = m
	return rec, true
}

// authorURL drops the bare scheme that old comment forms stored when the
// visitor left the field as pre-filled.
func authorURL(s string) string {
	s = strings.TrimSpace(s)
	if s == "http://" || s == "https://" {
		return ""
	}
	return s
}

// skipped explains, in a bad item's error, that its comments were dropped
// with it: without the post's id they cannot be given ids.
func skipped(comments []comment) string {
	switch len(comments) {
	case 0:
		return ""
	case 1:
		return "; its comment is skipped"
	}
	return fmt.Sprintf("; its %d comments are skipped", len(comments))
}
