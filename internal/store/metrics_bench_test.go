package store_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"palabre/internal/ingest"
	"palabre/internal/metrics"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// BenchmarkMetricFacts reads the facts of the last 30 days, and of the
// whole year, of a blog's year and computes them: 20,000 comment threads
// of three messages (a question, the team's answer, a thank-you), none
// ever closed, as a blog's are; PALABRE_BENCH_THREADS sets another count.
func BenchmarkMetricFacts(b *testing.B) {
	n := 20000
	if v, err := strconv.Atoi(os.Getenv("PALABRE_BENCH_THREADS")); err == nil && v > 0 {
		n = v
	}
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		b.Run(engine, func(b *testing.B) {
			st := testutil.NewStore(b, engine)
			ctx := context.Background()
			ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "blog", Name: "Blog"})
			if err != nil {
				b.Fatal(err)
			}
			start := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
			var msgs []model.Message
			for i := range n {
				at := start.Add(time.Duration(i) * 365 * 24 * time.Hour / time.Duration(n))
				conv := fmt.Sprint("c", i)
				who := fmt.Sprintf("m%d@example.org", i%5000)
				msgs = append(msgs,
					model.Message{ExternalID: conv + "q", ConversationExternalID: conv, Body: "Une question ?", AuthorName: who, AuthorEmail: who,
						CreatedAt: at, Intent: "question", Sentiment: "neu", Topics: []string{"prix"}},
					model.Message{ExternalID: conv + "a", ConversationExternalID: conv, Body: "La réponse.", AuthorName: "Équipe", AuthorIsStaff: true,
						CreatedAt: at.Add(2 * time.Hour)},
					model.Message{ExternalID: conv + "t", ConversationExternalID: conv, Body: "Merci !", AuthorName: who, AuthorEmail: who,
						CreatedAt: at.Add(3 * time.Hour), Sentiment: "pos"})
			}
			if _, err := ingest.Import(ctx, st, ingest.FromMessages(msgs), ingest.Options{Workspace: ws, Channel: "blog"}); err != nil {
				b.Fatal(err)
			}
			end := start.AddDate(1, 0, 0)
			for name, p := range map[string]metrics.Period{
				"30 days": {From: end.AddDate(0, 0, -30), To: end},
				"year":    {From: start, To: end},
			} {
				b.Run(name, func(b *testing.B) {
					for b.Loop() {
						f, err := st.MetricFacts(ctx, ws.ID, p, end)
						if err != nil {
							b.Fatal(err)
						}
						if r := metrics.Compute(f, p, nil); r.Backlog.Open != n {
							b.Fatalf("backlog %d, want %d", r.Backlog.Open, n)
						}
					}
				})
			}
		})
	}
}
