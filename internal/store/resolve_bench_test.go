package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"palabre/internal/ingest"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// BenchmarkMergeSuggestions times one member's merge suggestions and the
// workspace's list (50 pairs) on a workspace of 100,000 members
// (PALABRE_BENCH_MEMBERS sets another count): people named from 300 first
// names and 400 surnames, each writing on a blog with an e-mail address;
// one in ten also on a forum under a handle made of their name (jdupont,
// jean.dupont, jeand) or their initial ("J. Dupont"), one in twenty with
// a personal web page, in conversations of five.
func BenchmarkMergeSuggestions(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("PALABRE_BENCH_MEMBERS")); err == nil && v > 0 {
		n = v
	}
	for _, engine := range []string{store.EngineSQLite, store.EnginePostgres} {
		b.Run(engine, func(b *testing.B) {
			st := testutil.NewStore(b, engine)
			ctx := context.Background()
			ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "big", Name: "Big"})
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
			var msgs []model.Message
			var sample []string // blog members with a twin on the forum
			for i := range n {
				first, last := benchFirst(rng.IntN(300)), benchLast(rng.IntN(400))
				name := first + " " + last
				email := fmt.Sprintf("p%d@example.org", i)
				m := model.Message{Channel: "blog", ExternalID: fmt.Sprint("b", i), ConversationExternalID: fmt.Sprint("bc", i/5),
					Body: "Bonjour", AuthorName: name, AuthorEmail: email, CreatedAt: start.Add(time.Duration(i) * time.Minute)}
				if i%20 == 0 {
					m.AuthorURL = fmt.Sprintf("https://www.%s-%s-%d.fr/", first, last, i)
				}
				msgs = append(msgs, m)
				if i%10 == 0 && len(msgs) < n {
					handle := []string{first[:1] + last, first + "." + last, first + last[:1], ""}[rng.IntN(4)]
					f := model.Message{Channel: "forum", ExternalID: fmt.Sprint("f", i), ConversationExternalID: fmt.Sprint("fc", i/50),
						Body: "Salut", AuthorHandle: handle, CreatedAt: m.CreatedAt.Add(time.Hour), AuthorURL: m.AuthorURL}
					if handle == "" {
						f.AuthorHandle, f.AuthorName = fmt.Sprint("user", i), first[:1]+". "+last
					}
					msgs = append(msgs, f)
					sample = append(sample, ingest.MemberID("big", "email:"+email))
				}
			}
			if _, err := ingest.Import(ctx, st, ingest.FromMessages(msgs), ingest.Options{Workspace: ws, Channel: "blog"}); err != nil {
				b.Fatal(err)
			}
			b.Run("member", func(b *testing.B) {
				i, found := 0, 0
				defer reportCPU(b)()
				for b.Loop() {
					sg, err := st.MemberSuggestions(ctx, ws.ID, sample[i%len(sample)], 10)
					if err != nil {
						b.Fatal(err)
					}
					found += len(sg)
					i++
				}
				b.ReportMetric(float64(found)/float64(i), "suggestions/op")
			})
			b.Run("workspace", func(b *testing.B) {
				defer reportCPU(b)()
				for b.Loop() {
					sg, err := st.MergeSuggestions(ctx, ws.ID, 50)
					if err != nil {
						b.Fatal(err)
					}
					if len(sg) != 50 {
						b.Fatalf("%d pairs", len(sg))
					}
				}
			})
		})
	}
}

// benchFirst and benchLast make 300 first names and 400 surnames.
func benchFirst(i int) string {
	base := []string{"jean", "marie", "pierre", "sophie", "luc", "anne", "paul", "claire", "louis", "julie",
		"marc", "emma", "hugo", "lea", "nina", "omar", "ines", "yann", "zoe", "theo"}
	return base[i%len(base)] + []string{"", "a", "o", "e", "i", "an", "el", "ine", "ette", "ien", "ou", "y", "as", "is", "us"}[i/len(base)%15]
}

func benchLast(i int) string {
	base := []string{"dupont", "martin", "durand", "bernard", "petit", "robert", "richard", "moreau", "simon", "laurent",
		"lefebvre", "michel", "garcia", "david", "bertrand", "roux", "vincent", "fournier", "morel", "girard"}
	return base[i%len(base)] + []string{"", "eau", "ier", "on", "et", "in", "ard", "ot", "ais", "elle", "as", "ez", "y", "ac", "ou", "ic", "el", "an", "es", "oux"}[i/len(base)%20]
}

// reportCPU reports the process's CPU time per operation when the
// function it returns is called: on a shared machine, wall time per
// operation says more about the neighbours than about the code.
func reportCPU(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() {
		b.ReportMetric(float64((cpu()-start).Microseconds())/1000/float64(b.N), "cpu-ms/op")
	}
}
