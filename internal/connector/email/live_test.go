package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"palabre/internal/connector"
	"palabre/internal/fetch"
	"palabre/internal/testutil/mailtest"
)

// These tests run against real servers: Dovecot and Postfix started by
// mailtest on 127.0.0.1, one pair for all of them, a mailbox per test.

const password = "s3cret-pass"

func TestLive(t *testing.T) {
	srv := mailtest.Start(t)
	t.Run("group", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			fn   func(*testing.T, *mailtest.Server)
		}{
			{"PollThreads", testPollThreads},
			{"PollCursor", testPollCursor},
			{"PollUIDValidityChange", testPollUIDValidityChange},
			{"PollTooLarge", testPollTooLarge},
			{"ReplyAndFind", testReplyAndFind},
			{"ReplyUnknownMessage", testReplyUnknownMessage},
			{"MissingMailbox", testMissingMailbox},
			{"ModerateSpam", testModerateSpam},
			{"MarkSeen", testMarkSeen},
			{"TLS", testTLS},
			{"UntrustedCertificate", testUntrustedCertificate},
		} {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				tt.fn(t, srv)
			})
		}
	})
	// Last and one at a time: after a failed login, Dovecot slows every
	// login from the same address down for a few seconds.
	t.Run("WrongSMTPPassword", func(t *testing.T) { testWrongSMTPPassword(t, srv) })
	t.Run("WrongIMAPPassword", func(t *testing.T) { testWrongIMAPPassword(t, srv) })
}

// account makes a mailbox named after the test and a channel reading it.
func account(t *testing.T, srv *mailtest.Server, name string, change func(*Config), opts ...Option) (*Channel, string) {
	t.Helper()
	addr := srv.AddUser(t, name, password)
	cfg := Config{
		IMAPAddr: srv.IMAPAddr, IMAPUser: name, IMAPPassword: password, IMAPTLS: TLSNone,
		SMTPAddr: srv.SMTPAddr, SMTPUser: name, SMTPPassword: password, SMTPTLS: TLSNone,
		From:         mail.Address{Name: "Support " + name, Address: addr},
		SentMailbox:  "Sent",
		SaveSent:     true,
		JunkMailbox:  "Junk",
		AllowPrivate: true,
		Timeout:      20 * time.Second,
	}
	if change != nil {
		change(&cfg)
	}
	c, err := New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c, addr
}

// customerMail is a message as a customer's mail client writes it.
func customerMail(from, to, id, subject, body string, parents ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: Ann Customer <%s>\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: %s\r\n",
		from, to, subject, time.Now().Format(time.RFC1123Z), id)
	if len(parents) > 0 {
		fmt.Fprintf(&b, "In-Reply-To: %s\r\nReferences: %s\r\n", parents[len(parents)-1], strings.Join(parents, " "))
	}
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	b.WriteString(strings.ReplaceAll(body, "\n", "\r\n") + "\r\n")
	return []byte(b.String())
}

func poll(t *testing.T, c *Channel, cur connector.Cursor) connector.Batch {
	t.Helper()
	b, err := c.Poll(context.Background(), cur)
	if err != nil {
		t.Fatalf("poll from %+v: %v", cur, err)
	}
	for _, r := range b.Records {
		if r.Err != nil {
			t.Fatalf("bad record: %v", r.Err)
		}
	}
	return b
}

