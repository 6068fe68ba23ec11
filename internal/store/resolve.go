package store

// Identity resolution: members who may be one person, found by the
// blocking keys of what they signed (namematch) rather than by comparing
// every pair, weighed into a score with the evidence, for a CM to merge or
// dismiss ("not the same person").

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"palabre/internal/model"
	"palabre/internal/namematch"
)

// matchBlockCap is the most members a blocking key may gather and still
// suggest them: a name shared by more people ("Jean Martin") says too
// little to compare them all.
const matchBlockCap = 50

// indexMatchKeys computes again the blocking keys of members of the
// workspace, ids, from their display names and identities (names,
// handles, the local part of e-mail addresses) as read (readMembers);
// their web domains are left as they are (indexMatchDomains). Members
// merged away get none, whether their keys are kept up to date
// (unindexMatchKeys) or built again: whatever they still hold is their
// survivor's now.
func (s *Store) indexMatchKeys(ctx context.Context, tx *sql.Tx, workspaceID int64, ids []string, members []memberText) error {
	p1 := s.d.p1()
	type keyed struct {
		member, key, source string
		words               int
	}
	var rows []keyed
	seen := map[[2]string]bool{}
	add := func(member, source string, keys ...string) {
		for _, k := range keys {
			if k != "" && !seen[[2]string{member, k}] {
				seen[[2]string{member, k}] = true
				rows = append(rows, keyed{member, k, source, namematch.Words(source)})
			}
		}
	}
	for _, m := range members {
		if !m.live {
			continue
		}
		add(m.id, m.name, namematch.NameKeys(m.name)...)
		for _, idn := range m.identities {
			if idn.kind == model.IdentityEmail {
				add(m.id, idn.value, namematch.EmailKeys(idn.value)...)
			} else {
				add(m.id, idn.value, namematch.NameKeys(idn.value)...)
			}
		}
	}
	// Web domains are kept apart (matchDomains, indexMatchDomains): they
	// come from messages, which an import must not read again.
	if err := s.d.inList(ctx, tx, `DELETE FROM member_match_keys WHERE workspace_id = `+p1+` AND key NOT LIKE 'd:%' AND member_id`,
		[]any{workspaceID}, ids, ``, nil); err != nil {
		return fmt.Errorf("match keys: %w", err)
	}
	args := make([]any, 0, 5*len(rows))
	for _, k := range rows {
		args = append(args, workspaceID, k.key, k.member, k.source, k.words)
	}
	if err := s.d.bulkInsert(ctx, tx, `INSERT INTO member_match_keys (workspace_id, key, member_id, source, words)`, 5, args,
		`ON CONFLICT (workspace_id, key, member_id) DO NOTHING`, nil); err != nil {
		return fmt.Errorf("match keys: %w", err)
	}
	return nil
}

// matchDomains adds the personal web domains of a batch's messages to
// their members' blocking keys: indexMatchKeys, run before the batch's
// messages are written, could not read them.
func (s *Store) matchDomains(ctx context.Context, tx *sql.Tx, workspaceID int64, items []*IngestItem, memberIDs map[*IngestItem]string) error {
	var args []any
	seen := map[[2]string]bool{}
	for _, it := range items {
		id := memberIDs[it]
		key := namematch.DomainKey(it.Message.AuthorURL)
		if id == "" || key == "" || seen[[2]string{id, key}] {
			continue
		}
		seen[[2]string{id, key}] = true
		args = append(args, workspaceID, key, id, it.Message.AuthorURL, 0)
	}
	if len(args) == 0 {
		return nil
	}
	if err := s.d.bulkInsert(ctx, tx, `INSERT INTO member_match_keys (workspace_id, key, member_id, source, words)`, 5, args,
		`ON CONFLICT (workspace_id, key, member_id) DO NOTHING`, nil); err != nil {
		return fmt.Errorf("match keys of web domains: %w", err)
	}
	return nil
}

