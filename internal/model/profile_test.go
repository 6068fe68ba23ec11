package model

import (
	"math"
	"strings"
	"testing"
)

func TestProfileValidate(t *testing.T) {
	t.Parallel()
	good := func() Profile {
		return Profile{Languages: []string{"fr", "en"}, TimeZone: "Europe/Paris",
			Hours:    WeeklyHours{"mon": {"14:00-18:00", "09:00-12:30"}, "sun": {"22:00-24:00"}},
			Capacity: 20, Status: StatusAvailable,
			Specialisations: []Specialisation{{Workspace: "velo", Topic: "pneus", Strength: 0.8}, {Workspace: "velo", Topic: "freins", Strength: 1}}}
	}
	if err := good().Validate(); err != nil {
		t.Fatalf("good profile: %v", err)
	}
	if err := DefaultProfile(1).Validate(); err != nil {
		t.Fatalf("default profile: %v", err)
	}
	many := make([]Specialisation, MaxSpecialisations+1)
	for i := range many {
		many[i] = Specialisation{Workspace: "w", Topic: strings.Repeat("t", i%80+1) + string(rune('a'+i/80)), Strength: 1}
	}
	tests := []struct {
		name   string
		change func(p *Profile)
		want   string
	}{
		{"unknown language", func(p *Profile) { p.Languages = []string{"zz"} }, `language "zz": not a lower-case ISO 639-1 code`},
		{"upper-case language", func(p *Profile) { p.Languages = []string{"FR"} }, `language "FR"`},
		{"three letters", func(p *Profile) { p.Languages = []string{"fra"} }, `language "fra"`},
		{"twice", func(p *Profile) { p.Languages = []string{"fr", "fr"} }, `language "fr": listed twice`},
		{"empty zone", func(p *Profile) { p.TimeZone = "" }, `time zone ""`},
		{"local zone", func(p *Profile) { p.TimeZone = "Local" }, `time zone "Local"`},
		{"unknown zone", func(p *Profile) { p.TimeZone = "Europe/Atlantis" }, `time zone "Europe/Atlantis": unknown`},
		{"weekday", func(p *Profile) { p.Hours = WeeklyHours{"monday": {"09:00-10:00"}} }, `unknown weekday "monday"`},
		{"malformed", func(p *Profile) { p.Hours = WeeklyHours{"tue": {"9-12"}} }, `hours tue: interval "9-12": want HH:MM-HH:MM`},
		{"bad minutes", func(p *Profile) { p.Hours = WeeklyHours{"tue": {"09:60-10:00"}} }, `want HH:MM-HH:MM`},
		{"past midnight", func(p *Profile) { p.Hours = WeeklyHours{"tue": {"23:00-24:30"}} }, `want HH:MM-HH:MM`},
		{"backwards", func(p *Profile) { p.Hours = WeeklyHours{"wed": {"12:00-09:00"}} }, `ends before it starts`},
		{"empty interval", func(p *Profile) { p.Hours = WeeklyHours{"wed": {"09:00-09:00"}} }, `ends before it starts`},
		{"overlap", func(p *Profile) { p.Hours = WeeklyHours{"thu": {"14:00-18:00", "09:00-14:30"}} }, `hours thu: 09:00-14:30 overlaps 14:00-18:00`},
		{"negative capacity", func(p *Profile) { p.Capacity = -1 }, `capacity -1`},
		{"huge capacity", func(p *Profile) { p.Capacity = 10001 }, `capacity 10001`},
		{"status", func(p *Profile) { p.Status = "busy" }, `status "busy": want available or away`},
		{"no status", func(p *Profile) { p.Status = "" }, `status ""`},
		{"zero strength", func(p *Profile) { p.Specialisations[0].Strength = 0 }, `"velo:pneus": strength 0`},
		{"strong", func(p *Profile) { p.Specialisations[0].Strength = 1.01 }, `strength 1.01`},
		{"NaN", func(p *Profile) { p.Specialisations[0].Strength = math.NaN() }, `strength NaN`},
		{"no workspace", func(p *Profile) { p.Specialisations[0].Workspace = "" }, `no workspace`},
		{"no topic", func(p *Profile) { p.Specialisations[0].Topic = " " }, `the topic must have`},
		{"twice", func(p *Profile) { p.Specialisations[1].Topic = "pneus" }, `velo:pneus: listed twice`},
		{"too many", func(p *Profile) { p.Specialisations = many }, `at most 200`},
	}
	for _, tt := range tests {
		p := good()
		tt.change(&p)
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error with %q", tt.name, err, tt.want)
		}
	}
	// Every fault is told, on one line.
	p := good()
	p.Capacity, p.Status = -1, "x"
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "capacity") || !strings.Contains(err.Error(), "status") ||
		strings.Contains(err.Error(), "\n") {
		t.Errorf("two faults: %v", err)
	}
}

func TestSpreadWarning(t *testing.T) {
	t.Parallel()
	if w := SpreadWarning("Léa", []string{"a", "b", "c"}, 3); w != "" {
		t.Errorf("at the limit: %q", w)
	}
	w := SpreadWarning("Léa", []string{"banking", "cosmetics", "cycling", "travel"}, 3)
	if !strings.HasPrefix(w, "Léa works in 4 unrelated sectors (banking, cosmetics, cycling, travel): more than 3") {
		t.Errorf("warning %q", w)
	}
	if w := SpreadWarning("Léa", []string{"a", "b", "c", "d"}, 0); w == "" {
		t.Error("a limit of 0 is the default, 3")
	}
	v := NewProfileView(User{Login: "lea", Name: "Léa"}, DefaultProfile(1), nil, 3)
	if v.Sectors == nil || v.Warning != "" || v.Login != "lea" {
		t.Errorf("view %+v", v)
	}
}
