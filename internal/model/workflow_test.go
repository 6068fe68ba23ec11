package model

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMentions(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		body string
		want []string
	}{
		{"@lea et @Max, vous pouvez voir ? cc lea@example.com @nobody", []string{"lea", "max", "nobody"}},
		{"@lea.", []string{"lea"}},
		{"(@jean-pierre) et @jean_pierre", []string{"jean-pierre", "jean_pierre"}},
		{"@lea @LEA @lea", []string{"lea"}},
		{"mail: a@b.c, @ alone, @@x", []string{"x"}},
		{"", nil},
		{"@", nil},
		{"@é", nil},
	} {
		if got := Mentions(c.body); !slices.Equal(got, c.want) {
			t.Errorf("Mentions(%q) = %q, want %q", c.body, got, c.want)
		}
	}
}

func TestNormalizeTag(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"  VIP  Client ": "vip client", "Réclamation": "réclamation", "a\tb": "a b"} {
		if got, err := NormalizeTag(in); err != nil || got != want {
			t.Errorf("NormalizeTag(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "   ", "a,b", strings.Repeat("x", MaxTagLen+1), "\x00", string([]byte{0xff})} {
		if got, err := NormalizeTag(bad); err == nil {
			t.Errorf("NormalizeTag(%q) = %q, no error", bad, got)
		}
	}
}

// FuzzMentions checks that every mention found is a lower-case login
// written after an "@" in the body, found once.
func FuzzMentions(f *testing.F) {
	for _, s := range []string{"@lea et @Max", "a@b.c @x.", "@@@", "@lea.@max", "\xff@a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		got := Mentions(body)
		lower := strings.ToLower(body)
		for i, m := range got {
			if m == "" || strings.Trim(m, "abcdefghijklmnopqrstuvwxyz0123456789._-") != "" || !utf8.ValidString(m) {
				t.Fatalf("mention %q of %q is not a login", m, body)
			}
			if !strings.Contains(lower, "@"+m) {
				t.Fatalf("mention %q not in %q", m, body)
			}
			if slices.Contains(got[:i], m) {
				t.Fatalf("mention %q twice in %v", m, got)
			}
		}
	})
}