// indexMatchDomains computes again the web-domain keys of members of the
// workspace from the web addresses their messages gave (after a merge or
// an unmerge moved messages), member by member on their index.
func (s *Store) indexMatchDomains(ctx context.Context, tx *sql.Tx, workspaceID int64, ids []string) error {
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `DELETE FROM member_match_keys WHERE workspace_id = $1 AND member_id = $2 AND key LIKE 'd:%'`,
			workspaceID, id); err != nil {
			return fmt.Errorf("web domains of member %s: %w", id, err)
		}
		var args []any
		seen := map[string]bool{}
		err := queryEach(ctx, tx, `SELECT DISTINCT author_url FROM messages WHERE workspace_id = $1 AND member_id = $2 AND author_url <> ''`,
			[]any{workspaceID, id}, func(r *sql.Rows) error {
				var u string
				if err := r.Scan(&u); err != nil {
					return err
				}
				if k := namematch.DomainKey(u); k != "" && !seen[k] {
					seen[k] = true
					args = append(args, workspaceID, k, id, u, 0)
				}
				return nil
			})
		if err != nil {
			return fmt.Errorf("web domains of member %s: %w", id, err)
		}
		if len(args) > 0 {
			if err := s.d.bulkInsert(ctx, tx, `INSERT INTO member_match_keys (workspace_id, key, member_id, source, words)`, 5, args,
				`ON CONFLICT (workspace_id, key, member_id) DO NOTHING`, nil); err != nil {
				return fmt.Errorf("web domains of member %s: %w", id, err)
			}
		}
	}
	return nil
}

