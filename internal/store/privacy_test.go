package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"palabre/internal/model"
	"palabre/internal/store"
)

// schemaTables lists the tables of a store's schema with their columns:
// ordinary tables only (not SQLite's search index internals).
func schemaTables(t *testing.T, st *store.Store, db *sql.DB) map[string][]string {
	t.Helper()
	q := `SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite!_%' ESCAPE '!' AND m.sql NOT LIKE 'CREATE VIRTUAL%'
		AND m.name NOT IN (SELECT f.name || s.suffix FROM sqlite_master f,
			(SELECT '_data' AS suffix UNION SELECT '_idx' UNION SELECT '_config' UNION SELECT '_docsize' UNION SELECT '_content') s
			WHERE f.sql LIKE 'CREATE VIRTUAL%')`
	if st.Engine() == store.EnginePostgres {
		q = `SELECT table_name, column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name IN
			(SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE')`
	}
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := make(map[string][]string)
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			t.Fatal(err)
		}
		out[table] = append(out[table], col)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 20 {
		t.Fatalf("read %d tables of the schema: %v", len(out), out)
	}
	return out
}

// referToMembers are the column names that hold a member's id.
var referToMembers = regexp.MustCompile(`^(member_id|[a-z_]+_member_id|into_id|from_id)$`)

// TestExportCoversEveryTableReferringToMembers fails when a table that
// refers to members (by a column holding a member id, or a foreign key to
// members) is not in a member's export: add it to store.memberTables, and
// to what erasure removes.
func TestExportCoversEveryTableReferringToMembers(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		w := newPeopleWorld(t, st, "gdpr")
		if _, err := st.MergeMembers(ctx, w.ws.ID, w.ana, w.anou, "cm", pt0); err != nil {
			t.Fatal(err)
		}
		data, err := st.ExportMember(ctx, w.ws, w.ana, "cm", pt0)
		if err != nil {
			t.Fatal(err)
		}
		exported := make(map[string]store.TableRows)
		for _, tr := range data.Tables {
			exported[tr.Table] = tr
		}
		refer := make(map[string]bool)
		for table, cols := range schemaTables(t, st, db) {
			for _, c := range cols {
				if referToMembers.MatchString(c) {
					refer[table] = true
				}
			}
		}
		if st.Engine() == store.EngineSQLite {
			rows, err := db.Query(`SELECT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f
				WHERE m.type = 'table' AND f."table" = 'members'`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var table string
				if err := rows.Scan(&table); err != nil {
					t.Fatal(err)
				}
				refer[table] = true
			}
			rows.Close()
		}
		if len(refer) < 8 {
			t.Fatalf("found %d tables referring to members: %v", len(refer), refer)
		}
		for table := range refer {
			if _, ok := exported[table]; !ok {
				t.Errorf("table %s refers to members but a member's export leaves it out", table)
			}
		}
		// What the export holds is the person's, all of it.
		for table, want := range map[string]int{"members": 2, "identities": 4, "messages": 4, "member_merges": 1} {
			if got := len(exported[table].Rows); got != want {
				t.Errorf("export of %s: %d rows, want %d: %v", table, got, want, exported[table].Rows)
			}
		}
		for _, row := range exported["identities"].Rows {
			if row["value"] == "zoe@example.org" {
				t.Errorf("export holds Zoé's identity: %v", row)
			}
		}
		if !slices.ContainsFunc(exported["events"].Rows, func(r map[string]any) bool { return r["action"] == "member.merge" }) {
			t.Errorf("export's events hold no merge: %v", exported["events"].Rows)
		}
		evs, err := st.Events(ctx, w.ws.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(evs, func(e model.Event) bool { return e.Action == "member.export" && e.Actor == "cm" }) {
			t.Errorf("no member.export event: %v", evs)
		}
		// A member merged away is exported through its survivor.
		if _, err := st.ExportMember(ctx, w.ws, w.anou, "cm", pt0); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("export of a merged-away member: %v, want ErrInvalid", err)
		}
	})
}

