package api_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

var webhookSecret = regexp.MustCompile(`^whsec_[0-9a-f]{48}$`)

func TestWebhooks(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		const list = "/api/v1/workspaces/velo/webhooks"
		before := time.Now().Add(-time.Second)
		var hook model.Webhook
		decode(t, w.as(t, model.RoleManager, "POST", list, `{"url":"https://crm.example.com/palabre","events":["conversation.","note.add"]}`), 201, &hook)
		if hook.ID == 0 || hook.URL != "https://crm.example.com/palabre" || !slices.Equal(hook.Events, []string{"conversation.", "note.add"}) ||
			!hook.Active || hook.CreatedBy != model.RoleManager || hook.CreatedAt.Before(before) || !webhookSecret.MatchString(hook.Secret) {
			t.Errorf("created webhook %+v", hook)
		}
		var all model.Webhook
		decode(t, w.as(t, model.RoleOwner, "POST", list, `{"url":"http://10.0.0.5:8080/in"}`), 201, &all)
		if all.Events == nil || len(all.Events) != 0 || !webhookSecret.MatchString(all.Secret) || all.Secret == hook.Secret {
			t.Errorf("webhook for every event %+v", all)
		}

		// The list never shows a secret.
		res := w.as(t, model.RoleOwner, "GET", list, "")
		var got struct {
			Webhooks []model.Webhook `json:"webhooks"`
		}
		decode(t, res, 200, &got)
		if strings.Contains(string(res.body), "whsec_") || strings.Contains(string(res.body), `"secret"`) {
			t.Errorf("the list shows a secret: %s", res.body)
		}
		hook.Secret = ""
		if len(got.Webhooks) != 2 || fmt.Sprint(got.Webhooks[0]) != fmt.Sprint(hook) || got.Webhooks[1].ID != all.ID {
			t.Errorf("webhooks %+v, want %+v then %d", got.Webhooks, hook, all.ID)
		}

		// Bad addresses and events.
		for _, url := range []string{"", "not a url", "ftp://example.com/x", "https://", "https://user:pw@example.com/x", "/relative", "https://example.com/" + strings.Repeat("x", 2000)} {
			checkProblem(t, w.as(t, model.RoleManager, "POST", list, jsonBody(t, map[string]any{"url": url})), http.StatusUnprocessableEntity, "url")
		}
		for _, ev := range []string{"", "Conversation.status", "note add", "conversation.*"} {
			checkProblem(t, w.as(t, model.RoleManager, "POST", list, jsonBody(t, map[string]any{"url": "https://example.com/x", "events": []string{ev}})),
				http.StatusUnprocessableEntity, "event")
		}
		checkProblem(t, w.as(t, model.RoleManager, "POST", list, `{"url":"https://example.com/x","secret":"mine"}`), http.StatusBadRequest)
		// CMs and clients manage no webhook; other workspaces' are out of reach.
		checkProblem(t, w.as(t, model.RoleCM, "GET", list, ""), http.StatusForbidden, "cm")
		checkProblem(t, w.as(t, model.RoleCM, "POST", list, `{"url":"https://example.com/cm"}`), http.StatusForbidden, "cm")
		checkProblem(t, w.as(t, model.RoleClient, "GET", list, ""), http.StatusForbidden, "client")
		checkProblem(t, w.as(t, model.RoleManager, "GET", "/api/v1/workspaces/banque/webhooks", ""), http.StatusNotFound)
		if hs, err := st.Webhooks(context.Background(), w.a.ID); err != nil || len(hs) != 2 {
			t.Errorf("webhooks after refused creations: %+v, %v", hs, err)
		}

		// Deliveries: none at first; an unknown webhook, or another
		// workspace's, is not found.
		item := fmt.Sprintf("%s/%d", list, hook.ID)
		res = w.as(t, model.RoleManager, "GET", item+"/deliveries", "")
		if res.status != 200 || string(res.body) != `{"deliveries":[]}`+"\n" {
			t.Errorf("deliveries at first: status %d, body %s", res.status, res.body)
		}
		checkProblem(t, w.as(t, model.RoleManager, "GET", list+"/999999/deliveries", ""), http.StatusNotFound)
		checkProblem(t, w.as(t, model.RoleManager, "GET", list+"/x/deliveries", ""), http.StatusBadRequest, "webhook id")
		checkProblem(t, w.as(t, model.RoleManager, "GET", item+"/deliveries?limit=0", ""), http.StatusBadRequest, "limit")
		checkProblem(t, w.as(t, model.RoleCM, "GET", item+"/deliveries", ""), http.StatusForbidden, "cm")
		other, err := st.CreateWebhook(context.Background(), w.b.ID, model.Webhook{URL: "https://bank.example.com/"}, "test")
		if err != nil {
			t.Fatal(err)
		}
		checkProblem(t, w.as(t, admin, "GET", fmt.Sprintf("%s/%d/deliveries", list, other.ID), ""), http.StatusNotFound)
		checkProblem(t, w.as(t, admin, "DELETE", fmt.Sprintf("%s/%d", list, other.ID), ""), http.StatusNotFound)

		// Deleting.
		checkProblem(t, w.as(t, model.RoleCM, "DELETE", item, ""), http.StatusForbidden, "cm")
		if res := w.as(t, model.RoleOwner, "DELETE", item, ""); res.status != 204 || len(res.body) != 0 {
			t.Fatalf("DELETE: status %d, body %s", res.status, res.body)
		}
		checkProblem(t, w.as(t, model.RoleOwner, "DELETE", item, ""), http.StatusNotFound)
		checkProblem(t, w.as(t, model.RoleOwner, "GET", item+"/deliveries", ""), http.StatusNotFound)
		decode(t, w.as(t, model.RoleOwner, "GET", list, ""), 200, &got)
		if len(got.Webhooks) != 1 || got.Webhooks[0].ID != all.ID {
			t.Errorf("webhooks after DELETE: %+v", got.Webhooks)
		}
		if hs, err := st.Webhooks(context.Background(), w.b.ID); err != nil || len(hs) != 1 || hs[0].ID != other.ID {
			t.Errorf("banque's webhooks: %+v, %v", hs, err)
		}
	})
}
