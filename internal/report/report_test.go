package report_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"palabre/internal/i18n"
	"palabre/internal/ingest"
	"palabre/internal/metrics/metricstest"
	"palabre/internal/model"
	"palabre/internal/report"
	"palabre/internal/sla"
	"palabre/internal/store"
	"palabre/internal/testutil"
	"palabre/internal/testutil/pdftest"
)

// seed stores two months of a workspace open Monday to Friday, 9:00 to
// 18:00 in Paris. Worked out by hand, October 2026 has:
//   - 5 messages from the community, 2 replies, 4 conversations;
//   - first replies of 1 h 30 (Thursday 10:00 → 11:30) and 2 h (Friday
//     17:00 → Monday 10:00: one hour each side of the weekend), so a
//     median of 1 h 30 and a 90th percentile of 2 h;
//   - sentiment 2 positive, 2 neutral, 1 negative: 40% and 20%;
//   - 3 members, 2 of them new (Marie wrote in September), Marie turned
//     around (negative, answered, then positive).
//
// September has 1 message, answered in 4 h.
func seed(t *testing.T, st *store.Store, name string) model.Workspace {
	t.Helper()
	ctx := context.Background()
	ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "lumiere", Name: name, Language: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetSLASettings(ctx, ws.ID, sla.Settings{Calendar: metricstest.Calendar()}, "test"); err != nil {
		t.Fatal(err)
	}
	type msg struct {
		conv, at, who, sentiment, intent, body string
	}
	msgs := []msg{
		{"s", "2026-09-15 10:00", "marie", "neu", "question", "Vos bougies tiennent-elles douze heures ?"},
		{"s", "2026-09-15 14:00", "", "", "", "Oui, douze heures environ."},
		{"a", "2026-10-01 10:00", "marie", "neg", "complaint", "Ma bougie est arrivée cassée, je suis déçue."},
		{"a", "2026-10-01 11:30", "", "", "", "Désolés ! Nous vous en envoyons une autre."},
		{"a", "2026-10-01 12:00", "marie", "pos", "praise", "Merci beaucoup, c'est parfait."},
		{"b", "2026-10-02 17:00", "paul", "neu", "question", "Livrez-vous en Belgique ?"},
		{"b", "2026-10-05 10:00", "", "", "", "Oui, en trois jours."},
		{"c", "2026-10-14 09:00", "lea", "neu", "question", "Quand revient le parfum figue ?"},
		{"d", "2026-10-20 15:00", "paul", "pos", "praise", "Reçu en Belgique, superbe emballage !"},
	}
	names := map[string]string{"marie": "Marie <b>Dupont</b>", "paul": "Paul", "lea": "Léa"}
	for _, m := range msgs {
		root := "https://blog.example/" + m.conv
		msg := model.Message{ExternalID: root + "#" + m.at, ConversationExternalID: root, Body: m.body,
			CreatedAt: testutil.Paris(t, m.at), Sentiment: m.sentiment, Intent: m.intent, Lang: "fr"}
		if m.who == "" {
			msg.AuthorName, msg.AuthorIsStaff = "Équipe", true
		} else {
			msg.AuthorName, msg.AuthorEmail = names[m.who], m.who+"@example.org"
		}
		if _, err := ingest.Import(ctx, st, ingest.FromMessages([]model.Message{msg}), ingest.Options{Workspace: ws, Channel: "blog"}); err != nil {
			t.Fatal(err)
		}
	}
	return ws
}

