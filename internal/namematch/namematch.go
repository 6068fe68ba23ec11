// Package namematch tells when two community members may be one person
// from how they sign: names folded the same way whatever their accents,
// case or script ("Jérôme" is "jerome", "Иван" is "ivan"), an initial for
// a first name ("J. Dupont"), handles made of a name ("jdupont",
// "jean.dupont", "jeand") and a personal web domain. It gives blocking
// keys, so that candidates are found by looking keys up rather than by
// comparing every pair of members, and it weighs what two members share
// into a score. It does no I/O.
package namematch

import (
	"net"
	"net/url"
	"strings"
	"unicode"

	"palabre/internal/textfold"
)

// Fold spells s in plain lower-case letters and digits, words separated
// by one space: Latin accents are dropped (textfold), combining marks too
// (so a decomposed "é" folds as a composed one), Cyrillic and Greek are
// transliterated, other letters are kept lower-cased, and everything else
// separates words.
func Fold(s string) string {
	var b strings.Builder
	space := false
	word := func(w string) {
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteString(w)
	}
	var prev rune
	for _, r := range s {
		lower := unicode.ToLower(r)
		greekOU := (lower == 'υ' || lower == 'ύ') && (prev == 'ο' || prev == 'ό')
		prev = lower
		switch {
		case unicode.Is(unicode.Mn, r):
			continue // a combining mark: its letter is already written
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9'):
			word(string(r))
		case r < 0x80 && r >= 'A' && r <= 'Z':
			word(string(r + 'a' - 'A'))
		default:
			if f := textfold.Rune(r); f != "" {
				word(f)
			} else if greekOU {
				word("u") // ου reads "ou", not "oy"
			} else if t, ok := transliterate(lower); ok {
				word(t)
			} else if unicode.IsLetter(r) || unicode.IsDigit(r) {
				word(string(unicode.ToLower(r)))
			} else {
				space = true
			}
		}
	}
	return b.String()
}

// Tokens returns the words of a name or handle as Fold spells them, with
// the digits that often end a handle ("jdupont75") taken off; words of
// digits only are dropped.
func Tokens(s string) []string {
	var out []string
	for _, w := range strings.Fields(Fold(s)) {
		if w = strings.TrimRight(w, "0123456789"); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// Key families, the first letters of a key.
const (
	keyName    = "n:" // the whole folded name
	keyInitial = "i:" // an initial and a surname
	keyHandle  = "h:" // one word: a handle, or what a name makes of one
	keyDomain  = "d:" // a personal web domain
)

// minHandle is the shortest one-word name that makes a key: shorter ones
// ("jo", "bob") are shared by too many people to say anything.
const minHandle = 4

// NameKeys returns the blocking keys of a name or handle: two members
// who share one may be one person. A name of several words gives its
// whole folded form, its initial-and-surname forms (both orders, as a
// surname may come first) and the handles people make of it (jeandupont,
// jdupont, jeand, dupontjean); a one-word name or handle gives itself.
func NameKeys(s string) []string {
	toks := Tokens(s)
	switch {
	case len(toks) == 0:
		return nil
	case len(toks) == 1:
		if len([]rune(toks[0])) < minHandle {
			return nil
		}
		return []string{keyHandle + toks[0]}
	}
	f, l := toks[0], toks[len(toks)-1]
	keys := []string{keyName + strings.Join(toks, " ")}
	if len([]rune(l)) > 1 {
		keys = append(keys, keyInitial+first(f)+" "+l)
	}
	if len([]rune(f)) > 1 {
		keys = append(keys, keyInitial+first(l)+" "+f)
	}
	if len([]rune(f)) > 1 && len([]rune(l)) > 1 {
		keys = append(keys, keyHandle+f+l, keyHandle+first(f)+l, keyHandle+f+first(l), keyHandle+l+f)
	} else {
		keys = append(keys, keyHandle+f+l)
	}
	return keys
}

// EmailKeys returns the blocking keys of an e-mail address's local part
// ("jean.dupont+news@…" signs as "jean dupont").
func EmailKeys(addr string) []string {
	local, _, ok := strings.Cut(addr, "@")
	if !ok {
		return nil
	}
	local, _, _ = strings.Cut(local, "+")
	return NameKeys(local)
}

func first(s string) string {
	for _, r := range s {
		return string(r)
	}
	return ""
}

// sharedHosts are the domains where many people have an address or a
// page: sharing one says nothing about being one person.
var sharedHosts = []string{
	"gmail.com", "googlemail.com", "google.com", "yahoo.com", "yahoo.fr", "hotmail.com", "hotmail.fr", "outlook.com",
	"live.com", "msn.com", "icloud.com", "me.com", "aol.com", "gmx.com", "gmx.de", "gmx.fr", "proton.me", "protonmail.com",
	"orange.fr", "wanadoo.fr", "free.fr", "sfr.fr", "laposte.net", "yandex.ru", "mail.ru",
	"twitter.com", "x.com", "facebook.com", "fb.com", "instagram.com", "linkedin.com", "github.com", "github.io",
	"gitlab.com", "youtube.com", "youtu.be", "tiktok.com", "reddit.com", "pinterest.com", "tumblr.com", "flickr.com",
	"blogspot.com", "blogger.com", "wordpress.com", "medium.com", "substack.com", "wix.com", "wixsite.com",
	"over-blog.com", "canalblog.com", "hautetfort.com", "skyrock.com", "mastodon.social", "bsky.app", "bsky.social",
	"t.co", "bit.ly", "linktr.ee", "about.me", "discord.com", "discord.gg", "twitch.tv", "vimeo.com", "dailymotion.com",
}

// Domain returns the personal domain of a web address ("https://www.
// jean-dupont.fr/blog" is "jean-dupont.fr"), or "" when it has none: an
// address that does not parse, an IP address, a bare host name, or a page
// on a host shared by many people (sharedHosts, blogspot.com's and
// wordpress.com's sub-domains included).
func Domain(raw string) string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return ""
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" || net.ParseIP(host) != nil || !strings.Contains(host, ".") {
		return ""
	}
	labels := strings.Split(host, ".")
	n := 2
	// example.co.uk, example.com.au: the second label is part of the
	// suffix.
	if len(labels) >= 3 && len(labels[len(labels)-1]) == 2 {
		switch labels[len(labels)-2] {
		case "co", "com", "org", "net", "ac", "gov", "edu", "gouv", "asso":
			n = 3
		}
	}
	if len(labels) < n {
		return ""
	}
	domain := strings.Join(labels[len(labels)-n:], ".")
	for _, h := range sharedHosts {
		if domain == h || strings.HasSuffix(host, "."+h) || host == h {
			return ""
		}
	}
	// Sub-domains of big blog hosts read as blogspot.xx in some countries.
	if strings.HasPrefix(domain, "blogspot.") {
		return ""
	}
	return domain
}

// DomainKey is the blocking key of a web address's personal domain, ""
// when it has none.
func DomainKey(raw string) string {
	if d := Domain(raw); d != "" {
		return keyDomain + d
	}
	return ""
}
