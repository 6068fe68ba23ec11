// Package metrics measures how a community team works and what its
// relationship with the community looks like, over a period: volumes,
// response and resolution times in business hours, response rate, SLA
// compliance, backlog, sentiment, work with experts. Compute is the
// reference: it reads every fact of the period and counts from scratch,
// by the rules written in docs/METRICS.md. It does no I/O.
package metrics

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"time"

	"palabre/internal/sla"
)

// Message is one message as the metrics see it.
type Message struct {
	ConversationID int64
	Staff          bool // written by the team
	At             time.Time
	Sentiment      string // pos, neu, neg or ""
	Intent         string
	// MemberID is the community member who wrote it ("" when unknown).
	MemberID string
}

// Conversation is one conversation as the metrics see it: its messages
// are given apart, with its id.
type Conversation struct {
	ID       int64
	Channel  string
	Assignee string // the assignee's login, "" when none
	// ClosedAt is when it left the backlog (resolved, ignored or marked
	// as spam), nil while it is open.
	ClosedAt *time.Time
	// ResolvedAt is when it was last resolved; nil when never.
	ResolvedAt *time.Time
	// ResponseDueAt is when its first response was due under the SLA;
	// nil when no policy applied.
	ResponseDueAt *time.Time
	// WithExpert: an expert was asked into it.
	WithExpert bool
	// Topics are those of its customers' messages.
	Topics []string
	// Start and Answered stand for its messages when none are given: a
	// conversation that only waits in the backlog (no message, resolution
	// or due time in the period) needs no more than when its first
	// customer message came and when the team first wrote after it (nil
	// when it never did).
	Start, Answered *time.Time
	// Across workspaces (AskAcross): its workspace's slug and sector, and
	// the clock of its SLA calendar, which times it rather than the
	// facts'.
	Workspace, Sector string
	Clock             *sla.Clock
}

// Facts are what a period's metrics are computed from: a workspace's
// conversations that were active in, or open during, the period, with
// all their messages, and the clock of its SLA calendar.
type Facts struct {
	Conversations []Conversation
	Messages      []Message
	// Clock counts business time (the SLA calendar); nil counts every
	// hour.
	Clock *sla.Clock
	// Now is when the facts were read: a first response not yet due then
	// is neither kept nor breached.
	Now time.Time
	// FirstSeen is when each member of the messages first wrote in the
	// workspace; Names their display names.
	FirstSeen map[string]time.Time
	Names     map[string]string
}

// Period is [From, To).
type Period struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

func (p Period) contains(t time.Time) bool { return !t.Before(p.From) && t.Before(p.To) }

// Durations summarises business durations: how many, and their median
// and 90th percentile by nearest rank (no interpolation: each is one of
// the durations measured), in seconds.
type Durations struct {
	Count  int   `json:"count"`
	Median int64 `json:"median_seconds"`
	P90    int64 `json:"p90_seconds"`
}

// Rate is a share: Of out of Total.
type Rate struct {
	Of    int `json:"of"`
	Total int `json:"total"`
}

// Sentiment counts customers' messages by sentiment.
type Sentiment struct {
	Positive int `json:"positive"`
	Neutral  int `json:"neutral"`
	Negative int `json:"negative"`
	Unknown  int `json:"unknown"`
}

// Backlog is what was left open at the end of the period, and for how
// long (calendar time since the first customer message).
type Backlog struct {
	Open       int   `json:"open"`
	MedianAge  int64 `json:"median_age_seconds"`
	OldestAge  int64 `json:"oldest_age_seconds"`
	Unanswered int   `json:"unanswered"` // of those open, never answered
}

// Members are the relationship with the community over the period, in
// members who wrote (customers, not the team).
type Members struct {
	// Active wrote in the period; New wrote for the first time in it;
	// Returning had written before it.
	Active    int `json:"active"`
	New       int `json:"new"`
	Returning int `json:"returning"`
	// Regular wrote in RegularConversations conversations or more.
	Regular int `json:"regular"`
	// TurnedAround wrote something negative, were answered by the team,
	// then wrote something positive in the same conversation, in the
	// period.
	TurnedAround int `json:"turned_around"`
	// Advocates wrote AdvocateMessages positive messages (positive
	// sentiment, or praise) or more.
	Advocates int `json:"advocates"`
}

