package httpx_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"palabre/internal/httpx"
)

func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func TestProblemFallbackAndWriters(t *testing.T) {
	t.Parallel()
	encodeErr := make(chan error, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id")})
	})
	mux.HandleFunc("GET /teapot", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteProblem(w, http.StatusTeapot, "short and stout")
	})
	mux.HandleFunc("GET /unencodable", func(w http.ResponseWriter, r *http.Request) {
		encodeErr <- httpx.WriteJSON(w, http.StatusOK, map[string]any{"f": func() {}})
	})
	base := serve(t, httpx.ProblemFallback(mux))
	client := &http.Client{
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	cases := []struct {
		method, path string
		status       int
		contentType  string
		body         string // a fragment
		allow        string
		location     string
	}{
		{"GET", "/items/7", 200, httpx.ContentTypeJSON, `{"id":"7"}`, "", ""},
		{"GET", "/teapot", 418, httpx.ContentTypeProblem,
			`{"type":"about:blank","title":"I'm a teapot","status":418,"detail":"short and stout"}`, "", ""},
		{"GET", "/unencodable", 500, httpx.ContentTypeProblem, `"status":500`, "", ""},
		{"GET", "/nothing", 404, httpx.ContentTypeProblem,
			`{"type":"about:blank","title":"Not Found","status":404,"detail":"no resource at /nothing"}`, "", ""},
		{"PUT", "/items/7", 405, httpx.ContentTypeProblem,
			`"detail":"method PUT is not allowed on /items/7 (allowed: GET, HEAD)"`, "GET, HEAD", ""},
		// The mux's own redirects are not errors: they pass through.
		{"GET", "/x/../items/7", 307, "", "", "", "/items/7"},
		{"GET", "/x/../nothing", 307, "", "", "", "/nothing"}, // no pattern: the fallback sees it
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			req, err := http.NewRequest(c.method, base+c.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.URL.Opaque = c.path // keep the dot segments as written
			res, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != c.status {
				t.Fatalf("status %d, want %d; body %s", res.StatusCode, c.status, body)
			}
			if c.contentType == "" && res.Header.Get("Content-Type") == httpx.ContentTypeProblem {
				t.Errorf("a %d became a problem: %s", res.StatusCode, body)
			}
			if c.contentType != "" {
				if ct := res.Header.Get("Content-Type"); ct != c.contentType {
					t.Errorf("Content-Type %q, want %q", ct, c.contentType)
				}
				if res.Header.Get("X-Content-Type-Options") != "nosniff" {
					t.Error("no X-Content-Type-Options: nosniff")
				}
				if !json.Valid(body) {
					t.Errorf("invalid JSON %s", body)
				}
			}
			if !strings.Contains(string(body), c.body) {
				t.Errorf("body %s lacks %s", body, c.body)
			}
			if got := res.Header.Get("Allow"); got != c.allow {
				t.Errorf("Allow %q, want %q", got, c.allow)
			}
			if got := res.Header.Get("Location"); got != c.location {
				t.Errorf("Location %q, want %q", got, c.location)
			}
		})
	}
	select {
	case err := <-encodeErr:
		if err == nil || !strings.Contains(err.Error(), "encode") {
			t.Errorf("WriteJSON of a func: error %v", err)
		}
	default:
		t.Error("the unencodable handler did not run")
	}
}
