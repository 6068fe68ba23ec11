package email

import (
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParseMessage feeds the parser arbitrary bytes: it must never panic,
// and what it accepts must be a storable message.
func FuzzParseMessage(f *testing.F) {
	samples, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	for _, s := range samples {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("From: a@b\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: multipart/alternative; boundary=y\n\n--y\n\nhi\n--y--\n--x--\n"))
	f.Add([]byte("Subject: =?utf-8?q?=E2=82?=\nContent-Transfer-Encoding: base64\n\n!!!=="))
	arrived := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := parseMessage(raw, arrived)
		if err != nil {
			return
		}
		if m.ExternalID == "" || m.CreatedAt.IsZero() {
			t.Fatalf("accepted a message without id or date: %+v", m)
		}
		for _, s := range []string{m.ExternalID, m.ParentExternalID, m.ConversationExternalID, m.Title, m.AuthorName, m.AuthorEmail, m.Body} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in %q", s)
			}
		}
	})
}
