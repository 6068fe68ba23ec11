// Package wordpress is the live connector of a WordPress site, through its
// REST API (wp-json/wp/v2): it polls the site's comments and posts the
// staff's replies and moderation back.
//
// # Ids
//
// A comment gets the canonical WordPress id HOME/?p=POST#comment-ID, HOME
// being the site's home address as the REST index reports it: the WXR
// export builds its ids from the same address (wp:base_blog_url), and the
// comment feed from the post's guid, which WordPress writes as HOME/?p=POST
// when the post is created. A comment read here is thus the same message
// as read from an export or a comment feed of the same site. Ids come
// already in ingest's canonical form (https, host in lower case).
//
// # Cursor
//
// WordPress keeps no modification time for comments, and their dates can
// be set by hand or by an import, but their ids only grow, and the REST
// API can list comments in id order from any row (offset). Cursor.Position
// keeps the last id read and how many rows of that list have been gone
// through: "after=ID&offset=N". A poll asks for the page that starts one
// row early and expects to find a comment already read there, proof that
// no unread comment moved before the page; when comments were deleted in
// between (trash and spam are emptied after some days), it reads back
// until it finds one. One request a poll as a rule, comments neither
// skipped nor read twice; only more than ten pages of deletions between
// two polls could hide comments from it.
//
// What the cursor cannot see: a comment edited or moderated on WordPress
// after it was read (ingest keeps the first version of a message anyway),
// and, without credentials, an old comment approved after newer ones were
// read, because visitors see approved comments only.
//
// # Replies
//
// Replies are posted as the application password's user, and end with an
// HTML comment <!-- palabre:KEY --> naming the outbox entry: WordPress
// keeps it in the comment's text (and readers do not see it), so Find
// searches the post's comments by that user for the marker. Custom comment
// meta, the obvious place, is not writable through the REST API unless a
// plugin registers it.
package wordpress

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"palabre/internal/connector"
	"palabre/internal/fetch"
)

// Defaults and bounds of a Config.
const (
	DefaultPerPage = 100      // the most the REST API gives in one page
	DefaultMaxBody = 16 << 20 // 16 MiB
)

// Config says which site to read and how to sign in. Its JSON form is a
// source's settings.
type Config struct {
	// SiteURL is the site's home address, https://blog.example, under
	// which the REST API answers at /wp-json/.
	SiteURL string `json:"site_url"`
	// APIURL, when the API is elsewhere, is its root: sites without
	// pretty permalinks answer only at SiteURL + "/?rest_route=/".
	APIURL string `json:"api_url,omitempty"`
	// User and AppPassword are a WordPress user's login and one of its
	// application passwords (Users → Profile → Application Passwords).
	// The user must be able to moderate comments (an Editor or an
	// Administrator): palabre reads every comment, pending ones too, and
	// replies as that user. Without credentials only approved comments
	// can be read and nothing sent.
	User        string `json:"user,omitempty"`
	AppPassword string `json:"app_password,omitempty"`
	// PerPage is how many comments one poll asks for, 2 to 100;
	// DefaultPerPage when zero.
	PerPage int `json:"per_page,omitempty"`
	// MaxBody caps the size of one answer; DefaultMaxBody when zero.
	MaxBody int64 `json:"-"`
}

