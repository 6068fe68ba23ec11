package poll_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"palabre/internal/connector"
	"palabre/internal/model"
	"palabre/internal/poll"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// readBack is a platform's comment list as a poll reads it: the reply
// being sent, already there. polled is signalled at each read.
type readBack struct {
	records []connector.Record
	polled  chan struct{}
}

func (p *readBack) Poll(context.Context, connector.Cursor) (connector.Batch, error) {
	select {
	case p.polled <- struct{}{}:
	default:
	}
	return connector.Batch{Records: p.records}, nil
}

// TestPollWaitsForReplyBeingSent polls a channel while a reply to it is
// being posted and the platform already shows it: the poll stores what it
// read once the outbox recorded the platform's id, so the reply is found
// stored, not stored twice.
func TestPollWaitsForReplyBeingSent(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newOutboxWorld(t, st)
		w.reply(t, "Bonjour Ana, un peu de graisse suffira.")
		claims, err := st.ClaimOutbox(ctx, w.clock.Now(), 10, 5*time.Minute)
		if err != nil || len(claims) != 1 {
			t.Fatalf("claim: %d, %v", len(claims), err)
		}
		if err := st.BeginOutboxAttempt(ctx, claims[0], w.clock.Now()); err != nil {
			t.Fatal(err)
		}
		sent, err := w.platform.Reply(ctx, connector.Reply{Key: poll.ReplyKey(claims[0])})
		if err != nil {
			t.Fatal(err)
		}
		rb := &readBack{polled: make(chan struct{}, 1), records: []connector.Record{{Message: model.Message{
			ExternalID: sent.ExternalID, ParentExternalID: commentID, ConversationExternalID: "https://blog.example/?p=1",
			Body: "Bonjour Ana, un peu de graisse suffira.", AuthorName: "Léa", AuthorIsStaff: true, CreatedAt: w.clock.Now()}}}}
		sched := &poll.Scheduler{Store: st, Ingest: poll.StoreIngest(st, nil), Logger: slog.New(slog.DiscardHandler), Now: w.clock.Now,
			Factories: map[string]poll.Factory{model.SourceWordPress: func(model.Source, []byte) (poll.Built, error) {
				return poll.Built{Poller: rb, Sender: w.platform}, nil
			}}}
		src := sourceID(t, st, w.ws.ID)
		if err := st.PollSourceNow(ctx, w.ws.ID, src, w.clock.Now()); err != nil {
			t.Fatal(err)
		}
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			sched.Run(runCtx)
		}()
		defer func() {
			cancel()
			<-done
		}()
		select {
		case <-rb.polled:
		case <-time.After(20 * time.Second):
			t.Fatal("the source was not polled within 20 s")
		}
		// The poll read the reply and waits; the outbox records it sent.
		if err := st.ReplySent(ctx, claims[0], sent.ExternalID, sent.URL, w.clock.Now()); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, "the poll ended", 20*time.Second, func() bool {
			s, err := st.Source(ctx, w.ws.ID, src)
			if err != nil {
				t.Fatal(err)
			}
			return s.Health.LastPollAt != nil
		})
		msgs, err := st.ConversationMessages(ctx, w.conv)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 2 || msgs[1].ExternalID != sent.ExternalID || !msgs[1].AuthorIsStaff {
			for _, m := range msgs {
				t.Logf("message %d: %s %q", m.ID, m.ExternalID, m.Body)
			}
			t.Fatalf("%d messages, want the comment and the reply once, under the platform's id %s", len(msgs), sent.ExternalID)
		}
	})
}
