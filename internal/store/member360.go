package store

// Member 360: what the member panel adds to who a member is — their
// identities grouped by kind and channel (web addresses included), how
// much they wrote on each channel, the custom fields the team keeps on
// them, and the facts their engagement score is computed from.

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"palabre/internal/metrics"
	"palabre/internal/model"
)

// IdentityGroup is a member's identities of one kind on one channel
// ("" for e-mail addresses, which hold across channels).
type IdentityGroup struct {
	Kind    string   `json:"kind"` // email, handle, url or name
	Channel string   `json:"channel,omitempty"`
	Values  []string `json:"values"`
}

// identityKindOrder is the order of the panel's identity groups: the
// verified identifiers first.
var identityKindOrder = []string{model.IdentityEmail, model.IdentityHandle, model.IdentityURL, model.IdentityName}

// MemberIdentityGroups returns every identity of a member of the
// workspace, grouped by kind and channel: its e-mail addresses, its
// handles and signed names per network, and the web addresses its
// messages gave (which are not identities ingest resolves members by).
func (s *Store) MemberIdentityGroups(ctx context.Context, workspaceID int64, memberID string) ([]IdentityGroup, error) {
	if err := s.checkMember(ctx, workspaceID, memberID); err != nil {
		return nil, err
	}
	groups := map[[2]string]*IdentityGroup{}
	add := func(kind, channel, value string) {
		g := groups[[2]string{kind, channel}]
		if g == nil {
			g = &IdentityGroup{Kind: kind, Channel: channel}
			groups[[2]string{kind, channel}] = g
		}
		if !slices.Contains(g.Values, value) {
			g.Values = append(g.Values, value)
		}
	}
	// Sorted here: ORDER BY key would have SQLite walk the workspace's
	// identities by key rather than the member's index.
	err := queryEach(ctx, s.r, `SELECT key, kind, value FROM identities WHERE workspace_id = $1 AND member_id = $2`,
		[]any{workspaceID, memberID}, func(r *sql.Rows) error {
			var key, kind, value string
			if err := r.Scan(&key, &kind, &value); err != nil {
				return err
			}
			add(kind, identityChannel(key), value)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("identities of member %s: %w", memberID, err)
	}
	err = queryEach(ctx, s.r, `SELECT DISTINCT ch.name, m.author_url FROM messages m JOIN channels ch ON ch.id = m.channel_id
		WHERE m.workspace_id = $1 AND m.member_id = $2 AND m.author_url <> '' ORDER BY ch.name, m.author_url`,
		[]any{workspaceID, memberID}, func(r *sql.Rows) error {
			var channel, u string
			if err := r.Scan(&channel, &u); err != nil {
				return err
			}
			add(model.IdentityURL, channel, u)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("web addresses of member %s: %w", memberID, err)
	}
	out := make([]IdentityGroup, 0, len(groups))
	for _, g := range groups {
		slices.Sort(g.Values)
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b IdentityGroup) int {
		return cmp.Or(cmp.Compare(slices.Index(identityKindOrder, a.Kind), slices.Index(identityKindOrder, b.Kind)),
			strings.Compare(a.Kind, b.Kind), strings.Compare(a.Channel, b.Channel))
	})
	return out, nil
}

// identityChannel is the channel an identity key names: "handle:blog:x"
// is of blog; an e-mail address is of none.
func identityChannel(key string) string {
	kind, rest, _ := strings.Cut(key, ":")
	if kind == model.IdentityEmail {
		return ""
	}
	channel, _, ok := strings.Cut(rest, ":")
	if !ok {
		return ""
	}
	return channel
}

// ChannelActivity is how much a member wrote on one channel.
type ChannelActivity struct {
	Channel     string    `json:"channel"`
	Kind        string    `json:"kind"`
	Messages    int       `json:"messages"`
	FirstSeenAt time.Time `json:"first_seen_at"`
	LastSeenAt  time.Time `json:"last_seen_at"`
}

// MemberChannels returns how many messages a member of the workspace
// wrote on each channel, and when first and last, most messages first.
func (s *Store) MemberChannels(ctx context.Context, workspaceID int64, memberID string) ([]ChannelActivity, error) {
	if err := s.checkMember(ctx, workspaceID, memberID); err != nil {
		return nil, err
	}
	out := []ChannelActivity{}
	err := queryEach(ctx, s.r, `SELECT ch.name, ch.kind, COUNT(*), MIN(m.created_at), MAX(m.created_at)
		FROM messages m JOIN channels ch ON ch.id = m.channel_id
		WHERE m.workspace_id = $1 AND m.member_id = $2 GROUP BY ch.name, ch.kind ORDER BY COUNT(*) DESC, ch.name`,
		[]any{workspaceID, memberID}, func(r *sql.Rows) error {
			var a ChannelActivity
			var first, last int64
			if err := r.Scan(&a.Channel, &a.Kind, &a.Messages, &first, &last); err != nil {
				return err
			}
			a.FirstSeenAt, a.LastSeenAt = fromMicros(first), fromMicros(last)
			out = append(out, a)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("channels of member %s: %w", memberID, err)
	}
	return out, nil
}

// Limits of a member's custom fields.
const (
	MaxFieldKeyLen    = 64   // characters
	MaxFieldValueLen  = 1000 // bytes
	MaxMemberFields   = 30
	memberFieldsEvent = "member.fields"
)

// MemberField is a custom field the team keeps on a member: a free key
// ("customer id", "city") and its value.
type MemberField struct {
	Key       string    `json:"key"`
	Value     string    `json:"value"`
	UpdatedAt time.Time `json:"updated_at"`
}

// MemberFields returns a member's custom fields, by key.
func (s *Store) MemberFields(ctx context.Context, workspaceID int64, memberID string) ([]MemberField, error) {
	return memberFields(ctx, s.r, workspaceID, memberID)
}

func memberFields(ctx context.Context, q queryer, workspaceID int64, memberID string) ([]MemberField, error) {
	out := []MemberField{}
	err := queryEach(ctx, q, `SELECT key, value, updated_at FROM member_fields WHERE workspace_id = $1 AND member_id = $2 ORDER BY key`,
		[]any{workspaceID, memberID}, func(r *sql.Rows) error {
			var f MemberField
			var at int64
			if err := r.Scan(&f.Key, &f.Value, &at); err != nil {
				return err
			}
			f.UpdatedAt = fromMicros(at)
			out = append(out, f)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("fields of member %s: %w", memberID, err)
	}
	return out, nil
}

// normalizeFieldKey trims a field's key and checks it: 1 to MaxFieldKeyLen
// characters of valid UTF-8, no control character.
func normalizeFieldKey(k string) (string, error) {
	k = strings.Join(strings.Fields(k), " ")
	switch {
	case k == "":
		return "", fmt.Errorf("field key: empty")
	case !utf8.ValidString(k):
		return "", fmt.Errorf("field key %q: not valid UTF-8", k)
	case utf8.RuneCountInString(k) > MaxFieldKeyLen:
		return "", fmt.Errorf("field key %q: %d characters: at most %d", k, utf8.RuneCountInString(k), MaxFieldKeyLen)
	}
	return k, nil
}

// SetMemberFields sets and removes custom fields of a member of the
// workspace (not one merged away) and returns its fields after, by key.
// Keys are trimmed (spaces collapsed), 1 to MaxFieldKeyLen characters;
// values are valid UTF-8 of at most MaxFieldValueLen bytes without
// control characters other than line breaks; a member has at most
// MaxMemberFields fields. A change that changes something records a
// "member.fields" event by actor.
func (s *Store) SetMemberFields(ctx context.Context, workspaceID int64, memberID string, set map[string]string, remove []string, actor string, now time.Time) ([]MemberField, error) {
	clean := make(map[string]string, len(set))
	var errs []string
	for k, v := range set {
		key, err := normalizeFieldKey(k)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		switch {
		case !utf8.ValidString(v):
			errs = append(errs, fmt.Sprintf("field %q: value not valid UTF-8", key))
		case len(v) > MaxFieldValueLen:
			errs = append(errs, fmt.Sprintf("field %q: value of %d bytes: at most %d", key, len(v), MaxFieldValueLen))
		case strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r == 0x7f }):
			errs = append(errs, fmt.Sprintf("field %q: value holds a control character", key))
		case strings.TrimSpace(v) == "":
			errs = append(errs, fmt.Sprintf("field %q: empty value (remove the field instead)", key))
		default:
			clean[key] = strings.TrimSpace(v)
		}
	}
	var gone []string
	for _, k := range remove {
		key, err := normalizeFieldKey(k)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if _, both := clean[key]; both {
			errs = append(errs, fmt.Sprintf("field %q: both set and removed", key))
		}
		if !slices.Contains(gone, key) {
			gone = append(gone, key)
		}
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		return nil, fmt.Errorf("fields of member %s: %w: %s", memberID, ErrInvalid, strings.Join(errs, "; "))
	}
	now = TruncateTime(now)
	var after []MemberField
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.liveMember(ctx, tx, workspaceID, memberID); err != nil {
			return err
		}
		have, err := memberFields(ctx, tx, workspaceID, memberID)
		if err != nil {
			return err
		}
		old := make(map[string]string, len(have))
		for _, f := range have {
			old[f.Key] = f.Value
		}
		changed := map[string]string{}
		var removed []string
		for _, k := range gone {
			if _, ok := old[k]; ok {
				removed = append(removed, k)
				delete(old, k)
			}
		}
		keys := make([]string, 0, len(clean))
		for k := range clean {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if v, ok := old[k]; !ok || v != clean[k] {
				changed[k] = clean[k]
			}
			old[k] = clean[k]
		}
		if len(old) > MaxMemberFields {
			return fmt.Errorf("%w: %d fields: a member has at most %d", ErrInvalid, len(old), MaxMemberFields)
		}
		for _, k := range removed {
			if _, err := tx.ExecContext(ctx, `DELETE FROM member_fields WHERE workspace_id = $1 AND member_id = $2 AND key = $3`,
				workspaceID, memberID, k); err != nil {
				return fmt.Errorf("remove field %q: %w", k, err)
			}
		}
		for _, k := range keys {
			if _, ok := changed[k]; !ok {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO member_fields (workspace_id, member_id, key, value, updated_at)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id, member_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
				workspaceID, memberID, k, clean[k], toMicros(now)); err != nil {
				return fmt.Errorf("set field %q: %w", k, err)
			}
		}
		if after, err = memberFields(ctx, tx, workspaceID, memberID); err != nil {
			return err
		}
		if len(changed) == 0 && len(removed) == 0 {
			return nil
		}
		return memberEvent(ctx, tx, workspaceID, memberID, actor, memberFieldsEvent, now,
			map[string]any{"set": changed, "removed": orEmpty(removed)})
	})
	if err != nil {
		return nil, fmt.Errorf("fields of member %s: %w", memberID, err)
	}
	return after, nil
}