func TestBuild(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws := seed(t, st, "Maison test")
		now := testutil.Paris(t, "2026-11-02 08:00")
		d, err := report.Build(ctx, st, ws, "2026-10", i18n.English, now)
		if err != nil {
			t.Fatal(err)
		}
		if d.Period != "October 2026" || d.Title != "Community report" {
			t.Errorf("title %q, period %q", d.Title, d.Period)
		}
		row := func(tb report.Table, label string) []string {
			t.Helper()
			for _, r := range tb.Rows {
				if r[0] == label {
					return r
				}
			}
			t.Fatalf("no row %q in %q", label, tb.Caption)
			return nil
		}
		for label, want := range map[string][]string{
			"Messages from the community":          {"5", "1", "+4"},
			"Replies from the team":                {"2", "1", "+1"},
			"Conversations":                        {"4", "1", "+3"},
			"First reply, median (business hours)": {"1 h 30", "4 h", "-62%"}, // -62.5%, rounded half to even
			"First reply, 9 in 10 within":          {"2 h", "4 h", "-50%"},
			"Positive messages":                    {"40%", "0%", "+40 pts"},
			"Negative messages":                    {"20%", "0%", "+20 pts"},
		} {
			if got := row(d.Figures, label)[1:]; strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("%s: %q, want %q", label, got, want)
			}
		}
		for label, want := range map[string]string{"Members who wrote": "3", "New members": "2", "Returning members": "1",
			"Members turned around": "1", "Advocates": "0"} {
			if got := row(d.Relationship, label)[1]; got != want {
				t.Errorf("%s: %q, want %q", label, got, want)
			}
		}
		summary := strings.Join(d.Summary, " ")
		for _, want := range []string{"In October 2026, your community wrote 5 messages, in 4 conversations (1 message in September 2026).",
			"half of the first replies came within 1 h 30 in business hours", "40% of the messages were positive and 20% negative",
			"3 members took part, 2 of them for the first time; 1 turned from a negative to a positive tone"} {
			if !strings.Contains(summary, want) {
				t.Errorf("summary lacks %q:\n%s", want, summary)
			}
		}
		// The weeks of October, Monday to Sunday: 28 Sep, 5, 12, 19, 26 Oct.
		if c := d.Charts[0]; len(c.Labels) != 5 || c.Labels[1] != "5 Oct 2026" || c.Series[0].Values[0] != 3 || c.Series[1].Values[0] != 1 {
			t.Errorf("volume chart %q %+v", c.Labels, c.Series)
		}
		if len(d.Highlights.Quotes) == 0 || !strings.Contains(d.Highlights.Quotes[0].By, ", ") {
			t.Errorf("highlights %+v", d.Highlights)
		}
		french, err := report.Build(ctx, st, ws, "2026-10", i18n.French, now)
		if err != nil {
			t.Fatal(err)
		}
		if french.Period != "octobre 2026" || !strings.HasPrefix(french.Summary[0], "En octobre 2026, votre communauté a écrit 5 messages") {
			t.Errorf("French: %q %q", french.Period, french.Summary)
		}
	})
}

func TestBadMonth(t *testing.T) {
	t.Parallel()
	st := testutil.NewStore(t, store.EngineSQLite)
	ws := seed(t, st, "Maison")
	for _, m := range []string{"", "2026-13", "2026-1", "oct 2026", "2026-10-01"} {
		if _, err := report.Build(context.Background(), st, ws, m, i18n.English, time.Now()); !errors.Is(err, report.ErrBadMonth) {
			t.Errorf("month %q: %v, want ErrBadMonth", m, err)
		}
	}
	if err := report.Write(&bytes.Buffer{}, &report.Document{}, "docx", time.Now()); !errors.Is(err, report.ErrBadFormat) {
		t.Errorf("docx: %v", err)
	}
}

func TestLastMonth(t *testing.T) {
	t.Parallel()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip(err)
	}
	for _, tt := range []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), "2026-10"},
		{time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC), "2025-12"},
		// 23:30 UTC on 31 October is already 1 November in Paris.
		{time.Date(2026, 10, 31, 23, 30, 0, 0, time.UTC), "2026-10"},
		{time.Date(2026, 10, 31, 22, 30, 0, 0, time.UTC), "2026-09"},
	} {
		if got := report.LastMonth(tt.now, loc); got != tt.want {
			t.Errorf("LastMonth(%v) = %s, want %s", tt.now, got, tt.want)
		}
	}
}

