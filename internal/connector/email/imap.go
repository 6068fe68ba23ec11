package email

import (
	"context"
	"fmt"
	"net"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// imapSession is one logged-in IMAP connection, bound to the context it
// was opened with: when that ends, the connection is closed and every
// command waiting on it fails.
type imapSession struct {
	client *imapclient.Client
	addr   string
	stop   func() bool
}

// openIMAP connects, protects the connection as configured and logs in.
func (c *Channel) openIMAP(ctx context.Context) (*imapSession, error) {
	addr := c.cfg.IMAPAddr
	where := "IMAP " + addr
	conn, err := c.connect(ctx, addr, c.cfg.IMAPTLS)
	if err != nil {
		return nil, failure(ctx, where+": connect", err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	client, err := c.imapClient(conn)
	if err != nil {
		stop()
		conn.Close()
		return nil, failure(ctx, where, err)
	}
	s := &imapSession{client: client, addr: addr, stop: stop}
	if err := client.Login(c.cfg.IMAPUser, c.cfg.IMAPPassword).Wait(); err != nil {
		s.close()
		return nil, failure(ctx, fmt.Sprintf("%s: log in as %s", where, c.cfg.IMAPUser), err)
	}
	return s, nil
}

// imapClient reads the greeting, after STARTTLS in that mode.
func (c *Channel) imapClient(conn net.Conn) (*imapclient.Client, error) {
	if c.cfg.IMAPTLS == TLSStartTLS {
		client, err := imapclient.NewStartTLS(conn, &imapclient.Options{TLSConfig: c.tlsFor(c.cfg.IMAPAddr)})
		if err != nil {
			return nil, fmt.Errorf("STARTTLS: %w", err)
		}
		return client, nil
	}
	client := imapclient.New(conn, nil)
	if err := client.WaitGreeting(); err != nil {
		client.Close()
		return nil, fmt.Errorf("greeting: %w", err)
	}
	return client, nil
}

// close logs out, politely but without waiting past the context.
func (s *imapSession) close() {
	_ = s.client.Logout().Wait()
	_ = s.client.Close()
	s.stop()
}

// selectMailbox opens name, read-only unless writable.
func (s *imapSession) selectMailbox(ctx context.Context, name string, writable bool) (*imap.SelectData, error) {
	data, err := s.client.Select(name, &imap.SelectOptions{ReadOnly: !writable}).Wait()
	if err != nil {
		return nil, failure(ctx, fmt.Sprintf("IMAP %s: open mailbox %q", s.addr, name), err)
	}
	return data, nil
}

// findMessageID returns the UIDs of the selected mailbox's messages whose
// Message-ID header holds id.
func (s *imapSession) findMessageID(ctx context.Context, mailbox, id string) ([]imap.UID, error) {
	criteria := &imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: id}}}
	data, err := s.client.UIDSearch(criteria, nil).Wait()
	if err != nil {
		return nil, failure(ctx, fmt.Sprintf("IMAP %s: search mailbox %q for %s", s.addr, mailbox, id), err)
	}
	return data.AllUIDs(), nil
}
