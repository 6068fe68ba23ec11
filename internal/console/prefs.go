package console

import (
	"net/http"

	"palabre/internal/i18n"
)

// setLanguage changes the viewer's interface language ("" follows the
// browser's), through the API.
func (c *Console) setLanguage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	lang := r.PostForm.Get("language")
	a, err := c.callAPI(r, v, http.MethodPut, "/api/v1/me/language", map[string]string{"language": lang})
	if err != nil {
		return err
	}
	// The message is in the language just chosen.
	p := v.P
	if l, ok := i18n.Parse(lang); ok {
		p = i18n.New(l)
	}
	c.finish(w, r, v, a, p.T("Language changed."), "/inbox")
	return nil
}
