// Package wxr reads WordPress eXtended RSS (WXR) exports, versions 1.0 to
// 1.2: the file a blog owner downloads from Tools → Export. Each published
// post or page becomes the root message of a conversation and each of its
// comments a message under it, with WordPress's canonical ids
// (BASE/?p=POST and BASE/?p=POST#comment-ID) so that the same comment seen
// later in a comment feed or through the REST API is recognised.
//
// The export is read token by token, one <item> at a time, so memory use is
// bounded by the largest post with its comments, not by the file.
package wxr

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"palabre/internal/connector"
	"palabre/internal/connector/xmlinput"
	"palabre/internal/htmltext"
	"palabre/internal/model"
)

// Options tune a Reader.
type Options struct {
	// Channel is copied into every message's Channel field.
	Channel string
}

// Reader streams the messages of one WXR export. It implements
// connector.Source. A Reader is not safe for concurrent use.
type Reader struct {
	opts Options
	in   *xmlinput.Reader
	dec  *xml.Decoder

	state readState
	err   error // sticky: io.EOF or the error that ended reading
	open  []xmlinput.Element

	sawWP   bool // a wp: element was seen in the channel
	siteURL string
	blogURL string
	link    string
	byID    map[uint64]author
	byLogin map[string]author

	queue []connector.Record
}

type readState int

const (
	beforeRoot readState = iota
	inRSS
	inChannel
	afterChannel
)

// author is one wp:author of the export: a user account of the blog.
type author struct {
	ID          string `xml:"author_id"`
	Login       string `xml:"author_login"`
	Email       string `xml:"author_email"`
	DisplayName string `xml:"author_display_name"`
}

// NewReader returns a Reader of the WXR export r.
func NewReader(r io.Reader, opts Options) *Reader {
	in := xmlinput.New(r)
	dec := in.NewDecoder()
	// Post and comment texts are HTML, and some exporters leave HTML
	// entities such as &nbsp; outside CDATA: accept them rather than
	// reject a whole blog for one character.
	dec.Entity = xml.HTMLEntity
	return &Reader{
		opts:    opts,
		in:      in,
		dec:     dec,
		byID:    map[uint64]author{},
		byLogin: map[string]author{},
	}
}

// Next returns the next record: a message, or a bad record (Err set) for an
// item or comment that cannot become one. It returns io.EOF after the last
// record, and any other error when the input is not a readable WXR export;
// that error starts with the byte offset of the problem.
func (r *Reader) Next() (connector.Record, error) {
	for len(r.queue) == 0 {
		if r.err != nil {
			return connector.Record{}, r.err
		}
		if err := r.step(); err != nil {
			r.err = err
		}
	}
	rec := r.queue[0]
	r.queue[0] = connector.Record{}
	r.queue = r.queue[1:]
	return rec, nil
}

// step reads one token of the document's outer structure (or one whole
// item) and returns io.EOF at the end of the export.
func (r *Reader) step() error {
	off := r.dec.InputOffset()
	tok, err := r.dec.Token()
	if err != nil {
		return r.fail(err)
	}
	switch t := tok.(type) {
	case xml.StartElement:
		return r.start(t, off)
	case xml.EndElement:
		return r.end(off)
	}
	return nil
}

func (r *Reader) start(t xml.StartElement, off int64) error {
	switch r.state {
	case beforeRoot:
		if t.Name.Local != "rss" || t.Name.Space != "" {
			return &xmlinput.Error{Offset: off, Reason: fmt.Sprintf("not a WordPress export: root element is <%s>", qname(t.Name))}
		}
		r.push("rss", off)
		r.state = inRSS
		return nil
	case inRSS, afterChannel:
		if t.Name.Local == "channel" && r.state == inRSS {
			r.push("channel", off)
			r.state = inChannel
			return nil
		}
		return r.skip(t, off)
	}
	return r.channelChild(t, off)
}