func testPollThreads(t *testing.T, srv *mailtest.Server) {
	c, addr := account(t, srv, "threads", nil)
	customer := "ann@customer.example"
	srv.Send(t, customer, []string{addr}, customerMail(customer, addr, "<q1@customer.example>", "Colis perdu", "Où est mon colis ?"))
	// Delivered one after the other: the server may deliver two messages
	// queued together in either order, and the test reads them by UID.
	srv.WaitForMessages(t, "threads", "INBOX", 1)
	srv.Send(t, customer, []string{addr}, customerMail(customer, addr, "<q2@customer.example>", "Re: Colis perdu",
		"Toujours rien.\n\nLe lun. 3 mars 2025 à 10:02, Support <"+addr+"> a écrit :\n> Il arrive.", "<q1@customer.example>", "<staff1@palabre.example.test>"))
	srv.WaitForMessages(t, "threads", "INBOX", 2)

	b := poll(t, c, connector.Cursor{})
	if len(b.Records) != 2 || b.More {
		t.Fatalf("first poll read %d records (more %v), want 2", len(b.Records), b.More)
	}
	root, reply := b.Records[0].Message, b.Records[1].Message
	if root.ExternalID != "<q1@customer.example>" || root.ConversationExternalID != root.ExternalID || root.ParentExternalID != "" {
		t.Errorf("root: id %q conversation %q parent %q", root.ExternalID, root.ConversationExternalID, root.ParentExternalID)
	}
	if root.Title != "Colis perdu" || root.AuthorName != "Ann Customer" || root.AuthorEmail != customer || root.Body != "Où est mon colis ?" {
		t.Errorf("root: %+v", root)
	}
	if reply.ExternalID != "<q2@customer.example>" || reply.ConversationExternalID != "<q1@customer.example>" ||
		reply.ParentExternalID != "<staff1@palabre.example.test>" {
		t.Errorf("reply: id %q conversation %q parent %q", reply.ExternalID, reply.ConversationExternalID, reply.ParentExternalID)
	}
	if reply.Title != "Colis perdu" || reply.Body != "Toujours rien." {
		t.Errorf("reply: title %q body %q", reply.Title, reply.Body)
	}
	if time.Since(root.CreatedAt) > time.Minute {
		t.Errorf("root created at %s", root.CreatedAt)
	}
	if again := poll(t, c, b.Cursor); len(again.Records) != 0 {
		t.Errorf("a second poll read %d records again", len(again.Records))
	}
	if seen := seenFlags(t, srv, "threads", "INBOX"); seen != 0 {
		t.Errorf("%d messages flagged seen, want none", seen)
	}
}

func testPollCursor(t *testing.T, srv *mailtest.Server) {
	c, addr := account(t, srv, "cursor", func(cfg *Config) { cfg.BatchSize = 2 })
	send := func(from, to int) {
		for i := from; i < to; i++ {
			id := fmt.Sprintf("<c%d@customer.example>", i)
			srv.Send(t, "bob@customer.example", []string{addr}, customerMail("bob@customer.example", addr, id, fmt.Sprintf("n°%d", i), "hello"))
			// One at a time, so that UIDs follow the sending order.
			srv.WaitForMessages(t, "cursor", "INBOX", i+1)
		}
	}
	send(0, 5)
	var cur connector.Cursor
	var ids []string
	var mores []bool
	for range 4 {
		b := poll(t, c, cur)
		for _, r := range b.Records {
			ids = append(ids, r.Message.ExternalID)
		}
		mores = append(mores, b.More)
		cur = b.Cursor
	}
	want := "<c0@customer.example> <c1@customer.example> <c2@customer.example> <c3@customer.example> <c4@customer.example>"
	if strings.Join(ids, " ") != want {
		t.Errorf("read %q, want %q", ids, want)
	}
	if fmt.Sprint(mores) != "[true true false false]" {
		t.Errorf("More along the polls: %v, want [true true false false]", mores)
	}
	send(5, 6)
	if b := poll(t, c, cur); len(b.Records) != 1 || b.Records[0].Message.ExternalID != "<c5@customer.example>" {
		t.Errorf("after one more message, read %d records", len(b.Records))
	}
}

func testPollUIDValidityChange(t *testing.T, srv *mailtest.Server) {
	c, addr := account(t, srv, "validity", nil)
	for i := range 2 {
		srv.Send(t, "cy@customer.example", []string{addr}, customerMail("cy@customer.example", addr, fmt.Sprintf("<v%d@customer.example>", i), "hi", "hello"))
	}
	srv.WaitForMessages(t, "validity", "INBOX", 2)
	first := poll(t, c, connector.Cursor{})
	if len(first.Records) != 2 {
		t.Fatalf("first poll read %d records, want 2", len(first.Records))
	}
	srv.SetUIDValidity(t, "validity", "INBOX", 4242)
	again := poll(t, c, first.Cursor)
	if len(again.Records) != 2 {
		t.Errorf("after a UIDVALIDITY change, read %d records, want both again", len(again.Records))
	}
	if !strings.HasPrefix(again.Cursor.Position, "4242:") || again.Cursor.Position == first.Cursor.Position {
		t.Errorf("cursor %q then %q, want the new UIDVALIDITY 4242", first.Cursor.Position, again.Cursor.Position)
	}
	if b := poll(t, c, again.Cursor); len(b.Records) != 0 {
		t.Errorf("then read %d records, want none", len(b.Records))
	}
}

