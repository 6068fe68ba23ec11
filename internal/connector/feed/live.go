package feed

// A comment feed as a live source: polled with conditional requests, each
// poll reading the whole feed (messages are stored once by their external
// id, so the items seen before are counted as duplicates and change
// nothing). Feeds cannot be answered: replies go through the site's own
// connector (WordPress REST).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"palabre/internal/connector"
	"palabre/internal/fetch"
)

// Config is a feed source's settings.
type Config struct {
	URL string `json:"url"` // the feed's address (http or https)
}

// ParseConfig reads and checks a feed source's settings.
func ParseConfig(b []byte) (Config, error) {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("feed settings: %w", err)
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Config{}, fmt.Errorf("feed settings: url %q: must be an http or https address", c.URL)
	}
	return c, nil
}

// Poller polls one feed. It implements connector.Poller.
type Poller struct {
	cfg    Config
	client *fetch.Client
}

// NewPoller returns a Poller of the feed cfg names, fetched by client.
func NewPoller(cfg Config, client *fetch.Client) *Poller {
	return &Poller{cfg: cfg, client: client}
}

// Host is the feed's host, for per-host limits.
func (p *Poller) Host() string {
	u, err := url.Parse(p.cfg.URL)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// Poll fetches the feed unless it has not changed since cur, and reads all
// its items. An unreadable feed (cut short, not a feed) is an error; a
// bad item is a bad record and the others are kept.
func (p *Poller) Poll(ctx context.Context, cur connector.Cursor) (connector.Batch, error) {
	resp, err := p.client.Fetch(ctx, fetch.Request{URL: p.cfg.URL, ETag: cur.ETag, LastModified: cur.LastModified})
	if err != nil {
		return connector.Batch{}, err
	}
	if resp.NotModified {
		return connector.Batch{Cursor: cur, NotModified: true}, nil
	}
	defer resp.Body.Close()
	r := NewReader(resp.Body, Options{})
	var records []connector.Record
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return connector.Batch{}, fmt.Errorf("feed %s: %w", p.cfg.URL, err)
		}
		records = append(records, rec)
	}
	next := connector.Cursor{ETag: resp.ETag, LastModified: resp.LastModified, Position: cur.Position}
	return connector.Batch{Records: records, Cursor: next}, nil
}

// maxPageBytes bounds the page Discover reads.
const maxPageBytes = 4 << 20

// Discover finds the comment feed of a page: the page itself when it is a
// feed, else the feed its <link rel="alternate"> elements announce,
// preferring a comment feed: WordPress announces the blog's, then on an
// article the article's own, titled "… Comments Feed" or "… Flux des
// commentaires"; the last one is taken. It returns the feed's absolute
// URL.
func Discover(ctx context.Context, client *fetch.Client, pageURL string) (string, error) {
	resp, err := client.Fetch(ctx, fetch.Request{URL: pageURL, Accept: "text/html, application/rss+xml;q=0.9, application/atom+xml;q=0.9, */*;q=0.5"})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	page, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes))
	if err != nil {
		return "", fmt.Errorf("discover the feed of %s: %w", pageURL, err)
	}
	if f, err := connector.Sniff(page); err == nil && (f == connector.FormatRSS || f == connector.FormatAtom) {
		return resp.URL, nil
	}
	base, err := url.Parse(resp.URL)
	if err != nil {
		return "", fmt.Errorf("discover the feed of %s: %w", pageURL, err)
	}
	href := pickFeedLink(page)
	if href == "" {
		return "", fmt.Errorf("discover the feed of %s: the page announces no RSS or Atom feed (no <link rel=\"alternate\">)", pageURL)
	}
	u, err := base.Parse(href)
	if err != nil {
		return "", fmt.Errorf("discover the feed of %s: link %q: %w", pageURL, href, err)
	}
	return u.String(), nil
}

// pickFeedLink returns the href of the feed a page announces in its head,
// a comment feed first.
func pickFeedLink(page []byte) string {
	z := html.NewTokenizer(bytes.NewReader(page))
	first, comments := "", ""
	for {
		switch z.Next() {
		case html.ErrorToken:
			if comments != "" {
				return comments
			}
			return first
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if atom.Lookup(name) == atom.Body {
				if comments != "" {
					return comments
				}
				return first
			}
			if atom.Lookup(name) != atom.Link || !hasAttr {
				continue
			}
			var rel, typ, href, title string
			for {
				k, v, more := z.TagAttr()
				switch string(k) {
				case "rel":
					rel = strings.ToLower(string(v))
				case "type":
					typ = strings.ToLower(string(v))
				case "href":
					href = string(v)
				case "title":
					title = strings.ToLower(string(v))
				}
				if !more {
					break
				}
			}
			if !strings.Contains(" "+rel+" ", " alternate ") || href == "" ||
				(typ != "application/rss+xml" && typ != "application/atom+xml") {
				continue
			}
			if first == "" {
				first = href
			}
			// The last comment feed wins: an article's own comes after
			// the blog's.
			if strings.Contains(title, "comment") {
				comments = href
			}
		}
	}
}