// TestScrubCoversEveryTable fails when a table of the schema is neither
// scrubbed by an erasure nor listed as holding nothing a person wrote or
// is called: decide where a new table belongs.
func TestScrubCoversEveryTable(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		swept, skipped := store.ScrubClassesForTest()
		for table, cols := range schemaTables(t, st, db) {
			sweptCols, ok := swept[table]
			_, skip := skipped[table]
			switch {
			case !ok && !skip:
				t.Errorf("table %s is neither scrubbed by an erasure nor listed as holding no personal text", table)
			case ok && skip:
				t.Errorf("table %s is both scrubbed and listed as not", table)
			}
			for _, c := range sweptCols {
				if !slices.Contains(cols, c) {
					t.Errorf("scrub of %s names a column %s it does not have", table, c)
				}
			}
		}
	})
}

// erasureWorld is newPeopleWorld with what an erasure must find: Anouk
// merged into Ana, staff notes and tags on Ana, a staff answer naming
// her, a conversation note, an export; and a second workspace where an
// Ana with the same address must be left alone.
func erasureWorld(t *testing.T, st *store.Store, slug string) (peopleWorld, peopleWorld) {
	t.Helper()
	ctx := context.Background()
	w := newPeopleWorld(t, st, slug)
	other := newPeopleWorld(t, st, slug+"-other")
	w.write(t,
		authored{ext: "p3", root: "p3", email: "ana@example.org", name: "Ana Lopes", at: pt0.Add(70 * 24 * time.Hour)},
		authored{ext: "s3", root: "p3", name: "Brand", at: pt0.Add(71 * 24 * time.Hour), staff: true},
	)
	if _, err := st.MergeMembers(ctx, w.ws.ID, w.ana, w.anou, "cm", pt0); err != nil {
		t.Fatal(err)
	}
	u := newUser(t, st, slug+"-cm", false)
	if _, err := st.AddMemberNote(ctx, w.ws.ID, w.ana, u, "Ana Lopes (ana@example.org) is our best reviewer", pt0); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetMemberTags(ctx, w.ws.ID, w.ana, []string{"vip"}, nil, "cm"); err != nil {
		t.Fatal(err)
	}
	convs, err := st.Conversations(ctx, w.ws.ID, store.ConversationFilter{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range convs.Conversations {
		if _, err := st.AddNote(ctx, w.ws.ID, c.ID, u, "Call ANA LOPES back; anouk is her forum handle", pt0); err != nil {
			t.Fatal(err)
		}
	}
	zoe := slug + "-email-zoe-example.org"
	if _, err := st.SetMemberFields(ctx, w.ws.ID, w.ana, map[string]string{"backup address": "ana@example.org"}, nil, "cm", pt0); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetMemberFields(ctx, w.ws.ID, zoe, map[string]string{"friend": "Ana Lopes"}, nil, "cm", pt0); err != nil {
		t.Fatal(err)
	}
	if err := st.DismissSuggestion(ctx, w.ws.ID, w.ana, zoe, "cm", pt0); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ExportMember(ctx, w.ws, w.ana, "cm", pt0); err != nil {
		t.Fatal(err)
	}
	return w, other
}

// dumpText is every text value of a workspace's tables (of every table
// that is not a workspace's: those without a workspace_id), lower-cased,
// for the tests to search.
func dumpText(t *testing.T, st *store.Store, db *sql.DB, workspaceID int64) string {
	t.Helper()
	var b strings.Builder
	for table, cols := range schemaTables(t, st, db) {
		where := ""
		if slices.Contains(cols, "workspace_id") {
			where = fmt.Sprintf(" WHERE workspace_id = %d", workspaceID)
		} else if slices.Contains(cols, "message_id") {
			where = fmt.Sprintf(" WHERE message_id IN (SELECT id FROM messages WHERE workspace_id = %d)", workspaceID)
		}
		rows, err := db.Query(`SELECT * FROM ` + table + where)
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		n, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(n))
			ptrs := make([]any, len(n))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if v != nil {
					fmt.Fprintf(&b, "%s\n", strings.ToLower(fmt.Sprintf("%s", v)))
				}
			}
		}
		rows.Close()
	}
	return b.String()
}

