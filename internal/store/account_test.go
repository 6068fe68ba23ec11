package store_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// forEachEngineRaw is testutil.ForEachEngine with, beside the store, a
// second handle on the same database, for what the store API does not do
// (deleting users and workspaces) or does not show (last_seen_at, events
// without a workspace).
func forEachEngineRaw(t *testing.T, fn func(t *testing.T, st *store.Store, db *sql.DB)) {
	t.Helper()
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			st, db := testutil.NewRaw(t, engine)
			fn(t, st, db)
		})
	}
}

// fakeHash stands for what package auth would store for secret.
func fakeHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func newUser(t *testing.T, st *store.Store, login string, admin bool) model.User {
	t.Helper()
	u, err := st.CreateUser(context.Background(), model.User{Login: login, IsAdmin: admin}, fakeHash("pw-"+login), "test")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func newWorkspace(t *testing.T, st *store.Store, slug string) model.Workspace {
	t.Helper()
	w, err := st.CreateWorkspace(context.Background(), model.Workspace{Slug: slug})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// allEvents reads the whole audit log, user-level lines included.
func allEvents(t *testing.T, db *sql.DB) []model.Event {
	t.Helper()
	rows, err := db.Query(`SELECT workspace_id, actor, action, subject, detail FROM events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []model.Event
	for rows.Next() {
		var e model.Event
		var ws sql.NullInt64
		if err := rows.Scan(&ws, &e.Actor, &e.Action, &e.Subject, &e.Detail); err != nil {
			t.Fatal(err)
		}
		e.WorkspaceID = ws.Int64
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func countRows(t *testing.T, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestUserCreateAndLookup(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if n, err := st.CountUsers(ctx); err != nil || n != 0 {
			t.Fatalf("count on a new store: %d, %v", n, err)
		}
		hash := fakeHash("s3cret")
		u, err := st.CreateUser(ctx, model.User{Login: "Alice.Martin@Example.org", Name: "Alice Martin"}, hash, "cli")
		if err != nil {
			t.Fatal(err)
		}
		if u.ID == 0 || u.Login != "alice.martin@example.org" || u.Name != "Alice Martin" || u.IsAdmin || u.Disabled || u.CreatedAt.IsZero() {
			t.Fatalf("created: %+v", u)
		}
		for _, login := range []string{"alice.martin@example.org", "ALICE.MARTIN@EXAMPLE.ORG", "Alice.Martin@example.ORG"} {
			got, err := st.UserByLogin(ctx, login)
			if err != nil || got != u {
				t.Errorf("by login %q: %+v, %v; want %+v", login, got, err, u)
			}
		}
		if got, err := st.UserByID(ctx, u.ID); err != nil || got != u {
			t.Fatalf("by id: %+v, %v", got, err)
		}
		got, gotHash, err := st.UserCredentials(ctx, "ALICE.martin@example.org")
		if err != nil || got != u || gotHash != hash {
			t.Fatalf("credentials: %+v %q %v", got, gotHash, err)
		}

		for _, login := range []string{"alice.martin@example.org", "ALICE.MARTIN@example.org"} {
			if _, err := st.CreateUser(ctx, model.User{Login: login}, hash, "cli"); !errors.Is(err, store.ErrConflict) {
				t.Errorf("duplicate login %q: got %v, want ErrConflict", login, err)
			}
		}
		for _, bad := range []string{"", strings.Repeat("a", 65), "a b", "élise", "a/b", "a+b", "a\x00b", "bob\n", "\u212Aate"} {
			if _, err := st.CreateUser(ctx, model.User{Login: bad}, hash, "cli"); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("login %q: got %v, want ErrInvalid", bad, err)
			}
			if _, err := st.UserByLogin(ctx, bad); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("look up login %q: got %v, want ErrNotFound", bad, err)
			}
		}
		for _, bad := range []string{"", "two words", "tab\there", "\xff\xfe", strings.Repeat("x", 1025)} {
			if _, err := st.CreateUser(ctx, model.User{Login: "hashless"}, bad, "cli"); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("password hash %q: got %v, want ErrInvalid", bad, err)
			}
		}
		for _, bad := range []string{"   ", "bell\a", "\xff", strings.Repeat("é", 129)} {
			if _, err := st.CreateUser(ctx, model.User{Login: "named", Name: bad}, hash, "cli"); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("name %q: got %v, want ErrInvalid", bad, err)
			}
		}
		// The event shares the user's transaction: no actor, no user.
		if _, err := st.CreateUser(ctx, model.User{Login: "ghost"}, hash, ""); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("no actor: got %v, want ErrInvalid", err)
		}
		if _, err := st.UserByLogin(ctx, "ghost"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("user created without its event: %v", err)
		}

		long, err := st.CreateUser(ctx, model.User{Login: strings.Repeat("z", 64), Name: strings.Repeat("é", 128), IsAdmin: true}, hash, "cli")
		if err != nil || !long.IsAdmin {
			t.Fatalf("64-character login: %+v %v", long, err)
		}
		bob, err := st.CreateUser(ctx, model.User{Login: "bob_1-x"}, hash, "cli")
		if err != nil || bob.Name != "bob_1-x" {
			t.Fatalf("unnamed user takes the login as name: %+v %v", bob, err)
		}
		all, err := st.Users(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var logins []string
		for _, u := range all {
			logins = append(logins, u.Login)
		}
		if want := []string{"alice.martin@example.org", "bob_1-x", strings.Repeat("z", 64)}; !slices.Equal(logins, want) {
			t.Fatalf("users: %v, want %v", logins, want)
		}
		if n, err := st.CountUsers(ctx); err != nil || n != 3 {
			t.Fatalf("count: %d, %v", n, err)
		}
		if _, err := st.UserByID(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing id: %v", err)
		}
		if _, err := st.UserByLogin(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing login: %v", err)
		}
		if _, _, err := st.UserCredentials(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing credentials: %v", err)
		}
	})
}

func TestUserJSONHasNoSecret(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(model.User{ID: 1, Login: "a"})
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]any
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	got := slices.Sorted(maps.Keys(keys))
	if want := []string{"created_at", "disabled", "id", "is_admin", "login", "name"}; !slices.Equal(got, want) {
		t.Fatalf("user JSON keys %v, want %v", got, want)
	}
}

func TestUserPasswordAndDisable(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		now := time.Now()
		u := newUser(t, st, "carol", false)
		other := newUser(t, st, "dave", false)
		w := newWorkspace(t, st, "velo")
		if err := st.SetMembership(ctx, u.ID, w.ID, model.RoleCM, "test"); err != nil {
			t.Fatal(err)
		}

		newHash := fakeHash("new password")
		if err := st.SetPasswordHash(ctx, u.ID, newHash, "carol"); err != nil {
			t.Fatal(err)
		}
		if _, h, err := st.UserCredentials(ctx, "carol"); err != nil || h != newHash {
			t.Fatalf("after password change: %q %v", h, err)
		}
		if _, h, _ := st.UserCredentials(ctx, "dave"); h != fakeHash("pw-dave") {
			t.Fatalf("another user's hash changed: %q", h)
		}
		if err := st.SetPasswordHash(ctx, 999999, newHash, "test"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("password of a missing user: %v", err)
		}
		if err := st.SetPasswordHash(ctx, u.ID, "", "test"); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("empty hash: %v", err)
		}

		for _, h := range []string{"s1", "s2"} {
			if err := st.CreateSession(ctx, fakeHash(h), u.ID, now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.CreateSession(ctx, fakeHash("s3"), other.ID, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		tok, err := st.CreateAPIToken(ctx, model.APIToken{UserID: u.ID, Name: "ci"}, fakeHash("tok"), "carol")
		if err != nil {
			t.Fatal(err)
		}

		if err := st.SetUserDisabled(ctx, u.ID, true, "admin"); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM sessions WHERE user_id = $1`, u.ID); n != 0 {
			t.Fatalf("disabling left %d sessions", n)
		}
		if _, _, err := st.SessionUser(ctx, fakeHash("s3"), now); err != nil {
			t.Fatalf("another user's session: %v", err)
		}
		if _, _, err := st.SessionUser(ctx, fakeHash("s1"), now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("session of a disabled user: %v", err)
		}
		if _, _, err := st.APITokenUser(ctx, fakeHash("tok"), now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("token of a disabled user: %v", err)
		}
		if _, _, err := st.UserCredentials(ctx, "carol"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("credentials of a disabled user: %v", err)
		}
		if got, err := st.UserByLogin(ctx, "carol"); err != nil || !got.Disabled {
			t.Fatalf("a disabled user is still listed as such: %+v %v", got, err)
		}
		if err := st.CreateSession(ctx, fakeHash("s4"), u.ID, now.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("session for a disabled user: %v", err)
		}
		// Should one slip in (a login racing the disabling), it resolves to nothing.
		if _, err := db.Exec(`INSERT INTO sessions (id_hash, user_id, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $3)`,
			fakeHash("s5"), u.ID, now.UnixMicro(), now.Add(time.Hour).UnixMicro()); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.SessionUser(ctx, fakeHash("s5"), now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("slipped-in session of a disabled user: %v", err)
		}
		if _, err := db.Exec(`DELETE FROM sessions WHERE id_hash = $1`, fakeHash("s5")); err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateAPIToken(ctx, model.APIToken{UserID: u.ID, Name: "x"}, fakeHash("tok2"), "admin"); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("token for a disabled user: %v", err)
		}
		if role, err := st.Role(ctx, u.ID, w.ID); err != nil || role != model.RoleCM {
			t.Fatalf("disabling keeps memberships: %q %v", role, err)
		}

		// Enabling again brings the tokens back, not the sessions.
		if err := st.SetUserDisabled(ctx, u.ID, false, "admin"); err != nil {
			t.Fatal(err)
		}
		if _, got, err := st.APITokenUser(ctx, fakeHash("tok"), now); err != nil || got.ID != tok.ID {
			t.Fatalf("token after re-enabling: %+v %v", got, err)
		}
		if _, _, err := st.SessionUser(ctx, fakeHash("s1"), now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("session after re-enabling: %v", err)
		}
		if _, _, err := st.UserCredentials(ctx, "carol"); err != nil {
			t.Fatalf("credentials after re-enabling: %v", err)
		}
		if err := st.SetUserDisabled(ctx, 999999, true, "admin"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("disable a missing user: %v", err)
		}

		var updates []string
		for _, e := range allEvents(t, db) {
			if e.Action == "user.update" {
				if e.WorkspaceID != 0 || e.Subject != "carol" {
					t.Errorf("user event: %+v", e)
				}
				updates = append(updates, e.Actor+" "+e.Detail)
			}
		}
		want := []string{`carol {"password":"changed"}`, `admin {"disabled":true,"sessions_deleted":2}`, `admin {"disabled":false}`}
		if !slices.Equal(updates, want) {
			t.Fatalf("user.update events:\n%q\nwant\n%q", updates, want)
		}
	})
}

