package store

// Personal data: a workspace's privacy policy, what palabre holds on one
// member (export), forgetting them (erasure), and forgetting old messages
// (retention).

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"palabre/internal/model"
)

// Erasure and retention modes.
const (
	ErasureDelete    = "delete"    // the person's messages go, and the conversations only they wrote in
	ErasureAnonymise = "anonymise" // their messages stay, written by nobody known
	RetentionPurge   = "purge"     // old messages are deleted
)

// erasedText replaces a forgotten person's name, addresses and handles
// wherever palabre finds them.
const erasedText = "[erased]"

// MaxRetentionMonths bounds a retention period: 50 years.
const MaxRetentionMonths = 600

// PrivacySettings returns a workspace's privacy policy; the default
// (erasure deletes, no retention limit) when none was set.
func (s *Store) PrivacySettings(ctx context.Context, workspaceID int64) (model.PrivacySettings, error) {
	set := model.PrivacySettings{Erasure: ErasureDelete, RetentionAction: ErasureAnonymise}
	var retained, updated int64
	err := s.r.QueryRowContext(ctx, `SELECT erasure, retention_months, retention_action, retained_at, updated_at
		FROM privacy_settings WHERE workspace_id = $1`, workspaceID).
		Scan(&set.Erasure, &set.RetentionMonths, &set.RetentionAction, &retained, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return set, nil
	}
	if err != nil {
		return set, fmt.Errorf("privacy settings of workspace %d: %w", workspaceID, err)
	}
	if retained > 0 {
		t := fromMicros(retained)
		set.RetainedAt = &t
	}
	set.UpdatedAt = fromMicros(updated)
	return set, nil
}

// CheckPrivacySettings says what is wrong with a privacy policy, if
// anything (wrapping ErrInvalid).
func CheckPrivacySettings(set model.PrivacySettings) error {
	switch {
	case set.Erasure != ErasureDelete && set.Erasure != ErasureAnonymise:
		return fmt.Errorf("%w: erasure %q: want %q or %q", ErrInvalid, set.Erasure, ErasureDelete, ErasureAnonymise)
	case set.RetentionAction != RetentionPurge && set.RetentionAction != ErasureAnonymise:
		return fmt.Errorf("%w: retention_action %q: want %q or %q", ErrInvalid, set.RetentionAction, RetentionPurge, ErasureAnonymise)
	case set.RetentionMonths < 0 || set.RetentionMonths > MaxRetentionMonths:
		return fmt.Errorf("%w: retention_months %d: want 0 (keep for ever) to %d", ErrInvalid, set.RetentionMonths, MaxRetentionMonths)
	}
	return nil
}