// MemberFacts reads what a member's engagement over p is computed from,
// as MetricFacts reads a workspace's: the conversations the member wrote
// in during p, with all their messages (whose first customer message
// tells who started each).
func (s *Store) MemberFacts(ctx context.Context, workspaceID int64, memberID string, p metrics.Period, now time.Time) (metrics.Facts, error) {
	if err := s.checkMember(ctx, workspaceID, memberID); err != nil {
		return metrics.Facts{}, err
	}
	f := metrics.Facts{Now: now, FirstSeen: map[string]time.Time{}, Names: map[string]string{}}
	seen := map[int64]bool{}
	err := queryEach(ctx, s.r, `SELECT m.conversation_id, m.author_is_staff, m.created_at, m.sentiment, m.intent,
			COALESCE(m.member_id, ''), COALESCE(mb.first_seen_at, 0), COALESCE(mb.display_name, '')
		FROM messages m LEFT JOIN members mb ON mb.workspace_id = m.workspace_id AND mb.id = m.member_id
		WHERE m.workspace_id = $1 AND m.conversation_id IN (SELECT conversation_id FROM messages
			WHERE workspace_id = $1 AND member_id = $2 AND created_at >= $3 AND created_at < $4)
		ORDER BY m.conversation_id, m.created_at, m.id`,
		[]any{workspaceID, memberID, toMicros(p.From), toMicros(p.To)}, func(r *sql.Rows) error {
			var m metrics.Message
			var at, first int64
			var name string
			if err := r.Scan(&m.ConversationID, &m.Staff, &at, &m.Sentiment, &m.Intent, &m.MemberID, &first, &name); err != nil {
				return err
			}
			m.At = fromMicros(at)
			if m.MemberID != "" {
				f.FirstSeen[m.MemberID], f.Names[m.MemberID] = fromMicros(first), name
			}
			if !seen[m.ConversationID] {
				seen[m.ConversationID] = true
				f.Conversations = append(f.Conversations, metrics.Conversation{ID: m.ConversationID})
			}
			f.Messages = append(f.Messages, m)
			return nil
		})
	if err != nil {
		return metrics.Facts{}, fmt.Errorf("engagement facts of member %s: %w", memberID, err)
	}
	return f, nil
}
