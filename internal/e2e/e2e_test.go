// Package e2e drives real palabre processes — the binary built from this
// tree — over HTTP, as a team would use them: an agency with two client
// workspaces, CMs with their specialisations, messages imported, routed,
// answered; and two servers sharing one PostgreSQL database.
package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"palabre/internal/store"
	"palabre/internal/testutil"
)

// binary is the palabre binary built once for the package's tests.
var binary struct {
	once sync.Once
	path string
	err  error
}

// palabreBin builds palabre from this tree, once.
func palabreBin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the palabre binary; skipped with -short")
	}
	binary.once.Do(func() {
		dir, err := os.MkdirTemp("", "palabre-e2e")
		if err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(dir, "palabre")
		out, err := exec.Command("go", "build", "-o", binary.path, "palabre/cmd/palabre").CombinedOutput()
		if err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.path != "" {
		os.RemoveAll(filepath.Dir(binary.path))
	}
	os.Exit(code)
}

// run runs a palabre command to its end and returns its standard output.
func run(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(palabreBin(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("palabre %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String()
}

var servingAt = regexp.MustCompile(`serving at (http://127\.0\.0\.1:\d+)/`)

// serve starts `palabre serve` on dsn and returns its base URL; the
// process is stopped when the test ends.
func serve(t *testing.T, dsn string, extra ...string) string {
	t.Helper()
	args := append([]string{"serve", "--db", dsn, "--addr", "127.0.0.1:0"}, extra...)
	cmd := exec.Command(palabreBin(t), args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := servingAt.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case url := <-found:
		return url
	case <-time.After(30 * time.Second):
		t.Fatalf("palabre serve did not say where it serves; log:\n%s", logs.String())
	}
	return ""
}

// client calls the API of one server as one user.
type client struct {
	base, token string
}

type answer struct {
	status int
	body   []byte
}

func (a answer) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("decode %s: %v", a.body, err)
	}
}

func (c client) call(t *testing.T, method, path string, body any) answer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := (&http.Client{Timeout: 15 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{status: res.StatusCode, body: b}
}

// must calls and checks the status.
func (c client) must(t *testing.T, want int, method, path string, body any) answer {
	t.Helper()
	a := c.call(t, method, path, body)
	if a.status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, a.status, want, a.body)
	}
	return a
}

// as returns a client for login with a fresh read-write API token, made
// with the command line as an administrator would.
func as(t *testing.T, dsn, base, login string) client {
	t.Helper()
	out := run(t, "", "token", "create", login, "--db", dsn, "--name", "e2e", "--write", "--json")
	var tok struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal([]byte(out), &tok); err != nil || tok.Token == "" {
		t.Fatalf("token create: %q %v", out, err)
	}
	return client{base: base, token: tok.Token}
}

// conversation is the part of the API's conversation the tests read.
type conversation struct {
	ID               int64    `json:"id"`
	Workspace        string   `json:"workspace"`
	RootExternalID   string   `json:"root_external_id"`
	Status           string   `json:"status"`
	Assignee         string   `json:"assignee"`
	AssignmentReason string   `json:"assignment_reason"`
	Tags             []string `json:"tags"`
	SLA              struct {
		Policy        string     `json:"policy"`
		ResponseDueAt *time.Time `json:"response_due_at"`
	} `json:"sla"`
}

// conversations lists a workspace's conversations by root external id.
func (c client) conversations(t *testing.T, slug string) map[string]conversation {
	t.Helper()
	var page struct {
		Conversations []conversation `json:"conversations"`
	}
	c.must(t, 200, "GET", "/api/v1/workspaces/"+slug+"/conversations?limit=500", nil).decode(t, &page)
	out := map[string]conversation{}
	for _, cv := range page.Conversations {
		out[cv.RootExternalID] = cv
	}
	return out
}

// writeNDJSON writes messages as an NDJSON file and returns its path.
func writeNDJSON(t *testing.T, msgs ...map[string]any) string {
	t.Helper()
	var b bytes.Buffer
	for _, m := range msgs {
		line, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(append(line, '\n'))
	}
	path := filepath.Join(t.TempDir(), "messages.ndjson")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func msg(id, author, body string, at time.Time) map[string]any {
	return map[string]any{"channel": "forum", "external_id": id, "author_name": author,
		"author_email": strings.ToLower(strings.Fields(author)[0]) + "@example.org", "body": body,
		"created_at": at.Format(time.RFC3339)}
}

// TestAgency is the end-to-end scenario, on each engine.
func TestAgency(t *testing.T) {
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			agency(t, testutil.NewDSN(t, engine))
		})
	}
}

