// Package connectortest holds what the connector packages' tests share:
// draining a Source, reading fixtures and fuzz seeds from testdata,
// comparing messages, and the checks that every reader of an XML format
// (wxr, feed) or every reader and writer of a line format (NDJSON, CSV)
// must pass. Only tests import it.
package connectortest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"palabre/internal/connector"
	"palabre/internal/model"
)

// ReadAll drains src and returns its records and the error that ended
// reading, nil at io.EOF. It fails t if src yields more than a million
// records, which no test input holds: the reader loops.
func ReadAll(t testing.TB, src connector.Source) ([]connector.Record, error) {
	t.Helper()
	return ReadAtMost(t, src, 1_000_000)
}

// ReadAtMost drains src like ReadAll but fails t after limit records, for
// an input that bounds how many it can hold. It also fails t when a fatal
// error is not sticky: the call after it must return the same error.
func ReadAtMost(t testing.TB, src connector.Source, limit int) ([]connector.Record, error) {
	t.Helper()
	var recs []connector.Record
	for range limit + 1 {
		rec, err := src.Next()
		if errors.Is(err, io.EOF) {
			return recs, nil
		}
		if err != nil {
			if _, again := src.Next(); again == nil || again.Error() != err.Error() {
				t.Fatalf("Next after error %q returned %v, want the same error", err, again)
			}
			return recs, err
		}
		recs = append(recs, rec)
	}
	t.Fatalf("more than %d records: the reader loops", limit)
	return nil, nil
}

// Drain reads src to its end, calling each with the number of records
// read so far after every record, and fails t on a bad record or a fatal
// error. It returns how many records it read. Tests that watch memory
// while a reader streams use it.
func Drain(t testing.TB, src connector.Source, each func(n int)) int {
	t.Helper()
	n := 0
	for {
		rec, err := src.Next()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil || rec.Err != nil {
			t.Fatal(err, rec.Err)
		}
		n++
		each(n)
	}
}

// Open opens the fixture testdata/name, closed when the test ends.
func Open(t testing.TB, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// ReadFile returns the content of the fixture testdata/name.
func ReadFile(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// SharedFixture returns the content of shared/data/name, the fixtures
// shared with the rest of the project, which live in the shared/ folder
// beside the repository. It skips the test when that folder is absent.
func SharedFixture(t testing.TB, name string) []byte {
	t.Helper()
	// Tests run in their package's folder, internal/connector/<name>.
	path := filepath.Join("..", "..", "..", "..", "shared", "data", name)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("shared fixture %s is absent; this test needs the shared/ folder beside the repository", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// AddFiles adds the content of every file matching the glob pattern to
// f's seed corpus, so that each fixture is also a starting point for the
// fuzzer.
func AddFiles(f *testing.F, pattern string) {
	f.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// ErrBroken is the error of the download that BrokenAt breaks off.
var ErrBroken = errors.New("connection reset")

// BrokenAt returns a reader of data that stops before the first occurrence
// of marker and then fails with ErrBroken, the way a broken download does.
func BrokenAt(t testing.TB, data []byte, marker string) io.Reader {
	t.Helper()
	cut := bytes.Index(data, []byte(marker))
	if cut < 0 {
		t.Fatalf("marker %q not in the data", marker)
	}
	return io.MultiReader(bytes.NewReader(data[:cut]), iotest.ErrReader(ErrBroken))
}

// SameMessage compares messages as the formats define equality: the same
// instant for created_at (exports do not keep the offset), every other
// field equal.
func SameMessage(a, b model.Message) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return false
	}
	a.CreatedAt, b.CreatedAt = time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}

// MustTime parses an RFC 3339 time, with or without a fraction.
func MustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// CheckErr fails t unless err contains want, or unless err is nil when
// want is "".
func CheckErr(t testing.TB, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("unexpected error %v", err)
	case want != "" && err == nil:
		t.Errorf("no error, want %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("error %q, want it to contain %q", err, want)
	}
}

// CheckGolden compares got with the golden file testdata/name. With
// PALABRE_UPDATE_GOLDEN set it first rewrites the file: check the diff
// before committing it.
func CheckGolden(t testing.TB, name string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	if os.Getenv("PALABRE_UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (set PALABRE_UPDATE_GOLDEN=1 to rewrite it after checking):\n got %s\nwant %s", golden, got, want)
	}
}

// FullMessage returns a valid message with every field of model.Message
// set, so that a field added to the model but forgotten by a reader or a
// writer fails the round trip. Each format's test then puts into its text
// fields the characters that format must escape.
func FullMessage(t testing.TB) model.Message {
	t.Helper()
	m := model.Message{
		Channel: "blog", ExternalID: "c-42", ParentExternalID: "c-41",
		ConversationExternalID: "p-1", Kind: "reply", Status: "pending",
		Title: "Re: livraison", AuthorName: "Zoé", AuthorHandle: "@zoe",
		AuthorEmail: "zoe@example.net", AuthorURL: "https://zoe.example.net/?a=1&b=2",
		AuthorIsStaff: true, MemberID: "mbr_5f2a",
		Body:      "Merci !",
		BodyHTML:  "<p>Merci&nbsp;!</p>",
		URL:       "https://example.org/?p=1#comment-42",
		CreatedAt: time.Date(2010, 9, 28, 10, 52, 0, 120_000_000, time.FixedZone("", 2*3600)),
		Lang:      "fr", LangConfidence: new(0.98), Sentiment: "pos", SentimentScore: new(0.75), Intent: "praise",
		NeedsResponse: new(false), NeedsResponseScore: new(0.125), Spam: new(false), SpamScore: new(0.002),
		Topics: []string{"livraison", "délai"},
	}
	v := reflect.ValueOf(m)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("FullMessage leaves %s unset; set it so the round trip covers it", v.Type().Field(i).Name)
		}
	}
	return m
}
