package store

// Accounts: users, their roles in workspaces, browser sessions and API
// tokens. The store never sees a password, a session id or a token secret,
// only the hashes the caller (package auth) made of them; it looks sessions
// and tokens up by those hashes and keeps them out of the audit log.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"palabre/internal/model"
)

// touchInterval is how stale a session's last_seen_at or a token's
// last_used_at may get before a lookup rewrites it: without it every
// authenticated request would be a write.
const touchInterval = time.Minute

// Length limits of what users type.
const (
	maxLoginLen     = 64  // bytes, as logins are ASCII
	maxUserNameLen  = 128 // characters
	maxTokenNameLen = 80  // characters
	maxHashLen      = 1024
)

// NormalizeLogin returns login lower-cased, the form the store keeps and
// compares, or an error wrapping ErrInvalid when login has not 1 to 64
// characters among letters, digits and ". _ - @". Letters are ASCII only,
// so that no two logins differ by look-alike characters or by Unicode case
// folding.
func NormalizeLogin(login string) (string, error) {
	if login == "" || len(login) > maxLoginLen {
		return "", fmt.Errorf("%w: login must have 1 to %d characters", ErrInvalid, maxLoginLen)
	}
	b := []byte(login)
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			b[i] = c + 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.', c == '_', c == '-', c == '@':
		default:
			return "", fmt.Errorf("%w: login %q: only letters a-z, digits and . _ - @ are allowed", ErrInvalid, login)
		}
	}
	return string(b), nil
}

// checkLabel checks a name people give to a user or a token: at most max
// characters, not blank, valid UTF-8 without control characters.
func checkLabel(what, s string, max int) error {
	if strings.TrimSpace(s) == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > max ||
		strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return fmt.Errorf("%w: %s must have 1 to %d printable characters", ErrInvalid, what, max)
	}
	return nil
}

// checkHash checks that h looks like an encoded hash (PHC string, hex,
// base64): printable ASCII without spaces. Raw digest bytes are refused,
// as PostgreSQL would refuse them in a TEXT column.
func checkHash(what, h string) error {
	if h == "" || len(h) > maxHashLen {
		return fmt.Errorf("%w: %s must have 1 to %d characters", ErrInvalid, what, maxHashLen)
	}
	for i := 0; i < len(h); i++ {
		if h[i] <= ' ' || h[i] > '~' {
			return fmt.Errorf("%w: %s must be encoded as printable ASCII", ErrInvalid, what)
		}
	}
	return nil
}

// eventDetail encodes an audit event's detail. Callers pass only maps of
// plain values, which always encode.
func eventDetail(v map[string]any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func microsOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return toMicros(*t)
}

func timePtr(us sql.NullInt64) *time.Time {
	if !us.Valid {
		return nil
	}
	t := fromMicros(us.Int64)
	return &t
}

// Users.

// userColumns reads the users table aliased u.
const userColumns = `u.id, u.login, u.name, u.is_admin, u.disabled, u.created_at, u.ui_language`

// userRow receives userColumns.
type userRow struct {
	u       model.User
	created int64
}

func (r *userRow) dest() []any {
	return []any{&r.u.ID, &r.u.Login, &r.u.Name, &r.u.IsAdmin, &r.u.Disabled, &r.created, &r.u.UILanguage}
}

func (r *userRow) user() model.User {
	r.u.CreatedAt = fromMicros(r.created)
	return r.u
}

// CreateUser stores a new user with the hash of their password and returns
// it with its id. The login is stored lower-cased (see NormalizeLogin); an
// empty name becomes the login; a zero CreatedAt means now. ErrInvalid for a
// bad login, name or hash, ErrConflict when the login is taken. actor is
// recorded in the audit log.
func (s *Store) CreateUser(ctx context.Context, u model.User, passwordHash, actor string) (model.User, error) {
	login, err := NormalizeLogin(u.Login)
	if err != nil {
		return model.User{}, fmt.Errorf("create user: %w", err)
	}
	u.Login = login
	if u.Name == "" {
		u.Name = login
	}
	if err := checkLabel("user name", u.Name, maxUserNameLen); err != nil {
		return model.User{}, fmt.Errorf("create user %q: %w", login, err)
	}
	if err := checkHash("password hash", passwordHash); err != nil {
		return model.User{}, fmt.Errorf("create user %q: %w", login, err)
	}
	now := time.Now()
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now
	}
	u.CreatedAt = TruncateTime(u.CreatedAt)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO users (login, name, password_hash, is_admin, disabled, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			u.Login, u.Name, passwordHash, u.IsAdmin, u.Disabled, toMicros(u.CreatedAt), toMicros(now)).Scan(&u.ID)
		if err != nil {
			return s.translate(err)
		}
		_, err = insertEvent(ctx, tx, model.Event{Actor: actor, Action: "user.create", Subject: u.Login,
			Detail: eventDetail(map[string]any{"id": u.ID, "name": u.Name, "is_admin": u.IsAdmin, "disabled": u.Disabled})})
		return err
	})
	if err != nil {
		return model.User{}, fmt.Errorf("create user %q: %w", login, err)
	}
	return u, nil
}

