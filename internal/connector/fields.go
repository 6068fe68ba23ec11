package connector

import (
	"time"

	"palabre/internal/model"
)

// A FieldDecoder is one value read from a line format, such as a CSV cell
// or a JSON value, that can become a message field of any type. name is the
// field's name, for error messages. An empty value (an empty cell, JSON
// null) decodes to the zero value: the field stays unset.
type FieldDecoder interface {
	// Text returns the value as written.
	Text(name string) (string, error)
	// ID returns the value without surrounding spaces: they are an
	// accident of the exporting tool, and keeping them would make the same
	// message two records.
	ID(name string) (string, error)
	Bool(name string) (*bool, error)
	Number(name string) (*float64, error)
	// Time keeps the instant and the offset as written; writers convert
	// to UTC, so the offset never leaks into an export.
	Time(name string) (time.Time, error)
	// Topics returns the topics trimmed, without blank ones, and nil
	// rather than an empty list, so that "no topics" has one form.
	Topics(name string) ([]string, error)
}

// SetField decodes d into the field of m that name designates: the
// field's JSON name, which CSV headers use too. It is the one place that
// maps names to fields for every line format. A name that is not a field
// is ignored, so that exports from newer versions still read.
func SetField[D FieldDecoder](m *model.Message, name string, d D) error {
	var err error
	switch name {
	case "author_is_staff":
		var b *bool
		b, err = d.Bool(name)
		m.AuthorIsStaff = b != nil && *b
	case "needs_response":
		m.NeedsResponse, err = d.Bool(name)
	case "spam":
		m.Spam, err = d.Bool(name)
	case "sentiment_score":
		m.SentimentScore, err = d.Number(name)
	case "lang_confidence":
		m.LangConfidence, err = d.Number(name)
	case "needs_response_score":
		m.NeedsResponseScore, err = d.Number(name)
	case "spam_score":
		m.SpamScore, err = d.Number(name)
	case "created_at":
		m.CreatedAt, err = d.Time(name)
	case "topics":
		m.Topics, err = d.Topics(name)
	case "external_id", "parent_external_id", "conversation_external_id", "member_id":
		*stringField(m, name), err = d.ID(name)
	default:
		if f := stringField(m, name); f != nil {
			*f, err = d.Text(name)
		}
	}
	return err
}

// stringField returns the string field of m that name designates, or nil
// when there is none.
func stringField(m *model.Message, name string) *string {
	fields := [...]struct {
		name  string
		field *string
	}{
		{"channel", &m.Channel}, {"external_id", &m.ExternalID}, {"parent_external_id", &m.ParentExternalID},
		{"conversation_external_id", &m.ConversationExternalID}, {"kind", &m.Kind}, {"status", &m.Status},
		{"title", &m.Title}, {"author_name", &m.AuthorName}, {"author_handle", &m.AuthorHandle},
		{"author_email", &m.AuthorEmail}, {"author_url", &m.AuthorURL}, {"member_id", &m.MemberID},
		{"body", &m.Body}, {"body_html", &m.BodyHTML}, {"url", &m.URL},
		{"lang", &m.Lang}, {"sentiment", &m.Sentiment}, {"intent", &m.Intent},
	}
	for _, f := range fields {
		if f.name == name {
			return f.field
		}
	}
	return nil
}
