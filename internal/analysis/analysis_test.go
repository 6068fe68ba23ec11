package analysis_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"palabre/internal/analysis"
	"palabre/internal/enrich"
	"palabre/internal/ingest"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// The embedded model may be untrained while it is being retrained: these
// tests assert what holds whatever its weights — that fields are filled,
// that corrections win, that workspaces stay apart — and never a label the
// global model alone would give.

func defaultModel(t *testing.T) *enrich.Model {
	t.Helper()
	m, err := enrich.Default()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// importMessages creates a workspace and imports msgs into it, analysed by
// enrichFn when it is not nil; it returns the workspace and the message
// ids in id order.
func importMessages(t *testing.T, st *store.Store, slug string, msgs []model.Message, enrichFn func(*model.Message)) (model.Workspace, []int64) {
	t.Helper()
	ctx := context.Background()
	ws, err := st.EnsureWorkspace(ctx, model.Workspace{Slug: slug})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := ingest.Import(ctx, st, ingest.FromMessages(msgs), ingest.Options{Workspace: ws, Channel: "blog", Enrich: enrichFn})
	if err != nil || sum.Rejected != 0 {
		t.Fatalf("import into %s: %+v, %v", slug, sum, err)
	}
	return ws, messageIDs(t, st, ws.ID)
}

func messageIDs(t *testing.T, st *store.Store, workspaceID int64) []int64 {
	t.Helper()
	inputs, err := st.AnalysisInputs(context.Background(), workspaceID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, in := range inputs {
		ids = append(ids, in.ID)
	}
	return ids
}

// texts returns one message per text, oldest first, every third by staff.
func texts(prefix string, bodies ...string) []model.Message {
	t0 := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
	out := make([]model.Message, len(bodies))
	for i, b := range bodies {
		out[i] = model.Message{ExternalID: fmt.Sprint(prefix, i), Body: b, CreatedAt: t0.Add(time.Duration(i) * time.Minute),
			AuthorName: fmt.Sprint("author", i%4), AuthorIsStaff: i%3 == 2}
	}
	return out
}

var tenBodies = []string{
	"Bonjour, mon frein arrière couine depuis la révision, est-ce normal ?",
	"Merci pour votre réponse rapide, tout fonctionne parfaitement.",
	"Nous avons bien reçu votre demande et revenons vers vous.",
	"The delivery is late again and nobody answers my emails.",
	"Could you send me the invoice for my last order please?",
	"Nous vous recommandons de passer en atelier cette semaine.",
	"Achetez des pilules pas chères sur http://spam.example maintenant",
	"Je voudrais changer l'adresse de livraison de ma commande.",
	"Thanks, the new catalogue looks great!",
	"Le magasin est-il ouvert samedi après-midi ?",
}

func message(t *testing.T, st *store.Store, workspaceID, id int64) store.StoredMessage {
	t.Helper()
	m, err := st.Message(context.Background(), workspaceID, id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// analysed reports whether every analysis field of m is filled.
func analysed(m store.StoredMessage) bool {
	return m.Lang != "" && m.LangConfidence != nil && m.Sentiment != "" && m.SentimentScore != nil && m.Intent != "" &&
		m.Spam != nil && m.SpamScore != nil && m.NeedsResponse != nil && m.NeedsResponseScore != nil
}

// expected is what Apply makes of a's analysis of a stored message.
func expected(a *enrich.Analyzer, m store.StoredMessage) model.Message {
	var want model.Message
	analysis.Apply(&want, a.Analyze(enrich.NewScratch(a.Model()), analysis.Text(m.Title, m.Body)), m.AuthorIsStaff)
	return want
}

func sameAnalysis(got, want model.Message) bool {
	eqF := func(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	eqB := func(a, b *bool) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	return got.Lang == want.Lang && eqF(got.LangConfidence, want.LangConfidence) && got.Sentiment == want.Sentiment &&
		eqF(got.SentimentScore, want.SentimentScore) && got.Intent == want.Intent && eqB(got.NeedsResponse, want.NeedsResponse) &&
		eqF(got.NeedsResponseScore, want.NeedsResponseScore) && eqB(got.Spam, want.Spam) && eqF(got.SpamScore, want.SpamScore) &&
		slices.Equal(got.Topics, want.Topics)
}

// otherLabel returns a label of labels that is not not.
func otherLabel(labels []string, not string) string {
	for _, l := range labels {
		if l != not && l != "other" {
			return l
		}
	}
	panic("no other label")
}

func TestReanalyzeAnalysesAllAndKeepsCorrections(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		m := defaultModel(t)
		ws, ids := importMessages(t, st, "velo", texts("m", tenBodies...), nil)
		if m0 := message(t, st, ws.ID, ids[0]); m0.Lang != "" || m0.Sentiment != "" || m0.Spam != nil {
			t.Fatalf("imported without Enrich but analysed: %+v", m0)
		}
		// Corrected to the opposite of what the model says, so that a
		// reanalysis overwriting them would show.
		bare := enrich.NewAnalyzer(m, nil, nil)
		stored0 := message(t, st, ws.ID, ids[0])
		r0 := bare.Analyze(enrich.NewScratch(m), analysis.Text(stored0.Title, stored0.Body))
		sentiment := otherLabel(enrich.Sentiments[:], r0.Sentiment)
		spam := fmt.Sprint(!r0.Spam)
		for _, c := range [][2]string{{"sentiment", sentiment}, {"spam", spam}} {
			if _, err := analysis.Correct(ctx, st, ws.ID, ids[0], c[0], c[1], "cli"); err != nil {
				t.Fatal(err)
			}
		}

		var progress [][2]int64
		sum, err := analysis.Reanalyze(ctx, st, bare, ws.ID, analysis.ReanalyzeOptions{BatchSize: 4, Actor: "cli:ana",
			Progress: func(done, total int64) { progress = append(progress, [2]int64{done, total}) }})
		if err != nil {
			t.Fatal(err)
		}
		want := analysis.ReanalyzeSummary{Messages: 10, Total: 10, Version: analysis.Version(bare)}
		if sum != want {
			t.Fatalf("summary %+v, want %+v", sum, want)
		}
		if fmt.Sprint(progress) != "[[0 10] [4 10] [8 10] [10 10]]" {
			t.Fatalf("progress %v", progress)
		}
		for i, id := range ids {
			got := message(t, st, ws.ID, id)
			if !analysed(got) {
				t.Fatalf("message %d not analysed: %+v", i, got.Message)
			}
			w := expected(bare, got)
			if i == 0 {
				w.Sentiment, w.SentimentScore = sentiment, got.SentimentScore
				w.Spam, w.SpamScore = &[]bool{!r0.Spam}[0], got.SpamScore
			}
			if !sameAnalysis(got.Message, w) {
				t.Errorf("message %d: stored %+v, want %+v", i, got.Message, w)
			}
			if got.AuthorIsStaff && (*got.NeedsResponse || *got.NeedsResponseScore != 0) {
				t.Errorf("staff message %d needs a response: %v %v", i, *got.NeedsResponse, *got.NeedsResponseScore)
			}
		}
		m0 := message(t, st, ws.ID, ids[0])
		wantScore := map[string]float64{"neg": -1, "neu": 0, "pos": 1}[sentiment]
		if m0.Sentiment != sentiment || *m0.SentimentScore != wantScore || *m0.Spam != !r0.Spam ||
			m0.Corrected != store.CorrectedSentiment|store.CorrectedSpam {
			t.Fatalf("corrected message overwritten: sentiment %s (%v), spam %v, corrected %q; want %s, %v",
				m0.Sentiment, *m0.SentimentScore, *m0.Spam, m0.Corrected, sentiment, !r0.Spam)
		}
		if _, ok, _ := st.ReanalysisState(ctx, ws.ID); ok {
			t.Fatal("a finished reanalysis left its checkpoint")
		}
		evs, err := st.Events(ctx, ws.ID, 100)
		if err != nil || evs[0].Action != "analysis.reanalyze" || evs[0].Actor != "cli:ana" {
			t.Fatalf("audit log: %+v %v", evs, err)
		}
	})
}

func TestReanalyzeResumes(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		m := defaultModel(t)
		ws, ids := importMessages(t, st, "velo", texts("m", tenBodies...), nil)
		a, err := analysis.ForWorkspace(ctx, st, m, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		// interrupt runs a reanalysis cancelled after its first batch.
		interrupt := func(a *enrich.Analyzer) analysis.ReanalyzeSummary {
			t.Helper()
			cctx, cancel := context.WithCancel(ctx)
			defer cancel()
			sum, err := analysis.Reanalyze(cctx, st, a, ws.ID, analysis.ReanalyzeOptions{BatchSize: 3,
				Progress: func(done, total int64) {
					if done > 0 {
						cancel()
					}
				}})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted run: got %v, want context.Canceled", err)
			}
			return sum
		}
		if sum := interrupt(a); sum.Messages != 3 || sum.Total != 10 || sum.Resumed {
			t.Fatalf("interrupted run: %+v", sum)
		}
		cp, ok, err := st.ReanalysisState(ctx, ws.ID)
		want := store.Reanalysis{Version: analysis.Version(a), LastID: ids[2], Done: 3, Total: 10}
		if err != nil || !ok || cp != want {
			t.Fatalf("checkpoint %+v (%v, %v), want %+v", cp, ok, err, want)
		}
		for i, id := range ids {
			if got := analysed(message(t, st, ws.ID, id)); got != (i < 3) {
				t.Fatalf("after the first batch, message %d analysed: %v", i, got)
			}
		}

		// A message arriving meanwhile is part of the rest.
		_, ids = importMessages(t, st, "velo", texts("late", "Un message arrivé pendant la pause."), nil)
		sum, err := analysis.Reanalyze(ctx, st, a, ws.ID, analysis.ReanalyzeOptions{BatchSize: 3})
		if err != nil {
			t.Fatal(err)
		}
		if w := (analysis.ReanalyzeSummary{Messages: 8, Total: 11, Resumed: true, Version: analysis.Version(a)}); sum != w {
			t.Fatalf("resumed run: %+v, want %+v", sum, w)
		}
		for i, id := range ids {
			if !analysed(message(t, st, ws.ID, id)) {
				t.Fatalf("message %d not analysed after the resumed run", i)
			}
		}
		if _, ok, _ := st.ReanalysisState(ctx, ws.ID); ok {
			t.Fatal("checkpoint left after the resumed run")
		}
		evs, err := st.Events(ctx, ws.ID, 100)
		if err != nil || evs[0].Action != "analysis.reanalyze" || evs[0].Detail != fmt.Sprintf(`{"messages":11,"version":%q}`, analysis.Version(a)) {
			t.Fatalf("audit log: %+v %v", evs, err)
		}

		// Interrupted again, then the vocabulary changes: the analysis
		// version changes and the next run starts over.
		interrupt(a)
		if _, err := st.SetTopic(ctx, ws.ID, model.Topic{Name: "Freins", Terms: []string{"frein"}}, "cli"); err != nil {
			t.Fatal(err)
		}
		a2, err := analysis.ForWorkspace(ctx, st, m, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		if analysis.Version(a2) == analysis.Version(a) {
			t.Fatalf("version %s unchanged by a new topic", analysis.Version(a2))
		}
		sum, err = analysis.Reanalyze(ctx, st, a2, ws.ID, analysis.ReanalyzeOptions{BatchSize: 3})
		if err != nil {
			t.Fatal(err)
		}
		if w := (analysis.ReanalyzeSummary{Messages: 11, Total: 11, Version: analysis.Version(a2)}); sum != w {
			t.Fatalf("run after a version change: %+v, want %+v", sum, w)
		}
		if got := message(t, st, ws.ID, ids[0]).Topics; !slices.Equal(got, []string{"Freins"}) {
			t.Fatalf("topics of the first message after reanalysis: %v", got)
		}
		if got := message(t, st, ws.ID, ids[1]).Topics; len(got) != 0 {
			t.Fatalf("topics of the second message: %v", got)
		}
	})
}

func TestCorrectTeachesOnlyItsWorkspace(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		m := defaultModel(t)
		bare := enrich.NewAnalyzer(m, nil, nil)
		enricher := analysis.NewEnricher(bare).Enrich
		const text = "Le vendeur a répondu en trois jours, rien à redire sur le service."
		msgs := texts("m", text, "Autre message sans rapport.")
		ws, ids := importMessages(t, st, "velo", msgs, enricher)
		other, otherIDs := importMessages(t, st, "banque", msgs, enricher)

		stored := message(t, st, ws.ID, ids[0])
		body := analysis.Text(stored.Title, stored.Body)
		r0 := bare.Analyze(enrich.NewScratch(m), body)
		// Every field corrected away from what the global model says (spam
		// to false, so that it does not hide the intent).
		corrections := []struct{ field, value, old string }{
			{"sentiment", otherLabel(enrich.Sentiments[:], r0.Sentiment), r0.Sentiment},
			{"intent", otherLabel(enrich.Intents[:], r0.Intent), r0.Intent},
			{"needs_response", fmt.Sprint(!r0.NeedsResponse), fmt.Sprint(r0.NeedsResponse)},
			{"spam", " false ", fmt.Sprint(r0.Spam)}, // values are trimmed
		}
		for _, c := range corrections {
			got, err := analysis.Correct(ctx, st, ws.ID, ids[0], c.field, c.value, "cli:ana")
			if err != nil {
				t.Fatalf("correct %s: %v", c.field, err)
			}
			if got.OldValue != c.old || got.Text != body || got.Actor != "cli:ana" || got.MessageID != ids[0] {
				t.Fatalf("correction %+v, want old value %q and the message's text", got, c.old)
			}
		}
		if got := message(t, st, ws.ID, ids[0]).Corrected; got != store.CorrectedSentiment|store.CorrectedIntent|store.CorrectedSpam|store.CorrectedNeedsResponse {
			t.Fatalf("corrected fields: %q", got)
		}

		a, err := analysis.ForWorkspace(ctx, st, m, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := a.Overlay().Len(); n != len(corrections) {
			t.Fatalf("overlay learned %d corrections, want %d", n, len(corrections))
		}
		r := a.Analyze(enrich.NewScratch(m), body)
		if r.Sentiment != corrections[0].value || r.Intent != corrections[1].value ||
			fmt.Sprint(r.NeedsResponse) != corrections[2].value || r.Spam {
			t.Fatalf("corrected text analysed as sentiment %s, intent %s, needs_response %v, spam %v; want %s, %s, %s, false",
				r.Sentiment, r.Intent, r.NeedsResponse, r.Spam, corrections[0].value, corrections[1].value, corrections[2].value)
		}
		if analysis.Version(a) == analysis.Version(bare) {
			t.Fatal("the version does not show the corrections")
		}

		// The other workspace learned nothing.
		b, err := analysis.ForWorkspace(ctx, st, m, other.ID)
		if err != nil {
			t.Fatal(err)
		}
		if b.Overlay().Len() != 0 || analysis.Version(b) != analysis.Version(bare) {
			t.Fatalf("other workspace: overlay %d, version %s", b.Overlay().Len(), analysis.Version(b))
		}
		if got := b.Analyze(enrich.NewScratch(m), body); !reflect.DeepEqual(got, r0) {
			t.Fatalf("other workspace analyses the text as %+v, the model alone as %+v", got, r0)
		}
		if got := message(t, st, other.ID, otherIDs[0]); got.Corrected != 0 || got.Sentiment != r0.Sentiment {
			t.Fatalf("other workspace's copy of the message changed: %+v", got)
		}

		// Refused corrections.
		if _, err := analysis.Correct(ctx, st, ws.ID, otherIDs[0], "sentiment", "pos", "cli"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another workspace's message: got %v, want ErrNotFound", err)
		}
		for _, c := range [][2]string{{"lang", "fr"}, {"sentiment", "angry"}, {"spam", "1"}, {"intent", ""}} {
			if _, err := analysis.Correct(ctx, st, ws.ID, ids[1], c[0], c[1], "cli"); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s=%q: got %v, want ErrInvalid", c[0], c[1], err)
			}
		}
		if cs, _ := st.Corrections(ctx, ws.ID); len(cs) != len(corrections) {
			t.Fatalf("%d corrections stored, want %d", len(cs), len(corrections))
		}
		if cs, _ := st.Corrections(ctx, other.ID); len(cs) != 0 {
			t.Fatalf("corrections stored in the other workspace: %+v", cs)
		}
	})
}

