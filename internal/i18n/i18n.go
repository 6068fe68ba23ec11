// Package i18n is the French and English interface of the web console:
// choosing a user's language, translating the console's texts, and writing
// numbers, dates and durations the way each language reads them.
//
// English is the source language. The console's templates and handlers
// pass the English text itself as the key, gettext-style
// ({{t "Assign to me"}}), so an English page needs no catalogue and a
// French text missing from the catalogue shows in English rather than as
// an identifier. The French catalogue is fr.go.
package i18n

import (
	"strconv"
	"strings"
)

// Lang is an interface language, as its ISO 639-1 code.
type Lang string

// The supported interface languages.
const (
	English Lang = "en"
	French  Lang = "fr"
)

// Supported returns the interface languages, English (the default) first.
func Supported() []Lang { return []Lang{English, French} }

// Parse reads a language tag ("fr", "FR", "fr-CA", "fr_FR") as one of the
// supported languages, by its primary subtag. It reports false for an
// empty, malformed or unsupported tag.
func Parse(s string) (Lang, bool) {
	s = strings.ReplaceAll(strings.TrimSpace(s), "_", "-")
	if !validRange(s) || s == "*" {
		return "", false
	}
	return supported(primary(s))
}

// supported returns the Lang whose code is the primary subtag p.
func supported(p string) (Lang, bool) {
	for _, l := range Supported() {
		if strings.EqualFold(p, string(l)) {
			return l, true
		}
	}
	return "", false
}

// primary is the primary subtag of a language tag or range.
func primary(tag string) string {
	p, _, _ := strings.Cut(tag, "-")
	return p
}

// Negotiate picks the interface language of a request: the user's own
// setting when it names a supported language, else the best supported
// match of the Accept-Language header, else English.
//
// The header is read as RFC 9110 and RFC 4647 lookup describe: language
// ranges by decreasing q-value, ties in header order; a range with subtags
// ("fr-CA") matches its primary language; "*" stands for any supported
// language the header does not mention. A q-value of 0 excludes a
// language: "fr;q=0" rules out French even when "fr-FR" is asked too.
// Malformed elements are skipped, and a malformed header is no header.
func Negotiate(userSetting, acceptLanguage string) Lang {
	if l, ok := Parse(userSetting); ok {
		return l
	}
	if l, ok := bestAccepted(acceptLanguage); ok {
		return l
	}
	return English
}

// acceptedRange is one well-formed element of an Accept-Language header.
type acceptedRange struct {
	tag string // the language range, "*" or a tag
	q   int    // the weight in thousandths, 0 to 1000
}

// bestAccepted returns the supported language the header prefers, if any.
func bestAccepted(header string) (Lang, bool) {
	var ranges []acceptedRange
	for elem := range strings.SplitSeq(header, ",") {
		if r, ok := parseAcceptedRange(elem); ok {
			ranges = append(ranges, r)
		}
	}
	// A language is excluded by "lang;q=0", and mentioned (so not one that
	// "*" stands for) by any range of its primary language.
	excluded := map[Lang]bool{}
	mentioned := map[Lang]bool{}
	for _, r := range ranges {
		l, ok := supported(primary(r.tag))
		if !ok {
			continue
		}
		mentioned[l] = true
		if r.q == 0 && !strings.Contains(r.tag, "-") {
			excluded[l] = true
		}
	}
	var (
		best  Lang
		bestQ = 0
	)
	for _, r := range ranges {
		if r.q <= bestQ { // ties keep the earlier range
			continue
		}
		if l, ok := candidate(r.tag, excluded, mentioned); ok {
			best, bestQ = l, r.q
		}
	}
	return best, best != ""
}

// candidate is the supported language a range stands for: its primary
// language, or for "*" the first supported one the header does not
// mention.
func candidate(tag string, excluded, mentioned map[Lang]bool) (Lang, bool) {
	if tag == "*" {
		for _, l := range Supported() {
			if !mentioned[l] {
				return l, true
			}
		}
		return "", false
	}
	l, ok := supported(primary(tag))
	return l, ok && !excluded[l]
}

// parseAcceptedRange reads one element of an Accept-Language header,
// `range *( OWS ";" OWS param )`, keeping only the q parameter.
func parseAcceptedRange(elem string) (acceptedRange, bool) {
	tag, params, _ := strings.Cut(elem, ";")
	r := acceptedRange{tag: strings.TrimSpace(tag), q: 1000}
	if !validRange(r.tag) {
		return r, false
	}
	for p := range strings.SplitSeq(params, ";") {
		name, value, _ := strings.Cut(p, "=")
		if !strings.EqualFold(strings.TrimSpace(name), "q") {
			continue // other parameters mean nothing here
		}
		q, ok := parseQValue(strings.TrimSpace(value))
		if !ok {
			return r, false
		}
		r.q = q
	}
	return r, true
}

// parseQValue reads an RFC 9110 qvalue, "0" to "1" with up to three
// decimals, in thousandths.
func parseQValue(s string) (int, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	if (whole != "0" && whole != "1") || len(frac) > 3 {
		return 0, false
	}
	for _, c := range frac {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	q, _ := strconv.Atoi(whole)
	q *= 1000
	if frac != "" {
		f, _ := strconv.Atoi((frac + "00")[:3])
		q += f
	}
	if q > 1000 {
		return 0, false
	}
	return q, true
}

// validRange reports whether s is an RFC 4647 basic language range:
// "*", or 1 to 8 letters followed by "-" and 1 to 8 letters or digits,
// repeated.
func validRange(s string) bool {
	if s == "*" {
		return true
	}
	if s == "" {
		return false
	}
	for i, sub := range strings.Split(s, "-") {
		if len(sub) < 1 || len(sub) > 8 {
			return false
		}
		for _, c := range sub {
			letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
			digit := c >= '0' && c <= '9'
			if !letter && (i == 0 || !digit) {
				return false
			}
		}
	}
	return true
}
