package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"palabre/internal/cli"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// newWorkspaces creates the named workspaces in a fresh database of engine
// and returns its address.
func newWorkspaces(t *testing.T, engine string, slugs ...string) string {
	t.Helper()
	dsn := testutil.NewDSN(t, engine)
	st := openStore(t, dsn)
	for _, slug := range slugs {
		if _, err := st.CreateWorkspace(context.Background(), model.Workspace{Slug: slug}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	return dsn
}

func TestTopicsCommand(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			dsn := newWorkspaces(t, engine, "banque", "beaute")
			palabre := func(want int, args ...string) (string, string) {
				t.Helper()
				// --db goes after "topics SUBCOMMAND".
				code, out, errOut := run(t, "", append(args[:2:2], append([]string{"--db", dsn}, args[2:]...)...)...)
				if code != want {
					t.Fatalf("palabre topics %v: exit %d, want %d; stderr %s", args, code, want, errOut)
				}
				return out, errOut
			}
			if out, errOut := palabre(0, "topics", "list", "--workspace", "banque"); out != "" || !strings.Contains(errOut, "no topics") {
				t.Fatalf("empty list: %q %q", out, errOut)
			}
			out, _ := palabre(0, "topics", "set", "--workspace", "banque", "Carte bancaire", "carte bancaire", "CB, carte bleue,")
			if out != "created topic \"Carte bancaire\" in banque: carte bancaire, CB, carte bleue\n" {
				t.Fatalf("set: %q", out)
			}
			palabre(0, "topics", "set", "--workspace", "banque", "Frais", "frais, agios", "commission d'intervention")
			out, _ = palabre(0, "topics", "set", "--workspace", "banque", "Carte bancaire", "carte bancaire, CB")
			if !strings.HasPrefix(out, `updated topic "Carte bancaire"`) {
				t.Fatalf("update: %q", out)
			}
			palabre(0, "topics", "set", "--workspace", "beaute", "Crème", "crème")

			out, _ = palabre(0, "topics", "list", "--workspace", "banque")
			want := "Carte bancaire  carte bancaire, CB\nFrais           frais, agios, commission d'intervention\n"
			if out != want {
				t.Fatalf("list:\n%s\nwant:\n%s", out, want)
			}
			out, _ = palabre(0, "topics", "list", "--workspace", "banque", "--json")
			var got struct{ Topics []model.Topic }
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("list --json printed %q: %v", out, err)
			}
			if fmt.Sprint(got.Topics) != "[{Carte bancaire [carte bancaire CB]} {Frais [frais agios commission d'intervention]}]" {
				t.Fatalf("list --json: %+v", got.Topics)
			}
			if out, _ := palabre(0, "topics", "list", "--workspace", "beaute", "--json"); !strings.Contains(out, `"name":"Crème"`) || strings.Contains(out, "Frais") {
				t.Fatalf("beaute: %s", out)
			}

			_, errOut := palabre(cli.ExitUsage, "topics", "set", "--workspace", "banque", "Frais", "frais", "???")
			if !strings.Contains(errOut, `topic "Frais": term "???" has no letters or digits`) {
				t.Fatalf("bad term: %s", errOut)
			}
			out, _ = palabre(0, "topics", "delete", "--workspace", "banque", "Frais")
			if out != "deleted topic \"Frais\" from banque\n" {
				t.Fatalf("delete: %q", out)
			}
			if _, errOut := palabre(cli.ExitFailure, "topics", "delete", "--workspace", "banque", "Frais"); !strings.Contains(errOut, `topic "Frais": not found`) {
				t.Fatalf("delete twice: %s", errOut)
			}
			if _, errOut := palabre(cli.ExitFailure, "topics", "list", "--workspace", "nope"); !strings.Contains(errOut, `workspace "nope": not found`) {
				t.Fatalf("unknown workspace: %s", errOut)
			}
			if out, _ := palabre(0, "topics", "list", "--workspace", "banque", "--json"); strings.Contains(out, "Frais") {
				t.Fatalf("deleted topic still listed: %s", out)
			}

			st := openStore(t, dsn)
			ws, err := st.WorkspaceBySlug(context.Background(), "banque")
			if err != nil {
				t.Fatal(err)
			}
			events, err := st.Events(context.Background(), ws.ID, 10)
			if err != nil || len(events) != 4 || events[0].Action != "topic.delete" || events[0].Actor != "cli" {
				t.Fatalf("audit log: %+v %v", events, err)
			}
		})
	}
}

