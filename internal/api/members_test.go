package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// panelAnswer is the part of a member's panel these tests read.
type panelAnswer struct {
	Member        model.Member           `json:"member"`
	Notes         *[]model.MemberNote    `json:"notes"`
	Merges        []model.MemberMerge    `json:"merges"`
	Conversations []json.RawMessage      `json:"conversations"`
	Sentiment     []store.SentimentPoint `json:"sentiment"`
}

func decodeAnswer[T any](t *testing.T, res response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(res.body, &v); err != nil {
		t.Fatalf("answer %d %s: %v", res.status, res.body, err)
	}
	return v
}

func TestMemberPanelAndMerge(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		setUpPeopleMatrix(t, w)
		cm := withToken(w.people[model.RoleCM].token)
		base := "/api/v1/workspaces/velo/people/"

		res := w.call(t, http.MethodGet, base+"m_person", "", cm)
		if res.status != http.StatusOK {
			t.Fatalf("panel: %d %s", res.status, res.body)
		}
		p := decodeAnswer[panelAnswer](t, res)
		if p.Member.ID != "m_person" || p.Member.MessageCount != 1 || len(p.Member.Identities) != 1 || p.Member.Tags == nil ||
			p.Notes == nil || len(*p.Notes) != 0 || p.Merges == nil || len(p.Conversations) != 1 || len(p.Sentiment) != 1 ||
			p.Sentiment[0].Negative != 1 || p.Sentiment[0].MeanScore != -0.5 {
			t.Errorf("panel: %s", res.body)
		}
		var conv struct {
			RootExternalID string   `json:"root_external_id"`
			MemberMessages int      `json:"member_messages"`
			Sentiment      string   `json:"sentiment"`
			Tags           []string `json:"tags"`
		}
		if err := json.Unmarshal(p.Conversations[0], &conv); err != nil || conv.RootExternalID != "p0" || conv.MemberMessages != 1 ||
			conv.Sentiment != "neg" || conv.Tags == nil {
			t.Errorf("conversation of the panel: %s, %v", p.Conversations[0], err)
		}
		if res := w.call(t, http.MethodGet, base+"m_person", "", withToken(w.people[model.RoleClient].token)); res.status != http.StatusOK ||
			decodeAnswer[panelAnswer](t, res).Notes != nil {
			t.Errorf("a client's panel: %d %s", res.status, res.body)
		}
		if res := w.call(t, http.MethodGet, base+"m_person", "", withToken(w.people[model.RoleExpert].token)); res.status != http.StatusNotFound {
			t.Errorf("an expert's panel: %d %s", res.status, res.body)
		}
		if res := w.call(t, http.MethodGet, base+"nobody", "", cm); res.status != http.StatusNotFound {
			t.Errorf("no such member: %d %s", res.status, res.body)
		}

		// Notes and tags.
		if res := w.call(t, http.MethodPost, base+"m_person/notes", `{"body":"Rides every Sunday."}`, cm); res.status != http.StatusCreated ||
			decodeAnswer[model.MemberNote](t, res).Author != model.RoleCM {
			t.Errorf("note: %d %s", res.status, res.body)
		}
		if res := w.call(t, http.MethodPatch, base+"m_person", `{"add_tags":["VIP","blogger"]}`, cm); res.status != http.StatusOK ||
			string(mustJSON(t, decodeAnswer[model.Member](t, res).Tags)) != `["blogger","vip"]` {
			t.Errorf("tag: %d %s", res.status, res.body)
		}
		if res := w.call(t, http.MethodPatch, base+"m_person", `{"remove_tags":["vip"]}`, cm); res.status != http.StatusOK ||
			string(mustJSON(t, decodeAnswer[model.Member](t, res).Tags)) != `["blogger"]` {
			t.Errorf("untag: %d %s", res.status, res.body)
		}
		for _, c := range []struct{ method, path, body string }{
			{http.MethodPatch, base + "m_person", `{}`},
			{http.MethodPatch, base + "m_person", `{"add_tags":["a,b"]}`},
			{http.MethodPatch, base + "m_person", `{"add_tags":["x"],"color":"red"}`},
			{http.MethodPost, base + "m_person/notes", `{"body":"  "}`},
			{http.MethodPost, base + "m_person/merge", `{}`},
		} {
			if res := w.call(t, c.method, c.path, c.body, cm); res.status != http.StatusBadRequest && res.status != http.StatusUnprocessableEntity {
				t.Errorf("%s %s %s: %d %s", c.method, c.path, c.body, res.status, res.body)
			}
		}

		// Merge, and undo it.
		res = w.call(t, http.MethodPost, base+"m_person/merge", `{"from":"m_from_client"}`, cm)
		if m := decodeAnswer[model.Member](t, res); res.status != http.StatusOK || m.MessageCount != 2 || len(m.Identities) != 2 {
			t.Fatalf("merge: %d %s", res.status, res.body)
		}
		if p := decodeAnswer[panelAnswer](t, w.call(t, http.MethodGet, base+"m_person", "", cm)); len(p.Merges) != 1 ||
			p.Merges[0].From != "m_from_client" || p.Merges[0].Actor != model.RoleCM || p.Merges[0].Messages != 1 {
			t.Errorf("merges of the panel: %+v", p.Merges)
		}
		if p := decodeAnswer[panelAnswer](t, w.call(t, http.MethodGet, base+"m_from_client", "", cm)); p.Member.MergedInto != "m_person" {
			t.Errorf("panel of the member merged away: %+v", p.Member)
		}
		for _, c := range []struct {
			path, body string
			want       int
		}{
			{base + "m_person/merge", `{"from":"m_from_client"}`, http.StatusUnprocessableEntity},  // merged already
			{base + "m_person/merge", `{"from":"m_person"}`, http.StatusUnprocessableEntity},       // itself
			{base + "m_from_client/merge", `{"from":"m_from_cm"}`, http.StatusUnprocessableEntity}, // into a member merged away
			{base + "m_person/merge", `{"from":"nobody"}`, http.StatusNotFound},
			{"/api/v1/workspaces/banque/people/m_person/merge", `{"from":"m_from_cm"}`, http.StatusNotFound}, // B is not the CM's
			{base + "m_person/unmerge", ``, http.StatusUnprocessableEntity},                                  // not merged
		} {
			if res := w.call(t, http.MethodPost, c.path, c.body, cm); res.status != c.want {
				t.Errorf("POST %s %s: %d %s, want %d", c.path, c.body, res.status, res.body, c.want)
			}
		}
		res = w.call(t, http.MethodPost, base+"m_from_client/unmerge", ``, cm)
		if m := decodeAnswer[model.Member](t, res); res.status != http.StatusOK || m.MessageCount != 1 || m.MergedInto != "" || len(m.Identities) != 1 {
			t.Errorf("unmerge: %d %s", res.status, res.body)
		}
		if res := w.call(t, http.MethodPost, base+"m_from_client/unmerge", ``, cm); res.status != http.StatusUnprocessableEntity {
			t.Errorf("unmerge twice: %d %s", res.status, res.body)
		}
		if res := w.call(t, http.MethodPost, base+"m_person/merge", `{"from":"m_from_cm"}`, withToken(w.people[model.RoleClient].token)); res.status != http.StatusForbidden {
			t.Errorf("merge as a client: %d %s", res.status, res.body)
		}
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSavedViewsAndLanguage(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		cm := withToken(w.people[model.RoleCM].token)
		res := w.call(t, http.MethodPost, "/api/v1/me/views", `{"name":"Angry","query":"?view=mine&sentiment=neg"}`, cm)
		first := decodeAnswer[model.SavedView](t, res)
		if res.status != http.StatusCreated || first.Query != "view=mine&sentiment=neg" || first.ID == 0 {
			t.Fatalf("save: %d %s", res.status, res.body)
		}
		res = w.call(t, http.MethodPost, "/api/v1/me/views", `{"name":"Angry","query":"sentiment=neg"}`, cm)
		if again := decodeAnswer[model.SavedView](t, res); res.status != http.StatusCreated || again.ID != first.ID {
			t.Errorf("save again: %d %s", res.status, res.body)
		}
		if _, err := st.SaveView(t.Context(), w.people[model.RoleOwner].user.ID, "Owner's", "a=b"); err != nil {
			t.Fatal(err)
		}
		res = w.call(t, http.MethodGet, "/api/v1/me/views", "", cm)
		if list := decodeAnswer[struct{ Views []model.SavedView }](t, res); res.status != http.StatusOK || len(list.Views) != 1 ||
			list.Views[0].Query != "sentiment=neg" {
			t.Errorf("list: %d %s", res.status, res.body)
		}
		for _, body := range []string{`{"name":"","query":""}`, `{"name":"x","query":"` + strings.Repeat("a", model.MaxSavedViewQuery+1) + `"}`, `{"name":"x"`} {
			if res := w.call(t, http.MethodPost, "/api/v1/me/views", body, cm); res.status != http.StatusUnprocessableEntity && res.status != http.StatusBadRequest {
				t.Errorf("save %s: %d %s", body, res.status, res.body)
			}
		}
		readOnly, _ := w.newToken(t, w.people[model.RoleCM].user.ID, model.APIToken{Name: "read-only"})
		if res := w.call(t, http.MethodPost, "/api/v1/me/views", `{"name":"ro","query":""}`, withToken(readOnly)); res.status != http.StatusForbidden {
			t.Errorf("save with a read-only token: %d %s", res.status, res.body)
		}
		path := "/api/v1/me/views/" + strconv.FormatInt(first.ID, 10)
		if res := w.call(t, http.MethodDelete, path, "", withToken(w.people[model.RoleOwner].token)); res.status != http.StatusNotFound {
			t.Errorf("delete another's view: %d %s", res.status, res.body)
		}
		if res := w.call(t, http.MethodDelete, path, "", cm); res.status != http.StatusNoContent {
			t.Errorf("delete: %d %s", res.status, res.body)
		}
		if res := w.call(t, http.MethodDelete, path, "", cm); res.status != http.StatusNotFound {
			t.Errorf("delete twice: %d %s", res.status, res.body)
		}
		if res := w.call(t, http.MethodDelete, "/api/v1/me/views/x", "", cm); res.status != http.StatusBadRequest {
			t.Errorf("delete view x: %d %s", res.status, res.body)
		}

		for _, c := range []struct {
			body string
			want int
			lang string
		}{
			{`{"language":"fr"}`, http.StatusOK, "fr"},
			{`{"language":"de"}`, http.StatusUnprocessableEntity, "fr"},
			{`{}`, http.StatusBadRequest, "fr"},
			{`{"language":""}`, http.StatusOK, ""},
		} {
			res := w.call(t, http.MethodPut, "/api/v1/me/language", c.body, cm)
			if res.status != c.want {
				t.Errorf("language %s: %d %s", c.body, res.status, res.body)
			}
			if c.want == http.StatusOK && decodeAnswer[model.User](t, res).UILanguage != c.lang {
				t.Errorf("language %s: %s", c.body, res.body)
			}
			if u, err := st.UserByLogin(t.Context(), model.RoleCM); err != nil || u.UILanguage != c.lang {
				t.Errorf("after %s: %q, %v", c.body, u.UILanguage, err)
			}
		}
		// The caller's language comes back with them.
		if res := w.call(t, http.MethodPut, "/api/v1/me/language", `{"language":"en"}`, cm); res.status != http.StatusOK {
			t.Fatal(res.status)
		}
		if me := w.call(t, http.MethodGet, "/api/v1/me", "", cm); !bytes.Contains(me.body, []byte(`"ui_language":"en"`)) {
			t.Errorf("me: %s", me.body)
		}
	})
}
