package store

import (
	"errors"
	"testing"
)

// FuzzDecodeCursor feeds decodeCursor the cursor query parameter of the
// conversations' list as clients send it: it never panics, refuses with
// ErrInvalid, and what it accepts encodes back to a cursor that decodes
// to the same position.
func FuzzDecodeCursor(f *testing.F) {
	for _, c := range []string{encodeCursor(1774747800000000, 42), encodeCursor(-1, 0), "", "Og", "MTox", "%%%", "MTox=", "MTp4", "eDox", "LTkyMjMzNzIwMzY4NTQ3NzU4MDg6MA"} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, c string) {
		last, id, err := decodeCursor(c)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("decodeCursor(%q): %v, not ErrInvalid", c, err)
			}
			return
		}
		l2, id2, err := decodeCursor(encodeCursor(last, id))
		if err != nil || l2 != last || id2 != id {
			t.Fatalf("decodeCursor(%q) = %d, %d; encoded again it decodes to %d, %d, %v", c, last, id, l2, id2, err)
		}
	})
}
