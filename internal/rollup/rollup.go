// Package rollup keeps a workspace's metrics ready: the partial report
// (metrics.Partial) of each local day, week and month, for the whole
// workspace and for each channel, assignee and topic, built in the
// background as days end and built again when what they counted changes.
// A dashboard then merges a few dozen of them, and counts live only the
// days not kept yet (today, those changed since), instead of reading a
// year of messages. The answers are those of metrics.Ask, exactly: the
// same partials, counted by the same code, merged.
//
// What changed is known from the store's triggers, whatever wrote it
// (store.ClaimDirty): each change marks a span of time, and the days,
// weeks and months it touches are counted again.
package rollup

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"palabre/internal/metrics"
	"palabre/internal/sla"
	"palabre/internal/store"
)

// Grains of rollups.
const (
	Day     = "day"
	Week    = "week" // Monday to Sunday
	Month   = "month"
	Quarter = "quarter" // January to March, April to June, …
)

// kinds are the slices kept besides the whole workspace.
func kinds() []string { return []string{"channel", "assignee", "topic"} }

// Source is where rollups are built from and kept. *store.Store
// satisfies it.
type Source interface {
	metrics.Source
	RollupFacts(ctx context.Context, workspaceID int64, p metrics.Period, now time.Time) (metrics.Facts, error)
	Openings(ctx context.Context, workspaceID int64, p metrics.Period) ([]metrics.Conversation, error)
	BacklogNow(ctx context.Context, workspaceID int64, end time.Time, by string) (map[string]metrics.Backlog, bool, error)
	Rollups(ctx context.Context, workspaceID int64, slice, zone string, from, to int32) ([]store.Rollup, error)
	RollupData(ctx context.Context, workspaceID int64, rollups []store.Rollup, members bool) error
	RollupIndex(ctx context.Context, workspaceID int64, zone string) (map[string][]int32, error)
	SaveRollups(ctx context.Context, workspaceID, generation int64, rollups []store.Rollup) (bool, error)
	DirtySpans(ctx context.Context, workspaceID int64) ([]store.Span, error)
	ClaimDirty(ctx context.Context, workspaceID int64, days func(store.Span) (int32, int32)) ([]store.Span, int64, error)
	FirstMessageAt(ctx context.Context, workspaceID int64) (time.Time, bool, error)
	MemberNames(ctx context.Context, workspaceID int64, ids []string) (map[string]string, error)
	MemberKeys(ctx context.Context, workspaceID int64, ids []string) (map[string]uint32, error)
	MemberIDs(ctx context.Context, workspaceID int64, keys []uint32) (map[uint32]string, error)
}

// midnight is when local day d begins in loc.
func midnight(d int32, loc *time.Location) time.Time {
	return time.Date(1970, 1, 1+int(d), 0, 0, 0, 0, loc)
}

// unit is a grain beginning on a local day.
type unit struct {
	grain string
	day   int32
}

// end is the day after the unit's last.
func (u unit) end(loc *time.Location) int32 {
	switch u.grain {
	case Week:
		return u.day + 7
	case Month:
		return metrics.LocalDay(midnight(u.day, loc).AddDate(0, 1, 0), loc)
	case Quarter:
		return metrics.LocalDay(midnight(u.day, loc).AddDate(0, 3, 0), loc)
	}
	return u.day + 1
}

// starts reports whether a unit of grain may begin on day d: weeks on
// Mondays, months on their first day, quarters on the first of January,
// April, July and October.
func starts(grain string, d int32, loc *time.Location) bool {
	t := midnight(d, loc)
	switch grain {
	case Week:
		return t.Weekday() == time.Monday
	case Month:
		return t.Day() == 1
	case Quarter:
		return t.Day() == 1 && t.Month()%3 == 1
	}
	return true
}

// dayParts are the partials of one local day: the whole workspace's,
// and each slice's by kind.
type dayParts struct {
	whole metrics.Partial
	by    map[string]map[string]metrics.Partial
}

