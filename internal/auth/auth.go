// Package auth holds palabre's credentials logic: hashing and checking
// passwords, minting the secrets behind sessions and API tokens, and
// throttling login attempts. It is pure computation: nothing here touches
// the database or HTTP, so the store keeps only what this package returns
// (a PHC password string, a secret's hash) and the HTTP layer decides what
// a refusal looks like.
package auth

import "errors"

// Sentinel errors callers branch on with errors.Is.
var (
	// ErrWeakPassword wraps every refusal of a new password by policy; the
	// wrapping message says why, in words fit to show the user.
	ErrWeakPassword = errors.New("password refused")
	// ErrInvalidHash wraps every failure to read a stored password hash:
	// it means a corrupt or foreign row, never a wrong password.
	ErrInvalidHash = errors.New("invalid password hash")
)
