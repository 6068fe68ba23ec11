package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// errForeignOrigin refuses a request a page of another site made the
// browser send.
var errForeignOrigin = errors.New("cross-site request refused")

// CheckOrigin refuses a request that a browser sent on behalf of a page of
// another site, which a session cookie alone would let act as the user.
// Browsers say where a request comes from in its Origin header, and
// failing that in its Referer; when either names a host other than the
// one the request was sent to (its Host, or the X-Forwarded-Host a proxy
// in front set), the request is refused. "Origin: null" (a sandboxed or
// opaque page) is refused too. A request with neither header — not from
// a browser, or from one that keeps both to itself — passes: the CSRF
// token still guards it.
//
// It complements, not replaces, the CSRF token: a token leaked into a page
// of another site is still worthless there.
func CheckOrigin(r *http.Request) error {
	from, header := r.Header.Get("Origin"), "Origin"
	if from == "" {
		from, header = r.Header.Get("Referer"), "Referer"
	}
	if from == "" {
		return nil
	}
	u, err := url.Parse(from)
	if from == "null" || err != nil || u.Host == "" {
		return fmt.Errorf("%w: the %s header %q names no site", errForeignOrigin, header, from)
	}
	got := canonicalHost(u.Host, u.Scheme)
	scheme := "http"
	if SecureRequest(r) {
		scheme = "https"
	}
	if got == canonicalHost(r.Host, scheme) {
		return nil
	}
	for _, fwd := range r.Header.Values("X-Forwarded-Host") {
		for h := range strings.SplitSeq(fwd, ",") {
			if got == canonicalHost(strings.TrimSpace(h), u.Scheme) {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: the %s header names %s, this server is %s", errForeignOrigin, header, u.Host, r.Host)
}

// canonicalHost lower-cases host and drops the port its scheme implies,
// which browsers leave out of Origin but a client may put in Host.
func canonicalHost(host, scheme string) string {
	host = strings.ToLower(host)
	switch {
	case scheme == "http" && strings.HasSuffix(host, ":80"):
		return strings.TrimSuffix(host, ":80")
	case scheme == "https" && strings.HasSuffix(host, ":443"):
		return strings.TrimSuffix(host, ":443")
	}
	return host
}
