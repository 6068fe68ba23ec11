package email

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"palabre/internal/connector"
)

// position is where reading a mailbox stands: the last UID read, valid
// while the mailbox keeps its UIDVALIDITY. A server that renumbers its
// mailbox changes UIDVALIDITY, and reading starts over: messages read
// twice are stored once, by Message-ID.
type position struct {
	validity uint32
	last     imap.UID
}

// String is the cursor's Position: "UIDVALIDITY:UID".
func (p position) String() string {
	return fmt.Sprintf("%d:%d", p.validity, p.last)
}

// parsePosition reads a cursor's Position. An empty or unreadable one
// means reading from the start, which is safe.
func parsePosition(s string) position {
	v, u, ok := strings.Cut(s, ":")
	if !ok {
		return position{}
	}
	validity, err1 := strconv.ParseUint(v, 10, 32)
	last, err2 := strconv.ParseUint(u, 10, 32)
	if err1 != nil || err2 != nil {
		return position{}
	}
	return position{validity: uint32(validity), last: imap.UID(last)}
}

// Poll reads the messages that arrived in the mailbox since cur, in UID
// order, at most BatchSize of them; Batch.More says when more are
// waiting.
func (c *Channel) Poll(ctx context.Context, cur connector.Cursor) (connector.Batch, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	s, err := c.openIMAP(ctx)
	if err != nil {
		return connector.Batch{}, err
	}
	defer s.close()
	mbox, err := s.selectMailbox(ctx, c.cfg.Mailbox, c.cfg.MarkSeen)
	if err != nil {
		return connector.Batch{}, err
	}
	pos := parsePosition(cur.Position)
	if pos.validity != mbox.UIDValidity {
		pos = position{validity: mbox.UIDValidity}
	}
	batch := connector.Batch{Cursor: connector.Cursor{Position: pos.String()}}
	if mbox.NumMessages == 0 || mbox.UIDNext != 0 && mbox.UIDNext <= pos.last+1 {
		return batch, nil
	}
	uids, err := c.newUIDs(ctx, s, pos.last)
	if err != nil {
		return connector.Batch{}, err
	}
	if len(uids) > c.cfg.BatchSize {
		uids, batch.More = uids[:c.cfg.BatchSize], true
	}
	if len(uids) == 0 {
		return batch, nil
	}
	batch.Records, err = c.read(ctx, s, uids)
	if err != nil {
		return connector.Batch{}, err
	}
	if c.cfg.MarkSeen {
		if err := s.markSeen(ctx, c.cfg.Mailbox, uids); err != nil {
			return connector.Batch{}, err
		}
	}
	pos.last = uids[len(uids)-1]
	batch.Cursor.Position = pos.String()
	return batch, nil
}

// newUIDs lists the UIDs above last, in order.
func (c *Channel) newUIDs(ctx context.Context, s *imapSession, last imap.UID) ([]imap.UID, error) {
	criteria := &imap.SearchCriteria{UID: []imap.UIDSet{{{Start: last + 1, Stop: 0}}}}
	data, err := s.client.UIDSearch(criteria, nil).Wait()
	if err != nil {
		return nil, failure(ctx, fmt.Sprintf("IMAP %s: list new messages of %q", s.addr, c.cfg.Mailbox), err)
	}
	// "last+1:*" also matches the highest UID when it is below last+1.
	uids := slices.DeleteFunc(data.AllUIDs(), func(u imap.UID) bool { return u <= last })
	slices.Sort(uids)
	return uids, nil
}

// meta is what a FETCH tells of a message besides its content.
type meta struct {
	size     int64
	internal time.Time
}

