package wordpress

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"palabre/internal/connector"
	"palabre/internal/htmltext"
	"palabre/internal/model"
)

// commentFields are the fields the connector reads, asked for with
// _fields so that WordPress leaves out avatars, meta and links.
const commentFields = "id,post,parent,author,author_name,author_email,author_url,date,date_gmt,content,link,status,type"

// comment is a comment as the REST API gives it; author_email and
// content.raw come only with context=edit.
type comment struct {
	ID          int64  `json:"id"`
	Post        int64  `json:"post"`
	Parent      int64  `json:"parent"`
	Author      int64  `json:"author"` // the user's id, 0 for a visitor
	AuthorName  string `json:"author_name"`
	AuthorEmail string `json:"author_email"`
	AuthorURL   string `json:"author_url"`
	Date        string `json:"date"`     // site time, no zone
	DateGMT     string `json:"date_gmt"` // UTC, no zone
	Content     struct {
		Rendered string `json:"rendered"`
		Raw      string `json:"raw"`
	} `json:"content"`
	Link   string `json:"link"`
	Status string `json:"status"`
	Type   string `json:"type"`
}

// postID and commentID are the canonical ids of WordPress content, as the
// WXR and feed connectors write them.
func postID(home string, post int64) string {
	return home + "/?p=" + strconv.FormatInt(post, 10)
}

func commentID(home string, post, id int64) string {
	return postID(home, post) + "#comment-" + strconv.FormatInt(id, 10)
}

// pingback reports whether c is a notification from another site rather
// than somebody talking; like the WXR reader, the connector skips them.
func (c *comment) pingback() bool {
	switch c.Type {
	case "pingback", "trackback":
		return true
	}
	return false
}

// message maps a comment of site s to a message.
func (c *comment) message(s siteInfo) (model.Message, error) {
	if c.ID <= 0 {
		return model.Message{}, fmt.Errorf("comment has no valid id (%d)", c.ID)
	}
	if c.Post <= 0 {
		return model.Message{}, fmt.Errorf("comment %d belongs to no post", c.ID)
	}
	id := commentID(s.home, c.Post, c.ID)
	created, err := commentDate(c.DateGMT, c.Date)
	if err != nil {
		return model.Message{}, fmt.Errorf("comment %s: %w", id, err)
	}
	conv := postID(s.home, c.Post)
	parent, kind := conv, model.KindComment
	switch {
	case c.Parent > 0:
		parent, kind = commentID(s.home, c.Post, c.Parent), model.KindReply
	case c.Parent < 0:
		return model.Message{}, fmt.Errorf("comment %s: parent %d is not a comment id", id, c.Parent)
	}
	// The rendered text is what the site shows and what its comment feed
	// carries; the raw text is the fallback of a filter that emptied it.
	body := c.Content.Rendered
	if strings.TrimSpace(body) == "" {
		body = c.Content.Raw
	}
	m := model.Message{
		ExternalID:             id,
		ParentExternalID:       parent,
		ConversationExternalID: conv,
		Kind:                   kind,
		Status:                 connector.WordPressStatus(c.Status),
		AuthorName:             strings.TrimSpace(c.AuthorName),
		AuthorEmail:            strings.TrimSpace(c.AuthorEmail),
		AuthorURL:              authorURL(c.AuthorURL),
		AuthorIsStaff:          staff(c.Author, s.userID),
		Body:                   htmltext.PlainText(body),
		BodyHTML:               htmltext.Sanitize(body),
		URL:                    strings.TrimSpace(c.Link),
		CreatedAt:              created,
	}
	if c.Author > 0 && c.Author == s.userID {
		m.AuthorHandle = s.login
	}
	return m, nil
}

// staff reports whether a comment by the user author is the site's own:
// signed in, the connector knows which user palabre writes as, and that
// user's comments are staff; without credentials it cannot tell, and
// takes every registered user's comments as staff, as the WXR reader
// does.
func staff(author, me int64) bool {
	if me > 0 {
		return author == me
	}
	return author > 0
}

// WordPress writes REST dates as ISO 8601 without a zone.
const restDateLayout = "2006-01-02T15:04:05"

// commentDate reads date_gmt, or else the site-time date as if it were
// UTC, as the WXR reader does.
func commentDate(gmt, local string) (time.Time, error) {
	for _, f := range []struct{ name, value string }{{"date_gmt", gmt}, {"date", local}} {
		v := strings.TrimSpace(f.value)
		if v == "" || strings.HasPrefix(v, "0000-00-00") {
			continue
		}
		t, err := time.ParseInLocation(restDateLayout, v, time.UTC)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s %q is not a date (want YYYY-MM-DDThh:mm:ss)", f.name, v)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("no date: date_gmt and date are empty")
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

// parseExternalID reads the post and comment numbers out of a canonical
// WordPress id, HOME/?p=POST or HOME/?p=POST#comment-ID; comment is 0 for
// a post.
func parseExternalID(id string) (post, comment int64, err error) {
	u, err := url.Parse(strings.TrimSpace(id))
	if err != nil {
		return 0, 0, fmt.Errorf("%q is not a WordPress id: %w", id, err)
	}
	post, ok := positive(u.Query().Get("p"))
	if !ok {
		return 0, 0, fmt.Errorf("%q is not a WordPress id (HOME/?p=POST#comment-ID)", id)
	}
	if u.Fragment == "" {
		return post, 0, nil
	}
	n, isComment := strings.CutPrefix(u.Fragment, "comment-")
	if comment, ok = positive(n); !isComment || !ok {
		return 0, 0, fmt.Errorf("%q is not a WordPress id: #%s does not name a comment", id, u.Fragment)
	}
	return post, comment, nil
}

// positive reads a WordPress id: digits only, not zero.
func positive(s string) (int64, bool) {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}
