package rollup

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"time"

	"palabre/internal/metrics"
	"palabre/internal/sla"
	"palabre/internal/store"
)

// Ask answers q for a workspace at now as metrics.Ask does, exactly, from
// the rollups kept and, for the days not kept or changed since, from the
// facts. Slices other than by channel, assignee or topic are counted from
// the facts.
func Ask(ctx context.Context, src Source, workspaceID int64, q metrics.Query, now time.Time) (metrics.Answer, error) {
	a, _, err := ask(ctx, src, workspaceID, q, now)
	return a, err
}

// ask is Ask, with the counter that counted the answer (nil when the
// facts did).
func ask(ctx context.Context, src Source, workspaceID int64, q metrics.Query, now time.Time) (metrics.Answer, *counter, error) {
	if q.By != "" && !slices.Contains(kinds(), q.By) {
		a, err := metrics.Ask(ctx, src, workspaceID, q, now)
		return a, nil, err
	}
	var c *counter
	a, err := metrics.AskWith(ctx, src, workspaceID, q, now, func(res metrics.Resolved) (metrics.Counter, error) {
		dirty, err := src.DirtySpans(ctx, workspaceID)
		if err != nil {
			return nil, err
		}
		loc := res.Clock.Location()
		first, ok, err := src.FirstMessageAt(ctx, workspaceID)
		if err != nil {
			return nil, err
		}
		begins := int32(math.MaxInt32) // no message: every day is empty
		if ok {
			begins = metrics.LocalDay(first, loc)
		}
		c = &counter{src: src, workspaceID: workspaceID, clock: res.Clock, loc: loc, zone: loc.String(), now: now, dirty: dirty,
			begins: begins, by: q.By, period: res.Period, before: res.Before(),
			kept: map[string]map[unit]store.Rollup{}, full: map[string]map[unit]bool{}, loaded: map[string][][2]int32{},
			decoded: map[string]map[unit]*pending{}, merges: map[mergeKey]*pending{}, workers: make(chan struct{}, runtime.GOMAXPROCS(0)), live: map[int32]dayParts{}}
		return c, nil
	})
	return a, c, err
}

// counter counts an answer's partials from rollups (metrics.Counter).
type counter struct {
	src         Source
	workspaceID int64
	clock       *sla.Clock
	loc         *time.Location
	zone        string
	now         time.Time
	dirty       []store.Span
	// begins is the local day of the workspace's first message: the
	// days before it are empty.
	begins int32
	// by is the slice kind the answer is sliced by, kept ("" for none);
	// period and before the answer's period and the one it is compared
	// with; prepared, whether all the answer reads was asked for at once.
	by             string
	period, before metrics.Period
	prepared       bool
	// kept are the rollups read, by slice kind, over the day ranges
	// loaded (full: with their members); decoded those read with their
	// members, decoded (or being decoded, by at most workers at once);
	// merges the periods merged (or being merged); live the days counted
	// from the facts.
	kept    map[string]map[unit]store.Rollup
	full    map[string]map[unit]bool
	loaded  map[string][][2]int32
	decoded map[string]map[unit]*pending
	merges  map[mergeKey]*pending
	workers chan struct{}
	live    map[int32]dayParts
}

// pending is partials made in the background — a rollup read with its
// members, decoded while the days not kept are counted from the facts,
// or the pieces of a period merged — and then done: the whole
// workspace's partial, or a slice kind's.
type pending struct {
	done   chan struct{}
	whole  metrics.Partial
	slices map[string]metrics.Partial
	err    error
}

// decode starts decoding the rollup of u kept for slice kind, unless
// started already.
func (c *counter) decode(kind string, u unit) *pending {
	if c.decoded[kind] == nil {
		c.decoded[kind] = map[unit]*pending{}
	}
	if d, ok := c.decoded[kind][u]; ok {
		return d
	}
	d := &pending{done: make(chan struct{})}
	c.decoded[kind][u] = d
	r := c.kept[kind][u] // read here: the maps are the counter's alone
	go func() {
		defer close(d.done)
		c.workers <- struct{}{}
		defer func() { <-c.workers }()
		if kind == "" {
			d.err = d.whole.UnmarshalSplit(r.Data, r.Members)
		} else {
			d.slices, d.err = decodeSlices(r.Data, r.Members, true)
		}
		if d.err != nil {
			d.err = fmt.Errorf("rollup of workspace %d by %q, %s of day %d: %w", c.workspaceID, kind, u.grain, u.day, d.err)
		}
	}()
	return d
}

