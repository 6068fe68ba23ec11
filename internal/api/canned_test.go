package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"palabre/internal/canned"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// cannedAnswer is the answer of GET …/canned-replies.
type cannedAnswer struct {
	CannedReplies []model.CannedReply `json:"canned_replies"`
	Variables     []string            `json:"variables"`
}

// listCanned lists velo's canned replies as the CM, as "name/language".
func listCanned(t *testing.T, w *world, query string) []string {
	t.Helper()
	var got cannedAnswer
	decode(t, w.as(t, model.RoleCM, "GET", "/api/v1/workspaces/velo/canned-replies"+query, ""), 200, &got)
	if !slices.Equal(got.Variables, canned.Names()) {
		t.Errorf("variables %v, want %v", got.Variables, canned.Names())
	}
	out := []string{}
	for _, c := range got.CannedReplies {
		out = append(out, c.Name+"/"+c.Language)
	}
	return out
}

func TestCannedReplies(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		const list = "/api/v1/workspaces/velo/canned-replies"
		create := func(who, body string) model.CannedReply {
			t.Helper()
			var c model.CannedReply
			decode(t, w.as(t, who, "POST", list, body), 201, &c)
			return c
		}
		if got := listCanned(t, w, ""); len(got) != 0 {
			t.Errorf("canned replies at first: %v", got)
		}
		bonjour := create(model.RoleCM, `{"name":"Bonjour","language":"fr","body":"Bonjour {{member.first_name | à vous}} !"}`)
		if bonjour.ID == 0 || bonjour.Name != "Bonjour" || bonjour.Language != "fr" || bonjour.Body != "Bonjour {{member.first_name | à vous}} !" ||
			bonjour.UsageCount != 0 || bonjour.CreatedAt.IsZero() || !bonjour.UpdatedAt.Equal(bonjour.CreatedAt) {
			t.Errorf("created %+v", bonjour)
		}
		hello := create(model.RoleManager, `{"name":"Hello","language":"en","body":"Hello {{member.name}}"}`)
		create(model.RoleOwner, `{"name":"Merci","body":"Merci !"}`)
		// The same name in another language is another canned reply.
		create(model.RoleCM, `{"name":"Bonjour","language":"en","body":"Hi {{ member.first_name|there }}"}`)
		checkProblem(t, w.as(t, model.RoleCM, "POST", list, `{"name":"Bonjour","language":"fr","body":"Salut"}`), http.StatusConflict, "Bonjour")

		if got, want := listCanned(t, w, ""), []string{"Bonjour/en", "Bonjour/fr", "Hello/en", "Merci/"}; !slices.Equal(got, want) {
			t.Errorf("canned replies %v, want %v", got, want)
		}
		if got, want := listCanned(t, w, "?language=fr"), []string{"Bonjour/fr", "Merci/"}; !slices.Equal(got, want) {
			t.Errorf("canned replies in fr %v, want %v", got, want)
		}
		if got, want := listCanned(t, w, "?language=en"), []string{"Bonjour/en", "Hello/en", "Merci/"}; !slices.Equal(got, want) {
			t.Errorf("canned replies in en %v, want %v", got, want)
		}
		if got, want := listCanned(t, w, "?language=de"), []string{"Merci/"}; !slices.Equal(got, want) {
			t.Errorf("canned replies in de %v, want %v", got, want)
		}
		checkProblem(t, w.as(t, model.RoleCM, "GET", list+"?language=FR", ""), http.StatusBadRequest, "language")

		// Templates with unknown variables, or broken, are refused.
		for body, want := range map[string]string{
			"Bonjour {{member.age}}":          `unknown variable "member.age"`,
			"Bonjour {{ client.name | toi }}": `unknown variable "client.name"`,
			"Bonjour {{cm.name":               `not closed`,
			"Bonjour {{}}":                    `no name`,
		} {
			checkProblem(t, w.as(t, model.RoleCM, "POST", list, jsonBody(t, map[string]string{"name": "bad", "body": body})), http.StatusUnprocessableEntity, want)
		}
		checkProblem(t, w.as(t, model.RoleCM, "POST", list, `{"name":"","body":"x"}`), http.StatusUnprocessableEntity, "name")
		checkProblem(t, w.as(t, model.RoleCM, "POST", list, `{"name":"x","body":"  "}`), http.StatusUnprocessableEntity, "body")
		checkProblem(t, w.as(t, model.RoleCM, "POST", list, `{"name":"x","language":"french","body":"x"}`), http.StatusUnprocessableEntity, "language")
		checkProblem(t, w.as(t, model.RoleCM, "POST", list, `{"name":"x","body":"x","usage_count":9}`), http.StatusBadRequest)
		// Clients neither read nor write them.
		checkProblem(t, w.as(t, model.RoleClient, "GET", list, ""), http.StatusForbidden, "client")
		checkProblem(t, w.as(t, model.RoleClient, "POST", list, `{"name":"client's","body":"x"}`), http.StatusForbidden, "client")

		// Editing: a CM may; the name and language stay unique.
		item := fmt.Sprintf("%s/%d", list, hello.ID)
		var edited model.CannedReply
		decode(t, w.as(t, model.RoleCM, "PUT", item, `{"name":"Hello","language":"en","body":"Hello {{member.first_name | there}}!"}`), 200, &edited)
		if edited.ID != hello.ID || edited.Body != "Hello {{member.first_name | there}}!" || !edited.CreatedAt.Equal(hello.CreatedAt) || edited.UpdatedAt.Before(hello.UpdatedAt) {
			t.Errorf("edited %+v, was %+v", edited, hello)
		}
		checkProblem(t, w.as(t, model.RoleCM, "PUT", item, `{"name":"Bonjour","language":"en","body":"x"}`), http.StatusConflict)
		checkProblem(t, w.as(t, model.RoleCM, "PUT", item, `{"name":"Hello","language":"en","body":"{{nope}}"}`), http.StatusUnprocessableEntity, `"nope"`)
		checkProblem(t, w.as(t, model.RoleCM, "PUT", list+"/999999", `{"name":"Hello","body":"x"}`), http.StatusNotFound)
		checkProblem(t, w.as(t, model.RoleCM, "PUT", list+"/x", `{"name":"Hello","body":"x"}`), http.StatusBadRequest, "canned reply id")
		// A canned reply of another workspace is not found under this one.
		other, err := st.SaveCannedReply(context.Background(), w.b.ID, model.CannedReply{Name: "Banque", Body: "Bonjour {{member.name}}"}, "test")
		if err != nil {
			t.Fatal(err)
		}
		checkProblem(t, w.as(t, model.RoleOwner, "PUT", fmt.Sprintf("%s/%d", list, other.ID), `{"name":"Banque","body":"x"}`), http.StatusNotFound)
		checkProblem(t, w.as(t, model.RoleOwner, "DELETE", fmt.Sprintf("%s/%d", list, other.ID), ""), http.StatusNotFound)
		if got, err := st.CannedReply(context.Background(), w.b.ID, other.ID); err != nil || got.Body != "Bonjour {{member.name}}" {
			t.Errorf("banque's canned reply after velo's calls: %+v, %v", got, err)
		}

		// Deleting: managers and owners only.
		checkProblem(t, w.as(t, model.RoleCM, "DELETE", item, ""), http.StatusForbidden, "cm")
		if res := w.as(t, model.RoleManager, "DELETE", item, ""); res.status != 204 || len(res.body) != 0 {
			t.Fatalf("DELETE: status %d, body %s", res.status, res.body)
		}
		checkProblem(t, w.as(t, model.RoleManager, "DELETE", item, ""), http.StatusNotFound)
		if got, want := listCanned(t, w, ""), []string{"Bonjour/en", "Bonjour/fr", "Merci/"}; !slices.Equal(got, want) {
			t.Errorf("canned replies after DELETE %v, want %v", got, want)
		}
	})
}