// UserByID returns the user with that id, or ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id int64) (model.User, error) {
	var r userRow
	if err := s.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1`, id).Scan(r.dest()...); err != nil {
		return model.User{}, fmt.Errorf("user %d: %w", id, s.translate(err))
	}
	return r.user(), nil
}

// UserByLogin returns the user whose login is login in any letter case, or
// ErrNotFound.
func (s *Store) UserByLogin(ctx context.Context, login string) (model.User, error) {
	u, _, err := s.userWithHash(ctx, login)
	return u, err
}

// UserCredentials returns the user who signs in as login (in any letter
// case) and their password hash, for the caller to check a password against.
// ErrNotFound when there is no such user or when they are disabled, so that
// a disabled account cannot sign in whatever the caller forgets to check.
func (s *Store) UserCredentials(ctx context.Context, login string) (model.User, string, error) {
	u, hash, err := s.userWithHash(ctx, login)
	if err != nil {
		return model.User{}, "", err
	}
	if u.Disabled {
		return model.User{}, "", fmt.Errorf("user %q is disabled: %w", u.Login, ErrNotFound)
	}
	return u, hash, nil
}

func (s *Store) userWithHash(ctx context.Context, login string) (model.User, string, error) {
	norm, err := NormalizeLogin(login)
	if err != nil { // no such user can exist
		return model.User{}, "", fmt.Errorf("user %q: %w", login, ErrNotFound)
	}
	var r userRow
	var hash string
	err = s.r.QueryRowContext(ctx, `SELECT `+userColumns+`, u.password_hash FROM users u WHERE u.login = $1`, norm).
		Scan(append(r.dest(), &hash)...)
	if err != nil {
		return model.User{}, "", fmt.Errorf("user %q: %w", norm, s.translate(err))
	}
	return r.user(), hash, nil
}

// Users lists every user, disabled ones included, by login.
func (s *Store) Users(ctx context.Context) ([]model.User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+userColumns+` FROM users u ORDER BY u.login`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []model.User
	for rows.Next() {
		var r userRow
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, r.user())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// CountUsers returns how many users exist, disabled ones included: zero
// means a first run, when the first administrator has yet to be made.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// SetPasswordHash replaces a user's password hash; ErrNotFound when there
// is no such user. The user's sessions are left alone: the caller decides
// whether a new password logs other browsers out (DeleteUserSessions).
// actor is recorded in the audit log.
func (s *Store) SetPasswordHash(ctx context.Context, userID int64, passwordHash, actor string) error {
	if err := checkHash("password hash", passwordHash); err != nil {
		return fmt.Errorf("set password of user %d: %w", userID, err)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var login string
		err := tx.QueryRowContext(ctx, `UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3 RETURNING login`,
			passwordHash, toMicros(time.Now()), userID).Scan(&login)
		if err != nil {
			return s.translate(err)
		}
		_, err = insertEvent(ctx, tx, model.Event{Actor: actor, Action: "user.update", Subject: login,
			Detail: eventDetail(map[string]any{"password": "changed"})})
		return err
	})
	if err != nil {
		return fmt.Errorf("set password of user %d: %w", userID, err)
	}
	return nil
}

// SetUserDisabled disables or re-enables a user; ErrNotFound when there is
// no such user. Disabling also deletes the user's sessions; their API tokens
// are kept but resolve to nothing until the user is enabled again. actor is
// recorded in the audit log.
func (s *Store) SetUserDisabled(ctx context.Context, userID int64, disabled bool, actor string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var login string
		err := tx.QueryRowContext(ctx, `UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3 RETURNING login`,
			disabled, toMicros(time.Now()), userID).Scan(&login)
		if err != nil {
			return s.translate(err)
		}
		detail := map[string]any{"disabled": disabled}
		if disabled {
			res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			detail["sessions_deleted"] = n
		}
		_, err = insertEvent(ctx, tx, model.Event{Actor: actor, Action: "user.update", Subject: login, Detail: eventDetail(detail)})
		return err
	})
	if err != nil {
		return fmt.Errorf("set user %d disabled=%t: %w", userID, disabled, err)
	}
	return nil
}

// SetUILanguage sets the language of a user's screens: "" (follow the
// browser), "en" or "fr"; ErrInvalid for another, ErrNotFound when there
// is no such user. actor is recorded in the audit log.
func (s *Store) SetUILanguage(ctx context.Context, userID int64, lang, actor string) error {
	if !model.ValidUILanguage(lang) {
		return fmt.Errorf("set language of user %d: %w: language %q: must be en, fr or empty (follow the browser)", userID, ErrInvalid, lang)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var login string
		err := tx.QueryRowContext(ctx, `UPDATE users SET ui_language = $1, updated_at = $2 WHERE id = $3 RETURNING login`,
			lang, toMicros(time.Now()), userID).Scan(&login)
		if err != nil {
			return s.translate(err)
		}
		_, err = insertEvent(ctx, tx, model.Event{Actor: actor, Action: "user.update", Subject: login,
			Detail: eventDetail(map[string]any{"ui_language": lang})})
		return err
	})
	if err != nil {
		return fmt.Errorf("set language of user %d: %w", userID, err)
	}
	return nil
}

// userLogin returns the login of the user with that id, or ErrNotFound.
func (s *Store) userLogin(ctx context.Context, q queryer, userID int64) (string, error) {
	var login string
	if err := q.QueryRowContext(ctx, `SELECT login FROM users WHERE id = $1`, userID).Scan(&login); err != nil {
		return "", fmt.Errorf("user %d: %w", userID, s.translate(err))
	}
	return login, nil
}

// Memberships.

const membershipColumns = `m.user_id, m.workspace_id, w.slug, m.role, m.created_at`

func scanMembership(row interface{ Scan(...any) error }) (model.Membership, error) {
	var m model.Membership
	var created int64
	err := row.Scan(&m.UserID, &m.WorkspaceID, &m.Workspace, &m.Role, &created)
	m.CreatedAt = fromMicros(created)
	return m, err
}

// SetMembership gives a user a role in a workspace, replacing the role they
// had there. ErrInvalid for an unknown role, ErrNotFound when the user or the
// workspace does not exist. actor is recorded in the workspace's audit log.
func (s *Store) SetMembership(ctx context.Context, userID, workspaceID int64, role, actor string) error {
	if !model.ValidRole(role) {
		return fmt.Errorf("set membership: %w: role %q", ErrInvalid, role)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		login, err := s.userLogin(ctx, tx, userID)
		if err != nil {
			return err
		}
		var slug string
		if err := tx.QueryRowContext(ctx, `SELECT slug FROM workspaces WHERE id = $1`, workspaceID).Scan(&slug); err != nil {
			return fmt.Errorf("workspace %d: %w", workspaceID, s.translate(err))
		}
		var previous string
		err = tx.QueryRowContext(ctx, `SELECT role FROM memberships WHERE user_id = $1 AND workspace_id = $2`,
			userID, workspaceID).Scan(&previous)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO memberships (user_id, workspace_id, role, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (user_id, workspace_id) DO UPDATE SET role = excluded.role`,
			userID, workspaceID, role, toMicros(time.Now())); err != nil {
			return s.translate(err)
		}
		detail := map[string]any{"workspace": slug, "role": role}
		if previous != "" {
			detail["previous"] = previous
		}
		_, err = insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Actor: actor, Action: "membership.set",
			Subject: login, Detail: eventDetail(detail)})
		return err
	})
	if err != nil {
		return fmt.Errorf("set membership of user %d in workspace %d: %w", userID, workspaceID, err)
	}
	return nil
}