func TestMembershipRolesAndIsolation(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		velo := newWorkspace(t, st, "velo")
		banque := newWorkspace(t, st, "banque")
		eve := newUser(t, st, "eve", false)
		ann := newUser(t, st, "ann", false)

		if err := st.SetMembership(ctx, eve.ID, velo.ID, model.RoleCM, "boss"); err != nil {
			t.Fatal(err)
		}
		if role, err := st.Role(ctx, eve.ID, velo.ID); err != nil || role != model.RoleCM {
			t.Fatalf("role in velo: %q %v", role, err)
		}
		// A membership in one workspace says nothing of another, nor of another user.
		if _, err := st.Role(ctx, eve.ID, banque.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("role in banque: %v", err)
		}
		if _, err := st.Role(ctx, ann.ID, velo.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("ann's role in velo: %v", err)
		}
		if ms, err := st.WorkspaceMembers(ctx, banque.ID); err != nil || len(ms) != 0 {
			t.Fatalf("banque members: %+v %v", ms, err)
		}
		first, err := st.Memberships(ctx, eve.ID)
		if err != nil || len(first) != 1 {
			t.Fatalf("memberships: %+v %v", first, err)
		}
		if m := first[0]; m.UserID != eve.ID || m.WorkspaceID != velo.ID || m.Workspace != "velo" || m.Role != model.RoleCM || m.CreatedAt.IsZero() {
			t.Fatalf("membership: %+v", m)
		}

		// Setting again replaces the role and keeps the membership's age.
		if err := st.SetMembership(ctx, eve.ID, velo.ID, model.RoleManager, "boss"); err != nil {
			t.Fatal(err)
		}
		ms, err := st.Memberships(ctx, eve.ID)
		if err != nil || len(ms) != 1 || ms[0].Role != model.RoleManager || !ms[0].CreatedAt.Equal(first[0].CreatedAt) {
			t.Fatalf("after upsert: %+v %v", ms, err)
		}

		for _, role := range []string{"", "admin", "Owner", "cm "} {
			if err := st.SetMembership(ctx, eve.ID, banque.ID, role, "boss"); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("role %q: got %v, want ErrInvalid", role, err)
			}
		}
		if err := st.SetMembership(ctx, 999999, velo.ID, model.RoleCM, "boss"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing user: %v", err)
		}
		if err := st.SetMembership(ctx, eve.ID, 999999, model.RoleCM, "boss"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing workspace: %v", err)
		}

		if err := st.SetMembership(ctx, eve.ID, banque.ID, model.RoleExpert, "boss"); err != nil {
			t.Fatal(err)
		}
		if err := st.SetMembership(ctx, ann.ID, velo.ID, model.RoleClient, "boss"); err != nil {
			t.Fatal(err)
		}
		ms, err = st.Memberships(ctx, eve.ID)
		if err != nil || len(ms) != 2 || ms[0].Workspace != "banque" || ms[0].Role != model.RoleExpert || ms[1].Workspace != "velo" {
			t.Fatalf("memberships by slug: %+v %v", ms, err)
		}
		members, err := st.WorkspaceMembers(ctx, velo.ID)
		if err != nil || len(members) != 2 || members[0].UserID != ann.ID || members[0].Role != model.RoleClient ||
			members[1].UserID != eve.ID || members[1].Workspace != "velo" {
			t.Fatalf("velo members by login: %+v %v", members, err)
		}

		if err := st.DeleteMembership(ctx, ann.ID, banque.ID, "boss"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete an absent membership: %v", err)
		}
		if err := st.DeleteMembership(ctx, ann.ID, velo.ID, "boss"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Role(ctx, ann.ID, velo.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("role after delete: %v", err)
		}
		if err := st.DeleteMembership(ctx, ann.ID, velo.ID, "boss"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
		if role, err := st.Role(ctx, eve.ID, velo.ID); err != nil || role != model.RoleManager {
			t.Fatalf("deleting ann's membership touched eve's: %q %v", role, err)
		}

		evs, err := st.Events(ctx, velo.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range evs {
			got = append(got, e.Action+" "+e.Subject+" "+e.Detail)
		}
		slices.Reverse(got) // oldest first
		want := []string{
			`membership.set eve {"role":"cm","workspace":"velo"}`,
			`membership.set eve {"previous":"cm","role":"manager","workspace":"velo"}`,
			`membership.set ann {"role":"client","workspace":"velo"}`,
			`membership.delete ann {"role":"client"}`,
		}
		if !slices.Equal(got, want) {
			t.Fatalf("velo events:\n%q\nwant\n%q", got, want)
		}
		if evs, _ := st.Events(ctx, banque.ID, 100); len(evs) != 1 || evs[0].Subject != "eve" {
			t.Fatalf("banque events: %+v", evs)
		}

		// Deleting a workspace takes its memberships with it, and only those.
		if _, err := db.Exec(`DELETE FROM workspaces WHERE id = $1`, banque.ID); err != nil {
			t.Fatal(err)
		}
		ms, err = st.Memberships(ctx, eve.ID)
		if err != nil || len(ms) != 1 || ms[0].Workspace != "velo" {
			t.Fatalf("after deleting banque: %+v %v", ms, err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM memberships WHERE workspace_id = $1`, banque.ID); n != 0 {
			t.Fatalf("%d memberships of a deleted workspace", n)
		}
	})
}

func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		u := newUser(t, st, "fay", false)
		other := newUser(t, st, "gus", false)
		now := time.Now()
		expires := now.Add(time.Hour)
		h := fakeHash("session one")

		if err := st.CreateSession(ctx, h, u.ID, expires); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateSession(ctx, h, other.ID, expires); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("same id twice: %v", err)
		}
		if err := st.CreateSession(ctx, fakeHash("x"), 999999, expires); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing user: %v", err)
		}
		if err := st.CreateSession(ctx, fakeHash("x"), u.ID, now.Add(-time.Second)); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("past expiry: %v", err)
		}
		for _, bad := range []string{"", "a b", "\xff"} {
			if err := st.CreateSession(ctx, bad, u.ID, expires); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("hash %q: %v", bad, err)
			}
			if _, _, err := st.SessionUser(ctx, bad, now); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("look up hash %q: %v", bad, err)
			}
		}

		got, exp, err := st.SessionUser(ctx, h, now)
		if err != nil || got != u || !exp.Equal(store.TruncateTime(expires)) {
			t.Fatalf("session user: %+v %v %v", got, exp, err)
		}
		if _, _, err := st.SessionUser(ctx, fakeHash("unknown"), now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown session: %v", err)
		}
		if _, _, err := st.SessionUser(ctx, h, expires); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("session at its expiry: %v", err)
		}
		if _, _, err := st.SessionUser(ctx, h, expires.Add(-time.Microsecond)); err != nil {
			t.Fatalf("session just before its expiry: %v", err)
		}

		if err := st.DeleteSession(ctx, h); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.SessionUser(ctx, h, now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted session: %v", err)
		}
		if err := st.DeleteSession(ctx, h); err != nil {
			t.Fatalf("logging out twice: %v", err)
		}

		// Log out everywhere: every session of the user, none of another's.
		for _, s := range []string{"a", "b"} {
			if err := st.CreateSession(ctx, fakeHash(s), u.ID, expires); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.CreateSession(ctx, fakeHash("c"), other.ID, expires); err != nil {
			t.Fatal(err)
		}
		if n, err := st.DeleteUserSessions(ctx, u.ID, "fay"); err != nil || n != 2 {
			t.Fatalf("log out everywhere: %d %v", n, err)
		}
		for _, s := range []string{"a", "b"} {
			if _, _, err := st.SessionUser(ctx, fakeHash(s), now); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("session %s survived: %v", s, err)
			}
		}
		if got, _, err := st.SessionUser(ctx, fakeHash("c"), now); err != nil || got.ID != other.ID {
			t.Fatalf("another user's session: %+v %v", got, err)
		}
		if n, err := st.DeleteUserSessions(ctx, u.ID, "fay"); err != nil || n != 0 {
			t.Fatalf("log out everywhere again: %d %v", n, err)
		}
		if _, err := st.DeleteUserSessions(ctx, 999999, "fay"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing user: %v", err)
		}
		var revokes []string
		for _, e := range allEvents(t, db) {
			if e.Action == "session.revoke_all" {
				revokes = append(revokes, fmt.Sprint(e.WorkspaceID, e.Actor, e.Subject, e.Detail))
			}
		}
		if want := []string{`0fayfay{"sessions_deleted":2}`, `0fayfay{"sessions_deleted":0}`}; !slices.Equal(revokes, want) {
			t.Fatalf("revoke events %q, want %q", revokes, want)
		}

		// Expired sessions are swept; live ones stay.
		if err := st.CreateSession(ctx, fakeHash("short"), u.ID, now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if n, err := st.DeleteExpiredSessions(ctx, now); err != nil || n != 0 {
			t.Fatalf("sweep before expiry: %d %v", n, err)
		}
		if n, err := st.DeleteExpiredSessions(ctx, now.Add(2*time.Minute)); err != nil || n != 1 {
			t.Fatalf("sweep: %d %v", n, err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM sessions`); n != 1 {
			t.Fatalf("%d sessions left, want gus's", n)
		}
	})
}

func TestSessionLastSeenThrottled(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		u := newUser(t, st, "hal", false)
		h := fakeHash("sid")
		if err := st.CreateSession(ctx, h, u.ID, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		lastSeen := func() int64 {
			var us int64
			if err := db.QueryRow(`SELECT last_seen_at FROM sessions WHERE id_hash = $1`, h).Scan(&us); err != nil {
				t.Fatal(err)
			}
			return us
		}
		t0 := time.UnixMicro(lastSeen())
		for _, step := range []struct {
			after time.Duration
			want  time.Duration // last_seen_at afterwards, from t0
		}{
			{30 * time.Second, 0},
			{59 * time.Second, 0},
			{61 * time.Second, 61 * time.Second},
			{90 * time.Second, 61 * time.Second},
			{121 * time.Second, 121 * time.Second},
		} {
			if _, _, err := st.SessionUser(ctx, h, t0.Add(step.after)); err != nil {
				t.Fatal(err)
			}
			if got, want := lastSeen(), t0.Add(step.want).UnixMicro(); got != want {
				t.Fatalf("seen at +%v: last_seen_at is t0%+v, want t0+%v", step.after, time.Duration(got-t0.UnixMicro())*time.Microsecond, step.want)
			}
		}
	})
}