// ParseConfig reads a source's settings and checks them.
func ParseConfig(b []byte) (Config, error) {
	var cfg Config
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return Config{}, fmt.Errorf("wordpress settings: %w", err)
	}
	if _, _, err := cfg.check(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// check returns cfg with its defaults, and the API's root.
func (cfg Config) check() (Config, *url.URL, error) {
	site, err := url.Parse(strings.TrimSpace(cfg.SiteURL))
	if err != nil || (site.Scheme != "http" && site.Scheme != "https") || site.Host == "" {
		return cfg, nil, fmt.Errorf("wordpress settings: site_url %q is not an http or https address", cfg.SiteURL)
	}
	api := site.JoinPath("wp-json") // JoinPath drops the query
	api.Path += "/"
	if cfg.APIURL != "" {
		if api, err = url.Parse(strings.TrimSpace(cfg.APIURL)); err != nil || (api.Scheme != "http" && api.Scheme != "https") || api.Host == "" {
			return cfg, nil, fmt.Errorf("wordpress settings: api_url %q is not an http or https address", cfg.APIURL)
		}
	}
	api.Fragment = ""
	if (cfg.User == "") != (cfg.AppPassword == "") {
		return cfg, nil, errors.New("wordpress settings: give both a user and an application password, or neither")
	}
	switch {
	case cfg.PerPage == 0:
		cfg.PerPage = DefaultPerPage
	case cfg.PerPage < 2 || cfg.PerPage > 100:
		// A page holds the comment before the first unread one: one
		// comment a page would never move on.
		return cfg, nil, fmt.Errorf("wordpress settings: per_page %d is not between 2 and 100", cfg.PerPage)
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	return cfg, api, nil
}

// Client reads and writes one WordPress site. It implements
// connector.Poller and connector.Sender, and is safe for concurrent use.
type Client struct {
	cfg  Config
	api  *url.URL
	http *http.Client
	now  func() time.Time

	mu   sync.Mutex
	site *siteInfo // learnt on first use
}

// siteInfo is what the connector learns once about the site.
type siteInfo struct {
	home   string // home address, without a trailing slash
	userID int64  // the signed-in user; 0 without credentials
	login  string
}

// New returns a Client of the site cfg names, making its requests with
// hc (fetch.NewHTTPClient(false, 0) when nil) and reading the time from
// now (time.Now when nil).
func New(cfg Config, hc *http.Client, now func() time.Time) (*Client, error) {
	cfg, api, err := cfg.check()
	if err != nil {
		return nil, err
	}
	if hc == nil {
		hc = fetch.NewHTTPClient(false, 0)
	}
	if now == nil {
		now = time.Now
	}
	return &Client{cfg: cfg, api: api, http: hc, now: now}, nil
}

// Host is the host the client talks to, for per-host limits.
func (c *Client) Host() string { return c.api.Host }

// signedIn reports whether the client has credentials.
func (c *Client) signedIn() bool { return c.cfg.User != "" }

// endpoint returns the address of an API route ("/wp/v2/comments") with
// the query q, under either form of API root.
func (c *Client) endpoint(route string, q url.Values) string {
	u := *c.api
	query := u.Query()
	if query.Has("rest_route") {
		query.Set("rest_route", strings.TrimSuffix(query.Get("rest_route"), "/")+route)
	} else {
		u.Path = strings.TrimSuffix(u.Path, "/") + route
	}
	for k, vs := range q {
		query[k] = vs
	}
	u.RawQuery = query.Encode()
	return u.String()
}

// request is one call of the API.
type request struct {
	method string
	route  string
	query  url.Values
	body   any    // sent as JSON when not nil
	etag   string // sent as If-None-Match
}

// answer is a successful (or 304) answer, its body read.
type answer struct {
	status int
	header http.Header
	body   []byte
	what   string // method and address, for errors
}

// call makes one request and reads the answer. Statuses other than 2xx
// and 304 become connector.StatusError's errors; a body that cannot be
// read whole is a temporary error, one larger than MaxBody a permanent
// one.
func (c *Client) call(ctx context.Context, r request) (answer, error) {
	target := c.endpoint(r.route, r.query)
	what := r.method + " " + redact(target)
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return answer{}, fmt.Errorf("%s: %w", what, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return answer{}, &connector.PermanentError{Err: fmt.Errorf("%s: %w", what, err)}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "palabre")
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.etag != "" {
		req.Header.Set("If-None-Match", r.etag)
	}
	if c.signedIn() {
		req.SetBasicAuth(c.cfg.User, c.cfg.AppPassword)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return answer{}, fmt.Errorf("%s: %w", what, ctx.Err())
		case errors.Is(err, fetch.ErrForbiddenAddress):
			return answer{}, &connector.PermanentError{Err: fmt.Errorf("%s: %w", what, err)}
		}
		return answer{}, &connector.TemporaryError{Err: fmt.Errorf("%s: %w", what, err)}
	}
	defer resp.Body.Close()
	if err := connector.StatusError(what, resp, c.now()); err != nil {
		return answer{}, err
	}
	a := answer{status: resp.StatusCode, header: resp.Header, what: what}
	if resp.StatusCode == http.StatusNotModified {
		return a, nil
	}
	a.body, err = io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBody+1))
	switch {
	case err != nil:
		return answer{}, &connector.TemporaryError{Err: fmt.Errorf("%s: answer cut short after %d bytes: %w", what, len(a.body), err)}
	case int64(len(a.body)) > c.cfg.MaxBody:
		return answer{}, &connector.PermanentError{Err: fmt.Errorf("%s: answer larger than %s, the most palabre reads", what, size(c.cfg.MaxBody))}
	}
	return a, nil
}