// DeleteMembership takes a user out of a workspace; ErrNotFound when they
// were not in it. actor is recorded in the workspace's audit log.
func (s *Store) DeleteMembership(ctx context.Context, userID, workspaceID int64, actor string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var role string
		if err := tx.QueryRowContext(ctx, `DELETE FROM memberships WHERE user_id = $1 AND workspace_id = $2 RETURNING role`,
			userID, workspaceID).Scan(&role); err != nil {
			return s.translate(err)
		}
		login, err := s.userLogin(ctx, tx, userID)
		if err != nil {
			return err
		}
		_, err = insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Actor: actor, Action: "membership.delete",
			Subject: login, Detail: eventDetail(map[string]any{"role": role})})
		return err
	})
	if err != nil {
		return fmt.Errorf("delete membership of user %d in workspace %d: %w", userID, workspaceID, err)
	}
	return nil
}

// Memberships lists a user's roles, by workspace slug.
func (s *Store) Memberships(ctx context.Context, userID int64) ([]model.Membership, error) {
	return s.memberships(ctx, `SELECT `+membershipColumns+` FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
		WHERE m.user_id = $1 ORDER BY w.slug`, userID)
}

// WorkspaceMembers lists who holds a role in a workspace, by login.
func (s *Store) WorkspaceMembers(ctx context.Context, workspaceID int64) ([]model.Membership, error) {
	return s.memberships(ctx, `SELECT `+membershipColumns+` FROM memberships m
		JOIN workspaces w ON w.id = m.workspace_id JOIN users u ON u.id = m.user_id
		WHERE m.workspace_id = $1 ORDER BY u.login`, workspaceID)
}

