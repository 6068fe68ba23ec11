package mastodon

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"palabre/internal/connector"
	"palabre/internal/model"
)

func TestToMessage(t *testing.T) {
	t.Parallel()
	base := func() status {
		return status{
			ID: "1", URI: "https://a.example/statuses/1", URL: "https://a.example/@ann/1",
			CreatedAt: "2024-05-01T09:00:00.123Z", Visibility: "public",
			Content: "<p>Bonjour <b>!</b></p><p>Deux</p>",
			Account: account{ID: "7", Username: "ann", Acct: "ann@a.example", DisplayName: " Ann ", URL: "https://a.example/@ann"},
		}
	}
	tests := []struct {
		name  string
		edit  func(*status)
		place place
		check func(*testing.T, model.Message)
		err   string
	}{
		{
			name: "a root post",
			check: func(t *testing.T, m model.Message) {
				want := model.Message{
					ExternalID: "https://a.example/statuses/1", ConversationExternalID: "https://a.example/statuses/1",
					Kind: model.KindPost, AuthorName: "Ann", AuthorHandle: "@ann@a.example", AuthorURL: "https://a.example/@ann",
					Body: "Bonjour !\n\nDeux", URL: "https://a.example/@ann/1",
					CreatedAt: time.Date(2024, 5, 1, 9, 0, 0, 123e6, time.UTC),
				}
				m.BodyHTML = ""
				if !equalMessages(m, want) {
					t.Errorf("got  %+v\nwant %+v", m, want)
				}
			},
		},
		{
			name: "a comment", place: place{parent: "https://r.example/1", root: "https://r.example/1"},
			check: func(t *testing.T, m model.Message) {
				if m.Kind != model.KindComment || m.ParentExternalID != "https://r.example/1" || m.ConversationExternalID != "https://r.example/1" {
					t.Errorf("got %+v", m)
				}
			},
		},
		{
			name: "a reply", place: place{parent: "https://r.example/2", root: "https://r.example/1"},
			check: func(t *testing.T, m model.Message) {
				if m.Kind != model.KindReply {
					t.Errorf("kind %q", m.Kind)
				}
			},
		},
		{
			name: "a reply whose parent is not shown", place: place{root: "https://r.example/1"},
			check: func(t *testing.T, m model.Message) {
				if m.Kind != model.KindReply || m.ParentExternalID != "" || m.ConversationExternalID != "https://r.example/1" {
					t.Errorf("got %+v", m)
				}
			},
		},
		{
			name: "a direct status is a private message", edit: func(s *status) { s.Visibility = "direct" },
			place: place{parent: "https://r.example/1", root: "https://r.example/1"},
			check: func(t *testing.T, m model.Message) {
				if m.Kind != model.KindMessage {
					t.Errorf("kind %q", m.Kind)
				}
			},
		},
		{
			name: "the account's own status is the staff's", edit: func(s *status) { s.Account.ID = "108"; s.Account.Acct = "brand" },
			check: func(t *testing.T, m model.Message) {
				if !m.AuthorIsStaff || m.AuthorHandle != "@brand@social.example" {
					t.Errorf("staff %v, handle %q", m.AuthorIsStaff, m.AuthorHandle)
				}
			},
		},
		{
			name: "a content warning is the title", edit: func(s *status) { s.SpoilerText = " Spoiler " },
			check: func(t *testing.T, m model.Message) {
				if m.Title != "Spoiler" {
					t.Errorf("title %q", m.Title)
				}
			},
		},
		{
			name: "an attachment alone", edit: func(s *status) {
				s.Content = ""
				s.MediaAttachments = []attachment{{Type: "image", Description: "Un\nvélo"}, {}}
			},
			check: func(t *testing.T, m model.Message) {
				if m.Body != "[image: Un vélo]\n[attachment]" {
					t.Errorf("body %q", m.Body)
				}
			},
		},
		{
			name: "no url: the uri", edit: func(s *status) { s.URL = ""; s.Account.DisplayName = "" },
			check: func(t *testing.T, m model.Message) {
				if m.URL != m.ExternalID || m.AuthorName != "ann" {
					t.Errorf("url %q, name %q", m.URL, m.AuthorName)
				}
			},
		},
		{
			name: "markup is sanitised", edit: func(s *status) { s.Content = `<p onclick="x()">Hi<script>alert(1)</script></p>` },
			check: func(t *testing.T, m model.Message) {
				if strings.Contains(m.BodyHTML, "script") || strings.Contains(m.BodyHTML, "onclick") || m.Body != "Hi" {
					t.Errorf("body %q, html %q", m.Body, m.BodyHTML)
				}
			},
		},
		{name: "no uri", edit: func(s *status) { s.URI = " " }, err: "no uri"},
		{name: "no date", edit: func(s *status) { s.CreatedAt = "" }, err: "created_at"},
		{name: "not a date", edit: func(s *status) { s.CreatedAt = "01/05/2024" }, err: `created_at "01/05/2024"`},
		{name: "nothing to read", edit: func(s *status) { s.Content = "<p> </p>" }, err: "no text"},
		{name: "a control character", edit: func(s *status) { s.Account.DisplayName = "A\x01nn" }, err: "author_name has control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := base()
			if tt.edit != nil {
				tt.edit(&s)
			}
			m, err := toMessage(s, tt.place, "108", "social.example")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, m)
		})
	}
}

