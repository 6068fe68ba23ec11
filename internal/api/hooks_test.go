package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"palabre/internal/store"
	"palabre/internal/testutil"
	"palabre/internal/webhook"
)

// TestInboundHook posts signed deliveries to a channel's inbound webhook:
// stored once, replays and bad signatures refused, bad messages located,
// nothing stored from a refused batch.
func TestInboundHook(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		f := serve(t, st)
		ctx := context.Background()
		// A manager's client (here the fixture's administrator) makes the
		// webhook and reads its secret, shown this once.
		res := f.send(t, http.MethodPost, "/api/v1/workspaces/velo/sources", `{"channel":"contact","kind":"webhook","name":"Formulaire","config":{}}`)
		var created struct {
			ID     int64 `json:"id"`
			Config struct {
				Secret string `json:"secret"`
			} `json:"config"`
		}
		if res.status != http.StatusCreated || json.Unmarshal(res.body, &created) != nil || !strings.HasPrefix(created.Config.Secret, "whsec_") {
			t.Fatalf("create: %d %s", res.status, res.body)
		}
		shown := f.do(t, http.MethodGet, "/api/v1/workspaces/velo/sources")
		if strings.Contains(string(shown.body), created.Config.Secret) || !strings.Contains(string(shown.body), `"secret":"********"`) {
			t.Errorf("the secret is shown again: %s", shown.body)
		}
		secret := []byte(created.Config.Secret)
		post := func(path, body, signature string) (int, string) {
			t.Helper()
			req, _ := http.NewRequest(http.MethodPost, f.base+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if signature != "" {
				req.Header.Set(webhook.SignatureHeader, signature)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		const hook = "/api/v1/hooks/velo/contact"
		msg := `{"external_id":"form-1","author_name":"Zoé","author_email":"zoe@example.org","body":"Mon vélo est arrivé cassé.","created_at":"2026-11-26T08:00:00Z"}`
		now := time.Now()
		if code, body := post(hook, msg, webhook.Sign(secret, now, []byte(msg))); code != http.StatusOK || body != `{"read":1,"inserted":1,"duplicates":0}`+"\n" {
			t.Fatalf("first delivery: %d %s", code, body)
		}
		for _, tc := range []struct {
			name, path, body, sig string
			code                  int
			says                  string
		}{
			{"a replay", hook, msg, webhook.Sign(secret, now, []byte(msg)), http.StatusConflict, "accepted already"},
			{"no signature", hook, msg, "", http.StatusUnauthorized, ""},
			{"another secret", hook, msg, webhook.Sign([]byte("whsec_someone_else_entirely"), now, []byte(msg)), http.StatusUnauthorized, ""},
			{"an old signature", hook, msg, webhook.Sign(secret, now.Add(-time.Hour), []byte(msg)), http.StatusUnauthorized, ""},
			{"another channel", "/api/v1/hooks/velo/blog", msg, webhook.Sign(secret, now, []byte(msg)), http.StatusNotFound, ""},
			{"another workspace", "/api/v1/hooks/nope/contact", msg, webhook.Sign(secret, now, []byte(msg)), http.StatusNotFound, ""},
		} {
			if code, body := post(tc.path, tc.body, tc.sig); code != tc.code || !strings.Contains(body, tc.says) || !strings.Contains(body, `"status":`) {
				t.Errorf("%s: %d %s, want %d", tc.name, code, body, tc.code)
			}
		}
		// A batch with bad messages: each located, none stored.
		batch := `{"messages":[{"external_id":"form-2","body":"ok","created_at":"2026-11-26T08:01:00Z"},{"external_id":"form-3","body":"no date"}]}`
		code, body := post(hook, batch, webhook.Sign(secret, now, []byte(batch)))
		if code != http.StatusBadRequest || !strings.Contains(body, `"pointer":"/messages/1"`) || !strings.Contains(body, "created_at") {
			t.Fatalf("bad batch: %d %s", code, body)
		}
		// The same message again, in a new body: a duplicate, not a
		// second message.
		again := `{"messages":[` + msg + `,{"external_id":"form-2","body":"ok","created_at":"2026-11-26T08:01:00Z"}]}`
		if code, body := post(hook, again, webhook.Sign(secret, now, []byte(again))); code != http.StatusOK || body != `{"read":2,"inserted":1,"duplicates":1}`+"\n" {
			t.Fatalf("again: %d %s", code, body)
		}
		big := `{"body":"` + strings.Repeat("a", 1<<20) + `"}`
		if code, _ := post(hook, big, webhook.Sign(secret, now, []byte(big))); code != http.StatusRequestEntityTooLarge {
			t.Errorf("a 1 MiB body: %d", code)
		}
		// Forty deliveries at once, as a busy form posts them: stored in
		// shared transactions, each answered for its own message, each
		// remembered.
		const burst = 40
		bodies := make([]string, burst)
		codes := make([]int, burst)
		answers := make([]string, burst)
		var wg sync.WaitGroup
		for i := range burst {
			bodies[i] = fmt.Sprintf(`{"external_id":"burst-%d","author_name":"Client %d","body":"Commande %d","created_at":"2026-11-26T09:00:00Z"}`, i, i, i)
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], answers[i] = post(hook, bodies[i], webhook.Sign(secret, now, []byte(bodies[i])))
			}()
		}
		wg.Wait()
		for i := range burst {
			if codes[i] != http.StatusOK || answers[i] != `{"read":1,"inserted":1,"duplicates":0}`+"\n" {
				t.Fatalf("delivery %d of the burst: %d %s", i, codes[i], answers[i])
			}
			if code, _ := post(hook, bodies[i], webhook.Sign(secret, now, []byte(bodies[i]))); code != http.StatusConflict {
				t.Errorf("delivery %d of the burst replayed: %d, want 409", i, code)
			}
		}
		ws, err := st.WorkspaceBySlug(ctx, "velo")
		if err != nil {
			t.Fatal(err)
		}
		page, err := st.Conversations(ctx, ws.ID, store.ConversationFilter{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range page.Conversations {
			if c.Channel == "contact" {
				n++
			}
		}
		if n != 2+burst {
			t.Errorf("%d conversations in the contact channel, want %d (form-1, form-2 and the burst)", n, 2+burst)
		}
	})
}
