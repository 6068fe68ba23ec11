package route

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // zones load on machines without a zoneinfo database

	"palabre/internal/model"
)

// wednesday is a Wednesday at 10:00 UTC, inside everyone's default hours.
var wednesday = time.Date(2026, 5, 13, 10, 0, 0, 0, time.UTC)

func loadLocation(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func assigneeLogin(d Decision) string {
	if d.Assignee == nil {
		return ""
	}
	return d.Assignee.Login
}

func checkReason(t *testing.T, d Decision, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(d.Reason, w) {
			t.Errorf("reason %q: want it to contain %q", d.Reason, w)
		}
	}
}

func TestDecideScoring(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		conv  Conversation
		cands []Candidate
		want  string
		why   []string
	}{
		{
			name: "topic specialist wins over generalist",
			conv: Conversation{Lang: "fr", Topics: []string{"livraison", "vélo électrique"}},
			cands: []Candidate{
				{UserID: 1, Login: "gen", Name: "Gen", Languages: []string{"fr"}, Topics: map[string]float64{"livraison": 0.3, "vélo électrique": 0.3}},
				{UserID: 2, Login: "lea", Name: "Léa", Languages: []string{"fr"}, Topics: map[string]float64{"vélo électrique": 0.9}, Capacity: 10, Open: 3},
			},
			want: "lea",
			why:  []string{"assigned to Léa: topic 'vélo électrique' 0.9, fr, 3/10 open, score 100.7"},
		},
		{
			name: "language decides between equal topics",
			conv: Conversation{Lang: "de", Topics: []string{"akku"}},
			cands: []Candidate{
				{UserID: 1, Login: "lea", Languages: []string{"fr", "en"}, Topics: map[string]float64{"akku": 0.7}},
				{UserID: 2, Login: "hans", Languages: []string{"de"}, Topics: map[string]float64{"akku": 0.7}, Open: 40},
			},
			want: "hans",
			why:  []string{"topic 'akku' 0.7, de, 40 open, no limit"},
		},
		{
			name: "no declared languages is half a match",
			conv: Conversation{Lang: "de"},
			cands: []Candidate{
				{UserID: 1, Login: "lea", Languages: []string{"fr"}},
				{UserID: 2, Login: "sam"},
			},
			want: "sam",
			why:  []string{"no topic match, no languages declared (half match)"},
		},
		{
			name: "a speaker beats a CM without declared languages",
			conv: Conversation{Lang: "de-AT"},
			cands: []Candidate{
				{UserID: 1, Login: "sam"},
				{UserID: 2, Login: "hans", Languages: []string{"DE"}},
			},
			want: "hans",
		},
		{
			name: "topic strength 0.15 higher outweighs the language",
			conv: Conversation{Lang: "fr", Topics: []string{"akku"}},
			cands: []Candidate{
				{UserID: 1, Login: "lea", Languages: []string{"fr"}, Topics: map[string]float64{"akku": 0.8}},
				{UserID: 2, Login: "hans", Languages: []string{"de"}, Topics: map[string]float64{"akku": 0.95}},
			},
			want: "hans",
			why:  []string{"no fr"},
		},
		{
			name: "lower load decides between equal topic and language",
			conv: Conversation{Lang: "fr", Topics: []string{"akku"}},
			cands: []Candidate{
				{UserID: 1, Login: "lea", Languages: []string{"fr"}, Topics: map[string]float64{"akku": 0.5}, Capacity: 10, Open: 5},
				{UserID: 2, Login: "max", Languages: []string{"fr"}, Topics: map[string]float64{"akku": 0.5}, Capacity: 20, Open: 5},
			},
			want: "max",
			why:  []string{"5/20 open"},
		},
		{
			name: "topic names compared ignoring case, best topic counts",
			conv: Conversation{Topics: []string{"Akku", "Rahmen"}},
			cands: []Candidate{
				{UserID: 1, Login: "lea", Topics: map[string]float64{"akku": 0.4, "rahmen": 0.6}},
				{UserID: 2, Login: "max", Topics: map[string]float64{"akku": 0.5}},
			},
			want: "lea",
			why:  []string{"topic 'Rahmen' 0.6, language unknown"},
		},
		{
			name: "strengths out of range are clamped, NaN is none",
			conv: Conversation{Topics: []string{"akku"}},
			cands: []Candidate{
				{UserID: 1, Login: "nan", Topics: map[string]float64{"akku": nanValue()}},
				{UserID: 2, Login: "big", Topics: map[string]float64{"akku": 7}, Open: 50},
				{UserID: 3, Login: "one", Topics: map[string]float64{"akku": 1}, Open: 49},
			},
			want: "one",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := Decide(wednesday, tt.conv, nil, tt.cands)
			if got := assigneeLogin(d); got != tt.want {
				t.Fatalf("assigned to %q, want %q (reason %q)", got, tt.want, d.Reason)
			}
			checkReason(t, d, tt.why...)
			if len(d.Ranking) != len(tt.cands) || d.Ranking[0].Login != tt.want {
				t.Errorf("ranking %+v: want every candidate, %s first", d.Ranking, tt.want)
			}
		})
	}
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}