// read fetches and parses the messages uids, in that order. A message
// too large, gone or unreadable becomes a bad record naming its UID.
func (c *Channel) read(ctx context.Context, s *imapSession, uids []imap.UID) ([]connector.Record, error) {
	where := fmt.Sprintf("IMAP %s: mailbox %q", s.addr, c.cfg.Mailbox)
	metas, err := s.fetchMeta(uids)
	if err != nil {
		return nil, failure(ctx, where+": fetch sizes", err)
	}
	var small []imap.UID
	for _, u := range uids {
		if m, ok := metas[u]; ok && m.size <= c.cfg.MaxMessageBytes {
			small = append(small, u)
		}
	}
	raws := make(map[imap.UID]connector.Record, len(small))
	if len(small) > 0 {
		err := s.fetchBodies(small, c.cfg.MaxMessageBytes, func(u imap.UID, raw []byte) {
			if int64(len(raw)) > c.cfg.MaxMessageBytes {
				// The server announced a smaller size than it sent.
				raws[u] = connector.Record{Err: fmt.Errorf("%s: message UID %d has more than the %d bytes allowed", where, u, c.cfg.MaxMessageBytes)}
				return
			}
			raws[u] = c.record(u, raw, metas[u].internal)
		})
		if err != nil {
			return nil, failure(ctx, where+": fetch messages", err)
		}
	}
	records := make([]connector.Record, 0, len(uids))
	for _, u := range uids {
		m, seen := metas[u]
		rec, read := raws[u]
		switch {
		case !seen:
			// Expunged between the search and the fetch.
			continue
		case m.size > c.cfg.MaxMessageBytes:
			rec.Err = fmt.Errorf("%s: message UID %d has %d bytes, more than the %d allowed", where, u, m.size, c.cfg.MaxMessageBytes)
		case !read:
			rec.Err = fmt.Errorf("%s: message UID %d: the server sent no content", where, u)
		}
		records = append(records, rec)
	}
	return records, nil
}

// record parses one message into a record.
func (c *Channel) record(uid imap.UID, raw []byte, internal time.Time) connector.Record {
	m, err := parseMessage(raw, internal)
	if err != nil {
		return connector.Record{Err: fmt.Errorf("mailbox %q message UID %d: %w", c.cfg.Mailbox, uid, err)}
	}
	if c.cfg.From.Address != "" && strings.EqualFold(m.AuthorEmail, c.cfg.From.Address) {
		m.AuthorIsStaff = true
	}
	return connector.Record{Message: m}
}

// uidRange is the set first:last.
func uidRange(uids []imap.UID) imap.UIDSet {
	return imap.UIDSet{{Start: uids[0], Stop: uids[len(uids)-1]}}
}

// fetchMeta reads the size and arrival date of the messages uids.
func (s *imapSession) fetchMeta(uids []imap.UID) (map[imap.UID]meta, error) {
	cmd := s.client.Fetch(uidRange(uids), &imap.FetchOptions{UID: true, RFC822Size: true, InternalDate: true})
	out := make(map[imap.UID]meta, len(uids))
	for {
		msg := cmd.Next()
		if msg == nil {
			break
		}
		buf, err := msg.Collect()
		if err != nil {
			cmd.Close()
			return nil, err
		}
		if buf.UID != 0 {
			out[buf.UID] = meta{size: buf.RFC822Size, internal: buf.InternalDate}
		}
	}
	if err := cmd.Close(); err != nil {
		return nil, err
	}
	return out, nil
}

// fetchBodies streams the messages uids, without setting \Seen, handing
// each to use as it arrives so that only one is held in memory at a time.
func (s *imapSession) fetchBodies(uids []imap.UID, limit int64, use func(imap.UID, []byte)) error {
	set := imap.UIDSetNum(uids...)
	section := &imap.FetchItemBodySection{Peek: true}
	cmd := s.client.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
	for {
		msg := cmd.Next()
		if msg == nil {
			break
		}
		var uid imap.UID
		var raw []byte
		for {
			item := msg.Next()
			if item == nil {
				break
			}
			switch item := item.(type) {
			case imapclient.FetchItemDataUID:
				uid = item.UID
			case imapclient.FetchItemDataBodySection:
				if item.Literal == nil {
					continue
				}
				b, err := io.ReadAll(io.LimitReader(item.Literal, limit+1))
				if err != nil {
					cmd.Close()
					return fmt.Errorf("read message: %w", err)
				}
				raw = b
			}
		}
		if uid != 0 && raw != nil {
			use(uid, raw)
		}
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	return nil
}

// markSeen flags uids \Seen.
func (s *imapSession) markSeen(ctx context.Context, mailbox string, uids []imap.UID) error {
	store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}
	if err := s.client.Store(imap.UIDSetNum(uids...), store, nil).Close(); err != nil {
		return failure(ctx, fmt.Sprintf("IMAP %s: mark messages of %q seen", s.addr, mailbox), err)
	}
	return nil
}
