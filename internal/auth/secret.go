package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// APITokenPrefix starts every API token, so that a token pasted into a
// log, an issue or a repository is recognisable at a glance and by secret
// scanners, and can be revoked.
const APITokenPrefix = "plb_"

// secretBytes is the entropy of a secret: 256 bits, beyond any guessing.
const secretBytes = 32

// NewSecret returns a fresh random secret for a session cookie or an API
// token: 32 bytes from crypto/rand, as 43 characters of unpadded URL-safe
// base64. Give it to the client once and store only HashSecret of it.
func NewSecret() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: new secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashSecret returns the hex SHA-256 of secret: what the database stores
// and looks sessions and tokens up by, so that a leaked database holds no
// usable credential. Unlike a password, a secret from NewSecret carries
// 256 random bits, so no salt or slow KDF is needed: nothing can be
// guessed faster than the hash can be inverted, and a fast hash keeps
// every authenticated request cheap.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NewAPIToken returns a new API token, APITokenPrefix followed by a
// NewSecret, and the HashSecret of the whole token to store.
func NewAPIToken() (token, hash string, err error) {
	secret, err := NewSecret()
	if err != nil {
		return "", "", err
	}
	token = APITokenPrefix + secret
	return token, HashSecret(token), nil
}

// IsAPIToken reports whether s has the shape of a token from NewAPIToken:
// the prefix and exactly a secret's worth of canonical base64. It says
// nothing of whether the token exists; that takes a lookup by HashSecret.
func IsAPIToken(s string) bool {
	rest, ok := strings.CutPrefix(s, APITokenPrefix)
	if !ok || len(rest) != base64.RawURLEncoding.EncodedLen(secretBytes) {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(rest)
	return err == nil && len(b) == secretBytes
}
