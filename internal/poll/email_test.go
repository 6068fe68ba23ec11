package poll_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
	"palabre/internal/testutil/mailtest"
)

// TestEmailEndToEnd runs palabre serve's work against real mail servers
// (Dovecot and Postfix on 127.0.0.1): a customer's e-mail is read from
// the support mailbox, routed to the CM, answered in palabre, and the
// answer reaches the customer's mailbox, threaded.
func TestEmailEndToEnd(t *testing.T) {
	srv := mailtest.Start(t)
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		const password = "a long enough mailbox password"
		support := srv.AddUser(t, "support-"+st.Engine(), password)
		customer := srv.AddUser(t, "client-"+st.Engine(), password)
		ws, lea := servedWorkspace(t, st, "boutique")
		config := fmt.Sprintf(`{"imap_addr":%q,"imap_user":"support-%s","imap_password":%q,"imap_tls":"none",
			"smtp_addr":%q,"smtp_user":"support-%s","smtp_password":%q,"smtp_tls":"none",
			"from":%q,"from_name":"Support Boutique","sent_mailbox":"Sent","save_sent":true,"junk_mailbox":"Junk"}`,
			srv.IMAPAddr, st.Engine(), password, srv.SMTPAddr, st.Engine(), password, support)
		src, err := st.CreateSource(ctx, ws.ID, model.Source{Channel: "email", Kind: model.SourceEmail, Name: "support",
			IntervalSeconds: 15, Enabled: true}, config, "test", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		id := "<colis-" + st.Engine() + "@customer.example>"
		srv.Send(t, customer, []string{support}, []byte("From: Ann <"+customer+">\r\nTo: "+support+"\r\nSubject: Colis perdu\r\n"+
			"Date: "+time.Now().Format(time.RFC1123Z)+"\r\nMessage-ID: "+id+"\r\nMIME-Version: 1.0\r\n"+
			"Content-Type: text/plain; charset=utf-8\r\n\r\nBonjour, mon colis n'est jamais arrivé.\r\n"))
		srv.WaitForMessages(t, "support-"+st.Engine(), "INBOX", 1)
		if err := st.PollSourceNow(ctx, ws.ID, src.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		var conv model.Conversation
		testutil.Eventually(t, "the e-mail read and routed", 30*time.Second, func() bool {
			page, err := st.Conversations(ctx, ws.ID, store.ConversationFilter{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Conversations) != 1 {
				return false
			}
			conv = page.Conversations[0]
			return conv.Assignee == "lea"
		})
		if conv.RootExternalID != id || conv.Subject != "Colis perdu" {
			t.Fatalf("conversation: %+v", conv)
		}
		msgs, err := st.ConversationMessages(ctx, conv.ID)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("messages: %+v, %v", msgs, err)
		}
		sent, err := st.AddReply(ctx, store.Reply{WorkspaceID: ws.ID, ConversationID: conv.ID, Author: lea,
			Body: "Bonjour Ann, nous renvoyons le colis aujourd'hui.", InReplyTo: id, BasedOn: msgs[0].ID}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, "the reply sent", 30*time.Second, func() bool {
			list, err := st.ConversationOutbox(ctx, ws.ID, conv.ID)
			if err != nil || len(list) != 1 {
				t.Fatalf("outbox: %+v, %v", list, err)
			}
			if list[0].Status == store.OutboxFailed {
				t.Fatalf("the reply failed: %s", list[0].LastError)
			}
			return list[0].Status == store.OutboxSent && list[0].ID == sent.OutboxID
		})
		srv.WaitForMessages(t, "client-"+st.Engine(), "INBOX", 1)
		// The support mailbox holds the customer's e-mail alone (the
		// reply's copy is in Sent, which is not read): polling it again
		// stores nothing new.
		again := time.Now()
		if err := st.PollSourceNow(ctx, ws.ID, src.ID, again); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, "the mailbox polled again", 30*time.Second, func() bool {
			s, err := st.Source(ctx, ws.ID, src.ID)
			if err != nil {
				t.Fatal(err)
			}
			return s.Health.LastSuccessAt != nil && !s.Health.LastSuccessAt.Before(again)
		})
		msgs, err = st.ConversationMessages(ctx, conv.ID)
		if err != nil || len(msgs) != 2 {
			t.Fatalf("after the reply: %d messages, %v", len(msgs), err)
		}
		if reply := msgs[1]; !reply.AuthorIsStaff || !strings.HasPrefix(reply.ExternalID, "<palabre-") {
			t.Errorf("the reply as stored: %+v", reply)
		}
		// Léa marks the e-mail as spam: the outbox moves it to Junk.
		if _, err := st.ModerateMessage(ctx, ws.ID, msgs[0].ID, model.ModSpam, "lea", time.Now()); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, "the e-mail moved to Junk", 30*time.Second, func() bool {
			list, err := st.ConversationModerations(ctx, ws.ID, conv.ID)
			if err != nil || len(list) != 1 {
				t.Fatalf("moderations: %+v, %v", list, err)
			}
			if list[0].Status == store.OutboxFailed {
				t.Fatalf("the moderation failed: %s", list[0].LastError)
			}
			return list[0].Status == store.OutboxSent
		})
		srv.WaitForMessages(t, "support-"+st.Engine(), "Junk", 1)
	})
}
