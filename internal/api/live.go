package api

// Live events over Server-Sent Events, and presence: who is viewing or
// typing in a conversation.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"palabre/internal/httpx"
	"palabre/internal/live"
	"palabre/internal/model"
	"palabre/internal/store"
)

// Live is what the live routes need: the hub that tails the events, the
// presence registry and the bus that tells every process of presence
// changes. A zero Live (no hub) makes those routes answer 503.
type Live struct {
	Hub      *live.Hub
	Presence *live.Presence
	Bus      live.Bus
	// Heartbeat is how often an idle stream gets a comment, and the
	// caller's credentials and roles are checked again; 15s.
	Heartbeat time.Duration
}

// errNoLive answers the live routes of an API without a hub.
var errNoLive = errors.New("live events are not running on this server")

// viewer decides which events one caller may receive: those of the
// workspaces they have a role in — for an expert, only of the
// conversations they were asked into — and the notifications addressed
// to them. It is safe for concurrent use: the hub calls it from its own
// goroutine, Replay from the handler's.
type viewer struct {
	userID int64
	only   int64 // a workspace id the caller asked for; 0 for all

	mu    sync.Mutex
	roles map[int64]string // workspace id → role
	asked map[int64]bool   // conversations an expert was asked into
	all   bool             // an administrator with an unscoped token or a session
}

func (v *viewer) allows(e model.Event) bool {
	if e.RecipientID != 0 && e.RecipientID != v.userID {
		return false
	}
	if v.only != 0 && e.WorkspaceID != v.only {
		return false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if e.WorkspaceID == 0 {
		return v.all
	}
	role, ok := v.roles[e.WorkspaceID]
	switch {
	case v.all && !ok:
		return true
	case !ok:
		return false
	case e.ConversationID == 0:
		// The workspace's own settings (webhooks, members, rules…) are
		// its owners' and managers'.
		return accessManage.allows(role)
	case role == model.RoleExpert:
		if e.Action == "note.mention" && e.RecipientID == v.userID {
			// Asked in just now: from here on, this conversation is theirs.
			v.asked[e.ConversationID] = true
			return true
		}
		return e.ConversationID != 0 && v.asked[e.ConversationID]
	case role == model.RoleClient && strings.HasPrefix(e.Action, "note."):
		return false // notes are the staff's
	}
	return SeesWorkspace(role)
}

// loadViewer reads the roles of p (the caller as last resolved) and the
// conversations they were asked into, as of now: the same roles roleIn
// gives, in one query rather than one per workspace.
func (h *handler) loadViewer(ctx context.Context, v *viewer, p *principal) error {
	roles := map[int64]string{}
	asked := map[int64]bool{}
	scoped := p.token != nil && len(p.token.Workspaces) > 0
	all := p.user.IsAdmin && !scoped
	switch {
	case all: // every workspace, as owner: allows needs no roles
	case p.user.IsAdmin:
		for _, id := range p.token.Workspaces {
			roles[id] = model.RoleOwner
		}
	default:
		ms, err := h.accounts.Memberships(ctx, p.user.ID)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if scoped && !slices.Contains(p.token.Workspaces, m.WorkspaceID) {
				continue
			}
			roles[m.WorkspaceID] = m.Role
			if m.Role != model.RoleExpert {
				continue
			}
			ids, err := h.store.ParticipantConversations(ctx, m.WorkspaceID, p.user.ID)
			if err != nil {
				return err
			}
			for _, id := range ids {
				asked[id] = true
			}
		}
	}
	v.mu.Lock()
	v.roles, v.asked, v.all = roles, asked, all
	v.mu.Unlock()
	return nil
}