func (s *Store) memberships(ctx context.Context, query string, id int64) ([]model.Membership, error) {
	rows, err := s.r.QueryContext(ctx, query, id)
	if err != nil {
		return nil, fmt.Errorf("list memberships: %w", err)
	}
	defer rows.Close()
	var out []model.Membership
	for rows.Next() {
		m, err := scanMembership(rows)
		if err != nil {
			return nil, fmt.Errorf("list memberships: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list memberships: %w", err)
	}
	return out, nil
}

// Role returns the user's role in the workspace, or ErrNotFound when they
// have none there.
func (s *Store) Role(ctx context.Context, userID, workspaceID int64) (string, error) {
	var role string
	err := s.r.QueryRowContext(ctx, `SELECT role FROM memberships WHERE user_id = $1 AND workspace_id = $2`,
		userID, workspaceID).Scan(&role)
	if err != nil {
		return "", fmt.Errorf("role of user %d in workspace %d: %w", userID, workspaceID, s.translate(err))
	}
	return role, nil
}

// Sessions.

// CreateSession stores a browser session, known by the hash of its id,
// for an enabled user until expiresAt. ErrNotFound when the user does not
// exist or is disabled, ErrInvalid for a bad hash or a past expiry,
// ErrConflict when the hash is already stored.
func (s *Store) CreateSession(ctx context.Context, idHash string, userID int64, expiresAt time.Time) error {
	if err := checkHash("session id hash", idHash); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	now := time.Now()
	if !expiresAt.After(now) {
		return fmt.Errorf("create session: %w: expiry %s is not in the future", ErrInvalid, expiresAt.Format(time.RFC3339))
	}
	res, err := s.w.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, created_at, expires_at, last_seen_at)
		SELECT $1, id, $2, $3, $2 FROM users WHERE id = $4 AND NOT disabled`,
		idHash, toMicros(now), toMicros(expiresAt), userID)
	if err != nil {
		return fmt.Errorf("create session: %w", s.translate(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("create session: %w", err)
	} else if n == 0 {
		return fmt.Errorf("create session: no enabled user %d: %w", userID, ErrNotFound)
	}
	return nil
}

// SessionUser returns the user of the session whose id hashes to idHash and
// when the session expires. ErrNotFound when there is no such session, when
// it has expired at now, or when its user is disabled. It records now as the
// session's last activity, at most once a minute.
func (s *Store) SessionUser(ctx context.Context, idHash string, now time.Time) (model.User, time.Time, error) {
	if checkHash("", idHash) != nil { // no such session can exist
		return model.User{}, time.Time{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	var r userRow
	var expires, lastSeen int64
	err := s.r.QueryRowContext(ctx, `SELECT `+userColumns+`, s.expires_at, s.last_seen_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.id_hash = $1 AND s.expires_at > $2 AND NOT u.disabled`, idHash, toMicros(now)).
		Scan(append(r.dest(), &expires, &lastSeen)...)
	if err != nil {
		return model.User{}, time.Time{}, fmt.Errorf("session: %w", s.translate(err))
	}
	if stale := toMicros(now.Add(-touchInterval)); lastSeen <= stale {
		// The condition repeats in SQL so that concurrent requests write once.
		if _, err := s.w.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2 AND last_seen_at <= $3`,
			toMicros(now), idHash, stale); err != nil {
			return model.User{}, time.Time{}, fmt.Errorf("session: touch: %w", err)
		}
	}
	return r.user(), fromMicros(expires), nil
}

