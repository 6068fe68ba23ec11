// Package ingest turns the messages that connectors read into stored
// conversations: it normalises each record (canonical ids, times, defaults),
// decides which conversation it belongs to and how its author is
// recognised, and writes batches through the store, idempotently.
package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"palabre/internal/model"
	"palabre/internal/store"
)

// Limits that keep every record storable on both engines (PostgreSQL
// refuses index entries over about 2.7 kB and NUL bytes in text).
const (
	maxIDBytes   = 1024
	maxKeyBytes  = 320
	maxBodyBytes = 1 << 20
	subjectRunes = 120
)

// Prepare normalises one message for the store. channel is the channel the
// message goes to; wsSlug seeds the stable ids of new members.
func Prepare(wsSlug, channel string, m model.Message) (store.IngestItem, error) {
	cleanStrings(&m)
	m.Channel = channel
	m.ExternalID = CanonicalID(m.ExternalID)
	m.ParentExternalID = CanonicalID(m.ParentExternalID)
	m.ConversationExternalID = CanonicalID(m.ConversationExternalID)
	if m.ParentExternalID == m.ExternalID {
		m.ParentExternalID = ""
	}
	if m.ExternalID == "" {
		return store.IngestItem{}, fmt.Errorf("external_id is missing")
	}
	for _, id := range []string{m.ExternalID, m.ParentExternalID, m.ConversationExternalID} {
		if len(id) > maxIDBytes {
			return store.IngestItem{}, fmt.Errorf("an external id has %d bytes, more than %d", len(id), maxIDBytes)
		}
	}
	if m.CreatedAt.IsZero() {
		return store.IngestItem{}, fmt.Errorf("created_at is missing")
	}
	if len(m.Body) > maxBodyBytes || len(m.BodyHTML) > maxBodyBytes {
		return store.IngestItem{}, fmt.Errorf("body has more than %d bytes", maxBodyBytes)
	}
	m.CreatedAt = store.TruncateTime(m.CreatedAt)

	root := m.ConversationExternalID
	if root == "" && m.ParentExternalID == "" {
		root = m.ExternalID
	}
	m.ConversationExternalID = root // may stay empty: the store finds the parent's
	if m.Kind == "" {
		switch {
		case m.ParentExternalID == "":
			m.Kind = model.KindPost
		case m.ParentExternalID == root:
			m.Kind = model.KindComment
		default:
			m.Kind = model.KindReply
		}
	}
	if !model.ValidKind(m.Kind) {
		return store.IngestItem{}, fmt.Errorf("kind %q is not one of post, comment, reply, message", m.Kind)
	}
	if m.Status == "" {
		m.Status = model.StatusApproved
	}
	if !model.ValidStatus(m.Status) {
		return store.IngestItem{}, fmt.Errorf("status %q is not one of approved, pending, spam, trash", m.Status)
	}

	item := store.IngestItem{
		Message:    m,
		Root:       root,
		Identities: IdentityKeys(channel, m),
		MemberID:   m.MemberID,
	}
	if m.ExternalID == root {
		item.Subject = Subject(m)
	}
	if len(item.Identities) > 0 {
		item.NewMemberID = MemberID(wsSlug, item.Identities[0].Key)
		item.DisplayName = displayName(m)
	}
	item.Message.MemberID = ""
	return item, nil
}

// cleanStrings makes every text field storable identically on both engines:
// valid UTF-8, no NUL bytes, ids and author fields trimmed.
func cleanStrings(m *model.Message) {
	clean := func(s string, trim bool) string {
		if !utf8.ValidString(s) {
			s = strings.ToValidUTF8(s, "\uFFFD")
		}
		if strings.IndexByte(s, 0) >= 0 {
			s = strings.ReplaceAll(s, "\x00", "")
		}
		if trim {
			s = strings.TrimSpace(s)
		}
		return s
	}
	for _, f := range []*string{&m.ExternalID, &m.ParentExternalID, &m.ConversationExternalID, &m.Kind,
		&m.Status, &m.AuthorName, &m.AuthorHandle, &m.AuthorEmail, &m.AuthorURL, &m.MemberID, &m.URL,
		&m.Lang, &m.Sentiment, &m.Intent} {
		*f = clean(*f, true)
	}
	m.Title = clean(m.Title, true)
	m.Body = clean(m.Body, false)
	m.BodyHTML = clean(m.BodyHTML, false)
	for i := range m.Topics {
		m.Topics[i] = clean(m.Topics[i], true)
	}
}