// events streams the caller's live events as Server-Sent Events. A client
// that reconnects with Last-Event-ID (header, or last_event_id parameter)
// first gets what it missed. Every heartbeat the caller's credentials and
// roles are read again: a stream ends when its session does, and follows
// changes of roles.
func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	if h.live.Hub == nil {
		httpx503(w)
		return
	}
	p := principalOf(r.Context())
	raw := r.Header.Get("Last-Event-ID")
	if raw == "" {
		raw = r.URL.Query().Get("last_event_id")
	}
	lastID, err := live.ParseLastEventID(raw)
	if err != nil {
		h.fail(w, r, fmt.Errorf("%w: %w", store.ErrInvalid, err))
		return
	}
	v := &viewer{userID: p.user.ID}
	if slug := r.URL.Query().Get("workspace"); slug != "" {
		// Any role will do: an expert's stream narrows to the
		// conversations they were asked into anyway.
		ws, _, err := h.workspaceWithRole(r, slug)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		v.only = ws.ID
	}
	if err := h.loadViewer(r.Context(), v, p); err != nil {
		h.fail(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	// A stream outlives the server's write timeout; each flush (and the
	// writes gathered before it) gets its own. Per write, setting it cost
	// as much as writing.
	writeDeadline := func() { rc.SetWriteDeadline(time.Now().Add(30 * time.Second)) }
	writeDeadline()
	sub := h.live.Hub.Subscribe(v.allows)
	defer sub.Close()

	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	write := func(e model.Event) error {
		frame, err := h.live.Hub.Frame(e)
		if err != nil {
			return err
		}
		_, err = w.Write(frame)
		return err
	}
	send := func(e model.Event) error {
		writeDeadline()
		if err := write(e); err != nil {
			return err
		}
		return rc.Flush()
	}
	if _, err := fmt.Fprintf(w, "retry: 2000\n\n"); err != nil {
		return
	}
	if _, err := sub.Replay(r.Context(), lastID, send); err != nil {
		if errors.Is(err, live.ErrTooFarBehind) {
			// Too much was missed to replay: the client reloads instead.
			send(model.Event{Action: "reset", Detail: err.Error(), CreatedAt: time.Now().UTC()})
		} else if r.Context().Err() == nil {
			h.logger.WarnContext(r.Context(), "api: event replay", slog.Any("error", err))
		}
		return
	}
	rc.Flush()
	beat := time.NewTicker(h.live.heartbeat())
	defer beat.Stop()
	gather := time.NewTimer(flushDelay)
	gather.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-sub.Dropped():
			return // too slow, or the hub stopped: the client reconnects
		case e := <-sub.C():
			// What arrives within flushDelay goes in the same flush:
			// under a stream of messages, one write to the connection
			// carries many events instead of one each.
			writeDeadline()
			err := write(e)
			gather.Reset(flushDelay)
		more:
			for n := 0; err == nil && n < maxEventsPerFlush; n++ {
				select {
				case e = <-sub.C():
					err = write(e)
				case <-gather.C:
					break more
				case <-r.Context().Done():
					return
				}
			}
			gather.Stop()
			if err != nil || rc.Flush() != nil {
				return
			}
		case <-beat.C:
			again, err := h.resolve(r)
			if err != nil || again.user.ID != p.user.ID || again.user.Disabled {
				return
			}
			if err := h.loadViewer(r.Context(), v, again); err != nil {
				return
			}
			writeDeadline()
			if live.WriteComment(w, "heartbeat") != nil || rc.Flush() != nil {
				return
			}
		}
	}
}

// A live stream's events are flushed to the client at most flushDelay
// after the first one arrives, with what else arrived meanwhile, at most
// maxEventsPerFlush of them.
const (
	flushDelay        = 20 * time.Millisecond
	maxEventsPerFlush = 64
)

func (l Live) heartbeat() time.Duration {
	if l.Heartbeat <= 0 {
		return 15 * time.Second
	}
	return l.Heartbeat
}

func httpx503(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "5")
	httpx.WriteProblem(w, http.StatusServiceUnavailable, errNoLive.Error())
}

type presenceResponse struct {
	Presence []live.Entry `json:"presence"`
}

// showPresence answers who is viewing or typing in a conversation.
func (h *handler) showPresence(w http.ResponseWriter, r *http.Request) {
	if h.live.Presence == nil {
		httpx503(w)
		return
	}
	conv, _, _, err := h.conversationFor(r, accessRead)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, presenceResponse{Presence: nonNil(h.live.Presence.Get(conv.ID, time.Now()))})
}

// putPresence says the caller is viewing, typing in or has left a
// conversation; the others learn of it over the live stream. Clients
// repeat it while the conversation stays open: an entry not repeated
// expires.
func (h *handler) putPresence(w http.ResponseWriter, r *http.Request) {
	if h.live.Presence == nil || h.live.Bus == nil {
		httpx503(w)
		return
	}
	var req struct {
		State string `json:"state"`
	}
	if err := decodeBody(w, r, 1<<10, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if !slices.Contains([]string{live.StateViewing, live.StateTyping, live.StateLeft}, req.State) {
		h.fail(w, r, fmt.Errorf("%w: state %q: must be viewing, typing or left", store.ErrInvalid, req.State))
		return
	}
	conv, ws, _, err := h.conversationFor(r, accessNote)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u := principalOf(r.Context()).user
	now := time.Now().UTC()
	e := live.Entry{ConversationID: conv.ID, WorkspaceID: ws.ID, UserID: u.ID, Login: u.Login, State: req.State, At: now}
	// The registry learns of it through the bus, as every process does;
	// the bus delivers to this process too.
	payload, err := live.EncodePresence(e.Event())
	if err == nil {
		err = h.live.Bus.Publish(r.Context(), payload)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if _, err := h.live.Presence.Set(e, now); err != nil {
		h.fail(w, r, fmt.Errorf("%w: %w", store.ErrInvalid, err))
		return
	}
	h.respond(w, r, presenceResponse{Presence: nonNil(h.live.Presence.Get(conv.ID, now))})
}
