package sla

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
	_ "time/tzdata" // the tests must not depend on the machine's zoneinfo

	"palabre/internal/model"
)

// compile compiles cal or fails the test.
func compile(t *testing.T, cal Calendar) *Clock {
	t.Helper()
	c, err := cal.Compile()
	if err != nil {
		t.Fatalf("Compile(%+v): %v", cal, err)
	}
	return c
}

// local reads "2006-01-02 15:04" as a wall time in zone tz; it panics on a
// typo in the test itself.
func local(tz, s string) time.Time {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		panic(err)
	}
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

const (
	paris   = "Europe/Paris"
	newYork = "America/New_York"
)

var weekdays9to18 = model.WeeklyHours{
	"mon": {"09:00-18:00"}, "tue": {"09:00-18:00"}, "wed": {"09:00-18:00"},
	"thu": {"09:00-18:00"}, "fri": {"09:00-18:00"},
}

func TestAdd(t *testing.T) {
	t.Parallel()
	office := Calendar{TimeZone: paris, Hours: weekdays9to18}
	lunch := Calendar{TimeZone: "UTC", Hours: model.WeeklyHours{
		"mon": {"14:00-18:00", "09:00-12:00"}, "tue": {"09:00-12:00", "14:00-18:00"}}}
	late := Calendar{TimeZone: "UTC", Hours: model.WeeklyHours{"mon": {"20:00-24:00"}, "tue": {"00:00-02:00"}}}
	christmas := Calendar{TimeZone: paris, Hours: weekdays9to18, Holidays: []string{"2026-12-25"}}
	mondays2026 := Calendar{TimeZone: "UTC", Hours: model.WeeklyHours{"mon": {"09:00-10:00"}}}
	for d := local("UTC", "2026-01-05 00:00"); d.Year() == 2026; d = d.AddDate(0, 0, 7) {
		mondays2026.Holidays = append(mondays2026.Holidays, d.Format("2006-01-02"))
	}
	always := Calendar{TimeZone: paris}
	sundayNight := Calendar{TimeZone: paris, Hours: model.WeeklyHours{"sun": {"01:00-04:00"}}}
	skipped := Calendar{TimeZone: paris, Hours: model.WeeklyHours{"sun": {"02:00-03:00"}}}
	halfSkipped := Calendar{TimeZone: paris, Hours: model.WeeklyHours{"sun": {"02:30-05:00"}}}
	nyNight := Calendar{TimeZone: newYork, Hours: model.WeeklyHours{"sun": {"01:00-03:00"}}}
	nyHalfSkipped := Calendar{TimeZone: newYork, Hours: model.WeeklyHours{"sun": {"02:30-04:00"}}}

	tests := []struct {
		name  string
		cal   Calendar
		start time.Time
		d     time.Duration
		want  time.Time
	}{
		{"friday 17:00 + 4h is monday noon", office, local(paris, "2026-03-27 17:00"), 4 * time.Hour, local(paris, "2026-03-30 12:00")},
		{"saturday + 4h is monday 13:00", office, local(paris, "2026-03-28 10:00"), 4 * time.Hour, local(paris, "2026-03-30 13:00")},
		{"start given in New York", office, local(paris, "2026-03-27 17:00").In(mustLoad(newYork)), 4 * time.Hour, local(paris, "2026-03-30 12:00")},
		{"start given in UTC", office, local(paris, "2026-03-27 17:00").UTC(), 4 * time.Hour, local(paris, "2026-03-30 12:00")},
		{"ending at closing time stays there", office, local(paris, "2026-03-27 17:00"), time.Hour, local(paris, "2026-03-27 18:00")},
		{"one minute after closing", office, local(paris, "2026-03-27 18:00"), time.Minute, local(paris, "2026-03-30 09:01")},
		{"zero while open", office, local(paris, "2026-03-27 17:00"), 0, local(paris, "2026-03-27 17:00")},
		{"zero while closed is the next opening", office, local(paris, "2026-03-28 10:00"), 0, local(paris, "2026-03-30 09:00")},
		{"a whole week", office, local(paris, "2026-06-01 08:00"), 45 * time.Hour, local(paris, "2026-06-05 18:00")},
		{"a week and an hour", office, local(paris, "2026-06-01 08:00"), 46 * time.Hour, local(paris, "2026-06-08 10:00")},
		{"holiday skipped", christmas, local(paris, "2026-12-24 17:00"), 2 * time.Hour, local(paris, "2026-12-28 10:00")},
		{"a year of holidays", mondays2026, local("UTC", "2026-01-01 00:00"), time.Hour, local("UTC", "2027-01-04 10:00")},
		{"over lunch", lunch, local("UTC", "2026-06-01 11:00"), 2 * time.Hour, local("UTC", "2026-06-01 15:00")},
		{"from lunch", lunch, local("UTC", "2026-06-01 12:30"), time.Hour, local("UTC", "2026-06-01 15:00")},
		{"lunch to next day", lunch, local("UTC", "2026-06-01 17:00"), 2 * time.Hour, local("UTC", "2026-06-02 10:00")},
		{"through 24:00", late, local("UTC", "2026-06-01 23:00"), 2 * time.Hour, local("UTC", "2026-06-02 01:00")},
		{"to 24:00", late, local("UTC", "2026-06-01 23:00"), time.Hour, local("UTC", "2026-06-02 00:00")},
		// Europe/Paris: clocks go forward 2026-03-29 02:00 → 03:00 and back
		// 2026-10-25 03:00 → 02:00.
		{"24/7 over spring forward", always, local(paris, "2026-03-29 01:30"), time.Hour, local(paris, "2026-03-29 03:30")},
		{"24/7 over fall back", always, time.Date(2026, 10, 24, 23, 30, 0, 0, time.UTC), 2 * time.Hour, time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC)},
		{"01:00-04:00 lasts 2h in spring", sundayNight, local(paris, "2026-03-29 01:00"), 2 * time.Hour, local(paris, "2026-03-29 04:00")},
		{"01:00-04:00 full in spring, next sunday", sundayNight, local(paris, "2026-03-29 01:00"), 2*time.Hour + time.Minute, local(paris, "2026-04-05 01:01")},
		{"01:00-04:00 lasts 4h in autumn", sundayNight, time.Date(2026, 10, 24, 23, 0, 0, 0, time.UTC), 4 * time.Hour, time.Date(2026, 10, 25, 3, 0, 0, 0, time.UTC)},
		{"skipped hour is closed", skipped, local(paris, "2026-03-28 12:00"), time.Minute, local(paris, "2026-04-05 02:01")},
		{"half skipped starts at the jump", halfSkipped, local(paris, "2026-03-28 12:00"), time.Hour, local(paris, "2026-03-29 04:00")},
		{"half skipped lasts 2h", halfSkipped, local(paris, "2026-03-28 12:00"), 2*time.Hour + time.Minute, local(paris, "2026-04-05 02:31")},
		{"first 02:30 in autumn", halfSkipped, local(paris, "2026-10-24 12:00"), 0, time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC)},
		{"autumn 02:30-05:00 lasts 3h30", halfSkipped, local(paris, "2026-10-24 12:00"), 3*time.Hour + 30*time.Minute, time.Date(2026, 10, 25, 4, 0, 0, 0, time.UTC)},
		// America/New_York: forward 2026-03-08 02:00 → 03:00, back
		// 2026-11-01 02:00 → 01:00.
		{"New York 01:00-03:00 lasts 1h in spring", nyNight, local(newYork, "2026-03-08 01:00"), time.Hour, local(newYork, "2026-03-08 03:00")},
		{"New York 01:00-03:00 lasts 3h in autumn", nyNight, time.Date(2026, 11, 1, 5, 0, 0, 0, time.UTC), 3 * time.Hour, time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)},
		{"New York skipped start is the jump", nyHalfSkipped, local(newYork, "2026-03-07 12:00"), 0, time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC)},
		{"New York half skipped lasts 1h", nyHalfSkipped, local(newYork, "2026-03-07 12:00"), time.Hour + time.Minute, local(newYork, "2026-03-15 02:31")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := compile(t, tt.cal)
			got, err := c.Add(tt.start, tt.d)
			if err != nil {
				t.Fatalf("Add(%v, %v): %v", tt.start, tt.d, err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("Add(%v, %v) = %v, want %v", tt.start, tt.d, got.In(c.Location()), tt.want.In(c.Location()))
			}
			if got.Location() != time.UTC {
				t.Errorf("Add returned a time in %v, want UTC", got.Location())
			}
			if back := c.Between(tt.start, got); back != tt.d {
				t.Errorf("Between(%v, %v) = %v, want %v", tt.start, got, back, tt.d)
			}
		})
	}
}