func TestScoreFormula(t *testing.T) {
	t.Parallel()
	c := Conversation{Lang: "fr", Topics: []string{"akku"}}
	cands := []Candidate{
		{UserID: 1, Login: "a", Languages: []string{"fr"}, Topics: map[string]float64{"akku": 0.9}, Capacity: 10, Open: 3},
		{UserID: 2, Login: "b", Topics: map[string]float64{"akku": 0.2}, Open: 25},
		{UserID: 3, Login: "c", Languages: []string{"en"}, Open: 80},
	}
	want := map[string]float64{
		"a": 100*0.9 + 10*1 + (1 - 0.3),
		"b": 100*0.2 + 10*0.5 + (1 - 0.5),
		"c": 0, // no topic, no language, full load (80 open of 50)
	}
	d := Decide(wednesday, c, nil, cands)
	for _, s := range d.Ranking {
		if diff := s.Score - want[s.Login]; diff > 1e-9 || diff < -1e-9 {
			t.Errorf("%s: score %v, want %v", s.Login, s.Score, want[s.Login])
		}
	}
}

func TestExclusions(t *testing.T) {
	t.Parallel()
	paris := loadLocation(t, "Europe/Paris")
	specialist := map[string]float64{"akku": 1}
	tests := []struct {
		name  string
		cands []Candidate
		want  string
		why   []string
		excl  map[string]string // login → Excluded
	}{
		{
			name: "away",
			cands: []Candidate{
				{UserID: 1, Login: "lea", Topics: specialist, Away: true},
				{UserID: 2, Login: "max"},
			},
			want: "max",
			excl: map[string]string{"lea": "away", "max": ""},
		},
		{
			name: "outside working hours",
			cands: []Candidate{
				// 10:00 UTC is 12:00 in Paris in May: just outside 09:00-12:00.
				{UserID: 1, Login: "lea", Topics: specialist, Location: paris, Hours: model.WeeklyHours{"wed": {"09:00-12:00"}}},
				{UserID: 2, Login: "max"},
			},
			want: "max",
			excl: map[string]string{"lea": "outside working hours (Wed 12:00 Europe/Paris)"},
		},
		{
			name: "at capacity",
			cands: []Candidate{
				{UserID: 1, Login: "lea", Topics: specialist, Capacity: 10, Open: 10},
				{UserID: 2, Login: "max", Capacity: 10, Open: 9},
			},
			want: "max",
			excl: map[string]string{"lea": "at capacity 10/10"},
		},
		{
			name: "over capacity",
			cands: []Candidate{
				{UserID: 1, Login: "lea", Topics: specialist, Capacity: 10, Open: 12},
			},
			why:  []string{"nobody available: lea at capacity 12/10"},
			excl: map[string]string{"lea": "at capacity 12/10"},
		},
		{
			name: "nobody available lists every reason",
			cands: []Candidate{
				{UserID: 1, Login: "lea", Away: true},
				{UserID: 2, Login: "max", Capacity: 10, Open: 10},
				{UserID: 3, Login: "sam", Location: paris, Hours: model.WeeklyHours{"mon": {"09:00-17:00"}}},
			},
			why: []string{"nobody available: ", "lea away", "max at capacity 10/10", "sam outside working hours (Wed 12:00 Europe/Paris)"},
		},
		{
			name:  "no capacity limit is never full",
			cands: []Candidate{{UserID: 1, Login: "lea", Open: 5000}},
			want:  "lea",
			why:   []string{"5000 open, no limit"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := Decide(wednesday, Conversation{Topics: []string{"akku"}}, nil, tt.cands)
			if got := assigneeLogin(d); got != tt.want {
				t.Fatalf("assigned to %q, want %q (reason %q)", got, tt.want, d.Reason)
			}
			checkReason(t, d, tt.why...)
			for _, s := range d.Ranking {
				if want, ok := tt.excl[s.Login]; ok && s.Excluded != want {
					t.Errorf("%s excluded %q, want %q", s.Login, s.Excluded, want)
				}
			}
			// The excluded come after the eligible, whatever their score.
			for i := 1; i < len(d.Ranking); i++ {
				if d.Ranking[i-1].Excluded != "" && d.Ranking[i].Excluded == "" {
					t.Errorf("ranking %+v: an excluded candidate before an eligible one", d.Ranking)
				}
			}
		})
	}
}

