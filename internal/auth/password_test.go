package auth

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
)

// fastParams keep tests quick; they are far below DefaultParams.
func fastParams() Params { return Params{Memory: 64, Time: 1, Threads: 1} }

func mustHash(t testing.TB, password string, p Params) string {
	t.Helper()
	h, err := HashPassword(password, p)
	if err != nil {
		t.Fatalf("HashPassword(%q): %v", password, err)
	}
	return h
}

// withField returns encoded with its i-th "$"-separated field replaced.
func withField(encoded string, i int, value string) string {
	fields := strings.Split(encoded, "$")
	fields[i] = value
	return strings.Join(fields, "$")
}

// flipFirst changes the first character of a base64 field, which keeps it
// canonical (all six bits of the first character are used).
func flipFirst(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

func TestHashVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	for _, password := range []string{
		"correct horse battery staple",
		"motdepasse", // exactly 10 characters
		"éééééééééé", // 10 characters, 20 bytes
		"密码密码密码密码密码", // 10 characters, 30 bytes
		"Ünïcødé pass phrase 🔑",
		strings.Repeat("a", maxPasswordBytes),
	} {
		t.Run(fmt.Sprintf("%.12s", password), func(t *testing.T) {
			t.Parallel()
			h := mustHash(t, password, fastParams())
			if want := "$argon2id$v=19$m=64,t=1,p=1$"; !strings.HasPrefix(h, want) {
				t.Fatalf("hash %q does not start with %q", h, want)
			}
			d, err := decodeHash(h)
			if err != nil {
				t.Fatalf("decodeHash(%q): %v", h, err)
			}
			if len(d.salt) != saltLen || len(d.key) != keyLen {
				t.Errorf("salt %d bytes, key %d bytes; want %d and %d", len(d.salt), len(d.key), saltLen, keyLen)
			}
			if ok, _, err := VerifyPassword(h, password); !ok || err != nil {
				t.Errorf("VerifyPassword(right password) = %v, %v; want true, nil", ok, err)
			}
			for _, wrong := range []string{"", password + "x", password[:len(password)-1], strings.ToUpper(password) + "!"} {
				if ok, rehash, err := VerifyPassword(h, wrong); ok || rehash || err != nil {
					t.Errorf("VerifyPassword(%.20q) = %v, %v, %v; want false, false, nil", wrong, ok, rehash, err)
				}
			}
			if again := mustHash(t, password, fastParams()); again == h {
				t.Errorf("two hashes of the same password are equal: the salt is not random")
			}
		})
	}
}

