package rollup

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"palabre/internal/metrics"
	"palabre/internal/store"
)

// maxRun bounds the days counted from one reading of the facts.
const maxRun = 31

// history bounds how far back rollups are kept: the longest period a
// query may ask, and the one before it to compare with.
const history = 2*metrics.MaxDays + 62

// Refresh brings a workspace's rollups up to date at now. It claims the
// spans that changed (their rollups go), counts each day not kept from
// the workspace's first message up to yesterday, and merges the weeks,
// months and quarters whose days are all kept. It returns how many days it counted.
// When the workspace is claimed again meanwhile (another node), it
// stops: the next round counts again.
func Refresh(ctx context.Context, src Source, workspaceID int64, now time.Time) (int, error) {
	clock, err := metrics.WorkspaceClock(ctx, src, workspaceID)
	if err != nil {
		return 0, err
	}
	loc := clock.Location()
	zone := loc.String()
	today := metrics.LocalDay(now, loc)
	_, generation, err := src.ClaimDirty(ctx, workspaceID, func(sp store.Span) (int32, int32) {
		last := int32(math.MaxInt32)
		if !sp.To.IsZero() {
			last = metrics.LocalDay(sp.To, loc)
		}
		return metrics.LocalDay(sp.From, loc), last
	})
	if err != nil {
		return 0, err
	}
	first, ok, err := src.FirstMessageAt(ctx, workspaceID)
	if err != nil || !ok {
		return 0, err
	}
	from := max(metrics.LocalDay(first, loc), today-history)
	index, err := src.RollupIndex(ctx, workspaceID, zone)
	if err != nil {
		return 0, err
	}
	have := map[unit]bool{}
	for grain, days := range index {
		for _, d := range days {
			have[unit{grain, d}] = true
		}
	}
	counted := 0
	for d := from; d < today; {
		if have[unit{Day, d}] {
			d++
			continue
		}
		end := d + 1
		for end < today && end-d < maxRun && !have[unit{Day, end}] {
			end++
		}
		parts, err := countDays(ctx, src, workspaceID, clock, d, end, now, kinds())
		if err != nil {
			return counted, fmt.Errorf("rollups of workspace %d: %w", workspaceID, err)
		}
		var rollups []store.Rollup
		for i, dp := range parts {
			u := unit{Day, d + int32(i)}
			r, err := dp.encode(u, zone, now)
			if err != nil {
				return counted, err
			}
			rollups = append(rollups, r...)
			have[u] = true
		}
		if saved, err := src.SaveRollups(ctx, workspaceID, generation, rollups); err != nil || !saved {
			return counted, err
		}
		counted += int(end - d)
		d = end
	}
	for _, grain := range []string{Week, Month, Quarter} {
		for d := from; d < today; d++ {
			u := unit{grain, d}
			if !starts(grain, d, loc) || have[u] || u.end(loc) > today {
				continue
			}
			rollups, err := mergeDays(ctx, src, workspaceID, u, zone, loc, now)
			if err != nil {
				return counted, err
			}
			if rollups == nil {
				continue
			}
			if saved, err := src.SaveRollups(ctx, workspaceID, generation, rollups); err != nil || !saved {
				return counted, err
			}
			have[u] = true
		}
	}
	return counted, nil
}

// mergeDays merges the day rollups of a week, a month or a quarter into
// its own;
// nil when one of its days is not kept.
func mergeDays(ctx context.Context, src Source, workspaceID int64, u unit, zone string, loc *time.Location, now time.Time) ([]store.Rollup, error) {
	end := u.end(loc)
	var out []store.Rollup
	for _, slice := range append([]string{""}, kinds()...) {
		listed, err := src.Rollups(ctx, workspaceID, slice, zone, u.day, end)
		if err != nil {
			return nil, err
		}
		kept := slices.DeleteFunc(listed, func(r store.Rollup) bool { return r.Grain != Day })
		if err := src.RollupData(ctx, workspaceID, kept, true); err != nil {
			return nil, err
		}
		var wholes []metrics.Partial
		var pieces []map[string]metrics.Partial
		for _, r := range kept {
			if r.Data == nil {
				return nil, nil // gone meanwhile: the next round
			}
			if slice == "" {
				var p metrics.Partial
				if err := p.UnmarshalSplit(r.Data, r.Members); err != nil {
					return nil, fmt.Errorf("rollup of day %d: %w", r.Day, err)
				}
				wholes = append(wholes, p)
				continue
			}
			piece, err := decodeSlices(r.Data, r.Members, true)
			if err != nil {
				return nil, fmt.Errorf("rollup of day %d by %s: %w", r.Day, slice, err)
			}
			pieces = append(pieces, piece)
		}
		if max(len(wholes), len(pieces)) != int(end-u.day) {
			return nil, nil // a day went meanwhile: the next round
		}
		var data, members []byte
		if slice == "" {
			var whole metrics.Partial
			if whole, err = metrics.Merge(wholes...); err == nil {
				data, members, err = split(whole)
			}
		} else {
			var merged map[string]metrics.Partial
			if merged, err = mergeSlices(pieces); err == nil {
				data, members, err = encodeSlices(merged)
			}
		}
		if err != nil {
			return nil, err
		}
		out = append(out, store.Rollup{Slice: slice, Grain: u.grain, Day: u.day, Zone: zone, BuiltAt: now, Data: data, Members: members})
	}
	return out, nil
}
