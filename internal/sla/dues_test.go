package sla

import (
	"errors"
	"testing"
	"time"

	"palabre/internal/model"
)

// at returns a pointer to the Paris wall time s.
func at(s string) *time.Time {
	t := local(paris, s)
	return &t
}

func TestDues(t *testing.T) {
	t.Parallel()
	s := sampleSettings()
	c := compile(t, s.Calendar)
	// 2026-03-27 is a Friday; the clocks go forward that weekend.
	created := local(paris, "2026-03-27 10:00")
	tests := []struct {
		name string
		conv Conversation
		want Dues
	}{
		{"first response awaited", Conversation{Channel: "twitter", CreatedAt: created, AwaitingSince: at("2026-03-27 17:00")},
			Dues{Policy: "default", Response: at("2026-03-30 12:00"), ResponseKind: ResponseFirst, Resolution: at("2026-04-03 10:00")}},
		{"next response awaited", Conversation{Channel: "twitter", CreatedAt: created, AwaitingSince: at("2026-03-27 17:00"), FirstResponseAt: at("2026-03-27 11:00")},
			Dues{Policy: "default", Response: at("2026-03-30 16:00"), ResponseKind: ResponseNext, Resolution: at("2026-04-03 10:00")}},
		{"nothing awaited", Conversation{Channel: "twitter", CreatedAt: created, FirstResponseAt: at("2026-03-27 11:00")},
			Dues{Policy: "default", Resolution: at("2026-04-03 10:00")}},
		{"resolved", Conversation{Channel: "twitter", CreatedAt: created, AwaitingSince: at("2026-03-27 17:00"), ResolvedAt: at("2026-03-27 18:00")},
			Dues{Policy: "default"}},
		{"urgent", Conversation{Channel: "press", Priority: model.PriorityUrgent, CreatedAt: created, AwaitingSince: &created},
			Dues{Policy: "urgent", Response: at("2026-03-27 11:00"), ResponseKind: ResponseFirst, Resolution: at("2026-03-27 18:00")}},
		{"no resolution target", Conversation{Channel: "blog", CreatedAt: created, AwaitingSince: at("2026-03-28 09:00")},
			Dues{Policy: "press", Response: at("2026-03-30 11:00"), ResponseKind: ResponseFirst}},
		{"exempt", Conversation{Channel: "forum", CreatedAt: created, AwaitingSince: &created},
			Dues{Policy: "forum, normal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.Dues(s, tt.conv)
			if err != nil {
				t.Fatal(err)
			}
			if got.Policy != tt.want.Policy || got.ResponseKind != tt.want.ResponseKind ||
				!sameTime(got.Response, tt.want.Response) || !sameTime(got.Resolution, tt.want.Resolution) {
				t.Errorf("Dues = %s, want %s", show(got), show(tt.want))
			}
		})
	}

	none := Settings{Calendar: s.Calendar, Policies: s.Policies[:1]}
	if got, err := c.Dues(none, Conversation{Channel: "blog", CreatedAt: created, AwaitingSince: &created}); err != nil || got != (Dues{}) {
		t.Errorf("Dues with no policy applying = %s, %v; want none", show(got), err)
	}

	closed := Calendar{TimeZone: "UTC", Hours: model.WeeklyHours{"mon": {"09:00-10:00"}}}
	for d := local("UTC", "2026-01-05 00:00"); d.Year() < 2029; d = d.AddDate(0, 0, 7) {
		closed.Holidays = append(closed.Holidays, d.Format("2006-01-02"))
	}
	start := local("UTC", "2026-01-01 00:00")
	if _, err := compile(t, closed).Dues(s, Conversation{CreatedAt: start, AwaitingSince: &start}); !errors.Is(err, ErrNoOpenTime) {
		t.Errorf("Dues on a closed calendar: error %v, want ErrNoOpenTime", err)
	}
}

// sameTime reports whether a and b are both nil or the same instant.
func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// show formats dues for a test failure.
func show(d Dues) string {
	f := func(t *time.Time) string {
		if t == nil {
			return "nil"
		}
		return t.In(mustLoad(paris)).Format("Mon 2006-01-02 15:04 MST")
	}
	return "{" + d.Policy + " response " + d.ResponseKind + " " + f(d.Response) + " resolution " + f(d.Resolution) + "}"
}

func TestState(t *testing.T) {
	t.Parallel()
	c := compile(t, Calendar{TimeZone: paris, Hours: weekdays9to18})
	due := local(paris, "2026-03-30 10:00") // Monday, an hour after opening
	warn := 90 * time.Minute
	tests := []struct {
		name string
		now  time.Time
		warn time.Duration
		want string
	}{
		{"plenty of time", local(paris, "2026-03-27 14:00"), warn, StateOK},
		{"just more than warn left", local(paris, "2026-03-27 17:29"), warn, StateOK},
		{"exactly warn left", local(paris, "2026-03-27 17:30"), warn, StateWarning},
		{"weekend, an hour left", local(paris, "2026-03-28 12:00"), warn, StateWarning},
		{"a second before", due.Add(-time.Second), warn, StateWarning},
		{"exactly at due", due, warn, StateBreached},
		{"after due", due.Add(time.Hour), warn, StateBreached},
		{"no warning configured", due.Add(-time.Second), 0, StateOK},
		{"due given in UTC", local(paris, "2026-03-27 17:30").UTC(), warn, StateWarning},
	}
	for _, tt := range tests {
		if got := c.State(tt.now, due, tt.warn); got != tt.want {
			t.Errorf("%s: State(%v, %v, %v) = %q, want %q", tt.name, tt.now, due, tt.warn, got, tt.want)
		}
	}
}
