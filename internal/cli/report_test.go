package cli_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"palabre/internal/cli"
	"palabre/internal/testutil/pdftest"
)

// TestDemoReports writes the demo agency's sample client reports, as
// docs/reports shows them, and reads each PDF as its reader would: its
// page count, its text, and its charts in their colours.
func TestDemoReports(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, stdout, stderr := run(t, "", "demo", "--reports", dir, "--db", filepath.Join(dir, "demo.db"))
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	written := strings.Fields(stdout)
	if len(written) != 9 { // three brands, three formats
		t.Fatalf("wrote %q", written)
	}
	var pdfs []string
	for _, p := range written {
		st, err := os.Stat(p)
		if err != nil || st.Size() < 500 {
			t.Fatalf("%s: %v", p, err)
		}
		if strings.HasSuffix(p, ".pdf") {
			pdfs = append(pdfs, p)
		}
	}
	if !slices.ContainsFunc(pdfs, func(p string) bool { return strings.Contains(p, "maison-lumiere") }) {
		t.Fatalf("no report of Maison Lumière in %q", pdfs)
	}
	for _, path := range pdfs {
		n := pdftest.Pages(t, path)
		if n < 3 || n > 8 {
			t.Errorf("%s: %d pages", path, n)
		}
		text := ""
		for p := 1; p <= n; p++ {
			text += pdftest.Text(t, path, p)
		}
		flat := strings.Join(strings.Fields(text), " ")
		// Each in its brand's language: Vélo Atelier's is English.
		want := []string{"Rapport de communauté", "Le mois en bref", "Chiffres clés", "Messages de la communauté",
			"Semaine par semaine", "La relation avec la communauté", "Ce que la communauté a dit", "Comment ces chiffres sont calculés"}
		if strings.Contains(path, "velo-atelier") {
			want = []string{"Community report", "The month in brief", "Key figures", "Messages from the community",
				"Week by week", "The relationship with the community", "What the community said", "How these figures are counted"}
		}
		for _, want := range want {
			if !strings.Contains(flat, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
		// The charts: the community's messages in the accent colour,
		// the team's replies in green.
		accent, green := 0, 0
		for p := 1; p <= n; p++ {
			img := pdftest.Render(t, path, p, 50)
			accent += pdftest.Count(img, 0x3046c5)
			green += pdftest.Count(img, 0x17663a)
		}
		if accent < 300 || green < 300 {
			t.Errorf("%s: %d accent and %d green pixels: charts missing", path, accent, green)
		}
	}
}

func TestReportCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "p.db")
	if code, _, stderr := run(t, "", "import", "--db", db, "--workspace", "lumiere", writeFile(t, "in.ndjson",
		`{"external_id":"1","conversation_external_id":"c1","author_name":"Anne","body":"Bonjour ?","created_at":"2026-10-05T10:00:00Z"}`+"\n")); code != cli.ExitOK {
		t.Fatalf("import: %s", stderr)
	}
	out := filepath.Join(dir, "october.html")
	code, _, stderr := run(t, "", "report", "--db", db, "--workspace", "lumiere", "--month", "2026-10", "--lang", "en", "--out", out)
	if code != cli.ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(b), "<h1>Community report<small>lumiere · October 2026</small></h1>") {
		t.Fatalf("%s: %v\n%.600s", out, err, b)
	}
	code, csv, stderr := run(t, "", "report", "--db", db, "--workspace", "lumiere", "--month", "2026-10", "--format", "csv")
	if code != cli.ExitOK || !strings.Contains(csv, "2026-10-01") {
		t.Fatalf("csv: exit %d: %s\n%s", code, stderr, csv)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--month", "October"}, `--month: bad month: "October" is not a month written YYYY-MM`},
		{[]string{"--month", "2026-10", "--format", "docx"}, "--format: a report is written as pdf, html, csv"},
		{[]string{"--month", "2026-10", "--lang", "de"}, `--lang: "de" is not en or fr`},
	} {
		args := append([]string{"report", "--db", db, "--workspace", "lumiere"}, tt.args...)
		code, stdout, stderr := run(t, "", args...)
		if code != cli.ExitUsage || !strings.Contains(stderr, tt.want) || stdout != "" {
			t.Errorf("%q: exit %d, stderr %q, want %q", tt.args, code, stderr, tt.want)
		}
	}
	if code, _, stderr := run(t, "", "report", "--db", db, "--workspace", "nowhere", "--out", filepath.Join(dir, "x.pdf")); code == cli.ExitOK ||
		!strings.Contains(stderr, "nowhere") {
		t.Errorf("unknown workspace: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.pdf")); !os.IsNotExist(err) {
		t.Errorf("a failed report left a file: %v", err)
	}
}

// TestServeMailSettings refuses e-mail settings that cannot work before
// serving anything.
func TestServeMailSettings(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "p.db")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--mail-from", "palabre@agency.example"}, "--mail-from and --smtp-user need --smtp-addr"},
		{[]string{"--smtp-addr", "127.0.0.1:25", "--mail-from", "not an address"}, `--mail-from "not an address"`},
		{[]string{"--smtp-addr", "relay", "--mail-from", "palabre@agency.example"}, `SMTP address "relay" is not host:port`},
		{[]string{"--smtp-addr", "127.0.0.1:25", "--mail-from", "palabre@agency.example", "--smtp-tls", "maybe"}, `TLS mode "maybe"`},
	} {
		code, _, stderr := run(t, "", append([]string{"serve", "--db", db, "--addr", "127.0.0.1:0"}, tt.args...)...)
		if code != cli.ExitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%q: exit %d, %q; want %q", tt.args, code, stderr, tt.want)
		}
	}
}
