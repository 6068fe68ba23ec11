package console

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"palabre/internal/api"
	"palabre/internal/httpx"
)

// sameToken compares a form's CSRF token with the session's in constant
// time; an empty token never matches.
func sameToken(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// localPath returns p when it is a path of this site ("/inbox?view=mine"),
// and fallback otherwise: a form's "back to" address must not send the
// browser to another site.
func localPath(p, fallback string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\r\n") {
		return fallback
	}
	return p
}

// apiAnswer is what the API answered to a form handed to it.
type apiAnswer struct {
	Status int
	Header http.Header
	Body   []byte
}

// OK reports a 2xx answer.
func (a apiAnswer) OK() bool { return a.Status >= 200 && a.Status < 300 }

// Problem is the detail of a problem answer, or its status text.
func (a apiAnswer) Problem() string {
	var p httpx.Problem
	if json.Unmarshal(a.Body, &p) == nil && p.Detail != "" {
		return p.Detail
	}
	return http.StatusText(a.Status)
}

// callAPI hands a form to the REST API in-process, as the signed-in
// viewer: the request carries the browser's cookies and the session's
// CSRF token (the form's own token was checked already), so the API
// authenticates, authorises, validates, records and notifies exactly as
// for any other client.
func (c *Console) callAPI(r *http.Request, v *viewer, method, path string, body any) (apiAnswer, error) {
	var payload io.Reader
	contentType := ""
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return apiAnswer{}, fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		payload, contentType = bytes.NewReader(b), "application/json"
	}
	return c.sendAPI(r, v, method, path, payload, contentType)
}

// sendAPI is callAPI with a body sent as it is (nil for none), of the
// given content type.
func (c *Console) sendAPI(r *http.Request, v *viewer, method, path string, body io.Reader, contentType string) (apiAnswer, error) {
	req, err := http.NewRequestWithContext(r.Context(), method, path, body)
	if err != nil {
		return apiAnswer{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.RemoteAddr = r.RemoteAddr
	req.TLS = r.TLS
	for _, h := range []string{"Cookie", "X-Forwarded-For", "X-Forwarded-Proto", "User-Agent", "Accept-Language"} {
		if val := r.Header.Values(h); len(val) > 0 {
			req.Header[h] = val
		}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set(api.CSRFHeader, v.CSRF)
	if key := r.PostForm.Get("idempotency_key"); key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	rec := &recorder{header: http.Header{}}
	c.api.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return apiAnswer{Status: rec.status, Header: rec.header, Body: rec.body.Bytes()}, nil
}

// recorder keeps an in-process answer of the API.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// wantsJSON reports whether the request comes from the console's script,
// which wants the API's answer rather than a page.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// finish answers a form handed to the API: the script gets the API's
// answer as is; a browser without script goes back to the page it came
// from, with a message saying what happened.
func (c *Console) finish(w http.ResponseWriter, r *http.Request, v *viewer, a apiAnswer, done, back string) {
	if wantsJSON(r) {
		if ct := a.Header.Get("Content-Type"); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(a.Status)
		_, _ = w.Write(a.Body)
		return
	}
	back = localPath(r.PostForm.Get("back"), back)
	if a.OK() {
		setFlash(w, flash{Text: done})
	} else {
		setFlash(w, flash{Text: a.Problem(), Error: true})
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// relay hands a form to the API and answers as finish does.
func (c *Console) relay(w http.ResponseWriter, r *http.Request, v *viewer, method, path string, body any, done, back string) error {
	a, err := c.callAPI(r, v, method, path, body)
	if err != nil {
		return err
	}
	c.finish(w, r, v, a, done, back)
	return nil
}

// flash is a one-time message shown on the next page: what a form did.
type flash struct {
	Text  string
	Error bool
}

const flashCookie = "palabre_flash"

func setFlash(w http.ResponseWriter, f flash) {
	v := "ok:" + f.Text
	if f.Error {
		v = "err:" + f.Text
	}
	if len(v) > 1000 {
		v = v[:1000]
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(v), Path: "/", MaxAge: 60,
		HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// takeFlash reads and clears the flash message, if any.
func takeFlash(w http.ResponseWriter, r *http.Request) flash {
	ck, err := r.Cookie(flashCookie)
	if err != nil {
		return flash{}
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1})
	raw, err := url.QueryUnescape(ck.Value)
	if err != nil {
		return flash{}
	}
	if t, ok := strings.CutPrefix(raw, "err:"); ok {
		return flash{Text: t, Error: true}
	}
	t, _ := strings.CutPrefix(raw, "ok:")
	return flash{Text: t}
}