// piece is a rollup kept, a day counted from the facts (live) or a day
// before the first message (empty).
type piece struct {
	unit
	live, empty bool
}

// load reads the rollups of slice whose first day is in [from, to),
// unless read already.
func (c *counter) load(ctx context.Context, slice string, from, to int32) error {
	for _, r := range c.loaded[slice] {
		if r[0] <= from && to <= r[1] {
			return nil
		}
	}
	rows, err := c.src.Rollups(ctx, c.workspaceID, slice, c.zone, from, to)
	if err != nil {
		return err
	}
	if c.kept[slice] == nil {
		c.kept[slice] = map[unit]store.Rollup{}
	}
	for _, r := range rows {
		if u := (unit{r.Grain, r.Day}); c.kept[slice][u].Data == nil {
			c.kept[slice][u] = r // one read before may hold its data
		}
	}
	c.loaded[slice] = append(c.loaded[slice], [2]int32{from, to})
	return nil
}

// usable reports whether the rollup of u kept for slice counts: built
// after its end, and nothing in it changed since.
func (c *counter) usable(slice string, u unit) bool {
	r, ok := c.kept[slice][u]
	if !ok {
		return false
	}
	from, to := midnight(u.day, c.loc), midnight(u.end(c.loc), c.loc)
	if r.BuiltAt.Before(to) {
		return false
	}
	for _, sp := range c.dirty {
		if sp.From.Before(to) && (sp.To.IsZero() || !sp.To.Before(from)) {
			return false
		}
	}
	return true
}

// cover covers the local days of each period with the largest rollups
// kept that fit, and days counted live where none is: all counted at
// once. Of the rollups chosen, it reads the members too unless headOnly
// says a period's pieces need none, and starts decoding them.
func (c *counter) cover(ctx context.Context, slice string, periods []metrics.Period, headOnly func([]piece) bool) ([][]piece, error) {
	for {
		out, days, err := c.plan(ctx, slice, periods)
		if err != nil {
			return nil, err
		}
		gone, err := c.fetch(ctx, slice, out, headOnly)
		if err != nil {
			return nil, err
		}
		if !gone {
			return out, c.countLive(ctx, slice, days)
		}
		// Again, without the rollups gone.
	}
}

// plan covers the local days of each period with the largest rollups
// kept that fit, and days to count live where none is, which it returns.
func (c *counter) plan(ctx context.Context, slice string, periods []metrics.Period) ([][]piece, []int32, error) {
	if len(periods) == 0 {
		return nil, nil, nil
	}
	first, _ := c.days(periods[0])
	_, last := c.days(periods[len(periods)-1])
	if err := c.load(ctx, slice, first, last); err != nil {
		return nil, nil, err
	}
	out := make([][]piece, len(periods))
	var days []int32
	for i, p := range periods {
		from, to := c.days(p)
		out[i] = c.coverDays(slice, from, to, &days)
	}
	return out, days, nil
}

// fetch reads the data of the rollups a plan chose, once: with their
// members, or without when none of the periods they are in needs them
// (headOnly); and starts decoding those read with their members. gone
// reports that one was counted again since it was listed: the plan is to
// be made again.
func (c *counter) fetch(ctx context.Context, slice string, plan [][]piece, headOnly func([]piece) bool) (gone bool, err error) {
	kept := c.kept[slice]
	if c.full[slice] == nil {
		c.full[slice] = map[unit]bool{}
	}
	full := c.full[slice]
	wantFull := map[unit]bool{}
	for _, pieces := range plan {
		heads := headOnly != nil && headOnly(pieces)
		for _, p := range pieces {
			if !p.live && !p.empty && !heads {
				wantFull[p.unit] = true
			}
		}
	}
	var needFull, needHead []store.Rollup
	for _, pieces := range plan {
		for _, p := range pieces {
			r := kept[p.unit]
			switch {
			case p.live || p.empty || full[p.unit]:
			case wantFull[p.unit]:
				needFull = append(needFull, r)
			case r.Data == nil:
				needHead = append(needHead, r)
			}
		}
	}
	for _, need := range []struct {
		list    []store.Rollup
		members bool
	}{{needFull, true}, {needHead, false}} {
		list := need.list
		slices.SortFunc(list, func(a, b store.Rollup) int { return cmp.Or(cmp.Compare(a.Grain, b.Grain), cmp.Compare(a.Day, b.Day)) })
		list = slices.CompactFunc(list, func(a, b store.Rollup) bool { return a.Grain == b.Grain && a.Day == b.Day })
		if err := c.src.RollupData(ctx, c.workspaceID, list, need.members); err != nil {
			return false, err
		}
		for _, r := range list {
			u := unit{r.Grain, r.Day}
			if r.Data == nil {
				delete(kept, u) // counted again since it was listed
				delete(full, u)
				delete(c.decoded[slice], u)
				gone = true
				continue
			}
			kept[u], full[u] = r, need.members
		}
	}
	if gone {
		return true, nil
	}
	for u := range wantFull {
		c.decode(slice, u) // meanwhile
	}
	return false, nil
}

