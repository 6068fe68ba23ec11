package console

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"palabre/internal/i18n"
)

// TestEverythingTranslated checks that every English text of the console
// — in its templates and in its Go code (v.P.T, p.T, v.P.N) — has its
// French translation.
func TestEverythingTranslated(t *testing.T) {
	var sources []string
	err := fs.WalkDir(files, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, p)
		sources = append(sources, string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if missing := i18n.Missing(sources...); len(missing) > 0 {
		t.Errorf("templates: %d texts without French: %q", len(missing), missing)
	}
	// Go code: P.T("…") and p.T("…") calls, turned into template calls
	// for Missing to read.
	call := regexp.MustCompile(`\b[pP]\.T\("((?:[^"\\]|\\.)*)"`)
	goFiles, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var calls []string
	for _, name := range goFiles {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range call.FindAllStringSubmatch(string(b), -1) {
			calls = append(calls, `{{t "`+m[1]+`"}}`)
		}
	}
	if len(calls) < 10 {
		t.Fatalf("found only %d translated texts in the Go code: the pattern is wrong", len(calls))
	}
	if missing := i18n.Missing(strings.Join(calls, "\n")); len(missing) > 0 {
		t.Errorf("Go code: %d texts without French: %q", len(missing), missing)
	}
}
