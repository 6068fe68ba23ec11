package metrics

import (
	"fmt"
	"time"
)

// Steps of a trend.
const (
	Day   = "day"
	Week  = "week" // Monday to Sunday
	Month = "month"
)

// MaxSteps bounds how many steps a trend has.
const MaxSteps = 400

// Step chooses the step of a trend over p when none is asked: days up to
// 31 days, weeks up to a year and a half, months beyond.
func Step(p Period) string {
	switch d := p.To.Sub(p.From); {
	case d <= 31*24*time.Hour+time.Hour:
		return Day
	case d <= 550*24*time.Hour:
		return Week
	}
	return Month
}

// Split cuts p into steps of every in loc: days and months begin at local
// midnight, weeks on Monday; the first and the last step are cut short by
// p. It refuses an unknown step and more than MaxSteps.
func Split(p Period, every string, loc *time.Location) ([]Period, error) {
	var next func(time.Time) time.Time
	local := p.From.In(loc)
	start := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	switch every {
	case Day:
		next = func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }
	case Week:
		start = start.AddDate(0, 0, -(int(start.Weekday())+6)%7)
		next = func(t time.Time) time.Time { return t.AddDate(0, 0, 7) }
	case Month:
		start = time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, loc)
		next = func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
	default:
		return nil, fmt.Errorf("step %q: must be %s, %s or %s", every, Day, Week, Month)
	}
	var out []Period
	for at := start; at.Before(p.To); at = next(at) {
		if len(out) == MaxSteps {
			return nil, fmt.Errorf("from %s to %s by %s: more than %d steps", p.From.Format(time.DateOnly), p.To.Format(time.DateOnly), every, MaxSteps)
		}
		step := Period{From: at, To: next(at)}
		if step.From.Before(p.From) {
			step.From = p.From
		}
		if step.To.After(p.To) {
			step.To = p.To
		}
		out = append(out, step)
	}
	return out, nil
}

// Trend computes the metrics of each step of p (see Split), for the
// conversations keep keeps, in one pass over the conversations: each
// message, start, resolution and due time counts in the step it falls in,
// and a conversation open at the end of a step in that step's backlog.
func Trend(f Facts, steps []Period, keep func(Conversation) bool) []Report {
	return finishAll(Partials(f, steps, keep))
}