func TestWorkingHours(t *testing.T) {
	t.Parallel()
	paris := loadLocation(t, "Europe/Paris")
	newYork := loadLocation(t, "America/New_York")
	tokyo := loadLocation(t, "Asia/Tokyo")
	everyMorning := model.WeeklyHours{}
	for _, d := range model.Weekdays {
		everyMorning[d] = []string{"09:00-12:00"}
	}
	utc := func(month time.Month, day, hour, minute int) time.Time {
		return time.Date(2026, month, day, hour, minute, 0, 0, time.UTC)
	}
	tests := []struct {
		name  string
		loc   *time.Location
		hours model.WeeklyHours
		now   time.Time
		in    bool
	}{
		// Paris moves to summer time (UTC+2) on Sunday 29 March 2026 at 01:00 UTC.
		{"Paris winter, Saturday before: 07:30 UTC is 08:30", paris, everyMorning, utc(3, 28, 7, 30), false},
		{"Paris winter, Saturday before: 08:30 UTC is 09:30", paris, everyMorning, utc(3, 28, 8, 30), true},
		{"Paris winter, Saturday before: 10:59 UTC is 11:59", paris, everyMorning, utc(3, 28, 10, 59), true},
		{"Paris winter, Saturday before: 11:00 UTC is 12:00", paris, everyMorning, utc(3, 28, 11, 0), false},
		{"Paris summer, day of change: 07:30 UTC is 09:30", paris, everyMorning, utc(3, 29, 7, 30), true},
		{"Paris summer, day of change: 06:30 UTC is 08:30", paris, everyMorning, utc(3, 29, 6, 30), false},
		{"Paris summer, day of change: 10:00 UTC is 12:00", paris, everyMorning, utc(3, 29, 10, 0), false},
		// And back to winter time (UTC+1) on Sunday 25 October 2026 at 01:00 UTC.
		{"Paris summer, Saturday before: 07:30 UTC is 09:30", paris, everyMorning, utc(10, 24, 7, 30), true},
		{"Paris summer, Saturday before: 10:30 UTC is 12:30", paris, everyMorning, utc(10, 24, 10, 30), false},
		{"Paris winter, day of change: 07:30 UTC is 08:30", paris, everyMorning, utc(10, 25, 7, 30), false},
		{"Paris winter, day of change: 08:30 UTC is 09:30", paris, everyMorning, utc(10, 25, 8, 30), true},
		{"Paris winter, day of change: 10:30 UTC is 11:30", paris, everyMorning, utc(10, 25, 10, 30), true},
		// New York changed on 8 March, two weeks before Paris: EDT is UTC-4.
		{"New York summer: 13:30 UTC is 09:30", newYork, everyMorning, utc(3, 20, 13, 30), true},
		{"New York summer: 12:30 UTC is 08:30", newYork, everyMorning, utc(3, 20, 12, 30), false},
		// Monday 07:00 in Tokyo is Sunday 22:00 UTC: the local weekday counts.
		{"Tokyo Monday morning is Sunday in UTC", tokyo, model.WeeklyHours{"mon": {"06:00-09:00"}}, utc(5, 17, 22, 0), true},
		{"Tokyo Sunday morning is Saturday in UTC", tokyo, model.WeeklyHours{"mon": {"06:00-09:00"}}, utc(5, 16, 22, 0), false},
		{"an interval ending 24:00 holds at 23:59", nil, model.WeeklyHours{"wed": {"08:00-09:00", "22:00-24:00"}}, utc(5, 13, 23, 59), true},
		{"an interval ending 24:00 ends at midnight", nil, model.WeeklyHours{"wed": {"22:00-24:00"}}, utc(5, 14, 0, 0), false},
		{"second interval of the day", nil, model.WeeklyHours{"wed": {"08:00-09:00", "14:00-18:30"}}, utc(5, 13, 18, 29), true},
		{"between intervals", nil, model.WeeklyHours{"wed": {"08:00-09:00", "14:00-18:30"}}, utc(5, 13, 12, 0), false},
		{"no hours: always on", nil, model.WeeklyHours{}, utc(5, 13, 3, 0), true},
		{"only empty days: always on", nil, model.WeeklyHours{"mon": {}}, utc(5, 13, 3, 0), true},
		{"a day not worked", nil, model.WeeklyHours{"mon": {"00:00-24:00"}}, utc(5, 13, 3, 0), false},
		{"malformed intervals are ignored", nil, model.WeeklyHours{"wed": {"nonsense", "12:00-09:00", "02:00-04:00"}}, utc(5, 13, 3, 0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cand := Candidate{UserID: 1, Login: "lea", Hours: tt.hours, Location: tt.loc}
			d := Decide(tt.now, Conversation{}, nil, []Candidate{cand})
			if in := d.Assignee != nil; in != tt.in {
				t.Fatalf("at %s: assigned %v, want %v (reason %q)", tt.now, in, tt.in, d.Reason)
			}
			if !tt.in {
				checkReason(t, d, "lea outside working hours (")
			}
		})
	}
}

