package cli_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"palabre/internal/auth"
	"palabre/internal/cli"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// TestMigrateDB moves the demo agency, with a row in every table of the
// schema (members merged, notes, tags, rollups, webhooks and their
// deliveries, sessions, tokens…), from SQLite to a fresh PostgreSQL
// database, and finds every table's rows and checksum the same; then uses
// the moved database through the store: a search finds a message by a
// word (the search index was forgotten on SQLite, so it was built again),
// a member reads back with its identities and merge, new rows get ids
// that do not collide, and a user logs in with the password set on
// SQLite.
func TestMigrateDB(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "palabre.db")
	if code, out, stderr := run(t, "", "demo", "--db", src, "--reports", filepath.Join(dir, "reports")); code != cli.ExitOK {
		t.Fatalf("demo: exit %d: %s%s", code, out, stderr)
	}
	fx := fillEveryTable(t, src)
	if code, out, stderr := run(t, "", "rollups", "--db", src, "--workspace", fx.slug); code != cli.ExitOK {
		t.Fatalf("rollups: exit %d: %s%s", code, out, stderr)
	}
	testutil.ForgetSearchIndex(t, src)
	want := checkEveryTableFilled(t, src)

	dst := testutil.NewDSN(t, store.EnginePostgres)
	start := time.Now()
	code, out, stderr := run(t, "", "migrate-db", "--from", "sqlite:"+src, "--to", dst)
	if code != cli.ExitOK {
		t.Fatalf("migrate-db: exit %d: %s%s", code, out, stderr)
	}
	t.Logf("migrated the demo database (%d tables) in %s", len(want), time.Since(start).Round(time.Millisecond))
	// Each table moved is reported with its row count, as counted on
	// SQLite, and a checksum that PostgreSQL's rows matched.
	line := regexp.MustCompile(`(?m)^(\w+) +(\d+) rows  sha256 [0-9a-f]{16}  ok$`)
	reported := map[string]string{}
	for _, m := range line.FindAllStringSubmatch(out, -1) {
		reported[m[1]] = m[2]
	}
	for table, n := range want {
		if table == "search_backfill" || table == "member_search_keys" || table == "member_match_keys" {
			if _, ok := reported[table]; ok {
				t.Errorf("%s, part of SQLite's search index, was copied", table)
			}
			continue
		}
		if reported[table] != fmt.Sprint(n) {
			t.Errorf("table %s: reported %q rows, the source has %d\n%s", table, reported[table], n, out)
		}
	}
	if !strings.Contains(out, "row counts and checksums match") {
		t.Errorf("no final line saying the checks passed:\n%s", out)
	}

	pg := openStore(t, dst)
	raw, err := sql.Open("pgx", dst)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for table, n := range want {
		if table == "search_backfill" || table == "member_search_keys" {
			continue
		}
		if table == "member_match_keys" {
			// Indexed again with the members: the same keys as those
			// kept up to date on SQLite.
			from, err := sql.Open("sqlite", src)
			if err != nil {
				t.Fatal(err)
			}
			kept, built := matchKeys(t, from), matchKeys(t, raw)
			from.Close()
			if len(built) == 0 || !slices.Equal(kept, built) {
				t.Errorf("member_match_keys: %d rows kept on SQLite, %d built on PostgreSQL; only on SQLite %q, only on PostgreSQL %q",
					len(kept), len(built), missing(kept, built), missing(built, kept))
			}
			continue
		}
		var got int
		if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != n {
			t.Errorf("PostgreSQL's %s holds %d rows, SQLite's %d", table, got, n)
		}
	}
	if pending, err := pg.SearchIndexPending(ctx); err != nil || pending {
		t.Errorf("search index still pending after the move: %v %v", pending, err)
	}

	// Search finds the message by a word of it.
	page, err := pg.Inbox(ctx, store.InboxFilter{WorkspaceIDs: []int64{fx.wsID}, Query: fx.word, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Rows) != 1 || page.Rows[0].Conversation.ID != fx.convID {
		t.Errorf("search for %q on PostgreSQL found %+v, want conversation %d", fx.word, page.Rows, fx.convID)
	}
	// The merged member reads back with both members' identities.
	m, err := pg.Member(ctx, fx.wsID, fx.into)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Identities) != fx.identities || len(m.Tags) == 0 {
		t.Errorf("member %s on PostgreSQL: %d identities and tags %v, want %d identities and a tag",
			fx.into, len(m.Identities), m.Tags, fx.identities)
	}
	if found, err := pg.SearchMembers(ctx, []int64{fx.wsID}, m.DisplayName, 10); err != nil || len(found) == 0 {
		t.Errorf("member search for %q on PostgreSQL: %v %v", m.DisplayName, found, err)
	}
	// New rows get ids after the copied ones.
	u, err := pg.CreateUser(ctx, model.User{Login: "after-the-move", Name: "After"}, "x", "test")
	if err != nil || u.ID <= fx.maxUserID {
		t.Errorf("a user created after the move: id %d (the largest moved is %d): %v", u.ID, fx.maxUserID, err)
	}
	var maxMessage int64
	if err := raw.QueryRowContext(ctx, `SELECT MAX(id) FROM messages`).Scan(&maxMessage); err != nil {
		t.Fatal(err)
	}
	after := writeFile(t, "after.ndjson", `{"external_id":"after-1","author_name":"Zoé","body":"Écrit après le déménagement","created_at":"`+
		time.Now().UTC().Format(time.RFC3339)+`"}`+"\n")
	if code, out, stderr := run(t, "", "import", "--db", dst, "--workspace", fx.slug, "--channel", "after", after); code != cli.ExitOK {
		t.Fatalf("import after the move: exit %d: %s%s", code, out, stderr)
	}
	var newID, newConv int64
	if err := raw.QueryRowContext(ctx, `SELECT id, conversation_id FROM messages WHERE external_id = 'after-1'`).Scan(&newID, &newConv); err != nil {
		t.Fatal(err)
	}
	if newID <= maxMessage || newConv <= fx.maxConvID {
		t.Errorf("message imported after the move: id %d, conversation %d; the largest moved were %d and %d",
			newID, newConv, maxMessage, fx.maxConvID)
	}
	// The password set on SQLite logs in on PostgreSQL.
	_, hash, err := pg.UserCredentials(ctx, fx.login)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := auth.VerifyPassword(hash, fx.password); !ok || err != nil {
		t.Errorf("the password of %s does not verify after the move: %v", fx.login, err)
	}

	// A second run finds the destination holding data, and changes nothing.
	code, _, stderr = run(t, "", "migrate-db", "--from", src, "--to", dst)
	if code == cli.ExitOK || !strings.Contains(stderr, "already holds data") {
		t.Errorf("migrate-db into a full database: exit %d, %q", code, stderr)
	}
	var users int
	if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&users); err != nil || users != want["users"]+1 {
		t.Errorf("after the refused run PostgreSQL holds %d users, want %d: %v", users, want["users"]+1, err)
	}
}

