package poll

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/mail"

	"palabre/internal/connector/email"
	"palabre/internal/fetch"
)

// emailSettings are an e-mail source's settings as kept: the mailbox read
// over IMAP and the server replies are sent through. Whether private
// addresses may be reached is the server's rule (--sources-allow-hosts),
// not a setting.
type emailSettings struct {
	IMAPAddr     string `json:"imap_addr"`
	IMAPUser     string `json:"imap_user"`
	IMAPPassword string `json:"imap_password"`
	IMAPTLS      string `json:"imap_tls,omitempty"` // none, starttls or tls (default)
	Mailbox      string `json:"mailbox,omitempty"`
	MarkSeen     bool   `json:"mark_seen,omitempty"`
	SentMailbox  string `json:"sent_mailbox,omitempty"`
	SaveSent     bool   `json:"save_sent,omitempty"`
	JunkMailbox  string `json:"junk_mailbox,omitempty"`
	TrashMailbox string `json:"trash_mailbox,omitempty"`
	SMTPAddr     string `json:"smtp_addr,omitempty"`
	SMTPUser     string `json:"smtp_user,omitempty"`
	SMTPPassword string `json:"smtp_password,omitempty"`
	SMTPTLS      string `json:"smtp_tls,omitempty"` // none, starttls (default) or tls
	From         string `json:"from,omitempty"`     // the address replies come from
	FromName     string `json:"from_name,omitempty"`
}

// parseEmail reads an e-mail source's settings and makes its channel,
// reaching private addresses only where client allows.
func parseEmail(config []byte, client *fetch.Client) (emailSettings, *email.Channel, error) {
	var s emailSettings
	dec := json.NewDecoder(bytes.NewReader(config))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return s, nil, fmt.Errorf("e-mail settings: %w", err)
	}
	mode := func(v, def string) email.TLSMode {
		if v == "" {
			v = def
		}
		return email.TLSMode(v)
	}
	cfg := email.Config{IMAPAddr: s.IMAPAddr, IMAPUser: s.IMAPUser, IMAPPassword: s.IMAPPassword,
		IMAPTLS: mode(s.IMAPTLS, string(email.TLSImplicit)), Mailbox: s.Mailbox, MarkSeen: s.MarkSeen,
		SentMailbox: s.SentMailbox, SaveSent: s.SaveSent, JunkMailbox: s.JunkMailbox, TrashMailbox: s.TrashMailbox,
		SMTPAddr: s.SMTPAddr, SMTPUser: s.SMTPUser, SMTPPassword: s.SMTPPassword,
		SMTPTLS: mode(s.SMTPTLS, string(email.TLSStartTLS)), From: mail.Address{Name: s.FromName, Address: s.From}}
	cfg.AllowPrivate = allows(client, s.IMAPAddr) && (s.SMTPAddr == "" || allows(client, s.SMTPAddr))
	ch, err := email.New(cfg)
	if err != nil {
		return s, nil, fmt.Errorf("e-mail settings: %w", err)
	}
	return s, ch, nil
}

// allows reports whether client lets a source reach addr (host:port)
// whatever it resolves to.
func allows(client *fetch.Client, addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	return client.Allows(host)
}
