// Package metricstest holds a hand-built month of a workspace whose
// metrics are worked out by hand, for the tests of the metrics and of
// the stores that feed them.
package metricstest

import (
	"testing"
	"time"

	"palabre/internal/metrics"
	"palabre/internal/model"
	"palabre/internal/sla"
)

// Calendar is the month's SLA calendar: open Monday to Friday, 9:00 to
// 18:00 in Paris.
func Calendar() sla.Calendar {
	return sla.Calendar{TimeZone: "Europe/Paris", Hours: model.WeeklyHours{
		"mon": {"09:00-18:00"}, "tue": {"09:00-18:00"}, "wed": {"09:00-18:00"}, "thu": {"09:00-18:00"}, "fri": {"09:00-18:00"},
	}}
}

// March is a hand-built month of a workspace open Monday to Friday, 9:00
// to 18:00 in Paris, where summer time starts on Sunday 29 March 2026.
// Every expected figure below is worked out by hand in the comments.
func March(t testing.TB) (metrics.Facts, metrics.Period) {
	t.Helper()
	clock, err := Calendar().Compile()
	if err != nil {
		t.Fatal(err)
	}
	z := func(s string) time.Time { // an instant, in UTC
		t.Helper()
		at, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	ptr := func(s string) *time.Time { at := z(s); return &at }
	// Ana first wrote in February (conversation 4): she returns, and
	// writes in three conversations (1, 2, 3): a regular. Bruno and
	// Chloé are new.
	f := metrics.Facts{Clock: clock, Now: z("2026-04-10T12:00:00Z"),
		FirstSeen: map[string]time.Time{"ana": z("2026-02-20T09:00:00Z"), "bruno": z("2026-03-03T08:30:00Z"), "chloe": z("2026-03-31T21:30:00Z")},
		Conversations: []metrics.Conversation{
			// 1: asked Friday 27 at 17:00 (CET), answered Monday 30 at
			// 10:00 (CEST), over the weekend and the change of time:
			// 1 h on Friday + 1 h on Monday = 7,200 s. Resolved Monday
			// at 11:00: 3 h = 10,800 s. Due Monday 9:00: breached.
			{ID: 1, Channel: "blog", Assignee: "lea", ClosedAt: ptr("2026-03-30T09:00:00Z"), ResolvedAt: ptr("2026-03-30T09:00:00Z"),
				ResponseDueAt: ptr("2026-03-30T07:00:00Z")},
			// 2: Bruno's complaint Tuesday 3 at 9:30, answered at 10:00
			// (1,800 s, due at 10:00: kept), thanked at 10:30 (Bruno
			// turned around), praised by Ana and Bruno again later
			// (Bruno, twice positive, is an advocate); an expert was
			// asked; still open.
			{ID: 2, Channel: "blog", Assignee: "hugo", ResponseDueAt: ptr("2026-03-03T09:00:00Z"), WithExpert: true},
			// 3: a question Wednesday 18 at 12:00, never answered (due at
			// 13:00: breached); open.
			{ID: 3, Channel: "forum", ResponseDueAt: ptr("2026-03-18T12:00:00Z")},
			// 4: asked in February (Friday 20 at 10:00), answered and
			// resolved Monday 2 March at 9:15 and 9:45: resolution
			// 8 h (20th) + 45 h (23rd–27th) + 0.75 h = 193,500 s.
			{ID: 4, Channel: "forum", Assignee: "lea", ClosedAt: ptr("2026-03-02T08:45:00Z"), ResolvedAt: ptr("2026-03-02T08:45:00Z"), WithExpert: true},
			// 5: asked Tuesday 31 at 23:30, after hours, answered 1 April
			// at 9:05: 300 s of business time, but after the period.
			{ID: 5, Channel: "blog", Assignee: "lea"},
			// 6: the team's own post, no customer: nothing to answer.
			{ID: 6, Channel: "blog"},
		},
		Messages: []metrics.Message{
			{ConversationID: 1, At: z("2026-03-27T16:00:00Z"), Sentiment: "neu", Intent: "question", MemberID: "ana"},
			{ConversationID: 1, At: z("2026-03-30T08:00:00Z"), Staff: true},
			{ConversationID: 2, At: z("2026-03-03T08:30:00Z"), Sentiment: "neg", Intent: "complaint", MemberID: "bruno"},
			{ConversationID: 2, At: z("2026-03-03T09:00:00Z"), Staff: true},
			{ConversationID: 2, At: z("2026-03-03T09:30:00Z"), Sentiment: "pos", Intent: "praise", MemberID: "bruno"},
			{ConversationID: 2, At: z("2026-03-04T10:00:00Z"), Sentiment: "pos", Intent: "praise", MemberID: "ana"},
			{ConversationID: 2, At: z("2026-03-05T10:00:00Z"), Sentiment: "pos", Intent: "feedback", MemberID: "bruno"},
			{ConversationID: 3, At: z("2026-03-18T11:00:00Z"), Sentiment: "neu", Intent: "question", MemberID: "ana"},
			{ConversationID: 4, At: z("2026-02-20T09:00:00Z"), Sentiment: "neg", Intent: "question", MemberID: "ana"},
			{ConversationID: 4, At: z("2026-03-02T08:15:00Z"), Staff: true},
			{ConversationID: 5, At: z("2026-03-31T21:30:00Z"), Intent: "question", MemberID: "chloe"},
			{ConversationID: 5, At: z("2026-04-01T07:05:00Z"), Staff: true},
			{ConversationID: 6, At: z("2026-03-10T10:00:00Z"), Staff: true},
		},
	}
	// March in Paris: from 1 March 0:00 CET to 1 April 0:00 CEST.
	return f, metrics.Period{From: z("2026-02-28T23:00:00Z"), To: z("2026-03-31T22:00:00Z")}
}