// renderedAnswer is the answer of GET /conversations/{id}/canned-replies/{cid}.
type renderedAnswer struct {
	CannedReply model.CannedReply `json:"canned_reply"`
	Body        string            `json:"body"`
	Values      map[string]string `json:"values"`
}

func TestRenderCannedReply(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		ctx := context.Background()
		save := func(ws model.Workspace, name, body string) model.CannedReply {
			t.Helper()
			c, err := st.SaveCannedReply(ctx, ws.ID, model.CannedReply{Name: name, Body: body}, "test")
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		full := save(w.a, "Tout", "{{member.name}}|{{member.first_name}}|{{member.handle | sans pseudo}}|{{cm.name}}|{{cm.first_name}}|"+
			"{{workspace.name}}|{{conversation.subject}}|{{channel.name}}")
		hi := save(w.a, "Hi", "Hi {{member.first_name | there}}, {{cm.first_name}} here.")
		banque := save(w.b, "Banque", "Bonjour {{member.name}}")
		render := func(who string, conv, cid int64) response {
			t.Helper()
			return w.as(t, who, "GET", fmt.Sprintf("/api/v1/conversations/%d/canned-replies/%d", conv, cid), "")
		}

		// The seeded conversation p0 of velo: one post by "author of p0".
		msgs, err := st.ConversationMessages(ctx, w.convA)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("messages of conversation A: %v, %v", msgs, err)
		}
		handle := msgs[0].AuthorHandle
		var got renderedAnswer
		decode(t, render(model.RoleCM, w.convA, full.ID), 200, &got)
		wantHandle := handle
		if strings.TrimSpace(handle) == "" {
			wantHandle = "sans pseudo"
		}
		if want := "author of p0|author|" + wantHandle + "|cm|cm|VELO|subject p0|blog"; got.Body != want {
			t.Errorf("rendered %q, want %q", got.Body, want)
		}
		wantValues := map[string]string{
			canned.MemberName: "author of p0", canned.MemberFirstName: "author", canned.MemberHandle: handle,
			canned.CMName: "cm", canned.CMFirstName: "cm", canned.WorkspaceName: "VELO",
			canned.ConversationSubject: "subject p0", canned.ChannelName: "blog",
		}
		if fmt.Sprint(got.Values) != fmt.Sprint(wantValues) {
			t.Errorf("values %v, want %v", got.Values, wantValues)
		}
		if got.CannedReply.ID != full.ID || got.CannedReply.Name != "Tout" {
			t.Errorf("canned reply %+v", got.CannedReply)
		}

		// cm.name is the caller's name, else their login.
		marie, err := st.CreateUser(ctx, model.User{Login: "marie", Name: "Marie Curie"}, "x", "test")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SetMembership(ctx, marie.ID, w.a.ID, model.RoleCM, "test"); err != nil {
			t.Fatal(err)
		}
		token, _ := w.newToken(t, marie.ID, model.APIToken{Name: "marie's"})
		decode(t, w.call(t, "GET", fmt.Sprintf("/api/v1/conversations/%d/canned-replies/%d", w.convA, hi.ID), "", withToken(token)), 200, &got)
		if want := "Hi author, Marie here."; got.Body != want {
			t.Errorf("rendered %q, want %q", got.Body, want)
		}

		// A conversation whose customer gave no name: the fallback.
		anon := anonymousConversation(t, st, w.a)
		decode(t, render(model.RoleOwner, anon, hi.ID), 200, &got)
		if want := "Hi there, owner here."; got.Body != want || got.Values[canned.MemberName] != "" {
			t.Errorf("rendered %q with values %v, want %q", got.Body, got.Values, want)
		}

		// Using it in a reply counts the use.
		reply := fmt.Sprintf(`{"body":%q,"confirm":true,"canned_reply_id":%d}`, "Hi author, cm here.", hi.ID)
		decode(t, w.as(t, model.RoleCM, "POST", fmt.Sprintf("/api/v1/conversations/%d/replies", w.convA), reply), 201, new(replyAnswer))
		reply = fmt.Sprintf(`{"body":"Hi there.","confirm":true,"canned_reply_id":%d}`, hi.ID)
		decode(t, w.as(t, model.RoleCM, "POST", fmt.Sprintf("/api/v1/conversations/%d/replies", anon), reply), 201, new(replyAnswer))
		// Another workspace's canned reply is refused, and counts nothing.
		reply = fmt.Sprintf(`{"body":"x","confirm":true,"canned_reply_id":%d}`, banque.ID)
		checkProblem(t, w.as(t, model.RoleCM, "POST", fmt.Sprintf("/api/v1/conversations/%d/replies", w.convA), reply), http.StatusBadRequest, "canned reply")
		for _, c := range []struct {
			ws   model.Workspace
			id   int64
			want int64
		}{{w.a, hi.ID, 2}, {w.a, full.ID, 0}, {w.b, banque.ID, 0}} {
			if got, err := st.CannedReply(ctx, c.ws.ID, c.id); err != nil || got.UsageCount != c.want {
				t.Errorf("usage of canned reply %d: %d, %v; want %d", c.id, got.UsageCount, err, c.want)
			}
		}
		var listed cannedAnswer
		decode(t, w.as(t, model.RoleCM, "GET", "/api/v1/workspaces/velo/canned-replies", ""), 200, &listed)
		for _, c := range listed.CannedReplies {
			if c.ID == hi.ID && c.UsageCount != 2 {
				t.Errorf("listed usage_count of Hi: %d, want 2", c.UsageCount)
			}
		}

		// Out of reach.
		checkProblem(t, render(model.RoleCM, w.convA, banque.ID), http.StatusNotFound)  // another workspace's canned reply
		checkProblem(t, render(model.RoleCM, w.convB, banque.ID), http.StatusNotFound)  // another workspace's conversation
		checkProblem(t, render(model.RoleCM, w.convA, 999999), http.StatusNotFound)     // no such canned reply
		checkProblem(t, render(model.RoleCM, 999999, hi.ID), http.StatusNotFound)       // no such conversation
		checkProblem(t, render(model.RoleClient, w.convA, hi.ID), http.StatusForbidden) // a client
		checkProblem(t, render(model.RoleExpert, w.convA, hi.ID), http.StatusForbidden) // an expert asked in
		checkProblem(t, render(model.RoleExpert, anon, hi.ID), http.StatusNotFound)     // an expert not asked in
		outsiderToken, _ := w.newToken(t, w.people[outsider].user.ID, model.APIToken{Name: "outsider's"})
		checkProblem(t, w.call(t, "GET", fmt.Sprintf("/api/v1/conversations/%d/canned-replies/%d", w.convA, hi.ID), "", withToken(outsiderToken)), http.StatusNotFound) // a CM of another workspace
		checkProblem(t, w.as(t, model.RoleCM, "GET", fmt.Sprintf("/api/v1/conversations/%d/canned-replies/x", w.convA), ""), http.StatusBadRequest, "canned reply id")
		// The administrator renders banque's in banque's conversation.
		decode(t, render(admin, w.convB, banque.ID), 200, &got)
		if !strings.HasPrefix(got.Body, "Bonjour author of ") || got.Values[canned.CMName] != admin || got.Values[canned.WorkspaceName] != "BANQUE" {
			t.Errorf("banque's rendered %q with %v", got.Body, got.Values)
		}
	})
}

// anonymousConversation adds to ws a conversation of one post whose
// author gave no name, and returns its id.
func anonymousConversation(t *testing.T, st *store.Store, ws model.Workspace) int64 {
	t.Helper()
	ctx := context.Background()
	ch, err := st.EnsureChannel(ctx, ws.ID, "blog", "wordpress")
	if err != nil {
		t.Fatal(err)
	}
	it := message("anon", "", "anon", t0)
	it.Message.AuthorName = ""
	if _, err := st.NewImporter(ws, ch).Write(ctx, []store.IngestItem{it}); err != nil {
		t.Fatal(err)
	}
	_, id := firstMessage(t, st, ws.ID, "anon")
	return id
}