func mustLoad(tz string) *time.Location {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		panic(err)
	}
	return loc
}

func TestAddErrors(t *testing.T) {
	t.Parallel()
	cal := Calendar{TimeZone: "UTC", Hours: model.WeeklyHours{"mon": {"09:00-10:00"}}}
	for d := local("UTC", "2026-01-05 00:00"); d.Year() < 2029; d = d.AddDate(0, 0, 7) {
		cal.Holidays = append(cal.Holidays, d.Format("2006-01-02"))
	}
	c := compile(t, cal)
	start := local("UTC", "2026-01-01 00:00")
	if got, err := c.Add(start, time.Hour); !errors.Is(err, ErrNoOpenTime) {
		t.Errorf("Add on a calendar closed three years = %v, %v; want ErrNoOpenTime", got, err)
	}
	if got, err := c.Add(start, 0); !errors.Is(err, ErrNoOpenTime) {
		t.Errorf("Add(0) on a calendar closed three years = %v, %v; want ErrNoOpenTime", got, err)
	}
	// Open again in 2029: 2029-01-01 is a Monday.
	if got, err := c.Add(local("UTC", "2028-12-01 00:00"), time.Hour); err != nil || !got.Equal(local("UTC", "2029-01-01 10:00")) {
		t.Errorf("Add after the holidays = %v, %v; want 2029-01-01 10:00", got, err)
	}
	if _, err := compile(t, Calendar{TimeZone: "UTC"}).Add(start, -time.Second); err == nil {
		t.Error("Add with a negative duration: no error")
	}
}