func testPollTooLarge(t *testing.T, srv *mailtest.Server) {
	c, addr := account(t, srv, "large", func(cfg *Config) { cfg.MaxMessageBytes = 4000 })
	srv.Send(t, "dan@customer.example", []string{addr}, customerMail("dan@customer.example", addr, "<big@customer.example>", "big", strings.Repeat("blah ", 2000)))
	srv.WaitForMessages(t, "large", "INBOX", 1)
	srv.Send(t, "dan@customer.example", []string{addr}, customerMail("dan@customer.example", addr, "<small@customer.example>", "small", "short"))
	srv.WaitForMessages(t, "large", "INBOX", 2)
	b, err := c.Poll(context.Background(), connector.Cursor{})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Records) != 2 {
		t.Fatalf("read %d records, want 2", len(b.Records))
	}
	if err := b.Records[0].Err; err == nil || !strings.Contains(err.Error(), "UID 1 ") || !strings.Contains(err.Error(), "4000") {
		t.Errorf("large message: error %v, want one naming UID 1 and the limit", err)
	}
	if b.Records[1].Err != nil || b.Records[1].Message.ExternalID != "<small@customer.example>" {
		t.Errorf("small message: %+v", b.Records[1])
	}
}

func testReplyAndFind(t *testing.T, srv *mailtest.Server) {
	c, support := account(t, srv, "replies", nil)
	reader, customer := account(t, srv, "customer", nil)
	srv.Send(t, customer, []string{support}, customerMail(customer, support, "<r1@example.test>", "Remboursement", "Je voudrais être remboursée."))
	srv.Send(t, customer, []string{support}, customerMail(customer, support, "<r2@example.test>", "Re: Remboursement", "Alors ?", "<r1@example.test>"))
	srv.WaitForMessages(t, "replies", "INBOX", 2)

	r := connector.Reply{Key: "outbox-7", ConversationExternalID: "<r1@example.test>", InReplyTo: "<r2@example.test>",
		Body: "Bonjour,\n\nC'est fait — vous serez remboursée sous 5 jours.\n\nÉlise", AuthorName: "Élise (Support)"}
	if _, found, err := c.Find(context.Background(), r); err != nil || found {
		t.Fatalf("before sending, Find: found %v, %v", found, err)
	}
	sent, err := c.Reply(context.Background(), r)
	if err != nil {
		t.Fatalf("reply: %v\n%s", err, srv.Logs())
	}
	if sent.ExternalID != "<outbox-7@palabre.example.test>" {
		t.Errorf("sent as %q", sent.ExternalID)
	}
	srv.WaitForMessages(t, "customer", "INBOX", 1)
	b := poll(t, reader, connector.Cursor{})
	if len(b.Records) != 1 {
		t.Fatalf("the customer received %d messages, want 1", len(b.Records))
	}
	got := b.Records[0].Message
	if got.ExternalID != sent.ExternalID || got.ParentExternalID != "<r2@example.test>" || got.ConversationExternalID != "<r1@example.test>" {
		t.Errorf("received id %q parent %q conversation %q", got.ExternalID, got.ParentExternalID, got.ConversationExternalID)
	}
	if got.AuthorName != "Élise (Support)" || got.AuthorEmail != support || got.Title != "Remboursement" || got.Body != r.Body {
		t.Errorf("received %+v", got)
	}
	header := rawHeader(t, srv, "customer", "INBOX")
	for _, want := range []string{"Subject: Re: Remboursement", "In-Reply-To: <r2@example.test>",
		"References: <r1@example.test> <r2@example.test>", "To: \"Ann Customer\" <" + customer + ">"} {
		if !strings.Contains(header, want+"\r\n") {
			t.Errorf("received header lacks %q:\n%s", want, header)
		}
	}
	srv.WaitForMessages(t, "replies", "Sent", 1)
	found, ok, err := c.Find(context.Background(), r)
	if err != nil || !ok || found.ExternalID != sent.ExternalID {
		t.Errorf("Find after sending: %+v found %v, %v", found, ok, err)
	}
	other := r
	other.Key = "outbox-8"
	if _, ok, err := c.Find(context.Background(), other); err != nil || ok {
		t.Errorf("Find of a reply never sent: found %v, %v", ok, err)
	}
}

