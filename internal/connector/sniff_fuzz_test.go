package connector_test

import (
	"path/filepath"
	"testing"

	"palabre/internal/connector"
	"palabre/internal/connector/connectortest"
)

// FuzzSniff checks that Sniff never panics and returns either a known
// format or an error, never both nor neither.
func FuzzSniff(f *testing.F) {
	connectortest.AddFiles(f, filepath.Join("testdata", "sniff", "*"))
	for _, s := range []string{"", "\uFEFF", "<", "<?xml", "<rss", "<!--", "{", "[", "a,external_id", "<?xml encoding='latin1'?>\xff<rss>"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		got, err := connector.Sniff(head)
		if err != nil {
			if got != "" {
				t.Fatalf("format %q with error %v", got, err)
			}
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		switch got {
		case connector.FormatWXR, connector.FormatRSS, connector.FormatAtom, connector.FormatNDJSON, connector.FormatCSV:
		default:
			t.Fatalf("unknown format %q without error", got)
		}
		if parsed, err := connector.ParseFormat(string(got)); err != nil || parsed != got {
			t.Fatalf("sniffed format %q does not parse back: %q, %v", got, parsed, err)
		}
	})
}
