package metrics

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"palabre/internal/sla"
)

// ErrBadQuery: a query asked for something that cannot be answered (a bad
// date, a period not forward or too long, an unknown step or slice).
var ErrBadQuery = errors.New("bad metrics query")

// MaxDays bounds a query's period.
const MaxDays = 3660

// MaxEngaged is how many members an answer ranks by engagement.
const MaxEngaged = 10

// Query asks a workspace's metrics: from the local date From to the local
// date To (exclusive; "2026-03-01"; by default the 30 days up to today),
// a trend by Every (Day, Week, Month; chosen by Step when ""), and slices
// By "channel", "assignee" or "topic" (none when "").
type Query struct {
	From, To  string
	Every, By string
}

// Answer is a workspace's metrics over a period.
type Answer struct {
	TimeZone string `json:"time_zone"`
	From     string `json:"from"` // local dates, to exclusive
	To       string `json:"to"`
	Total    Report `json:"total"`
	// Previous is the total of the period of as many days just before,
	// to compare with.
	Previous Report `json:"previous"`
	// Every is the step of Trend: the metrics of each day, week or
	// month of the period.
	Every string   `json:"every"`
	Trend []Report `json:"trend"`
	// Engaged are the members most engaged over the period (at most
	// MaxEngaged), scored with Weights.
	Engaged []Engagement `json:"engaged"`
	Weights Weights      `json:"weights"`
	By      string       `json:"by,omitempty"`
	Groups  []Group      `json:"groups,omitempty"`
}

// Group is one slice: the conversations of a channel, of an assignee (""
// for none), or about a topic.
type Group struct {
	Key    string `json:"key"`
	Report Report `json:"report"`
}

// Source reads what a workspace's metrics are computed from.
// *store.Store satisfies it.
type Source interface {
	SLASettings(ctx context.Context, workspaceID int64) (sla.Settings, bool, error)
	MetricFacts(ctx context.Context, workspaceID int64, p Period, now time.Time) (Facts, error)
	EngagementWeights(ctx context.Context, workspaceID int64) (Weights, error)
}

// Resolved is a query's period as instants, on a workspace's clock.
type Resolved struct {
	Period
	From, To string // the local dates, to exclusive
	// Clock is the workspace's SLA calendar (around the clock, in UTC,
	// without one).
	Clock *sla.Clock
}

// Before is the period to compare with, just before: as many whole
// months when the period is whole months (March against February), as
// many local days otherwise.
func (r Resolved) Before() Period {
	from, to := r.Period.From, r.Period.To
	if from.Day() == 1 && to.Day() == 1 && from.Hour() == 0 && to.Hour() == 0 {
		months := (to.Year()-from.Year())*12 + int(to.Month()-from.Month())
		return Period{From: from.AddDate(0, -months, 0), To: from}
	}
	days := 0
	for d := r.Period.From; d.Before(r.Period.To); d = d.AddDate(0, 0, 1) {
		days++
	}
	return Period{From: r.Period.From.AddDate(0, 0, -days), To: r.Period.From}
}

// Resolve reads q's period in the time zone of the workspace's SLA
// calendar (UTC without one). Errors of the query wrap ErrBadQuery.
func Resolve(ctx context.Context, src Source, workspaceID int64, q Query, now time.Time) (Resolved, error) {
	clock, err := WorkspaceClock(ctx, src, workspaceID)
	if err != nil {
		return Resolved{}, err
	}
	p, from, to, err := period(q.From, q.To, clock.Location(), now)
	return Resolved{Period: p, From: from, To: to, Clock: clock}, err
}

