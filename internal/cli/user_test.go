package cli_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"palabre/internal/auth"
	"palabre/internal/cli"
	"palabre/internal/model"
	"palabre/internal/store"
)

// Every password hashed here costs tens of milliseconds (ten times that
// under -race), so users whose password does not matter are made directly
// in the store with placeholderHash, and each test hashes a few at most.
const placeholderHash = "$argon2id$placeholder"

var (
	shownPassword = regexp.MustCompile(`(?m)^password: (\S+)$`)
	shownToken    = regexp.MustCompile(`plb_[A-Za-z0-9_-]+`)
)

// forEngines runs fn as a parallel subtest on a fresh database of each
// engine holding the named workspaces.
func forEngines(t *testing.T, fn func(t *testing.T, engine, dsn string), slugs ...string) {
	t.Helper()
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			fn(t, engine, newWorkspaces(t, engine, slugs...))
		})
	}
}

// palabreOn returns a function that runs "palabre CMD SUB --db dsn ARGS…"
// in-process as the shell user "tester", fails the test unless the exit
// code is want, and returns stdout and stderr.
func palabreOn(t *testing.T, dsn string) func(want int, stdin string, args ...string) (string, string) {
	return func(want int, stdin string, args ...string) (string, string) {
		t.Helper()
		full := append(append(slices.Clone(args[:2]), "--db", dsn), args[2:]...)
		var out, errb bytes.Buffer
		code := cli.Main(context.Background(), full, cli.Env{
			Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
			Getenv: func(k string) string {
				if k == "USER" {
					return "tester"
				}
				return ""
			},
		})
		if code != want {
			t.Fatalf("palabre %q: exit %d, want %d\nstdout: %s\nstderr: %s", args, code, want, out.String(), errb.String())
		}
		return out.String(), errb.String()
	}
}

// storedHash returns the password hash of an enabled user.
func storedHash(t *testing.T, st *store.Store, login string) string {
	t.Helper()
	_, hash, err := st.UserCredentials(context.Background(), login)
	if err != nil {
		t.Fatalf("credentials of %s: %v", login, err)
	}
	return hash
}

// checkPassword fails the test unless password verifies against login's
// stored hash exactly when want.
func checkPassword(t *testing.T, st *store.Store, login, password string, want bool) {
	t.Helper()
	ok, _, err := auth.VerifyPassword(storedHash(t, st, login), password)
	if err != nil || ok != want {
		t.Fatalf("password %q of %s: verifies %t (%v), want %t", password, login, ok, err, want)
	}
}

