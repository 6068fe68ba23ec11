package report

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"

	"palabre/internal/i18n"
)

//go:embed templates/report.html
var templates embed.FS

// page is the parsed HTML report. Parsing is cheap next to a report's
// queries, so each writing parses it: nothing is kept between calls.
func page() (*template.Template, error) {
	return template.ParseFS(templates, "templates/report.html")
}

// T translates a text of the page into the report's language.
func (d *Document) T(key string) string { return i18n.New(d.Lang).T(key) }

// WriteHTML writes the report as one HTML page holding everything it
// shows: its style and its charts are inline, so it reads offline, as an
// e-mail attachment or printed.
func WriteHTML(out io.Writer, d *Document) error {
	t, err := page()
	if err != nil {
		return fmt.Errorf("report page: %w", err)
	}
	if err := t.Execute(out, d); err != nil {
		return fmt.Errorf("write the report of %s for %s: %w", d.Workspace.Slug, d.Month, err)
	}
	return nil
}

// ContentSecurityPolicy is the policy to serve WriteHTML's page with: it
// loads nothing, runs nothing, and allows its one inline style sheet by
// its hash alone.
func ContentSecurityPolicy() (string, error) {
	b, err := templates.ReadFile("templates/report.html")
	if err != nil {
		return "", err
	}
	_, rest, ok := strings.Cut(string(b), "<style>")
	style, _, ok2 := strings.Cut(rest, "</style>")
	if !ok || !ok2 {
		return "", errors.New("report page: no style sheet")
	}
	sum := sha256.Sum256([]byte(style))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'", nil
}
