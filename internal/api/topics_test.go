package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// send makes a request with a JSON body.
func (f *fixture) send(t *testing.T, method, path, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, f.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := f.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func listTopics(t *testing.T, f *fixture, slug string) []model.Topic {
	t.Helper()
	var got struct {
		Topics []model.Topic `json:"topics"`
	}
	res := f.getJSON(t, "/api/v1/workspaces/"+slug+"/topics", &got)
	if got.Topics == nil {
		t.Fatalf("topics is not a list: %s", res.body)
	}
	return got.Topics
}

func TestTopics(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		f := serve(t, st)
		const velo = "/api/v1/workspaces/velo/topics/"
		if got := listTopics(t, f, "velo"); len(got) != 0 {
			t.Fatalf("no vocabulary yet: %v", got)
		}
		put := func(path, body string, status int, want string) {
			t.Helper()
			res := f.send(t, http.MethodPut, path, body)
			if res.status != status {
				t.Fatalf("PUT %s: status %d, want %d; body %s", path, res.status, status, res.body)
			}
			checkJSONHeaders(t, res)
			if strings.TrimSpace(string(res.body)) != want {
				t.Fatalf("PUT %s: body %s, want %s", path, res.body, want)
			}
		}
		put(velo+"Livraison", `{"terms":["livraison","colis"]}`, http.StatusCreated,
			`{"name":"Livraison","terms":["livraison","colis"]}`)
		put(velo+"Freins", `{"terms":["frein à disque", "plaquettes"]}`, http.StatusCreated,
			`{"name":"Freins","terms":["frein à disque","plaquettes"]}`)
		put(velo+"Livraison", `{"name":"Livraison","terms":["livraison","colis","retard de livraison"]}`, http.StatusOK,
			`{"name":"Livraison","terms":["livraison","colis","retard de livraison"]}`)
		// A name with a slash and accents travels percent-encoded.
		put(velo+url.PathEscape("Prix/qualité"), `{"terms":["prix"]}`, http.StatusCreated, `{"name":"Prix/qualité","terms":["prix"]}`)
		put("/api/v1/workspaces/banque/topics/Frais", `{"terms":["frais","agios"]}`, http.StatusCreated,
			`{"name":"Frais","terms":["frais","agios"]}`)

		got := listTopics(t, f, "velo")
		var names []string
		for _, tp := range got {
			names = append(names, tp.Name)
		}
		if !slices.Equal(names, []string{"Livraison", "Freins", "Prix/qualité"}) || len(got[0].Terms) != 3 {
			t.Fatalf("velo topics %v: want creation order, updates in place, no topic of banque", got)
		}
		if got := listTopics(t, f, "banque"); len(got) != 1 || got[0].Name != "Frais" {
			t.Fatalf("banque topics %v", got)
		}

		res := f.do(t, http.MethodDelete, velo+url.PathEscape("Prix/qualité"))
		if res.status != http.StatusNoContent || len(res.body) != 0 {
			t.Fatalf("DELETE: status %d, body %q", res.status, res.body)
		}
		checkProblem(t, f.do(t, http.MethodDelete, velo+url.PathEscape("Prix/qualité")), http.StatusNotFound, `topic "Prix/qualité"`, "not found")
		checkProblem(t, f.do(t, http.MethodDelete, "/api/v1/workspaces/banque/topics/Freins"), http.StatusNotFound, `topic "Freins"`)
		if got := listTopics(t, f, "velo"); len(got) != 2 {
			t.Fatalf("after DELETE: %v", got)
		}

		ws, err := st.WorkspaceBySlug(context.Background(), "velo")
		if err != nil {
			t.Fatal(err)
		}
		all, err := st.Events(context.Background(), ws.ID, 100)
		var events []model.Event // the vocabulary's, leaving out the import's
		for _, e := range all {
			if strings.HasPrefix(e.Action, "topic.") {
				events = append(events, e)
			}
		}
		if err != nil || len(events) != 5 || !strings.HasPrefix(events[0].Actor, "admin") || events[0].Action != "topic.delete" ||
			events[0].Subject != "Prix/qualité" || events[2].Action != "topic.update" {
			t.Fatalf("audit log: %+v %v", events, err)
		}
	})
}