// unindexMatchKeys forgets a member's blocking keys (merged away).
func (s *Store) unindexMatchKeys(ctx context.Context, tx *sql.Tx, workspaceID int64, id string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM member_match_keys WHERE workspace_id = $1 AND member_id = $2`, workspaceID, id); err != nil {
		return fmt.Errorf("match keys of member %s: %w", id, err)
	}
	return nil
}

// SuggestedMember is a member as a merge suggestion shows it.
type SuggestedMember struct {
	ID           string    `json:"id"`
	DisplayName  string    `json:"display_name"`
	MessageCount int       `json:"message_count"`
	LastSeenAt   time.Time `json:"last_seen_at"`
}

// MergeSuggestion is a pair of members who may be one person: a score
// from 0 to 1 and the evidence, strongest first (namematch.Weigh). The
// evidence's A values are Member's, its B values Other's.
type MergeSuggestion struct {
	Member   SuggestedMember      `json:"member"`
	Other    SuggestedMember      `json:"other"`
	Score    float64              `json:"score"`
	Evidence []namematch.Evidence `json:"evidence"`
}

// pairKey is an unordered pair of members, the smaller id first.
type pairKey [2]string

func newPair(a, b string) pairKey {
	if b < a {
		a, b = b, a
	}
	return pairKey{a, b}
}

// matchKey is one blocking key of a member, with what gave it.
type matchKey struct {
	key, member, source string
	words               int
}

// shared is what members a and b share through one key.
func (a matchKey) shared(b matchKey) namematch.Shared {
	return namematch.Shared{Key: a.key, SourceA: a.source, SourceB: b.source, WordsA: a.words, WordsB: b.words}
}

// liveMatchKeys are the keys of members who may be suggested: not merged
// away, not staff. The member is looked up by key from each key's row
// (the keys drive, whatever the planner knows of the tables).
const liveMatchKeys = ` FROM member_match_keys k WHERE k.workspace_id = $1 AND NOT EXISTS (SELECT 1 FROM members m
	WHERE m.workspace_id = k.workspace_id AND m.id = k.member_id AND (m.merged_into IS NOT NULL OR m.is_staff))`

// MemberSuggestions returns the members of the workspace who may be the
// same person as member id, best first (ties by id), at most limit (0
// means 10, at most 100). Members merged away, staff, and pairs dismissed
// are left out; a member merged away or staff has no suggestion.
func (s *Store) MemberSuggestions(ctx context.Context, workspaceID int64, id string, limit int) ([]MergeSuggestion, error) {
	limit, err := suggestionLimit(limit)
	if err != nil {
		return nil, err
	}
	m, err := s.Member(ctx, workspaceID, id)
	if err != nil {
		return nil, err
	}
	if m.MergedInto != "" || m.IsStaff {
		return []MergeSuggestion{}, nil
	}
	var own []matchKey
	// No ORDER BY: SQLite would walk the keys' primary key in order
	// rather than the member's index.
	err = queryEach(ctx, s.r, `SELECT key, source, words FROM member_match_keys WHERE workspace_id = $1 AND member_id = $2`,
		[]any{workspaceID, id}, func(r *sql.Rows) error {
			k := matchKey{member: id}
			if err := r.Scan(&k.key, &k.source, &k.words); err != nil {
				return err
			}
			own = append(own, k)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("suggestions for member %s: %w", id, err)
	}
	slices.SortFunc(own, func(a, b matchKey) int { return strings.Compare(a.key, b.key) })
	shared := map[string][]namematch.Shared{}
	var order []string
	for _, k := range own {
		var block []matchKey
		err := queryEach(ctx, s.r, `SELECT k.member_id, k.source, k.words`+liveMatchKeys+` AND k.key = $2 AND k.member_id <> $3 LIMIT $4`,
			[]any{workspaceID, k.key, id, matchBlockCap + 1}, func(r *sql.Rows) error {
				b := matchKey{key: k.key}
				if err := r.Scan(&b.member, &b.source, &b.words); err != nil {
					return err
				}
				block = append(block, b)
				return nil
			})
		if err != nil {
			return nil, fmt.Errorf("suggestions for member %s: %w", id, err)
		}
		if len(block) >= matchBlockCap {
			continue // too common to tell
		}
		for _, b := range block {
			sh := k.shared(b)
			if sh.Useless() {
				continue
			}
			if _, ok := shared[b.member]; !ok {
				order = append(order, b.member)
			}
			shared[b.member] = append(shared[b.member], sh)
		}
	}
	dismissed, err := s.dismissedWith(ctx, workspaceID, id)
	if err != nil {
		return nil, err
	}
	order = slices.DeleteFunc(order, func(o string) bool { return dismissed[o] })
	if len(order) == 0 {
		return []MergeSuggestion{}, nil
	}
	threads := map[string]int{}
	var p2 strings.Builder
	s.d.param(&p2, 2)
	err = s.d.inList(ctx, s.r, `SELECT b.member_id, COUNT(DISTINCT a.conversation_id) FROM messages a
		JOIN messages b ON b.conversation_id = a.conversation_id AND b.workspace_id = a.workspace_id
		WHERE a.workspace_id = `+s.d.p1()+` AND a.member_id = `+p2.String()+` AND b.member_id`,
		[]any{workspaceID, id}, order, `GROUP BY b.member_id`, func(r *sql.Rows) error {
			var other string
			var n int
			if err := r.Scan(&other, &n); err != nil {
				return err
			}
			threads[other] = n
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("suggestions for member %s: threads in common: %w", id, err)
	}
	out := make([]MergeSuggestion, 0, len(order))
	for _, o := range order {
		score, ev := namematch.Weigh(shared[o], threads[o])
		if len(ev) == 0 || (len(ev) == 1 && ev[0].Kind == namematch.KindThreads) {
			continue
		}
		out = append(out, MergeSuggestion{Member: SuggestedMember{ID: id}, Other: SuggestedMember{ID: o}, Score: score, Evidence: ev})
	}
	sortSuggestions(out)
	out = out[:min(len(out), limit)]
	if err := s.describeSuggested(ctx, workspaceID, out); err != nil {
		return nil, err
	}
	return out, nil
}

func suggestionLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return 10, nil
	case limit < 0 || limit > 100:
		return 0, fmt.Errorf("%w: limit %d: must be between 1 and 100", ErrInvalid, limit)
	}
	return limit, nil
}

func sortSuggestions(out []MergeSuggestion) {
	slices.SortFunc(out, func(a, b MergeSuggestion) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), strings.Compare(a.Member.ID, b.Member.ID), strings.Compare(a.Other.ID, b.Other.ID))
	})
}

// dismissedWith returns the members a CM said are not the same person as
// id.
func (s *Store) dismissedWith(ctx context.Context, workspaceID int64, id string) (map[string]bool, error) {
	out := map[string]bool{}
	err := queryEach(ctx, s.r, `SELECT member_b FROM member_dismissals WHERE workspace_id = $1 AND member_a = $2
		UNION SELECT member_a FROM member_dismissals WHERE workspace_id = $1 AND member_b = $2`,
		[]any{workspaceID, id}, func(r *sql.Rows) error {
			var o string
			if err := r.Scan(&o); err != nil {
				return err
			}
			out[o] = true
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("dismissed suggestions of member %s: %w", id, err)
	}
	return out, nil
}

// describeSuggested fills in the names and counts of the members of
// suggestions.
func (s *Store) describeSuggested(ctx context.Context, workspaceID int64, out []MergeSuggestion) error {
	var ids []string
	for _, sg := range out {
		ids = append(ids, sg.Member.ID, sg.Other.ID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return nil
	}
	found := map[string]SuggestedMember{}
	err := s.d.inList(ctx, s.r, `SELECT id, display_name, message_count, last_seen_at FROM members WHERE workspace_id = `+s.d.p1()+` AND id`,
		[]any{workspaceID}, ids, ``, func(r *sql.Rows) error {
			var m SuggestedMember
			var last int64
			if err := r.Scan(&m.ID, &m.DisplayName, &m.MessageCount, &last); err != nil {
				return err
			}
			m.LastSeenAt = fromMicros(last)
			found[m.ID] = m
			return nil
		})
	if err != nil {
		return fmt.Errorf("members of the suggestions: %w", err)
	}
	for i := range out {
		out[i].Member, out[i].Other = found[out[i].Member.ID], found[out[i].Other.ID]
	}
	return nil
}

// MergeSuggestions returns the pairs of members of the workspace who may
// be one person, best first, at most limit (0 means 10, at most 100).
// Pairs are found through the blocking keys two members share (a key
// held by more than matchBlockCap members is left out), never by
// comparing every pair: first through the keys of same names, handles
// and web domains, then, only if those give too few pairs scoring above
// what initials alone can reach, through initials. Members merged away,
// staff, and pairs dismissed are left out. The conversations in common
// are counted for the best pairs only, which they reorder.
func (s *Store) MergeSuggestions(ctx context.Context, workspaceID int64, limit int) ([]MergeSuggestion, error) {
	limit, err := suggestionLimit(limit)
	if err != nil {
		return nil, err
	}
	dismissed := map[pairKey]bool{}
	err = queryEach(ctx, s.r, `SELECT member_a, member_b FROM member_dismissals WHERE workspace_id = $1`, []any{workspaceID},
		func(r *sql.Rows) error {
			var a, b string
			if err := r.Scan(&a, &b); err != nil {
				return err
			}
			dismissed[newPair(a, b)] = true
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("merge suggestions: dismissed: %w", err)
	}
	shared := map[pairKey][]namematch.Shared{}
	out := []MergeSuggestion{}
	for _, pass := range []string{`NOT LIKE 'i:%'`, `LIKE 'i:%'`} {
		if err := s.sharedKeys(ctx, workspaceID, pass, shared); err != nil {
			return nil, err
		}
		out = out[:0]
		strong := 0
		for p, sh := range shared {
			if dismissed[p] {
				continue
			}
			score, ev := namematch.Weigh(sh, 0)
			if len(ev) > 0 {
				out = append(out, MergeSuggestion{Member: SuggestedMember{ID: p[0]}, Other: SuggestedMember{ID: p[1]}, Score: score, Evidence: ev})
				if score > namematch.MaxInitialsScore {
					strong++
				}
			}
		}
		if strong >= 3*limit {
			break // no pair found by initials alone could rank
		}
	}
	sortSuggestions(out)
	// Conversations in common can lift a pair by at most the threads'
	// weight: count them for the head, which holds every pair that could
	// end in the first limit.
	head := out[:min(len(out), 3*limit)]
	for i := range head {
		var n int
		err := s.r.QueryRowContext(ctx, `SELECT COUNT(DISTINCT a.conversation_id) FROM messages a
			JOIN messages b ON b.conversation_id = a.conversation_id AND b.workspace_id = a.workspace_id
			WHERE a.workspace_id = $1 AND a.member_id = $2 AND b.member_id = $3`, workspaceID, head[i].Member.ID, head[i].Other.ID).Scan(&n)
		if err != nil {
			return nil, fmt.Errorf("merge suggestions: threads in common: %w", err)
		}
		if n > 0 {
			head[i].Score, head[i].Evidence = namematch.Weigh(shared[pairKey{head[i].Member.ID, head[i].Other.ID}], n)
		}
	}
	sortSuggestions(head)
	head = head[:min(len(head), limit)]
	if err := s.describeSuggested(ctx, workspaceID, head); err != nil {
		return nil, err
	}
	return head, nil
}

// sharedKeys adds to shared what pairs of members share through the
// blocking keys that match family (an SQL condition on the key) and that
// 2 to matchBlockCap members hold, leaving out staff, members merged away
// and keys that say nothing on their own (namematch.Shared.Useless): a
// handle's key counts only where a one-word name or handle holds it.
func (s *Store) sharedKeys(ctx context.Context, workspaceID int64, family string, shared map[pairKey][]namematch.Shared) error {
	var block []matchKey
	flush := func() {
		for i, a := range block {
			for _, b := range block[i+1:] {
				p := newPair(a.member, b.member)
				sh := a.shared(b)
				if p[0] != a.member {
					sh = b.shared(a)
				}
				if !sh.Useless() {
					shared[p] = append(shared[p], sh)
				}
			}
		}
		block = block[:0]
	}
	err := queryEach(ctx, s.r, `SELECT k.key, k.member_id, k.source, k.words`+liveMatchKeys+` AND k.key `+family+`
		AND k.key IN (SELECT key FROM member_match_keys WHERE workspace_id = $1 AND key `+family+` GROUP BY key
			HAVING COUNT(*) BETWEEN 2 AND $2 AND (key NOT LIKE 'h:%' OR MIN(words) <= 1))
		ORDER BY k.key, k.member_id`, []any{workspaceID, matchBlockCap}, func(r *sql.Rows) error {
		var k matchKey
		if err := r.Scan(&k.key, &k.member, &k.source, &k.words); err != nil {
			return err
		}
		if len(block) > 0 && block[0].key != k.key {
			flush()
		}
		block = append(block, k)
		return nil
	})
	if err != nil {
		return fmt.Errorf("merge suggestions: %w", err)
	}
	flush()
	return nil
}

// DismissSuggestion records that members a and b of the workspace are not
// the same person, so that neither is suggested for the other again, and
// a "member.dismiss" event by actor. Dismissing a pair twice is no error.
func (s *Store) DismissSuggestion(ctx context.Context, workspaceID int64, a, b, actor string, now time.Time) error {
	if a == b {
		return fmt.Errorf("dismiss suggestion: %w: a member is always the same person as itself", ErrInvalid)
	}
	now = TruncateTime(now)
	p := newPair(a, b)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, id := range p {
			if _, err := s.lockMember(ctx, tx, workspaceID, id); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO member_dismissals (workspace_id, member_a, member_b, actor, created_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id, member_a, member_b) DO NOTHING`,
			workspaceID, p[0], p[1], actor, toMicros(now))
		if err != nil {
			return fmt.Errorf("record dismissal: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return memberEvent(ctx, tx, workspaceID, a, actor, "member.dismiss", now, map[string]any{"member": a, "other": b})
	})
	if err != nil {
		return fmt.Errorf("dismiss suggestion %s and %s: %w", a, b, err)
	}
	return nil
}