// TestSessionAndTokenLookupsDoNotWrite checks that, between two updates of
// last_seen_at or last_used_at, resolving a session or a token only reads:
// it succeeds while another transaction holds the write lock.
func TestSessionAndTokenLookupsDoNotWrite(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		u := newUser(t, st, "pia", false)
		now := time.Now()
		if err := st.CreateSession(ctx, fakeHash("sid"), u.ID, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateAPIToken(ctx, model.APIToken{UserID: u.ID, Name: "t"}, fakeHash("tok"), "pia"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.APITokenUser(ctx, fakeHash("tok"), now); err != nil { // first use: written
			t.Fatal(err)
		}

		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		lock := `UPDATE users SET name = name WHERE id = -1` // SQLite: takes the database's write lock
		if st.Engine() == store.EnginePostgres {
			lock = `LOCK TABLE sessions, api_tokens IN EXCLUSIVE MODE` // lets plain reads through, no writes
		}
		if _, err := tx.Exec(lock); err != nil {
			t.Fatal(err)
		}
		// A write would wait for the lock until the deadline.
		short := func() context.Context {
			c, cancel := context.WithTimeout(ctx, 2*time.Second)
			t.Cleanup(cancel)
			return c
		}
		if _, _, err := st.SessionUser(short(), fakeHash("sid"), now.Add(30*time.Second)); err != nil {
			t.Errorf("session lookup within a minute of creation wrote: %v", err)
		}
		if _, _, err := st.APITokenUser(short(), fakeHash("tok"), now.Add(30*time.Second)); err != nil {
			t.Errorf("token lookup within a minute of its last use wrote: %v", err)
		}
	})
}

