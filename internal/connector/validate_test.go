package connector

import (
	"math"
	"strings"
	"testing"
	"time"

	"palabre/internal/model"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	score := func(f float64) *float64 { return &f }
	valid := func() model.Message {
		return model.Message{
			ExternalID: "m1", Body: "hello",
			CreatedAt: time.Date(2010, 9, 28, 10, 52, 0, 0, time.FixedZone("", 2*3600)),
		}
	}
	tests := []struct {
		name    string
		edit    func(m *model.Message)
		wantErr string
	}{
		{"valid", func(*model.Message) {}, ""},
		{"html body only", func(m *model.Message) { m.Body, m.BodyHTML = "", "<p>x</p>" }, ""},
		{"all enumerations", func(m *model.Message) {
			m.Kind, m.Status, m.Sentiment, m.SentimentScore = "reply", "spam", "neg", score(-1)
		}, ""},
		{"multi-line text", func(m *model.Message) { m.Body, m.Title, m.AuthorName = "a\r\n\tb", "t\n", "x\ty" }, ""},
		{"C1 and DEL in text", func(m *model.Message) { m.Body = "it\u0092s \u007f" }, ""},
		{"earliest time", func(m *model.Message) { m.CreatedAt = time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC) }, ""},
		{"latest time", func(m *model.Message) { m.CreatedAt = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC) }, ""},
		{"topics", func(m *model.Message) { m.Topics = []string{"prix", "délai de livraison"} }, ""},

		{"external_id empty", func(m *model.Message) { m.ExternalID = "" }, "external_id is missing"},
		{"external_id blank", func(m *model.Message) { m.ExternalID = " \t" }, "external_id is missing"},
		{"external_id tab", func(m *model.Message) { m.ExternalID = "a\tb" }, "external_id has control character U+0009 at byte 1"},
		{"external_id invalid UTF-8", func(m *model.Message) { m.ExternalID = "a\xff" }, "external_id is not valid UTF-8"},
		{"parent id C1", func(m *model.Message) { m.ParentExternalID = "a\u0085b" }, "parent_external_id has control character U+0085"},
		{"conversation id DEL", func(m *model.Message) { m.ConversationExternalID = "\u007f" }, "conversation_external_id has control character U+007F"},
		{"member id newline", func(m *model.Message) { m.MemberID = "m\n" }, "member_id has control character"},
		{"kind", func(m *model.Message) { m.Kind = "tweet" }, `kind "tweet" is not one of post, comment, reply, message`},
		{"status", func(m *model.Message) { m.Status = "open" }, `status "open" is not one of approved, pending, spam, trash`},
		{"channel NUL", func(m *model.Message) { m.Channel = "a\x00" }, "channel has control character U+0000"},
		{"body escape", func(m *model.Message) { m.Body = "\x1b[31mred" }, "body has control character U+001B at byte 0"},
		{"body invalid UTF-8", func(m *model.Message) { m.Body = "caf\xe9" }, "body is not valid UTF-8"},
		{"body_html NUL", func(m *model.Message) { m.BodyHTML = "\x00" }, "body_html has control character U+0000"},
		{"url control", func(m *model.Message) { m.URL = "http://x/\x08" }, "url has control character U+0008"},
		{"no body at all", func(m *model.Message) { m.Body = "" }, "body is empty and there is no body_html"},
		{"created_at missing", func(m *model.Message) { m.CreatedAt = time.Time{} }, "created_at is missing"},
		{"created_at year 0 in UTC", func(m *model.Message) {
			m.CreatedAt = time.Date(1, 1, 1, 0, 30, 0, 0, time.FixedZone("", 3600))
		}, "created_at 0001-01-01T00:30:00+01:00 is outside years 0001–9999 in UTC"},
		{"created_at year 10000 in UTC", func(m *model.Message) {
			m.CreatedAt = time.Date(9999, 12, 31, 23, 30, 0, 0, time.FixedZone("", -3600))
		}, "outside years 0001–9999 in UTC"},
		{"sentiment", func(m *model.Message) { m.Sentiment = "positive" }, `sentiment "positive" is not one of pos, neg, neu`},
		{"score above", func(m *model.Message) { m.SentimentScore = score(1.0000001) }, "sentiment_score 1.0000001 is outside -1..1"},
		{"score below", func(m *model.Message) { m.SentimentScore = score(-2) }, "sentiment_score -2 is outside -1..1"},
		{"score NaN", func(m *model.Message) { m.SentimentScore = score(math.NaN()) }, "sentiment_score NaN is outside -1..1"},
		{"score infinite", func(m *model.Message) { m.SentimentScore = score(math.Inf(1)) }, "sentiment_score +Inf is outside -1..1"},
		{"topic blank", func(m *model.Message) { m.Topics = []string{"a", " "} }, "topics[1] is blank"},
		{"topic spaces", func(m *model.Message) { m.Topics = []string{" a"} }, `topics[0] " a" has surrounding spaces`},
		{"topic separator", func(m *model.Message) { m.Topics = []string{"a;b"} }, `topics[0] "a;b" contains ";", the topic separator`},
		{"topic newline", func(m *model.Message) { m.Topics = []string{"a\nb"} }, "topics[0] has control character U+000A"},
		{"first broken rule wins", func(m *model.Message) { m.ExternalID, m.Kind = "", "x" }, "external_id is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := valid()
			tt.edit(&m)
			err := Validate(&m)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("no error, want %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("error %q, want %q", err, tt.wantErr)
			}
		})
	}
}
