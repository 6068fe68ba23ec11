package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"palabre/internal/httpx"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// as calls the API with the read-write token of the person named who.
func (w *world) as(t *testing.T, who, method, path, body string) response {
	t.Helper()
	return w.call(t, method, path, body, withToken(w.people[who].token))
}

// decode checks that res has status and decodes its JSON body into v.
func decode(t *testing.T, res response, status int, v any) {
	t.Helper()
	if res.status != status {
		t.Fatalf("status %d, want %d; body %s", res.status, status, res.body)
	}
	checkJSONHeaders(t, res)
	if err := json.Unmarshal(res.body, v); err != nil {
		t.Fatalf("%v in %s", err, res.body)
	}
}

// history returns the events of a conversation as "action detail",
// leaving out those whose action does not start with prefix.
func (w *world) history(t *testing.T, who string, id int64, prefix string) []string {
	t.Helper()
	var got struct {
		Events []model.Event `json:"events"`
	}
	decode(t, w.as(t, who, "GET", fmt.Sprintf("/api/v1/conversations/%d/history", id), ""), 200, &got)
	out := []string{}
	for _, e := range got.Events {
		if e.ConversationID != id {
			t.Errorf("event %+v of conversation %d's history", e, id)
		}
		if strings.HasPrefix(e.Action, prefix) {
			out = append(out, e.Action+" "+e.Detail)
		}
	}
	return out
}

