package live

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"palabre/internal/model"
)

// Presence states.
const (
	StateViewing = "viewing"
	StateTyping  = "typing"
	StateLeft    = "left"
)

// ActionPresence is the Action of the ephemeral events that carry presence;
// their Detail is the state.
const ActionPresence = "presence"

// Entry is one user's presence in one conversation.
type Entry struct {
	ConversationID int64     `json:"conversation_id"`
	WorkspaceID    int64     `json:"workspace_id"`
	UserID         int64     `json:"user_id"`
	Login          string    `json:"login"`
	State          string    `json:"state"`
	At             time.Time `json:"at"`
}

// Event returns the ephemeral event announcing e to the other users.
func (e Entry) Event() model.Event {
	return model.Event{
		WorkspaceID:    e.WorkspaceID,
		ConversationID: e.ConversationID,
		Actor:          e.Login,
		Action:         ActionPresence,
		Subject:        fmt.Sprintf("user %d", e.UserID),
		Detail:         e.State,
		CreatedAt:      e.At,
	}
}

// EntryFromEvent reads back the entry an ephemeral presence event
// announces, as another process's Bus delivers it.
func EntryFromEvent(ev model.Event) (Entry, error) {
	e := Entry{ConversationID: ev.ConversationID, WorkspaceID: ev.WorkspaceID, Login: ev.Actor, State: ev.Detail, At: ev.CreatedAt}
	if ev.Action != ActionPresence {
		return Entry{}, fmt.Errorf("presence: event %q is not one", ev.Action)
	}
	if _, err := fmt.Sscanf(ev.Subject, "user %d", &e.UserID); err != nil || e.UserID <= 0 {
		return Entry{}, fmt.Errorf("presence: subject %q does not name a user", ev.Subject)
	}
	return e, nil
}

// Presence records who is viewing or typing in which conversation. An entry
// lives for the TTL unless refreshed: browsers re-announce themselves
// periodically and a closed tab simply stops. Presence is safe for
// concurrent use; it is local to the process, other processes learn of
// changes through the Bus.
type Presence struct {
	ttl time.Duration

	mu     sync.Mutex
	byConv map[int64]map[int64]Entry // conversation → user → entry
}

// NewPresence returns an empty registry whose entries expire after ttl.
func NewPresence(ttl time.Duration) *Presence {
	return &Presence{ttl: ttl, byConv: map[int64]map[int64]Entry{}}
}

// Set records e, stamped with at, and reports whether it changed what
// others see: a new entry or a new state (a refresh of the same state only
// extends its life). State "left" removes the entry. Any other state than
// viewing, typing or left is an error.
func (p *Presence) Set(e Entry, at time.Time) (changed bool, err error) {
	switch e.State {
	case StateViewing, StateTyping, StateLeft:
	default:
		return false, fmt.Errorf("presence of %q in conversation %d: unknown state %q", e.Login, e.ConversationID, e.State)
	}
	e.At = at
	p.mu.Lock()
	defer p.mu.Unlock()
	users := p.byConv[e.ConversationID]
	old, had := users[e.UserID]
	had = had && p.alive(old, at)
	if e.State == StateLeft {
		if users != nil {
			delete(users, e.UserID)
			if len(users) == 0 {
				delete(p.byConv, e.ConversationID)
			}
		}
		return had, nil
	}
	if users == nil {
		users = map[int64]Entry{}
		p.byConv[e.ConversationID] = users
	}
	users[e.UserID] = e
	return !had || old.State != e.State, nil
}

// Get returns the live entries of a conversation at now, by login, and
// forgets the expired ones.
func (p *Presence) Get(conversationID int64, now time.Time) []Entry {
	p.mu.Lock()
	defer p.mu.Unlock()
	users := p.byConv[conversationID]
	out := make([]Entry, 0, len(users))
	for id, e := range users {
		if !p.alive(e, now) {
			delete(users, id)
			continue
		}
		out = append(out, e)
	}
	if users != nil && len(users) == 0 {
		delete(p.byConv, conversationID)
	}
	slices.SortFunc(out, func(a, b Entry) int {
		if c := strings.Compare(a.Login, b.Login); c != 0 {
			return c
		}
		return compareInt(a.UserID, b.UserID)
	})
	return out
}

// Sweep forgets every entry expired at now and returns them, with state
// "left", so the caller can announce the departures.
func (p *Presence) Sweep(now time.Time) []Entry {
	p.mu.Lock()
	defer p.mu.Unlock()
	var gone []Entry
	for conv, users := range p.byConv {
		for id, e := range users {
			if p.alive(e, now) {
				continue
			}
			delete(users, id)
			e.State = StateLeft
			gone = append(gone, e)
		}
		if len(users) == 0 {
			delete(p.byConv, conv)
		}
	}
	slices.SortFunc(gone, func(a, b Entry) int {
		if c := compareInt(a.ConversationID, b.ConversationID); c != 0 {
			return c
		}
		return strings.Compare(a.Login, b.Login)
	})
	return gone
}

// alive reports whether e has not expired at now.
func (p *Presence) alive(e Entry, now time.Time) bool {
	return now.Sub(e.At) < p.ttl
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
