package route

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"palabre/internal/model"
)

func BenchmarkDecide(b *testing.B) {
	conv, rules, cands := benchInput(b)
	b.ReportAllocs()
	for b.Loop() {
		Decide(wednesday, conv, rules, cands)
	}
}

// FuzzDecide builds random workspaces from a seed and checks that Decide
// never panics, assigns only a candidate who is not away, ranks every
// candidate, and does not depend on the order of the candidates.
func FuzzDecide(f *testing.F) {
	f.Add(uint64(1), uint8(5), "fr", "akku", "09:00-12:30", int64(0))
	f.Add(uint64(2), uint8(0), "", "", "", int64(-1))
	f.Add(uint64(3), uint8(30), "de-AT", "vélo", "22:00-24:00", int64(1774747800))
	f.Add(uint64(4), uint8(12), "xx", "AKKU", "nonsense", int64(math.MaxInt32))
	f.Add(uint64(0), uint8('d'), "\xf6", "\xad", "0", int64(math.MaxInt32)) // invalid UTF-8 logins EqualFold each other
	f.Add(uint64(1), uint8('E'), " ", "0", "0", int64(28))                  // duplicates excluded for different reasons
	zones := []*time.Location{nil, time.UTC, loadLocation(f, "Europe/Paris"), loadLocation(f, "Asia/Tokyo"), loadLocation(f, "America/New_York")}
	f.Fuzz(func(t *testing.T, seed uint64, n uint8, lang, topic, interval string, unix int64) {
		rng := rand.New(rand.NewPCG(seed, uint64(n)))
		now := time.Unix(unix, 0)
		pick := func(s ...string) string { return s[rng.IntN(len(s))] }
		strengths := []float64{0, 0.5, 1, -1, 2, math.NaN(), math.Inf(1), rng.Float64()}
		cands := make([]Candidate, int(n)%40)
		for i := range cands {
			cands[i] = Candidate{
				UserID:    rng.Int64N(10), // duplicates on purpose
				Login:     pick("lea", "max", "sam", lang, topic),
				Languages: []string{pick("fr", "", lang, "DE")},
				Topics:    map[string]float64{pick(topic, "akku", "x"): strengths[rng.IntN(len(strengths))]},
				Away:      rng.IntN(3) == 0,
				Hours:     model.WeeklyHours{pick(model.Weekdays...): {interval, pick("09:00-12:00", "00:00-24:00")}},
				Location:  zones[rng.IntN(len(zones))],
				Capacity:  rng.IntN(5) - 1,
				Open:      rng.IntN(8) - 1,
			}
			if rng.IntN(2) == 0 {
				cands[i].LastAssigned = now.Add(-time.Duration(rng.IntN(3)) * time.Hour)
			}
		}
		conv := Conversation{Lang: lang, Topics: []string{topic, pick("akku", "")}, Author: pick(lang, topic, "@max m@x.example"),
			Intent: pick("", "question", topic), Priority: rng.IntN(5), Spam: rng.IntN(8) == 0}
		rules := []Rule{
			{Name: topic, When: Condition{Topic: topic}, Then: Action{Tags: []string{topic, lang}, Priority: intp(rng.IntN(5))}},
			{Name: "r", When: Condition{Author: pick(lang, "max"), Lang: pick("", lang)}, Then: Action{AssignTo: pick("lea", lang, "ghost"), Stop: rng.IntN(2) == 0}},
			{Name: "s", When: Condition{Intent: pick("", topic)}, Then: Action{AssignTo: pick("max", topic)}},
		}

		d := Decide(now, conv, rules, cands)
		if d.Reason == "" {
			t.Fatal("no reason")
		}
		if conv.Spam && (d.Assignee != nil || len(d.Ranking) != 0) {
			t.Fatalf("spam routed: %+v", d)
		}
		if !conv.Spam && len(d.Ranking) != len(cands) {
			t.Fatalf("ranking of %d, want %d", len(d.Ranking), len(cands))
		}
		if a := d.Assignee; a != nil {
			found := false
			for _, c := range cands {
				if c.UserID == a.UserID && c.Login == a.Login && !c.Away {
					found = true
				}
			}
			if !found || a.Away {
				t.Fatalf("assignee %+v: not a candidate who is not away", a)
			}
		}
		reversed := make([]Candidate, len(cands))
		for i, c := range cands {
			reversed[len(cands)-1-i] = c
		}
		r := Decide(now, conv, rules, reversed)
		if r.Reason != d.Reason || !reflect.DeepEqual(r.Ranking, d.Ranking) || !reflect.DeepEqual(r.Tags, d.Tags) || r.Priority != d.Priority {
			t.Fatalf("reversed candidates, different decision:\n%q\n%q", d.Reason, r.Reason)
		}
		if (r.Assignee == nil) != (d.Assignee == nil) || d.Assignee != nil && (d.Assignee.UserID != r.Assignee.UserID || d.Assignee.Login != r.Assignee.Login) {
			t.Fatalf("reversed candidates, different assignee:\n%+v\n%+v", d.Assignee, r.Assignee)
		}
	})
}
