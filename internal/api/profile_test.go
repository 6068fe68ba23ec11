package api_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"palabre/internal/api"
	"palabre/internal/auth"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// profileWorld is the API, on a real listener, over five workspaces of
// different sectors and a few users, each with a read-write API token.
type profileWorld struct {
	*fixture
	st     *store.Store
	ws     map[string]model.Workspace // by slug
	users  map[string]model.User      // by login
	tokens map[string]string          // by login
}

func newProfileWorld(t *testing.T, st *store.Store, cfg api.Config) *profileWorld {
	t.Helper()
	ctx := context.Background()
	w := &profileWorld{st: st, ws: map[string]model.Workspace{}, users: map[string]model.User{}, tokens: map[string]string{}}
	for slug, sector := range map[string]string{"velo": "cycling", "banque": "banking", "beaute": "cosmetics",
		"voyage": "travel", "resto": "food"} {
		ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: slug, Sector: sector})
		if err != nil {
			t.Fatal(err)
		}
		w.ws[slug] = ws
	}
	for _, u := range []struct {
		login, name string
		admin       bool
		roles       map[string]string
	}{
		{"lea", "Léa", false, map[string]string{"velo": model.RoleCM, "banque": model.RoleCM, "beaute": model.RoleCM}},
		{"max", "Max", false, map[string]string{"velo": model.RoleManager}},
		{"olga", "Olga", false, map[string]string{"resto": model.RoleOwner}},
		{"ned", "Ned", false, nil},
		{"root", "Root", true, nil},
	} {
		user, err := st.CreateUser(ctx, model.User{Login: u.login, Name: u.name, IsAdmin: u.admin}, "x", "test")
		if err != nil {
			t.Fatal(err)
		}
		for slug, role := range u.roles {
			if err := st.SetMembership(ctx, user.ID, w.ws[slug].ID, role, "test"); err != nil {
				t.Fatal(err)
			}
		}
		w.users[u.login] = user
		w.tokens[u.login] = w.token(t, u.login, model.APIToken{Name: "rw", CanWrite: true})
	}
	w.fixture = serveAPI(t, st, cfg)
	return w
}

// serveAPI serves the API configured by cfg over st on a real listener.
func serveAPI(t *testing.T, st *store.Store, cfg api.Config) *fixture {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: api.New(cfg, st, nil, nil, slog.New(slog.DiscardHandler))}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return &fixture{base: "http://" + ln.Addr().String()}
}

func (w *profileWorld) token(t *testing.T, login string, tok model.APIToken) string {
	t.Helper()
	secret, hash, err := auth.NewAPIToken()
	if err != nil {
		t.Fatal(err)
	}
	tok.UserID = w.users[login].ID
	if _, err := w.st.CreateAPIToken(context.Background(), tok, hash, "test"); err != nil {
		t.Fatal(err)
	}
	return secret
}

// as calls the API as the user login.
func (w *profileWorld) as(t *testing.T, login, method, path, body string) response {
	t.Helper()
	return w.call(t, method, path, body, withToken(w.tokens[login]))
}

func decodeView(t *testing.T, res response) model.ProfileView {
	t.Helper()
	if res.status != http.StatusOK {
		t.Fatalf("status %d, body %s", res.status, res.body)
	}
	checkJSONHeaders(t, res)
	var v model.ProfileView
	if err := json.Unmarshal(res.body, &v); err != nil {
		t.Fatalf("%v in %s", err, res.body)
	}
	return v
}

