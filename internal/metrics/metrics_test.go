package metrics_test

import (
	"testing"

	"palabre/internal/metrics"
	"palabre/internal/metrics/metricstest"
)

func TestComputeWorkspace(t *testing.T) {
	f, p := metricstest.March(t)
	got := metrics.Compute(f, p, nil)
	want := metrics.Report{Period: p,
		// In: 1, 2 (four times), 3, 5. Out: 1, 2, 4 and 6 (5's is in
		// April).
		In: 7, Out: 4, Conversations: 4,
		// 1,800 (2), 7,200 (1) and 300 (5): nearest ranks 2 and 3.
		FirstResponse: metrics.Durations{Count: 3, Median: 1800, P90: 7200},
		Resolution:    metrics.Durations{Count: 2, Median: 10800, P90: 193500},
		// Questions and complaints of March: 1, 2, 3, 5; all but 3 answered.
		ResponseRate: metrics.Rate{Of: 3, Total: 4},
		// Due in March: 2 kept, 1 and 3 breached.
		SLA: metrics.Rate{Of: 1, Total: 3},
		// Started in March: 1, 2, 3, 5; an expert in 2.
		WithExpert: metrics.Rate{Of: 1, Total: 4},
		// Open at the end: 2 (28 d 13.5 h), 3 (13 d 11 h), 5 (30 min);
		// 3 and 5 unanswered by then.
		Backlog:   metrics.Backlog{Open: 3, MedianAge: 13*86400 + 11*3600, OldestAge: 28*86400 + 13*3600 + 1800, Unanswered: 2},
		Sentiment: metrics.Sentiment{Positive: 3, Neutral: 2, Negative: 1, Unknown: 1},
		Members:   metrics.Members{Active: 3, New: 2, Returning: 1, Regular: 1, TurnedAround: 1, Advocates: 1},
	}
	if got != want {
		t.Errorf("March:\n got %+v\nwant %+v", got, want)
	}
}

func TestComputeSlices(t *testing.T) {
	f, p := metricstest.March(t)
	lea := metrics.Compute(f, p, func(c metrics.Conversation) bool { return c.Assignee == "lea" })
	// Léa: 1 (answered, resolved, breached), 4 (resolved), 5 (open).
	want := metrics.Report{Period: p, In: 2, Out: 2, Conversations: 2,
		FirstResponse: metrics.Durations{Count: 2, Median: 300, P90: 7200},
		Resolution:    metrics.Durations{Count: 2, Median: 10800, P90: 193500},
		ResponseRate:  metrics.Rate{Of: 2, Total: 2}, SLA: metrics.Rate{Of: 0, Total: 1}, WithExpert: metrics.Rate{Of: 0, Total: 2},
		Backlog:   metrics.Backlog{Open: 1, MedianAge: 1800, OldestAge: 1800, Unanswered: 1},
		Sentiment: metrics.Sentiment{Neutral: 1, Unknown: 1},
		// Ana (returning, but only one conversation of Léa's) and Chloé.
		Members: metrics.Members{Active: 2, New: 1, Returning: 1}}
	if lea != want {
		t.Errorf("Léa:\n got %+v\nwant %+v", lea, want)
	}
	forum := metrics.Compute(f, p, func(c metrics.Conversation) bool { return c.Channel == "forum" })
	if forum.In != 1 || forum.Out != 1 || forum.Conversations != 1 || forum.ResponseRate != (metrics.Rate{Of: 0, Total: 1}) ||
		forum.Resolution != (metrics.Durations{Count: 1, Median: 193500, P90: 193500}) || forum.Backlog.Open != 1 {
		t.Errorf("forum: %+v", forum)
	}
	// Around the clock, the first answer to 1 takes the 64 hours between
	// Friday 17:00 CET and Monday 10:00 CEST.
	f.Clock = nil
	if got := metrics.Compute(f, p, func(c metrics.Conversation) bool { return c.ID == 1 }).FirstResponse.Median; got != 64*3600 {
		t.Errorf("without a calendar, 1's first response took %d s, want %d", got, 64*3600)
	}
}
