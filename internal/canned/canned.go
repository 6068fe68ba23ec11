// Package canned fills in the variables of a workspace's canned replies.
//
// Community managers write these templates themselves, so the language is
// deliberately tiny and closed: literal text, plus variables from a fixed
// list. Nothing in a template can call code, loop or reach palabre's data
// beyond the values the caller hands to Render.
//
// A template is literal text with variables in double braces:
//
//	Bonjour {{member.first_name}}, merci pour votre message !
//	Bonjour {{ member.first_name | à vous }} !
//
// The rules:
//
//   - {{ name }} is replaced by the value of a known variable (see Names);
//     spaces around the name are ignored.
//   - {{ name | fallback }} is replaced by the fallback text, trimmed of
//     surrounding spaces, when the value is empty or only spaces. The
//     fallback runs to the closing braces, so it may hold "|" but neither
//     "{{" nor "}}".
//   - {{{{ writes a literal "{{". A lone "}}" outside a variable is plain
//     text and needs no escape.
//
// A template is at most MaxLen bytes of valid UTF-8.
package canned

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLen is the longest template source Parse accepts, in bytes.
const MaxLen = 10000

// The variables a template may use. Their values are given to Render.
const (
	MemberName          = "member.name"          // the member's display name
	MemberFirstName     = "member.first_name"    // its first word, see FirstName
	MemberHandle        = "member.handle"        // the member's handle on the channel, e.g. @lea
	CMName              = "cm.name"              // the answering community manager's name
	CMFirstName         = "cm.first_name"        // its first word, see FirstName
	WorkspaceName       = "workspace.name"       // the workspace (brand) name
	ConversationSubject = "conversation.subject" // the conversation's subject or post title
	ChannelName         = "channel.name"         // the channel the conversation came from
)

// Escape is what a template writes to get a literal "{{".
const Escape = "{{{{"

// ErrTooLong is wrapped by Parse's error for a source over MaxLen bytes.
var ErrTooLong = errors.New("canned reply template is too long")

// Names returns the variables a template may use, in a stable order. The
// slice is new on each call; changing it changes nothing here.
func Names() []string {
	return []string{
		MemberName, MemberFirstName, MemberHandle,
		CMName, CMFirstName,
		WorkspaceName, ConversationSubject, ChannelName,
	}
}

// Values maps variable names (see Names) to the text they stand for.
// Missing names render as empty.
type Values map[string]string

// Error is a mistake in a template's source, at a byte offset, so that an
// editor can point at it.
type Error struct {
	Offset  int    // byte offset in the source
	Message string // what is wrong, without the position
}

// Error returns the message followed by the offset.
func (e *Error) Error() string {
	return fmt.Sprintf("canned reply template: %s at byte %d", e.Message, e.Offset)
}

// Template is a parsed canned reply, ready to render any number of times.
// It is immutable and safe for concurrent use.
type Template struct {
	parts []part
	names []string // variables used, each once, in order of first use
}

// part is a literal text, or a variable when name is set.
type part struct {
	text string // the literal, or the variable's fallback
	name string
}

// Parse checks and compiles a template. Its errors are an *Error giving
// the byte offset of the mistake (an unknown variable, a "{{" not closed,
// invalid UTF-8), or wrap ErrTooLong.
func Parse(s string) (*Template, error) {
	if len(s) > MaxLen {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLong, len(s), MaxLen)
	}
	if !utf8.ValidString(s) {
		return nil, &Error{Offset: firstInvalidUTF8(s), Message: "invalid UTF-8"}
	}
	t := &Template{}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, part{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		open := strings.Index(s[i:], "{{")
		if open < 0 {
			lit.WriteString(s[i:])
			break
		}
		open += i
		lit.WriteString(s[i:open])
		if strings.HasPrefix(s[open:], Escape) {
			lit.WriteString("{{")
			i = open + len(Escape)
			continue
		}
		p, end, err := parseVariable(s, open)
		if err != nil {
			return nil, err
		}
		flush()
		t.parts = append(t.parts, p)
		if !slices.Contains(t.names, p.name) {
			t.names = append(t.names, p.name)
		}
		i = end
	}
	flush()
	return t, nil
}

// parseVariable reads the variable whose "{{" is at s[open:] and returns
// it with the offset just past its "}}".
func parseVariable(s string, open int) (part, int, error) {
	start := open + 2
	closeAt := strings.Index(s[start:], "}}")
	nested := strings.Index(s[start:], "{{")
	if closeAt < 0 {
		return part{}, 0, &Error{Offset: open, Message: `"{{" is not closed by "}}"`}
	}
	if nested >= 0 && nested < closeAt {
		return part{}, 0, &Error{Offset: open, Message: fmt.Sprintf(`"{{" is not closed by "}}" before the next "{{" at byte %d`, start+nested)}
	}
	inner := s[start : start+closeAt]
	p := part{}
	nameText := inner
	if bar := strings.IndexByte(inner, '|'); bar >= 0 {
		nameText = inner[:bar]
		p.text = strings.TrimSpace(inner[bar+1:])
	}
	p.name = strings.TrimSpace(nameText)
	// The offset of the name itself, past any leading spaces.
	nameAt := start + len(nameText) - len(strings.TrimLeftFunc(nameText, unicode.IsSpace))
	switch {
	case p.name == "":
		return part{}, 0, &Error{Offset: open, Message: "variable with no name"}
	case !slices.Contains(Names(), p.name):
		return part{}, 0, &Error{Offset: nameAt, Message: fmt.Sprintf("unknown variable %q", p.name)}
	}
	return p, start + closeAt + 2, nil
}

// firstInvalidUTF8 returns the offset of the first byte of s that is not
// part of a valid UTF-8 sequence.
func firstInvalidUTF8(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return len(s)
}

// Render returns the template filled in with v. A variable whose value is
// empty (or only spaces) renders as its fallback, or as nothing when it
// has none. Values are inserted as they are: the result is plain text, and
// the caller escapes it for wherever it goes.
func (t *Template) Render(v Values) string {
	var b strings.Builder
	for _, p := range t.parts {
		switch {
		case p.name == "":
			b.WriteString(p.text)
		case strings.TrimSpace(v[p.name]) != "":
			b.WriteString(v[p.name])
		default:
			b.WriteString(p.text)
		}
	}
	return b.String()
}

// Names returns the variables the template uses, each once, in order of
// first use. The slice is a copy.
func (t *Template) Names() []string {
	return slices.Clone(t.names)
}

// FirstName returns the first word of a full name, the way a reply greets
// someone: "Jean-Pierre Dupont" gives "Jean-Pierre", "" gives "".
func FirstName(fullName string) string {
	if f := strings.Fields(fullName); len(f) > 0 {
		return f[0]
	}
	return ""
}
