package poll_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"palabre/internal/connector"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

const commentID = "https://blog.example/?p=1#comment-7"

// moderate asks action of the customer's comment, as the CM.
func (w *outboxWorld) moderate(t *testing.T, action string) store.Moderation {
	t.Helper()
	m, err := w.st.ModerateMessage(context.Background(), w.ws.ID, w.seen, action, w.cm.Login, w.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// modRound claims and applies the moderation due now.
func (w *outboxWorld) modRound(t *testing.T) int {
	t.Helper()
	claims, err := w.st.ClaimModerations(context.Background(), w.clock.Now(), 10, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range claims {
		w.worker.Moderate(context.Background(), c)
	}
	return len(claims)
}

// moderation returns the conversation's one moderation action.
func (w *outboxWorld) moderation(t *testing.T) store.Moderation {
	t.Helper()
	list, err := w.st.ConversationModerations(context.Background(), w.ws.ID, w.conv)
	if err != nil || len(list) != 1 {
		t.Fatalf("moderations: %+v, %v", list, err)
	}
	return list[0]
}

// messageStatus returns the customer's comment's status in palabre.
func (w *outboxWorld) messageStatus(t *testing.T) string {
	t.Helper()
	msgs, err := w.st.ConversationMessages(context.Background(), w.conv)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.ID == w.seen {
			return m.Status
		}
	}
	t.Fatal("the comment is gone")
	return ""
}

func (p *platform) applied(externalID string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.moderated[externalID])
}

func TestModerationSent(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newOutboxWorld(t, st)
		m := w.moderate(t, model.ModSpam)
		if m.Status != store.OutboxPending || m.MessageStatus != model.StatusSpam || w.messageStatus(t) != model.StatusSpam {
			t.Fatalf("asked: %+v, message %s", m, w.messageStatus(t))
		}
		// The platform is busy: the action waits as long as it asks.
		w.platform.modAnswers = []error{&connector.TemporaryError{Err: errors.New("503 Service Unavailable"), RetryAfter: time.Minute}}
		if n := w.modRound(t); n != 1 {
			t.Fatalf("claimed %d", n)
		}
		got := w.moderation(t)
		if got.Status != store.OutboxPending || got.Attempts != 1 || got.LastError == "" || got.NextAttemptAt == nil ||
			got.NextAttemptAt.Sub(w.clock.Now()) < time.Minute {
			t.Fatalf("after a busy platform: %+v", got)
		}
		if n := w.modRound(t); n != 0 {
			t.Fatalf("claimed %d before its time", n)
		}
		w.clock.Add(2 * time.Minute)
		w.modRound(t)
		got = w.moderation(t)
		if got.Status != store.OutboxSent || got.SentAt == nil || got.LastError != "" {
			t.Fatalf("sent: %+v", got)
		}
		if a := w.platform.applied(commentID); !slices.Equal(a, []string{model.ModSpam}) {
			t.Fatalf("the platform applied %v", a)
		}
		if n := w.modRound(t); n != 0 {
			t.Errorf("claimed %d after it was sent", n)
		}

		// Changed minds: approve asked, then trash asked while approve is
		// being sent. Approve lands first, then trash; the row ends sent
		// as trash, and the message is in the trash.
		w.moderate(t, model.ModApprove)
		claims, err := st.ClaimModerations(ctx, w.clock.Now(), 10, 5*time.Minute)
		if err != nil || len(claims) != 1 {
			t.Fatalf("claim: %d, %v", len(claims), err)
		}
		w.moderate(t, model.ModTrash)
		if n := w.modRound(t); n != 0 {
			t.Fatalf("claimed %d while an older action is held", n)
		}
		w.worker.Moderate(ctx, claims[0])
		if got := w.moderation(t); got.Status != store.OutboxPending || got.Action != model.ModTrash {
			t.Fatalf("after the older action: %+v", got)
		}
		w.modRound(t)
		if got := w.moderation(t); got.Status != store.OutboxSent || got.Action != model.ModTrash {
			t.Fatalf("after the newer action: %+v", got)
		}
		if a := w.platform.applied(commentID); !slices.Equal(a, []string{model.ModSpam, model.ModApprove, model.ModTrash}) {
			t.Fatalf("the platform applied %v", a)
		}
		if s := w.messageStatus(t); s != model.StatusTrash {
			t.Errorf("message status %s, want trash", s)
		}
		events, err := st.ConversationEvents(ctx, w.ws.ID, w.conv, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if !hasEvent(events, "message.moderate") || !hasEvent(events, "moderation.sent") {
			t.Errorf("events %v", actions(events))
		}
	})
}

