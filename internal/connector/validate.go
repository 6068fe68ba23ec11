package connector

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"palabre/internal/model"
)

// Sentiment labels a message may carry. They belong with the other
// enumerations in package model; until they move there they stay private.
const (
	sentimentPositive = "pos"
	sentimentNegative = "neg"
	sentimentNeutral  = "neu"
)

// TopicSeparator separates topics in formats that hold them in one text
// cell (CSV). A topic may therefore not contain it, whatever the format, so
// that every valid message can be exported to every format.
const TopicSeparator = ";"

// Validate checks the rules every message read from a line format (NDJSON,
// CSV) must satisfy before ingest may trust it: required fields present,
// enumerations known, numbers in range, text free of bytes that would break
// storage (invalid UTF-8, NUL) or exports.
//
// It reports the first broken rule, in field order, so that a rejected
// record gets one clear reason. Whether a field was absent from the input
// (as opposed to empty) is the reader's business: Validate only sees values.
func Validate(m *model.Message) error {
	if strings.TrimSpace(m.ExternalID) == "" {
		return fmt.Errorf("external_id is missing")
	}
	// Ids are keys: a control character in one is a corrupt input, never
	// an intended value, and would garble every error message naming it.
	ids := []struct{ name, value string }{
		{"external_id", m.ExternalID},
		{"parent_external_id", m.ParentExternalID},
		{"conversation_external_id", m.ConversationExternalID},
		{"member_id", m.MemberID},
	}
	for _, f := range ids {
		if err := checkText(f.name, f.value, false); err != nil {
			return err
		}
	}
	if m.Kind != "" && !model.ValidKind(m.Kind) {
		return fmt.Errorf("kind %q is not one of post, comment, reply, message", m.Kind)
	}
	if m.Status != "" && !model.ValidStatus(m.Status) {
		return fmt.Errorf("status %q is not one of approved, pending, spam, trash", m.Status)
	}
	texts := []struct{ name, value string }{
		{"channel", m.Channel},
		{"title", m.Title},
		{"author_name", m.AuthorName},
		{"author_handle", m.AuthorHandle},
		{"author_email", m.AuthorEmail},
		{"author_url", m.AuthorURL},
		{"body", m.Body},
		{"body_html", m.BodyHTML},
		{"url", m.URL},
		{"lang", m.Lang},
		{"intent", m.Intent},
	}
	for _, f := range texts {
		if err := checkText(f.name, f.value, true); err != nil {
			return err
		}
	}
	if m.Body == "" && m.BodyHTML == "" {
		return fmt.Errorf("body is empty and there is no body_html")
	}
	if err := checkCreatedAt(m); err != nil {
		return err
	}
	switch m.Sentiment {
	case "", sentimentPositive, sentimentNegative, sentimentNeutral:
	default:
		return fmt.Errorf("sentiment %q is not one of pos, neg, neu", m.Sentiment)
	}
	if s := m.SentimentScore; s != nil && !(*s >= -1 && *s <= 1) { // also rejects NaN
		return fmt.Errorf("sentiment_score %v is outside -1..1", *s)
	}
	for _, p := range [...]struct {
		name string
		v    *float64
	}{{"lang_confidence", m.LangConfidence}, {"needs_response_score", m.NeedsResponseScore}, {"spam_score", m.SpamScore}} {
		if p.v != nil && !(*p.v >= 0 && *p.v <= 1) {
			return fmt.Errorf("%s %v is outside 0..1", p.name, *p.v)
		}
	}
	for i, t := range m.Topics {
		if err := checkTopic(i, t); err != nil {
			return err
		}
	}
	return nil
}

// checkCreatedAt requires a time that every export format can write back:
// encoding/json and RFC 3339 only know years 0000–9999, and the exported
// time is in UTC, so the bound applies to the UTC year.
func checkCreatedAt(m *model.Message) error {
	if m.CreatedAt.IsZero() {
		return fmt.Errorf("created_at is missing")
	}
	if y := m.CreatedAt.UTC().Year(); y < 1 || y > 9999 {
		return fmt.Errorf("created_at %s is outside years 0001–9999 in UTC", m.CreatedAt.Format("2006-01-02T15:04:05Z07:00"))
	}
	return nil
}

// checkTopic keeps topics exportable: non-blank, without surrounding
// spaces (readers trim them, so they would not survive a round trip) and
// without the CSV topic separator.
func checkTopic(i int, t string) error {
	name := fmt.Sprintf("topics[%d]", i)
	if err := checkText(name, t, false); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(t) == "":
		return fmt.Errorf("%s is blank", name)
	case strings.TrimSpace(t) != t:
		return fmt.Errorf("%s %q has surrounding spaces", name, t)
	case strings.Contains(t, TopicSeparator):
		return fmt.Errorf("%s %q contains %q, the topic separator", name, t, TopicSeparator)
	}
	return nil
}

// checkText rejects invalid UTF-8 and control characters. Multi-line text
// (body, title, names) may hold tabs and line breaks, and C1 controls are
// tolerated there because legacy blogs are full of mis-decoded Windows-1252
// punctuation that a CM still wants to read. Single-line values (ids,
// topics) allow no control character at all. NUL must never reach the
// store: PostgreSQL refuses it in text columns.
func checkText(name, s string, multiline bool) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not valid UTF-8", name)
	}
	for i, r := range s {
		bad := unicode.IsControl(r)
		if multiline {
			bad = r < 0x20 && r != '\t' && r != '\n' && r != '\r'
		}
		if bad {
			return fmt.Errorf("%s has control character %U at byte %d", name, r, i)
		}
	}
	return nil
}
