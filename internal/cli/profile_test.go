package cli_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"palabre/internal/cli"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// profileDB returns a database of each engine with four workspaces of
// different sectors, and Léa (login lea) a CM in three of them.
func profileDB(t *testing.T, engine string) string {
	t.Helper()
	ctx := context.Background()
	dsn := testutil.NewDSN(t, engine)
	st := openStore(t, dsn)
	lea, err := st.CreateUser(ctx, model.User{Login: "lea", Name: "Léa"}, placeholderHash, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct{ slug, sector string }{{"velo", "cycling"}, {"banque", "banking"}, {"beaute", "cosmetics"}, {"voyage", "travel"}} {
		ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: w.slug, Sector: w.sector})
		if err != nil {
			t.Fatal(err)
		}
		if w.slug != "voyage" {
			if err := st.SetMembership(ctx, lea.ID, ws.ID, model.RoleCM, "test"); err != nil {
				t.Fatal(err)
			}
		}
	}
	st.Close()
	return dsn
}

func profileView(t *testing.T, out string) model.ProfileView {
	t.Helper()
	var v model.ProfileView
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	return v
}

func TestProfileCommand(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			dsn := profileDB(t, engine)
			palabre := palabreOn(t, dsn)

			// The default profile.
			out, _ := palabre(0, "", "profile", "show", "lea")
			for _, want := range []string{"user       lea (Léa)", "status     available", "languages  none", "time zone  UTC",
				"capacity   no limit", "hours      none", "topics     none", "sectors    banking, cosmetics, cycling"} {
				if !strings.Contains(out, want) {
					t.Errorf("show lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "warning") {
				t.Errorf("a warning with three sectors:\n%s", out)
			}

			out, _ = palabre(0, "", "profile", "set", "lea", "--languages", "FR, en", "--time-zone", "Europe/Paris",
				"--hours", "mon-fri 09:00-12:30,14:00-18:00", "--hours", "wed off", "--hours", "sat 10:00-12:00",
				"--capacity", "20", "--status", "away", "--topic", "velo:pneus=0.8", "--topic", "banque:crédit=1", "--json")
			v := profileView(t, out)
			week := []string{"09:00-12:30", "14:00-18:00"}
			want := model.Profile{UserID: v.UserID, Languages: []string{"fr", "en"}, TimeZone: "Europe/Paris",
				Hours:    model.WeeklyHours{"mon": week, "tue": week, "thu": week, "fri": week, "sat": {"10:00-12:00"}},
				Capacity: 20, Status: model.StatusAway,
				Specialisations: []model.Specialisation{{Workspace: "banque", Topic: "crédit", Strength: 1},
					{Workspace: "velo", Topic: "pneus", Strength: 0.8}},
				UpdatedAt: v.UpdatedAt}
			if !reflect.DeepEqual(v.Profile, want) || v.Login != "lea" || v.Warning != "" {
				t.Fatalf("after set\n%+v\nwant\n%+v", v, want)
			}

			// Only the flags given change; a topic at 0 goes.
			out, _ = palabre(0, "", "profile", "set", "lea", "--status", "available", "--topic", "velo:pneus=0",
				"--topic", "banque:crédit=0.5", "--hours", "sun 20:00-24:00", "--json")
			v = profileView(t, out)
			want.Status = model.StatusAvailable
			want.Specialisations = []model.Specialisation{{Workspace: "banque", Topic: "crédit", Strength: 0.5}}
			want.Hours["sun"] = []string{"20:00-24:00"}
			want.UpdatedAt = v.UpdatedAt
			if !reflect.DeepEqual(v.Profile, want) {
				t.Fatalf("after a second set\n%+v\nwant\n%+v", v.Profile, want)
			}
			out, _ = palabre(0, "", "profile", "show", "lea")
			for _, want := range []string{"status     available", "languages  fr, en", "capacity   20 open conversations",
				"hours      mon 09:00-12:30, 14:00-18:00\n", "           sun 20:00-24:00\n", "topics     banque:crédit=0.5\n"} {
				if !strings.Contains(out, want) {
					t.Errorf("show lacks %q:\n%s", want, out)
				}
			}
			out, _ = palabre(0, "", "profile", "set", "lea", "--hours", "none", "--languages", "none", "--json")
			if v := profileView(t, out); len(v.Hours) != 0 || len(v.Languages) != 0 || v.Capacity != 20 {
				t.Errorf("after clearing: %+v", v)
			}

			// Spread over a fourth sector, the profile warns.
			palabre(0, "", "user", "grant", "lea", "--workspace", "voyage", "--role", "cm")
			out, _ = palabre(0, "", "profile", "show", "lea")
			const warning = "warning: Léa works in 4 unrelated sectors (banking, cosmetics, cycling, travel): more than 3"
			if !strings.Contains(out, warning) {
				t.Errorf("show lacks the warning:\n%s", out)
			}
			out, _ = palabre(0, "", "profile", "show", "lea", "--json")
			if v := profileView(t, out); !strings.HasPrefix(v.Warning, warning[len("warning: "):]) {
				t.Errorf("JSON warning %q", v.Warning)
			}
			out, _ = palabre(0, "", "profile", "show", "lea", "--max-sectors", "4")
			if strings.Contains(out, "warning") {
				t.Errorf("a warning under --max-sectors 4:\n%s", out)
			}
		})
	}
}

