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
	"strings"
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
type Authenticator struct {
	accounts Accounts
	limiter  *auth.Limiter
	logger   *slog.Logger
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

// SignIn checks login and password for a client at ip and opens a
// session. It answers the session cookie to set and the user. A failure
// is ErrWrongCredentials (whether or not the login exists, in the same
// time), ErrThrottled, or the store's error.
func (a *Authenticator) SignIn(ctx context.Context, login, password, ip string, secure bool) (*http.Cookie, model.User, error) {
	login = strings.ToLower(strings.TrimSpace(login))
	// The limiter holds its keys in memory: a hash bounds what a long
	// login, sent by many addresses, can make it hold.
	loginKey := "login:" + auth.HashSecret(login)
	for _, key := range []string{"ip:" + ip, loginKey} {
		if ok, _ := a.limiter.Allow(key); !ok {
			return nil, model.User{}, ErrThrottled
		}
	}
	u, hash, err := a.accounts.UserCredentials(ctx, login)
	ok := false
	switch {
	case err == nil:
		ok, _, err = auth.VerifyPassword(hash, password)
		if err != nil {
			a.logger.ErrorContext(ctx, "stored password hash unreadable", "user", u.Login, "error", err)
			ok = false
		}
	case errors.Is(err, store.ErrNotFound):
		auth.DummyVerify(password)
	default:
		return nil, model.User{}, err
	}
	if !ok {
		a.limiter.Fail("ip:" + ip)
		a.limiter.Fail(loginKey)
		return nil, model.User{}, ErrWrongCredentials
	}
	a.limiter.Reset(loginKey)
	secret, err := auth.NewSecret()
	if err != nil {
		return nil, model.User{}, err
	}
	expires := time.Now().Add(SessionLifetime)
	if err := a.accounts.CreateSession(ctx, auth.HashSecret(secret), u.ID, expires); err != nil {
		return nil, model.User{}, err
	}
	return &http.Cookie{
		Name: SessionCookie, Value: secret, Path: "/", Expires: expires,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	}, u, nil
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
	cookie, u, err := h.authn.SignIn(r.Context(), req.Login, req.Password, ClientIP(r), SecureRequest(r))
	switch {
	case errors.Is(err, ErrThrottled):
		w.Header().Set("Retry-After", fmt.Sprint(int(loginWindow.Seconds())))
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
	http.SetCookie(w, cookie)
	h.respondMe(w, r, u, csrfToken(cookie.Value), &cookie.Expires)
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
