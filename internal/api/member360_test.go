package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"palabre/internal/metrics"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// panel360 is the part of a member's panel the member 360 adds.
type panel360 struct {
	IdentityGroups []store.IdentityGroup    `json:"identity_groups"`
	Channels       []store.ChannelActivity  `json:"channels"`
	Fields         []store.MemberField      `json:"fields"`
	Engagement     metrics.MemberEngagement `json:"engagement"`
	Suggestions    *[]store.MergeSuggestion `json:"suggestions"`
}

// twoJeans writes, in velo, Jean Dupont on the blog (e-mail, web page)
// and Jean Dupont on the forum (a handle): two members, one name.
func twoJeans(t *testing.T, w *world) (blog, forum string) {
	t.Helper()
	ctx := context.Background()
	at := time.Now().Add(-48 * time.Hour).UTC()
	for _, c := range []struct {
		channel, id, ext string
		key              store.IdentityKey
		url              string
	}{
		{"blog", "m_jean_blog", "jean-1", store.IdentityKey{Key: "email:jean@example.org", Kind: model.IdentityEmail, Value: "jean@example.org"}, "https://www.jean-dupont.fr/"},
		{"forum", "m_jean_forum", "jean-2", store.IdentityKey{Key: "handle:forum:jd", Kind: model.IdentityHandle, Value: "jd"}, ""},
	} {
		ch, err := w.st.EnsureChannel(ctx, w.a.ID, c.channel, "wordpress")
		if err != nil {
			t.Fatal(err)
		}
		it := store.IngestItem{Root: c.ext, NewMemberID: c.id, DisplayName: "Jean Dupont", Identities: []store.IdentityKey{c.key}, Subject: "s",
			Message: model.Message{ExternalID: c.ext, Kind: model.KindPost, Status: model.StatusApproved, Body: "hello", CreatedAt: at,
				AuthorName: "Jean Dupont", AuthorURL: c.url, Sentiment: "pos"}}
		if _, err := w.st.NewImporter(w.a, ch).Write(ctx, []store.IngestItem{it}); err != nil {
			t.Fatal(err)
		}
	}
	return "m_jean_blog", "m_jean_forum"
}

