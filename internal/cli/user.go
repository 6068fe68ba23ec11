package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"palabre/internal/auth"
	"palabre/internal/config"
	"palabre/internal/model"
	"palabre/internal/store"
)

const userUsage = `Usage:
  palabre user add     LOGIN [--name NAME] [--admin] [--password-file FILE|-]
  palabre user list    [--json]
  palabre user passwd  LOGIN [--password-file FILE|-]
  palabre user disable LOGIN
  palabre user enable  LOGIN
  palabre user grant   LOGIN --workspace SLUG --role owner|manager|cm|expert|client
  palabre user revoke  LOGIN --workspace SLUG
  palabre user logout  LOGIN

The people who use palabre, and their role in each workspace. Without
--password-file a password is generated and printed once. passwd and
disable log the user out everywhere.
`

func runUser(ctx context.Context, args []string, env Env) error {
	return runSubcommand(ctx, "user", userUsage, []subcommand{
		{"add", userAdd},
		{"list", userList},
		{"passwd", userPasswd},
		{"disable", func(ctx context.Context, args []string, env Env) error { return userDisable(ctx, args, env, true) }},
		{"enable", func(ctx context.Context, args []string, env Env) error { return userDisable(ctx, args, env, false) }},
		{"grant", userGrant},
		{"revoke", userRevoke},
		{"logout", userLogout},
	}, args, env)
}

// parseMixed parses flags that may come before, between or after the
// positional arguments ("palabre user add lea --admin"), and returns the
// positional arguments, of which there must be want.
func parseMixed(name string, args []string, env Env, cfg *config.Config, want int, settings ...config.Setting) ([]string, error) {
	return parseMixedWith(name, args, env, cfg, want, nil, settings...)
}