func TestEraseMember(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{store.ErasureDelete, store.ErasureAnonymise} {
		t.Run(mode, func(t *testing.T) {
			forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
				ctx := context.Background()
				w, other := erasureWorld(t, st, "erase")
				traces := []string{"ana@example.org", "ana lopes", "anouk", w.ana, w.anou}
				before := dumpText(t, st, db, w.ws.ID)
				for _, s := range traces {
					if !strings.Contains(before, strings.ToLower(s)) {
						t.Fatalf("before the erasure, no %q to find: the test proves nothing", s)
					}
				}
				count := func(ws int64) (msgs, convs int) {
					if err := db.QueryRow(`SELECT COUNT(*) FROM messages WHERE workspace_id = $1`, ws).Scan(&msgs); err != nil {
						t.Fatal(err)
					}
					if err := db.QueryRow(`SELECT COUNT(*) FROM conversations WHERE workspace_id = $1`, ws).Scan(&convs); err != nil {
						t.Fatal(err)
					}
					return
				}
				msgs0, convs0 := count(w.ws.ID)
				otherMsgs, otherConvs := count(other.ws.ID)
				otherAna := other.member(t, other.ana)

				er, err := st.EraseMember(ctx, w.ws.ID, w.ana, mode, "dpo", pt0.Add(100*24*time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				if er.Members != 2 || er.Identities != 5 || er.Mode != mode {
					t.Errorf("erasure %+v: want 2 members, 5 identities, mode %s", er, mode)
				}
				msgs1, convs1 := count(w.ws.ID)
				switch mode {
				case store.ErasureDelete:
					// Ana and Anouk wrote p1, c1, p2, c2, p3; p3 held only
					// Ana and the staff's answer s3, p2 only Anouk: both
					// conversations go. p1 keeps Zoé's c9.
					if er.Messages != 6 || er.Conversations != 2 || msgs1 != msgs0-6 || convs1 != convs0-2 {
						t.Errorf("delete: %+v, messages %d → %d, conversations %d → %d", er, msgs0, msgs1, convs0, convs1)
					}
				case store.ErasureAnonymise:
					if er.Messages != 5 || er.Conversations != 0 || msgs1 != msgs0 || convs1 != convs0 || er.Into == "" {
						t.Errorf("anonymise: %+v, messages %d → %d, conversations %d → %d", er, msgs0, msgs1, convs0, convs1)
					}
					anon, err := st.Member(ctx, w.ws.ID, er.Into)
					if err != nil {
						t.Fatal(err)
					}
					if anon.MessageCount != 5 || len(anon.Identities) != 0 || anon.DisplayName != "[erased]" {
						t.Errorf("anonymous member %+v", anon)
					}
				}
				after := dumpText(t, st, db, w.ws.ID)
				for _, s := range traces {
					if strings.Contains(after, strings.ToLower(s)) {
						i := strings.Index(after, strings.ToLower(s))
						t.Errorf("after the erasure, %q is still there: …%s…", s, after[max(0, i-80):min(len(after), i+80)])
					}
				}
				for _, id := range []string{w.ana, w.anou} {
					if _, err := st.Member(ctx, w.ws.ID, id); !errors.Is(err, store.ErrNotFound) {
						t.Errorf("member %s after the erasure: %v", id, err)
					}
				}
				// Every conversation left counts what it holds.
				var wrong int
				if err := db.QueryRow(`SELECT COUNT(*) FROM conversations c WHERE workspace_id = $1
					AND message_count <> (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id)`, w.ws.ID).Scan(&wrong); err != nil {
					t.Fatal(err)
				}
				if wrong != 0 {
					t.Errorf("%d conversations count messages they no longer hold", wrong)
				}
				// Search finds her no more, by name or address.
				for _, q := range []string{"ana lopes", "ana@example.org", "anouk"} {
					page, err := st.Inbox(ctx, store.InboxFilter{WorkspaceIDs: []int64{w.ws.ID}, Query: q})
					if err != nil {
						t.Fatal(err)
					}
					if len(page.Rows) != 0 {
						t.Errorf("search %q after the erasure: %d conversations", q, len(page.Rows))
					}
					found, err := st.SearchMembers(ctx, []int64{w.ws.ID}, q, 10)
					if err != nil {
						t.Fatal(err)
					}
					if len(found) != 0 {
						t.Errorf("member search %q after the erasure: %v", q, found)
					}
				}
				// The other workspace's Ana is another person's record.
				if m, c := count(other.ws.ID); m != otherMsgs || c != otherConvs {
					t.Errorf("other workspace: messages %d → %d, conversations %d → %d", otherMsgs, m, otherConvs, c)
				}
				if got := other.member(t, other.ana); !slices.Equal(identityValues(got), identityValues(otherAna)) || got.DisplayName != otherAna.DisplayName {
					t.Errorf("other workspace's Ana changed: %+v → %+v", otherAna, got)
				}
				page, err := st.Inbox(ctx, store.InboxFilter{WorkspaceIDs: []int64{other.ws.ID}, Query: "ana@example.org"})
				if err != nil || len(page.Rows) == 0 {
					t.Errorf("other workspace's search for Ana: %d rows, %v", len(page.Rows), err)
				}
				evs, err := st.Events(ctx, w.ws.ID, 100)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.ContainsFunc(evs, func(e model.Event) bool {
					return e.Action == "member.erase" && e.Actor == "dpo" && strings.Contains(e.Detail, `"mode":"`+mode+`"`)
				}) {
					t.Errorf("no member.erase event in the audit log: %+v", evs)
				}
				// Erasing again finds no one.
				if _, err := st.EraseMember(ctx, w.ws.ID, w.ana, mode, "dpo", pt0); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("erasing again: %v, want ErrNotFound", err)
				}
			})
		})
	}
}

