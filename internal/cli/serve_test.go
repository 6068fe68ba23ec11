package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"palabre/internal/cli"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// startCommand runs a serving command in-process until the returned stop
// is called; it waits for the URL the command announces.
func startCommand(t *testing.T, args ...string) (url string, stdout *bytes.Buffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan int, 1)
	var out, errb bytes.Buffer
	go func() {
		done <- cli.Main(ctx, args, cli.Env{
			Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
			Getenv: func(string) string { return "" },
			Ready:  func(u string) { ready <- u },
		})
	}()
	select {
	case url = <-ready:
	case code := <-done:
		cancel()
		t.Fatalf("%v exited with %d before serving: %s", args, code, errb.String())
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatalf("%v did not start serving", args)
	}
	return url, &out, func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(30 * time.Second):
			t.Fatal("command did not stop after cancel")
			return -1
		}
	}
}

// getJSON gets url, with the given Authorization or Cookie header lines
// ("Authorization: Bearer …"), and decodes its JSON answer into v.
func getJSON(t *testing.T, url string, v any, headers ...string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		k, val, _ := strings.Cut(h, ": ")
		req.Header.Set(k, val)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// demoSignIn signs in as the administrator the demo printed, and returns
// the session's Cookie header line.
func demoSignIn(t *testing.T, url, out string) string {
	t.Helper()
	_, rest, ok := strings.Cut(out, "login: ")
	login, rest, ok2 := strings.Cut(rest, " · password: ")
	password, _, _ := strings.Cut(rest, "\n")
	if !ok || !ok2 || password == "" {
		t.Fatalf("the demo does not print its login and password:\n%s", out)
	}
	body, _ := json.Marshal(map[string]string{"login": login, "password": password})
	resp, err := http.Post(url+"api/v1/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign in as %s: %s", login, resp.Status)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "palabre_session" {
			return "Cookie: " + c.Name + "=" + c.Value
		}
	}
	t.Fatal("no session cookie after sign-in")
	return ""
}

func TestDemoSeedsAndServes(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "demo.db")
	url, out, stop := startCommand(t, "demo", "--addr", "127.0.0.1:0", "--db", db)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("demo serves on %q, want loopback", url)
	}
	cookie := demoSignIn(t, url, out.String())
	var ws struct{ Workspaces []struct{ Slug string } }
	getJSON(t, url+"api/v1/workspaces", &ws, cookie)
	if len(ws.Workspaces) != 3 {
		t.Fatalf("demo workspaces: %+v", ws)
	}
	var convs struct {
		Conversations []struct {
			ID           int64
			MessageCount int `json:"message_count"`
		}
	}
	getJSON(t, url+"api/v1/workspaces/velo-atelier/conversations?limit=500", &convs, cookie)
	if len(convs.Conversations) < 10 {
		t.Fatalf("velo-atelier has %d conversations", len(convs.Conversations))
	}
	if code := stop(); code != 0 {
		t.Fatalf("demo exited %d after cancel", code)
	}
	if !strings.Contains(out.String(), url) || !strings.Contains(out.String(), "login") {
		t.Errorf("demo must print its URL and how to log in:\n%s", out)
	}

	// Seeding again adds nothing.
	st := openStore(t, db)
	w, err := st.WorkspaceBySlug(context.Background(), "velo-atelier")
	if err != nil {
		t.Fatal(err)
	}
	before, err := st.WorkspaceStats(context.Background(), w.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, _, stop = startCommand(t, "demo", "--addr", "127.0.0.1:0", "--db", db)
	stop()
	after, err := st.WorkspaceStats(context.Background(), w.ID)
	if err != nil || after != before {
		t.Fatalf("second demo changed the data: %+v → %+v (%v)", before, after, err)
	}
}

