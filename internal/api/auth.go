package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"palabre/internal/auth"
	"palabre/internal/httpx"
	"palabre/internal/model"
	"palabre/internal/store"
)

// SessionCookie is the name of the cookie that carries a session secret.
const SessionCookie = "palabre_session"

// CSRFHeader carries, on every request that changes something under a
// session cookie, the CSRF token the login answered: a page of another site
// can make the browser send the cookie, not read the token.
const CSRFHeader = "X-CSRF-Token"

// SessionLifetime is how long a session lasts after login.
const SessionLifetime = 14 * 24 * time.Hour

// Accounts is what authentication needs of the store. *store.Store
// satisfies it.
type Accounts interface {
	UserCredentials(ctx context.Context, login string) (model.User, string, error)
	CreateSession(ctx context.Context, idHash string, userID int64, expiresAt time.Time) error
	SessionUser(ctx context.Context, idHash string, now time.Time) (model.User, time.Time, error)
	DeleteSession(ctx context.Context, idHash string) error
	DeleteUserSessions(ctx context.Context, userID int64, actor string) (int64, error)
	APITokenUser(ctx context.Context, secretHash string, now time.Time) (model.User, model.APIToken, error)
	SetPasswordHash(ctx context.Context, userID int64, passwordHash, actor string) error
	ServerKey(ctx context.Context, name string) ([]byte, error)
	Role(ctx context.Context, userID, workspaceID int64) (string, error)
	Memberships(ctx context.Context, userID int64) ([]model.Membership, error)
}

// principal is who a request acts for.
type principal struct {
	user  model.User
	token *model.APIToken // nil under a session
	csrf  string          // the session's CSRF token
}

type principalKey struct{}

func principalOf(ctx context.Context) *principal {
	p, _ := ctx.Value(principalKey{}).(*principal)
	return p
}

// access is what a route asks of the caller in a workspace.
type access int

const (
	accessRead   access = iota // see conversations, topics, analyses: owner, manager, cm, client
	accessNote                 // read and write internal notes: owner, manager, cm (and experts asked in)
	accessWork                 // act on them: owner, manager, cm
	accessManage               // change the workspace's settings: owner, manager
)

// allows reports whether role grants need in a whole workspace. Experts
// have no access to a whole workspace: they reach only the conversations
// they are asked into (see conversationFor).
func (need access) allows(role string) bool {
	switch role {
	case model.RoleOwner, model.RoleManager:
		return true
	case model.RoleCM:
		return need <= accessWork
	case model.RoleClient:
		return need == accessRead
	}
	return false
}

// SeesWorkspace reports whether a role lets its holder see a workspace and
// its conversations, as the API's routes decide: pages that list
// workspaces follow the same rule.
func SeesWorkspace(role string) bool { return accessRead.allows(role) }

// csrfToken derives a session's CSRF token from its secret; the server keeps
// only the secret's hash, and the token is worthless without the cookie.
func csrfToken(secret string) string { return auth.HashSecret("csrf:" + secret) }

