package email

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"

	"palabre/internal/connector"
)

// Reply sends r over SMTP as a plain-text answer to the author of the
// message it answers, threaded under it. The recipient, subject and
// thread are read from that message, looked up by Message-ID in the
// mailbox (or in the sent mailbox, for a follow-up to the staff's own
// message). The reply's Message-ID is derived from r.Key, and is the
// ExternalID returned.
func (c *Channel) Reply(ctx context.Context, r connector.Reply) (connector.Sent, error) {
	if c.cfg.SMTPAddr == "" {
		return connector.Sent{}, fmt.Errorf("e-mail reply: no SMTP server configured: %w", connector.ErrUnsupported)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	id, err := replyID(r.Key, c.cfg.From.Address)
	if err != nil {
		return connector.Sent{}, &connector.PermanentError{Err: fmt.Errorf("e-mail reply: %w", err)}
	}
	if strings.TrimSpace(r.Body) == "" {
		return connector.Sent{}, &connector.PermanentError{Err: fmt.Errorf("e-mail reply %s: empty body", id)}
	}
	parentID := firstID(r.InReplyTo)
	if parentID == "" {
		parentID = firstID(r.ConversationExternalID)
	}
	if parentID == "" {
		return connector.Sent{}, &connector.PermanentError{Err: fmt.Errorf("e-mail reply %s: no Message-ID to answer", id)}
	}
	parent, err := c.lookUp(ctx, parentID)
	if err != nil {
		return connector.Sent{}, fmt.Errorf("e-mail reply %s: %w", id, err)
	}
	from := c.cfg.From
	if name := strings.TrimSpace(r.AuthorName); name != "" {
		from.Name = name
	}
	msg := outgoing{from: from, to: parent.to, subject: replySubject(parent.subject), id: id,
		parent: parent, body: r.Body, date: time.Now()}
	raw := msg.bytes()
	if err := c.send(ctx, []string{parent.to.Address}, raw); err != nil {
		return connector.Sent{}, fmt.Errorf("e-mail reply %s to %s: %w", id, parent.to.Address, err)
	}
	if c.cfg.SaveSent {
		// The reply is gone: failing now would have it sent twice.
		if err := c.saveSent(ctx, raw, msg.date); err != nil {
			c.cfg.Logger.Warn("e-mail reply sent but not filed", "message_id", id, "mailbox", c.cfg.SentMailbox, "error", err)
		}
	}
	return connector.Sent{ExternalID: id}, nil
}

// Find looks for the reply sent under r.Key in the sent mailbox.
func (c *Channel) Find(ctx context.Context, r connector.Reply) (connector.Sent, bool, error) {
	if c.cfg.SentMailbox == "" {
		return connector.Sent{}, false, fmt.Errorf("e-mail find: no sent mailbox configured: %w", connector.ErrUnsupported)
	}
	id, err := replyID(r.Key, c.cfg.From.Address)
	if err != nil {
		return connector.Sent{}, false, &connector.PermanentError{Err: fmt.Errorf("e-mail find: %w", err)}
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	s, err := c.openIMAP(ctx)
	if err != nil {
		return connector.Sent{}, false, fmt.Errorf("e-mail find %s: %w", id, err)
	}
	defer s.close()
	if _, err := s.selectMailbox(ctx, c.cfg.SentMailbox, false); err != nil {
		return connector.Sent{}, false, fmt.Errorf("e-mail find %s: %w", id, err)
	}
	uids, err := s.findMessageID(ctx, c.cfg.SentMailbox, id)
	if err != nil {
		return connector.Sent{}, false, fmt.Errorf("e-mail find %s: %w", id, err)
	}
	if len(uids) == 0 {
		return connector.Sent{}, false, nil
	}
	return connector.Sent{ExternalID: id}, true, nil
}

// Moderate moves a message marked spam to the junk mailbox, or a trashed
// one to the trash, when those are configured; e-mail has no other
// moderation. A message already moved counts as done.
func (c *Channel) Moderate(ctx context.Context, externalID, action string) error {
	var target string
	switch action {
	case connector.ModSpam:
		target = c.cfg.JunkMailbox
	case connector.ModTrash:
		target = c.cfg.TrashMailbox
	}
	if target == "" {
		return fmt.Errorf("e-mail moderation %q: %w", action, connector.ErrUnsupported)
	}
	id := firstID(externalID)
	if id == "" {
		return &connector.PermanentError{Err: fmt.Errorf("e-mail moderation %q: %q is not a Message-ID", action, externalID)}
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	s, err := c.openIMAP(ctx)
	if err != nil {
		return fmt.Errorf("e-mail moderation %q of %s: %w", action, id, err)
	}
	defer s.close()
	uids, err := s.findIn(ctx, c.cfg.Mailbox, id, true)
	if err != nil {
		return fmt.Errorf("e-mail moderation %q of %s: %w", action, id, err)
	}
	if len(uids) == 0 {
		moved, err := s.findIn(ctx, target, id, false)
		if err != nil {
			return fmt.Errorf("e-mail moderation %q of %s: %w", action, id, err)
		}
		if len(moved) > 0 {
			return nil
		}
		return &connector.PermanentError{Err: fmt.Errorf("e-mail moderation %q: %s is in neither %q nor %q", action, id, c.cfg.Mailbox, target)}
	}
	if _, err := s.client.Move(imap.UIDSetNum(uids...), target).Wait(); err != nil {
		return failure(ctx, fmt.Sprintf("e-mail moderation %q: IMAP %s: move %s from %q to %q", action, s.addr, id, c.cfg.Mailbox, target), err)
	}
	return nil
}

// findIn selects mailbox and searches it for the Message-ID id.
func (s *imapSession) findIn(ctx context.Context, mailbox, id string, writable bool) ([]imap.UID, error) {
	if _, err := s.selectMailbox(ctx, mailbox, writable); err != nil {
		return nil, err
	}
	return s.findMessageID(ctx, mailbox, id)
}

// lookUp finds the message id answers and reads who to answer, under
// which subject, in which thread.
func (c *Channel) lookUp(ctx context.Context, id string) (answered, error) {
	s, err := c.openIMAP(ctx)
	if err != nil {
		return answered{}, err
	}
	defer s.close()
	mailboxes := []string{c.cfg.Mailbox}
	if c.cfg.SentMailbox != "" && c.cfg.SentMailbox != c.cfg.Mailbox {
		mailboxes = append(mailboxes, c.cfg.SentMailbox)
	}
	for _, mb := range mailboxes {
		uids, err := s.findIn(ctx, mb, id, false)
		if err != nil {
			return answered{}, err
		}
		if len(uids) == 0 {
			continue
		}
		header, err := s.fetchHeader(uids[0])
		if err != nil {
			return answered{}, failure(ctx, fmt.Sprintf("IMAP %s: read message %s in %q", s.addr, id, mb), err)
		}
		a, err := c.answering(id, header)
		if err != nil {
			return answered{}, &connector.PermanentError{Err: fmt.Errorf("message %s in %q: %w", id, mb, err)}
		}
		return a, nil
	}
	return answered{}, &connector.PermanentError{Err: fmt.Errorf("message %s answered is not in %s", id, quoteList(mailboxes))}
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, " nor ")
}

// fetchHeader reads a message's header without flagging it seen.
func (s *imapSession) fetchHeader(uid imap.UID) ([]byte, error) {
	section := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
	msgs, err := s.client.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		if b := m.FindBodySection(section); b != nil {
			return b, nil
		}
	}
	return nil, errors.New("the server sent no header")
}

// answering reads what a reply to the message with this header needs: it
// goes to the Reply-To or From address, unless that is the channel's own
// (a follow-up to the staff's message), then to the first To.
func (c *Channel) answering(id string, header []byte) (answered, error) {
	msg, err := readMessage(header)
	if err != nil {
		return answered{}, err
	}
	h := msg.Header
	a := answered{
		id:      id,
		subject: headerText(h.Get("Subject")),
		refs:    referencesAfter(id, messageIDs(h.Get("References")), firstID(h.Get("In-Reply-To"))),
	}
	for _, field := range []string{"Reply-To", "From", "To"} {
		to, ok := firstAddress(h.Get(field))
		if ok && !strings.EqualFold(to.Address, c.cfg.From.Address) {
			a.to = to
			return a, nil
		}
	}
	return answered{}, errors.New("no address to answer (Reply-To, From, To)")
}

func firstAddress(raw string) (mail.Address, bool) {
	p := mail.AddressParser{WordDecoder: wordDecoder()}
	list, err := p.ParseList(raw)
	if err != nil || len(list) == 0 || list[0].Address == "" {
		return mail.Address{}, false
	}
	return *list[0], true
}

// send hands raw to the SMTP server for each address of to.
func (c *Channel) send(ctx context.Context, to []string, raw []byte) error {
	addr := c.cfg.SMTPAddr
	where := "SMTP " + addr
	conn, err := c.connect(ctx, addr, c.cfg.SMTPTLS)
	if err != nil {
		return failure(ctx, where+": connect", err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	host, _, _ := net.SplitHostPort(addr)
	client, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return failure(ctx, where+": greeting", err)
	}
	defer client.Close()
	step := func(what string, err error) error {
		if err != nil {
			return failure(ctx, where+": "+what, err)
		}
		return nil
	}
	if err := step("EHLO", client.Hello(domainOf(c.cfg.From.Address))); err != nil {
		return err
	}
	if c.cfg.SMTPTLS == TLSStartTLS {
		if ok, _ := client.Extension("STARTTLS"); !ok {
			return failure(ctx, where, permanentf("the server does not offer STARTTLS"))
		}
		if err := step("STARTTLS", client.StartTLS(c.tlsFor(addr))); err != nil {
			return err
		}
	}
	if c.cfg.SMTPUser != "" {
		auth, err := c.smtpAuth(client, host)
		if err != nil {
			return failure(ctx, where, err)
		}
		if err := step("log in as "+c.cfg.SMTPUser, client.Auth(auth)); err != nil {
			return err
		}
	}
	if err := step("MAIL FROM", client.Mail(c.cfg.From.Address)); err != nil {
		return err
	}
	for _, addr := range to {
		if err := step("RCPT TO "+addr, client.Rcpt(addr)); err != nil {
			return err
		}
	}
	w, err := client.Data()
	if err := step("DATA", err); err != nil {
		return err
	}
	if _, err := w.Write(raw); err != nil {
		return step("DATA", err)
	}
	if err := step("end of DATA", w.Close()); err != nil {
		return err
	}
	// The server has taken the message; a failed QUIT changes nothing.
	_ = client.Quit()
	return nil
}

// smtpAuth picks PLAIN, or LOGIN for servers that offer only that.
func (c *Channel) smtpAuth(client *smtp.Client, host string) (smtp.Auth, error) {
	ok, mechs := client.Extension("AUTH")
	if !ok {
		return nil, permanentf("the server offers no authentication")
	}
	offered := strings.Fields(strings.ToUpper(mechs))
	switch {
	case slices.Contains(offered, "PLAIN"):
		return smtp.PlainAuth("", c.cfg.SMTPUser, c.cfg.SMTPPassword, host), nil
	case slices.Contains(offered, "LOGIN"):
		return &loginAuth{user: c.cfg.SMTPUser, password: c.cfg.SMTPPassword, host: host}, nil
	}
	return nil, permanentf("the server offers authentication by %s only, not PLAIN or LOGIN", mechs)
}

// loginAuth is the LOGIN mechanism, which some servers offer instead of
// PLAIN. Like smtp.PlainAuth, it refuses to send the password in clear
// except to the local machine.
type loginAuth struct {
	user, password, host string
}

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	local := server.Name == "localhost" || net.ParseIP(server.Name).IsLoopback()
	if !server.TLS && !local {
		return "", nil, errors.New("unencrypted connection")
	}
	if server.Name != a.host {
		return "", nil, errors.New("wrong host name")
	}
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	prompt := strings.ToLower(string(bytes.TrimSpace(fromServer)))
	switch {
	case strings.Contains(prompt, "user"):
		return []byte(a.user), nil
	case strings.Contains(prompt, "pass"):
		return []byte(a.password), nil
	}
	return nil, fmt.Errorf("unexpected LOGIN prompt %q", fromServer)
}

// saveSent files a copy of a reply in the sent mailbox, flagged seen.
func (c *Channel) saveSent(ctx context.Context, raw []byte, date time.Time) error {
	s, err := c.openIMAP(ctx)
	if err != nil {
		return err
	}
	defer s.close()
	cmd := s.client.Append(c.cfg.SentMailbox, int64(len(raw)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}, Time: date})
	if _, err := cmd.Write(raw); err != nil {
		cmd.Close()
		return failure(ctx, fmt.Sprintf("IMAP %s: file reply in %q", s.addr, c.cfg.SentMailbox), err)
	}
	if err := cmd.Close(); err != nil {
		return failure(ctx, fmt.Sprintf("IMAP %s: file reply in %q", s.addr, c.cfg.SentMailbox), err)
	}
	if _, err := cmd.Wait(); err != nil {
		return failure(ctx, fmt.Sprintf("IMAP %s: file reply in %q", s.addr, c.cfg.SentMailbox), err)
	}
	return nil
}