var wpComment = regexp.MustCompile(`^comment-[0-9]+$`)

// CanonicalID gives WordPress content one id whatever the source: a post or
// comment seen in a WXR export, in an RSS comment feed or through the REST
// API is written https://HOST/PATH?p=POST[#comment-ID], host lower-cased and
// other query parameters dropped. Other ids are only trimmed.
func CanonicalID(id string) string {
	id = strings.TrimSpace(id)
	if !strings.Contains(id, "?p=") && !strings.Contains(id, "&p=") {
		return id
	}
	u, err := url.Parse(id)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return id
	}
	p := u.Query().Get("p")
	if p == "" || strings.Trim(p, "0123456789") != "" {
		return id
	}
	if u.Fragment != "" && !wpComment.MatchString(u.Fragment) {
		return id
	}
	path := strings.TrimSuffix(u.Path, "/") + "/"
	out := "https://" + strings.ToLower(u.Host) + path + "?p=" + p
	if u.Fragment != "" {
		out += "#" + u.Fragment
	}
	return out
}

// anonymous reports whether a folded name is a signature that identifies
// nobody.
func anonymous(name string) bool {
	switch name {
	case "anonymous", "anonyme", "anon", "guest", "invité", "invite", "unknown", "inconnu":
		return true
	}
	return false
}

// IdentityKeys lists how the message's author can be recognised, strongest
// first: the e-mail address (case-insensitive), the handle on this channel,
// then — weakest — the name signed on this channel, which recognises only
// authors who give neither of the others.
func IdentityKeys(channel string, m model.Message) []store.IdentityKey {
	var keys []store.IdentityKey
	if e := strings.ToLower(strings.TrimSpace(m.AuthorEmail)); strings.Contains(e, "@") && len(e) <= maxKeyBytes {
		keys = append(keys, store.IdentityKey{Key: "email:" + e, Kind: model.IdentityEmail, Value: m.AuthorEmail})
	}
	if h := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(m.AuthorHandle), "@")); h != "" && len(h) <= maxKeyBytes {
		keys = append(keys, store.IdentityKey{Key: "handle:" + channel + ":" + h, Kind: model.IdentityHandle, Value: m.AuthorHandle})
	}
	if n := foldName(m.AuthorName); n != "" && !anonymous(n) && len(n) <= maxKeyBytes {
		keys = append(keys, store.IdentityKey{Key: "name:" + channel + ":" + n, Kind: model.IdentityName, Value: m.AuthorName, Weak: true})
	}
	return keys
}

// foldName lower-cases a name and collapses its spaces, so "Cedric" and
// "cedric " sign the same way.
func foldName(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// MemberID derives a member's stable id from its workspace and its first
// identity, so that importing the same data into a fresh database gives
// the same ids.
func MemberID(wsSlug, key string) string {
	sum := sha256.Sum256([]byte(wsSlug + "\x00" + key))
	return "m_" + hex.EncodeToString(sum[:12])
}

func displayName(m model.Message) string {
	switch {
	case m.AuthorName != "":
		return m.AuthorName
	case m.AuthorHandle != "":
		return m.AuthorHandle
	}
	local, _, _ := strings.Cut(m.AuthorEmail, "@")
	return local
}

// Subject is what a conversation is called in the inbox: the root's title,
// or the start of its first line.
func Subject(m model.Message) string {
	s := m.Title
	if s == "" {
		s, _, _ = strings.Cut(strings.TrimSpace(m.Body), "\n")
	}
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > subjectRunes {
		r := []rune(s)
		s = strings.TrimSpace(string(r[:subjectRunes-1])) + "…"
	}
	return s
}
