package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"palabre/internal/auth"
	"palabre/internal/httpx"
	"palabre/internal/model"
	"palabre/internal/store"
)

// ErrWrongPassword refuses a password change whose current password is
// wrong.
var ErrWrongPassword = errors.New("the current password is wrong")

// PasswordChange is a user's request to change their own password.
type PasswordChange struct {
	Current, New string
	// IP is the client's address (ClientIP): wrong current passwords
	// count against it and against the login, as failed sign-ins do.
	IP string
	// Secure makes the new session's cookie Secure (SecureRequest).
	Secure bool
}

// ChangePassword checks u's current password and sets the new one
// (hashed with params). Every session of u ends — whoever signed in with
// the old password is signed out, everywhere — and a new one opens for
// the caller, whose cookie is answered: the browser that changed the
// password stays signed in, under a session no one else has seen. API
// tokens are left alone: revoke them apart. A failure is ErrWrongPassword,
// a *ThrottledError, an error wrapping auth.ErrWeakPassword, or the
// store's.
func (a *Authenticator) ChangePassword(ctx context.Context, u model.User, c PasswordChange, params auth.Params) (*http.Cookie, error) {
	// A stolen session may not guess the password faster than a sign-in.
	ipKey, loginKey := "ip:"+c.IP, "login:"+auth.HashSecret(u.Login)
	if err := a.allow(ipKey, loginKey); err != nil {
		return nil, err
	}
	_, hash, err := a.accounts.UserCredentials(ctx, u.Login)
	if err != nil {
		return nil, fmt.Errorf("change the password of %s: %w", u.Login, err)
	}
	ok, _, err := auth.VerifyPassword(hash, c.Current)
	if err != nil {
		return nil, fmt.Errorf("change the password of %s: %w", u.Login, err)
	}
	if !ok {
		a.limiter.Fail(ipKey)
		a.limiter.Fail(loginKey)
		return nil, ErrWrongPassword
	}
	newHash, err := auth.HashPassword(c.New, params)
	if err != nil {
		return nil, err
	}
	if err := a.accounts.SetPasswordHash(ctx, u.ID, newHash, "user:"+u.Login); err != nil {
		return nil, fmt.Errorf("change the password of %s: %w", u.Login, err)
	}
	if _, err := a.accounts.DeleteUserSessions(ctx, u.ID, "user:"+u.Login); err != nil {
		return nil, fmt.Errorf("change the password of %s: close the sessions: %w", u.Login, err)
	}
	return a.openSession(ctx, u, c.Secure)
}

// changePassword sets the caller's password, ends all their sessions and
// opens a new one for them. It takes a session: an API token, which the
// password does not make, may not change it.
func (h *handler) changePassword(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r.Context())
	if p.token != nil {
		httpx.WriteProblem(w, http.StatusForbidden, "changing a password takes a session (POST /api/v1/login), not an API token")
		return
	}
	var req struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if err := decodeBody(w, r, 16<<10, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	cookie, err := h.authn.ChangePassword(r.Context(), p.user,
		PasswordChange{Current: req.Current, New: req.New, IP: ClientIP(r), Secure: SecureRequest(r)}, h.cfg.PasswordParams)
	switch {
	case errors.Is(err, ErrThrottled):
		w.Header().Set("Retry-After", RetryAfterSeconds(err))
		httpx.WriteProblem(w, http.StatusTooManyRequests, err.Error())
		return
	case errors.Is(err, ErrWrongPassword):
		httpx.WriteProblem(w, http.StatusForbidden, err.Error())
		return
	case errors.Is(err, auth.ErrWeakPassword):
		h.fail(w, r, unprocessable{fmt.Errorf("new password: %w", err)})
		return
	case errors.Is(err, store.ErrNotFound):
		httpx.WriteProblem(w, http.StatusUnauthorized, "the account is gone; sign in again")
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	http.SetCookie(w, cookie)
	h.respondMe(w, r, p.user, csrfToken(cookie.Value), &cookie.Expires)
}