func addUser(t *testing.T, st *store.Store, login string, admin bool) model.User {
	t.Helper()
	u, err := st.CreateUser(context.Background(), model.User{Login: login, IsAdmin: admin}, placeholderHash, "test")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func workspaceID(t *testing.T, st *store.Store, slug string) int64 {
	t.Helper()
	ws, err := st.WorkspaceBySlug(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return ws.ID
}

type listedUser struct {
	model.User
	Memberships []model.Membership `json:"memberships"`
}

func listUsers(t *testing.T, palabre func(int, string, ...string) (string, string)) map[string]listedUser {
	t.Helper()
	out, _ := palabre(0, "", "user", "list", "--json")
	var got struct{ Users []listedUser }
	if err := json.Unmarshal([]byte(out), &got); err != nil || got.Users == nil {
		t.Fatalf("user list --json printed %q: %v", out, err)
	}
	byLogin := map[string]listedUser{}
	for _, u := range got.Users {
		byLogin[u.Login] = u
	}
	return byLogin
}

func roles(ms []model.Membership) string {
	var s []string
	for _, m := range ms {
		s = append(s, m.Workspace+":"+m.Role)
	}
	return strings.Join(s, " ")
}

// newSessions stores n sessions of the user and returns their id hashes.
func newSessions(t *testing.T, st *store.Store, userID int64, n int) []string {
	t.Helper()
	var hashes []string
	for range n {
		id, err := auth.NewSecret()
		if err != nil {
			t.Fatal(err)
		}
		h := auth.HashSecret(id)
		if err := st.CreateSession(context.Background(), h, userID, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, h)
	}
	return hashes
}

func checkSessionsClosed(t *testing.T, st *store.Store, hashes []string) {
	t.Helper()
	for _, h := range hashes {
		if _, _, err := st.SessionUser(context.Background(), h, time.Now()); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("session %.8s… still open: %v", h, err)
		}
	}
}

func TestUserAddCommand(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, engine, dsn string) {
		ctx := context.Background()
		palabre := palabreOn(t, dsn)
		st := openStore(t, dsn)

		// A generated password is printed once and is the one stored.
		out, _ := palabre(0, "", "user", "add", "Lea")
		m := shownPassword.FindStringSubmatch(out)
		if !strings.HasPrefix(out, "user lea created\n") || m == nil {
			t.Fatalf("add with a generated password printed %q", out)
		}
		generated := m[1]
		if len(generated) < 16 || strings.Count(out, generated) != 1 {
			t.Fatalf("generated password %q shown %d times in %q", generated, strings.Count(out, generated), out)
		}
		checkPassword(t, st, "LEA", generated, true)

		// --password-file - reads standard input's first line only.
		out, _ = palabre(0, "correct horse battery\nsecond line\n", "user", "add", "ana", "--password-file", "-")
		if out != "user ana created\n" {
			t.Fatalf("add --password-file -: %q", out)
		}
		checkPassword(t, st, "ana", "correct horse battery", true)

		// --password-file FILE, with a Windows line end.
		file := writeFile(t, "pw.txt", "phrase de passe du fichier\r\nignored\n")
		palabre(0, "", "user", "add", "--password-file", file, "marc")
		checkPassword(t, st, "marc", "phrase de passe du fichier", true)

		// Nothing is created when the password or the login is refused.
		absent := func(login string) {
			t.Helper()
			if _, err := st.UserByLogin(ctx, login); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("user %q exists after a refusal: %v", login, err)
			}
		}
		_, errOut := palabre(cli.ExitUsage, "short\n", "user", "add", "weak", "--password-file", "-")
		if !strings.Contains(errOut, "shorter than 10 characters") {
			t.Fatalf("weak password: %s", errOut)
		}
		absent("weak")
		palabre(cli.ExitUsage, "", "user", "add", "empty", "--password-file", "-")
		absent("empty")
		_, errOut = palabre(cli.ExitFailure, "", "user", "add", "nofile", "--password-file", filepath.Join(t.TempDir(), "absent"))
		if !strings.Contains(errOut, "--password-file") {
			t.Fatalf("missing password file: %s", errOut)
		}
		absent("nofile")
		out, errOut = palabre(cli.ExitUsage, "", "user", "add", "bad login")
		if !strings.Contains(errOut, "only letters a-z, digits and . _ - @") || strings.Contains(out, "password") {
			t.Fatalf("bad login: stdout %q, stderr %q", out, errOut)
		}
		absent("bad login")
		palabre(cli.ExitUsage, "", "user", "add", strings.Repeat("x", 65))

		// A login is taken whatever its letter case, and the first user keeps
		// their password.
		before := storedHash(t, st, "ana")
		out, errOut = palabre(cli.ExitFailure, "another password\n", "user", "add", "ANA", "--password-file", "-")
		if out != "" || !strings.Contains(errOut, `palabre user: create user "ana": already exists`) {
			t.Fatalf("duplicate login: stdout %q, stderr %q", out, errOut)
		}
		if storedHash(t, st, "ana") != before {
			t.Fatal("a refused duplicate changed the first user's password")
		}

		// Flags after the login; --json shows the generated password, never
		// the hash.
		out, _ = palabre(0, "", "user", "add", "boss", "--admin", "--name", "Big Boss", "--json")
		var created map[string]any
		if err := json.Unmarshal([]byte(out), &created); err != nil {
			t.Fatalf("add --json printed %q: %v", out, err)
		}
		pw, _ := created["password"].(string)
		if created["login"] != "boss" || created["name"] != "Big Boss" || created["is_admin"] != true ||
			created["disabled"] != false || created["id"] == nil || len(pw) < 16 {
			t.Fatalf("add --json: %s", out)
		}
		hash := storedHash(t, st, "boss")
		key := hash[strings.LastIndexByte(hash, '$')+1:]
		if strings.Contains(out, hash) || strings.Contains(out, key) || strings.Contains(out, "argon2") {
			t.Fatalf("add --json shows the hash: %s", out)
		}
		out, _ = palabre(0, "chosen password\n", "user", "add", "--json", "eve", "--password-file", "-")
		created = nil // Unmarshal would merge into the map above
		if err := json.Unmarshal([]byte(out), &created); err != nil || created["login"] != "eve" || created["is_admin"] != false {
			t.Fatalf("add --json --password-file: %s (%v)", out, err)
		}
		if _, ok := created["password"]; ok || strings.Contains(out, "chosen password") {
			t.Fatalf("add --json shows a password it did not generate: %s", out)
		}

		out, _ = palabre(0, "", "user", "list")
		want := [][]string{
			{"LOGIN", "NAME", "ADMIN", "DISABLED", "ROLES"},
			{"ana", "ana", "false", "false"},
			{"boss", "Big", "Boss", "true", "false"},
			{"eve", "eve", "false", "false"},
			{"lea", "lea", "false", "false"},
			{"marc", "marc", "false", "false"},
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != len(want) {
			t.Fatalf("user list:\n%s", out)
		}
		for i, line := range lines {
			if !slices.Equal(strings.Fields(line), want[i]) {
				t.Fatalf("user list line %d is %q, want %q", i, line, want[i])
			}
		}
	}, "banque")
}

