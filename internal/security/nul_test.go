package security_test

import (
	"net/http"
	"net/url"
	"testing"

	"palabre/internal/store"
	"palabre/internal/testutil"
)

// TestNULCharacters sends texts holding a NUL character, which PostgreSQL
// cannot store in a text column, through the inputs that take text: in
// JSON bodies, console forms, paths and query strings. Each gets an
// answer, never a 5xx; texts to store are refused with a 400 that says
// why, searches and filters find nothing.
func TestNULCharacters(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st, "Vélo Atelier", "Banque")
		w.plant(t, w.own, []string{"plain"}, 1)
		owner, token := w.callers[0], w.own.owner
		conv := "/api/v1/conversations/" + itoa(w.own.conv)
		in := func(rest string) string { return "/api/v1/workspaces/velo" + rest }
		for _, c := range []struct{ method, path, body string }{
			{"POST", conv + "/notes", `{"body":"a\u0000b"}`},
			{"POST", conv + "/replies", `{"body":"a\u0000b","confirm":true,"client_id":"nul"}`},
			{"PATCH", conv, `{"add_tags":["a\u0000b"]}`},
			{"POST", in("/canned-replies"), `{"name":"a\u0000b","language":"fr","body":"x"}`},
			{"POST", in("/sources"), `{"channel":"hooks","kind":"webhook","name":"a\u0000b","config":{}}`},
			{"PUT", in("/topics/x"), `{"terms":["a\u0000b"]}`},
			{"POST", "/api/v1/me/views", `{"name":"a\u0000b","query":"view=all"}`},
			{"POST", in("/people/" + w.own.member + "/notes"), `{"body":"a\u0000b"}`},
			{"PUT", in("/alert-settings"), `{"enabled":true,"keywords":["a\u0000b"]}`},
		} {
			res := token.json(t, w.base, c.method, c.path, c.body)
			if res.status != http.StatusBadRequest {
				t.Errorf("%s %s %s: status %d, want 400: %.300s", c.method, c.path, c.body, res.status, res.body)
			}
		}
		for _, p := range []string{in("/topics/a%00b"), in("/people/a%00b"), in("/conversations?q=a%00b"),
			in("/conversations?tag=a%00b"), in("/conversations?assignee=a%00b"), "/api/v1/users/a%00b/profile"} {
			if res := token.json(t, w.base, http.MethodGet, p, ""); res.status >= 500 {
				t.Errorf("GET %s: status %d: %.300s", p, res.status, res.body)
			}
		}
		for _, p := range []string{"/inbox?q=a%00b", "/inbox?view=all&tag=a%00b", "/workspaces/velo/people/a%00b", "/reports/a%00b"} {
			if res := owner.json(t, w.base, http.MethodGet, p, ""); res.status >= 500 {
				t.Errorf("GET %s: status %d: %.300s", p, res.status, res.body)
			}
		}
		res := owner.form(t, w.base, "/conversations/"+itoa(w.own.conv)+"/note", url.Values{"body": {"a\x00b"}})
		if res.status != http.StatusBadRequest {
			t.Errorf("console note with a NUL: status %d, want 400: %.300s", res.status, res.body)
		}
	})
}
