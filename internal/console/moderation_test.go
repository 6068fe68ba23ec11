package console_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// TestModerationButtons moderates a customer's message from its
// conversation: in palabre only while no source of the channel can
// moderate; through the outbox once one can, with the platform's failure
// shown and sent again. A client sees the status, not the buttons.
func TestModerationButtons(t *testing.T) {
	st := testutil.NewStore(t, store.EngineSQLite)
	a := newAgency(t, st)
	lea, marc := a.session(t, "lea"), a.session(t, "marc")
	ctx := context.Background()
	path := fmt.Sprintf("/conversations/%d", a.samedi)
	msgs, err := st.ConversationMessages(ctx, a.samedi)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("messages: %v", err)
	}
	msg := fmt.Sprint(msgs[0].ID)
	page := lea.Get(path)
	contains(t, "buttons", page, `action="`+path+`/moderate"`, `name="message" value="`+msg+`"`, `value="spam"`, "Hold")

	moderate := func(action string) {
		t.Helper()
		res := lea.Submit(path+"/moderate", url.Values{"message": {msg}, "action": {action}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("%s: status %d", action, res.Status)
		}
	}
	moderate(model.ModUnapprove)
	contains(t, "held here only", lea.Get(path), "Held for moderation.", "In palabre only", "held")

	// A WordPress source whose settings this palabre cannot use: the
	// action is queued, fails with the reason, and is sent again.
	if _, err := st.CreateSource(ctx, a.velo.ID, model.Source{Channel: msgs[0].Channel, Kind: model.SourceWordPress, Name: "site",
		IntervalSeconds: 3600, Enabled: true}, `{"broken":true}`, "test", time.Now()); err != nil {
		t.Fatal(err)
	}
	moderate(model.ModSpam)
	contains(t, "spam queued", lea.Get(path), "Marked as spam.", "The platform will be told.")
	m := failedSoon(t, "the moderation", func() ([]store.Moderation, error) {
		return st.ConversationModerations(ctx, a.velo.ID, a.samedi)
	}, func(m store.Moderation) string { return m.Status })
	shown := lea.Get(path)
	contains(t, "failed moderation", shown, "not done on the platform", `name="moderation" value="`+fmt.Sprint(m.ID)+`"`, "mod-spam")
	contains(t, "failed moderation", shown, html.EscapeString(m.LastError))
	if res := lea.Submit(path+"/retry", url.Values{"moderation": {fmt.Sprint(m.ID)}}); res.Status != http.StatusSeeOther {
		t.Fatalf("retry: %d", res.Status)
	}
	contains(t, "after retry", lea.Get(path), "moderation will be sent again")

	client := marc.Get(path)
	contains(t, "client", client, "mod-spam")
	lacks(t, "client", client, `/moderate"`)
	marc.Submit(path+"/moderate", url.Values{"message": {msg}, "action": {"approve"}})
	if s, err := st.ConversationMessages(ctx, a.samedi); err != nil || s[0].Status != model.StatusSpam {
		t.Errorf("after a client's approval: %s, %v", s[0].Status, err)
	}
	if res := lea.Submit(path+"/moderate", url.Values{"message": {msg}, "action": {"delete"}}); res.Status != http.StatusSeeOther {
		t.Fatalf("unknown action: status %d", res.Status)
	}
	contains(t, "unknown action", lea.Get(path), `moderation action &#34;delete&#34;`)

	actions := historyActions(t, st, a.velo.ID, a.samedi)
	for _, want := range []string{"message.moderate", "moderation.failed", "moderation.retry"} {
		if !slices.Contains(actions, want) {
			t.Errorf("no %s in the history: %v", want, actions)
		}
	}
}

// failedSoon waits up to 15 s for the one item list reads (an outbox
// entry, a moderation) to fail, and returns it.
func failedSoon[T any](t *testing.T, what string, list func() ([]T, error), status func(T) string) T {
	t.Helper()
	var item T
	testutil.Eventually(t, what+" failed", 15*time.Second, func() bool {
		items, err := list()
		if err != nil || len(items) != 1 {
			t.Fatalf("%s: %+v, %v", what, items, err)
		}
		item = items[0]
		return status(item) == store.OutboxFailed
	})
	return item
}

// historyActions lists the actions of a conversation's history, oldest
// first.
func historyActions(t *testing.T, st *store.Store, wsID, convID int64) []string {
	t.Helper()
	events, err := st.ConversationEvents(context.Background(), wsID, convID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
	}
	return actions
}
