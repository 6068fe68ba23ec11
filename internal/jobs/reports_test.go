package jobs_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"palabre/internal/connector/email"
	"palabre/internal/ingest"
	"palabre/internal/jobs"
	"palabre/internal/metrics/metricstest"
	"palabre/internal/model"
	"palabre/internal/sla"
	"palabre/internal/store"
	"palabre/internal/testutil"
	"palabre/internal/testutil/mailtest"
)

// reportWorkspace is a workspace in Paris with a few messages in October
// 2026 and its monthly report sent to to, turned on in October.
func reportWorkspace(t *testing.T, st *store.Store, slug string, to []string, since string) model.Workspace {
	t.Helper()
	ctx := context.Background()
	ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: slug, Name: "Maison " + slug, Language: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetSLASettings(ctx, ws.ID, sla.Settings{Calendar: metricstest.Calendar()}, "test"); err != nil {
		t.Fatal(err)
	}
	var msgs []model.Message
	for i, at := range []string{"2026-10-05 10:00", "2026-10-12 11:00", "2026-10-20 15:00"} {
		msgs = append(msgs, model.Message{ExternalID: slug + "-" + at, ConversationExternalID: "c" + at, Body: "Bonjour, une question ?",
			AuthorName: "Anne", AuthorEmail: "anne@example.org", CreatedAt: testutil.Paris(t, at), Sentiment: "neu", Intent: "question"})
		msgs = append(msgs, model.Message{ExternalID: slug + "-r" + at, ConversationExternalID: "c" + at, ParentExternalID: slug + "-" + at,
			Body: "Bonjour Anne, voici la réponse.", AuthorName: "Équipe", AuthorIsStaff: true, CreatedAt: testutil.Paris(t, at).Add(time.Duration(i+1) * time.Hour)})
	}
	if _, err := ingest.Import(ctx, st, ingest.FromMessages(msgs), ingest.Options{Workspace: ws, Channel: "blog"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetReportSchedule(ctx, ws.ID, model.ReportSchedule{Enabled: true, Recipients: to}, since, "lea", testutil.Paris(t, "2026-10-15 10:00")); err != nil {
		t.Fatal(err)
	}
	return ws
}

// TestReportsJob sends October's report by e-mail through real Postfix
// and Dovecot, once, from 6:00 on 1 November in Paris; a schedule turned
// on in November sends nothing for October; a server that cannot be
// reached leaves the report due again later.
func TestReportsJob(t *testing.T) {
	srv := mailtest.Start(t)
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		user := "client-" + st.Engine()
		to := srv.AddUser(t, user, "pw")
		ws := reportWorkspace(t, st, "lumiere", []string{to}, "2026-10")
		late := reportWorkspace(t, st, "late", []string{to}, "2026-11")
		mailer, err := email.NewMailer(email.MailerConfig{Addr: srv.SMTPAddr, TLS: email.TLSNone,
			From: mail.Address{Name: "palabre", Address: "palabre@" + mailtest.Domain}, AllowPrivate: true, Timeout: 20 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		job := jobs.Reports(st, mailer, time.Minute)
		deliveries := func(ws model.Workspace) []model.ReportDelivery {
			t.Helper()
			list, err := st.ReportDeliveries(ctx, ws.ID, 10)
			if err != nil {
				t.Fatal(err)
			}
			return list
		}
		// 5:30 in Paris on 1 November: too early.
		if err := job.Run(ctx, testutil.Paris(t, "2026-11-01 05:30")); err != nil {
			t.Fatal(err)
		}
		if d := deliveries(ws); len(d) != 0 {
			t.Fatalf("queued before 6:00: %+v", d)
		}
		at := testutil.Paris(t, "2026-11-01 06:10")
		if err := job.Run(ctx, at); err != nil {
			t.Fatal(err)
		}
		d := deliveries(ws)
		if len(d) != 1 || d[0].Month != "2026-10" || d[0].Status != model.DeliverySent || d[0].SentAt == nil || !d[0].SentAt.Equal(at) ||
			len(d[0].Recipients) != 1 || d[0].Recipients[0] != to {
			t.Fatalf("deliveries %+v", d)
		}
		if d := deliveries(late); len(d) != 0 {
			t.Errorf("a schedule turned on in November sent October: %+v", d)
		}
		srv.WaitForMessages(t, user, "INBOX", 1)
		// Later rounds send nothing more.
		for _, later := range []string{"2026-11-01 06:20", "2026-11-02 09:00"} {
			if err := job.Run(ctx, testutil.Paris(t, later)); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(500 * time.Millisecond)
		got := srv.Messages(t, user, "INBOX")
		if len(got) != 1 {
			t.Fatalf("%d messages, want 1", len(got))
		}
		checkReportMail(t, got[0])

		// A server that does not answer: the report is due again later.
		closed, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := closed.Addr().String()
		closed.Close()
		down, err := email.NewMailer(email.MailerConfig{Addr: addr, TLS: email.TLSNone,
			From: mail.Address{Address: "palabre@" + mailtest.Domain}, AllowPrivate: true, Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		queued, err := st.QueueReport(ctx, ws.ID, "2026-10", true, "lea", at)
		if err != nil || !queued {
			t.Fatalf("send again: %v, %v", queued, err)
		}
		if err := jobs.Reports(st, down, time.Minute).Run(ctx, at.Add(time.Hour)); err == nil {
			t.Error("a server down: no error")
		}
		d = deliveries(ws)
		if d[0].Status != model.DeliveryPending || d[0].Attempts != 1 || !strings.Contains(d[0].LastError, addr) || !d[0].NextAt.After(at.Add(time.Hour)) {
			t.Errorf("after a failure: %+v", d[0])
		}
	})
}

// checkReportMail reads the report's e-mail: its subject, its text and
// HTML bodies, and the PDF and CSV attached.
func checkReportMail(t *testing.T, raw []byte) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != "Rapport de communauté · Maison lumiere · octobre 2026" {
		t.Errorf("subject %q, %v", subject, err)
	}
	parts := map[string][]byte{}
	var walk func(ct string, body io.Reader)
	walk = func(ct string, body io.Reader) {
		media, params, err := mime.ParseMediaType(ct)
		if err != nil {
			t.Fatalf("content type %q: %v", ct, err)
		}
		if !strings.HasPrefix(media, "multipart/") {
			b, _ := io.ReadAll(body)
			parts[media] = b
			return
		}
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart() // decodes quoted-printable
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var r io.Reader = p
			if p.Header.Get("Content-Transfer-Encoding") == "base64" {
				r = base64.NewDecoder(base64.StdEncoding, p) // line breaks are skipped
			}
			walk(p.Header.Get("Content-Type"), r)
		}
	}
	walk(msg.Header.Get("Content-Type"), msg.Body)
	if !bytes.HasPrefix(parts["application/pdf"], []byte("%PDF-")) {
		t.Errorf("no PDF attached: %v", keys(parts))
	}
	if !bytes.HasPrefix(parts["text/csv"], []byte("scope,key,from,to")) {
		t.Errorf("no CSV attached: %.60q", parts["text/csv"])
	}
	if !bytes.Contains(parts["text/html"], []byte("<h1>Rapport de communauté<small>")) {
		t.Errorf("no HTML body: %.200q", parts["text/html"])
	}
	if !bytes.Contains(parts["text/plain"], []byte("En octobre 2026, votre communauté a écrit 3 messages")) {
		t.Errorf("text body %q", parts["text/plain"])
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