func agency(t *testing.T, dsn string) {
	run(t, "admin pass phrase 1\n", "user", "add", "admin", "--admin", "--db", dsn, "--password-file", "-")
	base := serve(t, dsn)
	admin := as(t, dsn, base, "admin")

	// An agency with two client brands.
	admin.must(t, 201, "POST", "/api/v1/workspaces", map[string]string{"slug": "velo", "name": "Vélo Cité", "sector": "cycling", "language": "fr"})
	admin.must(t, 201, "POST", "/api/v1/workspaces", map[string]string{"slug": "banque", "name": "Banque Nord", "sector": "banking", "language": "fr"})
	for _, u := range []struct{ login, name string }{
		{"lea", "Léa Martin"}, {"max", "Max Durand"}, {"zoe", "Zoé Petit"},
		{"mia", "Mia Laurent"}, {"paul", "Paul Expert"}, {"cli", "Client Vélo"},
	} {
		admin.must(t, 201, "POST", "/api/v1/users", map[string]any{"login": u.login, "name": u.name, "password": "pass phrase of " + u.login})
	}
	for _, m := range []struct{ ws, login, role string }{
		{"velo", "lea", "cm"}, {"velo", "max", "cm"}, {"banque", "zoe", "cm"},
		{"velo", "mia", "manager"}, {"banque", "mia", "manager"}, // the agency's manager
		{"velo", "paul", "expert"}, {"velo", "cli", "client"},
	} {
		admin.must(t, 200, "PUT", "/api/v1/workspaces/"+m.ws+"/members/"+m.login, map[string]string{"role": m.role})
	}
	// Three CMs, three specialisations.
	topics := map[string]map[string][]string{
		"velo":   {"Freins": {"frein", "plaquettes"}, "Livraison": {"livraison", "colis", "parcel", "delivery"}},
		"banque": {"Crédit": {"crédit", "prêt"}},
	}
	for ws, vocab := range topics {
		for name, terms := range vocab {
			admin.must(t, 201, "PUT", "/api/v1/workspaces/"+ws+"/topics/"+name, map[string]any{"terms": terms})
		}
	}
	for login, p := range map[string]map[string]any{
		"lea": {"languages": []string{"fr"}, "capacity": 10, "specialisations": []map[string]any{{"workspace": "velo", "topic": "Freins", "strength": 0.9}}},
		"max": {"languages": []string{"en", "fr"}, "capacity": 10, "specialisations": []map[string]any{{"workspace": "velo", "topic": "Livraison", "strength": 0.8}}},
		"zoe": {"languages": []string{"fr"}, "capacity": 10, "specialisations": []map[string]any{{"workspace": "banque", "topic": "Crédit", "strength": 0.9}}},
	} {
		admin.must(t, 200, "PUT", "/api/v1/users/"+login+"/profile", p)
	}
	// The brand's promise: a first answer within 2 business hours, Monday
	// to Friday 09:00–18:00 in Paris.
	week := map[string][]string{}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri"} {
		week[d] = []string{"09:00-18:00"}
	}
	mia := as(t, dsn, base, "mia")
	mia.must(t, 200, "PUT", "/api/v1/workspaces/velo/sla", map[string]any{
		"calendar": map[string]any{"time_zone": "Europe/Paris", "hours": week},
		"policies": []map[string]any{{"name": "standard", "first_response": "2h", "next_response": "4h"}},
	})

	// Friday 20 November 2026, 17:00 in Paris (16:00 UTC): two business
	// hours end on Monday at 10:00 Paris, 09:00 UTC.
	friday := time.Date(2026, 11, 20, 16, 0, 0, 0, time.UTC)
	run(t, "", "import", "--db", dsn, "--workspace", "velo", "--route=false", writeNDJSON(t,
		msg("v1", "Jean Dupont", "Mes freins à disque grincent depuis que j'ai changé les plaquettes, que faire ?", friday),
		msg("v2", "Kate Smith", "Where is my parcel? The delivery is three days late, please help.", friday.Add(time.Minute)),
	))
	run(t, "", "import", "--db", dsn, "--workspace", "banque", "--route=false", writeNDJSON(t,
		msg("b1", "Paul Martin", "Bonjour, je voudrais un prêt pour acheter une voiture, quel taux ?", friday),
	))

	// The servers route them: each to the CM who knows, with the reason.
	lea, zoe := as(t, dsn, base, "lea"), as(t, dsn, base, "zoe")
	want := map[string]struct{ ws, cm, why string }{
		"v1": {"velo", "lea", "topic 'Freins'"},
		"v2": {"velo", "max", "topic 'Livraison'"},
		"b1": {"banque", "zoe", "topic 'Crédit'"},
	}
	convs := map[string]conversation{}
	testutil.Eventually(t, "every conversation routed", 30*time.Second, func() bool {
		for root, w := range want {
			c, ok := admin.conversations(t, w.ws)[root]
			if !ok || c.Assignee == "" {
				return false
			}
			convs[root] = c
		}
		return true
	})
	for root, w := range want {
		c := convs[root]
		if c.Assignee != w.cm || !strings.Contains(c.AssignmentReason, w.why) {
			t.Errorf("%s: assigned to %q because %q; want %s because %s", root, c.Assignee, c.AssignmentReason, w.cm, w.why)
		}
	}

	// SLA due times.
	due := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	testutil.Eventually(t, "SLA due times computed", 30*time.Second, func() bool {
		c := admin.conversations(t, "velo")["v1"]
		return c.SLA.ResponseDueAt != nil
	})
	if c := admin.conversations(t, "velo")["v1"]; !c.SLA.ResponseDueAt.Equal(due) || c.SLA.Policy != "standard" {
		t.Errorf("v1 response due %v under %q, want %v under standard", c.SLA.ResponseDueAt, c.SLA.Policy, due)
	}
	if c := admin.conversations(t, "banque")["b1"]; c.SLA.ResponseDueAt != nil {
		t.Errorf("b1 has a response due time %v though its workspace has no SLA", c.SLA.ResponseDueAt)
	}

	// An expert asked in sees that conversation, and only it.
	v1 := fmt.Sprintf("/api/v1/conversations/%d", convs["v1"].ID)
	v2 := fmt.Sprintf("/api/v1/conversations/%d", convs["v2"].ID)
	paul := as(t, dsn, base, "paul")
	paul.must(t, 404, "GET", v1, nil)
	lea.must(t, 201, "POST", v1+"/notes", map[string]string{"body": "@paul, est-ce un problème de montage des plaquettes ?"})
	paul.must(t, 200, "GET", v1, nil)
	paul.must(t, 404, "GET", v2, nil)
	if got := paul.conversations(t, "velo"); len(got) != 1 || got["v1"].ID != convs["v1"].ID {
		t.Errorf("paul's queue: %+v, want v1 only", got)
	}
	paul.must(t, 201, "POST", v1+"/notes", map[string]string{"body": "Oui : purger et roder les plaquettes."})
	paul.must(t, 403, "POST", v1+"/replies", map[string]any{"body": "x", "confirm": true})

	// A collision: the customer writes again while Léa is answering.
	var thread struct {
		Messages []struct {
			ID int64 `json:"id"`
		} `json:"messages"`
	}
	lea.must(t, 200, "GET", v1, nil).decode(t, &thread)
	seen := thread.Messages[len(thread.Messages)-1].ID
	run(t, "", "import", "--db", dsn, "--workspace", "velo", "--route=false", writeNDJSON(t,
		map[string]any{"channel": "forum", "external_id": "v1-2", "parent_external_id": "v1", "author_name": "Jean Dupont",
			"author_email": "jean@example.org", "body": "Ça grince encore plus ce matin.", "created_at": friday.Add(time.Hour).Format(time.RFC3339)}))
	reply := map[string]any{"body": "Bonjour Jean, il faut roder les plaquettes neuves.", "based_on": seen, "client_id": "e2e-reply-1"}
	var stale struct {
		Status   int `json:"status"`
		Messages []struct {
			ExternalID string `json:"external_id"`
		} `json:"messages"`
	}
	lea.must(t, 409, "POST", v1+"/replies", reply).decode(t, &stale)
	if len(stale.Messages) != 1 || stale.Messages[0].ExternalID != "v1-2" {
		t.Errorf("the 409 lists %+v, want the new message v1-2", stale.Messages)
	}
	reply["confirm"] = true
	lea.must(t, 201, "POST", v1+"/replies", reply)
	lea.must(t, 200, "POST", v1+"/replies", reply) // sent again: the same reply, not a second one
	var outbox struct {
		Outbox []struct {
			Body string `json:"body"`
		} `json:"outbox"`
	}
	mia.must(t, 200, "GET", "/api/v1/workspaces/velo/outbox", nil).decode(t, &outbox)
	if len(outbox.Outbox) != 1 || outbox.Outbox[0].Body != reply["body"] {
		t.Errorf("outbox %+v, want the one reply", outbox.Outbox)
	}

	// The brand's client sees their brand only, and changes nothing.
	cli := as(t, dsn, base, "cli")
	var wss struct {
		Workspaces []struct {
			Slug string `json:"slug"`
		} `json:"workspaces"`
	}
	cli.must(t, 200, "GET", "/api/v1/workspaces", nil).decode(t, &wss)
	if len(wss.Workspaces) != 1 || wss.Workspaces[0].Slug != "velo" {
		t.Errorf("the client sees %+v, want velo only", wss.Workspaces)
	}
	cli.must(t, 200, "GET", v1, nil)
	cli.must(t, 404, "GET", "/api/v1/workspaces/banque/conversations", nil)
	cli.must(t, 403, "PATCH", v1, map[string]string{"status": "resolved"})
	cli.must(t, 403, "GET", v1+"/notes", nil)

	// A CM of one brand finds nothing of the other.
	b1 := fmt.Sprintf("/api/v1/conversations/%d", convs["b1"].ID)
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v1/workspaces/banque/conversations", nil},
		{"GET", "/api/v1/workspaces/banque/topics", nil},
		{"GET", "/api/v1/workspaces/banque/sla", nil},
		{"GET", "/api/v1/workspaces/banque/outbox", nil},
		{"GET", "/api/v1/workspaces/banque/routing-rules", nil},
		{"POST", "/api/v1/workspaces/banque/conversations/bulk", map[string]any{"ids": []int64{convs["b1"].ID}, "status": "resolved"}},
		{"GET", b1, nil},
		{"GET", b1 + "/history", nil},
		{"GET", b1 + "/notes", nil},
		{"POST", b1 + "/notes", map[string]string{"body": "x"}},
		{"PATCH", b1, map[string]string{"status": "resolved"}},
		{"POST", b1 + "/replies", map[string]any{"body": "x", "confirm": true}},
	} {
		lea.must(t, 404, c.method, c.path, c.body)
	}
	if c := zoe.conversations(t, "banque")["b1"]; c.Status != "new" {
		t.Errorf("b1 is %q after Léa's refused calls, want new", c.Status)
	}
}
