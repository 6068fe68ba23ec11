package api_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

func TestMemberExportAndErasure(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		setUpPeopleMatrix(t, w)
		manager := withToken(w.people[model.RoleManager].token)
		base := "/api/v1/workspaces/velo/people/"

		res := w.call(t, http.MethodGet, base+"m_person/export?format=csv", "", manager)
		if res.status != http.StatusOK || res.header.Get("Content-Type") != "application/zip" ||
			!strings.HasPrefix(res.header.Get("Content-Disposition"), `attachment; filename="palabre-velo-member-`) {
			t.Fatalf("CSV export: %d %v %.200s", res.status, res.header, res.body)
		}
		z, err := zip.NewReader(bytes.NewReader(res.body), int64(len(res.body)))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range z.File {
			names = append(names, f.Name)
		}
		if !strings.Contains(strings.Join(names, " "), "messages.csv") {
			t.Errorf("archive holds %v", names)
		}
		res = w.call(t, http.MethodGet, base+"m_person/export", "", manager)
		var data store.MemberData
		if res.status != http.StatusOK || json.Unmarshal(res.body, &data) != nil || data.Member != "m_person" {
			t.Fatalf("JSON export: %d %.300s", res.status, res.body)
		}
		for _, bad := range []struct {
			method, path, body string
			status             int
		}{
			{http.MethodGet, base + "m_person/export?format=xml", "", http.StatusBadRequest},
			{http.MethodGet, base + "nobody/export", "", http.StatusNotFound},
			{http.MethodPost, base + "m_person/erase", `{"mode":"shred"}`, http.StatusUnprocessableEntity},
			{http.MethodPost, base + "m_person/erase", `{"mode":`, http.StatusBadRequest},
			{http.MethodPut, "/api/v1/workspaces/velo/privacy", `{"erasure":"burn","retention_action":"purge"}`, http.StatusUnprocessableEntity},
			{http.MethodPut, "/api/v1/workspaces/velo/privacy", `{"erasure":"delete","retention_action":"purge","retention_months":-3}`, http.StatusUnprocessableEntity},
			{http.MethodPost, "/api/v1/workspaces/velo/privacy/retention", "", http.StatusUnprocessableEntity},
		} {
			res := w.call(t, bad.method, bad.path, bad.body, manager)
			checkProblem(t, res, bad.status)
		}
		// Erasure by the workspace's policy: deleted.
		res = w.call(t, http.MethodPost, base+"m_person/erase", ``, manager)
		var er store.Erasure
		if res.status != http.StatusOK || json.Unmarshal(res.body, &er) != nil || er.Mode != store.ErasureDelete || er.Messages != 1 {
			t.Fatalf("erase: %d %s", res.status, res.body)
		}
		if res := w.call(t, http.MethodGet, base+"m_person", "", manager); res.status != http.StatusNotFound {
			t.Errorf("panel after the erasure: %d %s", res.status, res.body)
		}
		// The foreign workspace's m_person is untouched.
		if _, err := st.Member(t.Context(), w.b.ID, "m_person"); err != nil {
			t.Errorf("banque's m_person after velo's erasure: %v", err)
		}
	})
}