// SetPrivacySettings replaces a workspace's privacy policy, with a
// "privacy.settings" event by actor.
func (s *Store) SetPrivacySettings(ctx context.Context, workspaceID int64, set model.PrivacySettings, actor string, now time.Time) (model.PrivacySettings, error) {
	if err := CheckPrivacySettings(set); err != nil {
		return set, err
	}
	now = TruncateTime(now)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO privacy_settings (workspace_id, erasure, retention_months, retention_action, updated_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id) DO UPDATE SET erasure = excluded.erasure,
			retention_months = excluded.retention_months, retention_action = excluded.retention_action, updated_at = excluded.updated_at`,
			workspaceID, set.Erasure, set.RetentionMonths, set.RetentionAction, toMicros(now)); err != nil {
			return err
		}
		_, err := insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Actor: actor, Action: "privacy.settings",
			Detail: eventDetail(map[string]any{"erasure": set.Erasure, "retention_months": set.RetentionMonths,
				"retention_action": set.RetentionAction}), CreatedAt: now})
		return err
	})
	if err != nil {
		return set, fmt.Errorf("privacy settings of workspace %d: %w", workspaceID, s.translate(err))
	}
	return s.PrivacySettings(ctx, workspaceID)
}

// MemberByEmail returns the id of the member of a workspace who holds an
// e-mail address (compared without case), or ErrNotFound.
func (s *Store) MemberByEmail(ctx context.Context, workspaceID int64, email string) (string, error) {
	var id string
	err := s.r.QueryRowContext(ctx, `SELECT member_id FROM identities WHERE workspace_id = $1 AND kind = $2 AND LOWER(value) = LOWER($3)`,
		workspaceID, model.IdentityEmail, strings.TrimSpace(email)).Scan(&id)
	if err != nil {
		return "", fmt.Errorf("member with e-mail %q: %w", email, s.translate(err))
	}
	return id, nil
}

// memberGroup returns a live member and every member merged into it, at
// any depth: one person, as far as palabre knows. ErrInvalid when id was
// merged away itself (its person is the survivor's).
func (s *Store) memberGroup(ctx context.Context, q queryer, workspaceID int64, id string) ([]string, error) {
	var merged sql.NullString
	err := q.QueryRowContext(ctx, `SELECT merged_into FROM members WHERE workspace_id = $1 AND id = $2`, workspaceID, id).Scan(&merged)
	if err != nil {
		return nil, fmt.Errorf("member %s: %w", id, s.translate(err))
	}
	if merged.Valid && merged.String != "" {
		return nil, fmt.Errorf("%w: member %s was merged into %s: name that member, or undo the merge first", ErrInvalid, id, merged.String)
	}
	group := []string{id}
	for i := 0; i < len(group); i++ {
		more, err := column[string](ctx, q, `SELECT id FROM members WHERE workspace_id = $1 AND merged_into = $2 ORDER BY id`, workspaceID, group[i])
		if err != nil {
			return nil, fmt.Errorf("members merged into %s: %w", group[i], err)
		}
		for _, m := range more {
			if !slices.Contains(group, m) {
				group = append(group, m)
			}
		}
	}
	return group, nil
}

// inStrings writes a list of strings as an SQL IN (…) of literals. The
// strings are ids of our own making or read from the database; quotes are
// doubled all the same.
func inStrings(values []string) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('\'')
		b.WriteString(strings.ReplaceAll(v, "'", "''"))
		b.WriteByte('\'')
	}
	b.WriteByte(')')
	return b.String()
}

// MemberData is everything palabre holds on one person of a workspace:
// for each table that refers to them, its rows, column by column.
type MemberData struct {
	Workspace  string    `json:"workspace"`
	Member     string    `json:"member"`
	ExportedAt time.Time `json:"exported_at"`
	// Tables lists the tables in a fixed order, each with its rows (an
	// empty list when it holds none on this person).
	Tables []TableRows `json:"tables"`
}

// TableRows are the rows of one table, with its column names in order.
type TableRows struct {
	Table   string           `json:"table"`
	Columns []string         `json:"columns"`
	Rows    []map[string]any `json:"rows"`
}

// memberTables are the queries that find a person's rows, table by table;
// each reads the workspace as $1 and the person's member ids as {ids}
// (the member and every member merged into it). They are what an export
// holds and an erasure removes. Search keeps its entries in tables of
// its own on each engine (SQLite's index proper holds no member id).
var memberTables = []struct{ table, where, engine string }{
	{"members", `workspace_id = $1 AND id IN {ids}`, ""},
	{"identities", `workspace_id = $1 AND member_id IN {ids}`, ""},
	{"member_notes", `workspace_id = $1 AND member_id IN {ids}`, ""},
	{"member_tags", `workspace_id = $1 AND member_id IN {ids}`, ""},
	{"member_merges", `workspace_id = $1 AND (into_id IN {ids} OR from_id IN {ids})`, ""},
	{"member_merge_identities", `merge_id IN (SELECT id FROM member_merges WHERE workspace_id = $1 AND (into_id IN {ids} OR from_id IN {ids}))`, ""},
	{"member_merge_messages", `merge_id IN (SELECT id FROM member_merges WHERE workspace_id = $1 AND (into_id IN {ids} OR from_id IN {ids}))`, ""},
	{"member_merge_tags", `merge_id IN (SELECT id FROM member_merges WHERE workspace_id = $1 AND (into_id IN {ids} OR from_id IN {ids}))`, ""},
	{"member_search_keys", `workspace_id = $1 AND member_id IN {ids}`, EngineSQLite},
	{"member_search", `workspace_id = $1 AND member_id IN {ids}`, EnginePostgres},
	{"metric_members", `workspace_id = $1 AND member_id IN {ids}`, ""},
	{"member_fields", `workspace_id = $1 AND member_id IN {ids}`, ""},
	{"member_match_keys", `workspace_id = $1 AND member_id IN {ids}`, ""},
	{"member_dismissals", `workspace_id = $1 AND (member_a IN {ids} OR member_b IN {ids})`, ""},
	{"search_backfill", `member_workspace_id = $1 AND member_id IN {ids}`, ""},
	{"messages", `workspace_id = $1 AND member_id IN {ids}`, ""},
	{"conversations", `workspace_id = $1 AND id IN (SELECT conversation_id FROM messages WHERE workspace_id = $1 AND member_id IN {ids})`, ""},
	{"corrections", `workspace_id = $1 AND message_id IN (SELECT id FROM messages WHERE workspace_id = $1 AND member_id IN {ids})`, ""},
	{"moderations", `workspace_id = $1 AND message_id IN (SELECT id FROM messages WHERE workspace_id = $1 AND member_id IN {ids})`, ""},
	{"outbox", `workspace_id = $1 AND in_reply_to IN (SELECT external_id FROM messages WHERE workspace_id = $1 AND member_id IN {ids})`, ""},
	{"events", `workspace_id = $1 AND subject IN {subjects}`, ""},
}

func memberWhere(where string, ids []string) string {
	subjects := make([]string, len(ids))
	for i, id := range ids {
		subjects[i] = "member " + id
	}
	return strings.NewReplacer("{ids}", inStrings(ids), "{subjects}", inStrings(subjects)).Replace(where)
}

// ExportMember returns everything the workspace holds on a member (and
// the members merged into it), and records a "member.export" event by
// actor.
func (s *Store) ExportMember(ctx context.Context, workspace model.Workspace, id, actor string, now time.Time) (MemberData, error) {
	now = TruncateTime(now)
	data := MemberData{Workspace: workspace.Slug, Member: id, ExportedAt: now}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		group, err := s.memberGroup(ctx, tx, workspace.ID, id)
		if err != nil {
			return err
		}
		for _, t := range memberTables {
			if t.engine != "" && t.engine != s.engine {
				continue
			}
			rows, err := tx.QueryContext(ctx, `SELECT * FROM `+t.table+` WHERE `+memberWhere(t.where, group)+` ORDER BY 1`, workspace.ID)
			if err != nil {
				return fmt.Errorf("export %s: %w", t.table, err)
			}
			tr, err := readRows(rows, t.table)
			if err != nil {
				return err
			}
			data.Tables = append(data.Tables, tr)
		}
		_, err = insertEvent(ctx, tx, model.Event{WorkspaceID: workspace.ID, Actor: actor, Action: "member.export",
			Subject: "member " + id, CreatedAt: now})
		return err
	})
	if err != nil {
		return MemberData{}, fmt.Errorf("export member %s: %w", id, err)
	}
	return data, nil
}

// readRows reads rows whatever their columns, as JSON would show them:
// bytes that are text become strings.
func readRows(rows *sql.Rows, table string) (TableRows, error) {
	defer rows.Close()
	tr := TableRows{Table: table, Rows: []map[string]any{}}
	cols, err := rows.Columns()
	if err != nil {
		return tr, fmt.Errorf("export %s: %w", table, err)
	}
	tr.Columns = cols
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return tr, fmt.Errorf("export %s: %w", table, err)
		}
		row := make(map[string]any, len(cols))
		for i, c := range cols {
			if b, ok := vals[i].([]byte); ok && utf8.Valid(b) && bytes.IndexByte(b, 0) < 0 {
				vals[i] = string(b)
			}
			row[c] = vals[i]
		}
		tr.Rows = append(tr.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return tr, fmt.Errorf("export %s: %w", table, err)
	}
	return tr, nil
}

// Erasure is what erasing a person did.
type Erasure struct {
	Mode string `json:"mode"`
	// Members are the member rows removed (the person and the members
	// merged into them); Into is the anonymous member now holding their
	// messages, when anonymised.
	Members       int    `json:"members"`
	Into          string `json:"into,omitempty"`
	Messages      int    `json:"messages"`      // deleted or anonymised
	Conversations int    `json:"conversations"` // deleted (only they wrote in them)
	Identities    int    `json:"identities"`
	// Scrubbed counts the texts elsewhere (others' messages, notes, the
	// audit log…) where their name, addresses or handles were replaced.
	Scrubbed int `json:"scrubbed"`
}

// EraseMember forgets a person of a workspace: the member, the members
// merged into it, the customers known only by a name the person signed
// with (see withNamesakes), their identities, notes, tags and merge records, their
// place in search; their messages deleted (ErasureDelete, with the
// conversations only they wrote in) or kept under a new anonymous member
// with no name (ErasureAnonymise); and their name, addresses and handles
// replaced by "[erased]" wherever else the workspace's texts hold them.
// mode "" is the workspace's policy. A "member.erase" event by actor
// records it, without naming them.
func (s *Store) EraseMember(ctx context.Context, workspaceID int64, id, mode, actor string, now time.Time) (Erasure, error) {
	if mode == "" {
		set, err := s.PrivacySettings(ctx, workspaceID)
		if err != nil {
			return Erasure{}, err
		}
		mode = set.Erasure
	}
	if mode != ErasureDelete && mode != ErasureAnonymise {
		return Erasure{}, fmt.Errorf("%w: erasure mode %q: want %q or %q", ErrInvalid, mode, ErasureDelete, ErasureAnonymise)
	}
	now = TruncateTime(now)
	er := Erasure{Mode: mode}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.lockMember(ctx, tx, workspaceID, id); err != nil {
			return err
		}
		group, err := s.memberGroup(ctx, tx, workspaceID, id)
		if err != nil {
			return err
		}
		if group, err = s.withNamesakes(ctx, tx, workspaceID, group); err != nil {
			return err
		}
		terms, err := personTerms(ctx, tx, workspaceID, group)
		if err != nil {
			return err
		}
		er.Members = len(group)
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM identities WHERE workspace_id = $1 AND member_id IN `+inStrings(group),
			workspaceID).Scan(&er.Identities); err != nil {
			return fmt.Errorf("count identities: %w", err)
		}
		var touched []int64
		if mode == ErasureDelete {
			touched, err = s.deletePersonMessages(ctx, tx, workspaceID, group, &er)
		} else {
			er.Into, err = s.anonymisePerson(ctx, tx, workspaceID, group, id)
			if err == nil {
				touched, err = column[int64](ctx, tx, `SELECT id FROM messages WHERE workspace_id = $1 AND member_id = $2`, workspaceID, er.Into)
				er.Messages = len(touched)
			}
		}
		if err != nil {
			return err
		}
		if err := s.forgetMembers(ctx, tx, workspaceID, group); err != nil {
			return err
		}
		scrubbed, changed, err := s.scrub(ctx, tx, workspaceID, append(terms, group...))
		if err != nil {
			return err
		}
		er.Scrubbed = scrubbed
		if err := s.indexMessages(ctx, tx, append(touched, changed...)); err != nil {
			return err
		}
		_, err = insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Actor: actor, Action: "member.erase",
			Subject: "member " + erasedText, Detail: eventDetail(map[string]any{"mode": mode, "members": er.Members,
				"messages": er.Messages, "conversations": er.Conversations, "identities": er.Identities, "scrubbed": er.Scrubbed}),
			CreatedAt: now})
		return err
	})
	if err != nil {
		return Erasure{}, fmt.Errorf("erase member %s: %w", id, err)
	}
	return er, s.compactSearch(ctx)
}