func TestProfileAPI(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newProfileWorld(t, st, api.Config{})
		const path = "/api/v1/users/lea/profile"

		// A user without a profile has the default one.
		v := decodeView(t, w.as(t, "lea", "GET", path, ""))
		want := model.NewProfileView(w.users["lea"], model.DefaultProfile(w.users["lea"].ID),
			[]string{"banking", "cosmetics", "cycling"}, 3)
		if !reflect.DeepEqual(v, want) {
			t.Fatalf("default view\n%+v\nwant\n%+v", v, want)
		}

		body := `{"languages":["fr","en"],"time_zone":"Europe/Paris",
			"hours":{"mon":["09:00-12:30","14:00-18:00"],"fri":["09:00-12:00"]},
			"capacity":20,"status":"away",
			"specialisations":[{"workspace":"velo","topic":"pneus","strength":0.8},{"workspace":"banque","topic":"crédit","strength":1}]}`
		v = decodeView(t, w.as(t, "lea", "PUT", path, body))
		wantProfile := model.Profile{UserID: w.users["lea"].ID, Languages: []string{"fr", "en"}, TimeZone: "Europe/Paris",
			Hours:    model.WeeklyHours{"mon": {"09:00-12:30", "14:00-18:00"}, "fri": {"09:00-12:00"}},
			Capacity: 20, Status: model.StatusAway,
			Specialisations: []model.Specialisation{{Workspace: "banque", Topic: "crédit", Strength: 1},
				{Workspace: "velo", Topic: "pneus", Strength: 0.8}},
			UpdatedAt: v.UpdatedAt}
		if v.UpdatedAt.IsZero() || !reflect.DeepEqual(v.Profile, wantProfile) || v.Login != "lea" || v.Name != "Léa" || v.Warning != "" {
			t.Fatalf("after PUT\n%+v\nwant\n%+v", v, wantProfile)
		}
		// GET answers the same; the login may come in any letter case.
		if got := decodeView(t, w.as(t, "lea", "GET", "/api/v1/users/LEA/profile", "")); !reflect.DeepEqual(got, v) {
			t.Fatalf("GET after PUT\n%+v\nwant\n%+v", got, v)
		}

		// A PUT replaces the whole profile: what it leaves out is reset.
		v = decodeView(t, w.as(t, "lea", "PUT", path, `{"capacity":5}`))
		if v.Capacity != 5 || v.Status != model.StatusAvailable || v.TimeZone != "UTC" || len(v.Languages) != 0 ||
			len(v.Specialisations) != 0 || len(v.Hours) != 0 {
			t.Fatalf("after a partial PUT: %+v", v)
		}

		// The status alone.
		v = decodeView(t, w.as(t, "lea", "PUT", "/api/v1/me/status", `{"status":"away"}`))
		if v.Status != model.StatusAway || v.Capacity != 5 || v.Login != "lea" {
			t.Fatalf("after status: %+v", v)
		}
		for _, bad := range []string{`{"status":"busy"}`, `{}`, `{"status":"away","capacity":3}`, `away`} {
			checkProblem(t, w.as(t, "lea", "PUT", "/api/v1/me/status", bad), http.StatusBadRequest)
		}
		if v := decodeView(t, w.as(t, "lea", "GET", path, "")); v.Status != model.StatusAway {
			t.Fatalf("a refused status changed it: %+v", v)
		}
	})
}