func TestServe(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "p.db")
	if code, _, errOut := run(t, "", "import", "--db", db, "--workspace", "w", writeFile(t, "s.ndjson", sampleNDJSON())); code != 0 {
		t.Fatalf("import: %s", errOut)
	}
	if code, _, errOut := run(t, "", "user", "add", "--db", db, "lea", "--admin"); code != 0 {
		t.Fatalf("user add: %s", errOut)
	}
	code, tokenOut, errOut := run(t, "", "token", "create", "--db", db, "lea", "--name", "test", "--json")
	if code != 0 {
		t.Fatalf("token create: %s", errOut)
	}
	var tok struct{ Token string }
	if err := json.Unmarshal([]byte(tokenOut), &tok); err != nil {
		t.Fatal(err)
	}
	// The search index to be built again, as after a migration that
	// changes it: serve answers at once and builds it in the background.
	testutil.ForgetSearchIndex(t, db)
	url, _, stop := startCommand(t, "serve", "--addr", "127.0.0.1:0", "--db", db)
	var health struct{ Status string }
	getJSON(t, url+"healthz", &health)
	if health.Status != "ok" {
		t.Fatalf("healthz: %+v", health)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		pending, err := st.SearchIndexPending(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !pending {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not index the stored messages for search within 30 s")
		}
	}
	ws, err := st.WorkspaceBySlug(context.Background(), "w")
	if err != nil {
		t.Fatal(err)
	}
	page, err := st.Inbox(context.Background(), store.InboxFilter{WorkspaceIDs: []int64{ws.ID}, Query: "magasin"})
	if err != nil || len(page.Rows) != 1 {
		t.Fatalf("search after the backfill: %d rows, %v", len(page.Rows), err)
	}
	var convs struct{ Conversations []struct{ Subject string } }
	getJSON(t, url+"api/v1/workspaces/w/conversations", &convs, "Authorization: Bearer "+tok.Token)
	if len(convs.Conversations) != 3 || convs.Conversations[0].Subject != "Horaires du magasin samedi ?" {
		t.Fatalf("conversations: %+v", convs)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited %d after cancel", code)
	}
	if _, err := http.Get(url + "healthz"); err == nil {
		t.Fatal("still answering after shutdown")
	}
}

func TestCommandLine(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "p.db")
	cases := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{nil, cli.ExitUsage, "", "Commands:"},
		{[]string{"help"}, cli.ExitOK, "", "import"},
		{[]string{"frobnicate"}, cli.ExitUsage, "", `unknown command "frobnicate"`},
		{[]string{"version"}, cli.ExitOK, "palabre ", ""},
		{[]string{"version", "extra"}, cli.ExitUsage, "", "no arguments"},
		{[]string{"import", "-h"}, cli.ExitOK, "", "PALABRE_WORKSPACE"},
		{[]string{"export", "--db", db}, cli.ExitUsage, "", "--workspace is required"},
		{[]string{"export", "--db", db, "--workspace", "nope"}, cli.ExitFailure, "", `workspace "nope": not found`},
		{[]string{"export", "--db", db, "--workspace", "w", "--format", "xml"}, cli.ExitUsage, "", "ndjson or csv"},
		{[]string{"serve", "--db", db, "--addr", "256.0.0.1:99999"}, cli.ExitFailure, "", "256.0.0.1"},
		{[]string{"serve", "--nope"}, cli.ExitUsage, "", "flag provided but not defined"},
		{[]string{"import", "--workspace", "w", "--db", db, filepath.Join(t.TempDir(), "missing.xml")}, cli.ExitFailure, "", "missing.xml"},
		{[]string{"import", "--workspace", "w", "--db", db, t.TempDir()}, cli.ExitFailure, "", "is a directory"},
	}
	for _, c := range cases {
		code, out, errOut := run(t, "", c.args...)
		if code != c.code || !strings.Contains(out, c.stdout) || !strings.Contains(errOut, c.stderr) {
			t.Errorf("palabre %v: exit %d, stdout %q, stderr %q; want exit %d, %q, %q",
				c.args, code, out, errOut, c.code, c.stdout, c.stderr)
		}
	}
	// The environment supplies flags the command line leaves out.
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), []string{"import", "--json", writeFile(t, "e.ndjson", sampleNDJSON())}, cli.Env{
		Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string {
			return map[string]string{"PALABRE_DB": db, "PALABRE_WORKSPACE": "from-env"}[k]
		},
	})
	if code != 0 {
		t.Fatalf("import with PALABRE_* settings: exit %d: %s", code, errb.String())
	}
	if _, err := openStore(t, db).WorkspaceBySlug(context.Background(), "from-env"); err != nil {
		t.Fatalf("PALABRE_WORKSPACE ignored: %v", err)
	}
	code, _, errOut := run(t, "", "import", "--db", db, "--workspace", "w", "--batch-size", "0", "x")
	if code != cli.ExitUsage || !strings.Contains(errOut, "--batch-size") {
		t.Errorf("--batch-size 0: exit %d %s", code, errOut)
	}
}

func TestServeWithoutUsersSaysHowToStart(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "empty.db")
	url, out, stop := startCommand(t, "serve", "--addr", "127.0.0.1:0", "--db", db)
	resp, err := http.Get(url + "api/v1/workspaces")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/workspaces without credentials: %s, want 401", resp.Status)
	}
	stop()
	if !strings.Contains(out.String(), "palabre user add LOGIN --admin") {
		t.Errorf("serve on a database without users does not say how to create one:\n%s", out)
	}
}