func TestRoundRobin(t *testing.T) {
	t.Parallel()
	cands := []Candidate{
		{UserID: 3, Login: "cid", Topics: map[string]float64{"akku": 0.5}},
		{UserID: 1, Login: "ana", Topics: map[string]float64{"akku": 0.5}},
		{UserID: 2, Login: "bob", Topics: map[string]float64{"akku": 0.5}},
		{UserID: 4, Login: "dan", Topics: map[string]float64{"akku": 0.4}}, // never equal: never chosen
	}
	var got []string
	now := wednesday
	for range 7 {
		d := Decide(now, Conversation{Topics: []string{"akku"}}, nil, cands)
		login := assigneeLogin(d)
		got = append(got, login)
		for i := range cands {
			if cands[i].Login == login {
				cands[i].LastAssigned = now
			}
		}
		now = now.Add(time.Minute)
	}
	want := []string{"ana", "bob", "cid", "ana", "bob", "cid", "ana"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("assignments %v, want %v", got, want)
	}

	// The reason says how the tie was broken.
	d := Decide(now, Conversation{Topics: []string{"akku"}}, nil, cands)
	checkReason(t, d, "assigned to bob", "tied with cid at 51, round-robin: bob last assigned 2026-05-13 10:04:00 UTC, cid 2026-05-13 10:05:00 UTC")
	fresh := Decide(now, Conversation{Topics: []string{"akku"}}, nil, []Candidate{cands[0], {UserID: 9, Login: "new", Topics: map[string]float64{"akku": 0.5}}})
	if assigneeLogin(fresh) != "new" {
		t.Errorf("assigned to %q, want the CM never assigned", assigneeLogin(fresh))
	}
	checkReason(t, fresh, "new last assigned never")
	same := Decide(now, Conversation{}, nil, []Candidate{{UserID: 8, Login: "h"}, {UserID: 7, Login: "g"}})
	if assigneeLogin(same) != "g" {
		t.Errorf("assigned to %q, want the lower user id", assigneeLogin(same))
	}
	checkReason(t, same, "same last assignment, lower user id 7 < 8")
}