// countDays counts the partials of the local days [from, to) in clock's
// zone from the facts as they stand at now, for the whole workspace and
// the slice kinds asked: each day's counts from the conversations active
// in the span, each day's backlog at its end from those open then (for
// days that end after now, those open now, counted in the store's
// indexes by channel, assignee and topic).
func countDays(ctx context.Context, src Source, workspaceID int64, clock *sla.Clock, from, to int32, now time.Time, kinds []string) ([]dayParts, error) {
	loc := clock.Location()
	steps := make([]metrics.Period, 0, to-from)
	ends := make([]time.Time, 0, to-from)
	past := 0 // the days that ended by now come first
	for d := from; d < to; d++ {
		steps = append(steps, metrics.Period{From: midnight(d, loc), To: midnight(d+1, loc)})
		ends = append(ends, midnight(d+1, loc))
		if !ends[len(ends)-1].After(now) {
			past++
		}
	}
	span := metrics.Period{From: steps[0].From, To: steps[len(steps)-1].To}
	// The facts and the backlogs of the whole workspace and of each kind
	// are read at once, each on its own connection.
	b := &backlogs{ctx: ctx, src: src, workspaceID: workspaceID, steps: steps, ends: ends, past: past, waiting: map[int]metrics.Facts{}}
	var f metrics.Facts
	found := make([]map[string][]metrics.Backlog, len(kinds)+1) // the whole workspace's, then each kind's
	errs := make([]error, len(kinds)+2)
	var wg sync.WaitGroup
	wg.Go(func() { f, errs[0] = src.RollupFacts(ctx, workspaceID, span, now) })
	for i, kind := range append([]string{""}, kinds...) {
		wg.Go(func() { found[i], errs[i+1] = b.of(kind) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	f.Clock = clock
	wholeBacklogs := found[0]
	out := make([]dayParts, len(steps))
	whole := metrics.Partials(f, steps, nil)
	for i := range out {
		out[i] = dayParts{whole: withBacklog(whole[i], backlogAt(wholeBacklogs[""], i)), by: map[string]map[string]metrics.Partial{}}
	}
	for k, kind := range kinds {
		parts, err := metrics.PartialsBy(f, steps, kind)
		if err != nil {
			return nil, err
		}
		backlogs := found[k+1]
		for i := range out {
			slice := map[string]metrics.Partial{}
			for key, p := range parts {
				slice[key] = withBacklog(p[i], backlogAt(backlogs[key], i))
			}
			for key, bl := range backlogs {
				if _, ok := slice[key]; !ok && bl[i].Open > 0 {
					slice[key] = withBacklog(metrics.Partial{Report: metrics.Report{Period: steps[i]}}, bl[i])
				}
			}
			out[i].by[kind] = slice
		}
	}
	return out, keyDays(ctx, src, workspaceID, out)
}

// keyDays names the members of days' partials by the keys of the
// workspace's dictionary, as rollups are kept and merged.
func keyDays(ctx context.Context, src Source, workspaceID int64, days []dayParts) error {
	seen := map[string]bool{}
	var ids []string
	each := func(fn func(p *metrics.Partial) error) error {
		for i := range days {
			if err := fn(&days[i].whole); err != nil {
				return err
			}
			for _, slice := range days[i].by {
				for k, p := range slice {
					if err := fn(&p); err != nil {
						return err
					}
					slice[k] = p
				}
			}
		}
		return nil
	}
	each(func(p *metrics.Partial) error {
		for id := range p.Members {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		return nil
	})
	if len(ids) == 0 {
		return nil
	}
	keys, err := src.MemberKeys(ctx, workspaceID, ids)
	if err != nil {
		return err
	}
	return each(func(p *metrics.Partial) error {
		var err error
		*p, err = p.Keyed(keys)
		return err
	})
}

// backlogs finds the backlog at the end of each day of a span.
type backlogs struct {
	ctx         context.Context
	src         Source
	workspaceID int64
	steps       []metrics.Period
	ends        []time.Time
	past        int // the first days, which ended by now
	// waiting are the conversations that may be in a backlog of the days
	// from an index on, read once (under mu: kinds are found at once).
	mu      sync.Mutex
	waiting map[int]metrics.Facts
}

// of finds the backlog at the end of each day of each slice of kind (""
// for the whole workspace, under key ""): a sweep over the conversations
// that may be in it for the days that ended, the store's count of those
// open now for the others when it can.
func (b *backlogs) of(kind string) (map[string][]metrics.Backlog, error) {
	out := map[string][]metrics.Backlog{}
	put := func(key string, i int, bl metrics.Backlog) {
		if out[key] == nil {
			out[key] = make([]metrics.Backlog, len(b.steps))
		}
		out[key][i] = bl
	}
	sweepFrom := len(b.steps)
	for i := b.past; i < len(b.steps); i++ {
		now, ok, err := b.src.BacklogNow(b.ctx, b.workspaceID, b.ends[i], kind)
		if err != nil {
			return nil, err
		}
		if !ok {
			sweepFrom = i
			break
		}
		for key, bl := range now {
			put(key, i, bl)
		}
	}
	// The days that ended by now, and those the store could not count.
	for _, part := range [][2]int{{0, b.past}, {max(sweepFrom, b.past), len(b.steps)}} {
		if part[0] >= part[1] {
			continue
		}
		w, err := b.waitingFrom(part[0], part[1])
		if err != nil {
			return nil, err
		}
		openings, err := metrics.Openings(w, kind)
		if err != nil {
			return nil, err
		}
		ends := b.ends[part[0]:part[1]]
		var found map[string][]metrics.Backlog
		if kind == "" {
			found = map[string][]metrics.Backlog{"": metrics.Backlogs(openings, ends)}
		} else {
			found = metrics.BacklogsBy(openings, ends)
		}
		for key, list := range found {
			for j, bl := range list {
				put(key, part[0]+j, bl)
			}
		}
	}
	return out, nil
}

// waitingFrom reads the conversations that may be in a backlog of the
// days [from, to), once for all kinds.
func (b *backlogs) waitingFrom(from, to int) (metrics.Facts, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if w, ok := b.waiting[from]; ok {
		return w, nil
	}
	p := metrics.Period{From: b.steps[from].From, To: b.steps[to-1].To}
	open, err := b.src.Openings(b.ctx, b.workspaceID, p)
	if err != nil {
		return metrics.Facts{}, err
	}
	w := metrics.Facts{Conversations: open}
	b.waiting[from] = w
	return w, nil
}

func backlogAt(b []metrics.Backlog, i int) metrics.Backlog {
	if b == nil {
		return metrics.Backlog{}
	}
	return b[i]
}

// withBacklog is p with the backlog found at its end in place of the
// ages it counted.
func withBacklog(p metrics.Partial, b metrics.Backlog) metrics.Partial {
	p.Report.Backlog, p.Ages, p.BacklogDone = b, nil, true
	return p
}

// counted is p with its members counted, so that a report of its period
// alone need not read them (metrics.Partial.UnmarshalCounts).
func counted(p metrics.Partial) metrics.Partial {
	p.Report.Members = p.Finish().Members
	return p
}

// split writes p, its members counted, in two pieces: its counts and
// durations, and its members' parts (metrics.MembersAt).
func split(p metrics.Partial) (head, members []byte, err error) {
	b, err := counted(p).AppendBinary(nil)
	if err != nil {
		return nil, nil, err
	}
	at, err := metrics.MembersAt(b)
	if err != nil {
		return nil, nil, err
	}
	return b[:at:at], b[at:], nil
}

// encodeSlices writes the partials of a slice kind's keys, sorted, their
// members counted, in two pieces: the counts and durations of each, and
// the members of each.
func encodeSlices(parts map[string]metrics.Partial) (data, members []byte, err error) {
	data = binary.AppendUvarint(nil, uint64(len(parts)))
	for _, k := range slices.Sorted(maps.Keys(parts)) {
		head, mine, err := split(parts[k])
		if err != nil {
			return nil, nil, err
		}
		data = binary.AppendUvarint(data, uint64(len(k)))
		data = append(data, k...)
		data = binary.AppendUvarint(data, uint64(len(head)))
		data = append(data, head...)
		members = binary.AppendUvarint(members, uint64(len(mine)))
		members = append(members, mine...)
	}
	return data, members, nil
}

// errCorrupt: a rollup's bytes do not read.
var errCorrupt = errors.New("rollup cut short or corrupt")

// decodeSlices reads what encodeSlices wrote: with members, the members'
// parts too; without, the counts and durations only.
func decodeSlices(data, members []byte, withMembers bool) (map[string]metrics.Partial, error) {
	r, m := bytes.NewReader(data), bytes.NewReader(members)
	n, err := binary.ReadUvarint(r)
	if err != nil || n > uint64(len(data)) {
		return nil, errCorrupt
	}
	out := make(map[string]metrics.Partial, n)
	for range n {
		k, err := readChunk(r)
		if err != nil {
			return nil, err
		}
		head, err := readChunk(r)
		if err != nil {
			return nil, err
		}
		var p metrics.Partial
		if withMembers {
			var mine []byte
			if mine, err = readChunk(m); err == nil {
				err = p.UnmarshalSplit(head, mine)
			}
		} else {
			err = p.UnmarshalCounts(head)
		}
		if err != nil {
			return nil, fmt.Errorf("slice %q: %w", k, err)
		}
		out[string(k)] = p
	}
	if r.Len() > 0 || (withMembers && m.Len() > 0) {
		return nil, errCorrupt
	}
	return out, nil
}

func readChunk(r *bytes.Reader) ([]byte, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil || n > uint64(r.Len()) {
		return nil, errCorrupt
	}
	b := make([]byte, n)
	if _, err := r.Read(b); err != nil && n > 0 {
		return nil, errCorrupt
	}
	return b, nil
}

// encode writes a day's partials as its rollups, one per slice kind.
func (dp dayParts) encode(u unit, zone string, now time.Time) ([]store.Rollup, error) {
	head, members, err := split(dp.whole)
	if err != nil {
		return nil, err
	}
	out := []store.Rollup{{Slice: "", Grain: u.grain, Day: u.day, Zone: zone, BuiltAt: now, Data: head, Members: members}}
	for _, kind := range kinds() {
		data, members, err := encodeSlices(dp.by[kind])
		if err != nil {
			return nil, err
		}
		out = append(out, store.Rollup{Slice: kind, Grain: u.grain, Day: u.day, Zone: zone, BuiltAt: now, Data: data, Members: members})
	}
	return out, nil
}

// mergeSlices merges the partials of a slice kind's keys over pieces that
// follow one another: a key missing from the last piece had nothing open
// at its end.
func mergeSlices(pieces []map[string]metrics.Partial) (map[string]metrics.Partial, error) {
	byKey := map[string][]metrics.Partial{}
	for _, piece := range pieces {
		for k, p := range piece {
			byKey[k] = append(byKey[k], p)
		}
	}
	out := make(map[string]metrics.Partial, len(byKey))
	var last map[string]metrics.Partial
	if len(pieces) > 0 {
		last = pieces[len(pieces)-1]
	}
	for k, parts := range byKey {
		m, err := metrics.Merge(parts...)
		if err != nil {
			return nil, fmt.Errorf("slice %q: %w", k, err)
		}
		if _, ok := last[k]; !ok {
			m.Report.Backlog, m.Ages, m.BacklogDone = metrics.Backlog{}, nil, true
		}
		out[k] = m
	}
	return out, nil
}