func TestAPITokenLifecycle(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		now := time.Now()
		velo := newWorkspace(t, st, "velo")
		banque := newWorkspace(t, st, "banque")
		u := newUser(t, st, "ivy", false)
		admin := newUser(t, st, "root", true)
		other := newUser(t, st, "jon", false)
		if err := st.SetMembership(ctx, u.ID, velo.ID, model.RoleCM, "root"); err != nil {
			t.Fatal(err)
		}
		if err := st.SetMembership(ctx, other.ID, banque.ID, model.RoleCM, "root"); err != nil {
			t.Fatal(err)
		}

		tok, err := st.CreateAPIToken(ctx, model.APIToken{UserID: u.ID, Name: "zapier", Workspaces: []int64{velo.ID, velo.ID}, CanWrite: true},
			fakeHash("secret-1"), "ivy")
		if err != nil {
			t.Fatal(err)
		}
		if tok.ID == 0 || tok.UserID != u.ID || !slices.Equal(tok.Workspaces, []int64{velo.ID}) || !tok.CanWrite ||
			tok.CreatedAt.IsZero() || tok.LastUsedAt != nil || tok.ExpiresAt != nil {
			t.Fatalf("created: %+v", tok)
		}
		all, err := st.CreateAPIToken(ctx, model.APIToken{UserID: u.ID, Name: "all mine, read-only"}, fakeHash("secret-2"), "ivy")
		if err != nil || len(all.Workspaces) != 0 || all.CanWrite {
			t.Fatalf("token for all workspaces: %+v %v", all, err)
		}

		refused := []struct {
			name string
			tok  model.APIToken
			hash string
			want error
		}{
			{"not a member", model.APIToken{UserID: u.ID, Name: "x", Workspaces: []int64{velo.ID, banque.ID}}, fakeHash("r1"), store.ErrInvalid},
			{"no such workspace", model.APIToken{UserID: u.ID, Name: "x", Workspaces: []int64{999999}}, fakeHash("r2"), store.ErrInvalid},
			{"admin, no such workspace", model.APIToken{UserID: admin.ID, Name: "x", Workspaces: []int64{999999}}, fakeHash("r3"), store.ErrInvalid},
			{"empty name", model.APIToken{UserID: u.ID}, fakeHash("r4"), store.ErrInvalid},
			{"blank name", model.APIToken{UserID: u.ID, Name: "  "}, fakeHash("r5"), store.ErrInvalid},
			{"long name", model.APIToken{UserID: u.ID, Name: strings.Repeat("n", 81)}, fakeHash("r6"), store.ErrInvalid},
			{"past expiry", model.APIToken{UserID: u.ID, Name: "x", ExpiresAt: ptr(now.Add(-time.Minute))}, fakeHash("r7"), store.ErrInvalid},
			{"no hash", model.APIToken{UserID: u.ID, Name: "x"}, "", store.ErrInvalid},
			{"raw bytes as hash", model.APIToken{UserID: u.ID, Name: "x"}, "\x00\x01", store.ErrInvalid},
			{"same secret", model.APIToken{UserID: other.ID, Name: "x"}, fakeHash("secret-1"), store.ErrConflict},
			{"no such user", model.APIToken{UserID: 999999, Name: "x"}, fakeHash("r8"), store.ErrNotFound},
		}
		for _, c := range refused {
			if _, err := st.CreateAPIToken(ctx, c.tok, c.hash, "ivy"); !errors.Is(err, c.want) {
				t.Errorf("%s: got %v, want %v", c.name, err, c.want)
			}
		}
		// An administrator may scope a token to any workspace.
		if _, err := st.CreateAPIToken(ctx, model.APIToken{UserID: admin.ID, Name: strings.Repeat("é", 80), Workspaces: []int64{banque.ID}},
			fakeHash("admin"), "root"); err != nil {
			t.Fatalf("admin token: %v", err)
		}

		gotUser, gotTok, err := st.APITokenUser(ctx, fakeHash("secret-1"), now)
		if err != nil || gotUser != u || gotTok.ID != tok.ID || gotTok.Name != "zapier" || !gotTok.CanWrite ||
			!slices.Equal(gotTok.Workspaces, []int64{velo.ID}) || !gotTok.CreatedAt.Equal(tok.CreatedAt) {
			t.Fatalf("token user: %+v %+v %v", gotUser, gotTok, err)
		}
		if _, _, err := st.APITokenUser(ctx, fakeHash("unknown"), now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown token: %v", err)
		}
		if _, _, err := st.APITokenUser(ctx, "not a hash", now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("malformed hash: %v", err)
		}

		// A token with an expiry resolves until then.
		expiring, err := st.CreateAPIToken(ctx, model.APIToken{UserID: u.ID, Name: "week", ExpiresAt: ptr(now.Add(7 * 24 * time.Hour))},
			fakeHash("secret-3"), "ivy")
		if err != nil || expiring.ExpiresAt == nil || !expiring.ExpiresAt.Equal(store.TruncateTime(now.Add(7*24*time.Hour))) {
			t.Fatalf("expiring token: %+v %v", expiring, err)
		}
		if _, _, err := st.APITokenUser(ctx, fakeHash("secret-3"), now.Add(6*24*time.Hour)); err != nil {
			t.Fatalf("before expiry: %v", err)
		}
		if _, _, err := st.APITokenUser(ctx, fakeHash("secret-3"), *expiring.ExpiresAt); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("at expiry: %v", err)
		}

		list, err := st.APITokens(ctx, u.ID)
		if err != nil || len(list) != 3 || list[0].ID != tok.ID || list[1].ID != all.ID || list[2].ID != expiring.ID {
			t.Fatalf("tokens: %+v %v", list, err)
		}
		if list, err := st.APITokens(ctx, other.ID); err != nil || len(list) != 0 {
			t.Fatalf("another user's tokens: %+v %v", list, err)
		}

		if err := st.RevokeAPIToken(ctx, other.ID, tok.ID, "jon"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoke someone else's token: %v", err)
		}
		if _, _, err := st.APITokenUser(ctx, fakeHash("secret-1"), now); err != nil {
			t.Fatalf("token after a refused revoke: %v", err)
		}
		if err := st.RevokeAPIToken(ctx, u.ID, tok.ID, "ivy"); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.APITokenUser(ctx, fakeHash("secret-1"), now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoked token: %v", err)
		}
		if err := st.RevokeAPIToken(ctx, u.ID, tok.ID, "ivy"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoke twice: %v", err)
		}
		if _, _, err := st.APITokenUser(ctx, fakeHash("secret-2"), now); err != nil {
			t.Fatalf("revoking one token touched another: %v", err)
		}

		var got []string
		for _, e := range allEvents(t, db) {
			if strings.HasPrefix(e.Action, "token.") {
				got = append(got, fmt.Sprint(e.WorkspaceID, " ", e.Action, " ", e.Subject))
			}
		}
		want := []string{"0 token.create ivy", "0 token.create ivy", "0 token.create root", "0 token.create ivy", "0 token.revoke ivy"}
		if !slices.Equal(got, want) {
			t.Fatalf("token events %q, want %q", got, want)
		}
	})
}