// parseMixedWith is parseMixed for a command with flags of its own, which
// extra, when not nil, registers.
func parseMixedWith(name string, args []string, env Env, cfg *config.Config, want int,
	extra func(fs *flag.FlagSet), settings ...config.Setting) ([]string, error) {
	fs := flag.NewFlagSet("palabre "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	if err := cfg.Bind(fs, env.Getenv, append([]config.Setting{config.DB}, settings...)...); err != nil {
		return nil, usageError{err.Error()}
	}
	if extra != nil {
		extra(fs)
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if len(pos) != want {
		return nil, usagef("%s takes %d argument(s), got %d (%q)", name, want, len(pos), pos)
	}
	return pos, nil
}

// newPassword makes a password to print once: 20 characters of a random
// secret, about 120 bits.
func newPassword() (string, error) {
	secret, err := auth.NewSecret()
	if err != nil {
		return "", err
	}
	return secret[:20], nil
}

// password returns the password --password-file names, or a new one to
// print when it names nothing.
func password(cfg config.Config, env Env) (pw string, generated bool, err error) {
	if cfg.PasswordFile == "" {
		pw, err := newPassword()
		return pw, err == nil, err
	}
	var r io.Reader = env.Stdin
	if cfg.PasswordFile != "-" {
		f, err := os.Open(cfg.PasswordFile)
		if err != nil {
			return "", false, fmt.Errorf("--password-file: %w", err)
		}
		defer f.Close()
		r = f
	}
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("--password-file: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), false, nil
}

func hashPassword(cfg config.Config, env Env) (hash, shown string, err error) {
	pw, generated, err := password(cfg, env)
	if err != nil {
		return "", "", err
	}
	hash, err = auth.HashPassword(pw, auth.DefaultParams())
	if errors.Is(err, auth.ErrWeakPassword) {
		return "", "", usageError{err.Error()}
	}
	if err != nil {
		return "", "", err
	}
	if generated {
		shown = pw
	}
	return hash, shown, nil
}

func userAdd(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	pos, err := parseMixed("user add", args, env, &cfg, 1, config.Name, config.Admin, config.PasswordFile, config.JSON)
	if err != nil {
		return err
	}
	hash, shown, err := hashPassword(cfg, env)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.CreateUser(ctx, model.User{Login: pos[0], Name: cfg.Name, IsAdmin: cfg.Admin}, hash, actor(env))
	if err != nil {
		return invalidAsUsage(err)
	}
	if cfg.JSON {
		return json.NewEncoder(env.Stdout).Encode(struct {
			model.User
			Password string `json:"password,omitempty"`
		}{u, shown})
	}
	fmt.Fprintf(env.Stdout, "user %s created", u.Login)
	if u.IsAdmin {
		fmt.Fprint(env.Stdout, " (administrator)")
	}
	fmt.Fprintln(env.Stdout)
	if shown != "" {
		fmt.Fprintf(env.Stdout, "password: %s\n(shown once; change it with palabre user passwd %s --password-file -)\n", shown, u.Login)
	}
	return nil
}

func userList(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	if _, err := parseMixed("user list", args, env, &cfg, 0, config.JSON); err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	users, err := st.Users(ctx)
	if err != nil {
		return err
	}
	type row struct {
		model.User
		Memberships []model.Membership `json:"memberships"`
	}
	rows := make([]row, 0, len(users))
	for _, u := range users {
		ms, err := st.Memberships(ctx, u.ID)
		if err != nil {
			return err
		}
		rows = append(rows, row{u, nonNilSlice(ms)})
	}
	if cfg.JSON {
		return json.NewEncoder(env.Stdout).Encode(struct {
			Users []row `json:"users"`
		}{rows})
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LOGIN\tNAME\tADMIN\tDISABLED\tROLES")
	for _, r := range rows {
		var roles []string
		for _, m := range r.Memberships {
			roles = append(roles, m.Workspace+":"+m.Role)
		}
		fmt.Fprintf(tw, "%s\t%s\t%t\t%t\t%s\n", r.Login, r.Name, r.IsAdmin, r.Disabled, strings.Join(roles, " "))
	}
	return tw.Flush()
}

func nonNilSlice[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// openUser opens the store and finds the user named login.
func openUser(ctx context.Context, cfg config.Config, login string) (*store.Store, model.User, error) {
	st, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return nil, model.User{}, err
	}
	u, err := st.UserByLogin(ctx, login)
	if err != nil {
		st.Close()
		return nil, model.User{}, err
	}
	return st, u, nil
}

func userPasswd(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	pos, err := parseMixed("user passwd", args, env, &cfg, 1, config.PasswordFile)
	if err != nil {
		return err
	}
	hash, shown, err := hashPassword(cfg, env)
	if err != nil {
		return err
	}
	st, u, err := openUser(ctx, cfg, pos[0])
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.SetPasswordHash(ctx, u.ID, hash, actor(env)); err != nil {
		return err
	}
	n, err := st.DeleteUserSessions(ctx, u.ID, actor(env))
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "password of %s changed; %d sessions closed\n", u.Login, n)
	if shown != "" {
		fmt.Fprintf(env.Stdout, "password: %s\n(shown once)\n", shown)
	}
	return nil
}

func userDisable(ctx context.Context, args []string, env Env, disable bool) error {
	var cfg config.Config
	name := "user enable"
	if disable {
		name = "user disable"
	}
	pos, err := parseMixed(name, args, env, &cfg, 1)
	if err != nil {
		return err
	}
	st, u, err := openUser(ctx, cfg, pos[0])
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.SetUserDisabled(ctx, u.ID, disable, actor(env)); err != nil {
		return err
	}
	state := "enabled"
	if disable {
		state = "disabled; its sessions are closed and its tokens stop working"
	}
	fmt.Fprintf(env.Stdout, "user %s %s\n", u.Login, state)
	return nil
}

func userGrant(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	pos, err := parseMixed("user grant", args, env, &cfg, 1, config.Workspace, config.Role)
	if err != nil {
		return err
	}
	if cfg.Workspace == "" || cfg.Role == "" {
		return usagef("grant needs --workspace and --role")
	}
	if !model.ValidRole(cfg.Role) {
		return usagef("--role %q: want owner, manager, cm, expert or client", cfg.Role)
	}
	st, u, err := openUser(ctx, cfg, pos[0])
	if err != nil {
		return err
	}
	defer st.Close()
	ws, err := st.WorkspaceBySlug(ctx, cfg.Workspace)
	if err != nil {
		return err
	}
	if err := st.SetMembership(ctx, u.ID, ws.ID, cfg.Role, actor(env)); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s is %s in %s\n", u.Login, cfg.Role, ws.Slug)
	return nil
}

func userRevoke(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	pos, err := parseMixed("user revoke", args, env, &cfg, 1, config.Workspace)
	if err != nil {
		return err
	}
	if cfg.Workspace == "" {
		return usagef("revoke needs --workspace")
	}
	st, u, err := openUser(ctx, cfg, pos[0])
	if err != nil {
		return err
	}
	defer st.Close()
	ws, err := st.WorkspaceBySlug(ctx, cfg.Workspace)
	if err != nil {
		return err
	}
	if err := st.DeleteMembership(ctx, u.ID, ws.ID, actor(env)); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s has no role in %s any more\n", u.Login, ws.Slug)
	return nil
}

func userLogout(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	pos, err := parseMixed("user logout", args, env, &cfg, 1)
	if err != nil {
		return err
	}
	st, u, err := openUser(ctx, cfg, pos[0])
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.DeleteUserSessions(ctx, u.ID, actor(env))
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%d sessions of %s closed\n", n, u.Login)
	return nil
}

const tokenUsage = `Usage:
  palabre token create LOGIN --name NAME [--workspace SLUG] [--write] [--expires 2160h] [--json]
  palabre token list   LOGIN [--json]
  palabre token revoke LOGIN ID

Personal API tokens: sent as "Authorization: Bearer plb_…". A token acts
as its user, limited to one workspace when --workspace is given (else to
all of the user's) and to reading unless --write. Only a hash is stored:
the token is shown once, at creation.
`

func runToken(ctx context.Context, args []string, env Env) error {
	return runSubcommand(ctx, "token", tokenUsage, []subcommand{
		{"create", tokenCreate},
		{"list", tokenList},
		{"revoke", tokenRevoke},
	}, args, env)
}

func tokenCreate(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	pos, err := parseMixed("token create", args, env, &cfg, 1, config.Name, config.Workspace, config.Write, config.Expires, config.JSON)
	if err != nil {
		return err
	}
	if cfg.Name == "" {
		return usagef("token create needs --name (what the token is for)")
	}
	if cfg.Expires < 0 {
		return usagef("--expires %s: want a positive duration such as 2160h, or 0 for never", cfg.Expires)
	}
	st, u, err := openUser(ctx, cfg, pos[0])
	if err != nil {
		return err
	}
	defer st.Close()
	t := model.APIToken{UserID: u.ID, Name: cfg.Name, CanWrite: cfg.Write}
	if cfg.Workspace != "" {
		ws, err := st.WorkspaceBySlug(ctx, cfg.Workspace)
		if err != nil {
			return err
		}
		t.Workspaces = []int64{ws.ID}
	}
	if cfg.Expires > 0 {
		exp := time.Now().Add(cfg.Expires)
		t.ExpiresAt = &exp
	}
	token, hash, err := auth.NewAPIToken()
	if err != nil {
		return err
	}
	t, err = st.CreateAPIToken(ctx, t, hash, actor(env))
	if err != nil {
		return invalidAsUsage(err)
	}
	if cfg.JSON {
		return json.NewEncoder(env.Stdout).Encode(struct {
			model.APIToken
			Token string `json:"token"`
		}{t, token})
	}
	fmt.Fprintf(env.Stdout, "token %d (%s) for %s:\n%s\n(shown once)\n", t.ID, t.Name, u.Login, token)
	return nil
}

func tokenList(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	pos, err := parseMixed("token list", args, env, &cfg, 1, config.JSON)
	if err != nil {
		return err
	}
	st, u, err := openUser(ctx, cfg, pos[0])
	if err != nil {
		return err
	}
	defer st.Close()
	ts, err := st.APITokens(ctx, u.ID)
	if err != nil {
		return err
	}
	if cfg.JSON {
		return json.NewEncoder(env.Stdout).Encode(struct {
			Tokens []model.APIToken `json:"tokens"`
		}{nonNilSlice(ts)})
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tWRITE\tWORKSPACES\tCREATED\tLAST USED\tEXPIRES")
	for _, t := range ts {
		scope := "all"
		if len(t.Workspaces) > 0 {
			slugs := make([]string, len(t.Workspaces))
			for i, id := range t.Workspaces {
				ws, err := st.Workspace(ctx, id)
				if err != nil {
					return err
				}
				slugs[i] = ws.Slug
			}
			scope = strings.Join(slugs, ",")
		}
		fmt.Fprintf(tw, "%d\t%s\t%t\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.CanWrite, scope,
			t.CreatedAt.Format(time.DateOnly), dateOr(t.LastUsedAt, "never"), dateOr(t.ExpiresAt, "never"))
	}
	return tw.Flush()
}

func dateOr(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.Format(time.DateOnly)
}

func tokenRevoke(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	pos, err := parseMixed("token revoke", args, env, &cfg, 2)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(pos[1], 10, 64)
	if err != nil || id <= 0 {
		return usagef("token id %q is not a positive number", pos[1])
	}
	st, u, err := openUser(ctx, cfg, pos[0])
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.RevokeAPIToken(ctx, u.ID, id, actor(env)); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "token %d of %s revoked\n", id, u.Login)
	return nil
}
