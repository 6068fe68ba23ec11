package poll_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"palabre/internal/connector"
	"palabre/internal/ingest"
	"palabre/internal/model"
	"palabre/internal/poll"
	"palabre/internal/store"
	"palabre/internal/testclock"
	"palabre/internal/testutil"
)

// platform is a comment platform held in memory, whose answers a test
// scripts: what the outbox worker sends replies to. It keeps the replies
// it accepted, by key, as a real platform keeps comments.
type platform struct {
	mu       sync.Mutex
	posted   map[string]connector.Reply
	answers  []error // the next Reply calls fail with these, in turn
	canFind  bool
	lastSeen connector.Reply
	// moderated holds each message's last moderation applied, by
	// external id; modAnswers scripts the next Moderate calls' failures.
	moderated  map[string][]string
	modAnswers []error
	// lost scripts the next Reply calls that post the reply and then
	// fail, as a timeout after the request went out does.
	lost []error
}

func (p *platform) Reply(_ context.Context, r connector.Reply) (connector.Sent, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastSeen = r
	if len(p.answers) > 0 {
		err := p.answers[0]
		p.answers = p.answers[1:]
		if err != nil {
			return connector.Sent{}, err
		}
	}
	p.posted[r.Key] = r
	if len(p.lost) > 0 {
		err := p.lost[0]
		p.lost = p.lost[1:]
		return connector.Sent{}, err
	}
	return connector.Sent{ExternalID: "https://blog.example/?p=1#comment-" + r.Key, URL: "https://blog.example/p1/#" + r.Key}, nil
}

func (p *platform) Find(_ context.Context, r connector.Reply) (connector.Sent, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.canFind {
		return connector.Sent{}, false, connector.ErrUnsupported
	}
	if _, ok := p.posted[r.Key]; ok {
		return connector.Sent{ExternalID: "https://blog.example/?p=1#comment-" + r.Key}, true, nil
	}
	return connector.Sent{}, false, nil
}

func (p *platform) Moderate(_ context.Context, externalID, action string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.modAnswers) > 0 {
		err := p.modAnswers[0]
		p.modAnswers = p.modAnswers[1:]
		if err != nil {
			return err
		}
	}
	p.moderated[externalID] = append(p.moderated[externalID], action)
	return nil
}

func (p *platform) copies() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.posted)
}

// outboxWorld is a conversation of a WordPress channel, a CM, and an
// outbox worker sending through a scripted platform.
type outboxWorld struct {
	st       *store.Store
	ws       model.Workspace
	conv     int64
	seen     int64
	cm       model.User
	clock    *testclock.Clock
	platform *platform
	worker   *poll.Outbox
}

