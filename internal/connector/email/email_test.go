package email

import (
	"net/mail"
	"strings"
	"testing"
)

func TestNewConfig(t *testing.T) {
	t.Parallel()
	from := mail.Address{Address: "support@example.test"}
	c, err := New(Config{IMAPAddr: "imap.example.test:993", IMAPUser: "u", SMTPAddr: "smtp.example.test:587", From: from})
	if err != nil {
		t.Fatal(err)
	}
	if c.cfg.IMAPTLS != TLSImplicit || c.cfg.SMTPTLS != TLSStartTLS || c.cfg.Mailbox != "INBOX" || c.cfg.BatchSize != DefaultBatchSize {
		t.Errorf("defaults: IMAP %q SMTP %q mailbox %q batch %d", c.cfg.IMAPTLS, c.cfg.SMTPTLS, c.cfg.Mailbox, c.cfg.BatchSize)
	}
	if c, _ := New(Config{IMAPAddr: "imap.example.test:143", IMAPUser: "u", SMTPAddr: "smtp.example.test:465", From: from}); c.cfg.IMAPTLS != TLSStartTLS || c.cfg.SMTPTLS != TLSImplicit {
		t.Errorf("by port: IMAP %q SMTP %q", c.cfg.IMAPTLS, c.cfg.SMTPTLS)
	}
	bad := map[string]Config{
		"address without port": {IMAPAddr: "imap.example.test", IMAPUser: "u"},
		"no user":              {IMAPAddr: "imap.example.test:993"},
		"unknown TLS mode":     {IMAPAddr: "imap.example.test:993", IMAPUser: "u", IMAPTLS: "ssl"},
		"SMTP without from":    {IMAPAddr: "imap.example.test:993", IMAPUser: "u", SMTPAddr: "smtp.example.test:587"},
		"save without mailbox": {IMAPAddr: "imap.example.test:993", IMAPUser: "u", SaveSent: true},
	}
	for name, cfg := range bad {
		if _, err := New(cfg); err == nil || !strings.HasPrefix(err.Error(), "e-mail channel: ") {
			t.Errorf("%s: error %v, want one naming the channel", name, err)
		}
	}
}