// TestReferenceVectors checks interoperability with the argon2 reference
// implementation (phc-winner-argon2's test vectors, password "password",
// salt "somesalt").
func TestReferenceVectors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ password, encoded string }{
		{"password", "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"},
		{"password", "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc"},
		{"password", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"},
		{"differentpassword", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$C4TWUs9rDEvq7w3+J4umqA32aWKB1+DSiRuBfYxFj94"},
	} {
		ok, rehash, err := VerifyPassword(tc.encoded, tc.password)
		// An 8-byte salt is below what palabre makes, hence the rehash.
		if !ok || !rehash || err != nil {
			t.Errorf("VerifyPassword(%q, %q) = %v, %v, %v; want true, true, nil", tc.encoded, tc.password, ok, rehash, err)
		}
		if ok, _, err := VerifyPassword(tc.encoded, tc.password+"1"); ok || err != nil {
			t.Errorf("VerifyPassword(%q, wrong) = %v, %v; want false, nil", tc.encoded, ok, err)
		}
	}
	// And the encoder spells a hash the way the reference does.
	salt := []byte("somesalt")
	key := argon2.IDKey([]byte("password"), salt, 2, 256, 1, 32)
	want := "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"
	if got := encodeHash(Params{Memory: 256, Time: 2, Threads: 1}, salt, key); got != want {
		t.Errorf("encodeHash = %q, want %q", got, want)
	}
}

// TestVerifyTampered changes one part of a valid hash at a time: each
// change still parses, and none may verify.
func TestVerifyTampered(t *testing.T) {
	t.Parallel()
	const password = "correct horse battery"
	h := mustHash(t, password, fastParams())
	fields := strings.Split(h, "$") // "", alg, version, params, salt, key
	for _, tc := range []struct{ name, encoded string }{
		{"hash", withField(h, 5, flipFirst(fields[5]))},
		{"truncated hash", withField(h, 5, fields[5][:32])},
		{"salt", withField(h, 4, flipFirst(fields[4]))},
		{"memory", withField(h, 3, "m=72,t=1,p=1")},
		{"time", withField(h, 3, "m=64,t=2,p=1")},
		{"threads", withField(h, 3, "m=64,t=1,p=2")},
	} {
		if tc.encoded == h {
			t.Fatalf("%s: tampering changed nothing", tc.name)
		}
		if ok, rehash, err := VerifyPassword(tc.encoded, password); ok || rehash || err != nil {
			t.Errorf("tampered %s %q: got %v, %v, %v; want false, false, nil", tc.name, tc.encoded, ok, rehash, err)
		}
	}
	if ok, _, err := VerifyPassword(h, password); !ok || err != nil {
		t.Fatalf("the untampered hash does not verify: %v, %v", ok, err)
	}
}

func TestVerifyRefusesMalformed(t *testing.T) {
	t.Parallel()
	const password = "correct horse battery"
	h := mustHash(t, password, fastParams())
	fields := strings.Split(h, "$")
	salt, key := fields[4], fields[5]
	with := func(params, salt, key string) string {
		return "$argon2id$v=19$" + params + "$" + salt + "$" + key
	}
	b64 := func(n int) string { return strings.Repeat("A", (n*8+5)/6) } // n zero bytes
	for _, tc := range []struct{ name, encoded, why string }{
		{"empty", "", "not a PHC string"},
		{"plain text", "hunter2hunter2", "not a PHC string"},
		{"leading space", " " + h, "not a PHC string"},
		{"too long", h + strings.Repeat("A", 300), "longer than"},
		{"bcrypt", "$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", `algorithm "2b"`},
		{"argon2i", withField(h, 1, "argon2i"), `algorithm "argon2i"`},
		{"argon2d", withField(h, 1, "argon2d"), "algorithm"},
		{"upper case", withField(h, 1, "ARGON2ID"), "algorithm"},
		{"v=16", withField(h, 2, "v=16"), `version "v=16"`},
		{"v=019", withField(h, 2, "v=019"), "version"},
		{"no version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key, "4 fields"},
		{"trailing $", h + "$", "6 fields"},
		{"keyid", with("m=64,t=1,p=1,keyid=abc", salt, key), "not m=…,t=…,p=…"},
		{"two params", with("m=64,t=1", salt, key), "not m=…,t=…,p=…"},
		{"order", with("t=1,m=64,p=1", salt, key), "parameter 1 is not m="},
		{"leading zero", with("m=064,t=1,p=1", salt, key), "parameter 1"},
		{"plus sign", with("m=+64,t=1,p=1", salt, key), "parameter 1"},
		{"space", with("m=64, t=1,p=1", salt, key), "parameter 2"},
		{"empty value", with("m=64,t=,p=1", salt, key), "parameter 2"},
		{"negative", with("m=64,t=1,p=-1", salt, key), "parameter 3"},
		{"memory overflow", with("m=4294967296,t=1,p=1", salt, key), "out of range"},
		{"memory above 1 GiB", with("m=1048577,t=1,p=1", salt, key), "1 GiB"},
		{"memory below 8 KiB a thread", with("m=15,t=1,p=2", salt, key), "8 KiB per thread"},
		{"time 0", with("m=64,t=0,p=1", salt, key), "time 0"},
		{"time 101", with("m=64,t=101,p=1", salt, key), "time 101"},
		{"threads 0", with("m=64,t=1,p=0", salt, key), "threads"},
		{"threads 256", with("m=4096,t=1,p=256", salt, key), "threads 256"},
		{"empty salt", with("m=64,t=1,p=1", "", key), "salt of 0 bytes"},
		{"short salt", with("m=64,t=1,p=1", b64(7), key), "salt of 7 bytes"},
		{"long salt", with("m=64,t=1,p=1", b64(65), key), "salt of 65 bytes"},
		{"padded salt", with("m=64,t=1,p=1", salt+"==", key), "salt is not canonical"},
		{"URL-safe salt", with("m=64,t=1,p=1", "-_"+salt[2:], key), "salt is not canonical"},
		{"newline in salt", with("m=64,t=1,p=1", salt[:8]+"\n"+salt[8:], key), "salt is not canonical"},
		{"salt trailing bits", with("m=64,t=1,p=1", strings.Repeat("A", 21)+"B", key), "salt is not canonical"},
		{"short hash", with("m=64,t=1,p=1", salt, b64(15)), "hash of 15 bytes"},
		{"long hash", with("m=64,t=1,p=1", salt, b64(65)), "hash of 65 bytes"},
		{"trailing newline", h + "\n", "hash is not canonical"},
		{"hash trailing bits", with("m=64,t=1,p=1", salt, strings.Repeat("A", 42)+"B"), "hash is not canonical"},
	} {
		ok, rehash, err := VerifyPassword(tc.encoded, password)
		if ok || rehash || !errors.Is(err, ErrInvalidHash) {
			t.Errorf("%s: VerifyPassword(%q) = %v, %v, %v; want false, false, ErrInvalidHash", tc.name, tc.encoded, ok, rehash, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.why) {
			t.Errorf("%s: error %q does not say %q", tc.name, err, tc.why)
		}
	}
}

func TestHashPasswordRefusesWeak(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, password, why string }{
		{"empty", "", "shorter than 10 characters"},
		{"nine letters", "abcdefghi", "shorter than 10 characters"},
		{"nine characters in 18 bytes", "ééééééééé", "shorter than 10 characters"},
		{"too long", strings.Repeat("a", maxPasswordBytes+1), "longer than 1024 bytes"},
		{"too long in characters", strings.Repeat("é", maxPasswordBytes/2+1), "longer than 1024 bytes"},
		{"NUL", "correct\x00horse battery", "NUL"},
		{"invalid UTF-8", "correct horse \xff battery", "UTF-8"},
	} {
		h, err := HashPassword(tc.password, fastParams())
		if !errors.Is(err, ErrWeakPassword) || h != "" {
			t.Errorf("%s: HashPassword = %q, %v; want ErrWeakPassword", tc.name, h, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.why) {
			t.Errorf("%s: error %q does not say %q", tc.name, err, tc.why)
		}
	}
}

// TestHashPasswordRefusesBadParams: argon2 itself panics on zero time or
// threads, so these must be caught before.
func TestHashPasswordRefusesBadParams(t *testing.T) {
	t.Parallel()
	for _, p := range []Params{
		{},
		{Memory: 64, Time: 0, Threads: 1},
		{Memory: 64, Time: 1, Threads: 0},
		{Memory: 64, Time: maxTime + 1, Threads: 1},
		{Memory: maxMemory + 1, Time: 1, Threads: 1},
		{Memory: 7, Time: 1, Threads: 1},
	} {
		h, err := HashPassword("correct horse battery", p)
		if err == nil || errors.Is(err, ErrWeakPassword) || h != "" {
			t.Errorf("HashPassword(%+v) = %q, %v; want a parameter error", p, h, err)
		}
	}
}

func TestRehash(t *testing.T) {
	t.Parallel()
	const password = "correct horse battery"
	d := DefaultParams()
	for _, tc := range []struct {
		name            string
		p               Params
		saltLen, keyLen int
		want            bool
	}{
		{"default", d, saltLen, keyLen, false},
		{"more threads", Params{Memory: d.Memory, Time: d.Time, Threads: 2}, saltLen, keyLen, false},
		{"more time", Params{Memory: d.Memory, Time: d.Time + 1, Threads: 1}, saltLen, keyLen, false},
		{"more memory", Params{Memory: d.Memory + 1024, Time: d.Time, Threads: 1}, saltLen, keyLen, false},
		{"less time", Params{Memory: d.Memory, Time: d.Time - 1, Threads: 1}, saltLen, keyLen, true},
		{"less memory", Params{Memory: d.Memory - 1024, Time: d.Time + 1, Threads: 1}, saltLen, keyLen, true},
		{"test params", fastParams(), saltLen, keyLen, true},
		{"short salt", d, 8, keyLen, true},
		{"short key", d, saltLen, 16, true},
	} {
		salt := make([]byte, tc.saltLen)
		key := argon2.IDKey([]byte(password), salt, tc.p.Time, tc.p.Memory, tc.p.Threads, uint32(tc.keyLen))
		ok, rehash, err := VerifyPassword(encodeHash(tc.p, salt, key), password)
		if !ok || err != nil || rehash != tc.want {
			t.Errorf("%s: VerifyPassword = %v, %v, %v; want true, %v, nil", tc.name, ok, rehash, err, tc.want)
		}
	}
}

// TestDefaultCost checks that a real hash and a real verification stay
// affordable for a login.
func TestDefaultCost(t *testing.T) {
	t.Parallel()
	const limit = 2 * time.Second
	start := time.Now()
	h := mustHash(t, "correct horse battery", DefaultParams())
	hashed := time.Since(start)
	if want := "$argon2id$v=19$m=19456,t=2,p=1$"; !strings.HasPrefix(h, want) {
		t.Fatalf("hash %q does not start with %q", h, want)
	}
	start = time.Now()
	ok, rehash, err := VerifyPassword(h, "correct horse battery")
	verified := time.Since(start)
	if !ok || rehash || err != nil {
		t.Fatalf("VerifyPassword = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	t.Logf("DefaultParams: hash %v, verify %v", hashed, verified)
	if hashed > limit || verified > limit {
		t.Errorf("hash took %v and verify %v; want both under %v", hashed, verified, limit)
	}
}

// TestDummyVerifyTiming checks, loosely, that an unknown login costs about
// what a known one does. The fastest of a few runs each tames the noise of
// a shared machine.
func TestDummyVerifyTiming(t *testing.T) {
	// Not parallel: it measures time.
	h := mustHash(t, "correct horse battery", DefaultParams())
	fastest := func(f func()) time.Duration {
		best := time.Duration(1<<63 - 1)
		for range 3 {
			start := time.Now()
			f()
			best = min(best, time.Since(start))
		}
		return best
	}
	known := fastest(func() { _, _, _ = VerifyPassword(h, "wrong password 123") })
	dummy := fastest(func() { DummyVerify("wrong password 123") })
	t.Logf("verify %v, dummy %v", known, dummy)
	if dummy*5 < known || known*5 < dummy {
		t.Errorf("DummyVerify took %v, a real verification %v; want within a factor of 5", dummy, known)
	}
}

func FuzzVerifyPassword(f *testing.F) {
	const password = "fuzz password 1234"
	h := mustHash(f, "another password", fastParams())
	fields := strings.Split(h, "$")
	for _, seed := range []string{
		h,
		withField(h, 2, "v=16"),
		withField(h, 1, "argon2i"),
		withField(h, 3, "m=8,t=1,p=1"),
		withField(h, 3, "m=2040,t=1,p=255"),
		withField(h, 4, fields[4]+"=="),
		"$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc",
		"$2b$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"", "$", "$$$$$", "$argon2id$v=19$m=,t=,p=$$",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, encoded string) {
		if d, err := decodeHash(encoded); err == nil && uint64(d.params.Memory)*uint64(d.params.Time) > 4096 {
			// Parsed fine; hashing it at such a cost would only slow fuzzing down.
			t.Skip()
		}
		ok, rehash, err := VerifyPassword(encoded, password)
		if ok {
			t.Fatalf("VerifyPassword(%q) verified", encoded)
		}
		if rehash {
			t.Fatalf("VerifyPassword(%q) asks for a rehash without a match", encoded)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidHash) {
				t.Fatalf("VerifyPassword(%q): error %v does not wrap ErrInvalidHash", encoded, err)
			}
			return
		}
		// Whatever is accepted has one spelling: the one encodeHash writes.
		d, _ := decodeHash(encoded)
		if again := encodeHash(d.params, d.salt, d.key); again != encoded {
			t.Fatalf("accepted %q, which encodes back as %q", encoded, again)
		}
	})
}
