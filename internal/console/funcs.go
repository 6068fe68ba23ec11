package console

import (
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"palabre/internal/enrich"
	"palabre/internal/htmltext"
	"palabre/internal/metrics"
	"palabre/internal/model"
)

// workspaceColours is how many colours tell workspaces apart in the
// unified inbox (classes ws-c0 … in the stylesheet).
const workspaceColours = 10

// helperFuncs are the template functions that do not depend on the
// interface language.
func helperFuncs(a *assets) template.FuncMap {
	return template.FuncMap{
		"asset": a.URL,
		// By id: workspaces made one after the other (an agency's clients)
		// get different colours, and each keeps its colour for everyone.
		"wsColour":          func(id int64) string { return "ws-c" + strconv.FormatInt(id%workspaceColours, 10) },
		"statuses":          model.ConversationStatuses,
		"sentiments":        func() []string { return enrich.Sentiments[:] },
		"intents":           func() []string { return enrich.Intents[:] },
		"moderationActions": model.ModerationActions,
		"moderatesTo": func(action string) string {
			s, _ := model.ModeratedStatus(action)
			return s
		},
		"priorities": func() []int {
			return []int{model.PriorityNormal, model.PriorityNormal + 1, model.PriorityNormal + 2, model.PriorityCritical}
		},
		"sanitize":        func(s string) template.HTML { return template.HTML(htmltext.Sanitize(s)) }, // #nosec: sanitised
		"paras":           paragraphs,
		"mentions":        highlightMentions,
		"contains":        func(list []string, s string) bool { return slices.Contains(list, s) },
		"score":           func(f *float64) string { return formatScore(f) },
		"yes":             func(b *bool) bool { return b != nil && *b },
		"known":           func(b *bool) bool { return b != nil },
		"isoTime":         func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"add":             func(a, b int) int { return a + b },
		"initials":        initials,
		"indent":          func(depth int) string { return "depth-" + strconv.Itoa(min(depth, 6)) },
		"deref":           func(t *time.Time) time.Time { return *t },
		"hasPrefix":       strings.HasPrefix,
		"dict":            dict,
		"pathEscape":      url.PathEscape,
		"newID":           newID,
		"sourceIntervals": func() []int { return sourceIntervals },
		"seconds":         func(n int) time.Duration { return time.Duration(n) * time.Second },
		"secs":            func(n int64) time.Duration { return time.Duration(n) * time.Second },
		"list":            func(s ...string) []string { return s },
		"delta":           delta,
		"splitMember": func(id string) []string {
			slug, member, _ := strings.Cut(id, "/")
			return []string{slug, member}
		},
		"share": func(r metrics.Rate) float64 {
			if r.Total == 0 {
				return 0
			}
			return float64(r.Of) / float64(r.Total)
		},
	}
}

// dict builds a map from key, value pairs, to hand several values to a
// nested template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// newID is a random identifier for a form that must not act twice (a
// reply's client_id): sending it again is then harmless.
func newID() string {
	return rand.Text()
}

// paragraphs splits plain text into its paragraphs (blank-line separated),
// so that a message without markup keeps its shape without any HTML from
// strangers.
func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// mentionPattern finds @login mentions as notes write them.
var mentionPattern = regexp.MustCompile(`@[a-z0-9][a-z0-9._-]*`)

// highlightMentions escapes a note and marks its @mentions.
func highlightMentions(s string) template.HTML {
	var b strings.Builder
	last := 0
	for _, m := range mentionPattern.FindAllStringIndex(s, -1) {
		b.WriteString(template.HTMLEscapeString(s[last:m[0]]))
		b.WriteString(`<span class="mention">`)
		b.WriteString(template.HTMLEscapeString(s[m[0]:m[1]]))
		b.WriteString(`</span>`)
		last = m[1]
	}
	b.WriteString(template.HTMLEscapeString(s[last:]))
	return template.HTML(b.String()) // #nosec: every piece is escaped
}

func formatScore(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', 2, 64)
}

// initials are up to two letters for an avatar.
func initials(name string) string {
	var out []rune
	for _, w := range strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		out = append(out, []rune(w)[0])
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return strings.ToUpper(string(out))
}

// change is how a figure moved against the period before.
type change struct {
	Ratio    float64 // (now − before) / before
	Up, Down bool
}

// delta compares a figure with the period before's; nil when there was
// nothing before to compare with.
func delta(now, before int) *change {
	if before == 0 {
		return nil
	}
	return &change{Ratio: float64(now-before) / float64(before), Up: now > before, Down: now < before}
}