func TestTopicsCommandLine(t *testing.T) {
	t.Parallel()
	dsn := newWorkspaces(t, store.EngineSQLite, "w")
	missing := filepath.Join(t.TempDir(), "never.db")
	cases := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"topics"}, cli.ExitUsage, "topics needs a subcommand"},
		{[]string{"topics", "-h"}, cli.ExitOK, "palabre topics set    --workspace SLUG NAME TERM"},
		{[]string{"topics", "frobnicate"}, cli.ExitUsage, `unknown subcommand "frobnicate"`},
		{[]string{"topics", "list", "-h"}, cli.ExitOK, "PALABRE_WORKSPACE"},
		{[]string{"topics", "list", "--db", dsn}, cli.ExitUsage, "--workspace is required"},
		{[]string{"topics", "list", "--db", dsn, "--workspace", "w", "extra"}, cli.ExitUsage, "takes no arguments"},
		{[]string{"topics", "list", "--db", dsn, "--nope"}, cli.ExitUsage, "flag provided but not defined"},
		{[]string{"topics", "set", "--db", dsn, "--workspace", "w"}, cli.ExitUsage, "needs NAME and at least one TERM"},
		{[]string{"topics", "set", "--db", dsn, "--workspace", "w", "Frais"}, cli.ExitUsage, `topic "Frais": give at least one TERM`},
		{[]string{"topics", "set", "--db", dsn, "--workspace", "w", "Frais", " , ,"}, cli.ExitUsage, "give at least one TERM"},
		{[]string{"topics", "set", "--db", dsn, "Frais", "frais", "--workspace", "w"}, cli.ExitUsage, `flag "--workspace" after the arguments`},
		{[]string{"topics", "set", "--db", dsn, "--workspace", "w", "Remise", "remise", "-json"}, cli.ExitUsage, `flag "-json" after the arguments`},
		{[]string{"topics", "set", "--db", dsn, "--workspace", "w", "Remise", "-20%"}, cli.ExitOK, ""},
		{[]string{"topics", "set", "--db", dsn, "--workspace", "w", "", "frais"}, cli.ExitUsage, "the name is empty"},
		{[]string{"topics", "set", "--db", dsn, "--workspace", "w", strings.Repeat("n", 81), "frais"}, cli.ExitUsage, "longer than 80 characters"},
		{[]string{"topics", "set", "--db", dsn, "--workspace", "w", "Long", "a b c d e f g h i j k"}, cli.ExitUsage, "11 words"},
		{[]string{"topics", "set", "--db", dsn, "--workspace", "nope", "Frais", "frais"}, cli.ExitFailure, `workspace "nope": not found`},
		{[]string{"topics", "set", "--db", dsn, "--workspace", "Bad Slug", "Frais", "frais"}, cli.ExitFailure, `workspace "Bad Slug": not found`},
		{[]string{"topics", "delete", "--db", dsn, "--workspace", "w"}, cli.ExitUsage, "takes one NAME"},
		{[]string{"topics", "delete", "--db", dsn, "--workspace", "w", "a", "b"}, cli.ExitUsage, "takes one NAME"},
		{[]string{"topics", "delete", "--db", dsn, "--workspace", "w", "absent"}, cli.ExitFailure, `topic "absent": not found`},
		// A usage error is found before the database is touched.
		{[]string{"topics", "delete", "--db", missing, "--workspace", "w"}, cli.ExitUsage, "takes one NAME"},
	}
	for _, c := range cases {
		code, _, errOut := run(t, "", c.args...)
		if code != c.code || !strings.Contains(errOut, c.stderr) {
			t.Errorf("palabre %q: exit %d, stderr %q; want exit %d, %q", c.args, code, errOut, c.code, c.stderr)
		}
	}
	if workspaceExists(t, missing, "w") {
		t.Error("a usage error created a database")
	}

	// The environment supplies the database and the workspace.
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), []string{"topics", "set", "Frais", "frais"}, cli.Env{
		Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string {
			return map[string]string{"PALABRE_DB": dsn, "PALABRE_WORKSPACE": "w", "USER": "ana"}[k]
		},
	})
	if code != 0 || !strings.Contains(out.String(), `created topic "Frais" in w`) {
		t.Fatalf("set with PALABRE_* settings: exit %d: %s %s", code, out.String(), errb.String())
	}
	st := openStore(t, dsn)
	ws, err := st.WorkspaceBySlug(context.Background(), "w")
	if err != nil {
		t.Fatal(err)
	}
	events, err := st.Events(context.Background(), ws.ID, 1)
	if err != nil || len(events) != 1 || events[0].Actor != "cli:ana" || events[0].Action != "topic.create" {
		t.Fatalf("audit log: %+v %v", events, err)
	}
}
