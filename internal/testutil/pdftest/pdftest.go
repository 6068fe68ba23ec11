// Package pdftest reads PDF files in tests with Poppler's command-line
// tools (Debian's poppler-utils): how many pages, their text, and their
// pixels once rendered, so that a test checks a PDF as a reader sees it.
package pdftest

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// Packages are the Debian packages the tools come from.
const Packages = "poppler-utils"

// need finds the tools, or skips t, or fails it when PALABRE_REQUIRE_PDF
// is 1 (as scripts/test sets it), so that CI never counts a skip as a
// pass.
func need(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"pdfinfo", "pdftotext", "pdftoppm"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("PALABRE_REQUIRE_PDF") == "1" {
				t.Fatalf("%s not found: install %s", tool, Packages)
			}
			t.Skipf("%s not found (install %s to read PDFs in tests)", tool, Packages)
		}
	}
}

func run(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %q: %v: %s", name, args, err, stderr.Bytes())
	}
	return out
}

// Pages is the number of pages of the PDF at path.
func Pages(t testing.TB, path string) int {
	t.Helper()
	need(t)
	out := run(t, "pdfinfo", path)
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("pdfinfo %s: no page count in %s", path, out)
	}
	n, err := strconv.Atoi(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Info is what pdfinfo says of the PDF at path.
func Info(t testing.TB, path string) string {
	t.Helper()
	need(t)
	return string(run(t, "pdfinfo", path))
}

// Text is the text of one page (from 1) of the PDF at path, laid out as
// on the page.
func Text(t testing.TB, path string, page int) string {
	t.Helper()
	need(t)
	p := strconv.Itoa(page)
	return string(run(t, "pdftotext", "-layout", "-enc", "UTF-8", "-f", p, "-l", p, path, "-"))
}

// Render draws one page (from 1) of the PDF at path at dpi dots per inch.
func Render(t testing.TB, path string, page, dpi int) image.Image {
	t.Helper()
	need(t)
	dir := t.TempDir()
	p := strconv.Itoa(page)
	run(t, "pdftoppm", "-png", "-r", strconv.Itoa(dpi), "-f", p, "-l", p, "-singlefile", path, filepath.Join(dir, "page"))
	f, err := os.Open(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("page %d of %s: %v", page, path, err)
	}
	return img
}

// Count is how many pixels of img are the colour 0xRRGGBB, give or take
// a little for anti-aliasing.
func Count(img image.Image, colour uint32) int {
	want := [3]int{int(colour >> 16 & 0xff), int(colour >> 8 & 0xff), int(colour & 0xff)}
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			got := [3]int{int(r >> 8), int(g >> 8), int(bl >> 8)}
			if near(got, want) {
				n++
			}
		}
	}
	return n
}

func near(a, b [3]int) bool {
	for i := range a {
		if d := a[i] - b[i]; d > 6 || d < -6 {
			return false
		}
	}
	return true
}

// String names a colour for a test's message.
func String(colour uint32) string { return fmt.Sprintf("#%06x", colour) }