// veloIDs returns the ids of velo's conversations by root: p0…p6.
func veloIDs(t *testing.T, w *world) map[string]int64 {
	t.Helper()
	page, err := w.st.Conversations(context.Background(), w.a.ID, store.ConversationFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	ids := make(map[string]int64)
	for _, c := range page.Conversations {
		ids[c.RootExternalID] = c.ID
	}
	return ids
}

func TestPatchConversation(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		path := fmt.Sprintf("/api/v1/conversations/%d", w.convA)
		patch := func(who, body string) model.Conversation {
			t.Helper()
			var c model.Conversation
			decode(t, w.as(t, who, "PATCH", path, body), 200, &c)
			if c.ID != w.convA {
				t.Fatalf("PATCH answered conversation %d, want %d", c.ID, w.convA)
			}
			return c
		}
		before := time.Now().Add(-time.Second)
		c := patch(model.RoleManager, `{"status":"open","priority":2,"add_tags":["Livraison ","  retard"]}`)
		if c.Status != "open" || c.Priority != 2 || !slices.Equal(c.Tags, []string{"livraison", "retard"}) ||
			c.StatusAt == nil || c.StatusAt.Before(before) {
			t.Errorf("after status, priority and tags: %+v", c)
		}
		c = patch(model.RoleManager, `{"remove_tags":["RETARD"],"add_tags":["livraison"]}`)
		if !slices.Equal(c.Tags, []string{"livraison"}) {
			t.Errorf("tags after removing retard: %v", c.Tags)
		}
		until := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
		c = patch(model.RoleManager, `{"snooze_until":"`+until.Format(time.RFC3339)+`"}`)
		if c.SnoozedUntil == nil || !c.SnoozedUntil.Equal(until) {
			t.Errorf("snoozed_until %v, want %v", c.SnoozedUntil, until)
		}
		var page conversationsPage
		decode(t, w.as(t, model.RoleCM, "GET", "/api/v1/workspaces/velo/conversations?snoozed=true", ""), 200, &page)
		if got := ids(page.Conversations); !slices.Equal(got, []int64{w.convA}) {
			t.Errorf("snoozed conversations %v, want [%d]", got, w.convA)
		}
		decode(t, w.as(t, model.RoleCM, "GET", "/api/v1/workspaces/velo/conversations?snoozed=false", ""), 200, &page)
		if got := ids(page.Conversations); len(got) != 6 || slices.Contains(got, w.convA) {
			t.Errorf("conversations not snoozed %v, want the 6 others", got)
		}
		if c = patch(model.RoleManager, `{"unsnooze":true}`); c.SnoozedUntil != nil {
			t.Errorf("snoozed_until %v after unsnooze", c.SnoozedUntil)
		}
		c = patch(model.RoleManager, `{"assignee":"cm"}`)
		if c.Assignee != model.RoleCM || c.AssigneeID == nil || *c.AssigneeID != w.people[model.RoleCM].user.ID ||
			c.AssignmentReason != "assigned by manager" || c.AssignedAt == nil {
			t.Errorf("after assigning cm: %+v", c)
		}
		c = patch(model.RoleManager, `{"assignee":""}`)
		if c.Assignee != "" || c.AssigneeID != nil || c.AssignedAt != nil || c.AssignmentReason != "unassigned by manager" {
			t.Errorf("after unassigning: %+v", c)
		}
		// The same change again changes nothing, and records nothing.
		patch(model.RoleManager, `{"status":"open","priority":2,"add_tags":["livraison"],"assignee":""}`)

		want := []string{
			`conversation.status {"after":"open","before":"new"}`,
			`conversation.priority {"after":2,"before":0}`,
			`conversation.tags {"added":["livraison","retard"],"removed":[]}`,
			`conversation.tags {"added":[],"removed":["retard"]}`,
			`conversation.snooze {"after":"` + until.Format(time.RFC3339) + `","before":null}`,
			`conversation.unsnooze {"after":null,"before":"` + until.Format(time.RFC3339) + `"}`,
			`conversation.assign {"assignee":"cm","before":null,"reason":"manager"}`,
			`conversation.assign {"assignee":null,"before":"cm","reason":"manager"}`,
		}
		// Whoever reads the conversation reads its history: the client, and
		// the expert asked in.
		for _, who := range []string{model.RoleManager, model.RoleClient, model.RoleExpert} {
			if got := w.history(t, who, w.convA, "conversation."); !slices.Equal(got, want) {
				t.Errorf("history as %s:\n%s\nwant\n%s", who, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}
		for _, e := range w.history(t, model.RoleManager, w.convA, "") {
			if !strings.HasPrefix(e, "conversation.") && !strings.HasPrefix(e, "note.") && !strings.HasPrefix(e, "message.new ") {
				t.Errorf("unexpected event in the history: %s", e)
			}
		}
		res := w.as(t, model.RoleManager, "GET", path+"/history?after=x", "")
		checkProblem(t, res, 400, `after "x"`)
		checkProblem(t, w.as(t, model.RoleManager, "GET", path+"/history?limit=1001", ""), 400, `limit "1001"`)

		// Refused changes change nothing.
		for _, c := range []struct {
			who, body string
			status    int
			want      string
		}{
			{model.RoleManager, `{}`, 400, "nothing to change"},
			{model.RoleManager, `{"status":"closed"}`, 400, `status "closed"`},
			{model.RoleManager, `{"priority":7}`, 400, "priority 7"},
			{model.RoleManager, `{"add_tags":["a,b"]}`, 400, "commas"},
			{model.RoleManager, `{"add_tags":["x"],"remove_tags":["X"]}`, 400, "both added and removed"},
			{model.RoleManager, `{"snooze_until":"2020-01-01T00:00:00Z"}`, 400, "must be in the future"},
			{model.RoleManager, `{"snooze_until":"` + until.Format(time.RFC3339) + `","unsnooze":true}`, 400, "choose one"},
			{model.RoleManager, `{"assignee":"client"}`, 400, "cannot be assigned"},
			{model.RoleManager, `{"assignee":"nobody"}`, 400, "no role in this workspace"},
			{model.RoleManager, `{"assignee":"outsider"}`, 400, "no role in this workspace"},
			{model.RoleManager, `{"status":"open","color":"red"}`, 400, "color"},
			{model.RoleCM, `{"assignee":"manager"}`, 403, "themselves"},
			{model.RoleCM, `{"assignee":"manager","status":"pending"}`, 403, "themselves"},
			{model.RoleExpert, `{"status":"pending"}`, 403, "expert"},
			{model.RoleClient, `{"status":"pending"}`, 403, "client"},
		} {
			checkProblem(t, w.as(t, c.who, "PATCH", path, c.body), c.status, c.want)
		}
		if got := w.history(t, model.RoleManager, w.convA, "conversation."); !slices.Equal(got, want) {
			t.Errorf("refused changes made history:\n%s", strings.Join(got, "\n"))
		}
		// A CM takes a conversation, and gives it back.
		if c = patch(model.RoleCM, `{"assignee":"cm"}`); c.Assignee != model.RoleCM || c.AssignmentReason != "assigned by cm" {
			t.Errorf("the CM took it: %+v", c)
		}
		if c = patch(model.RoleCM, `{"assignee":""}`); c.Assignee != "" || c.AssignmentReason != "unassigned by cm" {
			t.Errorf("the CM gave it back: %+v", c)
		}
	})
}

func ids(cs []model.Conversation) []int64 {
	out := []int64{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func TestBulkChange(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		ctx := context.Background()
		velo := veloIDs(t, w)
		const bulk = "/api/v1/workspaces/velo/conversations/bulk"
		body := func(ids []int64, rest string) string {
			raw, _ := json.Marshal(ids)
			return `{"ids":` + string(raw) + `,` + rest + `}`
		}
		var got struct {
			Conversations []model.Conversation `json:"conversations"`
		}
		chosen := []int64{velo["p3"], velo["p1"]}
		decode(t, w.as(t, model.RoleManager, "POST", bulk, body(chosen, `"status":"pending","add_tags":["vip"],"assignee":"cm"`)), 200, &got)
		if !slices.Equal(ids(got.Conversations), chosen) {
			t.Fatalf("bulk answered %v, want %v in that order", ids(got.Conversations), chosen)
		}
		for _, c := range got.Conversations {
			if c.Status != "pending" || !slices.Equal(c.Tags, []string{"vip"}) || c.Assignee != model.RoleCM {
				t.Errorf("after the bulk change: %+v", c)
			}
		}
		// All or nothing: one conversation of banque, or one that does not
		// exist, and nothing changes.
		snapshot := func() map[int64]string {
			out := make(map[int64]string)
			for _, id := range velo {
				c, err := st.Conversation(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				tags, err := st.ConversationTags(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				out[id] = fmt.Sprintf("%s %d %q %v", c.Status, c.Priority, c.Assignee, tags)
			}
			return out
		}
		was := snapshot()
		for _, c := range []struct {
			who, body string
			status    int
			want      string
		}{
			{model.RoleManager, body([]int64{velo["p0"], w.convB}, `"status":"resolved"`), 404, fmt.Sprintf("conversation %d", w.convB)},
			{model.RoleManager, body([]int64{velo["p0"], 999999}, `"status":"resolved"`), 404, "conversation 999999"},
			{model.RoleManager, body([]int64{velo["p0"]}, `"status":"closed"`), 400, `status "closed"`},
			{model.RoleManager, body([]int64{}, `"status":"resolved"`), 400, "no conversation"},
			{model.RoleManager, body([]int64{velo["p0"]}, `"ids2":[]`), 400, "ids2"},
			{model.RoleManager, `{"ids":[` + fmt.Sprint(velo["p0"]) + `]}`, 400, "nothing to change"},
			{model.RoleCM, body([]int64{velo["p0"], velo["p2"]}, `"assignee":"manager"`), 403, "themselves"},
			{model.RoleClient, body([]int64{velo["p0"]}, `"status":"resolved"`), 403, "client"},
			{model.RoleExpert, body([]int64{w.convA}, `"status":"resolved"`), 404, "not found"},
		} {
			checkProblem(t, w.as(t, c.who, "POST", bulk, c.body), c.status, c.want)
		}
		if now := snapshot(); fmt.Sprint(now) != fmt.Sprint(was) {
			t.Errorf("refused bulk changes changed conversations:\n%v\nwas\n%v", now, was)
		}
		if c, err := st.Conversation(ctx, w.convB); err != nil || c.Status != "new" {
			t.Errorf("banque's conversation after the refused bulk: %+v, %v", c, err)
		}
		// A CM may take many at once.
		decode(t, w.as(t, model.RoleCM, "POST", bulk, body([]int64{velo["p0"], velo["p2"]}, `"assignee":"cm"`)), 200, &got)
		for _, c := range got.Conversations {
			if c.Assignee != model.RoleCM {
				t.Errorf("after the CM took them: %+v", c)
			}
		}
	})
}

func TestExpertQueue(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		ctx := context.Background()
		lea := w.addUser(t, "lea", false)
		if err := st.SetMembership(ctx, lea.user.ID, w.a.ID, model.RoleExpert, "test"); err != nil {
			t.Fatal(err)
		}
		lea.token, _ = w.newToken(t, lea.user.ID, model.APIToken{Name: "lea", CanWrite: true})
		w.people["lea"] = lea
		velo := veloIDs(t, w)
		p3 := fmt.Sprintf("/api/v1/conversations/%d", velo["p3"])
		queue := func() []int64 {
			t.Helper()
			var page conversationsPage
			decode(t, w.as(t, "lea", "GET", "/api/v1/workspaces/velo/conversations", ""), 200, &page)
			return ids(page.Conversations)
		}
		if got := queue(); len(got) != 0 {
			t.Fatalf("lea's queue before she is asked in: %v", got)
		}
		checkProblem(t, w.as(t, "lea", "GET", p3, ""), 404, "not found")
		checkProblem(t, w.as(t, "lea", "GET", p3+"/notes", ""), 404, "not found")
		checkProblem(t, w.as(t, "lea", "POST", p3+"/notes", `{"body":"bonjour"}`), 404, "not found")

		// An address and an unknown login are no mentions; @lea is.
		var note model.Note
		decode(t, w.as(t, model.RoleManager, "POST", p3+"/notes", `{"body":"Écrire à lea@example.com ? @inconnu non, @Lea. Merci"}`), 201, &note)
		if note.Author != model.RoleManager || !slices.Equal(note.Mentions, []string{"lea"}) || note.ConversationID != velo["p3"] || note.ID == 0 {
			t.Errorf("note %+v: want by manager, mentioning lea only", note)
		}
		if got := queue(); !slices.Equal(got, []int64{velo["p3"]}) {
			t.Errorf("lea's queue %v, want only p3 (%d)", got, velo["p3"])
		}
		if res := w.as(t, "lea", "GET", p3, ""); res.status != 200 {
			t.Errorf("lea reads p3: status %d, body %s", res.status, res.body)
		}
		decode(t, w.as(t, "lea", "POST", p3+"/notes", `{"body":"Vu, @manager : c'est un défaut connu."}`), 201, &note)
		if note.Author != "lea" || !slices.Equal(note.Mentions, []string{model.RoleManager}) {
			t.Errorf("lea's note %+v", note)
		}
		var notes struct {
			Notes []model.Note `json:"notes"`
		}
		decode(t, w.as(t, "lea", "GET", p3+"/notes", ""), 200, &notes)
		var authors []string
		for _, n := range notes.Notes {
			authors = append(authors, n.Author)
		}
		if !slices.Equal(authors, []string{model.RoleManager, "lea"}) {
			t.Errorf("authors of p3's notes %v, want manager then lea", authors)
		}
		// An expert reads and writes notes, no more; other conversations
		// stay out of reach; a client reads no note.
		checkProblem(t, w.as(t, "lea", "PATCH", p3, `{"status":"pending"}`), 403, "expert")
		checkProblem(t, w.as(t, "lea", "POST", p3+"/replies", `{"body":"x","confirm":true}`), 403, "expert")
		checkProblem(t, w.as(t, "lea", "GET", fmt.Sprintf("/api/v1/conversations/%d", velo["p4"]), ""), 404, "not found")
		checkProblem(t, w.as(t, "lea", "GET", "/api/v1/workspaces/velo/topics", ""), 404, "not found")
		checkProblem(t, w.as(t, model.RoleClient, "GET", p3+"/notes", ""), 403, "client")
		checkProblem(t, w.as(t, model.RoleClient, "POST", p3+"/notes", `{"body":"x"}`), 403, "client")
		for _, body := range []string{`{"body":"   "}`, `{}`, `{"body":"` + strings.Repeat("x", model.MaxNoteLen+1) + `"}`} {
			checkProblem(t, w.as(t, "lea", "POST", p3+"/notes", body), 400)
		}
		first, second := notes.Notes[0].ID, notes.Notes[1].ID
		// Each sees the notes, and only the notifications addressed to them.
		// A note's mentions come first, so that a live stream lets the
		// users asked in see the note itself.
		want := []string{
			fmt.Sprintf(`note.add {"mentions":["lea"],"note":%d}`, first),
			fmt.Sprintf(`note.mention {"mentioned":"manager","note":%d}`, second),
			fmt.Sprintf(`note.add {"mentions":["manager"],"note":%d}`, second),
		}
		if got := w.history(t, model.RoleManager, velo["p3"], "note."); !slices.Equal(got, want) {
			t.Errorf("note events of p3 for the manager: %v, want %v", got, want)
		}
		want = []string{
			fmt.Sprintf(`note.mention {"mentioned":"lea","note":%d}`, first),
			fmt.Sprintf(`note.add {"mentions":["lea"],"note":%d}`, first),
			fmt.Sprintf(`note.add {"mentions":["manager"],"note":%d}`, second),
		}
		if got := w.history(t, "lea", velo["p3"], "note."); !slices.Equal(got, want) {
			t.Errorf("note events of p3 for lea: %v, want %v", got, want)
		}
	})
}

// TestClientHistoryHidesStaffNotes shows a client's history of a
// conversation holding its internal notes' events: who was @mentioned
// (note.add) and the notifications addressed to the expert (note.mention),
// though notes are for staff only and an event with a recipient is for
// that one user (model.Event).
func TestClientHistoryHidesStaffNotes(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st) // the owner's note asked the expert into convA
		for _, who := range []string{model.RoleClient, model.RoleCM} {
			var got struct {
				Events []model.Event `json:"events"`
			}
			decode(t, w.as(t, who, "GET", fmt.Sprintf("/api/v1/conversations/%d/history", w.convA), ""), 200, &got)
			for _, e := range got.Events {
				if (who == model.RoleClient && strings.HasPrefix(e.Action, "note.")) ||
					(e.RecipientID != 0 && e.RecipientID != w.people[who].user.ID) {
					t.Errorf("%s's history shows %s %s (recipient %d)", who, e.Action, e.Detail, e.RecipientID)
				}
			}
		}
	})
}