func TestTieWithinEpsilon(t *testing.T) {
	t.Parallel()
	// 0.1+0.2 and 0.3 differ in the last bit: they tie, and round-robin decides.
	tenth, fifth := 0.1, 0.2 // variables: constants would add exactly
	cands := []Candidate{
		{UserID: 1, Login: "a", Topics: map[string]float64{"akku": tenth + fifth}, LastAssigned: wednesday},
		{UserID: 2, Login: "b", Topics: map[string]float64{"akku": 0.3}, LastAssigned: wednesday.Add(-time.Hour)},
	}
	if d := Decide(wednesday, Conversation{Topics: []string{"akku"}}, nil, cands); assigneeLogin(d) != "b" {
		t.Fatalf("assigned to %q, want b, assigned longest ago (reason %q)", assigneeLogin(d), d.Reason)
	}
}

func intp(v int) *int { return &v }

func TestRules(t *testing.T) {
	t.Parallel()
	cands := []Candidate{
		{UserID: 1, Login: "lea", Name: "Léa", Languages: []string{"fr"}, Topics: map[string]float64{"akku": 0.9}},
		{UserID: 2, Login: "max", Name: "Max", Languages: []string{"fr"}, Capacity: 10, Open: 10},
		{UserID: 3, Login: "sam", Name: "Sam", Away: true},
		{UserID: 4, Login: "zoe", Name: "Zoé", Hours: model.WeeklyHours{"mon": {"09:00-10:00"}}},
	}
	conv := Conversation{Lang: "fr", Intent: "complaint", Sentiment: "negative", Channel: "blog",
		Author: "@BigClient boss@client.example", Topics: []string{"akku"}, Priority: 2}
	tests := []struct {
		name     string
		rules    []Rule
		want     string
		tags     []string
		priority int
		why      []string
	}{
		{
			name:     "no rules: scoring, the conversation's priority",
			want:     "lea",
			tags:     []string{},
			priority: 2,
		},
		{
			name:     "a rule assigns, even at capacity",
			rules:    []Rule{{Name: "VIP", When: Condition{Author: "bigclient"}, Then: Action{AssignTo: "max"}}},
			want:     "max",
			tags:     []string{},
			priority: 2,
			why:      []string{"rule 'VIP': assigned to Max"},
		},
		{
			name:     "a rule assigns outside working hours; author by e-mail",
			rules:    []Rule{{Name: "boss", When: Condition{Author: "BOSS@client.example"}, Then: Action{AssignTo: "ZOE"}}},
			want:     "zoe",
			tags:     []string{},
			priority: 2,
			why:      []string{"rule 'boss': assigned to Zoé"},
		},
		{
			name: "tags accumulate without duplicates, last priority wins",
			rules: []Rule{
				{Name: "complaints", When: Condition{Intent: "Complaint"}, Then: Action{Tags: []string{"complaint", "urgent"}, Priority: intp(5)}},
				{Name: "not matching", When: Condition{Channel: "forum"}, Then: Action{Tags: []string{"forum"}, Priority: intp(9)}},
				{Name: "angry", When: Condition{Sentiment: "negative", Lang: "fr"}, Then: Action{Tags: []string{"urgent", "angry"}, Priority: intp(3)}},
				{Name: "tags only", When: Condition{Topic: "AKKU"}, Then: Action{Tags: []string{"battery"}}},
			},
			want:     "lea",
			tags:     []string{"complaint", "urgent", "angry", "battery"},
			priority: 3,
		},
		{
			name: "stop ends rule evaluation",
			rules: []Rule{
				{Name: "first", Then: Action{Tags: []string{"a"}, Priority: intp(1), Stop: true}},
				{Name: "never", Then: Action{Tags: []string{"b"}, Priority: intp(7), AssignTo: "max"}},
			},
			want:     "lea",
			tags:     []string{"a"},
			priority: 1,
		},
		{
			name: "a rule not matching does not stop",
			rules: []Rule{
				{Name: "forum", When: Condition{Channel: "forum"}, Then: Action{Tags: []string{"forum"}, Stop: true}},
				{Name: "all", Then: Action{Tags: []string{"seen"}}},
			},
			want:     "lea",
			tags:     []string{"seen"},
			priority: 2,
		},
		{
			name: "the first assignment wins",
			rules: []Rule{
				{Name: "one", Then: Action{AssignTo: "max"}},
				{Name: "two", Then: Action{AssignTo: "zoe", Tags: []string{"two"}}},
			},
			want:     "max",
			tags:     []string{"two"},
			priority: 2,
			why:      []string{"rule 'one': assigned to Max"},
		},
		{
			name:     "the rule's CM away: scoring decides",
			rules:    []Rule{{Name: "VIP", When: Condition{Author: "@bigclient"}, Then: Action{AssignTo: "sam", Tags: []string{"vip"}}}},
			want:     "lea",
			tags:     []string{"vip"},
			priority: 2,
			why:      []string{"rule 'VIP': sam unavailable (away); assigned to Léa: topic 'akku' 0.9"},
		},
		{
			name:     "the rule's CM not a candidate: scoring decides",
			rules:    []Rule{{Name: "VIP", Then: Action{AssignTo: "ghost"}}},
			want:     "lea",
			tags:     []string{},
			priority: 2,
			why:      []string{"rule 'VIP': ghost unavailable (not a candidate); assigned to Léa"},
		},
		{
			name: "the rule's CM away: a later rule may assign",
			rules: []Rule{
				{Name: "VIP", Then: Action{AssignTo: "sam"}},
				{Name: "backup", Then: Action{AssignTo: "zoe"}},
			},
			want:     "zoe",
			tags:     []string{},
			priority: 2,
			why:      []string{"rule 'VIP': sam unavailable (away); rule 'backup': assigned to Zoé"},
		},
		{
			name: "every field given must match",
			rules: []Rule{
				{Name: "almost", When: Condition{Intent: "complaint", Lang: "en"}, Then: Action{AssignTo: "max"}},
				{Name: "author", When: Condition{Author: "client.example"}, Then: Action{AssignTo: "max"}},
			},
			want:     "lea",
			tags:     []string{},
			priority: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := Decide(wednesday, conv, tt.rules, cands)
			if got := assigneeLogin(d); got != tt.want {
				t.Fatalf("assigned to %q, want %q (reason %q)", got, tt.want, d.Reason)
			}
			if !reflect.DeepEqual(d.Tags, tt.tags) {
				t.Errorf("tags %q, want %q", d.Tags, tt.tags)
			}
			if d.Priority != tt.priority {
				t.Errorf("priority %d, want %d", d.Priority, tt.priority)
			}
			checkReason(t, d, tt.why...)
			if len(d.Ranking) != len(cands) {
				t.Errorf("ranking of %d, want all %d candidates", len(d.Ranking), len(cands))
			}
		})
	}
}

