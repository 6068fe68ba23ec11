package live

import (
	"sync"
	"testing"
	"time"

	"palabre/internal/model"
)

func TestPresenceSetGet(t *testing.T) {
	t.Parallel()
	p := NewPresence(30 * time.Second)
	t0 := time.Unix(1000, 0)
	ana := Entry{ConversationID: 7, WorkspaceID: 1, UserID: 1, Login: "ana", State: StateViewing}
	bo := Entry{ConversationID: 7, WorkspaceID: 1, UserID: 2, Login: "bo", State: StateTyping}

	steps := []struct {
		e       Entry
		at      time.Duration
		changed bool
	}{
		{bo, 0, true},
		{ana, 0, true},
		{ana, 10 * time.Second, false}, // refresh
		{withState(ana, StateTyping), 11 * time.Second, true},
		{withState(ana, StateTyping), 12 * time.Second, false},
	}
	for i, s := range steps {
		changed, err := p.Set(s.e, t0.Add(s.at))
		if err != nil || changed != s.changed {
			t.Fatalf("step %d: Set = %v, %v; want %v", i, changed, err, s.changed)
		}
	}
	got := p.Get(7, t0.Add(20*time.Second))
	if len(got) != 2 || got[0].Login != "ana" || got[0].State != StateTyping || got[1].Login != "bo" {
		t.Fatalf("Get = %+v, want ana typing then bo", got)
	}
	if !got[0].At.Equal(t0.Add(12 * time.Second)) {
		t.Fatalf("ana At = %v", got[0].At)
	}
	// bo, set at t0, expires at t0+30s; ana lives until t0+42s.
	got = p.Get(7, t0.Add(30*time.Second))
	if len(got) != 1 || got[0].Login != "ana" {
		t.Fatalf("Get after bo's TTL = %+v", got)
	}
	if changed, _ := p.Set(bo, t0.Add(31*time.Second)); !changed {
		t.Fatal("bo coming back after expiry is no change")
	}
	if changed, _ := p.Set(withState(ana, StateLeft), t0.Add(32*time.Second)); !changed {
		t.Fatal("ana leaving is no change")
	}
	if changed, _ := p.Set(withState(ana, StateLeft), t0.Add(33*time.Second)); changed {
		t.Fatal("leaving twice is a change")
	}
	if got := p.Get(7, t0.Add(33*time.Second)); len(got) != 1 || got[0].Login != "bo" {
		t.Fatalf("Get = %+v, want only bo", got)
	}
	if got := p.Get(8, t0); len(got) != 0 {
		t.Fatalf("other conversation: %+v", got)
	}
	if _, err := p.Set(withState(ana, "dancing"), t0); err == nil {
		t.Fatal("unknown state accepted")
	}
}

func TestPresenceSweep(t *testing.T) {
	t.Parallel()
	p := NewPresence(time.Minute)
	t0 := time.Unix(1000, 0)
	for i, login := range []string{"cy", "ana", "bo"} {
		e := Entry{ConversationID: int64(1 + i%2), UserID: int64(i), Login: login, State: StateViewing}
		if _, err := p.Set(e, t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if gone := p.Sweep(t0.Add(59 * time.Second)); len(gone) != 0 {
		t.Fatalf("swept %+v before the TTL", gone)
	}
	gone := p.Sweep(t0.Add(61500 * time.Millisecond)) // cy (0s) and ana (1s) expired
	if len(gone) != 2 || gone[0].Login != "cy" || gone[1].Login != "ana" {
		t.Fatalf("swept %+v, want cy then ana", gone)
	}
	for _, e := range gone {
		if e.State != StateLeft {
			t.Fatalf("swept %s with state %q, want left", e.Login, e.State)
		}
		if ev := e.Event(); ev.Action != ActionPresence || ev.Detail != StateLeft || ev.ConversationID != e.ConversationID || ev.ID != 0 {
			t.Fatalf("event %+v", ev)
		}
	}
	if gone := p.Sweep(t0.Add(61500 * time.Millisecond)); len(gone) != 0 {
		t.Fatalf("swept twice: %+v", gone)
	}
	if got := p.Get(1, t0.Add(61900*time.Millisecond)); len(got) != 1 || got[0].Login != "bo" {
		t.Fatalf("left %+v", got)
	}
}

func TestPresenceConcurrent(t *testing.T) {
	t.Parallel()
	p := NewPresence(time.Second)
	t0 := time.Unix(1000, 0)
	var wg sync.WaitGroup
	for u := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				at := t0.Add(time.Duration(i) * 10 * time.Millisecond)
				if _, err := p.Set(Entry{ConversationID: int64(i % 3), UserID: int64(u), Login: "u", State: StateViewing}, at); err != nil {
					t.Error(err)
					return
				}
				p.Get(int64(i%3), at)
				p.Sweep(at)
			}
		}()
	}
	wg.Wait()
}

func withState(e Entry, state string) Entry {
	e.State = state
	return e
}

func TestEntryFromEvent(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	e := Entry{ConversationID: 4, WorkspaceID: 2, UserID: 7, Login: "ana", State: StateTyping, At: at}
	got, err := EntryFromEvent(e.Event())
	if err != nil || got != e {
		t.Fatalf("round trip: %+v, %v; want %+v", got, err, e)
	}
	for _, ev := range []model.Event{
		{Action: "note.add", Subject: "user 7"},
		{Action: ActionPresence, Subject: "conversation 4"},
		{Action: ActionPresence, Subject: "user -1"},
	} {
		if _, err := EntryFromEvent(ev); err == nil {
			t.Errorf("%+v: no error", ev)
		}
	}
}