func TestProfileAPIValidation(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newProfileWorld(t, st, api.Config{})
		const path = "/api/v1/users/lea/profile"
		good := decodeView(t, w.as(t, "lea", "PUT", path,
			`{"languages":["fr"],"specialisations":[{"workspace":"velo","topic":"pneus","strength":0.5}]}`))
		many := make([]string, 201)
		for i := range many {
			many[i] = `{"workspace":"velo","topic":"t` + strings.Repeat("x", i) + `","strength":1}`
		}
		tests := []struct{ name, body, detail string }{
			{"language", `{"languages":["french"]}`, `language \"french\"`},
			{"upper-case language", `{"languages":["FR"]}`, `language \"FR\"`},
			{"time zone", `{"time_zone":"Europe/Atlantis"}`, `time zone \"Europe/Atlantis\": unknown`},
			{"weekday", `{"hours":{"lundi":["09:00-10:00"]}}`, `unknown weekday \"lundi\"`},
			{"interval", `{"hours":{"mon":["9h-12h"]}}`, `interval \"9h-12h\": want HH:MM-HH:MM`},
			{"backwards", `{"hours":{"mon":["18:00-09:00"]}}`, `ends before it starts`},
			{"overlap", `{"hours":{"mon":["09:00-12:00","11:30-14:00"]}}`, `09:00-12:00 overlaps 11:30-14:00`},
			{"negative capacity", `{"capacity":-1}`, `capacity -1`},
			{"huge capacity", `{"capacity":10001}`, `capacity 10001`},
			{"fractional capacity", `{"capacity":1.5}`, `request body`},
			{"status", `{"status":"busy"}`, `status \"busy\"`},
			{"strength", `{"specialisations":[{"workspace":"velo","topic":"pneus","strength":0}]}`, `strength 0`},
			{"strength too high", `{"specialisations":[{"workspace":"velo","topic":"pneus","strength":2}]}`, `strength 2`},
			{"unknown workspace", `{"specialisations":[{"workspace":"nope","topic":"pneus","strength":1}]}`, `no workspace \"nope\"`},
			{"too many", `{"specialisations":[` + strings.Join(many, ",") + `]}`, `at most 200`},
			{"user_id", `{"user_id":7}`, `unknown field \"user_id\"`},
			{"updated_at", `{"updated_at":"2024-01-01T00:00:00Z"}`, `unknown field \"updated_at\"`},
			{"unknown field of a specialisation", `{"specialisations":[{"workspace":"velo","topic":"x","strength":1,"weight":2}]}`, `unknown field`},
			{"not JSON", `languages=fr`, `request body`},
			{"empty", ``, `empty`},
			{"two objects", `{} {}`, `more than one`},
		}
		for _, tt := range tests {
			res := w.as(t, "lea", "PUT", path, tt.body)
			if res.status != http.StatusBadRequest || !strings.Contains(string(res.body), tt.detail) {
				t.Errorf("%s: status %d, body %s; want 400 with %s", tt.name, res.status, res.body, tt.detail)
			}
			if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("%s: Content-Type %q", tt.name, ct)
			}
		}
		if got := decodeView(t, w.as(t, "lea", "GET", path, "")); !reflect.DeepEqual(got, good) {
			t.Errorf("refused PUTs changed the profile:\n%+v\nwant\n%+v", got, good)
		}
	})
}

func TestProfileAPIAuthorization(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newProfileWorld(t, st, api.Config{})
		ctx := context.Background()
		body := `{"languages":["en"]}`
		cases := []struct {
			who, target string
			status      int
			why         string
		}{
			{"lea", "lea", 200, "one's own"},
			{"max", "lea", 200, "the manager of velo, where lea is a CM"},
			{"root", "lea", 200, "an administrator"},
			{"root", "ned", 200, "an administrator, for a user with no role"},
			{"ned", "ned", 200, "one's own, without any role"},
			{"olga", "lea", 404, "the owner of resto, where lea has no role"},
			{"ned", "lea", 404, "a user with no role"},
			{"lea", "max", 404, "a CM, for the manager of her workspace"},
			{"max", "olga", 404, "a manager, for a user of another workspace"},
			{"max", "ned", 404, "a manager, for a user with no role"},
			{"max", "ghost", 404, "a login nobody has"},
			{"root", "ghost", 404, "a login nobody has, as administrator"},
		}
		for _, c := range cases {
			path := "/api/v1/users/" + c.target + "/profile"
			for _, method := range []string{"GET", "PUT"} {
				res := w.as(t, c.who, method, path, body)
				if res.status != c.status {
					t.Errorf("%s %s as %s (%s): status %d, want %d; body %s", method, path, c.who, c.why, res.status, c.status, res.body)
					continue
				}
				if c.status == 404 {
					// A user one may not reach looks like one who does not exist.
					checkProblem(t, res, 404, `user "`+c.target+`": not found`)
				}
			}
		}
		// An owner reaches the people of the workspaces they own.
		if err := st.SetMembership(ctx, w.users["ned"].ID, w.ws["resto"].ID, model.RoleExpert, "test"); err != nil {
			t.Fatal(err)
		}
		if res := w.as(t, "olga", "GET", "/api/v1/users/ned/profile", ""); res.status != 200 {
			t.Errorf("the owner of resto, for an expert of resto: status %d, body %s", res.status, res.body)
		}

		// A token limited to some workspaces reaches others only through them.
		for _, c := range []struct {
			slug   string
			status int
		}{{"velo", 200}, {"resto", 404}} {
			scoped := w.token(t, "root", model.APIToken{Name: "scoped", CanWrite: true, Workspaces: []int64{w.ws[c.slug].ID}})
			res := w.call(t, "GET", "/api/v1/users/lea/profile", "", withToken(scoped))
			if res.status != c.status {
				t.Errorf("administrator's token for %s, lea's profile: status %d, want %d", c.slug, res.status, c.status)
			}
			if res := w.call(t, "GET", "/api/v1/users/root/profile", "", withToken(scoped)); res.status != 200 {
				t.Errorf("administrator's token for %s, own profile: status %d", c.slug, res.status)
			}
		}

		// A read-only token reads, and changes nothing.
		readOnly := w.token(t, "max", model.APIToken{Name: "ro"})
		if res := w.call(t, "GET", "/api/v1/users/lea/profile", "", withToken(readOnly)); res.status != 200 {
			t.Errorf("read-only GET: status %d", res.status)
		}
		checkProblem(t, w.call(t, "PUT", "/api/v1/users/lea/profile", `{"capacity":9}`, withToken(readOnly)), 403, "read-only")
		checkProblem(t, w.call(t, "PUT", "/api/v1/me/status", `{"status":"away"}`, withToken(readOnly)), 403, "read-only")
		if p, err := st.Profile(ctx, w.users["lea"].ID); err != nil || p.Capacity == 9 {
			t.Errorf("profile after a read-only PUT: %+v, %v", p, err)
		}
	})
}