func TestAPITokenLastUsedThrottled(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		u := newUser(t, st, "kim", false)
		if _, err := st.CreateAPIToken(ctx, model.APIToken{UserID: u.ID, Name: "t"}, fakeHash("k"), "kim"); err != nil {
			t.Fatal(err)
		}
		t0 := store.TruncateTime(time.Now())
		for _, step := range []struct {
			after time.Duration
			want  time.Duration // last use afterwards, from t0
		}{
			{0, 0},
			{30 * time.Second, 0},
			{59 * time.Second, 0},
			{61 * time.Second, 61 * time.Second},
			{100 * time.Second, 61 * time.Second},
			{3 * time.Minute, 3 * time.Minute},
		} {
			_, tok, err := st.APITokenUser(ctx, fakeHash("k"), t0.Add(step.after))
			if err != nil {
				t.Fatal(err)
			}
			want := t0.Add(step.want)
			if tok.LastUsedAt == nil || !tok.LastUsedAt.Equal(want) {
				t.Fatalf("used at +%v: returned last use %v, want %v", step.after, tok.LastUsedAt, want)
			}
			list, err := st.APITokens(ctx, u.ID)
			if err != nil || len(list) != 1 || list[0].LastUsedAt == nil || !list[0].LastUsedAt.Equal(want) {
				t.Fatalf("used at +%v: stored last use %+v, want %v (%v)", step.after, list, want, err)
			}
		}
	})
}

func TestAccountEventsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		w := newWorkspace(t, st, "velo")
		secrets := map[string]string{} // hash → what it stands for
		hash := func(what string) string {
			h := fakeHash(what)
			secrets[h] = what
			return h
		}
		u, err := st.CreateUser(ctx, model.User{Login: "lea", Name: "Léa"}, hash("password"), "cli")
		if err != nil {
			t.Fatal(err)
		}
		steps := []error{
			st.SetPasswordHash(ctx, u.ID, hash("password 2"), "lea"),
			st.SetMembership(ctx, u.ID, w.ID, model.RoleOwner, "cli"),
			st.CreateSession(ctx, hash("session"), u.ID, time.Now().Add(time.Hour)),
		}
		tok, err := st.CreateAPIToken(ctx, model.APIToken{UserID: u.ID, Name: "ci", Workspaces: []int64{w.ID}}, hash("token"), "lea")
		steps = append(steps, err)
		_, err = st.DeleteUserSessions(ctx, u.ID, "lea")
		steps = append(steps, err,
			st.RevokeAPIToken(ctx, u.ID, tok.ID, "lea"),
			st.SetUserDisabled(ctx, u.ID, true, "cli"),
			st.DeleteMembership(ctx, u.ID, w.ID, "cli"))
		for i, err := range steps {
			if err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}

		var actions []string
		for _, e := range allEvents(t, db) {
			actions = append(actions, e.Action)
			if e.Subject != "lea" {
				t.Errorf("%s: subject %q, want the login", e.Action, e.Subject)
			}
			if !json.Valid([]byte(e.Detail)) {
				t.Errorf("%s: detail is not JSON: %s", e.Action, e.Detail)
			}
			wantWS := int64(0)
			if strings.HasPrefix(e.Action, "membership.") {
				wantWS = w.ID
			}
			if e.WorkspaceID != wantWS {
				t.Errorf("%s: workspace %d, want %d", e.Action, e.WorkspaceID, wantWS)
			}
			line := e.Actor + e.Action + e.Subject + e.Detail
			for h, what := range secrets {
				if strings.Contains(line, h) || strings.Contains(line, h[:16]) {
					t.Errorf("%s: the hash of the %s is in the audit log: %s", e.Action, what, e.Detail)
				}
			}
		}
		want := []string{"user.create", "user.update", "membership.set", "token.create", "session.revoke_all",
			"token.revoke", "user.update", "membership.delete"}
		if !slices.Equal(actions, want) {
			t.Fatalf("actions %v, want %v", actions, want)
		}
	})
}

