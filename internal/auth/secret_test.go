package auth

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestNewSecret(t *testing.T) {
	t.Parallel()
	const n = 1000
	seen := make(map[string]bool, n)
	for range n {
		s, err := NewSecret()
		if err != nil {
			t.Fatal(err)
		}
		if len(s) != 43 {
			t.Fatalf("secret %q has %d characters, want 43", s, len(s))
		}
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(b) != 32 {
			t.Fatalf("secret %q decodes to %d bytes, %v; want 32", s, len(b), err)
		}
		if seen[s] {
			t.Fatalf("secret %q came twice", s)
		}
		seen[s] = true
	}
}

func TestHashSecret(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ secret, want string }{
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	} {
		if got := HashSecret(tc.secret); got != tc.want {
			t.Errorf("HashSecret(%q) = %s, want %s", tc.secret, got, tc.want)
		}
	}
	s, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if first := HashSecret(s); HashSecret(strings.Clone(s)) != first {
		t.Errorf("HashSecret is not stable")
	}
	if HashSecret(s) == HashSecret(s+"x") {
		t.Errorf("HashSecret ignores a trailing character")
	}
}

func TestNewAPIToken(t *testing.T) {
	t.Parallel()
	seen := make(map[string]bool)
	for range 100 {
		token, hash, err := NewAPIToken()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(token, "plb_") || len(token) != len("plb_")+43 {
			t.Fatalf("token %q: want plb_ and 43 characters", token)
		}
		if !IsAPIToken(token) {
			t.Fatalf("IsAPIToken(%q) = false for a new token", token)
		}
		if hash != HashSecret(token) {
			t.Fatalf("hash %s is not HashSecret of the whole token", hash)
		}
		if seen[token] {
			t.Fatalf("token %q came twice", token)
		}
		seen[token] = true
	}
}

func TestIsAPIToken(t *testing.T) {
	t.Parallel()
	token, _, err := NewAPIToken()
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimPrefix(token, "plb_")
	zeros := strings.Repeat("A", 43) // 32 zero bytes
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{token, true},
		{"plb_" + zeros, true},
		{"", false},
		{"plb_", false},
		{secret, false},
		{"PLB_" + secret, false},
		{"plb-" + secret, false},
		{"Bearer " + token, false},
		{token + " ", false},
		{token[:len(token)-1], false},
		{token + "A", false},
		{"plb_" + zeros[:42] + "B", false}, // non-zero trailing bits
		{"plb_" + zeros[:42] + "=", false},
		{"plb_+" + zeros[1:], false}, // standard, not URL-safe, alphabet
		{"plb_" + zeros[:20] + "\n" + zeros[21:], false},
		{"plb_" + zeros + zeros, false},
	} {
		if got := IsAPIToken(tc.s); got != tc.want {
			t.Errorf("IsAPIToken(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}
