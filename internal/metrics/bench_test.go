package metrics_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"palabre/internal/metrics"
	"palabre/internal/metrics/metricstest"
	"palabre/internal/sla"
)

// yearOfFacts makes a year of a workspace's facts: n conversations spread
// over the year, each with a customer message, a reply within a day for
// 80% of them (half resolved an hour later), a positive follow-up two days
// later for 20%: about 2 n messages.
func yearOfFacts(b *testing.B, n int) (metrics.Facts, metrics.Period) {
	b.Helper()
	clock, err := metricstest.Calendar().Compile()
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, clock.Location())
	f := metrics.Facts{Clock: clock, Now: start.AddDate(1, 0, 1), FirstSeen: map[string]time.Time{}}
	sentiments := []string{"pos", "neu", "neg", ""}
	intents := []string{"question", "complaint", "praise", "other"}
	for i := range n {
		at := start.Add(time.Duration(i) * 365 * 24 * time.Hour / time.Duration(n))
		id := int64(i + 1)
		member := fmt.Sprintf("m%d", r.IntN(n/3+1))
		if _, ok := f.FirstSeen[member]; !ok {
			f.FirstSeen[member] = at
		}
		c := metrics.Conversation{ID: id, Channel: []string{"blog", "forum", "email"}[i%3], Assignee: []string{"lea", "hugo", ""}[i%3]}
		f.Messages = append(f.Messages, metrics.Message{ConversationID: id, At: at, MemberID: member,
			Sentiment: sentiments[r.IntN(4)], Intent: intents[r.IntN(4)]})
		if r.IntN(10) < 8 {
			answer := at.Add(time.Duration(r.IntN(24*60)) * time.Minute)
			f.Messages = append(f.Messages, metrics.Message{ConversationID: id, At: answer, Staff: true})
			due := at.Add(4 * time.Hour)
			c.ResponseDueAt = &due
			if r.IntN(2) == 0 {
				done := answer.Add(time.Hour)
				c.ResolvedAt, c.ClosedAt = &done, &done
			}
		}
		if r.IntN(5) == 0 {
			f.Messages = append(f.Messages, metrics.Message{ConversationID: id, At: at.Add(48 * time.Hour), MemberID: member, Sentiment: "pos"})
		}
		f.Conversations = append(f.Conversations, c)
	}
	return f, metrics.Period{From: start, To: start.AddDate(1, 0, 0)}
}

// BenchmarkComputeYear computes a year's metrics from scratch, as the
// API does today for every request (no rollups yet).
func BenchmarkComputeYear(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("%d conversations", n), func(b *testing.B) {
			f, p := yearOfFacts(b, n)
			b.ResetTimer()
			for b.Loop() {
				f.Clock = freshClock(b) // each answer compiles its own, as the API does
				metrics.Compute(f, p, nil)
			}
		})
	}
}

// BenchmarkTrendYearByWeek adds the 53 weekly steps of the trend.
func BenchmarkTrendYearByWeek(b *testing.B) {
	f, p := yearOfFacts(b, 10_000)
	steps, err := metrics.Split(p, metrics.Week, f.Clock.Location())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		f.Clock = freshClock(b)
		metrics.Trend(f, steps, nil)
	}
}

// freshClock compiles the calendar again: a clock remembers the days it
// counted, and an answer starts with none.
func freshClock(b *testing.B) *sla.Clock {
	b.Helper()
	clock, err := metricstest.Calendar().Compile()
	if err != nil {
		b.Fatal(err)
	}
	return clock
}