func TestHTML(t *testing.T) {
	t.Parallel()
	st := testutil.NewStore(t, store.EngineSQLite)
	ws := seed(t, st, "Maison <i>test</i>")
	d, err := report.Build(context.Background(), st, ws, "2026-10", i18n.French, testutil.Paris(t, "2026-11-02 08:00"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := report.WriteHTML(&b, d); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{`<html lang="fr">`, "Rapport de communauté", "Maison &lt;i&gt;test&lt;/i&gt; · octobre 2026",
		"Chiffres clés", `<svg class="chart"`, `class="s-in"`, "1 h 30", "Marie &lt;b&gt;Dupont&lt;/b&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "<i>test") || strings.Contains(page, "<b>Dupont") {
		t.Error("names are not escaped")
	}
	if regexp.MustCompile(`(?i)<(script|link|img|iframe)\b|(src|href)\s*=|url\(`).MatchString(page) {
		t.Error("the page loads something from elsewhere")
	}
}

// TestPDF writes the report as a PDF and reads it as a reader would: its
// pages, its text, and its charts drawn in their colours.
func TestPDF(t *testing.T) {
	t.Parallel()
	st := testutil.NewStore(t, store.EngineSQLite)
	ws := seed(t, st, "Maison test")
	now := testutil.Paris(t, "2026-11-02 08:00")
	write := func(month string) string {
		t.Helper()
		d, err := report.Build(context.Background(), st, ws, month, i18n.French, now)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), report.FileName(d, "pdf"))
		var b bytes.Buffer
		if err := report.WritePDF(&b, d, now); err != nil {
			t.Fatal(err)
		}
		var again bytes.Buffer
		if err := report.WritePDF(&again, d, now); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b.Bytes(), again.Bytes()) {
			t.Error("the same report written twice differs")
		}
		if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	path := write("2026-10")
	n := pdftest.Pages(t, path)
	if n < 2 || n > 6 {
		t.Fatalf("%d pages", n)
	}
	if info := pdftest.Info(t, path); !strings.Contains(info, "Rapport de communauté · Maison test · octobre 2026") {
		t.Errorf("title not in the PDF's information:\n%s", info)
	}
	var text strings.Builder
	for p := 1; p <= n; p++ {
		text.WriteString(pdftest.Text(t, path, p))
	}
	// Spaces as pdftotext lays them out may differ from those written:
	// the text is compared without them.
	all := strings.Join(strings.Fields(text.String()), "")
	for _, want := range []string{"Rapport de communauté", "Maison test · octobre 2026", "Le mois en bref",
		"En octobre 2026, votre communauté a écrit 5 messages", "Première réponse, médiane (heures ouvrées) 1 h 30 4 h",
		"Messages reçus et envoyés, semaine par semaine", "Ma bougie est arrivée cassée", "Marie <b>Dupont</b>", "1/" + strconv.Itoa(n)} {
		if !strings.Contains(all, strings.Join(strings.Fields(want), "")) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, text.String())
		}
	}
	// The charts: bars of the community's messages (the accent) and of
	// negative messages, on whichever page they fell.
	colours := map[uint32]int{0x3046c5: 0, 0xa1261b: 0}
	for p := 1; p <= n; p++ {
		img := pdftest.Render(t, path, p, 50)
		for c := range colours {
			colours[c] += pdftest.Count(img, c)
		}
	}
	for c, px := range colours {
		if px < 200 {
			t.Errorf("%d pixels of %s: no chart drawn", px, pdftest.String(c))
		}
	}
	// A month nobody wrote in draws no bars (its legend's swatches only).
	empty := write("2026-07")
	px := 0
	for p := 1; p <= pdftest.Pages(t, empty); p++ {
		px += pdftest.Count(pdftest.Render(t, empty, p, 50), 0xa1261b)
	}
	if px > 60 {
		t.Errorf("an empty month: %d pixels of negative bars", px)
	}
}
