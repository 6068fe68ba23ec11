package jobs_test

import (
	"context"
	"encoding/json"
	"mime"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"palabre/internal/connector/email"
	"palabre/internal/ingest"
	"palabre/internal/jobs"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
	"palabre/internal/testutil/mailtest"
)

// TestAlertsJob raises a watched keyword and a spike as events and
// e-mails them through real Postfix and Dovecot, each once; what was
// written before the alerts were set, or long ago, raises nothing.
func TestAlertsJob(t *testing.T) {
	srv := mailtest.Start(t)
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		user := "cm-" + st.Engine()
		to := srv.AddUser(t, user, "pw")
		now := time.Date(2026, 11, 26, 10, 30, 0, 0, time.UTC)
		ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "lumiere", Name: "Maison Lumière", Language: "en"})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		write := func(at time.Time, body string) {
			t.Helper()
			n++
			m := model.Message{ExternalID: "m" + string(rune('a'+n)), ConversationExternalID: "c" + string(rune('a'+n)), Body: body,
				AuthorName: "Anne", AuthorEmail: "anne@example.org", CreatedAt: at, Lang: "fr", Sentiment: "neu"}
			if _, err := ingest.Import(ctx, st, ingest.FromMessages([]model.Message{m}), ingest.Options{Workspace: ws, Channel: "blog"}); err != nil {
				t.Fatal(err)
			}
		}
		write(now.Add(-10*time.Minute), "Un rappel produit ? Avant les réglages.")
		if _, err := st.SetAlertSettings(ctx, ws.ID, model.AlertSettings{Enabled: true, Keywords: []string{"rappel produit"},
			Recipients: []string{to}}, "nadia", now); err != nil {
			t.Fatal(err)
		}
		mailer, err := email.NewMailer(email.MailerConfig{Addr: srv.SMTPAddr, TLS: email.TLSNone,
			From: mail.Address{Address: "palabre@" + mailtest.Domain}, AllowPrivate: true, Timeout: 20 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		job := jobs.Alerts(st, mailer, time.Minute)
		raised := func() []model.Alert {
			t.Helper()
			list, err := st.Alerts(ctx, ws.ID, 50)
			if err != nil {
				t.Fatal(err)
			}
			return list
		}
		if err := job.Run(ctx, now); err != nil || len(raised()) != 0 {
			t.Fatalf("before any new message: %v, %+v", err, raised())
		}
		write(now.Add(-2*365*24*time.Hour), "Le rappel produit de 2024") // imported from long ago
		write(now.Add(-time.Minute), "Est-ce un RAPPEL PRODUIT ?")
		if err := job.Run(ctx, now); err != nil {
			t.Fatal(err)
		}
		got := raised()
		if len(got) != 1 || got[0].Kind != "keyword" || got[0].Subject != "rappel produit" || got[0].Count != 1 ||
			got[0].Headline != `Keyword "rappel produit": 1 new message` {
			t.Fatalf("alerts %+v", got)
		}
		srv.WaitForMessages(t, user, "INBOX", 1)
		events, err := st.Events(ctx, ws.ID, 50)
		if err != nil {
			t.Fatal(err)
		}
		var ev *model.Event
		for i := range events {
			if events[i].Action == "alert.raised" {
				ev = &events[i]
			}
		}
		var detail model.Alert
		if ev == nil || json.Unmarshal([]byte(ev.Detail), &detail) != nil || detail.ID != got[0].ID || len(detail.MessageIDs) != 1 {
			t.Fatalf("no alert.raised event: %+v", ev)
		}
		// A spike: 5 more messages within the hour, nothing the week
		// before. Looked at again after the pause between two looks.
		for i := range 5 {
			write(now.Add(time.Duration(i)*time.Second), "Encore une question")
		}
		later := now.Add(time.Minute)
		if err := job.Run(ctx, later); err != nil {
			t.Fatal(err)
		}
		if got := raised(); len(got) != 2 || got[0].Kind != "volume" || got[0].Count != 7 {
			t.Fatalf("after the burst: %+v", got)
		}
		for _, at := range []time.Time{later.Add(time.Minute), later.Add(2 * time.Minute)} {
			write(at.Add(-time.Second), "et une autre")
			if err := job.Run(ctx, at); err != nil {
				t.Fatal(err)
			}
		}
		if got := raised(); len(got) != 2 {
			t.Errorf("the same spike raised again within its window: %+v", got)
		}
		srv.WaitForMessages(t, user, "INBOX", 2)
		time.Sleep(300 * time.Millisecond)
		msgs := srv.Messages(t, user, "INBOX")
		if len(msgs) != 2 {
			t.Fatalf("%d e-mails, want 2", len(msgs))
		}
		var subjects []string
		for _, raw := range msgs {
			m, err := mail.ReadMessage(strings.NewReader(string(raw)))
			if err != nil {
				t.Fatal(err)
			}
			subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
			if err != nil {
				t.Fatal(err)
			}
			subjects = append(subjects, subject)
		}
		slices.Sort(subjects)
		if subjects[0] != "Alert · Maison Lumière · 7 messages in 60 min (usually 0)" ||
			subjects[1] != `Alert · Maison Lumière · Keyword "rappel produit": 1 new message` {
			t.Errorf("subjects %q", subjects)
		}
		if all := string(msgs[0]) + string(msgs[1]); !strings.Contains(all, "Est-ce un RAPPEL PRODUIT ?") {
			t.Errorf("the e-mails do not quote the message:\n%s", all)
		}
		for _, a := range raised() {
			if a.EmailedAt == nil {
				t.Errorf("alert %d not marked e-mailed", a.ID)
			}
		}
	})
}
