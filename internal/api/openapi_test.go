package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"palabre/internal/auth"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// openAPIDoc is the part of the OpenAPI document these tests read.
type openAPIDoc struct {
	OpenAPI string `json:"openapi"`
	Paths   map[string]map[string]struct {
		OperationID string `json:"operationId"`
		Parameters  []struct {
			Name     string `json:"name"`
			In       string `json:"in"`
			Required bool   `json:"required"`
		} `json:"parameters"`
		Responses map[string]json.RawMessage `json:"responses"`
	} `json:"paths"`
	Components struct {
		Schemas map[string]json.RawMessage `json:"schemas"`
	} `json:"components"`
}

var wildcard = regexp.MustCompile(`\{([^}.]+)(\.\.\.)?\}`)

// TestOpenAPIMatchesRoutes keeps openapi.json and the route table in step:
// every route is documented with its path parameters, and every documented
// operation is a route. The document is fetched from a served API.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		doc := fetchOpenAPI(t, st)
		if doc.OpenAPI != "3.1.0" {
			t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
		}
		if _, ok := doc.Components.Schemas["Problem"]; !ok {
			t.Error("the document does not describe the problem body")
		}
		checkRefs(t, openAPIDocument)

		routed := make(map[string]bool) // "get /api/v1/…"
		for _, rt := range (&handler{}).routes() {
			method, path, ok := strings.Cut(rt.pattern, " ")
			if !ok {
				t.Errorf("route %q has no method", rt.pattern)
				continue
			}
			routed[strings.ToLower(method)+" "+path] = true
			op, ok := doc.Paths[path][strings.ToLower(method)]
			if !ok {
				t.Errorf("route %q is not in openapi.json", rt.pattern)
				continue
			}
			if !slices.ContainsFunc(slices.Collect(maps.Keys(op.Responses)), func(code string) bool { return code[0] == '2' }) {
				t.Errorf("%s: no 2xx response documented", rt.pattern)
			}
			var want, got []string
			for _, m := range wildcard.FindAllStringSubmatch(path, -1) {
				want = append(want, m[1])
			}
			for _, p := range op.Parameters {
				if p.In == "path" {
					got = append(got, p.Name)
					if !p.Required {
						t.Errorf("%s: path parameter %s not marked required", rt.pattern, p.Name)
					}
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: documented path parameters %v, want %v", rt.pattern, got, want)
			}
			for code, resp := range op.Responses {
				if code >= "400" && !strings.Contains(string(resp), "#/components/responses/") {
					t.Errorf("%s: response %s is not one of the shared problem responses", rt.pattern, code)
				}
			}
		}
		for path, ops := range doc.Paths {
			for method := range ops {
				if !routed[method+" "+path] {
					t.Errorf("openapi.json documents %s %s, which no route serves", strings.ToUpper(method), path)
				}
			}
		}
	})
}

func fetchOpenAPI(t *testing.T, st *store.Store) openAPIDoc {
	t.Helper()
	ctx := context.Background()
	u, err := st.CreateUser(ctx, model.User{Login: "openapi-reader"}, "x", "test")
	if err != nil {
		t.Fatal(err)
	}
	token, hash, err := auth.NewAPIToken()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateAPIToken(ctx, model.APIToken{UserID: u.ID, Name: "openapi"}, hash, "test"); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: New(Config{}, st, nil, nil, slog.New(slog.DiscardHandler))}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	client := &http.Client{Timeout: 10 * time.Second}
	req, err := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+"/api/v1/openapi.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("openapi.json: status %d, Content-Type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var doc openAPIDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	return doc
}

// checkRefs checks that every local $ref of the document points somewhere.
func checkRefs(t *testing.T, doc string) {
	t.Helper()
	var tree any
	if err := json.Unmarshal([]byte(doc), &tree); err != nil {
		t.Fatal(err)
	}
	refs := regexp.MustCompile(`"\$ref":\s*"#/([^"]*)"`).FindAllStringSubmatch(doc, -1)
	if len(refs) == 0 {
		t.Fatal("no $ref found: the pattern is wrong")
	}
	for _, m := range refs {
		node := tree
		for _, key := range strings.Split(m[1], "/") {
			obj, _ := node.(map[string]any)
			node = obj[key]
		}
		if node == nil {
			t.Errorf("$ref #/%s points nowhere", m[1])
		}
	}
}