func (r *Reader) end(off int64) error {
	if len(r.open) > 0 {
		r.open = r.open[:len(r.open)-1]
	}
	switch r.state {
	case inChannel:
		if !r.sawWP {
			return notWXR(off)
		}
		r.state = afterChannel
	case inRSS:
		return &xmlinput.Error{Offset: off, Reason: "not a WordPress export: <rss> has no <channel>"}
	case afterChannel:
		return io.EOF
	}
	return nil
}

// fail turns a decoder error into the error that ends reading.
func (r *Reader) fail(err error) error {
	if errors.Is(err, io.EOF) && len(r.open) == 0 {
		if r.state == beforeRoot {
			if r.dec.InputOffset() == 0 {
				return &xmlinput.Error{Offset: 0, Reason: "empty input: not a WordPress export", Err: io.ErrUnexpectedEOF}
			}
			return &xmlinput.Error{Offset: r.dec.InputOffset(), Reason: "not a WordPress export: no XML element found", Err: io.ErrUnexpectedEOF}
		}
		return io.EOF
	}
	return r.in.Fail(err, r.dec.InputOffset(), r.open)
}

// notWXR is the error for an RSS document that is not an export: the
// offset is that of the element that proved it (the first item or the end
// of the channel).
func notWXR(off int64) error {
	return &xmlinput.Error{Offset: off, Reason: "not a WordPress export: the RSS channel has no wp: elements (wp:wxr_version)"}
}

func (r *Reader) push(name string, off int64) {
	r.open = append(r.open, xmlinput.Element{Name: name, Offset: off})
}

func (r *Reader) pop() {
	r.open = r.open[:len(r.open)-1]
}

// skip reads past an element the reader has no use for.
func (r *Reader) skip(t xml.StartElement, off int64) error {
	r.push(qname(t.Name), off)
	if err := r.dec.Skip(); err != nil {
		return r.fail(err)
	}
	r.pop()
	return nil
}

// decode reads one whole element into v.
func (r *Reader) decode(v any, t xml.StartElement, off int64) error {
	r.push(qname(t.Name), off)
	if err := r.dec.DecodeElement(v, &t); err != nil {
		return r.fail(err)
	}
	r.pop()
	return nil
}

// text reads the character data of one element.
func (r *Reader) text(t xml.StartElement, off int64) (string, error) {
	var s string
	err := r.decode(&s, t, off)
	return strings.TrimSpace(s), err
}

// channelChild handles one child of <channel>: the site's addresses and
// authors, which come before the items, and the items.
func (r *Reader) channelChild(t xml.StartElement, off int64) error {
	wp := isWP(t.Name.Space)
	if wp {
		r.sawWP = true
	}
	switch {
	case t.Name.Local == "item" && t.Name.Space == "":
		if !r.sawWP {
			return notWXR(off)
		}
		return r.item(t, off)
	case wp && t.Name.Local == "author":
		var a author
		if err := r.decode(&a, t, off); err != nil {
			return err
		}
		r.addAuthor(a)
		return nil
	case wp && t.Name.Local == "base_site_url":
		s, err := r.text(t, off)
		r.siteURL = s
		return err
	case wp && t.Name.Local == "base_blog_url":
		s, err := r.text(t, off)
		r.blogURL = s
		return err
	case t.Name.Local == "link" && t.Name.Space == "":
		s, err := r.text(t, off)
		r.link = s
		return err
	}
	return r.skip(t, off)
}

func (r *Reader) addAuthor(a author) {
	a.Login = strings.TrimSpace(a.Login)
	a.Email = strings.TrimSpace(a.Email)
	a.DisplayName = strings.TrimSpace(a.DisplayName)
	if id, ok := parseID(a.ID); ok && id > 0 {
		r.byID[id] = a
	}
	if a.Login != "" {
		r.byLogin[a.Login] = a
	}
}

