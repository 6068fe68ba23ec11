package sla

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"palabre/internal/model"
)

// sampleSettings is a workspace with an urgent policy, a policy for one
// channel, an exemption and a default.
func sampleSettings() Settings {
	return Settings{
		Calendar:   Calendar{TimeZone: paris, Hours: weekdays9to18, Holidays: []string{"2026-12-25"}},
		WarnBefore: Duration(30 * time.Minute),
		Policies: []Policy{
			{Name: "urgent", Priorities: []int{model.PriorityUrgent, model.PriorityCritical},
				FirstResponse: Duration(time.Hour), NextResponse: Duration(30 * time.Minute), Resolution: Duration(8 * time.Hour)},
			{Name: "press", Channels: []string{"press", "blog"}, FirstResponse: Duration(2 * time.Hour), NextResponse: Duration(2 * time.Hour)},
			{Name: "forum, normal", Priorities: []int{model.PriorityNormal}, Channels: []string{"forum"}},
			{Name: "default", FirstResponse: Duration(4 * time.Hour), NextResponse: Duration(8 * time.Hour), Resolution: Duration(45 * time.Hour)},
		},
		Escalation: Escalation{Notify: true, RaisePriority: true},
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	s := sampleSettings()
	tests := []struct {
		priority int
		channel  string
		want     string // "" means none
	}{
		{model.PriorityUrgent, "press", "urgent"}, // first in order wins
		{model.PriorityCritical, "forum", "urgent"},
		{model.PriorityHigh, "press", "press"},
		{model.PriorityNormal, "blog", "press"},
		{model.PriorityNormal, "forum", "forum, normal"},
		{model.PriorityHigh, "forum", "default"},
		{model.PriorityNormal, "twitter", "default"},
		{model.PriorityNormal, "", "default"},
	}
	for _, tt := range tests {
		p, ok := s.Match(tt.priority, tt.channel)
		if ok != (tt.want != "") || p.Name != tt.want {
			t.Errorf("Match(%d, %q) = %q, %v; want %q", tt.priority, tt.channel, p.Name, ok, tt.want)
		}
	}
	s.Policies = s.Policies[:3]
	if p, ok := s.Match(model.PriorityHigh, "forum"); ok {
		t.Errorf("Match without a default = %q, want none", p.Name)
	}
	if p, ok := (Settings{}).Match(model.PriorityNormal, "blog"); ok {
		t.Errorf("Match with no policy = %q, want none", p.Name)
	}
}

func TestSettingsValidate(t *testing.T) {
	t.Parallel()
	tooMany := sampleSettings()
	for i := range MaxPolicies {
		tooMany.Policies = append(tooMany.Policies, Policy{Name: fmt.Sprint("p", i)})
	}
	tests := []struct {
		name   string
		change func(*Settings)
		want   []string // substrings of the error; none means valid
	}{
		{"sample", func(*Settings) {}, nil},
		{"zero settings but a zone", func(s *Settings) { *s = Settings{Calendar: Calendar{TimeZone: "UTC"}} }, nil},
		{"bad calendar", func(s *Settings) { s.Calendar.TimeZone = "" }, []string{`calendar: time zone ""`}},
		{"negative warn", func(s *Settings) { s.WarnBefore = Duration(-time.Minute) }, []string{"warn_before -1m: want 0 to 8760h"}},
		{"huge target", func(s *Settings) { s.Policies[0].Resolution = Duration(MaxTarget + 1) }, []string{`policy "urgent": resolution`}},
		{"negative target", func(s *Settings) { s.Policies[1].NextResponse = Duration(-time.Hour) }, []string{`policy "press": next_response -1h`}},
		{"no name", func(s *Settings) { s.Policies[1].Name = "" }, []string{"policy #2: no name"}},
		{"spaces around name", func(s *Settings) { s.Policies[1].Name = " press" }, []string{"printable characters without surrounding spaces"}},
		{"control in name", func(s *Settings) { s.Policies[1].Name = "pr\x00ess" }, []string{"printable characters"}},
		{"name twice", func(s *Settings) { s.Policies[3].Name = "urgent" }, []string{`policy "urgent": name used twice`}},
		{"bad priority", func(s *Settings) { s.Policies[0].Priorities = []int{4, -1} }, []string{"priority 4: want 0 (normal) to 3 (critical)", "priority -1"}},
		{"priority twice", func(s *Settings) { s.Policies[0].Priorities = []int{2, 2} }, []string{"priority 2 listed twice"}},
		{"empty channel", func(s *Settings) { s.Policies[1].Channels = []string{""} }, []string{"empty channel name"}},
		{"channel twice", func(s *Settings) { s.Policies[1].Channels = []string{"blog", "blog"} }, []string{`channel "blog" listed twice`}},
		{"too many policies", func(s *Settings) { *s = tooMany }, []string{"policies: at most 50, got 54"}},
		{"every fault at once", func(s *Settings) {
			s.Calendar.Holidays = []string{"later"}
			s.Policies[0].Name = ""
			s.Policies[2].FirstResponse = Duration(-1)
		}, []string{`holiday "later"`, "policy #1: no name", `policy "forum, normal": first_response`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := sampleSettings()
			tt.change(&s)
			err := s.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestSettingsJSON(t *testing.T) {
	t.Parallel()
	s := sampleSettings()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"time_zone":"Europe/Paris"`, `"warn_before":"30m"`, `"first_response":"1h"`,
		`"next_response":"30m"`, `"resolution":"45h"`, `"priorities":[2,3]`, `"channels":["press","blog"]`,
		`"escalation":{"notify":true,"reroute":false,"raise_priority":true}`, `"holidays":["2026-12-25"]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("Marshal = %s, want it to contain %s", b, want)
		}
	}
	var back Settings
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("Unmarshal(%s): %v", b, err)
	}
	if !reflect.DeepEqual(back, s) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, s)
	}

	in := `{"calendar":{"time_zone":"UTC"},"warn_before":"1h30m","policies":[{"name":"all","first_response":"90m"}]}`
	var got Settings
	if err := json.Unmarshal([]byte(in), &got); err != nil {
		t.Fatal(err)
	}
	if got.WarnBefore != Duration(90*time.Minute) || got.Policies[0].FirstResponse != Duration(90*time.Minute) {
		t.Errorf("Unmarshal(%s) = %+v, want 90 minutes", in, got)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("Validate(%s) = %v", in, err)
	}
	bad := `{"policies":[{"name":"all","first_response":"2d"}]}`
	if err := json.Unmarshal([]byte(bad), &got); err == nil || !strings.Contains(err.Error(), "days are ambiguous") {
		t.Errorf("Unmarshal(%s) error %v, want one about days", bad, err)
	}
}