// coverDays covers the local days [from, to), adding to live the days
// to count live.
func (c *counter) coverDays(slice string, from, to int32, live *[]int32) []piece {
	var out []piece
	for d := from; d < to; {
		if d < c.begins {
			out = append(out, piece{unit: unit{Day, d}, empty: true})
			d++
			continue
		}
		took := false
		for _, grain := range []string{Quarter, Month, Week, Day} {
			u := unit{grain, d}
			if starts(grain, d, c.loc) && u.end(c.loc) <= to && c.usable(slice, u) {
				out = append(out, piece{unit: u})
				d, took = u.end(c.loc), true
				break
			}
		}
		if !took {
			out = append(out, piece{unit: unit{Day, d}, live: true})
			*live = append(*live, d)
			d++
		}
	}
	return out
}

// countLive counts from the facts the days not counted yet (for the
// whole workspace and, unless kind is "", its slices of kind), a run of
// days following one another at a time.
func (c *counter) countLive(ctx context.Context, kind string, days []int32) error {
	days = slices.DeleteFunc(slices.Clone(days), func(d int32) bool {
		dp, ok := c.live[d]
		_, sliced := dp.by[kind]
		return ok && (kind == "" || sliced)
	})
	slices.Sort(days)
	days = slices.Compact(days)
	var kinds []string
	if kind != "" {
		kinds = []string{kind}
	} else if c.by != "" {
		kinds = []string{c.by} // the answer's slices will ask for the same days: counted at once
	}
	for len(days) > 0 {
		n := 1
		for n < len(days) && days[n] == days[n-1]+1 && n < maxRun*4 {
			n++
		}
		parts, err := countDays(ctx, c.src, c.workspaceID, c.clock, days[0], days[n-1]+1, c.now, kinds)
		if err != nil {
			return err
		}
		for i, dp := range parts {
			d := days[0] + int32(i)
			if had, ok := c.live[d]; ok {
				for _, k := range kinds {
					had.by[k] = dp.by[k]
				}
				continue
			}
			c.live[d] = dp
		}
		days = days[n:]
	}
	return nil
}

// counts is the whole workspace's partial of a kept piece without its
// members' parts, its members counted.
func (c *counter) counts(p piece) (metrics.Partial, error) {
	var part metrics.Partial
	if err := part.UnmarshalCounts(c.kept[""][p.unit].Data); err != nil {
		return part, fmt.Errorf("rollup of workspace %d, %s of day %d: %w", c.workspaceID, p.grain, p.day, err)
	}
	return part, nil
}

// mergeKey names a merge: a slice kind ("" for the whole workspace) over
// a period.
type mergeKey struct {
	kind     string
	from, to time.Time
}

// merge returns the merge of the pieces of p for slice kind, started
// in the background unless started already.
func (c *counter) merge(kind string, p metrics.Period, pieces []piece) *pending {
	key := mergeKey{kind, p.From, p.To}
	if m, ok := c.merges[key]; ok {
		return m
	}
	m := &pending{done: make(chan struct{})}
	c.merges[key] = m
	// What each piece is, found here: the maps are the counter's alone.
	decodings := make([]*pending, len(pieces))
	wholes := make([]metrics.Partial, len(pieces))
	parts := make([]map[string]metrics.Partial, len(pieces))
	for i, pc := range pieces {
		switch {
		case pc.empty:
			wholes[i] = c.nothing(pc.day)
		case pc.live:
			wholes[i], parts[i] = c.live[pc.day].whole, c.live[pc.day].by[kind]
		default:
			decodings[i] = c.decode(kind, pc.unit)
		}
	}
	go func() {
		defer close(m.done)
		for i, d := range decodings {
			if d == nil {
				continue
			}
			if <-d.done; d.err != nil {
				m.err = d.err
				return
			}
			wholes[i], parts[i] = d.whole, d.slices
		}
		switch {
		case kind != "":
			m.slices, m.err = mergeSlices(parts)
		case len(wholes) == 1:
			m.whole = wholes[0] // read only from here on
		default:
			m.whole, m.err = metrics.Merge(wholes...)
		}
	}()
	return m
}

