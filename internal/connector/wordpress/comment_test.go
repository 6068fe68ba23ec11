package wordpress

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"palabre/internal/ingest"
	"palabre/internal/model"
)

func TestCommentDate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		gmt, local string
		want       time.Time
		err        string
	}{
		{gmt: "2026-03-01T09:00:00", local: "2026-03-01T10:00:00", want: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)},
		{gmt: "0000-00-00T00:00:00", local: "2026-03-01T10:00:00", want: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)},
		{local: "2026-03-01T10:00:00", want: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)},
		{gmt: "2026-03-01 09:00", err: `date_gmt "2026-03-01 09:00" is not a date`},
		{err: "no date"},
	} {
		got, err := commentDate(tc.gmt, tc.local)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q, %q: error %v, want %q", tc.gmt, tc.local, err, tc.err)
			}
			continue
		}
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("%q, %q: %v, %v", tc.gmt, tc.local, got, err)
		}
	}
}

func TestParseExternalID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		id            string
		post, comment int64
		ok            bool
	}{
		{"https://blog.example/?p=7", 7, 0, true},
		{"https://blog.example/sub/?p=7#comment-70", 7, 70, true},
		{"https://blog.example/?lang=fr&p=0007#comment-070", 7, 70, true},
		{"https://blog.example/?p=7#respond", 0, 0, false},
		{"https://blog.example/?p=0", 0, 0, false},
		{"https://blog.example/?p=-3", 0, 0, false},
		{"https://blog.example/potager/#comment-70", 0, 0, false},
		{"https://blog.example/?p=7#comment-", 0, 0, false},
		{"%zz", 0, 0, false},
	} {
		post, comment, err := parseExternalID(tc.id)
		if (err == nil) != tc.ok || post != tc.post || comment != tc.comment {
			t.Errorf("%q: %d, %d, %v", tc.id, post, comment, err)
		}
	}
}

// FuzzComment maps any JSON the REST API could send as a comment: it must
// never panic, and a comment it accepts must have canonical ids that
// ingest keeps as they are and that name the comment they came from.
func FuzzComment(f *testing.F) {
	for _, s := range []string{
		`{"id":10,"post":7,"parent":0,"author":0,"author_name":"Anne","date_gmt":"2026-03-01T09:00:00","status":"hold","content":{"rendered":"<p>Hi</p>"}}`,
		`{"id":11,"post":7,"parent":10,"author":1,"date":"2026-03-01T10:00:00","status":"approved","content":{"raw":"a\nb"}}`,
		`{"id":12,"post":7,"type":"pingback"}`,
		`{"id":-1,"post":7}`,
		`{"id":1,"post":7,"parent":-4,"date_gmt":"2026-03-01T09:00:00"}`,
		`{"id":9223372036854775807,"post":9223372036854775807,"date_gmt":"9999-12-31T23:59:59","content":{"rendered":"<script>"}}`,
		`{"id":"1"}`, `[]`, `null`, `{"content":"text"}`,
	} {
		f.Add([]byte(s))
	}
	site := siteInfo{home: "https://blog.example/sub", userID: 1, login: "greg"}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c comment
		if json.Unmarshal(data, &c) != nil || c.pingback() {
			return
		}
		m, err := c.message(site)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if m.CreatedAt.IsZero() || !model.ValidKind(m.Kind) || !model.ValidStatus(m.Status) {
			t.Fatalf("message %+v", m)
		}
		for _, id := range []string{m.ExternalID, m.ParentExternalID, m.ConversationExternalID} {
			if ingest.CanonicalID(id) != id {
				t.Fatalf("id %q is not canonical: %q", id, ingest.CanonicalID(id))
			}
		}
		post, comment, err := parseExternalID(m.ExternalID)
		if err != nil || post != c.Post || comment != c.ID {
			t.Fatalf("id %q reads back as %d, %d, %v", m.ExternalID, post, comment, err)
		}
		if utf8.ValidString(string(data)) && (!utf8.ValidString(m.Body) || !utf8.ValidString(m.BodyHTML)) {
			t.Fatalf("invalid UTF-8 from valid input: %q", m.Body)
		}
	})
}
