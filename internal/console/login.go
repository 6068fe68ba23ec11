package console

import (
	"errors"
	"net/http"

	"palabre/internal/api"
	"palabre/internal/auth"
	"palabre/internal/i18n"
)

// loginCSRFCookie holds the sign-in form's CSRF token, which the form
// repeats: another site can post the form, not read the cookie.
const loginCSRFCookie = "palabre_login_csrf"

// loginData fills the sign-in page.
type loginData struct {
	CSRF, Login, Error, Next string
	NoUsers                  bool
}

// anonymous is the viewer of the sign-in page: only a language.
func anonymous(r *http.Request) *viewer {
	lang := i18n.Negotiate("", r.Header.Get("Accept-Language"))
	return &viewer{Lang: lang, P: i18n.New(lang)}
}

// loginForm answers the sign-in page.
func (c *Console) loginForm(w http.ResponseWriter, r *http.Request) {
	c.renderLogin(w, r, http.StatusOK, "", "")
}

func (c *Console) renderLogin(w http.ResponseWriter, r *http.Request, status int, login, problem string) {
	v := anonymous(r)
	token, err := auth.NewSecret()
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	n, err := c.store.CountUsers(r.Context())
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: token, Path: "/login", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: api.SecureRequest(r)})
	next := localPath(r.FormValue("next"), "")
	c.render(w, r, v, status, "login.html", &layoutData{Title: v.P.T("Sign in")},
		loginData{CSRF: token, Login: login, Error: problem, NoUsers: n == 0, Next: next})
}

// login signs in from the form and goes to the page asked for, or home.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	p := anonymous(r).P
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		c.renderLogin(w, r, http.StatusBadRequest, "", p.T("The form could not be read."))
		return
	}
	ck, err := r.Cookie(loginCSRFCookie)
	if err != nil || !sameToken(r.PostForm.Get("csrf"), ck.Value) {
		c.renderLogin(w, r, http.StatusForbidden, "", p.T("The form expired; please sign in again."))
		return
	}
	if api.CheckOrigin(r) != nil {
		c.renderLogin(w, r, http.StatusForbidden, "", p.T("This form was sent from another site; nothing was done."))
		return
	}
	login := r.PostForm.Get("login")
	in, err := c.authn.SignIn(r.Context(), api.SignInAttempt{Login: login, Password: r.PostForm.Get("password"),
		IP: api.ClientIP(r), Device: api.DeviceOf(r), Secure: api.SecureRequest(r)})
	switch {
	case errors.Is(err, api.ErrWrongCredentials):
		c.renderLogin(w, r, http.StatusUnauthorized, login, p.T("Wrong login or password."))
		return
	case errors.Is(err, api.ErrThrottled):
		w.Header().Set("Retry-After", api.RetryAfterSeconds(err))
		c.renderLogin(w, r, http.StatusTooManyRequests, login, p.T("Too many failed sign-ins; try again later."))
		return
	case err != nil:
		c.fail(w, r, anonymous(r), err)
		return
	}
	http.SetCookie(w, in.Session)
	http.SetCookie(w, in.Device)
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Path: "/login", MaxAge: -1})
	http.Redirect(w, r, localPath(r.PostForm.Get("next"), "/"), http.StatusSeeOther)
}

// logout ends the session (through the API, which clears the cookie) and
// goes back to the sign-in page.
func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	v, err := c.viewerOf(r)
	if err != nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil || !sameToken(r.PostForm.Get("csrf"), v.CSRF) {
		c.renderError(w, r, v, http.StatusForbidden, v.P.T("The form expired; please try again."))
		return
	}
	if api.CheckOrigin(r) != nil {
		c.renderError(w, r, v, http.StatusForbidden, v.P.T("This form was sent from another site; nothing was done."))
		return
	}
	a, err := c.callAPI(r, v, http.MethodPost, "/api/v1/logout", nil)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	for _, sc := range a.Header.Values("Set-Cookie") {
		w.Header().Add("Set-Cookie", sc)
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
