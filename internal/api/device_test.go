package api

import (
	"encoding/base64"
	"strings"
	"testing"
)

// FuzzDeviceToken feeds checkDeviceToken device cookies as browsers (or
// attackers) send them: it never panics, accepts nothing for a login but
// what newDeviceToken made for that very login under that key, and always
// accepts what it made.
func FuzzDeviceToken(f *testing.F) {
	key := []byte("0123456789abcdef0123456789abcdef")
	// Made here as newDeviceToken makes one, but with a nonce of its own:
	// every fuzzing process must see the same cookie.
	nonce := "G3vzCtmsK09DT9c_M0SoxEaNMLfUfC4UCmbyJSgUUPE"
	made := nonce + "." + base64.RawURLEncoding.EncodeToString(deviceMAC(key, "lea", nonce))
	f.Add(made, "lea")
	f.Add(made, "LEA")
	f.Add(made, "lea\x00")
	f.Add(made[:44]+strings.Repeat("A", 43), "lea")
	f.Add(strings.Repeat(".", 87), "")
	f.Add("", "lea")
	f.Fuzz(func(t *testing.T, value, login string) {
		nonce, ok := checkDeviceToken(key, login, value)
		if ok != (value == made && login == "lea") {
			t.Fatalf("checkDeviceToken(%q, login %q) = %v", value, login, ok)
		}
		if ok && nonce != made[:43] {
			t.Fatalf("nonce %q, want %q", nonce, made[:43])
		}
		fresh, err := newDeviceToken(key, login)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := checkDeviceToken(key, login, fresh); !ok {
			t.Fatalf("a device cookie made for %q is refused: %q", login, fresh)
		}
		if _, ok := checkDeviceToken([]byte("another key"), login, fresh); ok {
			t.Fatalf("a device cookie made for %q is accepted under another key", login)
		}
	})
}