// DeleteSession deletes the session whose id hashes to idHash (logging
// out). Deleting a session that does not exist is not an error: the outcome
// the caller wants holds.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	if checkHash("", idHash) != nil {
		return nil
	}
	if _, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions deletes every session of a user ("log out everywhere")
// and returns how many there were; ErrNotFound when there is no such user.
// actor is recorded in the audit log.
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64, actor string) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		login, err := s.userLogin(ctx, tx, userID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = insertEvent(ctx, tx, model.Event{Actor: actor, Action: "session.revoke_all", Subject: login,
			Detail: eventDetail(map[string]any{"sessions_deleted": n})})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete sessions of user %d: %w", userID, err)
	}
	return n, nil
}

// DeleteExpiredSessions deletes the sessions expired at now and returns
// how many there were.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, toMicros(now))
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return n, nil
}

// API tokens.

// tokenColumns reads the api_tokens table aliased t.
const tokenColumns = `t.id, t.user_id, t.name, t.workspaces, t.can_write, t.created_at, t.last_used_at, t.expires_at`

// tokenRow receives tokenColumns.
type tokenRow struct {
	t                   model.APIToken
	workspaces          string
	created             int64
	lastUsed, expiresAt sql.NullInt64
}

func (r *tokenRow) dest() []any {
	return []any{&r.t.ID, &r.t.UserID, &r.t.Name, &r.workspaces, &r.t.CanWrite, &r.created, &r.lastUsed, &r.expiresAt}
}

func (r *tokenRow) token() (model.APIToken, error) {
	if err := json.Unmarshal([]byte(r.workspaces), &r.t.Workspaces); err != nil {
		return model.APIToken{}, fmt.Errorf("token %d: workspaces: %w", r.t.ID, err)
	}
	r.t.CreatedAt = fromMicros(r.created)
	r.t.LastUsedAt = timePtr(r.lastUsed)
	r.t.ExpiresAt = timePtr(r.expiresAt)
	return r.t, nil
}

