package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// slaSettings are valid settings written as the API writes them back:
// fields in their order, weekdays sorted, durations in their short form,
// empty priorities and channels left out.
const slaSettings = `{"calendar":{"time_zone":"Europe/Paris",` +
	`"hours":{"fri":["09:00-17:00"],"mon":["09:00-12:30","14:00-18:00"]},"holidays":["2026-12-25","2027-01-01"]},` +
	`"warn_before":"30m",` +
	`"policies":[{"name":"urgent","priorities":[2,3],"channels":["blog"],"first_response":"1h","next_response":"2h","resolution":"8h"},` +
	`{"name":"default","first_response":"4h","next_response":"1h30m","resolution":"40h"}],` +
	`"escalation":{"notify":true,"reroute":false,"raise_priority":true}}`

// TestSLASettings stores a workspace's SLA and reads it back, refuses
// invalid settings whole, and checks who may do what.
func TestSLASettings(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		const path = "/api/v1/workspaces/velo/sla"
		var before struct {
			Configured bool            `json:"configured"`
			Settings   json.RawMessage `json:"settings"`
		}
		decode(t, w.as(t, model.RoleManager, "GET", path, ""), http.StatusOK, &before)
		if before.Configured {
			t.Errorf("a new workspace's SLA is configured: %+v", before)
		}

		want := `{"configured":true,"settings":` + slaSettings + `}`
		put := w.as(t, model.RoleManager, "PUT", path, slaSettings)
		if put.status != http.StatusOK || string(bytes.TrimSpace(put.body)) != want {
			t.Fatalf("PUT: status %d, body\n%s\nwant\n%s", put.status, put.body, want)
		}
		checkJSONHeaders(t, put)
		// Every reader gets them back as they were given.
		for _, who := range []string{admin, model.RoleOwner, model.RoleManager, model.RoleCM, model.RoleClient} {
			res := w.as(t, who, "GET", path, "")
			if res.status != http.StatusOK || string(bytes.TrimSpace(res.body)) != want {
				t.Errorf("GET as %s: status %d, body\n%s\nwant\n%s", who, res.status, res.body, want)
			}
		}
		// B keeps its own: none.
		decode(t, w.as(t, admin, "GET", "/api/v1/workspaces/banque/sla", ""), http.StatusOK, &before)
		if before.Configured {
			t.Errorf("B's SLA after A's was set: %+v", before)
		}

		// Invalid settings are refused with every fault, and change nothing.
		invalid := `{"calendar":{"time_zone":"Mars/Olympus","holidays":["2026-02-30"]},"warn_before":"-5m",` +
			`"policies":[{"name":"vip","first_response":"-1h"},{"name":"vip","priorities":[4]}]}`
		checkProblem(t, w.as(t, model.RoleOwner, "PUT", path, invalid), http.StatusUnprocessableEntity,
			`calendar: time zone "Mars/Olympus": unknown`,
			`holiday "2026-02-30": want a date such as 2026-12-25`,
			"warn_before -5m: want 0 to 8760h",
			`policy "vip": first_response -1h: want 0 to 8760h`,
			`policy "vip": priority 4: want 0 (normal) to 3 (critical)`,
			`policy "vip": name used twice`)
		checkProblem(t, w.as(t, model.RoleOwner, "PUT", path, `{"calendar":{"time_zone":"UTC"},"policies":[{"name":"x","resolution":"2d"}]}`),
			http.StatusBadRequest, `duration "2d": days are ambiguous in business time; write hours, such as 48h`)
		checkProblem(t, w.as(t, model.RoleOwner, "PUT", path, `{"calendar":{"time_zone":"UTC"},"sla":true}`),
			http.StatusBadRequest, `unknown field "sla"`)
		checkProblem(t, w.as(t, model.RoleOwner, "PUT", path, `{"calendar":{"time_zone":"UTC","hours":{"mon":[]}}}`),
			http.StatusUnprocessableEntity, "hours: no day has an interval")

		// Roles: only owners and managers change it; experts and other
		// workspaces do not see it.
		checkProblem(t, w.as(t, model.RoleCM, "PUT", path, slaSettings), http.StatusForbidden, "cm")
		checkProblem(t, w.as(t, model.RoleClient, "PUT", path, slaSettings), http.StatusForbidden, "client")
		checkProblem(t, w.as(t, model.RoleExpert, "PUT", path, slaSettings), http.StatusNotFound, "not found")
		checkProblem(t, w.as(t, model.RoleExpert, "GET", path, ""), http.StatusNotFound, "not found")
		checkProblem(t, w.as(t, nobody, "GET", path, ""), http.StatusNotFound, "not found")
		checkProblem(t, w.as(t, model.RoleOwner, "GET", "/api/v1/workspaces/banque/sla", ""), http.StatusNotFound, "not found")
		checkProblem(t, w.as(t, model.RoleOwner, "PUT", "/api/v1/workspaces/banque/sla", slaSettings), http.StatusNotFound, "not found")

		if res := w.as(t, model.RoleCM, "GET", path, ""); string(bytes.TrimSpace(res.body)) != want {
			t.Errorf("after refused PUTs: %s", res.body)
		}
		if s, ok, err := st.SLASettings(t.Context(), w.b.ID); err != nil || ok {
			t.Errorf("B's SLA after a refused PUT: %+v, %v, %v", s, ok, err)
		}
	})
}

// TestSLAListsAreNeverNull checks that the SLA answers, like every other
// answer of the API, give empty lists as [] and empty hours as {}, not
// null — for a workspace that never set its SLA, and for settings stored
// without holidays, hours or policies.
func TestSLAListsAreNeverNull(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		const path = "/api/v1/workspaces/velo/sla"
		for _, res := range []response{
			w.as(t, model.RoleManager, "GET", path, ""),
			w.as(t, model.RoleManager, "PUT", path, `{"calendar":{"time_zone":"UTC"}}`),
			w.as(t, model.RoleManager, "GET", path, ""),
		} {
			if res.status != http.StatusOK {
				t.Fatalf("status %d, body %s", res.status, res.body)
			}
			if bytes.Contains(res.body, []byte("null")) {
				t.Errorf("an SLA answer with null: %s", res.body)
			}
		}
	})
}
