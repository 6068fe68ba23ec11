package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// TestModerateMessage asks moderation through the API: applied in palabre
// only on a channel no source moderates, queued once one does, and bad
// requests refused with a problem.
func TestModerateMessage(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newWorld(t, st)
		path := fmt.Sprintf("/api/v1/workspaces/velo/messages/%d/moderation", w.msgA)
		var m store.Moderation
		decode(t, w.as(t, model.RoleCM, "POST", path, `{"action":"trash"}`), http.StatusOK, &m)
		if m.Status != store.ModerationLocal || m.MessageStatus != model.StatusTrash || m.CreatedBy != w.people[model.RoleCM].user.Login {
			t.Errorf("without a source: %+v", m)
		}
		if msgs, err := st.ConversationMessages(ctx, w.convA); err != nil || msgs[0].Status != model.StatusTrash {
			t.Fatalf("the message after trash: %+v, %v", msgs[0].Status, err)
		}
		conv, err := st.Conversation(ctx, w.convA)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateSource(ctx, w.a.ID, model.Source{Channel: conv.Channel, Kind: model.SourceWordPress, Name: "site",
			IntervalSeconds: 60}, `{}`, "test", time.Now()); err != nil {
			t.Fatal(err)
		}
		decode(t, w.as(t, model.RoleManager, "POST", path, `{"action":"approve"}`), http.StatusOK, &m)
		if m.Status != store.OutboxPending || m.ID == 0 || m.MessageStatus != model.StatusApproved || m.NextAttemptAt == nil {
			t.Errorf("with a WordPress source: %+v", m)
		}
		var list struct{ Moderations []store.Moderation }
		decode(t, w.as(t, model.RoleCM, "GET", "/api/v1/workspaces/velo/moderations?status=pending", ""), http.StatusOK, &list)
		if len(list.Moderations) != 1 || list.Moderations[0].ID != m.ID || list.Moderations[0].Action != model.ModApprove {
			t.Errorf("pending moderations: %+v", list.Moderations)
		}
		checkProblem(t, w.as(t, model.RoleCM, "GET", "/api/v1/workspaces/velo/moderations?status=later", ""), 400, `status "later"`)
		checkProblem(t, w.as(t, model.RoleCM, "POST", path, `{"action":"delete"}`), 400, `moderation action "delete"`)
		checkProblem(t, w.as(t, model.RoleCM, "POST", path, `{"action":"spam","why":"x"}`), 400, "why")
		checkProblem(t, w.as(t, model.RoleCM, "POST", path, `{"action":`), 400, "")
		checkProblem(t, w.as(t, model.RoleCM, "POST", "/api/v1/workspaces/velo/messages/x/moderation", `{"action":"spam"}`), 400, "message id")
		checkProblem(t, w.as(t, model.RoleCM, "POST", fmt.Sprintf("/api/v1/workspaces/velo/moderations/%d/retry", m.ID), ""), 409, "pending, not failed")
		// The team's own reply is not moderated here.
		var sent replyAnswer
		decode(t, w.as(t, model.RoleCM, "POST", fmt.Sprintf("/api/v1/conversations/%d/replies", w.convA),
			`{"body":"Bonjour","confirm":true}`), http.StatusCreated, &sent)
		checkProblem(t, w.as(t, model.RoleCM, "POST", fmt.Sprintf("/api/v1/workspaces/velo/messages/%d/moderation", sent.Message.ID),
			`{"action":"spam"}`), 400, "written by the team")
		if got := w.history(t, model.RoleCM, w.convA, "message.moderate"); len(got) != 2 {
			t.Errorf("message events %v, want two message.moderate", got)
		}
	})
}