// replyAnswer is a 201 or 200 of POST …/replies.
type replyAnswer struct {
	Message  store.StoredMessage `json:"message"`
	OutboxID int64               `json:"outbox_id"`
	Replayed bool                `json:"replayed"`
}

func TestReplies(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		ctx := context.Background()
		path := fmt.Sprintf("/api/v1/conversations/%d/replies", w.convA)
		var shown struct {
			Conversation model.Conversation    `json:"conversation"`
			Messages     []store.StoredMessage `json:"messages"`
		}
		decode(t, w.as(t, model.RoleCM, "GET", fmt.Sprintf("/api/v1/conversations/%d", w.convA), ""), 200, &shown)
		if len(shown.Messages) != 1 || shown.Conversation.Status != "new" || shown.Conversation.FirstResponseAt != nil {
			t.Fatalf("conversation A before replies: %+v", shown)
		}
		newest := shown.Messages[0].ID

		checkProblem(t, w.as(t, model.RoleCM, "POST", path, `{"body":"Bonjour !","client_id":"r1"}`), 400, "based_on")
		checkProblem(t, w.as(t, model.RoleCM, "POST", path, fmt.Sprintf(`{"body":"  ","based_on":%d}`, newest)), 400, "body")
		checkProblem(t, w.as(t, model.RoleCM, "POST", path, fmt.Sprintf(`{"body":"x","based_on":%d,"client_id":"a b"}`, newest)), 400, "client_id")
		checkProblem(t, w.as(t, model.RoleCM, "POST", path, fmt.Sprintf(`{"body":"x","based_on":%d,"status":"done"}`, newest)), 400, `status "done"`)
		checkProblem(t, w.as(t, model.RoleCM, "POST", path, fmt.Sprintf(`{"body":"x","based_on":%d,"in_reply_to":"nope"}`, newest)), 400, `in_reply_to "nope"`)

		first := fmt.Sprintf(`{"body":"Bonjour, nous regardons.","based_on":%d,"client_id":"r1","in_reply_to":"p0"}`, newest)
		var sent replyAnswer
		decode(t, w.as(t, model.RoleCM, "POST", path, first), 201, &sent)
		m := sent.Message
		if sent.Replayed || sent.OutboxID == 0 || m.ID <= newest || m.ConversationID != w.convA || !m.AuthorIsStaff ||
			m.Body != "Bonjour, nous regardons." || m.ParentExternalID != "p0" || m.AuthorHandle != model.RoleCM ||
			m.ExternalID != store.ReplyPrefix+"r1" {
			t.Errorf("reply %+v", sent)
		}
		// The same client_id again is the same reply.
		var again replyAnswer
		decode(t, w.as(t, model.RoleCM, "POST", path, first), 200, &again)
		if !again.Replayed || again.Message.ID != m.ID || again.OutboxID != sent.OutboxID {
			t.Errorf("replay %+v, want message %d, outbox %d, replayed", again, m.ID, sent.OutboxID)
		}
		c, err := st.Conversation(ctx, w.convA)
		if err != nil || c.Status != "open" || c.MessageCount != 2 || c.FirstResponseAt == nil || c.AwaitingSince != nil {
			t.Errorf("conversation A after the reply: %+v, %v", c, err)
		}

		// A customer writes while a second reply is being written.
		ch, err := st.EnsureChannel(ctx, w.a.ID, "blog", "wordpress")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.NewImporter(w.a, ch).Write(ctx, []store.IngestItem{message("p0-late", "p0", "p0", time.Now())}); err != nil {
			t.Fatal(err)
		}
		second := fmt.Sprintf(`{"body":"Voici la solution.","based_on":%d,"client_id":"r2","status":"pending"}`, m.ID)
		res := w.as(t, model.RoleCM, "POST", path, second)
		if res.status != http.StatusConflict || res.header.Get("Content-Type") != httpx.ContentTypeProblem {
			t.Fatalf("reply after a new message: status %d, Content-Type %q, body %s", res.status, res.header.Get("Content-Type"), res.body)
		}
		var stale struct {
			Type, Title, Detail string
			Status              int
			Messages            []store.StoredMessage
		}
		if err := json.Unmarshal(res.body, &stale); err != nil {
			t.Fatal(err)
		}
		if stale.Type != "about:blank" || stale.Title != "Conflict" || stale.Status != 409 ||
			!strings.Contains(stale.Detail, "1 new message(s)") || len(stale.Messages) != 1 || stale.Messages[0].ExternalID != "p0-late" {
			t.Errorf("409 problem %s", res.body)
		}
		if c, _ := st.Conversation(ctx, w.convA); c.MessageCount != 3 || c.Status != "open" {
			t.Errorf("the refused reply changed the conversation: %+v", c)
		}
		// Read, then confirmed.
		decode(t, w.as(t, model.RoleCM, "POST", path, strings.Replace(second, `"client_id"`, `"confirm":true,"client_id"`, 1)), 201, &sent)
		if sent.Replayed || sent.Message.Body != "Voici la solution." || sent.Message.ExternalID != store.ReplyPrefix+"r2" {
			t.Errorf("confirmed reply %+v", sent)
		}
		if c, _ := st.Conversation(ctx, w.convA); c.Status != "pending" || c.MessageCount != 4 {
			t.Errorf("conversation A after the confirmed reply: %+v", c)
		}
		// A client_id is one reply's: in another conversation it conflicts.
		other := veloIDs(t, w)["p4"]
		checkProblem(t, w.as(t, model.RoleCM, "POST", fmt.Sprintf("/api/v1/conversations/%d/replies", other),
			`{"body":"x","confirm":true,"client_id":"r1"}`), 409, "another conversation")

		// The outbox lists both replies, newest first.
		var outbox struct {
			Outbox []store.OutboxEntry `json:"outbox"`
		}
		decode(t, w.as(t, model.RoleManager, "GET", "/api/v1/workspaces/velo/outbox", ""), 200, &outbox)
		var got []string
		for _, e := range outbox.Outbox {
			got = append(got, fmt.Sprintf("%d %s %s %s %s %d", e.ConversationID, e.Channel, e.InReplyTo, e.Status, e.Body, e.Attempts))
		}
		want := []string{
			fmt.Sprintf("%d blog p0 pending Voici la solution. 0", w.convA),
			fmt.Sprintf("%d blog p0 pending Bonjour, nous regardons. 0", w.convA),
		}
		if !slices.Equal(got, want) {
			t.Errorf("outbox %v, want %v", got, want)
		}
		decode(t, w.as(t, model.RoleCM, "GET", "/api/v1/workspaces/velo/outbox?status=sent", ""), 200, &outbox)
		if len(outbox.Outbox) != 0 {
			t.Errorf("sent outbox: %v", outbox.Outbox)
		}
		decode(t, w.as(t, model.RoleCM, "GET", "/api/v1/workspaces/velo/outbox?limit=1", ""), 200, &outbox)
		if len(outbox.Outbox) != 1 || outbox.Outbox[0].MessageID != sent.Message.ID {
			t.Errorf("outbox, limit 1: %v", outbox.Outbox)
		}
		checkProblem(t, w.as(t, model.RoleCM, "GET", "/api/v1/workspaces/velo/outbox?status=lost", ""), 400, `"lost"`)
		checkProblem(t, w.as(t, model.RoleCM, "GET", "/api/v1/workspaces/velo/outbox?limit=501", ""), 400, "limit")
		checkProblem(t, w.as(t, model.RoleManager, "GET", "/api/v1/workspaces/banque/outbox", ""), 404, "not found")
	})
}

