// Package feed reads RSS 2.0, RSS 1.0 (RDF) and Atom feeds, such as the
// comment feed WordPress serves for every post, and turns each item into a
// message.
//
// The document is scanned with encoding/xml one token at a time; the raw
// text of each item is kept, wrapped in its feed's root element (whose
// namespace declarations it needs) and handed alone to gofeed, which knows
// the many date formats and extensions found in the wild. Memory therefore
// stays bounded by the largest item, whatever the size of the feed.
package feed

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mmcdole/gofeed"

	"palabre/internal/connector"
	"palabre/internal/connector/xmlinput"
)

// Options tune a Reader.
type Options struct {
	// Channel is copied into every message's Channel field.
	Channel string
}

// Feed formats, as reported in Info.Format.
const (
	FormatRSS  = "rss"  // RSS 0.9x and 2.0: items inside <rss><channel>
	FormatRDF  = "rdf"  // RSS 1.0: items beside the channel in <rdf:RDF>
	FormatAtom = "atom" // Atom 1.0 (and 0.3): entries in <feed>
)

// Info describes the feed as a whole, from the elements before its first
// item.
type Info struct {
	Format string // FormatRSS, FormatRDF or FormatAtom
	Title  string
	Link   string // the site the feed belongs to
}

// Namespaces that identify the root element.
const (
	nsRDF    = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
	nsAtom   = "http://www.w3.org/2005/Atom"
	nsAtom03 = "http://purl.org/atom/ns#"
)

// Reader streams the items of one feed. It implements connector.Source.
// A Reader is not safe for concurrent use.
type Reader struct {
	opts   Options
	in     *xmlinput.Reader
	dec    *xml.Decoder
	parser *gofeed.Parser

	state state
	err   error // sticky: io.EOF or the error that ended reading
	open  []xmlinput.Element
	info  Info

	rootStart    []byte // the root's start tag as written, namespaces included
	rootName     string // the root's name as written, prefix included
	channelStart []byte // RSS 2.0: the <channel> start tag as written

	next *itemStart // an item found but not yet read
}

type state int

const (
	beforeRoot state = iota
	inRSS            // in <rss>, before <channel>
	inItems          // in the element that holds the items
	afterItems       // RSS: after </channel>, before </rss>
	ended
)

// itemStart is the start tag of an item and its offset.
type itemStart struct {
	tag xml.StartElement
	off int64
}

// NewReader returns a Reader of the feed r.
func NewReader(r io.Reader, opts Options) *Reader {
	// The raw text of each item is handed to gofeed: keep it until the
	// item has been read.
	in := xmlinput.NewKeeping(r)
	dec := in.NewDecoder()
	// Feeds carry HTML, and many leave entities such as &nbsp; outside
	// CDATA; gofeed accepts them, so the scan must too.
	dec.Entity = xml.HTMLEntity
	return &Reader{opts: opts, in: in, dec: dec, parser: gofeed.NewParser()}
}

// Info returns the feed's format, title and link, reading the beginning of
// the feed if no record has been read yet. Channel elements written after
// the first item are not seen.
func (r *Reader) Info() (Info, error) {
	if r.state == beforeRoot && r.err == nil {
		r.next, r.err = r.findItem()
	}
	if r.err != nil && !errors.Is(r.err, io.EOF) {
		return r.info, r.err
	}
	return r.info, nil
}

// Next returns the next record: a message, or a bad record (Err set) for an
// item that cannot become one. It returns io.EOF after the last item, and
// any other error when the input is not a readable feed; that error starts
// with the byte offset of the problem.
func (r *Reader) Next() (connector.Record, error) {
	if r.next == nil && r.err == nil {
		r.next, r.err = r.findItem()
	}
	if r.next == nil {
		return connector.Record{}, r.err
	}
	it := r.next
	r.next = nil
	raw, err := r.readItem(it)
	if err != nil {
		r.err = err
		return connector.Record{}, err
	}
	r.in.Release(r.dec.InputOffset())
	return r.record(it, raw), nil
}