func TestConditionMatches(t *testing.T) {
	t.Parallel()
	conv := Conversation{Lang: "fr-CA", Intent: "question", Sentiment: "neutral", Channel: "Blog",
		Author: "@Max max@Example.org", Topics: []string{"vélo électrique", "livraison"}}
	tests := []struct {
		when Condition
		want bool
	}{
		{Condition{}, true},
		{Condition{Topic: "Livraison"}, true},
		{Condition{Topic: "vélo"}, false},
		{Condition{Lang: "FR"}, true},
		{Condition{Lang: "en"}, false},
		{Condition{Intent: "question", Sentiment: "NEUTRAL", Channel: "blog"}, true},
		{Condition{Intent: "question", Sentiment: "negative"}, false},
		{Condition{Author: "max"}, true},
		{Condition{Author: "@MAX"}, true},
		{Condition{Author: "MAX@example.org"}, true},
		{Condition{Author: "example.org"}, false},
		{Condition{Author: "@"}, false},
		{Condition{Channel: "forum"}, false},
	}
	for _, tt := range tests {
		if got := tt.when.Matches(conv); got != tt.want {
			t.Errorf("%+v matches: %v, want %v", tt.when, got, tt.want)
		}
	}
}

func TestSpam(t *testing.T) {
	t.Parallel()
	cands := []Candidate{{UserID: 1, Login: "lea"}}
	rules := []Rule{{Name: "all", Then: Action{AssignTo: "lea", Tags: []string{"seen"}, Priority: intp(-1)}}}
	d := Decide(wednesday, Conversation{Spam: true}, rules, cands)
	if d.Assignee != nil {
		t.Fatalf("spam assigned to %q", d.Assignee.Login)
	}
	if d.Reason != "spam: not routed" {
		t.Errorf("reason %q, want %q", d.Reason, "spam: not routed")
	}
	if !reflect.DeepEqual(d.Tags, []string{"seen"}) || d.Priority != -1 {
		t.Errorf("tags %q priority %d: want the rules' tags and priority", d.Tags, d.Priority)
	}
}