// decode reads a's JSON body into v. A body that is not the JSON expected
// is a permanent error naming the address, where the problem is and, for
// an HTML page where JSON was due, what that suggests.
func (a answer) decode(what string, v any) error {
	err := json.Unmarshal(a.body, v)
	if err == nil {
		return nil
	}
	where := ""
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		where = fmt.Sprintf(" at byte %d", syn.Offset)
	case errors.As(err, &typ):
		where = fmt.Sprintf(" at byte %d", typ.Offset)
	}
	hint := ""
	if mt, _, _ := mime.ParseMediaType(a.header.Get("Content-Type")); mt != "" && mt != "application/json" {
		hint = fmt.Sprintf(" (the answer is %s: is this the site's REST API?)", mt)
	}
	return &connector.PermanentError{Err: fmt.Errorf("%s: not the JSON %s expected%s: %v%s", a.what, what, where, err, hint)}
}

// siteInfo returns what the client knows of the site, asking the REST
// index for the home address and, when signed in, users/me for the user,
// the first time. Failures are not remembered.
func (c *Client) siteInfo(ctx context.Context) (siteInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.site != nil {
		return *c.site, nil
	}
	var s siteInfo
	a, err := c.call(ctx, request{method: http.MethodGet, route: "/", query: url.Values{"_fields": {"home,url"}}})
	if err != nil {
		return s, err
	}
	var index struct {
		Home string `json:"home"`
		URL  string `json:"url"`
	}
	if err := a.decode("REST index", &index); err != nil {
		return s, err
	}
	home := strings.TrimSpace(index.Home)
	if home == "" {
		home = strings.TrimSpace(index.URL)
	}
	u, err := url.Parse(home)
	if home == "" || err != nil || u.Host == "" {
		return s, &connector.PermanentError{Err: fmt.Errorf("%s: the REST index gives no home address", a.what)}
	}
	// Ids are written as ingest.CanonicalID writes them (https, host in
	// lower case), so that the id of a reply, which the outbox stores
	// as it is, equals the one its message gets when polled back.
	s.home = "https://" + strings.ToLower(u.Host) + strings.TrimRight(u.Path, "/")
	if c.signedIn() {
		a, err := c.call(ctx, request{method: http.MethodGet, route: "/wp/v2/users/me", query: url.Values{"context": {"edit"}, "_fields": {"id,username"}}})
		if err != nil {
			return s, err
		}
		var me struct {
			ID       int64  `json:"id"`
			Username string `json:"username"`
		}
		if err := a.decode("user", &me); err != nil {
			return s, err
		}
		if me.ID <= 0 {
			return s, &connector.PermanentError{Err: fmt.Errorf("%s: WordPress did not sign %q in", a.what, c.cfg.User)}
		}
		s.userID, s.login = me.ID, me.Username
	}
	c.site = &s
	return s, nil
}

// redact hides a URL's password, if someone put one there.
func redact(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return s
}

// size writes a byte count the way people read it.
func size(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Client is a live channel both ways.
var (
	_ connector.Poller = (*Client)(nil)
	_ connector.Sender = (*Client)(nil)
)