func TestTopicRequestErrors(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		f := serve(t, st)
		if _, err := st.SetTopic(context.Background(), mustWorkspace(t, st, "velo"), model.Topic{Name: "Livraison", Terms: []string{"colis"}}, "test"); err != nil {
			t.Fatal(err)
		}
		const topic = "/api/v1/workspaces/velo/topics/"
		cases := []struct {
			name, method, path, body string
			status                   int
			want                     []string
			allow                    string
		}{
			{"unknown workspace", "PUT", "/api/v1/workspaces/nope/topics/X", `{"terms":["x"]}`, 404, []string{`workspace "nope"`}, ""},
			{"unknown workspace, list", "GET", "/api/v1/workspaces/nope/topics", "", 404, []string{`workspace "nope"`}, ""},
			{"unknown workspace, delete", "DELETE", "/api/v1/workspaces/nope/topics/X", "", 404, []string{`workspace "nope"`}, ""},
			{"unknown topic", "DELETE", topic + "Absent", "", 404, []string{`topic "Absent"`, "not found"}, ""},
			{"not JSON", "PUT", topic + "X", `{"terms":`, 400, []string{"request body"}, ""},
			{"empty body", "PUT", topic + "X", ``, 400, []string{"request body is empty"}, ""},
			{"two values", "PUT", topic + "X", `{"terms":["x"]} {}`, 400, []string{"more than one JSON value"}, ""},
			{"terms not a list", "PUT", topic + "X", `{"terms":"x"}`, 400, []string{"request body"}, ""},
			{"unknown field", "PUT", topic + "X", `{"term":["x"]}`, 400, []string{`unknown field "term"`}, ""},
			{"no terms field", "PUT", topic + "X", `{}`, 400, []string{`needs "terms"`}, ""},
			{"null terms", "PUT", topic + "X", `{"terms":null}`, 400, []string{`needs "terms"`}, ""},
			{"name differs", "PUT", topic + "X", `{"name":"Y","terms":["x"]}`, 400, []string{`topic "Y"`, `path "X"`}, ""},
			{"body too large", "PUT", topic + "X", `{"terms":["` + strings.Repeat("x", 300<<10) + `"]}`, 400, []string{"larger than"}, ""},
			{"empty terms", "PUT", topic + "X", `{"terms":[]}`, 422, []string{`topic "X" has no terms`}, ""},
			{"term without letters", "PUT", topic + "X", `{"terms":["ok","!!!"]}`, 422, []string{`topic "X": term "!!!" has no letters or digits`}, ""},
			{"term too long", "PUT", topic + "X", `{"terms":["a b c d e f g h i j k"]}`, 422, []string{"11 words"}, ""},
			{"name too long", "PUT", topic + strings.Repeat("n", 81), `{"terms":["x"]}`, 422, []string{"longer than 80 characters"}, ""},
			{"name with spaces around", "PUT", topic + "%20X", `{"terms":["x"]}`, 422, []string{"starts or ends with spaces"}, ""},
			{"name with NUL", "PUT", topic + "a%00b", `{"terms":["x"]}`, 422, []string{"control characters"}, ""},
			{"name not UTF-8", "PUT", topic + "%FF", `{"terms":["x"]}`, 422, []string{"not valid UTF-8"}, ""},
			{"delete NUL", "DELETE", topic + "a%00b", "", 404, []string{"not found"}, ""},
			{"delete not UTF-8", "DELETE", topic + "%FF", "", 404, []string{"not found"}, ""},
			{"POST a topic", "POST", topic + "X", `{"terms":["x"]}`, 405, []string{"POST"}, "DELETE, PUT"},
			{"DELETE the list", "DELETE", "/api/v1/workspaces/velo/topics", "", 405, []string{"DELETE"}, "GET, HEAD"},
			{"no name", "PUT", topic, `{"terms":["x"]}`, 404, []string{topic}, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				res := f.send(t, c.method, c.path, c.body)
				checkProblem(t, res, c.status, c.want...)
				if got := res.header.Get("Allow"); got != c.allow {
					t.Errorf("Allow %q, want %q", got, c.allow)
				}
			})
		}
		// Nothing refused changed the vocabulary.
		if got := listTopics(t, f, "velo"); len(got) != 1 || got[0].Name != "Livraison" || !slices.Equal(got[0].Terms, []string{"colis"}) {
			t.Fatalf("vocabulary after refused requests: %v", got)
		}
		if strings.Contains(f.logs.String(), "level=ERROR") {
			t.Errorf("client errors logged as server errors:\n%s", f.logs)
		}
	})
}

func mustWorkspace(t *testing.T, st *store.Store, slug string) int64 {
	t.Helper()
	ws, err := st.WorkspaceBySlug(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return ws.ID
}

// TestTopicsJSONRoundTrip checks that a topic as listed can be PUT back as
// it is.
func TestTopicsJSONRoundTrip(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		f := serve(t, st)
		f.send(t, http.MethodPut, "/api/v1/workspaces/velo/topics/Crème", `{"terms":["crème","soin"]}`)
		listed := listTopics(t, f, "velo")
		body, _ := json.Marshal(listed[0])
		res := f.send(t, http.MethodPut, "/api/v1/workspaces/velo/topics/"+url.PathEscape(listed[0].Name), string(body))
		if res.status != http.StatusOK {
			t.Fatalf("PUT back: status %d, body %s", res.status, res.body)
		}
	})
}
