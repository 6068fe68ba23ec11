package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters. Raising them makes every login
// slower and every guess against a stolen database dearer.
type Params struct {
	Memory  uint32 // KiB of memory filled per hash
	Time    uint32 // passes over that memory
	Threads uint8  // lanes computed in parallel
}

// DefaultParams returns the cost new passwords are hashed at: OWASP's
// minimum for argon2id (19 MiB, 2 passes, 1 lane), which keeps a login
// around tens of milliseconds on a small server. VerifyPassword asks for
// a rehash of any stored password below it.
func DefaultParams() Params {
	return Params{Memory: 19 * 1024, Time: 2, Threads: 1}
}

// Password policy and encoding limits.
const (
	minPasswordRunes = 10
	maxPasswordBytes = 1024

	saltLen = 16 // bytes of salt in new hashes
	keyLen  = 32 // bytes of key in new hashes

	// Stored hashes may come from another tool, so other lengths are read,
	// within RFC 9106's minimums and a bound that keeps parsing cheap.
	minSaltLen, maxSaltLen = 8, 64
	minKeyLen, maxKeyLen   = 16, 64
	maxEncodedLen          = 256

	// Cost bounds beyond which a stored hash is taken for corruption or an
	// attempt to exhaust the server, not a real setting.
	maxMemory = 1 << 20 // KiB, 1 GiB
	maxTime   = 100
)

// HashPassword hashes password with argon2id at cost p and a fresh random
// salt, and returns it as a PHC string ready to store:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// A password shorter than 10 characters, longer than 1,024 bytes, not
// valid UTF-8 or containing NUL is refused with an error wrapping
// ErrWeakPassword whose message says why.
func HashPassword(password string, p Params) (string, error) {
	if err := checkPassword(password); err != nil {
		return "", err
	}
	if err := p.check(); err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	return encodeHash(p, salt, key), nil
}

// checkPassword applies the policy for new passwords. Length is counted in
// characters, not bytes, so that accented and non-Latin passwords are
// judged fairly; the byte cap keeps hashing cheap to reach.
func checkPassword(password string) error {
	switch {
	case len(password) > maxPasswordBytes:
		return fmt.Errorf("%w: longer than %d bytes", ErrWeakPassword, maxPasswordBytes)
	case !utf8.ValidString(password):
		return fmt.Errorf("%w: not valid UTF-8 text", ErrWeakPassword)
	case strings.IndexByte(password, 0) >= 0:
		return fmt.Errorf("%w: contains a NUL character", ErrWeakPassword)
	case utf8.RuneCountInString(password) < minPasswordRunes:
		return fmt.Errorf("%w: shorter than %d characters", ErrWeakPassword, minPasswordRunes)
	}
	return nil
}

// check refuses costs that argon2 cannot run (it panics on zero time or
// threads) or that no sane configuration would ask for.
func (p Params) check() error {
	switch {
	case p.Threads == 0:
		return errors.New("threads must be at least 1")
	case p.Time == 0 || p.Time > maxTime:
		return fmt.Errorf("time %d out of range 1 to %d", p.Time, maxTime)
	case p.Memory > maxMemory:
		return fmt.Errorf("memory %d KiB above the 1 GiB limit", p.Memory)
	case p.Memory < 8*uint32(p.Threads):
		return fmt.Errorf("memory %d KiB below 8 KiB per thread", p.Memory)
	}
	return nil
}

// VerifyPassword reports whether password matches encoded, a PHC string
// made by HashPassword (or by another argon2id v=19 implementation), and,
// when it does, whether the caller should store a new hash of it because
// the stored cost, salt or key is below what HashPassword makes now with
// DefaultParams. A wrong password is (false, false, nil); err, wrapping
// ErrInvalidHash, means encoded could not be read at all: another
// algorithm, another version, a malformed string or an absurd cost.
func VerifyPassword(encoded, password string) (ok, rehash bool, err error) {
	h, err := decodeHash(encoded)
	if err != nil {
		return false, false, err
	}
	key := argon2.IDKey([]byte(password), h.salt, h.params.Time, h.params.Memory, h.params.Threads, uint32(len(h.key)))
	if subtle.ConstantTimeCompare(key, h.key) != 1 {
		return false, false, nil
	}
	return true, h.weak(), nil
}

