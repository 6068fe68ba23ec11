package i18n

import (
	"regexp"
	"slices"
	"strconv"
	"sync"
)

// Patterns of the translated texts in template sources: the quoted
// arguments of t and n called at the start of an action ({{t "…"}},
// {{- n .Count "…" "…"}}) or of a parenthesised pipeline ((t "…")). The
// count of n is one word or one parenthesised call without quotes.
var templateCalls = sync.OnceValues(func() (tCall, nCall *regexp.Regexp) {
	tCall = regexp.MustCompile(`(?:\{\{-?|\()\s*t\s+(` + quoted + `)`)
	nCall = regexp.MustCompile(`(?:\{\{-?|\()\s*n\s+(?:\([^()"]*\)|[^\s"()]+)\s+(` + quoted + `)\s+(` + quoted + `)`)
	return tCall, nCall
})

// quoted is a Go string literal as templates write it, interpreted or raw.
const quoted = `"(?:[^"\\\n]|\\.)*"|` + "`[^`]*`"

// Missing returns, sorted and once each, the texts the template sources
// translate with constant keys that the French catalogue lacks. Keys
// computed at run time ({{t .Status}}) are not seen. The console's tests
// call it on the embedded templates, so that a page never ships half in
// English.
func Missing(sources ...string) []string {
	catalog := frenchCatalog()
	tCall, nCall := templateCalls()
	var missing []string
	check := func(lit string) {
		key, err := strconv.Unquote(lit)
		if err != nil || catalog[key] != "" {
			return
		}
		missing = append(missing, key)
	}
	for _, src := range sources {
		for _, m := range tCall.FindAllStringSubmatch(src, -1) {
			check(m[1])
		}
		for _, m := range nCall.FindAllStringSubmatch(src, -1) {
			check(m[1])
			check(m[2])
		}
	}
	slices.Sort(missing)
	return slices.Compact(missing)
}