// findItem reads the feed's structure up to the start tag of the next item.
func (r *Reader) findItem() (*itemStart, error) {
	for {
		// Between items nothing read so far is needed again.
		r.in.Release(r.dec.InputOffset())
		off := r.dec.InputOffset()
		tok, err := r.dec.Token()
		if err != nil {
			return nil, r.fail(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			it, err := r.start(t, off)
			if it != nil || err != nil {
				return it, err
			}
		case xml.EndElement:
			if err := r.end(off); err != nil {
				return nil, err
			}
		}
	}
}

func (r *Reader) start(t xml.StartElement, off int64) (*itemStart, error) {
	switch r.state {
	case beforeRoot:
		return nil, r.root(t, off)
	case inRSS:
		if t.Name.Local == "channel" && t.Name.Space == "" {
			r.channelStart = r.in.Bytes(off, r.dec.InputOffset())
			r.push("channel", off)
			r.state = inItems
			return nil, nil
		}
	case inItems:
		if r.isItem(t.Name) {
			return &itemStart{tag: t, off: off}, nil
		}
		return nil, r.header(t, off)
	}
	return nil, r.skip(t, off)
}

// root checks the root element and keeps its start tag for wrapping items.
func (r *Reader) root(t xml.StartElement, off int64) error {
	n := t.Name
	switch {
	case n.Local == "rss" && n.Space == "":
		r.info.Format, r.state = FormatRSS, inRSS
	case n.Local == "RDF" && n.Space == nsRDF:
		r.info.Format, r.state = FormatRDF, inItems
	case n.Local == "feed" && isAtom(n.Space):
		r.info.Format, r.state = FormatAtom, inItems
	default:
		return &xmlinput.Error{Offset: off, Reason: fmt.Sprintf("not an RSS or Atom feed: root element is <%s>", rawName(r.in.Bytes(off, r.dec.InputOffset())))}
	}
	r.rootStart = r.in.Bytes(off, r.dec.InputOffset())
	r.rootName = rawName(r.rootStart)
	r.push(r.rootName, off)
	return nil
}

func (r *Reader) end(off int64) error {
	if len(r.open) > 0 {
		r.open = r.open[:len(r.open)-1]
	}
	switch {
	case r.state == inRSS:
		return &xmlinput.Error{Offset: off, Reason: "not an RSS feed: <rss> has no <channel>"}
	case r.state == inItems && r.info.Format == FormatRSS:
		r.state = afterItems
		return nil
	}
	r.state = ended
	return io.EOF
}

// isItem reports whether n names an item of the feed's format.
func (r *Reader) isItem(n xml.Name) bool {
	if r.info.Format == FormatAtom {
		return n.Local == "entry" && isAtom(n.Space)
	}
	// RSS 2.0 items have no namespace; RSS 1.0 and 0.90 items are in the
	// RDF document's default namespace, which differs between versions.
	return n.Local == "item" && (r.info.Format == FormatRDF || n.Space == "")
}

// header reads the feed-level elements that Info reports.
func (r *Reader) header(t xml.StartElement, off int64) error {
	n := t.Name
	switch {
	case r.info.Format == FormatRDF && n.Local == "channel":
		var ch struct {
			Title string `xml:"title"`
			Link  string `xml:"link"`
		}
		if err := r.decode(&ch, t, off); err != nil {
			return err
		}
		r.info.Title, r.info.Link = strings.TrimSpace(ch.Title), strings.TrimSpace(ch.Link)
		return nil
	case n.Local == "title" && (r.info.Format == FormatRSS && n.Space == "" || r.info.Format == FormatAtom && isAtom(n.Space)):
		var s string
		err := r.decode(&s, t, off)
		r.info.Title = strings.TrimSpace(s)
		return err
	case n.Local == "link" && r.info.Format == FormatRSS && n.Space == "":
		var s string
		err := r.decode(&s, t, off)
		r.info.Link = strings.TrimSpace(s)
		return err
	case n.Local == "link" && r.info.Format == FormatAtom && isAtom(n.Space):
		var l struct {
			Href string `xml:"href,attr"`
			Rel  string `xml:"rel,attr"`
		}
		if err := r.decode(&l, t, off); err != nil {
			return err
		}
		if (l.Rel == "" || l.Rel == "alternate") && r.info.Link == "" {
			r.info.Link = strings.TrimSpace(l.Href)
		}
		return nil
	}
	return r.skip(t, off)
}

// readItem reads the rest of an item and returns it wrapped as a feed of
// its own, ready for gofeed.
func (r *Reader) readItem(it *itemStart) ([]byte, error) {
	r.push(it.tag.Name.Local, it.off)
	if err := r.dec.Skip(); err != nil {
		return nil, r.fail(err)
	}
	r.pop()
	item := r.in.Bytes(it.off, r.dec.InputOffset())
	var doc bytes.Buffer
	doc.Grow(len(r.rootStart) + len(r.channelStart) + len(item) + 32)
	doc.Write(r.rootStart)
	if r.info.Format == FormatRSS {
		doc.Write(r.channelStart)
	}
	doc.Write(item)
	if r.info.Format == FormatRSS {
		doc.WriteString("</channel>")
	}
	doc.WriteString("</" + r.rootName + ">")
	return doc.Bytes(), nil
}

// fail turns a decoder error into the error that ends reading.
func (r *Reader) fail(err error) error {
	if errors.Is(err, io.EOF) && len(r.open) == 0 {
		switch {
		case r.state != beforeRoot:
			return io.EOF
		case r.dec.InputOffset() == 0:
			return &xmlinput.Error{Offset: 0, Reason: "empty input: not a feed", Err: io.ErrUnexpectedEOF}
		}
		return &xmlinput.Error{Offset: r.dec.InputOffset(), Reason: "not a feed: no XML element found", Err: io.ErrUnexpectedEOF}
	}
	return r.in.Fail(err, r.dec.InputOffset(), r.open)
}

func (r *Reader) push(name string, off int64) {
	r.open = append(r.open, xmlinput.Element{Name: name, Offset: off})
}

func (r *Reader) pop() {
	r.open = r.open[:len(r.open)-1]
}

// skip reads past an element the reader has no use for.
func (r *Reader) skip(t xml.StartElement, off int64) error {
	r.push(t.Name.Local, off)
	if err := r.dec.Skip(); err != nil {
		return r.fail(err)
	}
	r.pop()
	return nil
}

// decode reads one whole element into v.
func (r *Reader) decode(v any, t xml.StartElement, off int64) error {
	r.push(t.Name.Local, off)
	if err := r.dec.DecodeElement(v, &t); err != nil {
		return r.fail(err)
	}
	r.pop()
	return nil
}

// isAtom reports whether space is an Atom namespace; a feed that forgot to
// declare it is read as Atom too, as gofeed does.
func isAtom(space string) bool {
	return space == nsAtom || space == nsAtom03 || space == ""
}

// rawName returns the element name at the start of a raw start tag, with
// its prefix as written ("rdf:RDF").
func rawName(tag []byte) string {
	s := strings.TrimPrefix(string(tag), "<")
	if i := strings.IndexAny(s, " \t\r\n/>"); i >= 0 {
		s = s[:i]
	}
	return s
}
