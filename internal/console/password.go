package console

import (
	"net/http"
)

// passwordChange changes the viewer's password through the API, which
// ends every session of theirs and opens a new one for this browser: its
// cookie is passed on, so that the viewer stays signed in here alone.
func (c *Console) passwordChange(w http.ResponseWriter, r *http.Request, v *viewer) error {
	a, err := c.callAPI(r, v, http.MethodPut, "/api/v1/me/password", map[string]string{
		"current_password": r.PostForm.Get("current_password"), "new_password": r.PostForm.Get("new_password")})
	if err != nil {
		return err
	}
	for _, sc := range a.Header.Values("Set-Cookie") {
		w.Header().Add("Set-Cookie", sc)
	}
	if ra := a.Header.Get("Retry-After"); ra != "" {
		w.Header().Set("Retry-After", ra)
	}
	c.finish(w, r, v, a, v.P.T("Password changed; you are signed out everywhere else."), "/settings/tokens#password")
	return nil
}