// withNamesakes adds to a person's members the customers of the workspace
// known only by a name they signed, when that name is one the person
// used (compared without case): the same person, as far as anyone can
// tell, whom ingest could not merge for want of an address or handle.
// Their own merged members come along.
func (s *Store) withNamesakes(ctx context.Context, tx *sql.Tx, workspaceID int64, group []string) ([]string, error) {
	in := inStrings(group)
	names, err := column[string](ctx, tx, `SELECT display_name FROM members WHERE workspace_id = $1 AND id IN `+in+`
		UNION SELECT author_name FROM messages WHERE workspace_id = $1 AND member_id IN `+in+`
		UNION SELECT value FROM identities WHERE workspace_id = $1 AND member_id IN `+in+` AND kind = $2`, workspaceID, model.IdentityName)
	if err != nil {
		return nil, fmt.Errorf("names of the person: %w", err)
	}
	out := slices.Clone(group)
	for _, name := range names {
		name = strings.ToLower(strings.TrimSpace(name))
		if len([]rune(name)) < 3 {
			continue
		}
		// Name identities are keyed "name:CHANNEL:lower-cased name".
		ids, err := column[string](ctx, tx, `SELECT DISTINCT i.member_id FROM identities i JOIN members m ON m.workspace_id = i.workspace_id AND m.id = i.member_id
			WHERE i.workspace_id = $1 AND i.kind = $2 AND i.key LIKE $3 ESCAPE '\' AND NOT m.is_staff AND m.merged_into IS NULL
			AND NOT EXISTS (SELECT 1 FROM identities s WHERE s.workspace_id = i.workspace_id AND s.member_id = i.member_id AND s.kind <> $2)`,
			workspaceID, model.IdentityName, "name:%:"+strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(name))
		if err != nil {
			return nil, fmt.Errorf("namesakes of the person: %w", err)
		}
		for _, id := range ids {
			if slices.Contains(out, id) {
				continue
			}
			more, err := s.memberGroup(ctx, tx, workspaceID, id)
			if err != nil {
				return nil, err
			}
			for _, m := range more {
				if !slices.Contains(out, m) {
					out = append(out, m)
				}
			}
		}
	}
	return out, nil
}

