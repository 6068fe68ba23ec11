package model

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// ConversationStatuses returns the conversation statuses in workflow
// order: new → open → pending (waiting on the customer or an expert) →
// resolved, and the two ways out, ignored and spam.
func ConversationStatuses() []string {
	return []string{ConvNew, ConvOpen, ConvPending, ConvResolved, ConvIgnored, ConvSpam}
}

// Priorities of a conversation. Higher is more urgent; routing rules and
// SLA escalation raise it, SLA policies may target one.
const (
	PriorityNormal   = 0
	PriorityHigh     = 1
	PriorityUrgent   = 2
	PriorityCritical = 3
)

// ValidPriority reports whether p is one of the priorities.
func ValidPriority(p int) bool { return p >= PriorityNormal && p <= PriorityCritical }

// Limits of tags.
const (
	MaxTagLen           = 50 // characters
	MaxTagsPerConvo     = 30
	MaxNoteLen          = 20000 // bytes
	MaxReplyLen         = 50000 // bytes
	MaxCannedNameLen    = 100   // characters
	MaxBulkConversation = 500
)

// NormalizeTag returns a tag as stored: trimmed, lower-cased, inner runs of
// spaces made one. It refuses an empty tag, one longer than MaxTagLen
// characters, and control characters or commas.
func NormalizeTag(tag string) (string, error) {
	if !utf8.ValidString(tag) {
		return "", fmt.Errorf("tag %q: not valid UTF-8", tag)
	}
	t := strings.Join(strings.Fields(strings.ToLower(tag)), " ")
	switch {
	case t == "":
		return "", fmt.Errorf("tag %q: empty", tag)
	case utf8.RuneCountInString(t) > MaxTagLen:
		return "", fmt.Errorf("tag %q: longer than %d characters", tag, MaxTagLen)
	}
	for _, r := range t {
		if unicode.IsControl(r) || r == ',' {
			return "", fmt.Errorf("tag %q: control characters and commas are not allowed", tag)
		}
	}
	return t, nil
}

// Note is an internal note on a conversation: staff only, never sent to
// the community. Mentions are the logins of the users it asked in.
type Note struct {
	ID             int64     `json:"id"`
	ConversationID int64     `json:"conversation_id"`
	Author         string    `json:"author"`
	Body           string    `json:"body"`
	Mentions       []string  `json:"mentions"`
	CreatedAt      time.Time `json:"created_at"`
}

// CannedReply is one of a workspace's saved answers, in one language ("":
// any), with {{variables}} filled in when used.
type CannedReply struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Language   string    `json:"language"`
	Body       string    `json:"body"`
	UsageCount int64     `json:"usage_count"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Mentions returns the logins @mentioned in a note, lower-cased, each once,
// in order of first mention. A mention is "@" at the start or after a
// character that cannot be part of an address (so "lea@example.com" is not
// one), followed by login characters (letters, digits, ". _ -"); a final
// dot ends the sentence, not the login.
func Mentions(body string) []string {
	var out []string
	for i := 0; i < len(body); i++ {
		if body[i] != '@' || (i > 0 && loginByte(body[i-1])) {
			continue
		}
		j := i + 1
		for j < len(body) && loginByte(body[j]) {
			j++
		}
		login := strings.ToLower(strings.TrimRight(body[i+1:j], "."))
		if login != "" && !slices.Contains(out, login) {
			out = append(out, login)
		}
		i = j - 1
	}
	return out
}

func loginByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}

// Webhook is an address a workspace's events are POSTed to, signed with
// its secret. Events lists the actions sent ("conversation.status"), or
// prefixes ending in "." ("conversation."); empty sends every event.
type Webhook struct {
	ID     int64    `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
	Active bool     `json:"active"`
	// Secret is shown once, when the webhook is created.
	Secret    string    `json:"secret,omitempty"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

// WebhookWants reports whether a webhook listening to events wants the
// event named action.
func WebhookWants(events []string, action string) bool {
	if len(events) == 0 {
		return true
	}
	for _, e := range events {
		if e == action || (strings.HasSuffix(e, ".") && strings.HasPrefix(action, e)) {
			return true
		}
	}
	return false
}