func TestNoCandidates(t *testing.T) {
	t.Parallel()
	d := Decide(wednesday, Conversation{Lang: "fr"}, nil, nil)
	if d.Assignee != nil || d.Reason != "nobody available: no candidates" {
		t.Fatalf("decision %+v: want nobody, no candidates", d)
	}
	if d.Tags == nil || d.Ranking == nil {
		t.Errorf("tags %v ranking %v: want empty, not nil, for JSON", d.Tags, d.Ranking)
	}
}

func TestDecisionCopiesTheAssignee(t *testing.T) {
	t.Parallel()
	cands := []Candidate{{UserID: 1, Login: "lea"}}
	d := Decide(wednesday, Conversation{}, nil, cands)
	d.Assignee.Login = "changed"
	if cands[0].Login != "lea" {
		t.Fatal("changing the decision changed the caller's candidate")
	}
}

// benchInput is a workspace of 20 CMs across three time zones and 5 rules,
// the last of which assigns to a CM who is away.
func benchInput(t testing.TB) (Conversation, []Rule, []Candidate) {
	zones := []*time.Location{loadLocation(t, "Europe/Paris"), loadLocation(t, "America/New_York"), time.UTC}
	topics := []string{"akku", "rahmen", "livraison", "garantie", "vélo électrique", "prix"}
	langs := [][]string{{"fr"}, {"fr", "en"}, {"de", "en"}, {}}
	cands := make([]Candidate, 20)
	for i := range cands {
		strengths := map[string]float64{}
		for j, t := range topics {
			if (i+j)%3 == 0 {
				strengths[t] = float64((i*7+j)%10+1) / 10
			}
		}
		hours := model.WeeklyHours{}
		if i%2 == 0 {
			for _, d := range model.Weekdays[:5] {
				hours[d] = []string{"08:00-12:30", "13:30-18:00"}
			}
		}
		cands[i] = Candidate{UserID: int64(i + 1), Login: "cm" + string(rune('a'+i)), Name: "CM " + string(rune('A'+i)),
			Languages: langs[i%len(langs)], Topics: strengths, Away: i%7 == 6, Hours: hours, Location: zones[i%len(zones)],
			Capacity: 10 * (i % 3), Open: i % 12, LastAssigned: wednesday.Add(-time.Duration(i%4) * time.Hour)}
	}
	rules := []Rule{
		{Name: "spam words", When: Condition{Intent: "spam"}, Then: Action{Tags: []string{"spam"}, Stop: true}},
		{Name: "complaints", When: Condition{Intent: "complaint"}, Then: Action{Tags: []string{"complaint"}, Priority: intp(3)}},
		{Name: "angry", When: Condition{Sentiment: "negative"}, Then: Action{Tags: []string{"angry"}, Priority: intp(4)}},
		{Name: "battery", When: Condition{Topic: "akku"}, Then: Action{Tags: []string{"battery"}}},
		{Name: "VIP", When: Condition{Author: "boss@client.example"}, Then: Action{AssignTo: "cmg"}},
	}
	conv := Conversation{Lang: "fr", Intent: "complaint", Sentiment: "negative", Channel: "blog",
		Author: "@boss boss@client.example", Topics: []string{"akku", "garantie"}, Priority: 1}
	return conv, rules, cands
}