func testReplyUnknownMessage(t *testing.T, srv *mailtest.Server) {
	c, _ := account(t, srv, "unknown", nil)
	_, err := c.Reply(context.Background(), connector.Reply{Key: "k", InReplyTo: "<nowhere@example.test>", Body: "hi"})
	if !connector.IsPermanent(err) || !strings.Contains(err.Error(), "<nowhere@example.test>") {
		t.Errorf("reply to an unknown message: %v, want a permanent error naming it", err)
	}
}

func testWrongIMAPPassword(t *testing.T, srv *mailtest.Server) {
	c, _ := account(t, srv, "wrongpass", func(cfg *Config) { cfg.IMAPPassword = "nope" })
	_, err := c.Poll(context.Background(), connector.Cursor{})
	if !connector.IsPermanent(err) || !strings.Contains(err.Error(), "log in as wrongpass") {
		t.Errorf("poll with a wrong password: %v, want a permanent error", err)
	}
}

func testWrongSMTPPassword(t *testing.T, srv *mailtest.Server) {
	c, addr := account(t, srv, "wrongsmtp", func(cfg *Config) { cfg.SMTPPassword = "nope" })
	srv.Send(t, "eve@customer.example", []string{addr}, customerMail("eve@customer.example", addr, "<w1@customer.example>", "hi", "hello"))
	srv.WaitForMessages(t, "wrongsmtp", "INBOX", 1)
	_, err := c.Reply(context.Background(), connector.Reply{Key: "k1", InReplyTo: "<w1@customer.example>", Body: "hi"})
	if !connector.IsPermanent(err) || !strings.Contains(err.Error(), "SMTP") {
		t.Errorf("reply with a wrong SMTP password: %v, want a permanent error", err)
	}
}

func testMissingMailbox(t *testing.T, srv *mailtest.Server) {
	c, _ := account(t, srv, "nombox", func(cfg *Config) { cfg.Mailbox = "Nowhere" })
	_, err := c.Poll(context.Background(), connector.Cursor{})
	if !connector.IsPermanent(err) || !strings.Contains(err.Error(), `"Nowhere"`) {
		t.Errorf("poll of a missing mailbox: %v, want a permanent error naming it", err)
	}
}

func testModerateSpam(t *testing.T, srv *mailtest.Server) {
	c, addr := account(t, srv, "spam", nil)
	srv.Send(t, "spam@customer.example", []string{addr}, customerMail("spam@customer.example", addr, "<s1@customer.example>", "WIN", "money"))
	srv.WaitForMessages(t, "spam", "INBOX", 1)
	for range 2 { // the second time, the message is already in Junk
		if err := c.Moderate(context.Background(), "<s1@customer.example>", connector.ModSpam); err != nil {
			t.Fatal(err)
		}
	}
	srv.WaitForMessages(t, "spam", "Junk", 1)
	if err := c.Moderate(context.Background(), "<s1@customer.example>", connector.ModApprove); !errors.Is(err, connector.ErrUnsupported) {
		t.Errorf("approve: %v, want ErrUnsupported", err)
	}
}

func testMarkSeen(t *testing.T, srv *mailtest.Server) {
	c, addr := account(t, srv, "markseen", func(cfg *Config) { cfg.MarkSeen = true })
	srv.Send(t, "gus@customer.example", []string{addr}, customerMail("gus@customer.example", addr, "<seen1@customer.example>", "hi", "hello"))
	srv.WaitForMessages(t, "markseen", "INBOX", 1)
	if b := poll(t, c, connector.Cursor{}); len(b.Records) != 1 {
		t.Fatalf("read %d records, want 1", len(b.Records))
	}
	if seen := seenFlags(t, srv, "markseen", "INBOX"); seen != 1 {
		t.Errorf("%d messages flagged seen, want 1", seen)
	}
}