func TestRoutingRules(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		ctx := context.Background()
		const rules = "/api/v1/workspaces/velo/routing-rules"
		empty := w.as(t, model.RoleCM, "GET", rules, "")
		if empty.status != 200 || strings.TrimSpace(string(empty.body)) != `{"rules":[]}` {
			t.Fatalf("no rules yet: status %d, body %s", empty.status, empty.body)
		}
		invalid := `{"rules":[{"name":" ","then":{"tags":["a"]}},{"name":"vide","then":{}},` +
			`{"name":"Vide","then":{"tags":["a,b"],"priority":9}}]}`
		checkProblem(t, w.as(t, model.RoleManager, "PUT", rules, invalid), http.StatusUnprocessableEntity,
			"rule 1: a name is required", `rule 2 ("vide"): does nothing`, `rule 3 ("Vide"): another rule has this name`,
			`rule 3 ("Vide"): tag "a,b"`, `rule 3 ("Vide"): priority 9`)
		for _, body := range []string{`{}`, `{"rules":null}`, `{"rules":{}}`, `{"rules":[],"extra":1}`,
			`{"rules":[{"name":"x","then":{"assign":"cm"}}]}`} {
			checkProblem(t, w.as(t, model.RoleManager, "PUT", rules, body), 400)
		}
		checkProblem(t, w.as(t, model.RoleCM, "PUT", rules, `{"rules":[]}`), 403, "cm")
		if res := w.as(t, model.RoleCM, "GET", rules, ""); string(res.body) != string(empty.body) {
			t.Errorf("refused rules were stored: %s", res.body)
		}

		// A new CM, zoe, whom one rule gives everything.
		zoe := w.addUser(t, "zoe", false)
		if err := st.SetMembership(ctx, zoe.user.ID, w.a.ID, model.RoleCM, "test"); err != nil {
			t.Fatal(err)
		}
		zoe.token, _ = w.newToken(t, zoe.user.ID, model.APIToken{Name: "zoe"})
		w.people["zoe"] = zoe
		valid := `{"rules":[{"name":"Zoé prend tout","when":{"channel":"blog"},"then":{"assign_to":"zoe","tags":["routé"],"priority":1}},` +
			`{"name":"jamais","when":{"channel":"forum"},"then":{"tags":["forum"],"stop":true}}]}`
		for _, res := range []response{w.as(t, model.RoleManager, "PUT", rules, valid), w.as(t, model.RoleCM, "GET", rules, "")} {
			if res.status != 200 || strings.TrimSpace(string(res.body)) != valid {
				t.Errorf("rules: status %d, body %s, want %s", res.status, res.body, valid)
			}
		}
		checkProblem(t, w.as(t, model.RoleCM, "POST", "/api/v1/workspaces/velo/route", ""), 403, "cm")
		res := w.as(t, model.RoleManager, "POST", "/api/v1/workspaces/velo/route", "")
		if res.status != 200 || strings.TrimSpace(string(res.body)) != `{"assigned":7,"unassigned":0}` {
			t.Fatalf("route: status %d, body %s", res.status, res.body)
		}
		var page conversationsPage
		decode(t, w.as(t, "zoe", "GET", "/api/v1/workspaces/velo/conversations?assignee=me", ""), 200, &page)
		if len(page.Conversations) != 7 {
			t.Fatalf("zoe's conversations: %d, want 7", len(page.Conversations))
		}
		for _, c := range page.Conversations {
			if c.Assignee != "zoe" || c.AssignmentReason != "rule 'Zoé prend tout': assigned to zoe" ||
				!slices.Equal(c.Tags, []string{"routé"}) || c.Priority != 1 {
				t.Errorf("conversation %s after routing: assignee %q, reason %q, tags %v, priority %d",
					c.RootExternalID, c.Assignee, c.AssignmentReason, c.Tags, c.Priority)
			}
		}
		if got := w.history(t, model.RoleManager, w.convA, "conversation.assign"); len(got) != 1 ||
			!strings.Contains(got[0], `"assignee":"zoe"`) {
			t.Errorf("assign events of A: %v", got)
		}
		// Nothing is left to route.
		res = w.as(t, model.RoleOwner, "POST", "/api/v1/workspaces/velo/route", "")
		if res.status != 200 || strings.TrimSpace(string(res.body)) != `{"assigned":0,"unassigned":0}` {
			t.Errorf("routing again: status %d, body %s", res.status, res.body)
		}
	})
}