// Thresholds of Members.
const (
	RegularConversations = 3
	AdvocateMessages     = 2
)

// Report is a period's metrics, for a workspace or one slice of it.
type Report struct {
	Period Period `json:"period"`
	// In and Out count customers' and the team's messages written in the
	// period; Conversations those that started in it.
	In            int `json:"in"`
	Out           int `json:"out"`
	Conversations int `json:"conversations"`
	// FirstResponse: from the first customer message of conversations
	// that started in the period to the team's first message after it.
	FirstResponse Durations `json:"first_response"`
	// Resolution: from the first customer message to the resolution, of
	// conversations resolved in the period.
	Resolution Durations `json:"resolution"`
	// ResponseRate: customers' questions and complaints of the period
	// that the team answered (a team message after them, whenever).
	ResponseRate Rate `json:"response_rate"`
	// SLA: conversations whose first response fell due in the period (by
	// Now), answered by then.
	SLA Rate `json:"sla"`
	// WithExpert: conversations that started in the period in which an
	// expert was asked.
	WithExpert Rate      `json:"with_expert"`
	Backlog    Backlog   `json:"backlog"`
	Sentiment  Sentiment `json:"sentiment"`
	Members    Members   `json:"members"`
}

// MemberPart is what a period says of one member: the conversations
// they wrote in (sorted, once each), their positive messages, and whether
// they turned around.
type MemberPart struct {
	Conversations []int64 `json:"conversations"`
	Positive      int     `json:"positive"`
	Turned        bool    `json:"turned,omitempty"`
	// What the engagement score also counts: messages, negative ones,
	// those in a conversation another member started, and the local days
	// written on (sorted, once each, as days since 1970-01-01).
	Messages int     `json:"messages"`
	Negative int     `json:"negative,omitempty"`
	Helpful  int     `json:"helpful,omitempty"`
	Days     []int32 `json:"days"`
	// FirstSeen is when the member first wrote in the workspace, as the
	// facts said (Seen false when they did not): a member is new in a
	// period they first wrote in, returning in a later one.
	FirstSeen time.Time `json:"first_seen,omitzero"`
	Seen      bool      `json:"seen,omitempty"`
}

// seenFirst keeps the earlier of the member's first writing and at.
func (m *MemberPart) seenFirst(at time.Time) {
	if !m.Seen || at.Before(m.FirstSeen) {
		m.FirstSeen, m.Seen = at, true
	}
}

// wroteOn records a local day the member wrote on.
func (m *MemberPart) wroteOn(day int32) {
	if n := len(m.Days); n == 0 || m.Days[n-1] < day {
		m.Days = append(m.Days, day) // days come in time order, mostly
		return
	}
	if i, found := slices.BinarySearch(m.Days, day); !found {
		m.Days = slices.Insert(m.Days, i, day)
	}
}

