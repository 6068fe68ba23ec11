package email

import (
	"regexp"
	"strings"
)

// attributionLine matches the line mail clients write above the message
// they quote: "On Mon, 3 Mar 2025, Ann <ann@example.com> wrote:", "Le lun.
// 3 mars 2025 à 10:02, Ann <ann@example.com> a écrit :".
var attributionLine = regexp.MustCompile(`(?i)^\s*(on\s.*\swrote|le\s.*\sa\s+écrit)\s*:\s*$`)

// separatorLine matches the line Outlook and others put above the message
// they include whole rather than quote with ">". A forwarded message is
// not one: what it forwards is what the sender wants read.
var separatorLine = regexp.MustCompile(`(?i)^\s*(-{3,}\s*(original message|message d'origine|message d’origine|ursprüngliche nachricht)\s*-{3,}|_{10,})\s*$`)

// stripQuoted drops, in the simple cases, the earlier message a reply
// carries below its own text: a block of ">" lines at the end, with the
// attribution line above it, or everything after an "Original Message"
// separator. Text interleaved with quotes is kept whole, as is a message
// that would be left empty.
func stripQuoted(text string) string {
	lines := strings.Split(text, "\n")
	end := len(lines)
	if i := separator(lines); i >= 0 {
		end = i
	} else {
		q := end
		for q > 0 && (quoted(lines[q-1]) || blank(lines[q-1])) {
			q--
		}
		for q < end && blank(lines[q]) {
			q++
		}
		if q == end {
			return text // nothing quoted at the end
		}
		end = q
		prev := end - 1
		for prev >= 0 && blank(lines[prev]) {
			prev--
		}
		switch {
		case prev >= 0 && attributionLine.MatchString(lines[prev]):
			end = prev
		case prev >= 1 && attributionLine.MatchString(lines[prev-1]+" "+lines[prev]):
			// The attribution wrapped over two lines.
			end = prev - 1
		}
	}
	kept := strings.TrimRight(strings.Join(lines[:end], "\n"), " \t\n")
	if strings.TrimSpace(kept) == "" {
		return text
	}
	return kept
}

// separator is the index of the first separator line followed by a
// header-like line ("From:", "De :"), or -1.
func separator(lines []string) int {
	for i, l := range lines {
		if !separatorLine.MatchString(l) {
			continue
		}
		for _, next := range lines[i+1 : min(i+3, len(lines))] {
			if headerLike(next) {
				return i
			}
		}
	}
	return -1
}

func headerLike(l string) bool {
	name, _, ok := strings.Cut(strings.TrimSpace(l), ":")
	name = strings.ToLower(strings.TrimSpace(name))
	return ok && (name == "from" || name == "de" || name == "von" || name == "sent" || name == "date")
}

func quoted(l string) bool { return strings.HasPrefix(strings.TrimLeft(l, " \t"), ">") }

func blank(l string) bool { return strings.TrimSpace(l) == "" }
