package insights

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"
)

func TestExports(t *testing.T) {
	at := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	a := Answer{TimeZone: "Europe/Paris", From: "2026-03-01", To: "2026-04-01", Read: 3, Topics: []Topic{
		{Topic: "", Messages: 3, Questions: []Question{{Quote: Quote{MessageID: 7, At: at, Text: "Livrez-vous en **Belgique** ? <b>"}, Count: 2}},
			Quotes:   []Quote{{MessageID: 8, At: at, Author: "Ana", Text: "# pas un titre"}},
			Emerging: []Term{{Term: "=batterie", Now: 4, Before: 0}}},
		{Topic: "livraison", Messages: 2}}}
	var md bytes.Buffer
	if err := WriteMarkdown(&md, "Vélo [Atelier]", a); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# Vélo \\[Atelier\\]\n", "## All messages (3 messages)", "- Livrez-vous en \\*\\*Belgique\\*\\* ? \\<b\\> (2×, 2026-03-10)",
		"> \\# pas un titre", "- =batterie: in 4 messages, 0 the period before", "## livraison (2 messages)"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("Markdown lacks %q:\n%s", want, md.String())
		}
	}
	var c bytes.Buffer
	if err := WriteCSV(&c, a); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&c).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[1][1] != "question" || rows[1][3] != "2" || rows[1][5] != "7" || rows[2][1] != "quote" ||
		rows[3][1] != "term" || rows[3][2] != "'=batterie" || rows[3][3] != "4" {
		t.Errorf("CSV %q", rows)
	}
}