// LocalDay is the local day of t in loc, as days since 1970-01-01.
func LocalDay(t time.Time, loc *time.Location) int32 {
	y, m, d := t.In(loc).Date()
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// wrote records a conversation the member wrote in.
func (m *MemberPart) wrote(id int64) {
	if n := len(m.Conversations); n == 0 || m.Conversations[n-1] < id {
		m.Conversations = append(m.Conversations, id)
		return
	}
	if i, found := slices.BinarySearch(m.Conversations, id); !found {
		m.Conversations = slices.Insert(m.Conversations, i, id)
	}
}

// Compute counts the metrics of p from f, for the conversations keep
// keeps (nil keeps all).
func Compute(f Facts, p Period, keep func(Conversation) bool) Report {
	return finishAll(Partials(f, []Period{p}, keep))[0]
}

// threads gathers the facts' messages by conversation, each in time
// order: what every report of the same facts reads, gathered once.
func threads(f Facts) map[int64][]Message {
	byConv := make(map[int64][]Message, len(f.Conversations))
	for _, m := range f.Messages {
		byConv[m.ConversationID] = append(byConv[m.ConversationID], m)
	}
	for _, msgs := range byConv {
		slices.SortStableFunc(msgs, func(a, b Message) int { return a.At.Compare(b.At) })
	}
	return byConv
}

// Partial is a report before its medians and members are found: the
// counts that add up, the durations measured, the backlog at its end, and
// each member's part. The partials of periods that follow one another
// merge into the partial of the whole (Merge); Finish makes the report.
type Partial struct {
	// Report holds the counts; Finish fills in the rest.
	Report     Report                 `json:"report"`
	First      []int64                `json:"first,omitempty"`      // first responses, business seconds
	Resolution []int64                `json:"resolution,omitempty"` // resolutions, business seconds
	Ages       []int64                `json:"ages,omitempty"`       // of the backlog at the end, seconds
	Members    map[string]*MemberPart `json:"members,omitempty"`
	// BacklogDone: Report.Backlog is already summarised (Backlogs) and
	// Ages are not kept.
	BacklogDone bool `json:"backlog_done,omitempty"`
	// MembersCounted: Report.Members already counts the members of the
	// partial's period, whose parts were not read (UnmarshalCounts); it
	// finishes, but does not merge.
	MembersCounted bool `json:"members_counted,omitempty"`
	// table holds the members, by key, in place of Members in a partial
	// keyed (Keyed), read back (UnmarshalBinary) or merged (Merge).
	table *memberTable
}

// Merge merges the partials of periods that follow one another, each of
// whole local days, in time order, into the partial of the period they
// cover together: counts and durations add up, the backlog is the last
// one's, each member's parts are united. Members must be keyed (Keyed).
// The merged partial may share members' parts with parts: neither is to
// be changed after.
func Merge(parts ...Partial) (Partial, error) {
	if len(parts) == 0 {
		return Partial{}, nil
	}
	out := Partial{Report: Report{Period: Period{From: parts[0].Report.Period.From, To: parts[len(parts)-1].Report.Period.To}}}
	tables := make([]*memberTable, len(parts))
	first, resolution := 0, 0
	for _, p := range parts {
		first, resolution = first+len(p.First), resolution+len(p.Resolution)
	}
	out.First, out.Resolution = make([]int64, 0, first), make([]int64, 0, resolution)
	for i, p := range parts {
		if len(p.Members) > 0 {
			return Partial{}, fmt.Errorf("merge partials: part %d (%s to %s): members not keyed", i,
				p.Report.Period.From.Format(time.RFC3339), p.Report.Period.To.Format(time.RFC3339))
		}
		r, o := p.Report, &out.Report
		o.In, o.Out, o.Conversations = o.In+r.In, o.Out+r.Out, o.Conversations+r.Conversations
		o.ResponseRate = Rate{Of: o.ResponseRate.Of + r.ResponseRate.Of, Total: o.ResponseRate.Total + r.ResponseRate.Total}
		o.SLA = Rate{Of: o.SLA.Of + r.SLA.Of, Total: o.SLA.Total + r.SLA.Total}
		o.WithExpert = Rate{Of: o.WithExpert.Of + r.WithExpert.Of, Total: o.WithExpert.Total + r.WithExpert.Total}
		o.Sentiment = Sentiment{Positive: o.Sentiment.Positive + r.Sentiment.Positive, Neutral: o.Sentiment.Neutral + r.Sentiment.Neutral,
			Negative: o.Sentiment.Negative + r.Sentiment.Negative, Unknown: o.Sentiment.Unknown + r.Sentiment.Unknown}
		out.First = append(out.First, p.First...)
		out.Resolution = append(out.Resolution, p.Resolution...)
		tables[i] = p.table
	}
	out.table = mergeTables(tables)
	last := parts[len(parts)-1]
	out.Report.Backlog = Backlog{Open: last.Report.Backlog.Open, Unanswered: last.Report.Backlog.Unanswered}
	if last.BacklogDone {
		out.Report.Backlog = last.Report.Backlog
	}
	out.Ages, out.BacklogDone = slices.Clone(last.Ages), last.BacklogDone
	return out, nil
}

// MemberCount is how many members wrote in the partial's period (none
// read when MembersCounted).
func (t Partial) MemberCount() int { return len(t.Members) + t.table.len() }

// finishAll finishes each of parts (Partial.Finish).
func finishAll(parts []Partial) []Report {
	out := make([]Report, len(parts))
	for i := range parts {
		out[i] = parts[i].Finish()
	}
	return out
}

// Partials counts the partial report of each of steps — periods in time
// order, not overlapping — for the conversations keep keeps (nil keeps
// all).
func Partials(f Facts, steps []Period, keep func(Conversation) bool) []Partial {
	return partials(f, threads(f), steps, keep)
}

// PartialsBy counts the partial report of each of steps of each slice
// by gives the conversations ("channel", "assignee", "topic", ...).
func PartialsBy(f Facts, steps []Period, by string) (map[string][]Partial, error) {
	key, err := sliceBy(by)
	if err != nil {
		return nil, err
	}
	if key == nil {
		return nil, fmt.Errorf("%w: slices by nothing", ErrBadQuery)
	}
	return partialsBy(f, threads(f), steps, key), nil
}

// partials is Partials on the facts' threads, in one pass over the
// conversations.
func partials(f Facts, byConv map[int64][]Message, steps []Period, keep func(Conversation) bool) []Partial {
	sc := newStepCounter(f, byConv, steps)
	ts := sc.fresh()
	for _, c := range f.Conversations {
		if keep == nil || keep(c) {
			sc.add(ts, c)
		}
	}
	return ts
}

// partialsBy counts, in one pass over the conversations, the partials of
// steps of each slice key gives a conversation (a conversation counts in
// each of its slices).
func partialsBy(f Facts, byConv map[int64][]Message, steps []Period, key func(Conversation) []string) map[string][]Partial {
	sc := newStepCounter(f, byConv, steps)
	out := map[string][]Partial{}
	for _, c := range f.Conversations {
		keys := key(c)
		for i, k := range keys {
			if slices.Contains(keys[:i], k) {
				continue // a slice counts a conversation once
			}
			ts, ok := out[k]
			if !ok {
				ts = sc.fresh()
				out[k] = ts
			}
			sc.add(ts, c)
		}
	}
	return out
}

// stepCounter counts conversations into the partials of steps.
type stepCounter struct {
	f      Facts
	byConv map[int64][]Message
	steps  []Period
	loc    *time.Location
}

func newStepCounter(f Facts, byConv map[int64][]Message, steps []Period) *stepCounter {
	loc := time.UTC
	if f.Clock != nil {
		loc = f.Clock.Location()
	}
	return &stepCounter{f: f, byConv: byConv, steps: steps, loc: loc}
}

// fresh is an empty partial for each step.
func (sc *stepCounter) fresh() []Partial {
	ts := make([]Partial, len(sc.steps))
	for i := range ts {
		ts[i] = Partial{Report: Report{Period: sc.steps[i]}, Members: map[string]*MemberPart{}}
	}
	return ts
}

// in finds the step holding t, -1 when none does.
func (sc *stepCounter) in(t time.Time) int {
	steps := sc.steps
	i := sort.Search(len(steps), func(i int) bool { return steps[i].To.After(t) })
	if i < len(steps) && steps[i].contains(t) {
		return i
	}
	return -1
}

// add counts conversation c into ts, the partials of the steps: each
// message, start, resolution and due time in the step it falls in, and c
// in the backlog of each step it is open at the end of.
func (sc *stepCounter) add(ts []Partial, c Conversation) {
	f, steps, loc, in := sc.f, sc.steps, sc.loc, sc.in
	msgs := sc.byConv[c.ID]
	start, answered, ok := openingOf(c, msgs)
	starter := ""
	if i := slices.IndexFunc(msgs, func(m Message) bool { return !m.Staff }); i >= 0 {
		starter = msgs[i].MemberID
	}
	for i, m := range msgs {
		s := in(m.At)
		if s < 0 {
			continue
		}
		t := &ts[s]
		if m.Staff {
			t.Report.Out++
			continue
		}
		t.Report.In++
		if m.MemberID != "" {
			mb := t.Members[m.MemberID]
			if mb == nil {
				mb = &MemberPart{}
				if seen, ok := f.FirstSeen[m.MemberID]; ok {
					mb.seenFirst(seen)
				}
				t.Members[m.MemberID] = mb
			}
			mb.wrote(c.ID)
			mb.wroteOn(LocalDay(m.At, loc))
			mb.Messages++
			if m.Sentiment == "pos" || m.Intent == "praise" {
				mb.Positive++
			}
			if m.Sentiment == "neg" {
				mb.Negative++
			}
			if starter != "" && starter != m.MemberID {
				mb.Helpful++
			}
			if m.Sentiment == "pos" && turnedAround(msgs[:i], m.MemberID) {
				mb.Turned = true
			}
		}
		switch m.Sentiment {
		case "pos":
			t.Report.Sentiment.Positive++
		case "neu":
			t.Report.Sentiment.Neutral++
		case "neg":
			t.Report.Sentiment.Negative++
		default:
			t.Report.Sentiment.Unknown++
		}
		if m.Intent == "question" || m.Intent == "complaint" {
			t.Report.ResponseRate.Total++
			if slices.ContainsFunc(msgs[i+1:], func(n Message) bool { return n.Staff && n.At.After(m.At) }) {
				t.Report.ResponseRate.Of++
			}
		}
	}
	if !ok {
		return // no customer message: nothing to answer or resolve
	}
	if s := in(start); s >= 0 {
		t := &ts[s]
		t.Report.Conversations++
		if c.WithExpert {
			t.Report.WithExpert.Of++
		}
		t.Report.WithExpert.Total++
		if answered != nil {
			t.First = append(t.First, seconds(f.business(c, start, *answered)))
		}
	}
	if c.ResolvedAt != nil {
		if s := in(*c.ResolvedAt); s >= 0 {
			ts[s].Resolution = append(ts[s].Resolution, seconds(f.business(c, start, *c.ResolvedAt)))
		}
	}
	if due := c.ResponseDueAt; due != nil && !due.After(f.Now) {
		if s := in(*due); s >= 0 {
			ts[s].Report.SLA.Total++
			if answered != nil && !answered.After(*due) {
				ts[s].Report.SLA.Of++
			}
		}
	}
	// In the backlog of every step that ends after the start and not
	// after the closing.
	for s := sort.Search(len(steps), func(i int) bool { return steps[i].To.After(start) }); s < len(steps); s++ {
		end := steps[s].To
		if c.ClosedAt != nil && c.ClosedAt.Before(end) {
			break
		}
		t := &ts[s]
		t.Report.Backlog.Open++
		t.Ages = append(t.Ages, seconds(end.Sub(start)))
		if answered == nil || !answered.Before(end) {
			t.Report.Backlog.Unanswered++
		}
	}
}

// Finish makes the report of a partial: its members counted (new ones
// by when each first wrote) and its medians found.
func (t Partial) Finish() Report {
	r := t.Report
	if !t.MembersCounted {
		r.Members = Members{}
	}
	count := func(returning bool, conversations int, turned bool, positive int) {
		r.Members.Active++
		if returning {
			r.Members.Returning++
		} else {
			r.Members.New++
		}
		if conversations >= RegularConversations {
			r.Members.Regular++
		}
		if turned {
			r.Members.TurnedAround++
		}
		if positive >= AdvocateMessages {
			r.Members.Advocates++
		}
	}
	for _, mb := range t.Members {
		count(mb.Seen && mb.FirstSeen.Before(r.Period.From), len(mb.Conversations), mb.Turned, mb.Positive)
	}
	if tab := t.table; tab != nil {
		from := r.Period.From.UnixMicro() // a whole microsecond, as seen is
		for i := range tab.keys {
			count(tab.seen[i] < from, tab.conversations(i), tab.turned[i], int(tab.positive[i]))
		}
	}
	r.FirstResponse, r.Resolution = summarise(t.First), summarise(t.Resolution)
	if t.BacklogDone {
		return r
	}
	age := summarise(t.Ages)
	r.Backlog.MedianAge = age.Median
	r.Backlog.OldestAge = 0
	if len(t.Ages) > 0 {
		r.Backlog.OldestAge = slices.Max(t.Ages)
	}
	return r
}

// turnedAround reports whether, in the messages before a positive one of
// member, the member wrote a negative one that the team answered.
func turnedAround(before []Message, memberID string) bool {
	answered := false
	for i := len(before) - 1; i >= 0; i-- {
		m := before[i]
		switch {
		case m.Staff:
			answered = true
		case answered && m.MemberID == memberID && m.Sentiment == "neg":
			return true
		}
	}
	return false
}

// openingOf is opening of conversation c's messages msgs, or, when none
// are given, its Start and Answered.
func openingOf(c Conversation, msgs []Message) (start time.Time, answered *time.Time, ok bool) {
	if len(msgs) == 0 && c.Start != nil {
		return *c.Start, c.Answered, true
	}
	return opening(msgs)
}

// opening returns when a conversation's first customer message came and
// when the team first wrote after it (nil when it never did); ok is false
// when no customer wrote.
func opening(msgs []Message) (start time.Time, answered *time.Time, ok bool) {
	for i, m := range msgs {
		if m.Staff {
			continue
		}
		for _, n := range msgs[i+1:] {
			if n.Staff && n.At.After(m.At) {
				at := n.At
				return m.At, &at, true
			}
		}
		return m.At, nil, true
	}
	return time.Time{}, nil, false
}

// business is the business time of c from a to b: on its own clock, or
// the facts'.
func (f Facts) business(c Conversation, a, b time.Time) time.Duration {
	clock := cmp.Or(c.Clock, f.Clock)
	if clock == nil {
		return max(b.Sub(a), 0)
	}
	return clock.Between(a, b)
}

func seconds(d time.Duration) int64 { return int64(d / time.Second) }

// summarise counts durations and finds their nearest-rank median and
// 90th percentile, each selected, not sorted for, in a copy of v (which
// partials merged in the background may share).
func summarise(v []int64) Durations {
	if len(v) == 0 {
		return Durations{}
	}
	v = slices.Clone(v)
	m, p := NearestRank(len(v), 50)-1, NearestRank(len(v), 90)-1
	selectRank(v, m)
	selectRank(v[m:], p-m) // the 90th is at or after the median
	return Durations{Count: len(v), Median: v[m], P90: v[p]}
}

// selectRank reorders v so that v[k] is the value sorting would put
// there, none after it smaller and none before it larger (quickselect,
// with the median of three as pivot; sorted outright when it goes badly).
func selectRank(v []int64, k int) {
	lo, hi := 0, len(v)-1
	for rounds := 0; lo < hi; rounds++ {
		if hi-lo < 16 || rounds > 64 {
			slices.Sort(v[lo : hi+1])
			return
		}
		mid := lo + (hi-lo)/2
		if v[mid] < v[lo] {
			v[mid], v[lo] = v[lo], v[mid]
		}
		if v[hi] < v[lo] {
			v[hi], v[lo] = v[lo], v[hi]
		}
		if v[hi] < v[mid] {
			v[hi], v[mid] = v[mid], v[hi]
		}
		pivot := v[mid]
		// Hoare's partition: v[lo:j+1] ≤ pivot ≤ v[j+1:hi+1].
		i, j := lo-1, hi+1
		for {
			for i++; v[i] < pivot; i++ {
			}
			for j--; v[j] > pivot; j-- {
			}
			if i >= j {
				break
			}
			v[i], v[j] = v[j], v[i]
		}
		if k <= j {
			hi = j
		} else {
			lo = j + 1
		}
	}
}

// NearestRank is the rank, from 1, of the nearest-rank p-th percentile of
// n sorted values (n > 0): ceil(p/100 × n), at least 1.
func NearestRank(n, p int) int {
	return max((p*n+99)/100, 1)
}
