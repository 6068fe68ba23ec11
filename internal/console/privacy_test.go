package console_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"palabre/internal/store"
	"palabre/internal/testutil"
)

// TestPersonalDataPages: the privacy settings page and the member page's
// export and erasure, for managers only.
func TestPersonalDataPages(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		a := newAgency(t, st)
		nadia, lea := a.session(t, "nadia"), a.session(t, "lea")
		ctx := context.Background()
		camille := "/workspaces/velo/people/m-camille@example.org"

		if got := lea.Get("/settings/workspaces/velo/privacy"); got.Status != http.StatusNotFound {
			t.Errorf("a CM opens the privacy settings: %d", got.Status)
		}
		if got := lea.Get(camille); got.Status != http.StatusOK || strings.Contains(got.Body, "/erase") || strings.Contains(got.Body, "/export") {
			t.Errorf("a CM's member page: %d, offers export or erasure: %v", got.Status, strings.Contains(got.Body, "/erase"))
		}
		if got := lea.Submit(camille+"/erase", url.Values{"mode": {"delete"}, "confirm": {"m-camille@example.org"}}); got.Status != http.StatusNotFound {
			t.Errorf("a CM erases: %d %s", got.Status, got.Body)
		}

		page := nadia.Get("/settings/workspaces/velo/privacy")
		if page.Status != http.StatusOK || !strings.Contains(page.Body, `value="delete" checked`) || !strings.Contains(page.Body, `name="retention_months"`) {
			t.Fatalf("privacy settings: %d %s", page.Status, page.Body)
		}
		if got := nadia.Submit("/settings/workspaces/velo/privacy", url.Values{"erasure": {"anonymise"}, "retention_months": {"700"}, "retention_action": {"purge"}}); got.Status != http.StatusUnprocessableEntity || !strings.Contains(got.Body, "retention_months") {
			t.Errorf("a retention of 700 months: %d %s", got.Status, got.Body)
		}
		if got := nadia.Submit("/settings/workspaces/velo/privacy", url.Values{"erasure": {"anonymise"}, "retention_months": {"24"}, "retention_action": {"purge"}}); got.Status != http.StatusSeeOther {
			t.Errorf("save the policy: %d %s", got.Status, got.Body)
		}
		if set, err := st.PrivacySettings(ctx, a.velo.ID); err != nil || set.Erasure != store.ErasureAnonymise || set.RetentionMonths != 24 {
			t.Errorf("policy saved: %+v, %v", set, err)
		}
		if got := nadia.Submit("/settings/workspaces/velo/privacy/retention", nil); got.Status != http.StatusSeeOther {
			t.Errorf("apply the retention: %d %s", got.Status, got.Body)
		}

		page = nadia.Get(camille)
		if !strings.Contains(page.Body, `people/m-camille@example.org/export?format=csv`) || !strings.Contains(page.Body, `value="anonymise" checked`) {
			t.Fatalf("manager's member page lacks the personal data section: %s", page.Body)
		}
		if got := nadia.Get("/api/v1/workspaces/velo/people/m-camille@example.org/export?format=json"); got.Status != http.StatusOK || !strings.Contains(got.Body, "camille@example.org") {
			t.Errorf("export from the console's session: %d %.200s", got.Status, got.Body)
		}
		// Without the confirmation, nothing happens.
		if got := nadia.Submit(camille+"/erase", url.Values{"mode": {"delete"}, "confirm": {"camille"}}); got.Status != http.StatusSeeOther || got.Location() != camille {
			t.Errorf("erasure without confirmation: %d → %s", got.Status, got.Location())
		}
		if _, err := st.Member(ctx, a.velo.ID, "m-camille@example.org"); err != nil {
			t.Fatalf("Camille after an unconfirmed erasure: %v", err)
		}
		got := nadia.Submit(camille+"/erase", url.Values{"mode": {"delete"}, "confirm": {"m-camille@example.org"}})
		if got.Status != http.StatusSeeOther || got.Location() != "/inbox" {
			t.Errorf("erasure: %d → %s", got.Status, got.Location())
		}
		if _, err := st.Member(ctx, a.velo.ID, "m-camille@example.org"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Camille after the erasure: %v", err)
		}
		if inbox := nadia.Get("/inbox?q=camille"); strings.Contains(inbox.Body, "Camille Martin") {
			t.Errorf("the inbox still finds Camille")
		}
	})
}