func TestUserGrantRevokeCommands(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, engine, dsn string) {
		palabre := palabreOn(t, dsn)
		st := openStore(t, dsn)
		if out, _ := palabre(0, "", "user", "list", "--json"); out != "{\"users\":[]}\n" {
			t.Fatalf("list of no users: %q", out)
		}
		addUser(t, st, "ana", false)
		addUser(t, st, "zoe", true)

		if out, _ := palabre(0, "", "user", "grant", "Ana", "--workspace", "banque", "--role", "cm"); out != "ana is cm in banque\n" {
			t.Fatalf("grant: %q", out)
		}
		palabre(0, "", "user", "grant", "--role", "client", "ana", "--workspace", "beaute")
		users := listUsers(t, palabre)
		if len(users) != 2 || roles(users["ana"].Memberships) != "banque:cm beaute:client" ||
			users["zoe"].Memberships == nil || len(users["zoe"].Memberships) != 0 || !users["zoe"].IsAdmin {
			t.Fatalf("list after grants: %+v", users)
		}
		if m := users["ana"].Memberships[0]; m.UserID != users["ana"].ID || m.WorkspaceID != workspaceID(t, st, "banque") {
			t.Fatalf("membership: %+v", m)
		}
		out, _ := palabre(0, "", "user", "list")
		if !strings.Contains(out, "banque:cm beaute:client\n") {
			t.Fatalf("user list table:\n%s", out)
		}

		// A new grant replaces the role.
		palabre(0, "", "user", "grant", "ana", "--workspace", "banque", "--role", "manager")
		if got := roles(listUsers(t, palabre)["ana"].Memberships); got != "banque:manager beaute:client" {
			t.Fatalf("after a second grant: %s", got)
		}

		for _, c := range []struct {
			code   int
			args   []string
			stderr string
		}{
			{cli.ExitFailure, []string{"user", "grant", "ana", "--workspace", "nope", "--role", "cm"}, `workspace "nope": not found`},
			{cli.ExitFailure, []string{"user", "grant", "nobody", "--workspace", "banque", "--role", "cm"}, `user "nobody": not found`},
			{cli.ExitUsage, []string{"user", "grant", "ana", "--workspace", "banque", "--role", "boss"}, `--role "boss": want owner, manager, cm, expert or client`},
			{cli.ExitUsage, []string{"user", "grant", "ana", "--workspace", "banque", "--role", "CM"}, `--role "CM"`},
			{cli.ExitUsage, []string{"user", "grant", "ana", "--workspace", "banque"}, "grant needs --workspace and --role"},
			{cli.ExitUsage, []string{"user", "grant", "ana", "--role", "cm"}, "grant needs --workspace and --role"},
			{cli.ExitUsage, []string{"user", "revoke", "ana"}, "revoke needs --workspace"},
			{cli.ExitFailure, []string{"user", "revoke", "ana", "--workspace", "nope"}, `workspace "nope": not found`},
			{cli.ExitFailure, []string{"user", "revoke", "nobody", "--workspace", "banque"}, `user "nobody": not found`},
			{cli.ExitFailure, []string{"user", "revoke", "zoe", "--workspace", "banque"}, "not found"},
		} {
			if _, errOut := palabre(c.code, "", c.args...); !strings.Contains(errOut, c.stderr) {
				t.Errorf("palabre %q: stderr %q, want %q", c.args, errOut, c.stderr)
			}
		}
		if got := roles(listUsers(t, palabre)["ana"].Memberships); got != "banque:manager beaute:client" {
			t.Fatalf("refused commands changed roles: %s", got)
		}

		if out, _ := palabre(0, "", "user", "revoke", "ana", "--workspace", "beaute"); out != "ana has no role in beaute any more\n" {
			t.Fatalf("revoke: %q", out)
		}
		if got := roles(listUsers(t, palabre)["ana"].Memberships); got != "banque:manager" {
			t.Fatalf("after revoke: %s", got)
		}
		palabre(cli.ExitFailure, "", "user", "revoke", "ana", "--workspace", "beaute")

		events, err := st.Events(context.Background(), workspaceID(t, st, "beaute"), 10)
		if err != nil || len(events) != 2 || events[0].Action != "membership.delete" || events[0].Actor != "cli:tester" ||
			events[0].Subject != "ana" || events[1].Action != "membership.set" {
			t.Fatalf("audit log of beaute: %+v %v", events, err)
		}
	}, "banque", "beaute")
}