// personTerms are the texts that name a person: their display names,
// identities, and the names, addresses, handles and web addresses they
// signed their messages with. Texts shorter than 3 characters are left
// out: replacing them everywhere would erase words, not a person.
func personTerms(ctx context.Context, q queryer, workspaceID int64, group []string) ([]string, error) {
	in := inStrings(group)
	var terms []string
	for _, query := range []string{
		`SELECT display_name FROM members WHERE workspace_id = $1 AND id IN ` + in,
		`SELECT value FROM identities WHERE workspace_id = $1 AND member_id IN ` + in,
		`SELECT DISTINCT author_name FROM messages WHERE workspace_id = $1 AND member_id IN ` + in,
		`SELECT DISTINCT author_handle FROM messages WHERE workspace_id = $1 AND member_id IN ` + in,
		`SELECT DISTINCT author_email FROM messages WHERE workspace_id = $1 AND member_id IN ` + in,
		`SELECT DISTINCT author_url FROM messages WHERE workspace_id = $1 AND member_id IN ` + in,
	} {
		vals, err := column[string](ctx, q, query, workspaceID)
		if err != nil {
			return nil, fmt.Errorf("names of the person: %w", err)
		}
		for _, v := range vals {
			v = strings.TrimSpace(v)
			if len([]rune(v)) >= 3 && !slices.Contains(terms, v) {
				terms = append(terms, v)
			}
		}
	}
	return terms, nil
}

// deletePersonMessages deletes a person's messages and the conversations
// no other customer wrote in (with the staff's answers there), and brings
// the counters of what remains up to date. It returns the messages left
// in the conversations they wrote in, whose texts may name them.
func (s *Store) deletePersonMessages(ctx context.Context, tx *sql.Tx, workspaceID int64, group []string, er *Erasure) ([]int64, error) {
	in := inStrings(group)
	convs, err := column[int64](ctx, tx, `SELECT DISTINCT conversation_id FROM messages WHERE workspace_id = $1 AND member_id IN `+in, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("conversations of the person: %w", err)
	}
	if len(convs) == 0 {
		return nil, nil
	}
	whole, err := column[int64](ctx, tx, `SELECT c.id FROM conversations c WHERE c.id IN (`+idList(convs)+`)
		AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND NOT m.author_is_staff
			AND (m.member_id IS NULL OR m.member_id NOT IN `+in+`))`)
	if err != nil {
		return nil, fmt.Errorf("conversations only the person wrote in: %w", err)
	}
	// Authors whose counters change: staff who answered in a deleted
	// conversation.
	wholeList := idList(append([]int64{0}, whole...)) // 0: no conversation, so the list is never empty
	authors, err := column[string](ctx, tx, `SELECT DISTINCT member_id FROM messages WHERE workspace_id = $1
		AND member_id IS NOT NULL AND member_id NOT IN `+in+` AND conversation_id IN (`+wholeList+`)`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("authors in the person's conversations: %w", err)
	}
	where := `workspace_id = $1 AND (member_id IN ` + in + ` OR conversation_id IN (` + wholeList + `))`
	gone, err := column[int64](ctx, tx, `SELECT id FROM messages WHERE `+where, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("messages of the person: %w", err)
	}
	if err := s.deleteMessages(ctx, tx, gone); err != nil {
		return nil, err
	}
	if len(whole) > 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM conversations WHERE id IN (`+idList(whole)+`)`); err != nil {
			return nil, fmt.Errorf("delete conversations: %w", err)
		}
	}
	kept := slices.DeleteFunc(slices.Clone(convs), func(c int64) bool { return slices.Contains(whole, c) })
	if err := recountConversations(ctx, tx, kept); err != nil {
		return nil, err
	}
	for _, a := range authors {
		if err := s.recountMember(ctx, tx, workspaceID, a, true); err != nil {
			return nil, err
		}
	}
	er.Messages, er.Conversations = len(gone), len(whole)
	if len(kept) == 0 {
		return nil, nil
	}
	return column[int64](ctx, tx, `SELECT id FROM messages WHERE conversation_id IN (`+idList(kept)+`)`)
}

// deleteMessages deletes messages by id, with their search entries.
func (s *Store) deleteMessages(ctx context.Context, tx *sql.Tx, ids []int64) error {
	for chunk := range slices.Chunk(ids, 1000) {
		list := idList(chunk)
		if s.engine == EngineSQLite {
			if _, err := tx.ExecContext(ctx, `DELETE FROM message_search WHERE rowid IN (`+list+`)`); err != nil {
				return fmt.Errorf("unindex messages: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE id IN (`+list+`)`); err != nil {
			return fmt.Errorf("delete messages: %w", err)
		}
	}
	return nil
}

