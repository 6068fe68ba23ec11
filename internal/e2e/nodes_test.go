package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// stream is one client of GET /api/v1/events: the events it received, by
// name, on a channel.
type stream struct {
	events chan model.Event
}

// listen opens the live stream of c's user and, like a browser's
// EventSource, reconnects with Last-Event-ID when the server ends it (a
// client too slow for a burst is cut off, and catches up on reconnecting);
// it is closed when the test ends.
func (c client) listen(t *testing.T) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s := &stream{events: make(chan model.Event, 10000)}
	connect := func(last int64) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", c.base+"/api/v1/events", nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		if last > 0 {
			req.Header.Set("Last-Event-ID", fmt.Sprint(last))
		}
		res, err := http.DefaultClient.Do(req)
		if err == nil && (res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream")) {
			res.Body.Close()
			err = fmt.Errorf("events: status %d, %s", res.StatusCode, res.Header.Get("Content-Type"))
		}
		return res, err
	}
	res, err := connect(0)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		var last int64
		for {
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
				data, ok := strings.CutPrefix(sc.Text(), "data: ")
				if !ok {
					continue
				}
				var e model.Event
				if json.Unmarshal([]byte(data), &e) != nil {
					continue
				}
				if e.ID > last {
					last = e.ID
				}
				select {
				case s.events <- e:
				default:
				}
			}
			res.Body.Close()
			for ctx.Err() == nil {
				if res, err = connect(last); err == nil {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if ctx.Err() != nil {
				return
			}
		}
	}()
	return s
}

// await waits up to 10 seconds for an event that match accepts.
func (s *stream) await(t *testing.T, what string, match func(model.Event) bool) model.Event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e := <-s.events:
			if match(e) {
				return e
			}
		case <-timeout:
			t.Fatalf("no event: %s", what)
		}
	}
}

// TestTwoServersShareOnePostgres runs two palabre servers on one
// PostgreSQL database: both route the same conversations at once, yet each
// is assigned exactly once; an event caused through one server reaches
// the live clients of the other, and so does presence.
func TestTwoServersShareOnePostgres(t *testing.T) {
	t.Parallel()
	dsn := testutil.NewDSN(t, store.EnginePostgres)
	run(t, "admin pass phrase 1\n", "user", "add", "admin", "--admin", "--db", dsn, "--password-file", "-")
	a, b := serve(t, dsn), serve(t, dsn)
	adminA := as(t, dsn, a, "admin")
	adminA.must(t, 201, "POST", "/api/v1/workspaces", map[string]string{"slug": "w", "name": "W"})
	cms := []string{"cm1", "cm2", "cm3", "cm4"}
	for _, login := range cms {
		adminA.must(t, 201, "POST", "/api/v1/users", map[string]any{"login": login, "password": "pass phrase of " + login})
		adminA.must(t, 200, "PUT", "/api/v1/workspaces/w/members/"+login, map[string]string{"role": "cm"})
	}

	// Live clients of B, before anything happens.
	cm1B := as(t, dsn, b, "cm1")
	events := cm1B.listen(t)

	const n = 300
	var msgs []map[string]any
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	for i := range n {
		msgs = append(msgs, msg(fmt.Sprintf("m%d", i), fmt.Sprintf("Member %d", i), "Bonjour, une question.", t0.Add(time.Duration(i)*time.Second)))
	}
	run(t, "", "import", "--db", dsn, "--workspace", "w", "--route=false", writeNDJSON(t, msgs...))

	adminB := client{base: b, token: adminA.token}
	testutil.Eventually(t, "every conversation assigned", 30*time.Second, func() bool {
		for _, c := range adminB.conversations(t, "w") {
			if c.Assignee == "" {
				return false
			}
		}
		return true
	})
	st, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ws, err := st.WorkspaceBySlug(context.Background(), "w")
	if err != nil {
		t.Fatal(err)
	}
	convs := adminB.conversations(t, "w")
	if len(convs) != n {
		t.Fatalf("%d conversations, want %d", len(convs), n)
	}
	load := map[string]int{}
	for _, c := range convs {
		history, err := st.ConversationEvents(context.Background(), ws.ID, c.ID, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		assigned := 0
		for _, e := range history {
			if e.Action == "conversation.assign" {
				assigned++
			}
		}
		if assigned != 1 {
			t.Errorf("conversation %d was assigned %d times: %+v", c.ID, assigned, history)
		}
		load[c.Assignee]++
	}
	t.Logf("load across the CMs: %v", load)
	if len(load) != len(cms) {
		t.Errorf("load %v: every CM should have some", load)
	}

	// A change made through A reaches B's live client.
	var target conversation
	for _, c := range convs {
		if c.Assignee == "cm1" {
			target = c
			break
		}
	}
	path := fmt.Sprintf("/api/v1/conversations/%d", target.ID)
	as(t, dsn, a, "cm2").must(t, 200, "PATCH", path, map[string]string{"status": "pending"})
	e := events.await(t, "the status change made through A, on B", func(e model.Event) bool {
		return e.Action == "conversation.status" && e.ConversationID == target.ID && e.ID > 0
	})
	if e.Actor != "cm2" || !strings.Contains(e.Detail, `"after":"pending"`) {
		t.Errorf("event %+v", e)
	}
	// Presence announced on A is seen on B: in its stream and its registry.
	cm3A := as(t, dsn, a, "cm3")
	cm3A.must(t, 200, "PUT", path+"/presence", map[string]string{"state": "typing"})
	events.await(t, "cm3 typing, on B", func(e model.Event) bool {
		return e.Action == "presence" && e.Actor == "cm3" && e.ID == 0 && e.ConversationID == target.ID
	})
	var pres struct {
		Presence []struct {
			Login string `json:"login"`
			State string `json:"state"`
		} `json:"presence"`
	}
	cm1B.must(t, 200, "GET", path+"/presence", nil).decode(t, &pres)
	if len(pres.Presence) != 1 || pres.Presence[0].Login != "cm3" || pres.Presence[0].State != "typing" {
		t.Errorf("presence on B: %+v", pres.Presence)
	}
}