func TestRegistryRebuildsOnChange(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		m := defaultModel(t)
		ws, ids := importMessages(t, st, "velo", texts("m", tenBodies[:2]...), nil)
		other, _ := importMessages(t, st, "banque", texts("m", tenBodies[:2]...), nil)
		reg := analysis.NewRegistry(st, m)
		get := func(id int64) *enrich.Analyzer {
			t.Helper()
			a, err := reg.Analyzer(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		a1, b1 := get(ws.ID), get(other.ID)
		if a1 == b1 {
			t.Fatal("two workspaces share an analyzer")
		}
		if get(ws.ID) != a1 {
			t.Fatal("unchanged workspace: analyzer rebuilt")
		}
		if _, err := st.SetTopic(ctx, ws.ID, model.Topic{Name: "Freins", Terms: []string{"frein"}}, "cli"); err != nil {
			t.Fatal(err)
		}
		a2 := get(ws.ID)
		if a2 == a1 || a2.Topics() == nil {
			t.Fatalf("after a topic change: same analyzer %v, topics %v", a2 == a1, a2.Topics())
		}
		if get(ws.ID) != a2 {
			t.Fatal("analyzer rebuilt without a change")
		}
		if _, err := analysis.Correct(ctx, st, ws.ID, ids[0], "sentiment", "neu", "cli"); err != nil {
			t.Fatal(err)
		}
		a3 := get(ws.ID)
		if a3 == a2 || a3.Overlay().Len() != 1 || a3.Topics() == nil {
			t.Fatalf("after a correction: same analyzer %v, overlay %d", a3 == a2, a3.Overlay().Len())
		}
		if get(other.ID) != b1 {
			t.Fatal("another workspace's analyzer rebuilt by this one's changes")
		}
	})
}