func TestUserPasswdDisableLogoutCommands(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, engine, dsn string) {
		ctx := context.Background()
		palabre := palabreOn(t, dsn)
		st := openStore(t, dsn)
		palabre(0, "old password 123\n", "user", "add", "lea", "--password-file", "-")
		lea, err := st.UserByLogin(ctx, "lea")
		if err != nil {
			t.Fatal(err)
		}
		other := addUser(t, st, "other", false)
		otherSessions := newSessions(t, st, other.ID, 1)

		// passwd changes the hash and closes the user's sessions, no one else's.
		sessions := newSessions(t, st, lea.ID, 2)
		out, _ := palabre(0, "new password 456\n", "user", "passwd", "LEA", "--password-file", "-")
		if out != "password of lea changed; 2 sessions closed\n" {
			t.Fatalf("passwd: %q", out)
		}
		checkPassword(t, st, "lea", "old password 123", false)
		checkPassword(t, st, "lea", "new password 456", true)
		checkSessionsClosed(t, st, sessions)
		if u, _, err := st.SessionUser(ctx, otherSessions[0], time.Now()); err != nil || u.ID != other.ID {
			t.Fatalf("passwd of lea closed another user's session: %v", err)
		}

		// Without --password-file, a new password is generated and shown.
		out, _ = palabre(0, "", "user", "passwd", "lea")
		m := shownPassword.FindStringSubmatch(out)
		if !strings.HasPrefix(out, "password of lea changed; 0 sessions closed\n") || m == nil {
			t.Fatalf("passwd with a generated password: %q", out)
		}
		checkPassword(t, st, "lea", m[1], true)

		// Refusals change nothing.
		before := storedHash(t, st, "lea")
		if _, errOut := palabre(cli.ExitUsage, "too short\n", "user", "passwd", "lea", "--password-file", "-"); !strings.Contains(errOut, "password refused") {
			t.Fatalf("weak passwd: %s", errOut)
		}
		palabre(cli.ExitFailure, "long enough password\n", "user", "passwd", "nobody", "--password-file", "-")
		if storedHash(t, st, "lea") != before {
			t.Fatal("a refused passwd changed the hash")
		}

		// disable closes sessions and stops sign-in and tokens; enable
		// restores sign-in and tokens with the same password.
		out, _ = palabre(0, "", "token", "create", "lea", "--name", "ci")
		token := shownToken.FindString(out)
		sessions = newSessions(t, st, lea.ID, 1)
		if out, _ := palabre(0, "", "user", "disable", "lea"); !strings.HasPrefix(out, "user lea disabled") {
			t.Fatalf("disable: %q", out)
		}
		if _, _, err := st.UserCredentials(ctx, "lea"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("credentials of a disabled user: %v", err)
		}
		checkSessionsClosed(t, st, sessions)
		if _, _, err := st.APITokenUser(ctx, auth.HashSecret(token), time.Now()); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("token of a disabled user: %v", err)
		}
		if err := st.CreateSession(ctx, auth.HashSecret("new"), lea.ID, time.Now().Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("session for a disabled user: %v", err)
		}
		if _, errOut := palabre(cli.ExitUsage, "", "token", "create", "lea", "--name", "late"); !strings.Contains(errOut, "disabled") {
			t.Fatalf("token for a disabled user: %s", errOut)
		}
		if u := listUsers(t, palabre)["lea"]; !u.Disabled {
			t.Fatalf("list shows lea enabled: %+v", u)
		}
		if out, _ := palabre(0, "", "user", "enable", "lea"); out != "user lea enabled\n" {
			t.Fatalf("enable: %q", out)
		}
		if storedHash(t, st, "lea") != before {
			t.Fatal("disable and enable changed the hash")
		}
		if u, _, err := st.APITokenUser(ctx, auth.HashSecret(token), time.Now()); err != nil || u.ID != lea.ID {
			t.Fatalf("token after enable: %v", err)
		}

		// logout closes every session of the user and says how many.
		sessions = newSessions(t, st, lea.ID, 3)
		if out, _ := palabre(0, "", "user", "logout", "lea"); out != "3 sessions of lea closed\n" {
			t.Fatalf("logout: %q", out)
		}
		checkSessionsClosed(t, st, sessions)
		if out, _ := palabre(0, "", "user", "logout", "lea"); out != "0 sessions of lea closed\n" {
			t.Fatalf("second logout: %q", out)
		}
		if _, _, err := st.SessionUser(ctx, otherSessions[0], time.Now()); err != nil {
			t.Fatalf("logout of lea closed another user's session: %v", err)
		}
		for _, sub := range []string{"disable", "enable", "logout"} {
			if _, errOut := palabre(cli.ExitFailure, "", "user", sub, "nobody"); !strings.Contains(errOut, `user "nobody": not found`) {
				t.Errorf("%s of an unknown user: %s", sub, errOut)
			}
		}
	}, "banque")
}