// matchKeys lists the rows of a database's member_match_keys, sorted.
func matchKeys(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.Query(`SELECT workspace_id, key, member_id, source, words FROM member_match_keys`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var ws, words int64
		var key, member, source string
		if err := rows.Scan(&ws, &key, &member, &source, &words); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d %s %s %q %d", ws, key, member, source, words))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// missing are the rows of a not in b (both sorted).
func missing(a, b []string) []string {
	var out []string
	for _, r := range a {
		if _, found := slices.BinarySearch(b, r); !found {
			out = append(out, r)
		}
	}
	return out
}

// fixture is what the test looks for after the move.
type fixture struct {
	slug                 string
	wsID, convID         int64
	word                 string
	into                 string
	identities           int
	maxUserID, maxConvID int64
	login, password      string
}

// fillEveryTable adds to the demo database, through the store where it
// has a way, what the demo does not write: a member merge, member and
// conversation notes and tags, sessions, tokens, webhooks and their
// deliveries, an outbox reply, moderation, sources… The rest (states
// only background work reaches) is written as that work would.
func fillEveryTable(t *testing.T, path string) fixture {
	t.Helper()
	ctx := context.Background()
	st := openStore(t, path)
	wss, err := st.Workspaces(ctx)
	if err != nil || len(wss) == 0 {
		t.Fatalf("workspaces: %v %v", wss, err)
	}
	ws := wss[0]
	fx := fixture{slug: ws.Slug, wsID: ws.ID, login: "migrant", password: "a long enough password, moved"}
	now := time.Now().UTC()
	hash, err := auth.HashPassword(fx.password, auth.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(ctx, model.User{Login: fx.login, Name: "Migrant"}, hash, "test")
	check(t, "create user", err)
	check(t, "membership", st.SetMembership(ctx, u.ID, ws.ID, "manager", "test"))
	check(t, "session", st.CreateSession(ctx, "session-hash", u.ID, now.Add(time.Hour)))
	_, err = st.CreateAPIToken(ctx, model.APIToken{UserID: u.ID, Name: "ci", CanWrite: true}, "token-hash", "test")
	check(t, "token", err)
	_, err = st.SaveView(ctx, u.ID, "mine", "status:open")
	check(t, "saved view", err)
	_, err = st.SetPrivacySettings(ctx, ws.ID, model.PrivacySettings{Erasure: store.ErasureAnonymise, RetentionMonths: 600,
		RetentionAction: store.RetentionPurge}, "test", now)
	check(t, "privacy settings", err)
	_, err = st.ServerKey(ctx, "device")
	check(t, "server key", err)

	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var two []string
	idRows, err := raw.QueryContext(ctx, `SELECT id FROM members WHERE workspace_id = ? AND NOT is_staff AND merged_into IS NULL ORDER BY id LIMIT 2`, ws.ID)
	check(t, "members", err)
	for idRows.Next() {
		var id string
		check(t, "member id", idRows.Scan(&id))
		two = append(two, id)
	}
	idRows.Close()
	if len(two) < 2 {
		t.Fatalf("two members to dismiss as one person: %v", two)
	}
	_, err = st.SetMemberFields(ctx, ws.ID, two[0], map[string]string{"city": "Lyon"}, nil, "test", now)
	check(t, "member fields", err)
	check(t, "dismissal", st.DismissSuggestion(ctx, ws.ID, two[0], two[1], "test", now))
	// A conversation with a customer message, and a word found in it only.
	fx.word = "zygomorphe"
	var msgID, chID int64
	err = raw.QueryRowContext(ctx, `SELECT m.id, m.conversation_id, m.channel_id FROM messages m
		WHERE m.workspace_id = ? AND NOT m.author_is_staff ORDER BY m.id LIMIT 1`, ws.ID).Scan(&msgID, &fx.convID, &chID)
	check(t, "pick a message", err)
	_, err = raw.ExecContext(ctx, `UPDATE messages SET body = body || ' ' || ? WHERE id = ?`, fx.word, msgID)
	check(t, "add a word", err)
	_, err = st.ChangeConversations(ctx, ws.ID, []int64{fx.convID}, store.ConversationChange{AddTags: []string{"moved"}}, "test", now)
	check(t, "conversation tags", err)
	_, err = st.AddNote(ctx, ws.ID, fx.convID, u, "@"+fx.login+" look at this one", now)
	check(t, "note", err)
	_, err = st.AddReply(ctx, store.Reply{WorkspaceID: ws.ID, ConversationID: fx.convID, Author: u, Body: "Merci !", Confirm: true}, now)
	check(t, "reply", err)
	_, err = st.AddCorrection(ctx, store.Correction{WorkspaceID: ws.ID, MessageID: msgID, Field: "sentiment",
		OldValue: "neu", NewValue: "neg", Text: "pas content", Actor: "test", CreatedAt: now})
	check(t, "correction", err)

	// Two members of the workspace, merged, one of them tagged and noted.
	var members []string
	rows, err := raw.QueryContext(ctx, `SELECT id FROM members WHERE workspace_id = ? AND NOT is_staff ORDER BY message_count DESC, id LIMIT 2`, ws.ID)
	check(t, "members", err)
	for rows.Next() {
		var id string
		check(t, "members", rows.Scan(&id))
		members = append(members, id)
	}
	rows.Close()
	if len(members) != 2 {
		t.Fatalf("want two members, got %v", members)
	}
	fx.into = members[0]
	_, err = st.SetMemberTags(ctx, ws.ID, members[1], []string{"vip"}, nil, "test")
	check(t, "member tags", err)
	_, err = st.AddMemberNote(ctx, ws.ID, members[1], u, "Fidèle depuis 2012", now)
	check(t, "member note", err)
	err = raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM identities WHERE workspace_id = ? AND member_id IN (?, ?)`,
		ws.ID, members[0], members[1]).Scan(&fx.identities)
	check(t, "identities", err)
	_, err = st.MergeMembers(ctx, ws.ID, members[0], members[1], "test", now)
	check(t, "merge", err)

	wh, err := st.CreateWebhook(ctx, ws.ID, model.Webhook{URL: "https://hooks.example/palabre", Events: []string{"conversation.updated"},
		Active: true, Secret: "s3cret"}, "test")
	check(t, "webhook", err)
	last, err := st.LastEventID(ctx)
	check(t, "last event", err)
	_, err = st.EnqueueWebhookDeliveries(ctx, nil, last, now)
	check(t, "webhook cursor", err)
	check(t, "remember delivery", st.RememberDelivery(ctx, chID, "body-sha", now.Add(time.Hour)))
	_, err = st.QueueReport(ctx, ws.ID, now.AddDate(0, -1, 0).Format("2006-01"), false, "test", now)
	check(t, "report delivery", err)

	// What only background work writes, as it would leave it: a
	// reanalysis under way, an alert raised, engagement weights, routing
	// rules, an idempotent request, a live source.
	for _, stmt := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO reanalysis (workspace_id, fingerprint, last_message_id, done, total, updated_at) VALUES (?, 'fp', ?, 1, 400, ?)`,
			[]any{ws.ID, msgID, now.UnixMicro()}},
		{`INSERT INTO alerts (workspace_id, kind, subject, bucket, from_at, to_at, count, usual, message_ids, headline, created_at, emailed_at)
			VALUES (?, 'keyword', 'rappel', 1, ?, ?, 3, 0.25, ?, 'Rappel « produit »', ?, NULL)`,
			[]any{ws.ID, now.Add(-time.Hour).UnixMicro(), now.UnixMicro(), fmt.Sprintf("[%d]", msgID), now.UnixMicro()}},
		{`INSERT INTO moderations (workspace_id, channel_id, conversation_id, message_id, action, status, next_attempt_at, created_by, created_at)
			VALUES (?, ?, ?, ?, 'trash', 'failed', ?, 'test', ?)`, []any{ws.ID, chID, fx.convID, msgID, now.UnixMicro(), now.UnixMicro()}},
		{`INSERT INTO participants (conversation_id, user_id, workspace_id, added_by, created_at) VALUES (?, ?, ?, 'test', ?)`,
			[]any{fx.convID, u.ID, ws.ID, now.UnixMicro()}},
		{`INSERT INTO webhook_deliveries (webhook_id, event_id, status, attempts, next_attempt_at, last_status, last_error, created_at, delivered_at)
			VALUES (?, ?, 'failed', 3, ?, 502, 'Bad Gateway', ?, NULL)`, []any{wh.ID, last, now.UnixMicro(), now.UnixMicro()}},
		{`INSERT INTO engagement_weights (workspace_id, weights, updated_at) VALUES (?, '{"messages":1.5}', ?)`, []any{ws.ID, now.UnixMicro()}},
		{`INSERT INTO routing_rules (workspace_id, position, name, rule) VALUES (?, 0, 'complaints', '{"if":{"intent":"complaint"}}')`, []any{ws.ID}},
		{`INSERT INTO idempotency_keys (user_id, key, fingerprint, status, content_type, body, created_at) VALUES (?, 'k1', 'fp', 201, 'application/json', '{}', ?)`,
			[]any{u.ID, now.UnixMicro()}},
		{`INSERT INTO sources (workspace_id, channel_id, kind, name, config, interval_seconds, enabled, next_poll_at, created_by, created_at, last_poll_at)
			VALUES (?, ?, 'feed', 'blog comments', '{"url":"https://example.org/feed"}', 300, 0, ?, 'test', ?, NULL)`,
			[]any{ws.ID, chID, now.UnixMicro(), now.UnixMicro()}},
	} {
		_, err := raw.ExecContext(ctx, stmt.sql, stmt.args...)
		check(t, stmt.sql, err)
	}
	err = raw.QueryRowContext(ctx, `SELECT (SELECT MAX(id) FROM users), (SELECT MAX(id) FROM conversations)`).Scan(&fx.maxUserID, &fx.maxConvID)
	check(t, "largest ids", err)
	return fx
}

func check(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// checkEveryTableFilled fails when a table of the SQLite schema (but
// those emptyAllowed) has no row, and returns each table's rows.
func checkEveryTableFilled(t *testing.T, path string) map[string]int {
	t.Helper()
	ctx := context.Background()
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.QueryContext(ctx, `SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table'
		AND name NOT LIKE 'sqlite%' AND name <> 'schema_migrations'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	// The tables the fixture may leave empty, each with why: none today.
	// Every other table must have rows, so that a table added later is
	// moved by this test too.
	emptyAllowed := map[string]string{}
	counts := make(map[string]int, len(tables))
	for _, table := range tables {
		var n int
		if err := raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		counts[table] = n
		if _, ok := emptyAllowed[table]; n == 0 && !ok {
			t.Errorf("table %s is empty in the fixture: fill it in fillEveryTable, so that its move is tested", table)
		}
	}
	if len(tables) < 40 {
		t.Fatalf("only %d tables found in the SQLite schema: %v", len(tables), tables)
	}
	return counts
}