func TestProfileAPISpreadWarning(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newProfileWorld(t, st, api.Config{})
		ctx := context.Background()
		const path = "/api/v1/users/lea/profile"
		// Three sectors: at the default limit, no warning.
		v := decodeView(t, w.as(t, "max", "GET", path, ""))
		if v.Warning != "" || !slices.Equal(v.Sectors, []string{"banking", "cosmetics", "cycling"}) {
			t.Fatalf("three sectors: %+v", v)
		}
		if res := w.as(t, "max", "GET", path, ""); strings.Contains(string(res.body), `"warning"`) {
			t.Errorf("a warning field without a warning: %s", res.body)
		}
		// An expert's or a client's workspace does not count; a fourth
		// CM's does.
		if err := st.SetMembership(ctx, w.users["lea"].ID, w.ws["resto"].ID, model.RoleExpert, "test"); err != nil {
			t.Fatal(err)
		}
		if v := decodeView(t, w.as(t, "lea", "GET", path, "")); v.Warning != "" {
			t.Fatalf("an expert's workspace counted: %+v", v)
		}
		if err := st.SetMembership(ctx, w.users["lea"].ID, w.ws["voyage"].ID, model.RoleCM, "test"); err != nil {
			t.Fatal(err)
		}
		for _, req := range []struct{ method, path, body string }{
			{"GET", path, ""},
			{"PUT", path, `{"languages":["fr"]}`},
			{"PUT", "/api/v1/me/status", `{"status":"away"}`},
		} {
			v := decodeView(t, w.as(t, "lea", req.method, req.path, req.body))
			const want = "Léa works in 4 unrelated sectors (banking, cosmetics, cycling, travel): more than 3"
			if !strings.HasPrefix(v.Warning, want) || len(v.Sectors) != 4 {
				t.Errorf("%s %s: warning %q, want %q…", req.method, req.path, v.Warning, want)
			}
		}
		// The limit is the server's.
		wide := serveAPI(t, st, api.Config{MaxSectors: 4})
		if v := decodeView(t, wide.call(t, "GET", path, "", withToken(w.tokens["lea"]))); v.Warning != "" || len(v.Sectors) != 4 {
			t.Errorf("with a limit of 4: %+v", v)
		}
		narrow := serveAPI(t, st, api.Config{MaxSectors: 1})
		if v := decodeView(t, narrow.call(t, "GET", "/api/v1/users/max/profile", "", withToken(w.tokens["max"]))); v.Warning != "" {
			t.Errorf("one sector, limit 1: %+v", v)
		}
		if v := decodeView(t, narrow.call(t, "GET", path, "", withToken(w.tokens["lea"]))); !strings.Contains(v.Warning, "more than 1") {
			t.Errorf("limit 1: %+v", v)
		}
	})
}