// DummyVerify spends the time of a VerifyPassword against a hash made with
// DefaultParams, and returns nothing. Call it when a login names no user,
// so that the response time does not tell whether the login exists.
func DummyVerify(password string) {
	// Only the cost matters: an all-zero salt and key are as slow as real ones.
	dummy := encodeHash(DefaultParams(), make([]byte, saltLen), make([]byte, keyLen))
	_, _, _ = VerifyPassword(dummy, password)
}

// phc is a decoded argon2id PHC string.
type phc struct {
	params    Params
	salt, key []byte
}

// weak reports whether h is below what HashPassword makes with
// DefaultParams. More threads at the same memory and time is not weaker.
func (h phc) weak() bool {
	d := DefaultParams()
	return h.params.Memory < d.Memory || h.params.Time < d.Time ||
		len(h.salt) < saltLen || len(h.key) < keyLen
}

// encodeHash writes the PHC string for an argon2id hash.
func encodeHash(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// decodeHash reads a PHC string strictly: exactly the form encodeHash
// writes, parameters in the order m, t, p with canonical decimals, and
// canonical unpadded base64, so that one hash has one spelling.
func decodeHash(encoded string) (phc, error) {
	bad := func(format string, args ...any) (phc, error) {
		return phc{}, fmt.Errorf("%w: "+format, append([]any{ErrInvalidHash}, args...)...)
	}
	if len(encoded) > maxEncodedLen {
		return bad("longer than %d bytes", maxEncodedLen)
	}
	rest, ok := strings.CutPrefix(encoded, "$")
	if !ok {
		return bad("not a PHC string (want $argon2id$v=19$m=…,t=…,p=…$salt$hash)")
	}
	fields := strings.Split(rest, "$")
	if fields[0] != "argon2id" {
		return bad("algorithm %.20q, want argon2id", fields[0])
	}
	if len(fields) != 5 {
		return bad("%d fields, want $argon2id$v=19$m=…,t=…,p=…$salt$hash", len(fields))
	}
	if want := "v=" + strconv.Itoa(argon2.Version); fields[1] != want {
		return bad("version %.20q, want %s", fields[1], want)
	}
	p, err := decodeParams(fields[2])
	if err != nil {
		return bad("%v", err)
	}
	salt, ok := decodeBase64(fields[3])
	if !ok {
		return bad("salt is not canonical unpadded base64")
	}
	if len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return bad("salt of %d bytes, want %d to %d", len(salt), minSaltLen, maxSaltLen)
	}
	key, ok := decodeBase64(fields[4])
	if !ok {
		return bad("hash is not canonical unpadded base64")
	}
	if len(key) < minKeyLen || len(key) > maxKeyLen {
		return bad("hash of %d bytes, want %d to %d", len(key), minKeyLen, maxKeyLen)
	}
	return phc{params: p, salt: salt, key: key}, nil
}

// decodeParams reads "m=…,t=…,p=…" and checks the costs.
func decodeParams(s string) (Params, error) {
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return Params{}, errors.New("parameters are not m=…,t=…,p=…")
	}
	var n [3]uint32
	for i, name := range []string{"m", "t", "p"} {
		digits, ok := strings.CutPrefix(fields[i], name+"=")
		if !ok || !canonicalDecimal(digits) {
			return Params{}, fmt.Errorf("parameter %d is not %s=<decimal>", i+1, name)
		}
		v, err := strconv.ParseUint(digits, 10, 32)
		if err != nil {
			return Params{}, fmt.Errorf("parameter %s out of range", name)
		}
		n[i] = uint32(v)
	}
	if n[2] > 255 {
		return Params{}, fmt.Errorf("threads %d above 255", n[2])
	}
	p := Params{Memory: n[0], Time: n[1], Threads: uint8(n[2])}
	return p, p.check()
}

// canonicalDecimal reports whether s is digits without a sign or a
// leading zero, so that "m=019456" is not another spelling of m=19456.
func canonicalDecimal(s string) bool {
	if s == "" || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// decodeBase64 decodes unpadded standard base64 and insists on the
// canonical spelling: the decoder alone would skip newlines and accept
// non-zero trailing bits.
func decodeBase64(s string) ([]byte, bool) {
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil || base64.RawStdEncoding.EncodeToString(b) != s {
		return nil, false
	}
	return b, true
}