func TestImportEnriches(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		m := defaultModel(t)
		ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "velo"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.SetTopic(ctx, ws.ID, model.Topic{Name: "Freins", Terms: []string{"frein"}}, "cli"); err != nil {
			t.Fatal(err)
		}
		a, err := analysis.ForWorkspace(ctx, st, m, ws.ID)
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
		msgs := []model.Message{
			{ExternalID: "plain", Body: tenBodies[0], CreatedAt: t0, AuthorName: "ines"},
			{ExternalID: "titled", Title: "Frein qui couine", Body: "Depuis hier, est-ce grave ?", CreatedAt: t0.Add(time.Minute), AuthorName: "sam"},
			{ExternalID: "own", Body: tenBodies[1], Sentiment: "pos", CreatedAt: t0.Add(2 * time.Minute), AuthorName: "bob"},
			{ExternalID: "staff", ParentExternalID: "plain", Body: "Pouvez-vous nous dire le modèle de votre vélo ?",
				CreatedAt: t0.Add(3 * time.Minute), AuthorName: "Atelier", AuthorIsStaff: true},
		}
		var calls int
		enrichFn := analysis.NewEnricher(a).Enrich
		if _, ids := importMessages(t, st, "velo", msgs, func(m *model.Message) { calls++; enrichFn(m) }); len(ids) != len(msgs) {
			t.Fatalf("%d messages stored", len(ids))
		}
		if calls != 3 {
			t.Fatalf("Enrich called %d times, want 3 (not for the message with its own analysis)", calls)
		}
		byExt := map[string]store.StoredMessage{}
		for _, id := range messageIDs(t, st, ws.ID) {
			sm := message(t, st, ws.ID, id)
			byExt[sm.ExternalID] = sm
		}
		for _, ext := range []string{"plain", "titled", "staff"} {
			got := byExt[ext]
			if !analysed(got) || !sameAnalysis(got.Message, expected(a, got)) {
				t.Errorf("%s: stored %+v, want %+v", ext, got.Message, expected(a, got))
			}
		}
		for _, ext := range []string{"plain", "titled"} {
			if got := byExt[ext].Topics; !slices.Equal(got, []string{"Freins"}) {
				t.Errorf("%s: topics %v, want [Freins]", ext, got)
			}
		}
		if s := byExt["staff"]; *s.NeedsResponse || *s.NeedsResponseScore != 0 {
			t.Errorf("staff message needs a response: %v (%v)", *s.NeedsResponse, *s.NeedsResponseScore)
		}
		own := byExt["own"]
		if own.Sentiment != "pos" || own.Lang != "" || own.Spam != nil || own.NeedsResponse != nil || own.Intent != "" {
			t.Errorf("a message imported with its own analysis was changed: %+v", own.Message)
		}
	})
}