func TestDeterminism(t *testing.T) {
	t.Parallel()
	conv, rules, cands := benchInput(t)
	// Make ties: several CMs equal in everything routing looks at.
	for i := 10; i < 16; i++ {
		cands[i].Topics, cands[i].Languages, cands[i].Away, cands[i].Hours = map[string]float64{"akku": 0.9}, []string{"fr"}, false, nil
		cands[i].Capacity, cands[i].Open, cands[i].LastAssigned = 10, 2, wednesday.Add(-time.Hour)
	}
	for _, rs := range [][]Rule{nil, rules} {
		want := Decide(wednesday, conv, rs, cands)
		if again := Decide(wednesday, conv, rs, cands); !reflect.DeepEqual(again, want) {
			t.Fatalf("same input, different decisions:\n%+v\n%+v", want, again)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		shuffled := append([]Candidate(nil), cands...)
		for range 200 {
			rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			if got := Decide(wednesday, conv, rs, shuffled); !reflect.DeepEqual(got, want) {
				t.Fatalf("shuffled candidates, different decision:\n%+v\n%+v", want, got)
			}
		}
	}
}

func TestReopenedGoesBackToPreviousCM(t *testing.T) {
	t.Parallel()
	cands := []Candidate{
		{UserID: 1, Login: "lea", Name: "Léa", Languages: []string{"fr"}, Topics: map[string]float64{"freins": 0.9}},
		{UserID: 2, Login: "max", Name: "Max", Languages: []string{"fr"}},
	}
	conv := Conversation{Lang: "fr", Topics: []string{"freins"}}
	if got := assigneeLogin(Decide(wednesday, conv, nil, cands)); got != "lea" {
		t.Fatalf("without history: %q, want lea (the specialist)", got)
	}
	conv.Previous = 2
	d := Decide(wednesday, conv, nil, cands)
	if assigneeLogin(d) != "max" {
		t.Fatalf("reopened: %q, want max who had it", assigneeLogin(d))
	}
	checkReason(t, d, "reopened: back to Max, who had it before")

	// Away, the previous CM is passed over and scoring decides.
	cands[1].Away = true
	if got := assigneeLogin(Decide(wednesday, conv, nil, cands)); got != "lea" {
		t.Fatalf("previous CM away: %q, want lea", got)
	}
	// A rule still comes first.
	cands[1].Away = false
	rules := []Rule{{Name: "vip", When: Condition{Channel: "blog"}, Then: Action{AssignTo: "lea"}}}
	conv.Channel = "blog"
	if got := assigneeLogin(Decide(wednesday, conv, rules, cands)); got != "lea" {
		t.Fatalf("rule: %q, want lea", got)
	}
}

func TestEscalatedGoesToSomeoneElse(t *testing.T) {
	t.Parallel()
	cands := []Candidate{
		{UserID: 1, Login: "lea", Name: "Léa", Languages: []string{"fr"}, Topics: map[string]float64{"freins": 0.9}},
		{UserID: 2, Login: "max", Name: "Max", Languages: []string{"fr"}},
	}
	conv := Conversation{Lang: "fr", Topics: []string{"freins"}, Escalated: 1}
	d := Decide(wednesday, conv, nil, cands)
	if assigneeLogin(d) != "max" {
		t.Fatalf("escalated from lea: %q, want max", assigneeLogin(d))
	}
	// Alone, the CM it was taken from is not given it back.
	d = Decide(wednesday, conv, nil, cands[:1])
	if d.Assignee != nil {
		t.Fatalf("escalated, lea alone: assigned to %q", assigneeLogin(d))
	}
	checkReason(t, d, "nobody available", "lea SLA breached while they held it")
	// Even as the previous CM of a reopened conversation.
	conv.Previous = 1
	if got := assigneeLogin(Decide(wednesday, conv, nil, cands)); got != "max" {
		t.Fatalf("escalated and reopened: %q, want max", got)
	}
}
