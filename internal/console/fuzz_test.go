package console

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzLocalPath checks that a form's "back to" address never sends the
// browser to another site, whatever it says.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/inbox?view=mine", "//evil.example", "/\\evil", "https://evil.example/", "/a\r\nSet-Cookie: x", "", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got := localPath(p, "/fallback")
		if got == "/fallback" {
			return
		}
		if got != p || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.HasPrefix(got, "/\\") || strings.ContainsAny(got, "\r\n") {
			t.Fatalf("localPath(%q) = %q", p, got)
		}
		u, err := url.Parse(got)
		if err == nil && (u.Host != "" || u.Scheme != "") {
			t.Fatalf("localPath(%q) = %q reaches host %q", p, got, u.Host)
		}
	})
}

// FuzzInboxQuery checks that an inbox address read and written back reads
// the same: saved views and links keep their filters.
func FuzzInboxQuery(f *testing.F) {
	for _, s := range []string{"view=mine&sentiment=neg", "q=v%C3%A9lo+%C3%A9lectrique&cursor=abc", "view=&ws=velo&ws=banque", "%zz", "priority=9&tag=%00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		vals, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q := parseInboxQuery(vals)
		again, err := url.ParseQuery(q.Encode())
		if err != nil {
			t.Fatalf("Encode of %q is not a query: %q", raw, q.Encode())
		}
		q2 := parseInboxQuery(again)
		q.Cursor = ""
		if q2 != q {
			t.Fatalf("%q: read %+v, written and read again %+v", raw, q, q2)
		}
		if !strings.HasPrefix(q.With("status", "open"), "/inbox") {
			t.Fatalf("With leaves the inbox: %q", q.With("status", "open"))
		}
	})
}

// FuzzSnoozeUntil checks that a snooze choice is refused or lies ahead.
func FuzzSnoozeUntil(f *testing.F) {
	for _, s := range []string{"1h", "3h", "tomorrow", "monday", "2026-11-26T14:00", "-1h", "9999999h", "2000-01-01T00:00", ""} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, choice string) {
		until, err := snoozeUntil(choice, now, paris)
		if err == nil && !until.After(now) {
			t.Fatalf("snoozeUntil(%q) = %v, not after %v", choice, until, now)
		}
	})
}

func TestSnoozeUntil(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	wed := time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC) // a Wednesday, 23:00 in Paris
	for _, c := range []struct {
		choice string
		want   time.Time
	}{
		{"1h", wed.Add(time.Hour)},
		{"tomorrow", time.Date(2026, 11, 26, 9, 0, 0, 0, paris)},
		{"monday", time.Date(2026, 11, 30, 9, 0, 0, 0, paris)},
		{"2026-11-27T14:30", time.Date(2026, 11, 27, 14, 30, 0, 0, paris)},
	} {
		got, err := snoozeUntil(c.choice, wed, paris)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("snoozeUntil(%q) = %v, %v; want %v", c.choice, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "soon", "-2h", "2026-11-20T10:00"} {
		if _, err := snoozeUntil(bad, wed, paris); err == nil {
			t.Errorf("snoozeUntil(%q) accepted", bad)
		}
	}
}