// recountConversations brings conversations' counters up to date after
// some of their messages were deleted.
func recountConversations(ctx context.Context, tx *sql.Tx, ids []int64) error {
	for chunk := range slices.Chunk(ids, 1000) {
		if _, err := tx.ExecContext(ctx, `UPDATE conversations SET
			message_count = (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = conversations.id),
			last_activity_at = COALESCE((SELECT MAX(m.created_at) FROM messages m WHERE m.conversation_id = conversations.id), last_activity_at)
			WHERE id IN (`+idList(chunk)+`)`); err != nil {
			return fmt.Errorf("recount conversations: %w", err)
		}
	}
	return nil
}

// anonymisePerson moves a person's messages to a new member with no name
// and no identity, which keeps their place in the figures, and takes
// their names off the messages. It returns the new member's id.
func (s *Store) anonymisePerson(ctx context.Context, tx *sql.Tx, workspaceID int64, group []string, id string) (string, error) {
	into, err := anonymousID()
	if err != nil {
		return "", err
	}
	in := inStrings(group)
	if _, err := tx.ExecContext(ctx, `INSERT INTO members (workspace_id, id, display_name, is_staff, message_count, first_seen_at, last_seen_at)
		SELECT workspace_id, $3, $4, is_staff, message_count, first_seen_at, last_seen_at FROM members WHERE workspace_id = $1 AND id = $2`,
		workspaceID, id, into, erasedText); err != nil {
		return "", fmt.Errorf("anonymous member: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE messages SET member_id = $2, author_name = $3, author_handle = '', author_email = '', author_url = ''
		WHERE workspace_id = $1 AND member_id IN `+in, workspaceID, into, erasedText); err != nil {
		return "", fmt.Errorf("anonymise messages: %w", err)
	}
	// The figures count the person under their number still.
	if _, err := tx.ExecContext(ctx, `UPDATE metric_members SET member_id = $3 WHERE workspace_id = $1 AND member_id = $2`,
		workspaceID, id, into); err != nil {
		return "", fmt.Errorf("anonymise member keys: %w", err)
	}
	return into, nil
}

// anonymousID makes the id of a member standing for someone forgotten:
// random, so that it says nothing of who it was.
func anonymousID() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("anonymous member id: %w", err)
	}
	return "anon-" + hex.EncodeToString(b[:]), nil
}

// forgetMembers deletes member rows and everything that hangs on them:
// identities, notes, tags, merge records, search entries, keys. Their
// messages must be gone or moved already.
func (s *Store) forgetMembers(ctx context.Context, tx *sql.Tx, workspaceID int64, group []string) error {
	if len(group) == 0 {
		return nil
	}
	for _, id := range group {
		if err := s.unindexMember(ctx, tx, workspaceID, id); err != nil {
			return err
		}
	}
	in := inStrings(group)
	if s.engine == EngineSQLite {
		if _, err := tx.ExecContext(ctx, `DELETE FROM member_search_keys WHERE workspace_id = $1 AND member_id IN `+in, workspaceID); err != nil {
			return fmt.Errorf("forget members: %w", err)
		}
	}
	for _, q := range []string{
		`DELETE FROM member_merges WHERE workspace_id = $1 AND (into_id IN ` + in + ` OR from_id IN ` + in + `)`,
		`DELETE FROM identities WHERE workspace_id = $1 AND member_id IN ` + in,
		`DELETE FROM member_notes WHERE workspace_id = $1 AND member_id IN ` + in,
		`DELETE FROM member_tags WHERE workspace_id = $1 AND member_id IN ` + in,
		`DELETE FROM member_fields WHERE workspace_id = $1 AND member_id IN ` + in,
		`DELETE FROM member_match_keys WHERE workspace_id = $1 AND member_id IN ` + in,
		`DELETE FROM member_dismissals WHERE workspace_id = $1 AND (member_a IN ` + in + ` OR member_b IN ` + in + `)`,
		`DELETE FROM metric_members WHERE workspace_id = $1 AND member_id IN ` + in,
		`UPDATE search_backfill SET member_id = '' WHERE member_workspace_id = $1 AND member_id IN ` + in,
		// Merged-away members point at their survivor: the last first.
		`UPDATE members SET merged_into = NULL WHERE workspace_id = $1 AND id IN ` + in,
		`DELETE FROM members WHERE workspace_id = $1 AND id IN ` + in,
	} {
		if _, err := tx.ExecContext(ctx, q, workspaceID); err != nil {
			return fmt.Errorf("forget members: %w", err)
		}
	}
	return nil
}

// scrubTargets are the texts of a workspace that may name a community
// member, where erasing a person replaces their name, addresses and
// handles: each table with its key, its text columns and how its rows
// belong to the workspace ($1).
var scrubTargets = []struct {
	table   string
	key     []string
	columns []string
	where   string
}{
	{"messages", []string{"id"}, []string{"title", "body", "body_html", "url", "author_name", "author_handle", "author_email", "author_url"}, `workspace_id = $1`},
	{"conversations", []string{"id"}, []string{"subject", "root_external_id"}, `workspace_id = $1`},
	{"events", []string{"id"}, []string{"subject", "detail"}, `workspace_id = $1`},
	{"notes", []string{"id"}, []string{"body"}, `workspace_id = $1`},
	{"member_notes", []string{"id"}, []string{"body"}, `workspace_id = $1`},
	{"member_fields", []string{"workspace_id", "member_id", "key"}, []string{"value"}, `workspace_id = $1`},
	{"members", []string{"workspace_id", "id"}, []string{"display_name"}, `workspace_id = $1`},
	{"corrections", []string{"id"}, []string{"old_value", "new_value", "text"}, `workspace_id = $1`},
	{"outbox", []string{"id"}, []string{"body", "last_error", "url"}, `workspace_id = $1`},
	{"moderations", []string{"id"}, []string{"last_error"}, `workspace_id = $1`},
	{"alerts", []string{"id"}, []string{"subject", "headline"}, `workspace_id = $1`},
	{"report_deliveries", []string{"id"}, []string{"last_error"}, `workspace_id = $1`},
	{"webhook_deliveries", []string{"id"}, []string{"last_error"}, `webhook_id IN (SELECT id FROM webhooks WHERE workspace_id = $1)`},
	{"idempotency_keys", []string{"user_id", "key"}, []string{"body"},
		`user_id IN (SELECT user_id FROM memberships WHERE workspace_id = $1) OR user_id IN (SELECT id FROM users WHERE is_admin)`},
	{"inbound_deliveries", []string{"channel_id", "key"}, []string{"key"}, `channel_id IN (SELECT id FROM channels WHERE workspace_id = $1)`},
}

// unscrubbed are the tables whose texts never hold what a community
// member wrote or is called, and why. A table in neither list makes
// TestScrubCoversEveryTable fail: decide where a new one belongs.
var unscrubbed = map[string]string{
	"workspaces": "the brand's own settings", "channels": "the brand's own settings",
	"identities": "the person's own are deleted; others' are other people", "topics": "the brand's vocabulary",
	"reanalysis": "fingerprints", "users": "staff accounts", "memberships": "staff accounts", "sessions": "hashes",
	"api_tokens": "hashes", "profiles": "staff profiles", "specialisations": "staff profiles",
	"routing_rules": "the brand's settings", "conversation_tags": "the staff's labels", "participants": "staff ids",
	"sla_settings": "the brand's settings", "canned_replies": "the brand's templates", "webhooks": "the brand's settings",
	"webhook_cursor": "ids", "member_search_keys": "ids", "search_backfill": "ids", "member_tags": "the staff's labels",
	"member_merges": "the person's own are deleted", "member_merge_identities": "the person's own are deleted",
	"member_merge_messages": "ids", "member_merge_tags": "the staff's labels", "saved_views": "staff filters",
	"sources": "the brand's settings", "engagement_weights": "the brand's settings", "report_schedules": "staff addresses",
	"alert_settings": "the brand's settings", "metric_rollups": "numbers", "metric_dirty": "times",
	"metric_claims": "numbers", "metric_members": "ids", "privacy_settings": "the brand's settings",
	"schema_migrations": "versions", "message_search": "indexed again from the scrubbed messages",
	"member_search": "the person's entries are deleted", "server_keys": "the server's own secrets",
	"member_match_keys": "the person's own are deleted; others' are other people's names", "member_dismissals": "ids",
}

// scrub replaces terms (compared without case) by "[erased]" in every
// scrub target of a workspace. It returns how many rows changed and the
// messages among them, whose search entries must be written again.
func (s *Store) scrub(ctx context.Context, tx *sql.Tx, workspaceID int64, terms []string) (int, []int64, error) {
	terms = slices.DeleteFunc(slices.Clone(terms), func(t string) bool { return len([]rune(t)) < 3 || t == erasedText })
	if len(terms) == 0 {
		return 0, nil, nil
	}
	sort.Slice(terms, func(i, j int) bool { return len(terms[i]) > len(terms[j]) })
	quoted := make([]string, len(terms))
	for i, t := range terms {
		quoted[i] = regexp.QuoteMeta(t)
	}
	re, err := regexp.Compile(`(?i)` + strings.Join(quoted, "|"))
	if err != nil {
		return 0, nil, fmt.Errorf("scrub: %w", err)
	}
	like := "LIKE"
	if s.engine == EnginePostgres {
		like = "ILIKE"
	}
	changed, total := []int64(nil), 0
	for _, t := range scrubTargets {
		var matches []string
		var args []any
		args = append(args, workspaceID)
		for _, c := range t.columns {
			for _, term := range terms {
				args = append(args, likePattern(term))
				matches = append(matches, fmt.Sprintf(`%s %s $%d ESCAPE '\'`, c, like, len(args)))
			}
		}
		sel := strings.Join(append(slices.Clone(t.key), t.columns...), ", ")
		rows, err := tx.QueryContext(ctx, `SELECT `+sel+` FROM `+t.table+` WHERE (`+t.where+`) AND (`+strings.Join(matches, " OR ")+`)`, args...)
		if err != nil {
			return 0, nil, fmt.Errorf("scrub %s: %w", t.table, err)
		}
		var updates [][]any
		for rows.Next() {
			keys := make([]any, len(t.key))
			texts := make([]sql.NullString, len(t.columns))
			dest := make([]any, 0, len(keys)+len(texts))
			for i := range keys {
				dest = append(dest, &keys[i])
			}
			for i := range texts {
				dest = append(dest, &texts[i])
			}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return 0, nil, fmt.Errorf("scrub %s: %w", t.table, err)
			}
			vals := make([]any, len(texts))
			dirty := false
			for i, v := range texts {
				vals[i] = v
				if v.Valid {
					if r := re.ReplaceAllLiteralString(v.String, erasedText); r != v.String {
						vals[i], dirty = r, true
					}
				}
			}
			if dirty {
				updates = append(updates, append(vals, keys...))
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, nil, fmt.Errorf("scrub %s: %w", t.table, err)
		}
		var set, key []string
		for i, c := range t.columns {
			set = append(set, fmt.Sprintf("%s = $%d", c, i+1))
		}
		for i, c := range t.key {
			key = append(key, fmt.Sprintf("%s = $%d", c, len(t.columns)+i+1))
		}
		for _, u := range updates {
			if _, err := tx.ExecContext(ctx, `UPDATE `+t.table+` SET `+strings.Join(set, ", ")+` WHERE `+strings.Join(key, " AND "), u...); err != nil {
				return 0, nil, fmt.Errorf("scrub %s: %w", t.table, err)
			}
			if t.table == "messages" {
				if id, ok := u[len(u)-1].(int64); ok {
					changed = append(changed, id)
				}
			}
		}
		total += len(updates)
	}
	return total, changed, nil
}

