package email

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"palabre/internal/model"
)

func readSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseMessageSamples(t *testing.T) {
	t.Parallel()
	arrived := time.Date(2025, 3, 20, 7, 0, 0, 0, time.UTC)
	tests := []struct {
		file string
		want model.Message
		// bodyPrefix, when set, is checked instead of the whole body.
		bodyPrefix string
	}{
		{
			file: "alternative.eml",
			want: model.Message{
				ExternalID:             "<CAB+second=x@mail.gmail.com>",
				ParentExternalID:       "<CAB+first@mail.gmail.com>",
				ConversationExternalID: "<root-1@mail.example.test>",
				Kind:                   model.KindMessage,
				Status:                 model.StatusApproved,
				Title:                  "Ma commande n'est pas arrivée",
				AuthorName:             "Marie Skłodowska-Curie",
				AuthorEmail:            "marie.curie@example.org",
				Body:                   "Bonjour,\n\nToujours rien reçu ce matin. Pouvez-vous vérifier ?\n\nMarie",
				CreatedAt:              time.Date(2025, 3, 10, 8, 13, 55, 0, time.UTC),
			},
		},
		{
			file: "latin1-qp.eml",
			want: model.Message{
				ExternalID:             "<20250311142000.GA1234@example.fr>",
				ConversationExternalID: "<20250311142000.GA1234@example.fr>",
				Kind:                   model.KindPost,
				Status:                 model.StatusApproved,
				Title:                  "Problème de facture",
				AuthorName:             "Jean Dupont",
				AuthorEmail:            "jean.dupont@example.fr",
				// Mail labelled iso-8859-1 is read as Windows-1252, as
				// mail clients do: =80 is the euro sign.
				Body:      "Bonjour,\n\nLa facture n° 42 est erronée : le montant dû est 120 €, pas 150 €.",
				CreatedAt: time.Date(2025, 3, 11, 13, 20, 0, 0, time.UTC),
			},
		},
		{
			file: "base64.eml",
			want: model.Message{
				ExternalID:             "<b64.1@example.com>",
				ConversationExternalID: "<b64.1@example.com>",
				Kind:                   model.KindPost,
				Status:                 model.StatusApproved,
				Title:                  "😃 thanks",
				AuthorEmail:            "bob@example.com",
				Body:                   "Thanks for the quick fix — it works now 😊",
				CreatedAt:              time.Date(2025, 3, 12, 13, 0, 0, 0, time.UTC),
			},
		},
		{
			file: "html-only.eml",
			want: model.Message{
				ExternalID:       "<AM0PR01MB1234@example.net>",
				ParentExternalID: "<reply-7@palabre.example.test>",
				Kind:             model.KindMessage,
				Status:           model.StatusApproved,
				Title:            "Delivery",
				AuthorName:       "Outlook User",
				AuthorEmail:      "o.user@example.net",
				CreatedAt:        time.Date(2025, 3, 13, 10, 0, 0, 0, time.UTC),
			},
			bodyPrefix: "Thanks – that’s perfect.",
		},
		{
			file: "broken.eml",
			want: model.Message{
				ExternalID:             "<odd.id@example.fr>",
				ParentExternalID:       "<another@example.fr>",
				ConversationExternalID: "<not-bracketed@example.fr>",
				Kind:                   model.KindMessage,
				Status:                 model.StatusApproved,
				Title:                  "Café crème",
				AuthorName:             "Dupont, Jean",
				AuthorEmail:            "jean@example.fr",
				Body:                   "Le café était froid.",
				CreatedAt:              time.Date(2025, 3, 14, 11, 0, 0, 0, time.UTC),
			},
		},
		{
			file: "mixed-attachment.eml",
			want: model.Message{
				ExternalID:             "<mixed.1@example.com>",
				ConversationExternalID: "<mixed.1@example.com>",
				Kind:                   model.KindPost,
				Status:                 model.StatusApproved,
				Title:                  "Invoice attached",
				AuthorName:             "Ann",
				AuthorEmail:            "ann@example.com",
				Body:                   "Please find the invoice attached.",
				CreatedAt:              time.Date(2025, 3, 15, 12, 0, 0, 0, time.UTC),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			got, err := parseMessage(readSample(t, tt.file), arrived)
			if err != nil {
				t.Fatal(err)
			}
			if tt.bodyPrefix != "" {
				if !strings.HasPrefix(got.Body, tt.bodyPrefix) {
					t.Errorf("body = %q, want it to start with %q", got.Body, tt.bodyPrefix)
				}
				got.Body = ""
			}
			if !got.CreatedAt.Equal(tt.want.CreatedAt) {
				t.Errorf("created_at = %s, want %s", got.CreatedAt, tt.want.CreatedAt)
			}
			got.CreatedAt = tt.want.CreatedAt
			if got.Body != tt.want.Body {
				t.Errorf("body =\n%q\nwant\n%q", got.Body, tt.want.Body)
			}
			got.Body = tt.want.Body
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseMessageMissingDateAndID(t *testing.T) {
	t.Parallel()
	raw := readSample(t, "no-date.eml")
	arrived := time.Date(2025, 3, 20, 7, 0, 0, 0, time.FixedZone("CET", 3600))
	m, err := parseMessage(raw, arrived)
	if err != nil {
		t.Fatal(err)
	}
	if !m.CreatedAt.Equal(arrived) || m.CreatedAt.Location() != time.UTC {
		t.Errorf("created_at = %s, want the arrival date %s in UTC", m.CreatedAt, arrived)
	}
	if !strings.HasPrefix(m.ExternalID, "<") || !strings.HasSuffix(m.ExternalID, "@palabre.invalid>") {
		t.Errorf("external id = %q, want one derived from the message", m.ExternalID)
	}
	again, err := parseMessage(raw, arrived)
	if err != nil || again.ExternalID != m.ExternalID {
		t.Errorf("second read: id %q (%v), want the same %q", again.ExternalID, err, m.ExternalID)
	}
	if m.ConversationExternalID != m.ExternalID || m.Body != "no date, no id" {
		t.Errorf("got %+v", m)
	}
	if _, err := parseMessage(raw, time.Time{}); err == nil || !strings.Contains(err.Error(), "no Date") {
		t.Errorf("without an arrival date: error %v, want one saying the date is missing", err)
	}
}

func TestParseMessageRejects(t *testing.T) {
	t.Parallel()
	now := time.Now()
	tests := map[string]string{
		"empty":                       "",
		"no header":                   "just some text\nover two lines\n",
		"multipart without boundary":  "From: a@example.com\nContent-Type: multipart/mixed\n\n--x\n\nbody\n--x--\n",
		"unreadable date, no arrival": "From: a@example.com\nDate: yesterday-ish\n\nbody\n",
	}
	for name, raw := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			at := now
			if strings.Contains(name, "no arrival") {
				at = time.Time{}
			}
			if m, err := parseMessage([]byte(raw), at); err == nil {
				t.Errorf("parsed %+v, want an error", m)
			}
		})
	}
}

func TestMessageIDs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"<a@x> <b@y>", []string{"<a@x>", "<b@y>"}},
		{"<a@x>\r\n\t<b@y>", []string{"<a@x>", "<b@y>"}},
		{"<a@x> (Ann's message of Monday)", []string{"<a@x>"}},
		{"< a@x >", []string{"<a@x>"}},
		{"a@x, b@y", []string{"<a@x>", "<b@y>"}},
		{"", nil},
		{"<>", nil},
		{"no id here", nil},
	}
	for _, tt := range tests {
		got := messageIDs(tt.in)
		if strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("messageIDs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	long := strings.Repeat("<m@x> ", 3) + strings.Repeat("<n@x> ", 2*maxRefs)
	if got := messageIDs("<root@x> " + long); len(got) != maxRefs || got[0] != "<root@x>" {
		t.Errorf("a long References kept %d ids starting %q, want %d starting with the root", len(got), got[0], maxRefs)
	}
}

func TestCleanSubject(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"Re: hello":                  "hello",
		"RE: Re: Fwd: hello":         "hello",
		"TR : Facture":               "Facture",
		"Re[2]: hello":               "hello",
		"AW: WG: Rechnung":           "Rechnung",
		"Fw:   spaced    out  ":      "spaced out",
		"Regarding: not a marker":    "Regarding: not a marker",
		"Réf. 42 : commande":         "Réf. 42 : commande",
		"":                           "",
		"Re:":                        "",
		"Question about Re: markers": "Question about Re: markers",
	}
	for in, want := range tests {
		if got := cleanSubject(in); got != want {
			t.Errorf("cleanSubject(%q) = %q, want %q", in, got, want)
		}
	}
}