func newOutboxWorld(t *testing.T, st *store.Store) *outboxWorld {
	t.Helper()
	ctx := context.Background()
	w := &outboxWorld{st: st, clock: testclock.New(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)),
		platform: &platform{posted: map[string]connector.Reply{}, moderated: map[string][]string{}, canFind: true}}
	var err error
	if w.ws, err = st.CreateWorkspace(ctx, model.Workspace{Slug: "velo", Name: "Vélo"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateSource(ctx, w.ws.ID, model.Source{Channel: "blog", Kind: model.SourceWordPress, Name: "site",
		IntervalSeconds: 60, Enabled: true}, `{}`, "test", w.clock.Now()); err != nil {
		t.Fatal(err)
	}
	msg := model.Message{ExternalID: "https://blog.example/?p=1#comment-7", ParentExternalID: "https://blog.example/?p=1",
		ConversationExternalID: "https://blog.example/?p=1", Body: "Mon vélo grince", AuthorName: "Ana", AuthorEmail: "ana@example.org",
		CreatedAt: w.clock.Now().Add(-time.Hour)}
	if _, err := ingest.Import(ctx, st, ingest.FromMessages([]model.Message{msg}), ingest.Options{Workspace: w.ws, Channel: "blog"}); err != nil {
		t.Fatal(err)
	}
	page, err := st.Conversations(ctx, w.ws.ID, store.ConversationFilter{Limit: 10})
	if err != nil || len(page.Conversations) != 1 {
		t.Fatalf("conversations: %+v %v", page, err)
	}
	w.conv = page.Conversations[0].ID
	msgs, err := st.ConversationMessages(ctx, w.conv)
	if err != nil {
		t.Fatal(err)
	}
	w.seen = msgs[len(msgs)-1].ID
	if w.cm, err = st.CreateUser(ctx, model.User{Login: "lea", Name: "Léa"}, "x", "test"); err != nil {
		t.Fatal(err)
	}
	if err := st.SetMembership(ctx, w.cm.ID, w.ws.ID, model.RoleCM, "test"); err != nil {
		t.Fatal(err)
	}
	factories := map[string]poll.Factory{model.SourceWordPress: func(model.Source, []byte) (poll.Built, error) {
		return poll.Built{Sender: w.platform}, nil
	}}
	w.worker = &poll.Outbox{Store: st, Factories: factories, Logger: slog.New(slog.DiscardHandler), Now: w.clock.Now}
	return w
}

// reply writes a CM's reply to the customer's comment.
func (w *outboxWorld) reply(t *testing.T, body string) int64 {
	t.Helper()
	sent, err := w.st.AddReply(context.Background(), store.Reply{WorkspaceID: w.ws.ID, ConversationID: w.conv, Author: w.cm,
		Body: body, BasedOn: w.seen, Confirm: true, InReplyTo: "https://blog.example/?p=1#comment-7"}, w.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return sent.OutboxID
}

// round claims and sends what is due now.
func (w *outboxWorld) round(t *testing.T) int {
	t.Helper()
	claims, err := w.st.ClaimOutbox(context.Background(), w.clock.Now(), 10, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range claims {
		w.worker.Send(context.Background(), c)
	}
	return len(claims)
}

func (w *outboxWorld) entry(t *testing.T, id int64) store.OutboxEntry {
	t.Helper()
	list, err := w.st.ConversationOutbox(context.Background(), w.ws.ID, w.conv)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list {
		if e.ID == id {
			return e
		}
	}
	t.Fatalf("outbox entry %d not found", id)
	return store.OutboxEntry{}
}

func TestOutboxSends(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newOutboxWorld(t, st)
		id := w.reply(t, "Bonjour Ana, un peu de graisse suffira.")

		// The platform is busy: the reply waits as long as it asks.
		w.platform.answers = []error{&connector.TemporaryError{Err: errors.New("503 Service Unavailable"), RetryAfter: time.Minute}}
		if n := w.round(t); n != 1 {
			t.Fatalf("claimed %d", n)
		}
		e := w.entry(t, id)
		if e.Status != store.OutboxPending || e.Attempts != 1 || e.LastError == "" || e.NextAttemptAt == nil ||
			e.NextAttemptAt.Sub(w.clock.Now()) < time.Minute {
			t.Fatalf("after a busy platform: %+v", e)
		}
		if n := w.round(t); n != 0 {
			t.Fatalf("claimed %d before its time", n)
		}
		// Then it goes out, addressed to the thread.
		w.clock.Add(2 * time.Minute)
		w.round(t)
		e = w.entry(t, id)
		if e.Status != store.OutboxSent || e.ExternalID == "" || e.SentAt == nil || w.platform.copies() != 1 {
			t.Fatalf("sent: %+v, %d copies", e, w.platform.copies())
		}
		sent := w.platform.lastSeen
		if sent.To.AuthorEmail != "ana@example.org" || sent.ConversationExternalID != "https://blog.example/?p=1" ||
			sent.InReplyTo != "https://blog.example/?p=1#comment-7" || sent.AuthorName != "Léa" ||
			len(sent.References) != 2 || sent.References[1] != "https://blog.example/?p=1#comment-7" {
			t.Errorf("reply as sent: %+v", sent)
		}
		// The reply now has the platform's id: polling the platform finds
		// it stored.
		msgs, err := st.ConversationMessages(ctx, w.conv)
		if err != nil {
			t.Fatal(err)
		}
		if last := msgs[len(msgs)-1]; last.ExternalID != e.ExternalID || !last.AuthorIsStaff {
			t.Errorf("the reply's message: %q, want the platform's id %q", last.ExternalID, e.ExternalID)
		}
		events, err := st.ConversationEvents(ctx, w.ws.ID, w.conv, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if !hasEvent(events, "reply.sent") {
			t.Errorf("no reply.sent event in %v", actions(events))
		}
	})
}

func TestOutboxNeverSendsTwice(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newOutboxWorld(t, st)
		id := w.reply(t, "Première réponse")
		// A node claims the reply, begins, the platform takes it — and the
		// node dies before recording it.
		claims, err := st.ClaimOutbox(ctx, w.clock.Now(), 10, 5*time.Minute)
		if err != nil || len(claims) != 1 {
			t.Fatalf("claim: %d, %v", len(claims), err)
		}
		if err := st.BeginOutboxAttempt(ctx, claims[0], w.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := w.platform.Reply(ctx, connector.Reply{Key: poll.ReplyKey(claims[0])}); err != nil {
			t.Fatal(err)
		}
		// Held by the dead node until its lease ends; then the platform is
		// asked, and the reply is found there, not sent again.
		if n := w.round(t); n != 0 {
			t.Fatalf("claimed %d within the lease", n)
		}
		w.clock.Add(6 * time.Minute)
		w.round(t)
		if e := w.entry(t, id); e.Status != store.OutboxSent || w.platform.copies() != 1 {
			t.Fatalf("after the crash: %+v, %d copies on the platform", e, w.platform.copies())
		}

		// The platform took the reply but the answer was lost (a
		// timeout): the next attempt finds it there.
		id = w.reply(t, "Réponse dont l'accusé se perd")
		w.platform.lost = []error{&connector.TemporaryError{Err: context.DeadlineExceeded}}
		w.round(t)
		if e := w.entry(t, id); e.Status != store.OutboxPending || e.Attempts != 1 || w.platform.copies() != 2 {
			t.Fatalf("answer lost: %+v, %d copies on the platform", e, w.platform.copies())
		}
		w.clock.Add(time.Minute)
		w.round(t)
		if e := w.entry(t, id); e.Status != store.OutboxSent || e.ExternalID == "" || w.platform.copies() != 2 {
			t.Fatalf("after the lost answer: %+v, %d copies on the platform", e, w.platform.copies())
		}

		// A platform that cannot tell: the reply fails for a CM to check,
		// and once retried it is sent.
		w.platform.canFind = false
		id = w.reply(t, "Deuxième réponse")
		claims, err = st.ClaimOutbox(ctx, w.clock.Now(), 10, 5*time.Minute)
		if err != nil || len(claims) != 1 {
			t.Fatalf("claim: %d, %v", len(claims), err)
		}
		if err := st.BeginOutboxAttempt(ctx, claims[0], w.clock.Now()); err != nil {
			t.Fatal(err)
		}
		w.clock.Add(6 * time.Minute)
		w.round(t)
		e := w.entry(t, id)
		if e.Status != store.OutboxFailed || e.LastError == "" || w.platform.copies() != 2 {
			t.Fatalf("interrupted, platform cannot tell: %+v, %d copies", e, w.platform.copies())
		}
		if _, err := st.RetryOutbox(ctx, w.ws.ID, id, "lea", w.clock.Now()); err != nil {
			t.Fatal(err)
		}
		w.round(t)
		if e := w.entry(t, id); e.Status != store.OutboxSent || w.platform.copies() != 3 {
			t.Fatalf("retried: %+v, %d copies", e, w.platform.copies())
		}
		if _, err := st.RetryOutbox(ctx, w.ws.ID, id, "lea", w.clock.Now()); !errors.Is(err, store.ErrConflict) {
			t.Errorf("retry of a sent reply: %v", err)
		}
	})
}

func TestOutboxGivesUp(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newOutboxWorld(t, st)
		// Refused for good: failed at once, with the platform's reason.
		id := w.reply(t, "Réponse refusée")
		w.platform.answers = []error{&connector.PermanentError{Err: errors.New("401 Unauthorized: rest_cannot_create")}}
		w.round(t)
		if e := w.entry(t, id); e.Status != store.OutboxFailed || e.Attempts != 1 || e.LastError != "401 Unauthorized: rest_cannot_create" {
			t.Fatalf("refused: %+v", e)
		}
		// Down for good: 12 attempts, then failed.
		id = w.reply(t, "Réponse à un serveur en panne")
		for i := range poll.OutboxMaxAttempts {
			w.platform.answers = []error{&connector.TemporaryError{Err: fmt.Errorf("attempt %d: connection refused", i+1)}}
			if n := w.round(t); n != 1 {
				t.Fatalf("attempt %d: claimed %d", i+1, n)
			}
			w.clock.Add(2 * time.Hour)
		}
		if e := w.entry(t, id); e.Status != store.OutboxFailed || e.Attempts != poll.OutboxMaxAttempts {
			t.Fatalf("after %d attempts: %+v", poll.OutboxMaxAttempts, e)
		}
		events, err := st.ConversationEvents(ctx, w.ws.ID, w.conv, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if !hasEvent(events, "reply.failed") {
			t.Errorf("no reply.failed event in %v", actions(events))
		}
		// A channel with no source that can send keeps its replies.
		if err := st.DeleteSource(ctx, w.ws.ID, sourceID(t, st, w.ws.ID), "test"); err != nil {
			t.Fatal(err)
		}
		w.reply(t, "Sans connecteur")
		if n := w.round(t); n != 0 {
			t.Errorf("claimed %d replies of a channel without a sending source", n)
		}
	})
}

func sourceID(t *testing.T, st *store.Store, wsID int64) int64 {
	t.Helper()
	list, err := st.Sources(context.Background(), wsID)
	if err != nil || len(list) == 0 {
		t.Fatalf("sources: %v", err)
	}
	return list[0].ID
}

func hasEvent(events []model.Event, action string) bool {
	for _, e := range events {
		if e.Action == action {
			return true
		}
	}
	return false
}

func actions(events []model.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Action)
	}
	return out
}
