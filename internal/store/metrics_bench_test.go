package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"palabre/internal/ingest"
	"palabre/internal/metrics"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// BenchmarkMetricFacts reads the facts of the last 30 days of a blog's
// year: 20,000 comment threads of three messages (a question, the team's
// answer, a thank-you), none ever closed, as a blog's are.
func BenchmarkMetricFacts(b *testing.B) {
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		b.Run(engine, func(b *testing.B) {
			st := testutil.NewStore(b, engine)
			ctx := context.Background()
			ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "blog", Name: "Blog"})
			if err != nil {
				b.Fatal(err)
			}
			start := time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC)
			const n = 20000
			var msgs []model.Message
			for i := range n {
				at := start.Add(time.Duration(i) * 365 * 24 * time.Hour / n)
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
			p := metrics.Period{From: end.AddDate(0, 0, -30), To: end}
			b.ResetTimer()
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
}