func TestEraseRefusals(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		w := newPeopleWorld(t, st, "refuse")
		if _, err := st.MergeMembers(ctx, w.ws.ID, w.ana, w.anou, "cm", pt0); err != nil {
			t.Fatal(err)
		}
		var n0 int
		if err := db.QueryRow(`SELECT COUNT(*) FROM messages`).Scan(&n0); err != nil {
			t.Fatal(err)
		}
		for name, err := range map[string]error{
			"merged away": func() error { _, err := st.EraseMember(ctx, w.ws.ID, w.anou, "", "dpo", pt0); return err }(),
			"bad mode":    func() error { _, err := st.EraseMember(ctx, w.ws.ID, w.ana, "shred", "dpo", pt0); return err }(),
		} {
			if !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}
		if _, err := st.EraseMember(ctx, w.ws.ID, "nobody", "", "dpo", pt0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("nobody: %v, want ErrNotFound", err)
		}
		var n1 int
		if err := db.QueryRow(`SELECT COUNT(*) FROM messages`).Scan(&n1); err != nil {
			t.Fatal(err)
		}
		if n1 != n0 || w.member(t, w.ana).MessageCount != 4 {
			t.Errorf("a refused erasure changed something: %d → %d messages", n0, n1)
		}
		// The workspace's policy decides when no mode is given.
		if _, err := st.SetPrivacySettings(ctx, w.ws.ID, model.PrivacySettings{Erasure: store.ErasureAnonymise, RetentionAction: store.RetentionPurge}, "owner", pt0); err != nil {
			t.Fatal(err)
		}
		er, err := st.EraseMember(ctx, w.ws.ID, w.ana, "", "dpo", pt0)
		if err != nil || er.Mode != store.ErasureAnonymise {
			t.Errorf("erasure by policy: %+v, %v", er, err)
		}
		for _, bad := range []model.PrivacySettings{
			{Erasure: "burn", RetentionAction: store.RetentionPurge},
			{Erasure: store.ErasureDelete, RetentionAction: "archive"},
			{Erasure: store.ErasureDelete, RetentionAction: store.RetentionPurge, RetentionMonths: -1},
			{Erasure: store.ErasureDelete, RetentionAction: store.RetentionPurge, RetentionMonths: store.MaxRetentionMonths + 1},
		} {
			if _, err := st.SetPrivacySettings(ctx, w.ws.ID, bad, "owner", pt0); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("settings %+v: %v, want ErrInvalid", bad, err)
			}
		}
	})
}

