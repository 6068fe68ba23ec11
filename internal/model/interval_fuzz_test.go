package model

import (
	"fmt"
	"testing"
)

// FuzzParseInterval feeds ParseInterval working hours as users type them
// (the API's profiles, the CLI's --hours): it never panics, and what it
// accepts is a span within one day that reads back as it was written.
func FuzzParseInterval(f *testing.F) {
	for _, s := range []string{"09:00-12:30", "00:00-24:00", "24:00-24:00", "9:00-12:00", "12:00-09:00", "", "-", "09:60-10:00", "０9:00-10:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start, end, err := ParseInterval(s)
		if err != nil {
			if start != 0 || end != 0 {
				t.Fatalf("ParseInterval(%q) refused with %d-%d", s, start, end)
			}
			return
		}
		if start < 0 || end > 24*60 || start >= end {
			t.Fatalf("ParseInterval(%q) = %d-%d, not a span within a day", s, start, end)
		}
		if back := fmt.Sprintf("%02d:%02d-%02d:%02d", start/60, start%60, end/60, end%60); back != s {
			t.Fatalf("ParseInterval(%q) = %d-%d, which reads %q", s, start, end, back)
		}
	})
}
