package email

import (
	"net/mail"
	"reflect"
	"strings"
	"testing"
	"time"

	"palabre/internal/model"
)

func TestReplyID(t *testing.T) {
	t.Parallel()
	tests := []struct{ key, from, want string }{
		{"outbox-42", "support@Example.TEST", "<outbox-42@palabre.example.test>"},
		{"a.b c@d", "s@example.test", "<a=2Eb=20c=40d@palabre.example.test>"},
		{"a=2E", "s@example.test", "<a=3D2E@palabre.example.test>"},
	}
	for _, tt := range tests {
		got, err := replyID(tt.key, tt.from)
		if err != nil || got != tt.want {
			t.Errorf("replyID(%q, %q) = %q, %v; want %q", tt.key, tt.from, got, err, tt.want)
		}
	}
	if _, err := replyID("", "s@example.test"); err == nil {
		t.Error("an empty key was accepted")
	}
}

func TestReferencesAfter(t *testing.T) {
	t.Parallel()
	if got := referencesAfter("<p@x>", []string{"<r@x>", "<q@x>"}, "<q@x>"); strings.Join(got, " ") != "<r@x> <q@x> <p@x>" {
		t.Errorf("with References: %q", got)
	}
	if got := referencesAfter("<p@x>", nil, "<q@x>"); strings.Join(got, " ") != "<q@x> <p@x>" {
		t.Errorf("with In-Reply-To only: %q", got)
	}
	if got := referencesAfter("<p@x>", nil, ""); strings.Join(got, " ") != "<p@x>" {
		t.Errorf("for a thread's first message: %q", got)
	}
	var long []string
	for i := range 50 {
		long = append(long, "<"+strings.Repeat("r", i+1)+"@x>")
	}
	got := referencesAfter("<p@x>", long, "")
	if len(got) != maxReplyRefs || got[0] != long[0] || got[len(got)-1] != "<p@x>" || got[len(got)-2] != long[49] {
		t.Errorf("a long thread kept %d references: %q…%q", len(got), got[0], got[len(got)-1])
	}
}

// TestComposeReadsBack writes a reply and parses it as the poller would:
// what is sent is what a mail client, and palabre, will read.
func TestComposeReadsBack(t *testing.T) {
	t.Parallel()
	body := "Bonjour Marie,\n\nVotre colis arrive demain — désolés du retard. " + strings.Repeat("Une longue ligne ", 10) + "\n\nL'équipe"
	o := outgoing{
		from:    mail.Address{Name: "Équipe Support", Address: "support@example.test"},
		to:      mail.Address{Name: "Marie Skłodowska-Curie", Address: "marie@example.org"},
		subject: replySubject("Re: Ma commande n'est pas arrivée, elle devait être livrée lundi dernier au plus tard"),
		id:      "<k1@palabre.example.test>",
		parent: answered{
			id:   "<m2@example.org>",
			refs: referencesAfter("<m2@example.org>", []string{"<m1@example.test>"}, ""),
		},
		body: body,
		date: time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC),
	}
	raw := o.bytes()
	for i, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line %d has %d characters", i+1, len(line))
		}
		for _, c := range []byte(line) {
			if c >= 0x80 {
				t.Fatalf("line %d is not 7-bit: %q", i+1, line)
			}
		}
	}
	m, err := parseMessage(raw, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	want := model.Message{
		ExternalID:             "<k1@palabre.example.test>",
		ParentExternalID:       "<m2@example.org>",
		ConversationExternalID: "<m1@example.test>",
		Kind:                   model.KindMessage,
		Status:                 model.StatusApproved,
		Title:                  "Ma commande n'est pas arrivée, elle devait être livrée lundi dernier au plus tard",
		AuthorName:             "Équipe Support",
		AuthorEmail:            "support@example.test",
		Body:                   body,
		CreatedAt:              o.date,
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("read back\n%+v\nwant\n%+v", m, want)
	}
	if h, _ := mail.ReadMessage(strings.NewReader(string(raw))); h == nil || !strings.HasPrefix(h.Header.Get("Subject"), "Re: ") && !strings.Contains(h.Header.Get("Subject"), "?q?Re:") {
		t.Errorf("subject header lost its Re: marker")
	}
}