func TestRetention(t *testing.T) {
	t.Parallel()
	for _, action := range []string{store.RetentionPurge, store.ErasureAnonymise} {
		t.Run(action, func(t *testing.T) {
			forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
				ctx := context.Background()
				w := newPeopleWorld(t, st, "retain")
				// Messages from pt0 (p1, c9), +1 day (p2, staff), +30 days
				// (c1), +60 days (c2). Three months after pt0+45 days:
				// what is older than pt0+45 days goes.
				now := pt0.Add(45*24*time.Hour).AddDate(0, 3, 0)
				if _, err := st.ApplyRetention(ctx, w.ws.ID, "system", now); !errors.Is(err, store.ErrInvalid) {
					t.Errorf("retention with no period: %v, want ErrInvalid", err)
				}
				if _, err := st.SetPrivacySettings(ctx, w.ws.ID, model.PrivacySettings{Erasure: store.ErasureDelete,
					RetentionMonths: 3, RetentionAction: action}, "owner", pt0); err != nil {
					t.Fatal(err)
				}
				due, err := st.DueRetentions(ctx, now)
				if err != nil || !slices.Contains(due, w.ws.ID) {
					t.Fatalf("due retentions %v, %v", due, err)
				}
				ret, err := st.ApplyRetention(ctx, w.ws.ID, "system", now)
				if err != nil {
					t.Fatal(err)
				}
				owners := w.owners(t)
				switch action {
				case store.RetentionPurge:
					// p1, c9, c1 and p2 go; c2 (Anouk) stays. p1's
					// conversation keeps c2; p2's is left empty. Ana and
					// Zoé wrote nothing since: forgotten. Anouk is staff
					// by her p2 but also wrote c2.
					if ret.Messages != 4 || ret.Conversations != 1 || ret.Members != 2 {
						t.Errorf("purge: %+v", ret)
					}
					if len(owners) != 1 || owners["c2"] != w.anou {
						t.Errorf("messages left: %v", owners)
					}
					for _, id := range []string{w.ana, "retain-email-zoe-example.org"} {
						if _, err := st.Member(ctx, w.ws.ID, id); !errors.Is(err, store.ErrNotFound) {
							t.Errorf("member %s after the purge: %v", id, err)
						}
					}
				case store.ErasureAnonymise:
					// The customers' p1, c9, c1 lose their authors; Ana and
					// Zoé, with nothing newer, become anonymous members.
					if ret.Messages != 3 || ret.Conversations != 0 || ret.Members != 2 {
						t.Errorf("anonymise: %+v", ret)
					}
					if len(owners) != 5 {
						t.Errorf("messages left: %v", owners)
					}
					for _, ext := range []string{"p1", "c9", "c1"} {
						if !strings.HasPrefix(owners[ext], "anon-") {
							t.Errorf("message %s belongs to %q after anonymising", ext, owners[ext])
						}
					}
					var named int
					if err := db.QueryRow(`SELECT COUNT(*) FROM messages WHERE workspace_id = $1 AND created_at < $2
						AND NOT author_is_staff AND (author_name <> '[erased]' OR author_email <> '')`,
						w.ws.ID, now.AddDate(0, -3, 0).UnixMicro()).Scan(&named); err != nil {
						t.Fatal(err)
					}
					if named != 0 {
						t.Errorf("%d old messages still name their author", named)
					}
					if m := w.member(t, w.anou); m.MessageCount != 2 || len(m.Identities) == 0 {
						t.Errorf("Anouk, still active, changed: %+v", m)
					}
				}
				// Applying again changes nothing more.
				again, err := st.ApplyRetention(ctx, w.ws.ID, "system", now)
				if err != nil || again.Messages != 0 || again.Members != 0 || again.Conversations != 0 {
					t.Errorf("second run: %+v, %v", again, err)
				}
				if due, _ := st.DueRetentions(ctx, now); slices.Contains(due, w.ws.ID) {
					t.Errorf("still due right after a run")
				}
				evs, err := st.Events(ctx, w.ws.ID, 100)
				if err != nil || !slices.ContainsFunc(evs, func(e model.Event) bool { return e.Action == "retention.apply" && e.Actor == "system" }) {
					t.Errorf("audit log after retention: %+v, %v", evs, err)
				}
			})
		})
	}
}