// likePattern is a LIKE pattern finding a term: its longest run of ASCII
// letters, digits and punctuation, which both engines compare without
// case (SQLite folds only ASCII), or the whole term. Go decides after.
func likePattern(term string) string {
	best, cur := "", strings.Builder{}
	flush := func() {
		if cur.Len() > len(best) {
			best = cur.String()
		}
		cur.Reset()
	}
	for _, r := range term {
		if r < 0x80 {
			cur.WriteRune(r)
		} else {
			flush()
		}
	}
	flush()
	if len(best) < 3 {
		best = term
	}
	esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(best)
	return "%" + esc + "%"
}

// compactSearch rewrites SQLite's search indexes so that the entries of
// deleted or changed rows are gone from the file's pages, not only marked
// deleted. PostgreSQL's index rows go with their table rows.
func (s *Store) compactSearch(ctx context.Context) error {
	if s.engine != EngineSQLite {
		return nil
	}
	for _, t := range []string{"message_search", "member_search"} {
		if _, err := s.w.ExecContext(ctx, `INSERT INTO `+t+` (`+t+`) VALUES ('optimize')`); err != nil {
			return fmt.Errorf("compact %s: %w", t, err)
		}
	}
	return nil
}

// Retention is what applying a workspace's retention did.
type Retention struct {
	Action string    `json:"action"`
	Months int       `json:"months"`
	Before time.Time `json:"before"` // messages written before were purged or anonymised
	// Messages purged or anonymised; Conversations deleted because none
	// of their messages was left; Members forgotten because all their
	// messages were (purge: deleted; anonymise: moved to an anonymous
	// member).
	Messages      int `json:"messages"`
	Conversations int `json:"conversations"`
	Members       int `json:"members"`
}