func TestBetween(t *testing.T) {
	t.Parallel()
	office := Calendar{TimeZone: paris, Hours: weekdays9to18}
	always := Calendar{TimeZone: paris}
	alwaysNY := Calendar{TimeZone: newYork}
	christmas := Calendar{TimeZone: paris, Holidays: []string{"2026-12-25"}}
	sundayNight := Calendar{TimeZone: paris, Hours: model.WeeklyHours{"sun": {"01:00-04:00"}}}
	nyNight := Calendar{TimeZone: newYork, Hours: model.WeeklyHours{"sun": {"01:00-03:00"}}}
	lunch := Calendar{TimeZone: "UTC", Hours: model.WeeklyHours{"mon": {"09:00-12:00", "14:00-18:00"}}}
	tests := []struct {
		name string
		cal  Calendar
		a, b time.Time
		want time.Duration
	}{
		{"reversed", office, local(paris, "2026-06-02 12:00"), local(paris, "2026-06-01 12:00"), 0},
		{"equal", office, local(paris, "2026-06-01 12:00"), local(paris, "2026-06-01 12:00"), 0},
		{"same day", office, local(paris, "2026-06-01 10:00"), local(paris, "2026-06-01 12:30"), 2*time.Hour + 30*time.Minute},
		{"over a weekend", office, local(paris, "2026-06-05 17:00"), local(paris, "2026-06-08 10:00"), 2 * time.Hour},
		{"both closed", office, local(paris, "2026-06-06 10:00"), local(paris, "2026-06-07 10:00"), 0},
		{"a week", office, local(paris, "2026-06-01 00:00"), local(paris, "2026-06-08 00:00"), 45 * time.Hour},
		{"Paris spring day is 23h", always, local(paris, "2026-03-29 00:00"), local(paris, "2026-03-30 00:00"), 23 * time.Hour},
		{"Paris autumn day is 25h", always, local(paris, "2026-10-25 00:00"), local(paris, "2026-10-26 00:00"), 25 * time.Hour},
		{"New York spring day is 23h", alwaysNY, local(newYork, "2026-03-08 00:00"), local(newYork, "2026-03-09 00:00"), 23 * time.Hour},
		{"New York autumn day is 25h", alwaysNY, local(newYork, "2026-11-01 00:00"), local(newYork, "2026-11-02 00:00"), 25 * time.Hour},
		{"01:00-04:00 in spring", sundayNight, local(paris, "2026-03-29 00:00"), local(paris, "2026-03-30 00:00"), 2 * time.Hour},
		{"01:00-04:00 in autumn", sundayNight, local(paris, "2026-10-25 00:00"), local(paris, "2026-10-26 00:00"), 4 * time.Hour},
		{"01:00-04:00 in summer", sundayNight, local(paris, "2026-07-05 00:00"), local(paris, "2026-07-06 00:00"), 3 * time.Hour},
		{"New York 01:00-03:00 in spring", nyNight, local(newYork, "2026-03-08 00:00"), local(newYork, "2026-03-09 00:00"), time.Hour},
		{"New York 01:00-03:00 in autumn", nyNight, local(newYork, "2026-11-01 00:00"), local(newYork, "2026-11-02 00:00"), 3 * time.Hour},
		// 2026-12-25 00:00 in Paris is 2026-12-24 23:00 UTC.
		{"holiday is a local day", christmas, time.Date(2026, 12, 24, 22, 0, 0, 0, time.UTC), time.Date(2026, 12, 26, 0, 0, 0, 0, time.UTC), 2 * time.Hour},
		{"lunch not counted", lunch, local("UTC", "2026-06-01 11:00"), local("UTC", "2026-06-01 15:00"), 2 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := compile(t, tt.cal)
			if got := c.Between(tt.a, tt.b); got != tt.want {
				t.Errorf("Between(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	office := Calendar{TimeZone: paris, Hours: weekdays9to18, Holidays: []string{"2026-12-25"}}
	sundayNight := Calendar{TimeZone: paris, Hours: model.WeeklyHours{"sun": {"01:00-04:00"}}}
	late := Calendar{TimeZone: "UTC", Hours: model.WeeklyHours{"mon": {"20:00-24:00"}}}
	tests := []struct {
		cal  Calendar
		t    time.Time
		want bool
	}{
		{office, local(paris, "2026-06-01 09:00"), true},
		{office, local(paris, "2026-06-01 08:59"), false},
		{office, local(paris, "2026-06-01 17:59"), true},
		{office, local(paris, "2026-06-01 18:00"), false},
		{office, local(paris, "2026-06-06 12:00"), false},
		{office, local(paris, "2026-12-25 12:00"), false},
		{office, local(paris, "2026-12-24 12:00"), true},
		{office, local(paris, "2026-06-01 12:00").In(mustLoad("Asia/Tokyo")), true},
		{sundayNight, local(paris, "2026-03-29 01:59"), true},
		{sundayNight, local(paris, "2026-03-29 03:59"), true},
		{sundayNight, local(paris, "2026-03-29 04:00"), false},
		{sundayNight, time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), true}, // 02:30, first time
		{sundayNight, time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), true}, // 02:30, second time
		{sundayNight, time.Date(2026, 10, 25, 3, 0, 0, 0, time.UTC), false}, // 04:00
		{late, local("UTC", "2026-06-01 23:59"), true},
		{late, local("UTC", "2026-06-02 00:00"), false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s", tt.cal.TimeZone, tt.t.Format(time.RFC3339)), func(t *testing.T) {
			t.Parallel()
			if got := compile(t, tt.cal).Open(tt.t); got != tt.want {
				t.Errorf("Open(%v) = %v, want %v", tt.t, got, tt.want)
			}
		})
	}
}

// propertyCalendars are calendars whose interval ends never fall inside a
// repeated hour, so that the wall-clock oracle below is exact for them.
var propertyCalendars = []Calendar{
	{TimeZone: paris, Hours: weekdays9to18, Holidays: []string{"2026-05-01", "2026-12-25", "2027-01-01"}},
	{TimeZone: paris},
	{TimeZone: paris, Hours: model.WeeklyHours{"sat": {"22:00-24:00"}, "sun": {"00:00-02:00", "03:00-04:00"}, "wed": {"02:30-02:45"}}},
	{TimeZone: newYork, Hours: model.WeeklyHours{"sun": {"01:00-03:00", "05:00-24:00"}, "mon": {"00:00-01:00", "09:00-12:00", "13:00-17:30"}}},
	{TimeZone: newYork, Holidays: []string{"2026-11-01", "2026-03-08"}},
	{TimeZone: "America/Santiago"}, // clocks change at midnight
	{TimeZone: "America/Santiago", Hours: model.WeeklyHours{"sat": {"22:00-24:00"}, "sun": {"00:00-01:00"}}},
	{TimeZone: "Australia/Lord_Howe", Hours: weekdays9to18}, // a 30-minute change
	{TimeZone: "America/Havana"}, // midnight occurs twice
	{TimeZone: "America/Havana", Hours: model.WeeklyHours{"sat": {"22:00-24:00"}, "sun": {"00:00-01:00", "02:00-03:00"}}},
	{TimeZone: "Asia/Kolkata", Hours: model.WeeklyHours{"fri": {"10:00-11:00"}}}, // no DST
}

// oracleOpen says whether t is open by reading the wall clock in cal's
// zone, independently of the Clock.
func oracleOpen(t *testing.T, cal Calendar, at time.Time) bool {
	t.Helper()
	w := at.In(mustLoad(cal.TimeZone))
	for _, h := range cal.Holidays {
		if w.Format("2006-01-02") == h {
			return false
		}
	}
	if len(cal.Hours) == 0 {
		return true
	}
	minute := w.Hour()*60 + w.Minute()
	for _, iv := range cal.Hours[model.Weekdays[(int(w.Weekday())+6)%7]] {
		start, end, err := model.ParseInterval(iv)
		if err != nil {
			t.Fatal(err)
		}
		if start <= minute && minute < end {
			return true
		}
	}
	return false
}

// oracleStep is how far apart TestOracle reads the wall clock. Every
// interval end of propertyCalendars is a multiple of 15 minutes, and so
// are the zones' offsets and their changes: open time never starts or
// stops within a step.
const oracleStep = 5 * time.Minute

// TestOracle walks step by step over the days when clocks change and
// compares Open and Between with a reading of the wall clock.
func TestOracle(t *testing.T) {
	t.Parallel()
	windows := []time.Time{
		time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC),   // New York, Havana spring
		time.Date(2026, 3, 26, 0, 0, 0, 0, time.UTC),  // Paris spring
		time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC),   // Santiago, Lord Howe autumn
		time.Date(2026, 9, 3, 0, 0, 0, 0, time.UTC),   // Santiago spring
		time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),  // Lord Howe spring
		time.Date(2026, 10, 22, 0, 0, 0, 0, time.UTC), // Paris autumn
		time.Date(2026, 10, 29, 0, 0, 0, 0, time.UTC), // New York, Havana autumn
		time.Date(2026, 12, 22, 0, 0, 0, 0, time.UTC), // holidays
	}
	for i, cal := range propertyCalendars {
		t.Run(fmt.Sprintf("%d %s", i, cal.TimeZone), func(t *testing.T) {
			t.Parallel()
			c := compile(t, cal)
			for _, from := range windows {
				var total time.Duration
				to := from.Add(4 * 24 * time.Hour)
				for at := from; at.Before(to); at = at.Add(oracleStep) {
					want := oracleOpen(t, cal, at)
					if got := c.Open(at); got != want {
						t.Fatalf("Open(%v) = %v, the wall clock says %v", at.In(c.Location()), got, want)
					}
					step := c.Between(at, at.Add(oracleStep))
					if (step == oracleStep) != want || (step != 0 && step != oracleStep) {
						t.Fatalf("Between(%v, +%v) = %v, the wall clock says open=%v", at.In(c.Location()), oracleStep, step, want)
					}
					total += step
				}
				if got := c.Between(from, to); got != total {
					t.Errorf("Between over the 4 days from %v = %v, step by step %v", from, got, total)
				}
			}
		})
	}
}