func TestProfileCommandEnvMaxSectors(t *testing.T) {
	t.Parallel()
	dsn := profileDB(t, store.EngineSQLite)
	for _, c := range []struct {
		env  string
		warn bool
	}{{"", false}, {"2", true}} {
		var out strings.Builder
		code := runEnv(t, &out, map[string]string{"PALABRE_MAX_SECTORS": c.env}, "profile", "show", "lea", "--db", dsn)
		if code != 0 || strings.Contains(out.String(), "warning") != c.warn {
			t.Errorf("PALABRE_MAX_SECTORS=%q: exit %d, warning %t, want %t:\n%s", c.env, code, !c.warn, c.warn, out.String())
		}
	}
}

func TestProfileCommandRefusals(t *testing.T) {
	t.Parallel()
	dsn := profileDB(t, store.EngineSQLite)
	palabre := palabreOn(t, dsn)
	palabre(0, "", "profile", "set", "lea", "--capacity", "7")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"profile", "set", "lea", "--languages", "french"}, 2, `language "french"`},
		{[]string{"profile", "set", "lea", "--time-zone", "Europe/Atlantis"}, 2, `unknown`},
		{[]string{"profile", "set", "lea", "--hours", "lun 09:00-10:00"}, 2, `days "lun"`},
		{[]string{"profile", "set", "lea", "--hours", "fri-mon 09:00-10:00"}, 2, `from Monday towards Sunday`},
		{[]string{"profile", "set", "lea", "--hours", "mon 9h-10h"}, 2, `want HH:MM-HH:MM`},
		{[]string{"profile", "set", "lea", "--hours", "mon 09:00-12:00,11:00-13:00"}, 2, `overlaps`},
		{[]string{"profile", "set", "lea", "--hours", "mon"}, 2, `want days then intervals`},
		{[]string{"profile", "set", "lea", "--capacity", "-1"}, 2, `capacity -1`},
		{[]string{"profile", "set", "lea", "--capacity", "lots"}, 2, `not a whole number`},
		{[]string{"profile", "set", "lea", "--status", "busy"}, 2, `want available or away`},
		{[]string{"profile", "set", "lea", "--topic", "velo-pneus"}, 2, `WORKSPACE:TOPIC=STRENGTH`},
		{[]string{"profile", "set", "lea", "--topic", "velo:pneus=2"}, 2, `from 0 (remove) to 1`},
		{[]string{"profile", "set", "lea", "--topic", "nope:pneus=1"}, 2, `no workspace "nope"`},
		{[]string{"profile", "show", "lea", "--max-sectors", "0"}, 2, `--max-sectors 0`},
		{[]string{"profile", "show"}, 2, `takes 1 argument`},
		{[]string{"profile", "show", "ghost"}, 1, `not found`},
		{[]string{"profile", "frob"}, 2, `unknown subcommand`},
	}
	for _, c := range cases {
		_, errOut := palabre(c.code, "", c.args...)
		if !strings.Contains(errOut, c.want) {
			t.Errorf("palabre %q: stderr lacks %q:\n%s", c.args, c.want, errOut)
		}
	}
	out, _ := palabre(0, "", "profile", "show", "lea", "--json")
	if v := profileView(t, out); v.Capacity != 7 || len(v.Languages) != 0 || len(v.Specialisations) != 0 {
		t.Errorf("refused sets changed the profile: %+v", v)
	}
	// Help names the subcommands.
	if _, errOut := palabre(0, "", "profile", "--help"); !strings.Contains(errOut, "palabre profile set") {
		t.Errorf("help:\n%s", errOut)
	}
	if code, _, errOut := run(t, "", "profile"); code != 2 || !strings.Contains(errOut, "show or set") {
		t.Errorf("profile alone: exit %d, %s", code, errOut)
	}
}

// runEnv runs palabre in-process with the environment env, writing its
// standard output to out, and returns its exit code.
func runEnv(t *testing.T, out *strings.Builder, env map[string]string, args ...string) int {
	t.Helper()
	var errb strings.Builder
	code := cli.Main(context.Background(), args, cli.Env{
		Stdin: strings.NewReader(""), Stdout: out, Stderr: &errb,
		Getenv: func(k string) string { return env[k] },
	})
	if code != 0 {
		t.Logf("stderr: %s", errb.String())
	}
	return code
}
