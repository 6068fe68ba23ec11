package auth

import (
	"encoding/base64"
	"strings"
	"testing"
)

// FuzzIsAPIToken feeds IsAPIToken what arrives in Authorization headers:
// it never panics, and accepts only the prefix followed by the canonical
// unpadded base64 of 32 bytes — one spelling per secret, so that a
// token's hash has one preimage a client can send.
func FuzzIsAPIToken(f *testing.F) {
	tok, _, err := NewAPIToken()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{tok, tok + "=", APITokenPrefix, "plb_" + strings.Repeat("A", 43), "plb_" + strings.Repeat("_", 43), "PLB_" + tok[4:], tok[:len(tok)-1] + "B", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !IsAPIToken(s) {
			return
		}
		rest, ok := strings.CutPrefix(s, APITokenPrefix)
		b, err := base64.RawURLEncoding.DecodeString(rest)
		if !ok || err != nil || len(b) != 32 || base64.RawURLEncoding.EncodeToString(b) != rest {
			t.Fatalf("IsAPIToken(%q) accepted a token that is not the prefix and 32 bytes in canonical base64", s)
		}
	})
}