// retentionBatch is how many messages or members one transaction of a
// retention run changes, so that a first run over years of messages does
// not hold the database for long.
const retentionBatch = 2000

// ApplyRetention applies a workspace's retention policy now: messages
// written more than RetentionMonths ago are purged (with conversations
// left empty, and members left without a message) or anonymised (their
// authors' names, addresses and handles taken off; members whose every
// message is that old are replaced by anonymous members). It records a
// "retention.apply" event by actor. ErrInvalid when the workspace keeps
// messages for ever.
func (s *Store) ApplyRetention(ctx context.Context, workspaceID int64, actor string, now time.Time) (Retention, error) {
	set, err := s.PrivacySettings(ctx, workspaceID)
	if err != nil {
		return Retention{}, err
	}
	if set.RetentionMonths == 0 {
		return Retention{}, fmt.Errorf("%w: workspace %d keeps messages for ever (no retention period set)", ErrInvalid, workspaceID)
	}
	now = TruncateTime(now)
	ret := Retention{Action: set.RetentionAction, Months: set.RetentionMonths, Before: now.AddDate(0, -set.RetentionMonths, 0)}
	if set.RetentionAction == RetentionPurge {
		err = s.purgeBefore(ctx, workspaceID, &ret)
	} else {
		err = s.anonymiseBefore(ctx, workspaceID, &ret)
	}
	if err != nil {
		return ret, fmt.Errorf("retention of workspace %d: %w", workspaceID, err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE privacy_settings SET retained_at = $2 WHERE workspace_id = $1`, workspaceID, toMicros(now)); err != nil {
			return err
		}
		_, err := insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Actor: actor, Action: "retention.apply",
			Detail: eventDetail(map[string]any{"action": ret.Action, "months": ret.Months, "before": ret.Before,
				"messages": ret.Messages, "conversations": ret.Conversations, "members": ret.Members}), CreatedAt: now})
		return err
	})
	if err != nil {
		return ret, fmt.Errorf("retention of workspace %d: %w", workspaceID, err)
	}
	if ret.Messages > 0 || ret.Members > 0 {
		return ret, s.compactSearch(ctx)
	}
	return ret, nil
}

// purgeBefore deletes a workspace's messages written before ret.Before,
// batch by batch, the conversations left empty, and the members left
// without a message.
func (s *Store) purgeBefore(ctx context.Context, workspaceID int64, ret *Retention) error {
	before := toMicros(ret.Before)
	for {
		done := false
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			ids, err := column[int64](ctx, tx, `SELECT id FROM messages WHERE workspace_id = $1 AND created_at < $2 ORDER BY id LIMIT `+fmt.Sprint(retentionBatch),
				workspaceID, before)
			if err != nil || len(ids) == 0 {
				done = true
				return err
			}
			list := idList(ids)
			convs, err := column[int64](ctx, tx, `SELECT DISTINCT conversation_id FROM messages WHERE id IN (`+list+`)`)
			if err != nil {
				return err
			}
			authors, err := column[string](ctx, tx, `SELECT DISTINCT member_id FROM messages WHERE id IN (`+list+`) AND member_id IS NOT NULL`)
			if err != nil {
				return err
			}
			if err := s.deleteMessages(ctx, tx, ids); err != nil {
				return err
			}
			empty, err := column[int64](ctx, tx, `SELECT id FROM conversations c WHERE id IN (`+idList(convs)+`)
				AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id)`)
			if err != nil {
				return err
			}
			if len(empty) > 0 {
				if _, err := tx.ExecContext(ctx, `DELETE FROM conversations WHERE id IN (`+idList(empty)+`)`); err != nil {
					return fmt.Errorf("delete conversations: %w", err)
				}
			}
			if err := recountConversations(ctx, tx, convs); err != nil {
				return err
			}
			var gone []string
			for _, a := range authors {
				var staff bool
				var left int
				if err := tx.QueryRowContext(ctx, `SELECT is_staff, (SELECT COUNT(*) FROM messages WHERE workspace_id = $1 AND member_id = $2)
					FROM members WHERE workspace_id = $1 AND id = $2`, workspaceID, a).Scan(&staff, &left); err != nil {
					return fmt.Errorf("member %s: %w", a, err)
				}
				if left == 0 && !staff {
					group, err := s.memberGroup(ctx, tx, workspaceID, a)
					if err != nil {
						return err
					}
					gone = append(gone, group...)
					ret.Members++
				} else if err := s.recountMember(ctx, tx, workspaceID, a, staff); err != nil {
					return err
				}
			}
			if err := s.forgetMembers(ctx, tx, workspaceID, gone); err != nil {
				return err
			}
			ret.Messages += len(ids)
			ret.Conversations += len(empty)
			return nil
		})
		if err != nil || done {
			return err
		}
	}
}

// anonymiseBefore takes the authors off a workspace's customers' messages
// written before ret.Before, and replaces the members who wrote nothing
// since by anonymous members, batch by batch.
func (s *Store) anonymiseBefore(ctx context.Context, workspaceID int64, ret *Retention) error {
	before := toMicros(ret.Before)
	for {
		done := false
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			ids, err := column[int64](ctx, tx, `SELECT id FROM messages WHERE workspace_id = $1 AND created_at < $2 AND NOT author_is_staff
				AND NOT (author_name = $3 AND author_handle = '' AND author_email = '' AND author_url = '')
				ORDER BY id LIMIT `+fmt.Sprint(retentionBatch), workspaceID, before, erasedText)
			if err != nil || len(ids) == 0 {
				done = true
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE messages SET author_name = $1, author_handle = '', author_email = '', author_url = ''
				WHERE id IN (`+idList(ids)+`)`, erasedText); err != nil {
				return fmt.Errorf("anonymise messages: %w", err)
			}
			ret.Messages += len(ids)
			return s.indexMessages(ctx, tx, ids)
		})
		if err != nil {
			return err
		}
		if done {
			break
		}
	}
	for {
		var n int
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			ids, err := column[string](ctx, tx, `SELECT id FROM members WHERE workspace_id = $1 AND NOT is_staff AND merged_into IS NULL
				AND last_seen_at < $2 AND id NOT LIKE 'anon-%' ORDER BY id LIMIT `+fmt.Sprint(retentionBatch/10), workspaceID, before)
			if err != nil {
				return err
			}
			n = len(ids)
			for _, id := range ids {
				group, err := s.memberGroup(ctx, tx, workspaceID, id)
				if err != nil {
					return err
				}
				if _, err := s.anonymisePerson(ctx, tx, workspaceID, group, id); err != nil {
					return err
				}
				if err := s.forgetMembers(ctx, tx, workspaceID, group); err != nil {
					return err
				}
			}
			ret.Members += n
			return nil
		})
		if err != nil || n == 0 {
			return err
		}
	}
}

// DueRetentions lists the workspaces with a retention period whose
// retention was last applied before since (or never).
func (s *Store) DueRetentions(ctx context.Context, since time.Time) ([]int64, error) {
	ids, err := column[int64](ctx, s.r, `SELECT workspace_id FROM privacy_settings WHERE retention_months > 0 AND retained_at < $1 ORDER BY workspace_id`,
		toMicros(since))
	if err != nil {
		return nil, fmt.Errorf("retentions due: %w", err)
	}
	return ids, nil
}