// TestAddBetweenProperties checks on many random starts and durations,
// with a fixed seed, that Add and Between agree and compose.
func TestAddBetweenProperties(t *testing.T) {
	t.Parallel()
	lo := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	for i, cal := range propertyCalendars {
		t.Run(fmt.Sprintf("%d %s", i, cal.TimeZone), func(t *testing.T) {
			t.Parallel()
			c := compile(t, cal)
			r := rand.New(rand.NewPCG(42, uint64(i)))
			for range 1000 {
				start := time.Unix(lo+r.Int64N(hi-lo), r.Int64N(int64(time.Second)))
				d := time.Duration(r.Int64N(int64(120 * time.Hour)))
				if r.IntN(4) == 0 {
					d = d.Truncate(time.Minute)
				}
				due, err := c.Add(start, d)
				if err != nil {
					t.Fatalf("Add(%v, %v): %v", start, d, err)
				}
				if due.Before(start) {
					t.Fatalf("Add(%v, %v) = %v, before the start", start, d, due)
				}
				if got := c.Between(start, due); got != d {
					t.Fatalf("Between(%v, Add(%v, %v) = %v) = %v", start, start, d, due, got)
				}
				if d > 0 && !c.Open(due.Add(-time.Nanosecond)) {
					t.Fatalf("Add(%v, %v) = %v, but just before it is closed", start, d, due)
				}
				d1 := time.Duration(r.Int64N(int64(d) + 1))
				if d1 > 0 && d1 < d {
					mid, err := c.Add(start, d1)
					if err != nil {
						t.Fatal(err)
					}
					if got, err := c.Add(mid, d-d1); err != nil || !got.Equal(due) {
						t.Fatalf("Add(Add(%v, %v), %v) = %v, %v; want %v", start, d1, d-d1, got, err, due)
					}
					if a, b := c.Between(start, mid), c.Between(mid, due); a+b != d {
						t.Fatalf("Between split at %v: %v + %v, want %v", mid, a, b, d)
					}
				}
				if len(cal.Hours) == 0 && len(cal.Holidays) == 0 {
					if want := start.Add(d); !due.Equal(want) {
						t.Fatalf("around the clock, Add(%v, %v) = %v, want %v", start, d, due, want)
					}
				}
			}
		})
	}
}

// TestInstantMonotonic checks the wall-to-real mapping behind every
// period on each day of the years around the tests, in zones whose
// clocks change at 00:00, 02:00 or by half an hour.
func TestInstantMonotonic(t *testing.T) {
	t.Parallel()
	for _, tz := range []string{paris, newYork, "America/Santiago", "Australia/Lord_Howe", "America/Havana", "Asia/Beirut", "UTC"} {
		c := compile(t, Calendar{TimeZone: tz})
		prev := c.instant(date{2025, 1, 1}, 0)
		for d := (date{2025, 1, 1}); d.year < 2028; d = d.addDays(1) {
			for minute := 0; minute <= minutesPerDay; minute += 15 {
				got := c.instant(d, minute)
				if got.Before(prev) {
					t.Fatalf("%s: instant(%v, %d) = %v, before the previous %v", tz, d, minute, got, prev)
				}
				prev = got
			}
			prev = c.instant(d, minutesPerDay)
		}
	}
}
