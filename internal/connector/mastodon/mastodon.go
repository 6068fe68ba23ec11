// Package mastodon is the live channel of a Mastodon account: it reads the
// statuses that mention the account and the replies to its recent posts,
// and posts the staff's replies as the account.
//
// Messages are identified by their status URI, the ActivityPub id every
// instance knows the status by, so that a status read through the
// notifications, through a thread or read back after palabre posted it is
// one message. The API's own status ids are local to the instance: they
// are used to talk to the API, never stored.
package mastodon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"palabre/internal/fetch"
)

// Config is a Mastodon channel's settings.
type Config struct {
	// InstanceURL is the address of the account's instance,
	// "https://mastodon.example".
	InstanceURL string `json:"instance_url"`
	// AccessToken is an OAuth token of the account with the scopes
	// read:accounts, read:notifications, read:statuses, read:search and
	// write:statuses.
	AccessToken string `json:"access_token"`
	// Account, when set, is the account the token must belong to
	// ("brand", "@brand" or "@brand@mastodon.example"): a token of
	// another account is refused rather than read from.
	Account string `json:"account,omitempty"`
}

// Client is one Mastodon account, as a connector.Poller and a
// connector.Sender. It is safe for concurrent use.
type Client struct {
	base    *url.URL // the instance, without a trailing slash
	token   string
	account string // Config.Account, without its leading @
	http    *http.Client
	now     func() time.Time

	mu sync.Mutex
	me *account // the connected account, once asked
}

// New returns the Client of cfg. hc makes the requests: give it the
// shared client of fetch.NewHTTPClient; nil builds one that refuses
// private addresses. now is the clock (nil: time.Now), which rate-limit
// waits are measured against.
func New(cfg Config, hc *http.Client, now func() time.Time) (*Client, error) {
	base, err := instanceURL(cfg.InstanceURL)
	if err != nil {
		return nil, err
	}
	token := strings.TrimSpace(cfg.AccessToken)
	if token == "" {
		return nil, errors.New("mastodon: access_token is missing")
	}
	if hc == nil {
		hc = fetch.NewHTTPClient(false, 0)
	}
	if now == nil {
		now = time.Now
	}
	return &Client{
		base:    base,
		token:   token,
		account: strings.TrimPrefix(strings.TrimSpace(cfg.Account), "@"),
		http:    hc,
		now:     now,
	}, nil
}

// instanceURL checks an instance address: http or https, a host, nothing
// after the path.
func instanceURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, errors.New("mastodon: instance_url is missing")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("mastodon: instance_url: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("mastodon: instance_url %q is not an http or https address", raw)
	case u.Host == "":
		return nil, fmt.Errorf("mastodon: instance_url %q has no host", raw)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("mastodon: instance_url %q must be the instance's address alone", raw)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// Host is the instance's host, for the scheduler's per-host limit.
func (c *Client) Host() string { return c.base.Host }

// self returns the connected account, asking the instance once.
func (c *Client) self(ctx context.Context) (account, error) {
	c.mu.Lock()
	me := c.me
	c.mu.Unlock()
	if me != nil {
		return *me, nil
	}
	var a account
	if err := c.get(ctx, "/api/v1/accounts/verify_credentials", nil, &a); err != nil {
		return account{}, err
	}
	if a.ID == "" {
		return account{}, errors.New("mastodon: verify_credentials: the account has no id")
	}
	if c.account != "" && !c.sameAccount(c.account, a.Acct) {
		return account{}, fmtPermanent("mastodon: the access token is @%s's, not @%s's", a.Acct, c.account)
	}
	c.mu.Lock()
	c.me = &a
	c.mu.Unlock()
	return a, nil
}

// sameAccount compares two accts of the instance's accounts, either of
// which may carry the instance's host.
func (c *Client) sameAccount(x, y string) bool {
	local := func(acct string) string {
		user, host, ok := strings.Cut(acct, "@")
		if ok && strings.EqualFold(host, c.base.Hostname()) {
			return user
		}
		return acct
	}
	return strings.EqualFold(local(x), local(y))
}