func equalMessages(a, b model.Message) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestRateLimitReset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"2024-05-03T12:05:00.000Z", 5 * time.Minute},
		{"2024-05-03T12:05:00.019685Z", 5*time.Minute + time.Second}, // rounded up
		{"2024-05-03T14:05:00+02:00", 5 * time.Minute},
		{"1714737900", 5 * time.Minute}, // Unix time
		{"2024-05-03T11:00:00Z", 0},     // past
		{"2024-06-03T12:00:00Z", 24 * time.Hour},
		{"soon", 0},
		{"-5", 0},
	}
	for _, tt := range tests {
		if got := rateLimitReset(tt.header, testNow); got != tt.want {
			t.Errorf("rateLimitReset(%q) = %s, want %s", tt.header, got, tt.want)
		}
	}
}

// FuzzToMessage maps any status the API could send: the mapping never
// panics, and a message it makes is one ingest can store.
func FuzzToMessage(f *testing.F) {
	for _, name := range []string{"account_statuses.json", "context_110001.json", "context_110080.json", "notifications.json", "status_posted.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		for _, s := range fixtureStatuses(f, b) {
			f.Add(s, "", "")
			f.Add(s, "https://r.example/1", "https://r.example/0")
		}
	}
	f.Add([]byte(`{"uri":"x","created_at":"2024-01-01T00:00:00Z","content":"<img alt='\u0000'>"}`), "", "")
	f.Fuzz(func(t *testing.T, raw []byte, parent, root string) {
		var s status
		if json.Unmarshal(raw, &s) != nil {
			return
		}
		m, err := toMessage(s, place{parent: parent, root: root}, "108", "social.example")
		if err != nil {
			return
		}
		if m.ExternalID == "" || m.ExternalID != strings.TrimSpace(s.URI) {
			t.Errorf("external id %q from uri %q", m.ExternalID, s.URI)
		}
		if m.ConversationExternalID == "" || m.Body == "" || m.CreatedAt.IsZero() {
			t.Errorf("incomplete message %+v", m)
		}
		if !model.ValidKind(m.Kind) {
			t.Errorf("kind %q", m.Kind)
		}
		if m.AuthorIsStaff != (s.Account.ID == "108") {
			t.Errorf("staff %v for account %q", m.AuthorIsStaff, s.Account.ID)
		}
		if err := connector.Validate(&m); err != nil {
			t.Errorf("invalid message: %v", err)
		}
		if again, _ := toMessage(s, place{parent: parent, root: root}, "108", "social.example"); !equalMessages(m, again) {
			t.Error("mapping is not deterministic")
		}
	})
}

// fixtureStatuses finds the statuses of a fixture, wherever they are.
func fixtureStatuses(f *testing.F, b []byte) [][]byte {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		f.Fatal(err)
	}
	var out [][]byte
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			if _, ok := v["uri"]; ok {
				raw, _ := json.Marshal(v)
				out = append(out, raw)
				return
			}
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}