// base is the site address that prefixes WordPress ids. base_blog_url
// comes first: it is the blog's home URL, from which WordPress builds the
// guids seen in feeds, while on a multisite network base_site_url is the
// network's root.
func (r *Reader) base() string {
	for _, u := range []string{r.blogURL, r.siteURL, r.link} {
		if u = strings.TrimRight(u, "/"); u != "" {
			return u
		}
	}
	return ""
}

// qname renders an element name with the prefix WordPress uses for its
// namespaces, for error messages.
func qname(n xml.Name) string {
	switch {
	case n.Space == "":
		return n.Local
	case isWP(n.Space):
		return "wp:" + n.Local
	case isContent(n.Space):
		return "content:" + n.Local
	case isDC(n.Space):
		return "dc:" + n.Local
	}
	return n.Local
}

// isWP reports whether space is the WXR namespace of any version
// (http://wordpress.org/export/1.2/), but not its excerpt sub-namespace.
// An undeclared "wp" prefix is taken as the WXR namespace too.
func isWP(space string) bool {
	if space == "wp" {
		return true
	}
	rest, ok := strings.CutPrefix(strings.TrimPrefix(strings.TrimPrefix(space, "http://"), "https://"), "wordpress.org/export/")
	if !ok {
		return false
	}
	version, ok := strings.CutSuffix(rest, "/")
	return ok && version != "" && !strings.Contains(version, "/")
}

func isContent(space string) bool {
	return space == "content" || space == "http://purl.org/rss/1.0/modules/content/"
}

func isDC(space string) bool {
	return space == "dc" || space == "http://purl.org/dc/elements/1.1/"
}

// parseID reads a WordPress numeric id: digits only, no sign.
func parseID(s string) (uint64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// WordPress writes dates as MySQL DATETIME text.
const wpDateLayout = "2006-01-02 15:04:05"

// unsetDate reports whether a WordPress date field carries no date: drafts
// have a zero GMT date.
func unsetDate(s string) bool {
	s = strings.TrimSpace(s)
	return s == "" || s == "0000-00-00 00:00:00"
}

func parseWPDate(field, s string) (time.Time, error) {
	t, err := time.ParseInLocation(wpDateLayout, strings.TrimSpace(s), time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not a date (want YYYY-MM-DD hh:mm:ss)", field, strings.TrimSpace(s))
	}
	return t, nil
}

// postDate picks the post's time: the GMT date when set, else the RSS
// pubDate (always GMT), else the local date taken as UTC, which is the best
// guess without the blog's time zone.
func postDate(gmt, pubDate, local string) (time.Time, error) {
	if !unsetDate(gmt) {
		return parseWPDate("wp:post_date_gmt", gmt)
	}
	pubDate = strings.TrimSpace(pubDate)
	for _, layout := range []string{time.RFC1123Z, time.RFC1123} {
		if t, err := time.Parse(layout, pubDate); err == nil && t.Year() > 1 {
			return t.UTC(), nil
		}
	}
	if !unsetDate(local) {
		return parseWPDate("wp:post_date", local)
	}
	return time.Time{}, errors.New("no date: wp:post_date_gmt, pubDate and wp:post_date are all empty")
}

// commentDate picks the comment's time: GMT when set, else local as UTC.
func commentDate(gmt, local string) (time.Time, error) {
	if !unsetDate(gmt) {
		return parseWPDate("wp:comment_date_gmt", gmt)
	}
	if !unsetDate(local) {
		return parseWPDate("wp:comment_date", local)
	}
	return time.Time{}, errors.New("no date: wp:comment_date_gmt and wp:comment_date are empty")
}

func postStatus(s string) string {
	switch strings.TrimSpace(s) {
	case "publish":
		return model.StatusApproved
	case "trash":
		return model.StatusTrash
	}
	return model.StatusPending
}

// bodies returns the plain text and the sanitised HTML of a WordPress text.
func bodies(raw string) (plain, safeHTML string) {
	h := autop(raw)
	return htmltext.PlainText(h), htmltext.Sanitize(h)
}
