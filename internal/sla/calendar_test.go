package sla

import (
	"strings"
	"testing"

	"palabre/internal/model"
)

func TestCalendarValidate(t *testing.T) {
	t.Parallel()
	many := make([]string, MaxHolidays+1)
	for i := range many {
		many[i] = "2026-01-01"
	}
	tests := []struct {
		name string
		cal  Calendar
		want []string // substrings of the error; none means valid
	}{
		{"around the clock", Calendar{TimeZone: "UTC"}, nil},
		{"office", Calendar{TimeZone: paris, Hours: weekdays9to18, Holidays: []string{"2026-12-25"}}, nil},
		{"no zone", Calendar{}, []string{`time zone ""`}},
		{"Local", Calendar{TimeZone: "Local"}, []string{`time zone "Local"`}},
		{"unknown zone", Calendar{TimeZone: "Mars/Olympus"}, []string{`time zone "Mars/Olympus"`}},
		{"bad weekday", Calendar{TimeZone: "UTC", Hours: model.WeeklyHours{"monday": {"09:00-10:00"}}}, []string{`unknown weekday "monday"`}},
		{"bad interval", Calendar{TimeZone: "UTC", Hours: model.WeeklyHours{"mon": {"9-10"}}}, []string{`interval "9-10"`}},
		{"overlap", Calendar{TimeZone: "UTC", Hours: model.WeeklyHours{"mon": {"09:00-12:00", "11:00-13:00"}}}, []string{"overlaps"}},
		{"days without intervals", Calendar{TimeZone: "UTC", Hours: model.WeeklyHours{"mon": {}, "tue": nil}}, []string{"no day has an interval"}},
		{"bad holiday", Calendar{TimeZone: "UTC", Holidays: []string{"25/12/2026", "2026-02-30"}}, []string{`holiday "25/12/2026"`, `holiday "2026-02-30"`}},
		{"holiday twice", Calendar{TimeZone: "UTC", Holidays: []string{"2026-12-25", "2026-12-25"}}, []string{"holiday 2026-12-25: listed twice"}},
		{"too many holidays", Calendar{TimeZone: "UTC", Holidays: many}, []string{"holidays: at most 1000, got 1001"}},
		{"every fault at once", Calendar{TimeZone: "Nowhere", Hours: model.WeeklyHours{"mon": {"18:00-09:00"}}, Holidays: []string{"soon"}},
			[]string{`time zone "Nowhere"`, `interval "18:00-09:00": ends before it starts`, `holiday "soon"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cal.Validate()
			_, cerr := tt.cal.Compile()
			if len(tt.want) == 0 {
				if err != nil || cerr != nil {
					t.Fatalf("Validate() = %v, Compile() error %v; want both nil", err, cerr)
				}
				return
			}
			if err == nil || cerr == nil {
				t.Fatalf("Validate() = %v, Compile() error %v; want errors with %q", err, cerr, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
				if !strings.Contains(cerr.Error(), w) {
					t.Errorf("Compile() error %q, want it to contain %q", cerr, w)
				}
			}
		})
	}
}
