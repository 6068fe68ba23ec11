package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"palabre/internal/api"
)

// FuzzCheckOrigin feeds CheckOrigin the headers a browser (or anyone)
// sends: it never panics; it accepts a request naming its own host in
// Origin; it refuses "Origin: null"; and whatever it accepts names, in
// Origin (or Referer when Origin is absent), the request's host or a
// forwarded one, but for a default port.
func FuzzCheckOrigin(f *testing.F) {
	f.Add("http://127.0.0.1:8080", "", "127.0.0.1:8080", "")
	f.Add("", "http://127.0.0.1:8080/inbox", "127.0.0.1:8080", "")
	f.Add("https://palabre.example", "", "10.0.0.2:8080", "palabre.example:443, other")
	f.Add("null", "http://127.0.0.1/", "127.0.0.1", "")
	f.Add("HTTP://Palabre.Example:80", "", "palabre.example", "")
	f.Add("http://[::1]:80", "", "[::1]", "")
	f.Add("//evil.example", "", "evil.example", "")
	f.Add("", "/relative", "x", "")
	f.Add("", "https://evil.example/page", "127.0.0.1:8080", "")
	f.Fuzz(func(t *testing.T, origin, referer, host, forwarded string) {
		r := &http.Request{Method: http.MethodPost, Host: host, Header: http.Header{}}
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if referer != "" {
			r.Header.Set("Referer", referer)
		}
		if forwarded != "" {
			r.Header.Set("X-Forwarded-Host", forwarded)
		}
		err := api.CheckOrigin(r)
		named := origin
		if named == "" {
			named = referer
		}
		if err != nil {
			if named == "" {
				t.Fatalf("no Origin nor Referer, refused: %v", err)
			}
			if !strings.Contains(err.Error(), "cross-site") {
				t.Fatalf("refusal %q does not say why", err)
			}
			if origin == "http://"+host && host != "" && !strings.ContainsAny(host, "/?#@\\ %") && strings.Count(host, ":") <= 1 {
				if u, perr := url.Parse(origin); perr == nil && u.Host == host {
					t.Fatalf("Origin %q refused for Host %q: %v", origin, host, err)
				}
			}
			return
		}
		if origin == "null" {
			t.Fatal(`"Origin: null" accepted`)
		}
		if named == "" {
			return
		}
		u, perr := url.Parse(named)
		if perr != nil || u.Host == "" {
			t.Fatalf("accepted %q, which names no host", named)
		}
		strip := func(h string) string {
			h = strings.ToLower(h)
			return strings.TrimSuffix(strings.TrimSuffix(h, ":80"), ":443")
		}
		ok := strip(u.Host) == strip(host)
		for h := range strings.SplitSeq(forwarded, ",") {
			ok = ok || strip(u.Host) == strip(strings.TrimSpace(h))
		}
		if !ok {
			t.Fatalf("accepted %q (host %q) for Host %q, X-Forwarded-Host %q", named, u.Host, host, forwarded)
		}
	})
}
