package metrics_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"palabre/internal/metrics"
	"palabre/internal/metrics/metricstest"
	"palabre/internal/sla"
)

// twoShops is a source of two workspaces that lived the same month: the
// first keeps office hours in Paris, the second has no SLA calendar (every
// hour counts).
type twoShops struct{ t *testing.T }

func (s twoShops) SLASettings(_ context.Context, id int64) (sla.Settings, bool, error) {
	if id == 1 {
		return sla.Settings{Calendar: metricstest.Calendar()}, true, nil
	}
	return sla.Settings{}, false, nil
}

func (s twoShops) MetricFacts(_ context.Context, id int64, _ metrics.Period, _ time.Time) (metrics.Facts, error) {
	f, _ := metricstest.March(s.t)
	f.Clock = nil // the caller's to set
	if id == 2 {
		for i := range f.Conversations {
			f.Conversations[i].ID += 1000
		}
		for i := range f.Messages {
			f.Messages[i].ConversationID += 1000
		}
	}
	return f, nil
}

func (s twoShops) EngagementWeights(context.Context, int64) (metrics.Weights, error) {
	return metrics.Weights{}, errors.New("not asked across workspaces")
}

func TestAskAcross(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	f, p := metricstest.March(t)
	scopes := []metrics.Scope{{ID: 1, Slug: "velo", Sector: "retail"}, {ID: 2, Slug: "banque", Sector: "finance"}}
	a, err := metrics.AskAcross(context.Background(), twoShops{t}, scopes,
		metrics.Query{From: "2026-03-01", To: "2026-04-01", By: "workspace"}, paris, f.Now)
	if err != nil {
		t.Fatal(err)
	}
	if a.Total.In != 14 || a.Total.Members.Active != 6 || len(a.Groups) != 2 || a.Groups[0].Key != "banque" || a.Groups[1].Key != "velo" {
		t.Fatalf("across: total %+v, groups %+v", a.Total, a.Groups)
	}
	// The office keeps its business hours; the other counts every hour:
	// 30 min, 9 h 35 and 64 h, median 9 h 35.
	velo, want := a.Groups[1].Report, metrics.Compute(f, p, nil)
	if !velo.Period.From.Equal(want.Period.From) || !velo.Period.To.Equal(want.Period.To) {
		t.Errorf("velo's period %+v, want %+v", velo.Period, want.Period)
	}
	if velo.Period = want.Period; velo != want {
		t.Errorf("velo across:\n got %+v\nwant %+v", velo, want)
	}
	if got := a.Groups[0].Report.FirstResponse.Median; got != 9*3600+35*60 {
		t.Errorf("banque's median first response %d s, want 9 h 35", got)
	}
	if len(a.Engaged) == 0 || a.Engaged[0].MemberID[:5] != "velo/" && a.Engaged[0].MemberID[:7] != "banque/" {
		t.Errorf("engaged across: %+v", a.Engaged)
	}
	bySector, err := metrics.AskAcross(context.Background(), twoShops{t}, scopes, metrics.Query{From: "2026-03-01", To: "2026-04-01", By: "sector"}, paris, f.Now)
	if err != nil || len(bySector.Groups) != 2 || bySector.Groups[0].Key != "finance" || bySector.Groups[1].Key != "retail" {
		t.Errorf("by sector: %+v, %v", bySector.Groups, err)
	}
	if _, err := metrics.AskAcross(context.Background(), twoShops{t}, scopes, metrics.Query{By: "colour"}, paris, f.Now); !errors.Is(err, metrics.ErrBadQuery) {
		t.Errorf("by colour: %v", err)
	}
}

// TestAskBySlice asks the hand-built month sliced by channel, assignee
// and topic, counted in one pass: each slice is exactly the month
// computed for its conversations alone.
func TestAskBySlice(t *testing.T) {
	f, p := metricstest.March(t)
	f = withTopics(f)
	for by, key := range map[string]func(metrics.Conversation) []string{
		"channel":  func(c metrics.Conversation) []string { return []string{c.Channel} },
		"assignee": func(c metrics.Conversation) []string { return []string{c.Assignee} },
		"topic":    func(c metrics.Conversation) []string { return c.Topics },
	} {
		a, err := metrics.Ask(context.Background(), oneShop{twoShops{t}}, 1, metrics.Query{From: "2026-03-01", To: "2026-04-01", By: by}, f.Now)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Groups) < 2 {
			t.Fatalf("by %s: %d groups", by, len(a.Groups))
		}
		for _, g := range a.Groups {
			want := metrics.Compute(f, p, func(c metrics.Conversation) bool { return slices.Contains(key(c), g.Key) })
			got := g.Report
			got.Period = want.Period
			if got != want {
				t.Errorf("by %s, %q:\n got %+v\nwant %+v", by, g.Key, got, want)
			}
		}
	}
}

// oneShop is the first of twoShops with topics (withTopics) and the
// default weights.
type oneShop struct{ twoShops }

func (s oneShop) MetricFacts(ctx context.Context, id int64, p metrics.Period, now time.Time) (metrics.Facts, error) {
	f, err := s.twoShops.MetricFacts(ctx, id, p, now)
	return withTopics(f), err
}

// withTopics gives the month's conversations topics: "prix" to every
// other one, twice to some (a slice counts a conversation once),
// "livraison" to every third.
func withTopics(f metrics.Facts) metrics.Facts {
	for i := range f.Conversations {
		c := &f.Conversations[i]
		c.Topics = nil
		if c.ID%2 == 0 {
			c.Topics = append(c.Topics, "prix", "prix")
		}
		if c.ID%3 == 0 {
			c.Topics = append(c.Topics, "livraison")
		}
	}
	return f
}

func (oneShop) EngagementWeights(context.Context, int64) (metrics.Weights, error) {
	return metrics.DefaultWeights(), nil
}