func TestModerationFails(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newOutboxWorld(t, st)
		// Refused for good: failed at once, with the platform's reason;
		// retried by the CM, it goes out.
		m := w.moderate(t, model.ModSpam)
		w.platform.modAnswers = []error{&connector.PermanentError{Err: errors.New("403 Forbidden: rest_cannot_edit")}}
		w.modRound(t)
		if got := w.moderation(t); got.Status != store.OutboxFailed || got.LastError != "403 Forbidden: rest_cannot_edit" {
			t.Fatalf("refused: %+v", got)
		}
		if _, err := st.RetryModeration(ctx, w.ws.ID, m.ID, "lea", w.clock.Now()); err != nil {
			t.Fatal(err)
		}
		w.modRound(t)
		if got := w.moderation(t); got.Status != store.OutboxSent {
			t.Fatalf("retried: %+v", got)
		}
		if _, err := st.RetryModeration(ctx, w.ws.ID, m.ID, "lea", w.clock.Now()); !errors.Is(err, store.ErrConflict) {
			t.Errorf("retry of a sent action: %v", err)
		}
		if _, err := st.RetryModeration(ctx, w.ws.ID+1000, m.ID, "lea", w.clock.Now()); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("retry from another workspace: %v", err)
		}
		// An action the platform lacks fails at once, not twelve times.
		w.moderate(t, model.ModUnapprove)
		w.platform.modAnswers = []error{connector.ErrUnsupported}
		w.modRound(t)
		if got := w.moderation(t); got.Status != store.OutboxFailed || got.Attempts != 1 {
			t.Fatalf("unsupported: %+v", got)
		}
		events, err := st.ConversationEvents(ctx, w.ws.ID, w.conv, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if !hasEvent(events, "moderation.failed") || !hasEvent(events, "moderation.retry") {
			t.Errorf("events %v", actions(events))
		}
	})
}

func TestModerationRefused(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newOutboxWorld(t, st)
		if _, err := st.ModerateMessage(ctx, w.ws.ID, w.seen, "delete", "lea", w.clock.Now()); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("unknown action: %v", err)
		}
		other, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "banque", Name: "Banque"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.ModerateMessage(ctx, other.ID, w.seen, model.ModSpam, "lea", w.clock.Now()); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("another workspace's message: %v", err)
		}
		w.reply(t, "Bonjour Ana")
		msgs, err := st.ConversationMessages(ctx, w.conv)
		if err != nil {
			t.Fatal(err)
		}
		staff := msgs[len(msgs)-1]
		if _, err := st.ModerateMessage(ctx, w.ws.ID, staff.ID, model.ModSpam, "lea", w.clock.Now()); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("the team's reply: %v", err)
		}
		if s := w.messageStatus(t); s != model.StatusApproved && s != "" {
			t.Errorf("refused actions changed the status to %s", s)
		}

		// A channel with no source that can moderate: applied in palabre
		// only, nothing queued; an action queued before is dropped.
		w.moderate(t, model.ModSpam)
		if err := st.DeleteSource(ctx, w.ws.ID, sourceID(t, st, w.ws.ID), "test"); err != nil {
			t.Fatal(err)
		}
		m := w.moderate(t, model.ModTrash)
		if m.Status != store.ModerationLocal || m.ID != 0 || w.messageStatus(t) != model.StatusTrash {
			t.Fatalf("without a source: %+v, message %s", m, w.messageStatus(t))
		}
		if list, err := st.ConversationModerations(ctx, w.ws.ID, w.conv); err != nil || len(list) != 0 {
			t.Fatalf("queued without a source: %+v, %v", list, err)
		}
		if n := w.modRound(t); n != 0 || len(w.platform.applied(commentID)) != 0 {
			t.Errorf("sent without a source: %d claimed", n)
		}
	})
}
