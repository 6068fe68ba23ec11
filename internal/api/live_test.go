package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"palabre/internal/api"
	"palabre/internal/live"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// eventWait bounds every wait for an event of a stream.
const eventWait = 5 * time.Second

// sseEvent is one event of a stream, as sent.
type sseEvent struct {
	id    string // "" when the event has no id line
	name  string // its event line
	data  string // its data line
	event model.Event
}

// eventStream is an open GET /api/v1/events, read by a goroutine into
// frames: the blocks of lines the server sent, each ended by a blank line.
type eventStream struct {
	status int
	header http.Header
	body   []byte // the answer's body, when it was not a stream
	frames chan string
	cancel context.CancelFunc
}

// openStream opens the event stream at path; the stream is closed when the
// test ends, or by close.
func (f *fixture) openStream(t *testing.T, path string, opts ...opt) *eventStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range opts {
		o(req)
	}
	// No client timeout: a stream lasts until closed. Its headers come at
	// once, though.
	client := &http.Client{Transport: &http.Transport{ResponseHeaderTimeout: 10 * time.Second, DisableKeepAlives: true}}
	res, err := client.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("GET %s: %v", path, err)
	}
	s := &eventStream{status: res.StatusCode, header: res.Header, frames: make(chan string, 1024), cancel: cancel}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		defer res.Body.Close()
		defer cancel()
		s.body, err = io.ReadAll(io.LimitReader(res.Body, 1<<20))
		if err != nil {
			t.Fatalf("GET %s: read body: %v", path, err)
		}
		close(s.frames)
		return s
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(s.frames)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		var lines []string
		for sc.Scan() {
			if sc.Text() != "" {
				lines = append(lines, sc.Text())
				continue
			}
			if lines != nil {
				s.frames <- strings.Join(lines, "\n")
				lines = nil
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return s
}

// response returns what a stream that did not open answered.
func (s *eventStream) response() response {
	return response{status: s.status, header: s.header, body: s.body}
}

// close ends the stream, as a client going away.
func (s *eventStream) close() { s.cancel() }

// frame returns the next block of lines, failing the test when none comes
// in time or the stream ended.
func (s *eventStream) frame(t *testing.T) string {
	t.Helper()
	select {
	case f, ok := <-s.frames:
		if !ok {
			t.Fatalf("the stream ended")
		}
		return f
	case <-time.After(eventWait):
		t.Fatalf("no event within %v", eventWait)
	}
	return ""
}

// next returns the next event, skipping the retry line and comments.
func (s *eventStream) next(t *testing.T) sseEvent {
	t.Helper()
	for {
		f := s.frame(t)
		var e sseEvent
		hasData := false
		for _, line := range strings.Split(f, "\n") {
			field, value, _ := strings.Cut(line, ": ")
			switch field {
			case "id":
				e.id = value
			case "event":
				e.name = value
			case "data":
				if hasData {
					t.Fatalf("an event of several data lines: %q", f)
				}
				e.data, hasData = value, true
			case "", "retry":
			default:
				t.Fatalf("unknown line %q in %q", line, f)
			}
		}
		if !hasData {
			continue // a comment, or the retry delay
		}
		if err := json.Unmarshal([]byte(e.data), &e.event); err != nil {
			t.Fatalf("event data %q: %v", e.data, err)
		}
		if e.name != e.event.Action {
			t.Errorf("event line %q, data of action %q", e.name, e.event.Action)
		}
		if want := strconv.FormatInt(e.event.ID, 10); e.event.ID != 0 && e.id != want || e.event.ID == 0 && e.id != "" {
			t.Errorf("id line %q for the event of id %d", e.id, e.event.ID)
		}
		return e
	}
}

// until reads events up to the first that match accepts, and returns
// those before it and it.
func (s *eventStream) until(t *testing.T, match func(model.Event) bool) ([]model.Event, model.Event) {
	t.Helper()
	var before []model.Event
	for {
		e := s.next(t)
		if match(e.event) {
			return before, e.event
		}
		before = append(before, e.event)
	}
}

// ended reports whether the stream ends, within eventWait; what it still
// sent is skipped.
func (s *eventStream) ended() bool {
	deadline := time.After(eventWait)
	for {
		select {
		case _, ok := <-s.frames:
			if !ok {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

// is returns a matcher of the events of action about a conversation, whose
// detail holds fragment.
func is(action string, conv int64, fragment string) func(model.Event) bool {
	return func(e model.Event) bool {
		return e.Action == action && e.ConversationID == conv && strings.Contains(e.Detail, fragment)
	}
}

// tag adds a tag to a conversation as who: an event conversation.tags
// whose detail names the tag.
func (w *world) tag(t *testing.T, who string, conv int64, tag string) {
	t.Helper()
	path := fmt.Sprintf("/api/v1/conversations/%d", conv)
	if res := w.as(t, who, "PATCH", path, `{"add_tags":["`+tag+`"]}`); res.status != http.StatusOK {
		t.Fatalf("tag %s as %s: status %d, body %s", tag, who, res.status, res.body)
	}
}

// caughtUp waits until the fixture's hub has read every event stored so
// far: a stream opened afterwards gets only the events that follow, not
// those of the world's set-up that the hub had yet to read.
func (w *world) caughtUp(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	stored, err := w.st.LastEventID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(eventWait)
	for {
		sub := w.live.Hub.Subscribe(func(model.Event) bool { return false })
		read, err := sub.Replay(ctx, 0, nil) // a new client: where live delivery starts
		sub.Close()
		if err != nil {
			t.Fatal(err)
		}
		if read >= stored {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hub read up to event %d, %d are stored", read, stored)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// giveToken gives the person named who, such as the outsider, a
// read-write API token if they have none.
func (w *world) giveToken(t *testing.T, who string) {
	t.Helper()
	if p := w.people[who]; p.token == "" {
		p.token, _ = w.newToken(t, p.user.ID, model.APIToken{Name: "read-write", CanWrite: true})
		w.people[who] = p
	}
}

// stream opens the event stream of the person named who, with query.
func (w *world) stream(t *testing.T, who, query string) *eventStream {
	t.Helper()
	s := w.openStream(t, "/api/v1/events"+query, withToken(w.people[who].token))
	if s.status != http.StatusOK {
		t.Fatalf("events%s as %s: status %d, body %s", query, who, s.status, s.body)
	}
	return s
}

// peekStream opens the stream at path and answers as call does: the status
// and headers and, for a stream, its first block of lines as the body.
func (w *world) peekStream(t *testing.T, path string, opts ...opt) response {
	t.Helper()
	s := w.openStream(t, path, opts...)
	defer s.close()
	res := s.response()
	if s.status == http.StatusOK && res.body == nil {
		res.body = []byte(s.frame(t))
	}
	return res
}

// TestEventStream follows a PATCH to the streams of the users who may see
// it, and only to them.
func TestEventStream(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		w.giveToken(t, outsider)
		w.caughtUp(t)
		cm := w.openStream(t, "/api/v1/events", withToken(w.people[model.RoleCM].token))
		if cm.status != http.StatusOK {
			t.Fatalf("events: status %d, body %s", cm.status, cm.body)
		}
		for name, want := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-store"} {
			if got := cm.header.Get(name); got != want {
				t.Errorf("%s %q, want %q", name, got, want)
			}
		}
		if f := cm.frame(t); f != "retry: 2000" {
			t.Errorf("first lines %q, want the retry delay", f)
		}
		outsider := w.stream(t, outsider, "")

		path := fmt.Sprintf("/api/v1/conversations/%d", w.convA)
		if res := w.as(t, model.RoleManager, "PATCH", path, `{"status":"pending"}`); res.status != http.StatusOK {
			t.Fatalf("PATCH: status %d, body %s", res.status, res.body)
		}
		e := cm.next(t)
		if e.name != "conversation.status" || e.event.ConversationID != w.convA || e.event.WorkspaceID != w.a.ID ||
			e.event.Actor != model.RoleManager || e.event.Detail != `{"after":"pending","before":"new"}` {
			t.Fatalf("the CM got %+v", e)
		}
		if !strings.Contains(e.data, fmt.Sprintf(`"conversation_id":%d`, w.convA)) || e.id != strconv.FormatInt(e.event.ID, 10) {
			t.Errorf("event lines: id %q, data %s", e.id, e.data)
		}
		// The outsider, of B only, gets B's next event and nothing before.
		w.tag(t, admin, w.convB, "b-marker")
		before, got := outsider.until(t, is("conversation.tags", w.convB, "b-marker"))
		if len(before) != 0 || got.ID <= e.event.ID {
			t.Errorf("the outsider got %+v before B's event %d (A's was %d)", before, got.ID, e.event.ID)
		}
		// And the CM does not get B's: their next is A's next.
		w.tag(t, model.RoleManager, w.convA, "a-marker")
		if before, _ := cm.until(t, is("conversation.tags", w.convA, "a-marker")); len(before) != 0 {
			t.Errorf("the CM got %+v, of B", before)
		}
	})
}

// TestEventStreamResumes reconnects with the id of the last event received
// and gets exactly what was missed.
func TestEventStreamResumes(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		w.caughtUp(t)
		cm := w.stream(t, model.RoleCM, "")
		w.tag(t, model.RoleManager, w.convA, "seen")
		_, last := cm.until(t, is("conversation.tags", w.convA, "seen"))
		cm.close()

		w.tag(t, model.RoleManager, w.convA, "missed-1")
		w.tag(t, model.RoleOwner, w.convA, "missed-2")
		w.tag(t, admin, w.convB, "not-theirs")
		lastID := strconv.FormatInt(last.ID, 10)
		for name, open := range map[string]func() *eventStream{
			"header": func() *eventStream {
				return w.openStream(t, "/api/v1/events", withToken(w.people[model.RoleCM].token), withHeader("Last-Event-ID", lastID))
			},
			"parameter": func() *eventStream { return w.stream(t, model.RoleCM, "?last_event_id="+lastID) },
		} {
			s := open()
			if s.status != http.StatusOK {
				t.Fatalf("%s: status %d, body %s", name, s.status, s.body)
			}
			first, second := s.next(t), s.next(t)
			if !is("conversation.tags", w.convA, "missed-1")(first.event) || !is("conversation.tags", w.convA, "missed-2")(second.event) ||
				first.event.ID <= last.ID || second.event.ID <= first.event.ID {
				t.Errorf("%s: replayed %+v then %+v after %d", name, first, second, last.ID)
			}
			s.close()
		}
		// Resumed, a stream goes on live with no repeat.
		s := w.stream(t, model.RoleCM, "?last_event_id="+lastID)
		s.next(t)
		s.next(t)
		w.tag(t, model.RoleManager, w.convA, "live")
		if e := s.next(t); !is("conversation.tags", w.convA, "live")(e.event) {
			t.Errorf("after the replay, %+v, want the live event", e)
		}

		bad := w.openStream(t, "/api/v1/events", withToken(w.people[model.RoleCM].token), withHeader("Last-Event-ID", "12a"))
		checkProblem(t, bad.response(), http.StatusBadRequest, `last event id "12a"`)
		checkProblem(t, w.openStream(t, "/api/v1/events?last_event_id=-1", withToken(w.people[model.RoleCM].token)).response(),
			http.StatusBadRequest, `"-1"`)
	})
}

// TestEventStreamPerRole checks what experts, clients and the others get
// of notes, mentions and conversations.
func TestEventStreamPerRole(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		w.caughtUp(t)
		ids := veloIDs(t, w)
		other, later := ids["p1"], ids["p2"]
		expert := w.stream(t, model.RoleExpert, "")
		client := w.stream(t, model.RoleClient, "")
		cm := w.stream(t, model.RoleCM, "")

		// Before they are asked in, the expert gets nothing of p1.
		w.tag(t, model.RoleCM, other, "before-asked")
		notePath := fmt.Sprintf("/api/v1/conversations/%d/notes", other)
		if res := w.as(t, model.RoleOwner, "POST", notePath, `{"body":"@expert, une idée ?"}`); res.status != http.StatusCreated {
			t.Fatalf("note: status %d, body %s", res.status, res.body)
		}
		before, mention := expert.until(t, func(e model.Event) bool { return e.Action == "note.mention" })
		if len(before) != 0 || mention.ConversationID != other || mention.RecipientID != w.people[model.RoleExpert].user.ID ||
			mention.Actor != model.RoleOwner {
			t.Errorf("the expert got %+v, then the mention %+v", before, mention)
		}
		// Asked in, they get the note that asked them, follow p1, and still
		// nothing else.
		w.tag(t, model.RoleCM, later, "not-asked")
		w.tag(t, model.RoleCM, other, "after-asked")
		if before, _ := expert.until(t, is("conversation.tags", other, "after-asked")); len(before) != 1 ||
			!is("note.add", other, "")(before[0]) {
			t.Errorf("the expert got %+v; want only the note that asked them in, of p1", before)
		}
		// A note of the conversation A they were asked into by newWorld.
		if res := w.as(t, model.RoleCM, "POST", fmt.Sprintf("/api/v1/conversations/%d/notes", w.convA), `{"body":"vu"}`); res.status != http.StatusCreated {
			t.Fatalf("note: status %d, body %s", res.status, res.body)
		}
		if e := expert.next(t); !is("note.add", w.convA, "")(e.event) {
			t.Errorf("the expert got %+v, want the note of A", e)
		}

		// The CM sees the notes, not the notification addressed to the
		// expert; the client sees neither.
		var got []string
		cmBefore, _ := cm.until(t, is("note.add", w.convA, ""))
		for _, e := range cmBefore {
			got = append(got, e.Action+" "+e.Detail)
		}
		want := []string{
			`conversation.tags {"added":["before-asked"],"removed":[]}`,
			fmt.Sprintf(`note.add {"mentions":["expert"],"note":%d}`, noteID(t, st, w.a.ID, other)),
			`conversation.tags {"added":["not-asked"],"removed":[]}`,
			`conversation.tags {"added":["after-asked"],"removed":[]}`,
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("the CM got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		w.tag(t, model.RoleCM, w.convA, "client-marker")
		clientBefore, _ := client.until(t, is("conversation.tags", w.convA, "client-marker"))
		got = nil
		for _, e := range clientBefore {
			got = append(got, e.Action+" "+e.Detail)
		}
		want = []string{
			`conversation.tags {"added":["before-asked"],"removed":[]}`,
			`conversation.tags {"added":["not-asked"],"removed":[]}`,
			`conversation.tags {"added":["after-asked"],"removed":[]}`,
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("the client got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

// noteID is the id of the last note of a conversation.
func noteID(t *testing.T, st *store.Store, workspaceID, conv int64) int64 {
	t.Helper()
	notes, err := st.Notes(context.Background(), workspaceID, conv)
	if err != nil || len(notes) == 0 {
		t.Fatalf("notes of %d: %v, %v", conv, notes, err)
	}
	return notes[len(notes)-1].ID
}

// TestEventStreamWorkspace narrows a stream to one workspace.
func TestEventStreamWorkspace(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		w.giveToken(t, outsider)
		w.caughtUp(t)
		onlyB := w.stream(t, admin, "?workspace=banque")
		w.tag(t, model.RoleCM, w.convA, "in-a")
		w.tag(t, admin, w.convB, "in-b")
		if before, _ := onlyB.until(t, is("conversation.tags", w.convB, "in-b")); len(before) != 0 {
			t.Errorf("a stream of banque got %+v", before)
		}
		onlyA := w.stream(t, model.RoleClient, "?workspace=velo")
		w.tag(t, admin, w.convB, "in-b-again")
		w.tag(t, model.RoleCM, w.convA, "in-a-again")
		if before, _ := onlyA.until(t, is("conversation.tags", w.convA, "in-a-again")); len(before) != 0 {
			t.Errorf("a stream of velo got %+v", before)
		}
		for _, c := range []struct{ who, query string }{
			{model.RoleCM, "?workspace=banque"},
			{outsider, "?workspace=velo"},
			{admin, "?workspace=nope"},
			{admin, "?workspace=N%C3%A9"},
		} {
			res := w.openStream(t, "/api/v1/events"+c.query, withToken(w.people[c.who].token)).response()
			checkProblem(t, res, http.StatusNotFound, "not found")
		}
	})
}

// TestEventStreamEndsWithItsToken checks that a stream whose token is
// revoked ends at the next heartbeat.
func TestEventStreamEndsWithItsToken(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		w.caughtUp(t)
		cm := w.people[model.RoleCM]
		secret, tok := w.newToken(t, cm.user.ID, model.APIToken{Name: "stream"})
		s := w.openStream(t, "/api/v1/events", withToken(secret))
		kept := w.stream(t, model.RoleCM, "")
		if s.status != http.StatusOK {
			t.Fatalf("status %d, body %s", s.status, s.body)
		}
		if err := st.RevokeAPIToken(context.Background(), cm.user.ID, tok.ID, "test"); err != nil {
			t.Fatal(err)
		}
		if !s.ended() {
			t.Errorf("the stream of a revoked token still runs after %v", eventWait)
		}
		// The stream of the CM's other token goes on.
		w.tag(t, model.RoleManager, w.convA, "still")
		kept.until(t, is("conversation.tags", w.convA, "still"))
	})
}

type presenceAnswer struct {
	Presence []live.Entry `json:"presence"`
}

// TestPresence announces who is typing, over the stream and the presence
// route.
func TestPresence(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		w.giveToken(t, outsider)
		w.caughtUp(t)
		path := fmt.Sprintf("/api/v1/conversations/%d/presence", w.convA)
		cm := w.stream(t, model.RoleCM, "")
		outsiderStream := w.stream(t, outsider, "")
		manager := w.people[model.RoleManager].user

		start := time.Now().Add(-time.Second)
		var put presenceAnswer
		decode(t, w.as(t, model.RoleManager, "PUT", path, `{"state":"typing"}`), http.StatusOK, &put)
		if len(put.Presence) != 1 {
			t.Fatalf("PUT answered %+v", put)
		}
		entry := put.Presence[0]
		if entry.ConversationID != w.convA || entry.WorkspaceID != w.a.ID || entry.UserID != manager.ID ||
			entry.Login != model.RoleManager || entry.State != live.StateTyping || entry.At.Before(start) || entry.At.After(time.Now()) {
			t.Errorf("entry %+v", entry)
		}
		e := cm.next(t)
		if e.id != "" || e.name != "presence" || e.event.ID != 0 || e.event.Actor != model.RoleManager || e.event.Detail != "typing" ||
			e.event.ConversationID != w.convA || e.event.WorkspaceID != w.a.ID || e.event.Subject != fmt.Sprintf("user %d", manager.ID) {
			t.Errorf("the CM got %+v", e)
		}
		// Every reader of the conversation lists it, the client included.
		for _, who := range []string{model.RoleClient, model.RoleExpert, model.RoleCM} {
			var got presenceAnswer
			decode(t, w.as(t, who, "GET", path, ""), http.StatusOK, &got)
			if len(got.Presence) != 1 || got.Presence[0] != entry {
				t.Errorf("%s lists %+v, want %+v", who, got.Presence, entry)
			}
		}

		// The expert asked in says they view it; then the manager leaves.
		decode(t, w.as(t, model.RoleExpert, "PUT", path, `{"state":"viewing"}`), http.StatusOK, &put)
		if len(put.Presence) != 2 || put.Presence[0].Login != model.RoleExpert || put.Presence[1] != entry {
			t.Errorf("after the expert's PUT: %+v", put.Presence)
		}
		decode(t, w.as(t, model.RoleManager, "PUT", path, `{"state":"left"}`), http.StatusOK, &put)
		if len(put.Presence) != 1 || put.Presence[0].Login != model.RoleExpert || put.Presence[0].State != live.StateViewing {
			t.Errorf("after the manager left: %+v", put.Presence)
		}
		for _, want := range []string{"expert viewing", "manager left"} {
			if e := cm.next(t); e.id != "" || e.event.Actor+" "+e.event.Detail != want {
				t.Errorf("the CM got %+v, want %s", e, want)
			}
		}

		checkProblem(t, w.as(t, model.RoleCM, "PUT", path, `{"state":"away"}`), http.StatusBadRequest, `state "away"`)
		checkProblem(t, w.as(t, model.RoleCM, "PUT", path, `{}`), http.StatusBadRequest, `state ""`)
		checkProblem(t, w.as(t, model.RoleCM, "PUT", path, `{"state":"typing","x":1}`), http.StatusBadRequest, "unknown field")
		checkProblem(t, w.as(t, model.RoleClient, "PUT", path, `{"state":"typing"}`), http.StatusForbidden, "client")
		checkProblem(t, w.as(t, outsider, "PUT", path, `{"state":"typing"}`), http.StatusNotFound, "not found")
		checkProblem(t, w.as(t, outsider, "GET", path, ""), http.StatusNotFound, "not found")
		checkProblem(t, w.as(t, model.RoleExpert, "GET", fmt.Sprintf("/api/v1/conversations/%d/presence", veloIDs(t, w)["p1"]), ""),
			http.StatusNotFound, "not found")
		checkProblem(t, w.as(t, model.RoleCM, "GET", "/api/v1/conversations/0/presence", ""), http.StatusBadRequest, "conversation id")
		decode(t, w.as(t, model.RoleCM, "GET", path, ""), http.StatusOK, &put)
		if len(put.Presence) != 1 || put.Presence[0].Login != model.RoleExpert {
			t.Errorf("refused PUTs changed presence: %+v", put.Presence)
		}

		// The outsider, of B only, saw none of it.
		w.tag(t, admin, w.convB, "b-marker")
		if before, _ := outsiderStream.until(t, is("conversation.tags", w.convB, "b-marker")); len(before) != 0 {
			t.Errorf("the outsider got %+v", before)
		}
	})
}

// TestLiveNotRunning checks the live routes of an API served without live
// events.
func TestLiveNotRunning(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		f := &fixture{client: authorized(t, st)}
		seed(t, st)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: api.New(api.Config{}, st, nil, nil, slog.New(slog.DiscardHandler))}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		f.base = "http://" + ln.Addr().String()
		page, err := st.Conversations(context.Background(), mustWorkspace(t, st, "velo"), store.ConversationFilter{})
		if err != nil || len(page.Conversations) == 0 {
			t.Fatalf("conversations: %+v, %v", page, err)
		}
		path := fmt.Sprintf("/api/v1/conversations/%d/presence", page.Conversations[0].ID)
		token := withToken(f.client.Transport.(bearer).token)
		for _, res := range []response{
			f.openStream(t, "/api/v1/events", token).response(),
			f.call(t, "GET", path, "", token),
			f.call(t, "PUT", path, `{"state":"typing"}`, token),
		} {
			checkProblem(t, res, http.StatusServiceUnavailable, "live events are not running")
			if got := res.header.Get("Retry-After"); got != "5" {
				t.Errorf("Retry-After %q, want 5", got)
			}
		}
	})
}