// WorkspaceClock is the clock of a workspace's SLA calendar: around the
// clock in UTC without one.
func WorkspaceClock(ctx context.Context, src Source, workspaceID int64) (*sla.Clock, error) {
	settings, ok, err := src.SLASettings(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	cal := sla.Calendar{TimeZone: "UTC"}
	if ok {
		cal = settings.Calendar
	}
	clock, err := cal.Compile()
	if err != nil {
		return nil, fmt.Errorf("the workspace's SLA calendar: %w", err)
	}
	return clock, nil
}

// Ask answers q for a workspace at now, in the time zone of its SLA
// calendar (UTC without one), counting business time on that calendar.
// Errors of the query wrap ErrBadQuery.
func Ask(ctx context.Context, src Source, workspaceID int64, q Query, now time.Time) (Answer, error) {
	return AskWith(ctx, src, workspaceID, q, now, func(res Resolved) (Counter, error) {
		return newFactCounter(func(p Period) (Facts, error) {
			f, err := src.MetricFacts(ctx, workspaceID, p, now)
			f.Clock = res.Clock
			return f, err
		}), nil
	})
}

// AskWith answers q for a workspace at now as Ask does, with the partials
// counted by the counter count gives for q's period.
func AskWith(ctx context.Context, src Source, workspaceID int64, q Query, now time.Time, count func(Resolved) (Counter, error)) (Answer, error) {
	res, err := Resolve(ctx, src, workspaceID, q, now)
	if err != nil {
		return Answer{}, err
	}
	weights, err := src.EngagementWeights(ctx, workspaceID)
	if err != nil {
		return Answer{}, err
	}
	c, err := count(res)
	if err != nil {
		return Answer{}, err
	}
	return Assemble(ctx, res, res.Clock.Location(), q, weights, c)
}

// Scope is one workspace of a query across several.
type Scope struct {
	ID           int64
	Slug, Sector string
}

// AskAcross answers q over several workspaces at once, in loc (the
// asker's time zone): their facts pooled, each conversation timed on its
// own workspace's SLA calendar, members told apart by workspace (their ids
// become "slug/id"), the engagement scored with DefaultWeights. By may
// also be "workspace" or "sector".
func AskAcross(ctx context.Context, src Source, scopes []Scope, q Query, loc *time.Location, now time.Time) (Answer, error) {
	p, from, to, err := period(q.From, q.To, loc, now)
	if err != nil {
		return Answer{}, err
	}
	utc, err := sla.Calendar{TimeZone: "UTC"}.Compile()
	if err != nil {
		return Answer{}, err
	}
	clocks := make([]*sla.Clock, len(scopes))
	for i, sc := range scopes {
		settings, ok, err := src.SLASettings(ctx, sc.ID)
		if err != nil {
			return Answer{}, err
		}
		if clocks[i] = utc; ok {
			if clocks[i], err = settings.Calendar.Compile(); err != nil {
				return Answer{}, fmt.Errorf("the SLA calendar of %s: %w", sc.Slug, err)
			}
		}
	}
	read := func(p Period) (Facts, error) {
		all := Facts{Now: now, FirstSeen: map[string]time.Time{}, Names: map[string]string{}}
		for i, sc := range scopes {
			f, err := src.MetricFacts(ctx, sc.ID, p, now)
			if err != nil {
				return all, err
			}
			for _, c := range f.Conversations {
				c.Workspace, c.Sector, c.Clock = sc.Slug, sc.Sector, clocks[i]
				all.Conversations = append(all.Conversations, c)
			}
			for _, m := range f.Messages {
				if m.MemberID != "" {
					m.MemberID = sc.Slug + "/" + m.MemberID
				}
				all.Messages = append(all.Messages, m)
			}
			for id, t := range f.FirstSeen {
				all.FirstSeen[sc.Slug+"/"+id] = t
			}
			for id, n := range f.Names {
				all.Names[sc.Slug+"/"+id] = n
			}
		}
		return all, nil
	}
	return Assemble(ctx, Resolved{Period: p, From: from, To: to}, loc, q, DefaultWeights(), newFactCounter(read))
}

// Counter counts the partial reports an answer is made of: by reading
// every fact of a period (Ask, the reference), or by merging partials
// kept day by day (internal/rollup).
type Counter interface {
	// Count returns the partial of each of steps, periods in time order
	// that do not overlap, for every conversation.
	Count(ctx context.Context, steps []Period) ([]Partial, error)
	// CountBy returns the partial of p of each slice by gives
	// conversations ("channel", "assignee", "topic", ...).
	CountBy(ctx context.Context, p Period, by string) (map[string]Partial, error)
	// Who tells the members of the partials apart and names them.
	Who
}

// Assemble answers q over res's period in loc from what c counts.
func Assemble(ctx context.Context, res Resolved, loc *time.Location, q Query, weights Weights, c Counter) (Answer, error) {
	p := res.Period
	every := q.Every
	if every == "" {
		every = Step(p)
	}
	steps, err := Split(p, every, loc)
	if err != nil {
		return Answer{}, fmt.Errorf("%w: %v", ErrBadQuery, err)
	}
	if _, err := sliceBy(q.By); err != nil {
		return Answer{}, err
	}
	before := res.Before()
	parts, err := c.Count(ctx, steps)
	if err != nil {
		return Answer{}, err
	}
	wholes, err := c.Count(ctx, []Period{p})
	if err != nil {
		return Answer{}, err
	}
	prev, err := c.Count(ctx, []Period{before})
	if err != nil {
		return Answer{}, err
	}
	whole := wholes[0]
	whole.Report.Period, prev[0].Report.Period = p, before
	for i := range parts {
		parts[i].Report.Period = steps[i]
	}
	engaged, err := whole.EngagedNamed(ctx, weights, MaxEngaged, c)
	if err != nil {
		return Answer{}, err
	}
	a := Answer{TimeZone: loc.String(), From: res.From, To: res.To, Total: whole.Finish(), Previous: prev[0].Finish(),
		Every: every, Trend: finishAll(parts), Engaged: engaged, Weights: weights, By: q.By}
	if q.By == "" {
		return a, nil
	}
	byKey, err := c.CountBy(ctx, p, q.By)
	if err != nil {
		return Answer{}, err
	}
	a.Groups = []Group{}
	for _, k := range slices.Sorted(maps.Keys(byKey)) {
		part := byKey[k]
		part.Report.Period = p
		r := part.Finish()
		if r.In+r.Out+r.Conversations+r.Resolution.Count+r.SLA.Total+r.Backlog.Open > 0 {
			a.Groups = append(a.Groups, Group{Key: k, Report: r})
		}
	}
	return a, nil
}

// newFactCounter counts from the facts read gives of each period asked.
func newFactCounter(read func(Period) (Facts, error)) *factCounter {
	return &factCounter{read: read, facts: map[Period]*factsRead{}}
}

// factCounter counts from the facts of each period asked, read once.
type factCounter struct {
	read  func(Period) (Facts, error)
	facts map[Period]*factsRead
	names map[string]string
}

// factsRead are the facts of a period with their threads.
type factsRead struct {
	f      Facts
	byConv map[int64][]Message
}

// of reads the facts of p, or finds them read.
func (c *factCounter) of(p Period) (*factsRead, error) {
	p = Period{From: p.From.UTC(), To: p.To.UTC()}
	if fr, ok := c.facts[p]; ok {
		return fr, nil
	}
	f, err := c.read(p)
	if err != nil {
		return nil, err
	}
	fr := &factsRead{f: f, byConv: threads(f)}
	c.facts[p] = fr
	if c.names == nil {
		c.names = map[string]string{}
	}
	maps.Copy(c.names, f.Names)
	return fr, nil
}

func (c *factCounter) Count(_ context.Context, steps []Period) ([]Partial, error) {
	if len(steps) == 0 {
		return nil, nil
	}
	fr, err := c.of(Period{From: steps[0].From, To: steps[len(steps)-1].To})
	if err != nil {
		return nil, err
	}
	return partials(fr.f, fr.byConv, steps, nil), nil
}

func (c *factCounter) CountBy(_ context.Context, p Period, by string) (map[string]Partial, error) {
	key, err := sliceBy(by)
	if err != nil {
		return nil, err
	}
	fr, err := c.of(p)
	if err != nil {
		return nil, err
	}
	out := map[string]Partial{}
	for k, parts := range partialsBy(fr.f, fr.byConv, []Period{p}, key) {
		out[k] = parts[0]
	}
	return out, nil
}

func (c *factCounter) IDs(context.Context, []uint32) (map[uint32]string, error) {
	return nil, errors.New("partials counted from the facts name their members by id")
}

func (c *factCounter) Names(_ context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	for _, id := range ids {
		out[id] = c.names[id]
	}
	return out, nil
}

// sliceBy returns what by slices a conversation into.
func sliceBy(by string) (func(Conversation) []string, error) {
	switch by {
	case "":
		return nil, nil
	case "channel":
		return func(c Conversation) []string { return []string{c.Channel} }, nil
	case "assignee":
		return func(c Conversation) []string { return []string{c.Assignee} }, nil
	case "topic":
		return func(c Conversation) []string { return c.Topics }, nil
	case "workspace":
		return func(c Conversation) []string { return []string{c.Workspace} }, nil
	case "sector":
		return func(c Conversation) []string { return []string{c.Sector} }, nil
	}
	return nil, fmt.Errorf("%w: by %q: must be channel, assignee, topic, workspace or sector", ErrBadQuery, by)
}

// period reads a period of local dates in loc, from inclusive, to
// exclusive; by default the 30 days up to today.
func period(from, to string, loc *time.Location, now time.Time) (Period, string, string, error) {
	today := now.In(loc)
	day := func(name, s string, def time.Time) (time.Time, error) {
		if s == "" {
			return time.Date(def.Year(), def.Month(), def.Day(), 0, 0, 0, 0, loc), nil
		}
		t, err := time.ParseInLocation(time.DateOnly, s, loc)
		if err != nil {
			return t, fmt.Errorf("%w: %s %q: want a date such as 2026-03-01", ErrBadQuery, name, s)
		}
		return t, nil
	}
	end, err := day("to", to, today.AddDate(0, 0, 1))
	if err != nil {
		return Period{}, "", "", err
	}
	start, err := day("from", from, end.AddDate(0, 0, -30))
	if err != nil {
		return Period{}, "", "", err
	}
	if !start.Before(end) {
		return Period{}, "", "", fmt.Errorf("%w: from %s is not before to %s", ErrBadQuery, start.Format(time.DateOnly), end.Format(time.DateOnly))
	}
	if end.Sub(start) > MaxDays*24*time.Hour {
		return Period{}, "", "", fmt.Errorf("%w: from %s to %s: at most %d days", ErrBadQuery, start.Format(time.DateOnly), end.Format(time.DateOnly), MaxDays)
	}
	return Period{From: start, To: end}, start.Format(time.DateOnly), end.Format(time.DateOnly), nil
}