func TestMember360AndSuggestions(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		setUpPeopleMatrix(t, w)
		blog, forum := twoJeans(t, w)
		cm := withToken(w.people[model.RoleCM].token)
		client := withToken(w.people[model.RoleClient].token)
		base := "/api/v1/workspaces/velo/people/"

		res := w.call(t, http.MethodGet, base+blog, "", cm)
		p := decodeAnswer[panel360](t, res)
		if res.status != http.StatusOK || len(p.IdentityGroups) != 2 || p.IdentityGroups[0].Kind != "email" ||
			p.IdentityGroups[1].Kind != "url" || p.IdentityGroups[1].Channel != "blog" || p.IdentityGroups[1].Values[0] != "https://www.jean-dupont.fr/" {
			t.Errorf("identities: %d %s", res.status, res.body)
		}
		if len(p.Channels) != 1 || p.Channels[0].Channel != "blog" || p.Channels[0].Messages != 1 || p.Fields == nil || len(p.Fields) != 0 {
			t.Errorf("channels and fields: %s", res.body)
		}
		// One message, one conversation, one day, positive: 1 + 2 + 3 + 2.
		if e := p.Engagement; e.Days != 1 || e.Messages != 1 || e.Positive != 1 || e.Score != 8 || p.Engagement.Weights != metrics.DefaultWeights() ||
			!strings.Contains(string(res.body), `"period_days":90`) {
			t.Errorf("engagement: %+v", e)
		}
		if p.Suggestions == nil || len(*p.Suggestions) != 1 || (*p.Suggestions)[0].Other.ID != forum || (*p.Suggestions)[0].Evidence[0].Kind != "same_name" {
			t.Errorf("suggestions of the panel: %s", res.body)
		}
		if p := decodeAnswer[panel360](t, w.call(t, http.MethodGet, base+blog, "", client)); p.Suggestions != nil || len(p.IdentityGroups) != 2 {
			t.Errorf("a client's panel: %+v", p)
		}

		// Custom fields.
		res = w.call(t, http.MethodPatch, base+blog, `{"set_fields":{"customer id":"C-42","city":"Lyon"},"add_tags":["vip"]}`, cm)
		if res.status != http.StatusOK || !strings.Contains(string(res.body), `"vip"`) {
			t.Errorf("set fields: %d %s", res.status, res.body)
		}
		if p := decodeAnswer[panel360](t, w.call(t, http.MethodGet, base+blog, "", cm)); len(p.Fields) != 2 || p.Fields[1].Key != "customer id" || p.Fields[1].Value != "C-42" {
			t.Errorf("fields: %+v", p.Fields)
		}
		if res := w.call(t, http.MethodPatch, base+blog, `{"remove_fields":["city"]}`, cm); res.status != http.StatusOK {
			t.Errorf("remove a field: %d %s", res.status, res.body)
		}
		for _, body := range []string{`{"set_fields":{"":"x"}}`, `{"set_fields":{"k":"` + strings.Repeat("v", 1001) + `"}}`,
			`{"set_fields":{"k":"v"},"remove_fields":["k"]}`, `{"set_fields":{"k":1}}`, `{"set_fields":{}}`} {
			if res := w.call(t, http.MethodPatch, base+blog, body, cm); res.status != http.StatusBadRequest {
				t.Errorf("PATCH %.60s: %d %s", body, res.status, res.body)
			}
		}
		if res := w.call(t, http.MethodPatch, base+blog, `{"set_fields":{"k":"v"}}`, client); res.status != http.StatusForbidden {
			t.Errorf("fields by a client: %d %s", res.status, res.body)
		}
		if p := decodeAnswer[panel360](t, w.call(t, http.MethodGet, base+blog, "", cm)); len(p.Fields) != 1 {
			t.Errorf("fields after refusals: %+v", p.Fields)
		}

		// Suggestions, one member's and the workspace's.
		var list struct {
			Suggestions []store.MergeSuggestion `json:"suggestions"`
		}
		res = w.call(t, http.MethodGet, base+forum+"/suggestions?limit=5", "", cm)
		if err := json.Unmarshal(res.body, &list); err != nil || res.status != http.StatusOK || len(list.Suggestions) != 1 || list.Suggestions[0].Other.ID != blog {
			t.Errorf("suggestions: %d %s", res.status, res.body)
		}
		res = w.call(t, http.MethodGet, "/api/v1/workspaces/velo/merge-suggestions?limit=100", "", cm)
		if err := json.Unmarshal(res.body, &list); err != nil || res.status != http.StatusOK || len(list.Suggestions) == 0 ||
			!strings.Contains(string(res.body), `"other":{"id":"`+forum) {
			t.Errorf("workspace suggestions: %d %s", res.status, res.body)
		}
		for path, want := range map[string]int{
			base + blog + "/suggestions?limit=0":                 http.StatusBadRequest,
			base + blog + "/suggestions?limit=x":                 http.StatusBadRequest,
			base + blog + "/suggestions?limit=101":               http.StatusBadRequest,
			base + "nobody/suggestions":                          http.StatusNotFound,
			"/api/v1/workspaces/velo/merge-suggestions?limit=-1": http.StatusBadRequest,
		} {
			if res := w.call(t, http.MethodGet, path, "", cm); res.status != want {
				t.Errorf("GET %s: %d %s, want %d", path, res.status, res.body, want)
			}
		}
		if res := w.call(t, http.MethodGet, "/api/v1/workspaces/velo/merge-suggestions", "", client); res.status != http.StatusForbidden {
			t.Errorf("workspace suggestions for a client: %d %s", res.status, res.body)
		}

		// Dismissal.
		for body, want := range map[string]int{`{}`: http.StatusBadRequest, `{"other":"` + blog + `"}`: http.StatusUnprocessableEntity,
			`{"other":"nobody"}`: http.StatusNotFound} {
			if res := w.call(t, http.MethodPost, base+blog+"/dismiss", body, cm); res.status != want {
				t.Errorf("dismiss %s: %d %s, want %d", body, res.status, res.body, want)
			}
		}
		if res := w.call(t, http.MethodPost, base+blog+"/dismiss", `{"other":"`+forum+`"}`, client); res.status != http.StatusForbidden {
			t.Errorf("dismiss by a client: %d %s", res.status, res.body)
		}
		res = w.call(t, http.MethodPost, base+blog+"/dismiss", `{"other":"`+forum+`"}`, cm)
		if err := json.Unmarshal(res.body, &list); err != nil || res.status != http.StatusOK || len(list.Suggestions) != 0 {
			t.Errorf("dismiss: %d %s", res.status, res.body)
		}
		if p := decodeAnswer[panel360](t, w.call(t, http.MethodGet, base+forum, "", cm)); p.Suggestions == nil || len(*p.Suggestions) != 0 {
			t.Errorf("the other's panel after the dismissal: %+v", p.Suggestions)
		}
		events, err := st.Events(context.Background(), w.a.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		audit := map[string]int{}
		for _, e := range events {
			audit[e.Action]++
		}
		if audit["member.dismiss"] != 1 || audit["member.fields"] != 2 {
			t.Errorf("audit log: %v", audit)
		}
	})
}