func TestTokenCommands(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, engine, dsn string) {
		ctx := context.Background()
		palabre := palabreOn(t, dsn)
		st := openStore(t, dsn)
		ana := addUser(t, st, "ana", false)
		boss := addUser(t, st, "boss", true)
		banque, beaute := workspaceID(t, st, "banque"), workspaceID(t, st, "beaute")
		if err := st.SetMembership(ctx, ana.ID, banque, model.RoleCM, "test"); err != nil {
			t.Fatal(err)
		}
		resolve := func(token string, at time.Time) (model.User, model.APIToken, error) {
			return st.APITokenUser(ctx, auth.HashSecret(token), at)
		}

		// A token scoped to a workspace, allowed to write, shown once.
		out, _ := palabre(0, "", "token", "create", "ana", "--name", "ci", "--workspace", "banque", "--write")
		scoped := shownToken.FindString(out)
		if !auth.IsAPIToken(scoped) || strings.Count(out, scoped) != 1 || !strings.HasPrefix(out, "token ") ||
			!strings.Contains(out, " (ci) for ana:\n") || !strings.HasSuffix(out, "\n(shown once)\n") {
			t.Fatalf("token create printed %q", out)
		}
		u, tok, err := resolve(scoped, time.Now())
		if err != nil || u.ID != ana.ID || tok.Name != "ci" || !tok.CanWrite || !slices.Equal(tok.Workspaces, []int64{banque}) || tok.ExpiresAt != nil {
			t.Fatalf("scoped token resolves to %+v %+v %v", u, tok, err)
		}
		scopedID := tok.ID

		// A read-only token for all the user's workspaces, expiring in an hour.
		before := time.Now()
		out, _ = palabre(0, "", "token", "create", "ana", "--name", "lecture", "--expires", "1h", "--json")
		after := time.Now()
		var created struct {
			model.APIToken
			Token string `json:"token"`
		}
		if err := json.Unmarshal([]byte(out), &created); err != nil || !auth.IsAPIToken(created.Token) ||
			created.ExpiresAt == nil || created.UserID != ana.ID || created.CanWrite || len(created.Workspaces) != 0 {
			t.Fatalf("token create --json printed %q: %v", out, err)
		}
		if strings.Contains(out, auth.HashSecret(created.Token)) {
			t.Fatalf("token create --json shows the hash: %s", out)
		}
		u, tok, err = resolve(created.Token, time.Now())
		if err != nil || u.ID != ana.ID || tok.ID != created.ID || tok.CanWrite || len(tok.Workspaces) != 0 || tok.ExpiresAt == nil ||
			tok.ExpiresAt.Before(before.Add(time.Hour-time.Millisecond)) || tok.ExpiresAt.After(after.Add(time.Hour)) {
			t.Fatalf("expiring token resolves to %+v %+v %v", u, tok, err)
		}
		if _, _, err := resolve(created.Token, time.Now().Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("token resolves after its expiry: %v", err)
		}

		// Refusals store nothing.
		for _, c := range []struct {
			code   int
			args   []string
			stderr string
		}{
			{cli.ExitUsage, []string{"token", "create", "ana"}, "token create needs --name"},
			{cli.ExitUsage, []string{"token", "create", "ana", "--name", "x", "--workspace", "beaute"}, `user "ana" has no access to workspace`},
			{cli.ExitUsage, []string{"token", "create", "ana", "--name", "x", "--expires", "-1h"}, "--expires"},
			{cli.ExitUsage, []string{"token", "create", "ana", "--name", "x", "--expires", "soon"}, "invalid value"},
			{cli.ExitUsage, []string{"token", "create", "ana", "--name", strings.Repeat("n", 81)}, "token name must have 1 to 80"},
			{cli.ExitFailure, []string{"token", "create", "ana", "--name", "x", "--workspace", "nope"}, `workspace "nope": not found`},
			{cli.ExitFailure, []string{"token", "create", "nobody", "--name", "x"}, `user "nobody": not found`},
		} {
			if out, errOut := palabre(c.code, "", c.args...); !strings.Contains(errOut, c.stderr) || strings.Contains(out, "plb_") {
				t.Errorf("palabre %q: stdout %q, stderr %q, want %q", c.args, out, errOut, c.stderr)
			}
		}

		// An administrator may scope a token to any workspace.
		out, _ = palabre(0, "", "token", "create", "boss", "--workspace", "beaute", "--name", "admin")
		bossToken := shownToken.FindString(out)
		u, tok, err = resolve(bossToken, time.Now())
		if err != nil || u.ID != boss.ID || !slices.Equal(tok.Workspaces, []int64{beaute}) {
			t.Fatalf("admin token resolves to %+v %+v %v", u, tok, err)
		}
		bossID := tok.ID

		out, _ = palabre(0, "", "token", "list", "ana")
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		today := time.Now().Format(time.DateOnly)
		if len(lines) != 3 || !slices.Equal(strings.Fields(lines[0]), []string{"ID", "NAME", "WRITE", "WORKSPACES", "CREATED", "LAST", "USED", "EXPIRES"}) ||
			!slices.Equal(strings.Fields(lines[1])[:5], []string{strconv.FormatInt(scopedID, 10), "ci", "true", "banque", today}) ||
			strings.Fields(lines[1])[6] != "never" ||
			!slices.Equal(strings.Fields(lines[2])[1:4], []string{"lecture", "false", "all"}) ||
			strings.Fields(lines[2])[6] == "never" {
			t.Fatalf("token list:\n%s", out)
		}
		out, _ = palabre(0, "", "token", "list", "--json", "ana")
		var listed struct{ Tokens []model.APIToken }
		if err := json.Unmarshal([]byte(out), &listed); err != nil || len(listed.Tokens) != 2 ||
			listed.Tokens[0].ID != scopedID || listed.Tokens[1].ID != created.ID || listed.Tokens[0].LastUsedAt == nil {
			t.Fatalf("token list --json printed %q: %v", out, err)
		}
		if strings.Contains(out, "plb_") || strings.Contains(out, auth.HashSecret(scoped)) {
			t.Fatalf("token list --json shows a secret: %s", out)
		}
		if _, errOut := palabre(cli.ExitFailure, "", "token", "list", "nobody"); !strings.Contains(errOut, `user "nobody": not found`) {
			t.Fatalf("token list of an unknown user: %s", errOut)
		}

		// A user revokes only their own tokens.
		if _, errOut := palabre(cli.ExitFailure, "", "token", "revoke", "ana", strconv.FormatInt(bossID, 10)); !strings.Contains(errOut, "not found") {
			t.Fatalf("revoking another user's token: %s", errOut)
		}
		if _, _, err := resolve(bossToken, time.Now()); err != nil {
			t.Fatalf("another user's revoke removed boss's token: %v", err)
		}
		if out, _ := palabre(0, "", "token", "revoke", "ana", strconv.FormatInt(scopedID, 10)); out != "token "+strconv.FormatInt(scopedID, 10)+" of ana revoked\n" {
			t.Fatalf("revoke: %q", out)
		}
		if _, _, err := resolve(scoped, time.Now()); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("revoked token still resolves: %v", err)
		}
		if _, _, err := resolve(created.Token, time.Now()); err != nil {
			t.Fatalf("revoke removed the other token: %v", err)
		}
		palabre(cli.ExitFailure, "", "token", "revoke", "ana", strconv.FormatInt(scopedID, 10))
		palabre(cli.ExitUsage, "", "token", "revoke", "ana", "abc")
		palabre(cli.ExitUsage, "", "token", "revoke", "ana", "0")
		if out, _ := palabre(0, "", "token", "list", "ana", "--json"); strings.Count(out, `"id":`) != 1 {
			t.Fatalf("after revoke: %s", out)
		}
		addUser(t, st, "none", false)
		if out, _ := palabre(0, "", "token", "list", "none", "--json"); out != "{\"tokens\":[]}\n" {
			t.Fatalf("list of no tokens: %q", out)
		}
	}, "banque", "beaute")
}