// authenticate resolves the caller of every route but the public ones
// (login), answering 401 without credentials, and checks the CSRF token
// of session requests that change something. A request no route serves
// goes straight to its 404 or 405: the routes are public knowledge.
func (h *handler) authenticate(mux *http.ServeMux, table map[string]endpoint, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := mux.Handler(r)
		rt, ok := table[pattern]
		if ok && rt.public && rt.sameSite {
			if err := CheckOrigin(r); err != nil {
				httpx.WriteProblem(w, http.StatusForbidden, err.Error())
				return
			}
		}
		if !ok || rt.public {
			next.ServeHTTP(w, r)
			return
		}
		p, err := h.resolve(r)
		var unauth unauthenticated
		if errors.As(err, &unauth) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="palabre"`)
			httpx.WriteProblem(w, http.StatusUnauthorized, err.Error())
			return
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if p.token == nil && !safeMethod(r.Method) {
			got := r.Header.Get(CSRFHeader)
			if subtle.ConstantTimeCompare([]byte(got), []byte(p.csrf)) != 1 {
				httpx.WriteProblem(w, http.StatusForbidden,
					"a request that changes something under a session needs the "+CSRFHeader+" header the login answered")
				return
			}
			if err := CheckOrigin(r); err != nil {
				httpx.WriteProblem(w, http.StatusForbidden, err.Error())
				return
			}
		}
		if p.token != nil && !p.token.CanWrite && !safeMethod(r.Method) && !rt.readOnly {
			httpx.WriteProblem(w, http.StatusForbidden, "this API token is read-only")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// unauthenticated is a request without valid credentials: 401. Other
// errors of resolve are the server's.
type unauthenticated struct{ error }

func (u unauthenticated) Unwrap() error { return u.error }

var errNoCredentials = unauthenticated{errors.New(`sign in: POST /api/v1/login, or send "Authorization: Bearer plb_…" with an API token`)}

// resolve finds the caller from an API token or a session cookie.
func (h *handler) resolve(r *http.Request) (*principal, error) {
	if authz := r.Header.Get("Authorization"); authz != "" {
		scheme, token, ok := strings.Cut(authz, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || !auth.IsAPIToken(strings.TrimSpace(token)) {
			return nil, unauthenticated{errors.New(`the Authorization header must be "Bearer plb_…"`)}
		}
		u, t, err := h.accounts.APITokenUser(r.Context(), auth.HashSecret(strings.TrimSpace(token)), time.Now())
		if errors.Is(err, store.ErrNotFound) {
			return nil, unauthenticated{errors.New("unknown, revoked or expired API token")}
		}
		if err != nil {
			return nil, fmt.Errorf("resolve API token: %w", err)
		}
		return &principal{user: u, token: &t}, nil
	}
	u, err := h.authn.SessionUser(r)
	if err != nil {
		return nil, err
	}
	c, _ := r.Cookie(SessionCookie)
	return &principal{user: u, csrf: csrfToken(c.Value)}, nil
}

// authorize checks that the caller may act on the workspace as need asks.
// A workspace the caller has no part in does not exist for them: 404, as
// for a workspace that does not exist at all.
func (h *handler) authorize(ctx context.Context, ws model.Workspace, need access) error {
	role, err := h.roleIn(ctx, ws)
	if err != nil {
		return err
	}
	return checkRole(ws, role, need)
}

// checkRole checks that role grants need in ws: 404 when the role does not
// even see the workspace, 403 when it sees it but may not do this.
func checkRole(ws model.Workspace, role string, need access) error {
	if !access(accessRead).allows(role) {
		return fmt.Errorf("workspace %q: %w", ws.Slug, store.ErrNotFound)
	}
	if !need.allows(role) {
		return forbidden{fmt.Errorf("your role in %s (%s) does not allow this", ws.Slug, role)}
	}
	return nil
}

// roleIn is the caller's role in the workspace — an administrator's is
// owner — or a not-found error when they have none, or their token does
// not reach it.
func (h *handler) roleIn(ctx context.Context, ws model.Workspace) (string, error) {
	p := principalOf(ctx)
	notFound := fmt.Errorf("workspace %q: %w", ws.Slug, store.ErrNotFound)
	if p == nil {
		return "", notFound
	}
	if p.token != nil && len(p.token.Workspaces) > 0 && !slices.Contains(p.token.Workspaces, ws.ID) {
		return "", notFound
	}
	if p.user.IsAdmin {
		return model.RoleOwner, nil
	}
	role, err := h.accounts.Role(ctx, p.user.ID, ws.ID)
	if errors.Is(err, store.ErrNotFound) {
		return "", notFound
	}
	return role, err
}

// forbidden marks a refusal to a caller who may see the workspace: 403.
type forbidden struct{ error }

func (f forbidden) Unwrap() error { return f.error }

// visible filters workspaces down to those the caller may see.
func (h *handler) visible(ctx context.Context, all []model.Workspace) ([]model.Workspace, error) {
	var out []model.Workspace
	for _, ws := range all {
		err := h.authorize(ctx, ws, accessRead)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ws)
	}
	return out, nil
}

type loginRequest struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

type meResponse struct {
	User        model.User         `json:"user"`
	Memberships []model.Membership `json:"memberships"`
	CSRFToken   string             `json:"csrf_token,omitempty"`
	Expires     *time.Time         `json:"expires_at,omitempty"`
}

// Authenticator signs users in: it checks passwords, throttles failures
// per client address and per login, and opens sessions. The API's login
// and the sign-in page share one, so that they share its throttling. It
// is safe for concurrent use.
//
// A browser that once signed in as a login holds a device cookie for it
// (see DeviceCookie): its sign-ins as that login are throttled by that
// cookie rather than by the login, so that whoever guesses at an account
// from elsewhere locks out unknown devices only, never its owner's.
type Authenticator struct {
	accounts Accounts
	limiter  *auth.Limiter
	logger   *slog.Logger

	keyMu     sync.Mutex
	deviceKey []byte // nil until first read from the store
}

// NewAuthenticator returns an Authenticator over accounts.
func NewAuthenticator(accounts Accounts, logger *slog.Logger) *Authenticator {
	return &Authenticator{accounts: accounts, limiter: auth.NewLimiter(loginAttempts, loginWindow, nil), logger: logger}
}

// Sign-in failures.
var (
	ErrWrongCredentials = errors.New("wrong login or password")
	ErrThrottled        = errors.New("too many failed sign-ins; try again later")
)

// ThrottledError is a sign-in refused before any password was checked,
// because of too many recent failures; it wraps ErrThrottled.
type ThrottledError struct {
	// RetryAfter is how long until an attempt may be made again.
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string { return ErrThrottled.Error() }
func (e *ThrottledError) Unwrap() error { return ErrThrottled }

// RetryAfterSeconds is the value of a Retry-After header for a throttled
// sign-in: the seconds until one may be made, rounded up, at least 1.
// Anything but a ThrottledError gives the whole window.
func RetryAfterSeconds(err error) string {
	var t *ThrottledError
	if !errors.As(err, &t) {
		return strconv.Itoa(int(loginWindow.Seconds()))
	}
	return strconv.Itoa(max(1, int((t.RetryAfter+time.Second-1)/time.Second)))
}

// SignInAttempt is one try at signing in, as a client made it.
type SignInAttempt struct {
	Login, Password string
	// IP is the client's address (ClientIP), throttled whatever else.
	IP string
	// Device is the value of the DeviceCookie the client sent, or "".
	Device string
	// Secure makes the cookies set Secure (SecureRequest).
	Secure bool
}

// SignedIn is a successful sign-in: the user, their new session's cookie
// and a new device cookie, both to set.
type SignedIn struct {
	User    model.User
	Session *http.Cookie
	Device  *http.Cookie
}

// SignIn checks a login and password and opens a session. A failure is
// ErrWrongCredentials (whether or not the login exists, in the same time),
// a *ThrottledError, or the store's error.
//
// Failures count against the client's address and against the login —
// or, when the client shows a valid device cookie of that login, against
// that cookie instead: such a client is not refused because others fail
// at the same login, only when it fails too often itself.
func (a *Authenticator) SignIn(ctx context.Context, at SignInAttempt) (SignedIn, error) {
	login := strings.ToLower(strings.TrimSpace(at.Login))
	key, err := a.key(ctx)
	if err != nil {
		return SignedIn{}, err
	}
	ipKey := "ip:" + at.IP
	// The limiter holds its keys in memory: a hash bounds what a long
	// login, sent by many addresses, can make it hold.
	accountKey := "login:" + auth.HashSecret(login)
	if nonce, ok := checkDeviceToken(key, login, at.Device); ok {
		accountKey = "device:" + nonce
	}
	if err := a.allow(ipKey, accountKey); err != nil {
		return SignedIn{}, err
	}
	u, hash, err := a.accounts.UserCredentials(ctx, login)
	ok := false
	switch {
	case err == nil:
		ok, _, err = auth.VerifyPassword(hash, at.Password)
		if err != nil {
			a.logger.ErrorContext(ctx, "stored password hash unreadable", "user", u.Login, "error", err)
			ok = false
		}
	case errors.Is(err, store.ErrNotFound):
		auth.DummyVerify(at.Password)
	default:
		return SignedIn{}, err
	}
	if !ok {
		a.limiter.Fail(ipKey)
		a.limiter.Fail(accountKey)
		return SignedIn{}, ErrWrongCredentials
	}
	// Only what this client was throttled by is forgiven: signing in with
	// a device cookie leaves the login's count to whoever is guessing.
	a.limiter.Reset(accountKey)
	session, err := a.openSession(ctx, u, at.Secure)
	if err != nil {
		return SignedIn{}, err
	}
	device, err := newDeviceToken(key, login)
	if err != nil {
		return SignedIn{}, err
	}
	return SignedIn{User: u, Session: session, Device: &http.Cookie{
		Name: DeviceCookie, Value: device, Path: "/", Expires: time.Now().Add(DeviceLifetime),
		HttpOnly: true, Secure: at.Secure, SameSite: http.SameSiteLaxMode,
	}}, nil
}

// allow refuses an attempt when any of keys has failed too often, saying
// how long until every one of them allows it again.
func (a *Authenticator) allow(keys ...string) error {
	var wait time.Duration
	for _, k := range keys {
		if ok, retry := a.limiter.Allow(k); !ok {
			wait = max(wait, retry)
		}
	}
	if wait > 0 {
		return &ThrottledError{RetryAfter: wait}
	}
	return nil
}

// openSession opens a new session for u and answers its cookie.
func (a *Authenticator) openSession(ctx context.Context, u model.User, secure bool) (*http.Cookie, error) {
	secret, err := auth.NewSecret()
	if err != nil {
		return nil, err
	}
	expires := time.Now().Add(SessionLifetime)
	if err := a.accounts.CreateSession(ctx, auth.HashSecret(secret), u.ID, expires); err != nil {
		return nil, fmt.Errorf("open a session for %s: %w", u.Login, err)
	}
	return &http.Cookie{
		Name: SessionCookie, Value: secret, Path: "/", Expires: expires,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	}, nil
}

// key is the server key device cookies are signed with, read from the
// store once (and again after a failure).
func (a *Authenticator) key(ctx context.Context) ([]byte, error) {
	a.keyMu.Lock()
	defer a.keyMu.Unlock()
	if a.deviceKey == nil {
		k, err := a.accounts.ServerKey(ctx, deviceKeyName)
		if err != nil {
			return nil, fmt.Errorf("sign in: %w", err)
		}
		a.deviceKey = k
	}
	return a.deviceKey, nil
}

// SessionUser returns the user of a request's session cookie.
func (a *Authenticator) SessionUser(r *http.Request) (model.User, error) {
	u, _, err := a.Session(r)
	return u, err
}

// Session returns the user of a request's session cookie and the
// session's CSRF token, which pages put in their forms and scripts send
// back in the X-CSRF-Token header.
func (a *Authenticator) Session(r *http.Request) (model.User, string, error) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return model.User{}, "", errNoCredentials
	}
	u, _, err := a.accounts.SessionUser(r.Context(), auth.HashSecret(c.Value), time.Now())
	if errors.Is(err, store.ErrNotFound) {
		return model.User{}, "", unauthenticated{errors.New("the session has ended; sign in again")}
	}
	if err != nil {
		return model.User{}, "", err
	}
	return u, csrfToken(c.Value), nil
}

// IsUnauthenticated reports whether err means the request carries no valid
// credentials, rather than that the server failed.
func IsUnauthenticated(err error) bool {
	var u unauthenticated
	return errors.As(err, &u)
}

// SecureRequest reports whether a request reached palabre over HTTPS,
// directly or through a proxy that says so: the cookies it sets must
// then be Secure.
func SecureRequest(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

// login checks a login and password, opens a session and sets its cookie.
func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := decodeBody(w, r, 16<<10, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	in, err := h.authn.SignIn(r.Context(), SignInAttempt{Login: req.Login, Password: req.Password,
		IP: ClientIP(r), Device: DeviceOf(r), Secure: SecureRequest(r)})
	switch {
	case errors.Is(err, ErrThrottled):
		w.Header().Set("Retry-After", RetryAfterSeconds(err))
		httpx.WriteProblem(w, http.StatusTooManyRequests, err.Error())
		return
	case errors.Is(err, ErrWrongCredentials):
		w.Header().Set("WWW-Authenticate", `Bearer realm="palabre"`)
		httpx.WriteProblem(w, http.StatusUnauthorized, err.Error())
		return
	case err != nil:
		h.fail(w, r, err)
		return
	}
	http.SetCookie(w, in.Session)
	http.SetCookie(w, in.Device)
	h.respondMe(w, r, in.User, csrfToken(in.Session.Value), &in.Session.Expires)
}

// logout ends the current session (a token stays valid: revoke it).
func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" && principalOf(r.Context()).token == nil {
		if err := h.accounts.DeleteSession(r.Context(), auth.HashSecret(c.Value)); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	w.WriteHeader(http.StatusNoContent)
}

// logoutEverywhere ends every session of the caller.
func (h *handler) logoutEverywhere(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r.Context())
	if _, err := h.accounts.DeleteUserSessions(r.Context(), p.user.ID, "user:"+p.user.Login); err != nil {
		h.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	w.WriteHeader(http.StatusNoContent)
}

// me answers who the caller is and their roles.
func (h *handler) me(w http.ResponseWriter, r *http.Request) {
	p := principalOf(r.Context())
	h.respondMe(w, r, p.user, p.csrf, nil)
}

func (h *handler) respondMe(w http.ResponseWriter, r *http.Request, u model.User, csrf string, expires *time.Time) {
	ms, err := h.accounts.Memberships(r.Context(), u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, meResponse{User: u, Memberships: nonNil(ms), CSRFToken: csrf, Expires: expires})
}

// ClientIP is the address a request came from, for throttling. Headers a
// proxy may set are not trusted: palabre does not know its proxies.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
