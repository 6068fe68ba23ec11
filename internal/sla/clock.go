package sla

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"palabre/internal/model"
)

// ErrNoOpenTime is returned by Clock.Add when the calendar has no open
// time for about two years after the start: every day a holiday, say.
var ErrNoOpenTime = errors.New("the calendar has no open time")

const (
	// maxIdleDays is how many days in a row Add looks for open time before
	// it gives up.
	maxIdleDays = 2 * 366
	// maxHorizonDays bounds every search, about a century: Add gives up
	// and Between stops counting beyond it.
	maxHorizonDays = 100 * 366
)

// Clock counts the business time of a calendar; Calendar.Compile makes
// one. It is safe for concurrent use: its calendar never changes, and it
// remembers the open periods of the days it has counted (finding a day's
// instants in its time zone costs more than all the rest).
type Clock struct {
	loc      *time.Location
	week     [7][]span // by model.Weekdays index, sorted, not overlapping
	holidays map[date]bool
	days     sync.Map // date → []period, the days counted so far
}

// Location returns the calendar's time zone.
func (c *Clock) Location() *time.Location { return c.loc }

// Open reports whether t falls in business hours.
func (c *Clock) Open(t time.Time) bool {
	var buf [model.MaxIntervalsPerDay]period
	d := dateOf(t.In(c.loc))
	// A day's periods lie between its midnight and the next, which may
	// be on either side of t's own date when clocks go back over midnight.
	for i := -1; i <= 1; i++ {
		for _, p := range c.periods(d.addDays(i), buf[:0]) {
			if p.contains(t) {
				return true
			}
		}
	}
	return false
}

// Add returns the instant, in UTC, at which d of business time has
// elapsed after start. When start is outside business hours, counting
// begins at the next opening. A zero d returns start when it is open and
// the next opening otherwise; a d ending exactly at a closing returns
// that closing, not the next opening. Add fails with ErrNoOpenTime when
// the calendar is closed for about two years in a row, and for a negative
// d.
func (c *Clock) Add(start time.Time, d time.Duration) (time.Time, error) {
	if d < 0 {
		return time.Time{}, fmt.Errorf("add %v of business time to %s: negative duration", d, start.Format(time.RFC3339))
	}
	var buf [model.MaxIntervalsPerDay]period
	day := dateOf(start.In(c.loc)).addDays(-1)
	idle := 0
	for range maxHorizonDays {
		open := false
		for _, p := range c.periods(day, buf[:0]) {
			from := later(p.from, start)
			if !from.Before(p.to) {
				continue
			}
			open = true
			left := p.to.Sub(from)
			if d <= left {
				return from.Add(d).UTC(), nil
			}
			d -= left
		}
		if open {
			idle = 0
		} else if idle++; idle > maxIdleDays {
			return time.Time{}, fmt.Errorf("add business time to %s: closed every day until %d-%02d-%02d: %w",
				start.Format(time.RFC3339), day.year, day.month, day.day, ErrNoOpenTime)
		}
		day = day.addDays(1)
	}
	return time.Time{}, fmt.Errorf("add business time to %s: due more than %d days later", start.Format(time.RFC3339), maxHorizonDays)
}

// Between returns the business time elapsed from a to b: 0 when b is not
// after a. It agrees with Add: Between(t, Add(t, d)) == d. Time more than
// about a century after a is not counted.
func (c *Clock) Between(a, b time.Time) time.Duration {
	if !a.Before(b) {
		return 0
	}
	var buf [model.MaxIntervalsPerDay]period
	var sum time.Duration
	day := dateOf(a.In(c.loc)).addDays(-1)
	last := dateOf(b.In(c.loc)).addDays(1)
	for range maxHorizonDays {
		for _, p := range c.periods(day, buf[:0]) {
			from, to := later(p.from, a), earlier(p.to, b)
			if from.Before(to) {
				sum += to.Sub(from)
			}
		}
		if day == last {
			break
		}
		day = day.addDays(1)
	}
	return sum
}

// period is a stretch of business time between two real instants, to
// exclusive.
type period struct{ from, to time.Time }

// contains reports whether t falls in p.
func (p period) contains(t time.Time) bool { return !t.Before(p.from) && t.Before(p.to) }

// periods appends to buf the open periods of day d, in order. They lie
// between d's midnight and the next and do not overlap, so that no
// instant is counted twice whatever the clocks did.
func (c *Clock) periods(d date, buf []period) []period {
	if known, ok := c.days.Load(d); ok {
		return append(buf, known.([]period)...)
	}
	start := len(buf)
	buf = c.dayPeriods(d, buf)
	c.days.Store(d, append([]period(nil), buf[start:]...))
	return buf
}

// dayPeriods is periods, worked out.
func (c *Clock) dayPeriods(d date, buf []period) []period {
	if c.holidays[d] {
		return buf
	}
	spans := c.week[d.weekdayIndex()]
	if len(spans) == 0 {
		return buf
	}
	floor, ceil := c.instant(d, 0), c.instant(d, minutesPerDay)
	for _, s := range spans {
		from, to := later(c.instant(d, s.start), floor), earlier(c.instant(d, s.end), ceil)
		if from.Before(to) {
			buf = append(buf, period{from, to})
			floor = to
		}
	}
	return buf
}

// instant returns the real instant at which the wall clock of the
// calendar's zone shows minute (0 to 1440) of day d. A wall time skipped
// when clocks go forward gives the instant they jump; one that occurs
// twice when clocks go back gives its first occurrence. The mapping never
// goes backwards as the wall time grows.
func (c *Clock) instant(d date, minute int) time.Time {
	if minute >= minutesPerDay {
		d, minute = d.addDays(minute/minutesPerDay), minute%minutesPerDay
	}
	h, m := minute/60, minute%60
	t := time.Date(d.year, d.month, d.day, h, m, 0, 0, c.loc)
	want := time.Date(d.year, d.month, d.day, h, m, 0, 0, time.UTC)
	got := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
	start, end := t.ZoneBounds()
	switch {
	case got.After(want): // skipped, and time.Date moved it past the jump
		if !start.IsZero() {
			return start
		}
		return t
	case got.Before(want): // skipped, and time.Date moved it before the jump
		if !end.IsZero() {
			return end
		}
		return t
	}
	if start.IsZero() {
		return t
	}
	_, cur := t.Zone()
	_, prev := start.Add(-time.Second).Zone()
	if prev <= cur {
		return t
	}
	// Clocks went back at start: the same wall time may have been shown
	// before, under the previous offset.
	first := t.Add(-time.Duration(prev-cur) * time.Second)
	if _, off := first.Zone(); first.Before(start) && off == prev {
		return first
	}
	return t
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.Before(b) {
		return b
	}
	return a
}

// earlier returns the earlier of a and b.
func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