// TestEventStreamHidesManagersEvents checks that the stream gives a role
// only the events of what that role may read over the API: a webhook's
// URL, which often holds its credentials, is answered by GET …/webhooks
// to owners and managers alone, so neither a CM nor a client may learn
// it from the webhook.create event.
func TestEventStreamHidesManagersEvents(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		w := newWorld(t, st)
		w.caughtUp(t)
		manager := w.stream(t, model.RoleManager, "")
		cm := w.stream(t, model.RoleCM, "")
		client := w.stream(t, model.RoleClient, "")
		const url = "https://hooks.example.com/services/T0/B0/s3cr3t"
		if _, err := st.CreateWebhook(t.Context(), w.a.ID, model.Webhook{URL: url}, model.RoleOwner); err != nil {
			t.Fatal(err)
		}
		w.tag(t, model.RoleOwner, w.convA, "marker")
		// The manager, who may list webhooks, is told.
		if before, _ := manager.until(t, is("conversation.tags", w.convA, "marker")); len(before) != 1 || before[0].Action != "webhook.create" {
			t.Errorf("the manager got %+v, want the webhook.create", before)
		}
		for who, s := range map[string]*eventStream{model.RoleCM: cm, model.RoleClient: client} {
			before, _ := s.until(t, is("conversation.tags", w.convA, "marker"))
			for _, e := range before {
				t.Errorf("the %s got %s %q (%s), which GET …/webhooks refuses them", who, e.Action, e.Subject, e.Detail)
			}
		}
	})
}