// nothing is the partial of a day when nothing happened.
func (c *counter) nothing(d int32) metrics.Partial {
	return withBacklog(metrics.Partial{Report: metrics.Report{Period: metrics.Period{From: midnight(d, c.loc), To: midnight(d+1, c.loc)}}},
		metrics.Backlog{})
}

// days are the local days of a period of whole local days.
func (c *counter) days(p metrics.Period) (int32, int32) {
	return metrics.LocalDay(p.From, c.loc), metrics.LocalDay(p.To, c.loc)
}

// prepare reads, at the first count, all the rollups the answer will
// read — of its trend's steps, its period, the one before and its
// slices — and starts decoding them, then counts the days not kept while
// they are decoded.
func (c *counter) prepare(ctx context.Context, steps []metrics.Period, oneKept func([]piece) bool) error {
	if c.prepared {
		return nil
	}
	c.prepared = true
	type read struct {
		slice    string
		periods  []metrics.Period
		headOnly func([]piece) bool
	}
	reads := []read{{"", steps, oneKept}, {"", []metrics.Period{c.period}, nil}, {"", []metrics.Period{c.before}, nil}}
	if c.by != "" {
		reads = append(reads, read{c.by, []metrics.Period{c.period}, nil})
	}
	plans := make([][][]piece, len(reads))
	var live []int32
	for i, r := range reads {
		var days []int32
		var err error
		if plans[i], days, err = c.plan(ctx, r.slice, r.periods); err != nil {
			return err
		}
		live = append(live, days...)
	}
	// Today is counted while the rollups are read and decoded.
	counted := make(chan error, 1)
	go func() { counted <- c.countLive(ctx, "", live) }()
	gone := make([]bool, len(reads))
	var err error
	for i, r := range reads {
		if gone[i], err = c.fetch(ctx, r.slice, plans[i], r.headOnly); err != nil {
			break
		}
	}
	if err := cmp.Or(<-counted, err); err != nil {
		return err
	}
	// The period, the one before and the slices merged at once, each
	// as soon as its pieces are decoded (a plan whose rollups went is
	// made again when asked).
	for i, r := range reads {
		if i > 0 && !gone[i] {
			c.merge(r.slice, r.periods[0], plans[i][0])
		}
	}
	return nil
}

func (c *counter) Count(ctx context.Context, steps []metrics.Period) ([]metrics.Partial, error) {
	// A step of a trend that is one rollup: its members were counted
	// when it was kept, and need not be read.
	oneKept := func(pieces []piece) bool {
		return len(steps) > 1 && len(pieces) == 1 && !pieces[0].live && !pieces[0].empty
	}
	if err := c.prepare(ctx, steps, oneKept); err != nil {
		return nil, err
	}
	covers, err := c.cover(ctx, "", steps, oneKept)
	if err != nil {
		return nil, err
	}
	out := make([]metrics.Partial, len(steps))
	for i, s := range steps {
		pieces := covers[i]
		if oneKept(pieces) {
			var err error
			if out[i], err = c.counts(pieces[0]); err != nil {
				return nil, err
			}
			out[i].Report.Period = s
			continue
		}
		m := c.merge("", s, pieces)
		if <-m.done; m.err != nil {
			return nil, m.err
		}
		out[i] = m.whole
		out[i].Report.Period = s
	}
	return out, nil
}

func (c *counter) CountBy(ctx context.Context, p metrics.Period, by string) (map[string]metrics.Partial, error) {
	covers, err := c.cover(ctx, by, []metrics.Period{p}, nil)
	if err != nil {
		return nil, err
	}
	m := c.merge(by, p, covers[0])
	<-m.done
	return m.slices, m.err
}

func (c *counter) IDs(ctx context.Context, keys []uint32) (map[uint32]string, error) {
	return c.src.MemberIDs(ctx, c.workspaceID, keys)
}

func (c *counter) Names(ctx context.Context, ids []string) (map[string]string, error) {
	return c.src.MemberNames(ctx, c.workspaceID, ids)
}