// CreateAPIToken stores an API token of t.UserID, known by the hash of its
// secret, and returns it with its id and creation time. t.Workspaces, when
// not empty, must name workspaces the user is a member of (any existing
// workspace for an administrator); t.Name must have 1 to 80 characters;
// t.ExpiresAt, when set, must be in the future: ErrInvalid otherwise, and
// for a disabled user. ErrNotFound when the user does not exist,
// ErrConflict when the hash is already stored. actor is recorded in the
// audit log.
func (s *Store) CreateAPIToken(ctx context.Context, t model.APIToken, secretHash, actor string) (model.APIToken, error) {
	if err := checkLabel("token name", t.Name, maxTokenNameLen); err != nil {
		return model.APIToken{}, fmt.Errorf("create token: %w", err)
	}
	if err := checkHash("token secret hash", secretHash); err != nil {
		return model.APIToken{}, fmt.Errorf("create token %q: %w", t.Name, err)
	}
	now := time.Now()
	if t.ExpiresAt != nil {
		if !t.ExpiresAt.After(now) {
			return model.APIToken{}, fmt.Errorf("create token %q: %w: expiry %s is not in the future",
				t.Name, ErrInvalid, t.ExpiresAt.Format(time.RFC3339))
		}
		exp := TruncateTime(*t.ExpiresAt)
		t.ExpiresAt = &exp
	}
	t.Workspaces = slices.Compact(slices.Sorted(slices.Values(t.Workspaces)))
	if t.Workspaces == nil {
		t.Workspaces = []int64{}
	}
	workspaces, _ := json.Marshal(t.Workspaces) // integers always encode
	t.CreatedAt = TruncateTime(now)
	t.LastUsedAt = nil
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var r userRow
		err := tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = $1`, t.UserID).Scan(r.dest()...)
		if err != nil {
			return fmt.Errorf("user %d: %w", t.UserID, s.translate(err))
		}
		u := r.user()
		if u.Disabled {
			return fmt.Errorf("%w: user %q is disabled", ErrInvalid, u.Login)
		}
		for _, ws := range t.Workspaces {
			query := `SELECT 1 FROM memberships WHERE workspace_id = $1 AND user_id = $2`
			args := []any{ws, u.ID}
			if u.IsAdmin {
				query, args = `SELECT 1 FROM workspaces WHERE id = $1`, args[:1]
			}
			var one int
			if err := tx.QueryRowContext(ctx, query, args...).Scan(&one); errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("%w: user %q has no access to workspace %d", ErrInvalid, u.Login, ws)
			} else if err != nil {
				return err
			}
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO api_tokens (user_id, name, secret_hash, workspaces, can_write, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			t.UserID, t.Name, secretHash, string(workspaces), t.CanWrite, toMicros(t.CreatedAt), microsOrNil(t.ExpiresAt)).Scan(&t.ID)
		if err != nil {
			return s.translate(err)
		}
		detail := map[string]any{"token_id": t.ID, "name": t.Name, "workspaces": t.Workspaces, "can_write": t.CanWrite}
		if t.ExpiresAt != nil {
			detail["expires_at"] = t.ExpiresAt
		}
		_, err = insertEvent(ctx, tx, model.Event{Actor: actor, Action: "token.create", Subject: u.Login, Detail: eventDetail(detail)})
		return err
	})
	if err != nil {
		return model.APIToken{}, fmt.Errorf("create token %q: %w", t.Name, err)
	}
	return t, nil
}

// APITokenUser returns the token whose secret hashes to secretHash and its
// user. ErrNotFound when there is no such token, when it has expired at now,
// or when its user is disabled. The token's workspaces restrict the user's
// memberships and never add to them: the caller intersects the two. It
// records now as the token's last use, at most once a minute.
func (s *Store) APITokenUser(ctx context.Context, secretHash string, now time.Time) (model.User, model.APIToken, error) {
	if checkHash("", secretHash) != nil { // no such token can exist
		return model.User{}, model.APIToken{}, fmt.Errorf("token: %w", ErrNotFound)
	}
	var ur userRow
	var tr tokenRow
	err := s.r.QueryRowContext(ctx, `SELECT `+userColumns+`, `+tokenColumns+`
		FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.secret_hash = $1 AND (t.expires_at IS NULL OR t.expires_at > $2) AND NOT u.disabled`,
		secretHash, toMicros(now)).Scan(append(ur.dest(), tr.dest()...)...)
	if err != nil {
		return model.User{}, model.APIToken{}, fmt.Errorf("token: %w", s.translate(err))
	}
	t, err := tr.token()
	if err != nil {
		return model.User{}, model.APIToken{}, err
	}
	if stale := now.Add(-touchInterval); t.LastUsedAt == nil || !t.LastUsedAt.After(stale) {
		// The condition repeats in SQL so that concurrent requests write once.
		res, err := s.w.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1
			WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)`, toMicros(now), t.ID, toMicros(stale))
		if err != nil {
			return model.User{}, model.APIToken{}, fmt.Errorf("token %d: touch: %w", t.ID, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			used := TruncateTime(now)
			t.LastUsedAt = &used
		}
	}
	return ur.user(), t, nil
}

// APITokens lists a user's API tokens, oldest first.
func (s *Store) APITokens(ctx context.Context, userID int64) ([]model.APIToken, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_tokens t WHERE t.user_id = $1 ORDER BY t.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []model.APIToken
	for rows.Next() {
		var r tokenRow
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		t, err := r.token()
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// RevokeAPIToken deletes the user's token with that id; ErrNotFound when
// the user has no such token (whoever else may own that id). actor is
// recorded in the audit log.
func (s *Store) RevokeAPIToken(ctx context.Context, userID, tokenID int64, actor string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var name string
		if err := tx.QueryRowContext(ctx, `DELETE FROM api_tokens WHERE id = $1 AND user_id = $2 RETURNING name`,
			tokenID, userID).Scan(&name); err != nil {
			return s.translate(err)
		}
		login, err := s.userLogin(ctx, tx, userID)
		if err != nil {
			return err
		}
		_, err = insertEvent(ctx, tx, model.Event{Actor: actor, Action: "token.revoke", Subject: login,
			Detail: eventDetail(map[string]any{"token_id": tokenID, "name": name})})
		return err
	})
	if err != nil {
		return fmt.Errorf("revoke token %d of user %d: %w", tokenID, userID, err)
	}
	return nil
}
