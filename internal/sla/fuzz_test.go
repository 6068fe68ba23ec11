package sla

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// FuzzSettingsJSON reads arbitrary bytes as settings; whatever validates
// must compile, and its clock must not panic and must keep Add and
// Between in agreement.
func FuzzSettingsJSON(f *testing.F) {
	sample, err := json.Marshal(sampleSettings())
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(sample),
		`{"calendar":{"time_zone":"UTC"}}`,
		`{"calendar":{"time_zone":"Europe/Paris","hours":{"sun":["01:00-04:00"],"sat":["22:00-24:00"]}},"warn_before":"30m"}`,
		`{"calendar":{"time_zone":"America/New_York","hours":{"mon":["09:00-12:00","13:00-17:30"]},"holidays":["2026-03-09"]},"policies":[{"name":"all","first_response":"1h30m"}]}`,
		`{"calendar":{"time_zone":"America/Santiago","hours":{"sun":["00:00-00:01"]}}}`,
		`{"calendar":{"time_zone":"Australia/Lord_Howe","hours":{"sun":["02:00-02:30"]}}}`,
		`{"calendar":{"time_zone":"UTC","hours":{"mon":[]}}}`,
		`{"policies":[{"name":"x","priorities":[9],"first_response":"2d"}]}`,
		`{"calendar":{"time_zone":"UTC"},"policies":[{"name":"","resolution":"-1h"}]}`,
		`null`, `[]`, `{`,
	} {
		f.Add([]byte(seed))
	}
	starts := []time.Time{
		time.Date(2026, 3, 28, 22, 30, 0, 0, time.UTC),
		time.Date(2026, 10, 24, 23, 59, 59, 999, time.UTC),
	}
	durations := []time.Duration{0, time.Nanosecond, time.Minute, 90 * time.Minute, 26 * time.Hour}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s Settings
		if json.Unmarshal(data, &s) != nil || s.Validate() != nil {
			return
		}
		c, err := s.Calendar.Compile()
		if err != nil {
			t.Fatalf("Compile of valid settings %s: %v", data, err)
		}
		for _, start := range starts {
			c.Open(start)
			for _, d := range durations {
				due, err := c.Add(start, d)
				if errors.Is(err, ErrNoOpenTime) {
					continue
				}
				if err != nil {
					t.Fatalf("Add(%v, %v): %v", start, d, err)
				}
				if got := c.Between(start, due); got != d {
					t.Fatalf("Between(%v, Add(%v, %v) = %v) = %v", start, start, d, due, got)
				}
				c.State(start, due, time.Duration(s.WarnBefore))
			}
			for priority := range 4 {
				conv := Conversation{Priority: priority, Channel: "blog", CreatedAt: start, AwaitingSince: &start}
				if _, err := c.Dues(s, conv); err != nil && !errors.Is(err, ErrNoOpenTime) {
					t.Fatalf("Dues(%+v): %v", conv, err)
				}
			}
		}
	})
}