func TestUserDeleteCascades(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		now := time.Now()
		w := newWorkspace(t, st, "velo")
		kept := newUser(t, st, "ned", false)
		gone := newUser(t, st, "max", false) // the latest id, which SQLite would reuse without AUTOINCREMENT
		for _, u := range []model.User{gone, kept} {
			if err := st.SetMembership(ctx, u.ID, w.ID, model.RoleCM, "test"); err != nil {
				t.Fatal(err)
			}
			if err := st.CreateSession(ctx, fakeHash("s-"+u.Login), u.ID, now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if _, err := st.CreateAPIToken(ctx, model.APIToken{UserID: u.ID, Name: "t"}, fakeHash("t-"+u.Login), "test"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.Exec(`DELETE FROM users WHERE id = $1`, gone.ID); err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"memberships", "sessions", "api_tokens"} {
			if n := countRows(t, db, `SELECT COUNT(*) FROM `+table+` WHERE user_id = $1`, gone.ID); n != 0 {
				t.Errorf("%d %s of a deleted user", n, table)
			}
			if n := countRows(t, db, `SELECT COUNT(*) FROM `+table+` WHERE user_id = $1`, kept.ID); n != 1 {
				t.Errorf("%d %s of the other user, want 1", n, table)
			}
		}
		if _, _, err := st.SessionUser(ctx, fakeHash("s-max"), now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("session of a deleted user: %v", err)
		}
		if _, _, err := st.APITokenUser(ctx, fakeHash("t-max"), now); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("token of a deleted user: %v", err)
		}
		members, err := st.WorkspaceMembers(ctx, w.ID)
		if err != nil || len(members) != 1 || members[0].UserID != kept.ID {
			t.Fatalf("members after deleting max: %+v %v", members, err)
		}
		// A new user never takes the deleted one's id.
		if u := newUser(t, st, "oz", false); u.ID == gone.ID {
			t.Fatalf("new user reuses id %d", u.ID)
		}
	})
}

func ptr[T any](v T) *T { return &v }