func TestConversationFilters(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		ctx := context.Background()
		velo := veloIDs(t, w)
		urgent, cm := 2, model.RoleCM
		for _, c := range []struct {
			roots []string
			ch    store.ConversationChange
		}{
			{[]string{"p1", "p4"}, store.ConversationChange{AddTags: []string{"VIP"}}},
			{[]string{"p4"}, store.ConversationChange{Priority: &urgent}},
			{[]string{"p2", "p4"}, store.ConversationChange{Assignee: &cm}},
		} {
			var chosen []int64
			for _, r := range c.roots {
				chosen = append(chosen, velo[r])
			}
			if _, err := st.ChangeConversations(ctx, w.a.ID, chosen, c.ch, "test", time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		roots := func(query string) []string {
			t.Helper()
			var page conversationsPage
			decode(t, w.as(t, model.RoleCM, "GET", "/api/v1/workspaces/velo/conversations"+query, ""), 200, &page)
			out := []string{}
			for _, c := range page.Conversations {
				out = append(out, c.RootExternalID)
			}
			return out
		}
		for query, want := range map[string][]string{
			"?tag=vip":                    {"p4", "p1"},
			"?tag=%20VIP%20":              {"p4", "p1"},
			"?tag=nope":                   {},
			"?unassigned=true":            {"p6", "p5", "p3", "p1", "p0"},
			"?unassigned=false":           {"p6", "p5", "p4", "p3", "p2", "p1", "p0"},
			"?assignee=me":                {"p4", "p2"},
			"?assignee=CM":                {"p4", "p2"},
			"?priority=2":                 {"p4"},
			"?priority=0":                 {"p6", "p5", "p3", "p2", "p1", "p0"},
			"?tag=vip&assignee=me":        {"p4"},
			"?tag=vip&unassigned=true":    {"p1"},
			"?status=new&priority=2":      {"p4"},
			"?sort=activity&priority=2":   {"p4"},
			"?sort=due":                   {}, // no SLA policy, so nothing is due
			"?unassigned=true&limit=2":    {"p6", "p5"},
			"?assignee=manager":           {},
			"?snoozed=false&tag=vip":      {"p4", "p1"},
			"?unassigned=1&priority=0":    {"p6", "p5", "p3", "p1", "p0"},
			"?tag=vip&unassigned=true&x=": {"p1"},
		} {
			if got := roots(query); !slices.Equal(got, want) {
				t.Errorf("%s: %v, want %v", query, got, want)
			}
		}
		for query, want := range map[string]string{
			"?priority=x":                     `priority "x"`,
			"?priority=9":                     "priority 9",
			"?priority=-1":                    "priority -1",
			"?unassigned=maybe":               `unassigned "maybe"`,
			"?snoozed=x":                      `snoozed "x"`,
			"?sort=oldest":                    `sort "oldest"`,
			"?assignee=cm&unassigned=true":    "choose one",
			"?tag=a,b":                        "commas",
			"?status=spam&limit=0":            "limit",
			"?sort=due&cursor=%21":            "cursor",
			"?assignee=me&unassigned=true":    "choose one",
			"?tag=" + strings.Repeat("t", 51): "longer than 50",
		} {
			checkProblem(t, w.as(t, model.RoleCM, "GET", "/api/v1/workspaces/velo/conversations"+query, ""), 400, want)
		}
	})
}