// auditLog reads every line of the audit log, those of no workspace too,
// which the store does not list.
func auditLog(t *testing.T, engine, dsn string) []model.Event {
	t.Helper()
	driver := "pgx"
	if engine == store.EngineSQLite {
		driver, dsn = "sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT actor, action, subject, detail FROM events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []model.Event
	for rows.Next() {
		var e model.Event
		if err := rows.Scan(&e.Actor, &e.Action, &e.Subject, &e.Detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestUserAndTokenAuditHoldsNoSecrets(t *testing.T) {
	t.Parallel()
	forEngines(t, func(t *testing.T, engine, dsn string) {
		palabre := palabreOn(t, dsn)
		st := openStore(t, dsn)
		secrets := map[string]string{} // secret → what it is
		keep := func(what, secret string) {
			t.Helper()
			if len(secret) < 16 {
				t.Fatalf("%s: %q is too short to look for", what, secret)
			}
			secrets[secret] = what
			if i := strings.LastIndexByte(secret, '$'); i >= 0 {
				secrets[secret[i+1:]] = what + " (key)"
			}
		}

		out, _ := palabre(0, "", "user", "add", "lea", "--name", "Léa")
		keep("generated password", shownPassword.FindStringSubmatch(out)[1])
		keep("first hash", storedHash(t, st, "lea"))
		palabre(0, "password from stdin\n", "user", "passwd", "lea", "--password-file", "-")
		keep("new password", "password from stdin")
		keep("new hash", storedHash(t, st, "lea"))
		palabre(0, "", "user", "grant", "lea", "--workspace", "banque", "--role", "owner")
		out, _ = palabre(0, "", "token", "create", "lea", "--name", "ci", "--workspace", "banque", "--write")
		token := shownToken.FindString(out)
		keep("token", token)
		keep("token hash", auth.HashSecret(token))
		_, tok, err := st.APITokenUser(context.Background(), auth.HashSecret(token), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		palabre(0, "", "token", "revoke", "lea", strconv.FormatInt(tok.ID, 10))
		palabre(0, "", "user", "logout", "lea")
		palabre(0, "", "user", "disable", "lea")
		palabre(0, "", "user", "enable", "lea")
		palabre(0, "", "user", "revoke", "lea", "--workspace", "banque")

		var actions []string
		for _, e := range auditLog(t, engine, dsn) {
			actions = append(actions, e.Action)
			if e.Actor != "cli:tester" || e.Subject != "lea" || !json.Valid([]byte(e.Detail)) {
				t.Errorf("event %+v: want actor cli:tester, subject lea, JSON detail", e)
			}
			for secret, what := range secrets {
				if strings.Contains(e.Subject+" "+e.Detail, secret) {
					t.Errorf("%s: the %s is in the audit log: %s %s", e.Action, what, e.Subject, e.Detail)
				}
			}
		}
		want := []string{"user.create", "user.update", "session.revoke_all", "membership.set", "token.create",
			"token.revoke", "session.revoke_all", "user.update", "user.update", "membership.delete"}
		if !slices.Equal(actions, want) {
			t.Fatalf("audit log actions %v, want %v", actions, want)
		}
	}, "banque")
}

func TestUserCommandLine(t *testing.T) {
	t.Parallel()
	dsn := newWorkspaces(t, store.EngineSQLite, "w")
	addUser(t, openStore(t, dsn), "ana", false)
	missing := filepath.Join(t.TempDir(), "never.db")
	cases := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"user"}, cli.ExitUsage, "user needs a subcommand"},
		{[]string{"user", "-h"}, cli.ExitOK, "palabre user grant   LOGIN --workspace SLUG"},
		{[]string{"user", "help"}, cli.ExitOK, "palabre user add"},
		{[]string{"user", "frobnicate"}, cli.ExitUsage, `unknown subcommand "frobnicate"`},
		{[]string{"user", "add", "-h"}, cli.ExitOK, "-password-file"},
		{[]string{"user", "add", "ana", "-h"}, cli.ExitOK, "-admin"},
		{[]string{"user", "add", "--db", dsn}, cli.ExitUsage, "user add takes 1 argument(s), got 0"},
		{[]string{"user", "add", "--db", dsn, "a", "b"}, cli.ExitUsage, "user add takes 1 argument(s), got 2"},
		{[]string{"user", "add", "--db", dsn, "--nope", "a"}, cli.ExitUsage, "flag provided but not defined"},
		{[]string{"user", "list", "--db", dsn, "extra"}, cli.ExitUsage, "user list takes 0 argument(s)"},
		{[]string{"user", "passwd", "--db", dsn}, cli.ExitUsage, "user passwd takes 1 argument(s)"},
		{[]string{"user", "disable", "--db", dsn, "ana", "again"}, cli.ExitUsage, "user disable takes 1 argument(s)"},
		{[]string{"user", "enable", "--db", dsn}, cli.ExitUsage, "user enable takes 1 argument(s)"},
		{[]string{"user", "grant", "--db", dsn, "--workspace", "w", "--role", "cm"}, cli.ExitUsage, "user grant takes 1 argument(s)"},
		{[]string{"user", "revoke", "--db", dsn, "ana", "w"}, cli.ExitUsage, "user revoke takes 1 argument(s)"},
		{[]string{"user", "logout", "--db", dsn}, cli.ExitUsage, "user logout takes 1 argument(s)"},
		{[]string{"token"}, cli.ExitUsage, "token needs a subcommand"},
		{[]string{"token", "-h"}, cli.ExitOK, "Authorization: Bearer plb_"},
		{[]string{"token", "frobnicate"}, cli.ExitUsage, `unknown subcommand "frobnicate"`},
		{[]string{"token", "create", "--db", dsn, "--name", "x"}, cli.ExitUsage, "token create takes 1 argument(s)"},
		{[]string{"token", "list", "--db", dsn}, cli.ExitUsage, "token list takes 1 argument(s)"},
		{[]string{"token", "revoke", "--db", dsn, "ana"}, cli.ExitUsage, "token revoke takes 2 argument(s)"},
		{[]string{"token", "revoke", "--db", dsn, "ana", "1", "2"}, cli.ExitUsage, "token revoke takes 2 argument(s)"},
		// Usage errors are found before the database is opened.
		{[]string{"user", "add", "--db", missing, "x", "y"}, cli.ExitUsage, "takes 1 argument"},
		{[]string{"user", "grant", "--db", missing, "ana", "--workspace", "w", "--role", "king"}, cli.ExitUsage, `--role "king"`},
		{[]string{"token", "create", "--db", missing, "ana"}, cli.ExitUsage, "needs --name"},
		{[]string{"token", "revoke", "--db", missing, "ana", "x"}, cli.ExitUsage, `token id "x"`},
	}
	for _, c := range cases {
		code, _, errOut := run(t, "", c.args...)
		if code != c.code || !strings.Contains(errOut, c.stderr) {
			t.Errorf("palabre %q: exit %d, stderr %q; want exit %d, %q", c.args, code, errOut, c.code, c.stderr)
		}
		if code == cli.ExitUsage && !strings.Contains(errOut, "-h' for help") {
			t.Errorf("palabre %q: no hint in %q", c.args, errOut)
		}
	}
	// A weak password is refused before the database is opened, too.
	if code, _, errOut := run(t, "short\n", "user", "add", "--db", missing, "x", "--password-file", "-"); code != cli.ExitUsage {
		t.Errorf("weak password: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a usage error created the database: %v", err)
	}

	// The environment supplies the database.
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), []string{"user", "list"}, cli.Env{
		Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return map[string]string{"PALABRE_DB": dsn}[k] },
	})
	if code != 0 || !strings.Contains(out.String(), "\nana ") {
		t.Fatalf("user list with PALABRE_DB: exit %d: %s %s", code, out.String(), errb.String())
	}
}
