package sla

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"palabre/internal/model"
)

// MaxHolidays is how many holidays a calendar may list.
const MaxHolidays = 1000

// holidayLayout is how a holiday is written: a local date.
const holidayLayout = "2006-01-02"

// minutesPerDay is the length of a wall-clock day; an interval may end
// there ("24:00").
const minutesPerDay = 24 * 60

// Calendar is when a workspace counts time against its promises: weekly
// opening hours in its time zone, minus holidays.
type Calendar struct {
	// TimeZone is an IANA name such as "Europe/Paris" or "UTC".
	TimeZone string `json:"time_zone"`
	// Hours are the weekly opening hours, local wall clock. Empty means
	// open around the clock.
	Hours model.WeeklyHours `json:"hours"`
	// Holidays are local dates, "2026-12-25", closed all day.
	Holidays []string `json:"holidays"`
}

// Validate checks the calendar and returns every fault found, on one line.
func (c Calendar) Validate() error {
	var errs []string
	if err := model.ValidateTimeZone(c.TimeZone); err != nil {
		errs = append(errs, err.Error())
	}
	if err := c.Hours.Validate(); err != nil {
		errs = append(errs, err.Error())
	} else if len(c.Hours) > 0 && !hasInterval(c.Hours) {
		errs = append(errs, "hours: no day has an interval; leave hours empty to be open around the clock")
	}
	if len(c.Holidays) > MaxHolidays {
		errs = append(errs, fmt.Sprintf("holidays: at most %d, got %d", MaxHolidays, len(c.Holidays)))
	}
	for i, h := range c.Holidays {
		if _, err := time.Parse(holidayLayout, h); err != nil {
			errs = append(errs, fmt.Sprintf("holiday %q: want a date such as 2026-12-25", h))
		} else if slices.Contains(c.Holidays[:i], h) {
			errs = append(errs, fmt.Sprintf("holiday %s: listed twice", h))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errors.New(strings.Join(errs, "; "))
}

// hasInterval reports whether any day of h lists an interval.
func hasInterval(h model.WeeklyHours) bool {
	for _, intervals := range h {
		if len(intervals) > 0 {
			return true
		}
	}
	return false
}

// Compile validates the calendar and makes the Clock that counts its
// business time.
func (c Calendar) Compile() (*Clock, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("compile sla calendar: %w", err)
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("compile sla calendar: load time zone %q: %w", c.TimeZone, err)
	}
	clk := &Clock{loc: loc, holidays: make(map[date]bool, len(c.Holidays))}
	for i, day := range model.Weekdays {
		if len(c.Hours) == 0 {
			clk.week[i] = []span{{0, minutesPerDay}}
			continue
		}
		for _, iv := range c.Hours[day] {
			start, end, err := model.ParseInterval(iv)
			if err != nil { // Validate let it through: a bug, not bad input
				return nil, fmt.Errorf("compile sla calendar: hours %s: %w", day, err)
			}
			clk.week[i] = append(clk.week[i], span{start, end})
		}
		slices.SortFunc(clk.week[i], func(a, b span) int { return a.start - b.start })
	}
	for _, h := range c.Holidays {
		t, err := time.Parse(holidayLayout, h)
		if err != nil {
			return nil, fmt.Errorf("compile sla calendar: holiday %q: %w", h, err)
		}
		clk.holidays[dateOf(t)] = true
	}
	return clk, nil
}

// span is an opening interval of a day in minutes after local midnight,
// end exclusive.
type span struct{ start, end int }

// date is a local calendar day.
type date struct {
	year  int
	month time.Month
	day   int
}

// dateOf returns the day of t in t's location.
func dateOf(t time.Time) date {
	y, m, d := t.Date()
	return date{y, m, d}
}

// addDays returns the day n days after d (before, when n < 0).
func (d date) addDays(n int) date {
	return dateOf(time.Date(d.year, d.month, d.day+n, 12, 0, 0, 0, time.UTC))
}

// weekdayIndex returns d's position in model.Weekdays, Monday 0.
func (d date) weekdayIndex() int {
	wd := time.Date(d.year, d.month, d.day, 12, 0, 0, 0, time.UTC).Weekday()
	return (int(wd) + 6) % 7
}