// testTLS reads and answers over STARTTLS and implicit TLS.
func testTLS(t *testing.T, srv *mailtest.Server) {
	trust := WithTLSConfig(&tls.Config{RootCAs: srv.RootCAs})
	starttls, support := account(t, srv, "tlsuser", func(cfg *Config) {
		cfg.IMAPTLS, cfg.SMTPTLS = TLSStartTLS, TLSStartTLS
	}, trust)
	implicit, _ := account(t, srv, "tlsuser2", func(cfg *Config) {
		cfg.IMAPAddr, cfg.SMTPAddr = srv.IMAPSAddr, srv.SMTPSAddr
		cfg.IMAPTLS, cfg.SMTPTLS = TLSImplicit, TLSImplicit
		cfg.IMAPUser, cfg.SMTPUser = "tlsuser", "tlsuser"
	}, trust)
	srv.Send(t, "fay@customer.example", []string{support}, customerMail("fay@customer.example", support, "<tls1@customer.example>", "secure", "hello"))
	srv.WaitForMessages(t, "tlsuser", "INBOX", 1)
	channels := map[string]*Channel{"starttls": starttls, "tls": implicit}
	for name, c := range channels {
		b := poll(t, c, connector.Cursor{})
		if len(b.Records) != 1 || b.Records[0].Message.ExternalID != "<tls1@customer.example>" {
			t.Errorf("%s: read %d records", name, len(b.Records))
		}
	}
	for name, c := range channels {
		// The reply bounces (customer.example is not served here) but
		// is taken: what is tested is the submission over TLS.
		if _, err := c.Reply(context.Background(), connector.Reply{Key: "tls-" + name, InReplyTo: "<tls1@customer.example>", Body: "hi"}); err != nil {
			t.Errorf("%s: reply: %v", name, err)
		}
	}
}

func testUntrustedCertificate(t *testing.T, srv *mailtest.Server) {
	c, _ := account(t, srv, "untrusted", func(cfg *Config) {
		cfg.IMAPAddr, cfg.IMAPTLS = srv.IMAPSAddr, TLSImplicit
	})
	_, err := c.Poll(context.Background(), connector.Cursor{})
	if !connector.IsPermanent(err) || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("poll of a server with an unknown certificate: %v, want a permanent error", err)
	}
}

// TestServerDown needs no server: nothing listens on the port.
func TestServerDown(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, err := New(Config{IMAPAddr: addr, IMAPUser: "u", IMAPTLS: TLSNone, SMTPAddr: addr, SMTPTLS: TLSNone,
		From: mail.Address{Address: "s@example.test"}, AllowPrivate: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var temp *connector.TemporaryError
	if _, err := c.Poll(context.Background(), connector.Cursor{}); !errors.As(err, &temp) {
		t.Errorf("poll of a server down: %v, want a temporary error", err)
	}
	if _, err := c.Reply(context.Background(), connector.Reply{Key: "k", InReplyTo: "<a@b>", Body: "x"}); !errors.As(err, &temp) {
		t.Errorf("reply through a server down: %v, want a temporary error", err)
	}
}

// TestRefusesLoopback: unless allowed, the channel does not reach the
// machine it runs on, as no address a user types does.
func TestRefusesLoopback(t *testing.T) {
	t.Parallel()
	c, err := New(Config{IMAPAddr: "127.0.0.1:143", IMAPUser: "u"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Poll(context.Background(), connector.Cursor{})
	if !errors.Is(err, fetch.ErrForbiddenAddress) || !connector.IsPermanent(err) {
		t.Errorf("poll of 127.0.0.1: %v, want a permanent ErrForbiddenAddress", err)
	}
}

// TestPollHonoursContext: a server that accepts but never answers holds a
// poll only until its context ends.
func TestPollHonoursContext(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	c, err := New(Config{IMAPAddr: l.Addr().String(), IMAPUser: "u", IMAPTLS: TLSNone, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Poll(ctx, connector.Cursor{})
	var temp *connector.TemporaryError
	if !errors.As(err, &temp) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("poll of a silent server: %v, want a temporary time-out", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("poll returned after %s", d)
	}
}

// seenFlags counts the messages of a mailbox flagged \Seen.
func seenFlags(t *testing.T, srv *mailtest.Server, user, mailbox string) int {
	t.Helper()
	client := login(t, srv, user)
	if _, err := client.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	data, err := client.Search(&imap.SearchCriteria{Flag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	return len(data.AllSeqNums())
}

// rawHeader is the header of the first message of a mailbox, as stored.
func rawHeader(t *testing.T, srv *mailtest.Server, user, mailbox string) string {
	t.Helper()
	client := login(t, srv, user)
	if _, err := client.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	section := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
	msgs, err := client.Fetch(imap.SeqSetNum(1), &imap.FetchOptions{BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("fetch header: %d messages, %v", len(msgs), err)
	}
	return string(msgs[0].FindBodySection(section))
}

func login(t *testing.T, srv *mailtest.Server, user string) *imapclient.Client {
	t.Helper()
	client, err := imapclient.DialInsecure(srv.IMAPAddr, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	if err := client.Login(user, password).Wait(); err != nil {
		t.Fatal(err)
	}
	return client
}
