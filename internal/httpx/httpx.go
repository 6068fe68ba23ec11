// Package httpx holds the small response helpers that palabre's HTTP
// packages (api, server) share, so that every JSON body and every error
// looks the same wherever it comes from: JSON with the right headers, and
// RFC 9457 problem details for errors, including the ones the standard
// ServeMux produces by itself (404, 405).
package httpx

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Content types palabre answers with.
const (
	ContentTypeJSON    = "application/json; charset=utf-8"
	ContentTypeProblem = "application/problem+json"
)

// Problem is an RFC 9457 problem details object. palabre uses the
// "about:blank" type, so Title is always the status's standard text and
// Detail says what went wrong with this request.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// WriteJSON answers with status and v encoded as JSON. v is encoded before
// anything is written, so a value that cannot be encoded turns into a 500
// problem rather than a truncated body; the error is returned for the
// caller to log.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		WriteProblem(w, http.StatusInternalServerError, "")
		return fmt.Errorf("encode %T response: %w", v, err)
	}
	write(w, status, ContentTypeJSON, body)
	return nil
}

// WriteProblem answers with a problem details body for status. An empty
// detail is left out.
func WriteProblem(w http.ResponseWriter, status int, detail string) {
	// A Problem of strings and an int always encodes.
	body, _ := json.Marshal(Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail})
	write(w, status, ContentTypeProblem, body)
}

// WriteProblemWith answers status with v, a problem details object that
// carries extension members (it embeds Problem). It returns the error of
// encoding v, after answering a bare 500 problem instead.
func WriteProblemWith(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		WriteProblem(w, http.StatusInternalServerError, "")
		return fmt.Errorf("encode %T problem: %w", v, err)
	}
	write(w, status, ContentTypeProblem, body)
	return nil
}

func write(w http.ResponseWriter, status int, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Del("Content-Length") // a handler may have set one for a body it never sent
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// ProblemFallback serves requests with mux, except that the replies mux
// makes by itself when no pattern matches — 404 Not Found, and 405 Method
// Not Allowed with its Allow header — are sent as problem details instead
// of plain text.
func ProblemFallback(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			// Matched (or a redirect to a match): ServeHTTP, unlike the
			// handler found above, sets the path wildcards.
			mux.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(&problemWriter{ResponseWriter: w, r: r}, r)
	})
}

// problemWriter replaces the plain-text 404 and 405 bodies of the mux's own
// handlers with problem details. Other replies (such as the redirect to a
// cleaned path) pass through.
type problemWriter struct {
	http.ResponseWriter
	r        *http.Request
	replaced bool
}

func (p *problemWriter) WriteHeader(status int) {
	var detail string
	switch status {
	case http.StatusNotFound:
		detail = fmt.Sprintf("no resource at %s", p.r.URL.Path)
	case http.StatusMethodNotAllowed:
		detail = fmt.Sprintf("method %s is not allowed on %s (allowed: %s)",
			p.r.Method, p.r.URL.Path, p.Header().Get("Allow"))
	default:
		p.ResponseWriter.WriteHeader(status)
		return
	}
	p.replaced = true
	WriteProblem(p.ResponseWriter, status, detail)
}

func (p *problemWriter) Write(b []byte) (int, error) {
	if p.replaced {
		return len(b), nil // the plain-text body, already replaced
	}
	return p.ResponseWriter.Write(b)
}

// Attachment starts an answer of contentType to be saved as the file name
// (made of letters, digits, dots, dashes and underscores by the caller).
func Attachment(w http.ResponseWriter, contentType, name string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
}

// ContentTypeCSV is the type of the CSV files palabre answers.
const ContentTypeCSV = "text/csv; charset=utf-8"
