package api

import (
	_ "embed"
	"net/http"

	"palabre/internal/httpx"
)

// openAPIDocument describes the routes of this package, by hand: the
// contract comes first, and TestOpenAPIMatchesRoutes keeps it and the route
// table in step.
//
//go:embed openapi.json
var openAPIDocument string

// openAPI answers the OpenAPI document.
func (h *handler) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", httpx.ContentTypeJSON)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write([]byte(openAPIDocument))
}
