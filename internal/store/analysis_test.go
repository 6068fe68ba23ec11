package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"palabre/internal/ingest"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// importTexts creates a workspace holding one conversation per text,
// imported through the ingest path, and returns it with its message ids in
// id order.
func importTexts(t *testing.T, st *store.Store, slug string, texts ...string) (model.Workspace, []int64) {
	t.Helper()
	ctx := context.Background()
	ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: slug})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
	msgs := make([]model.Message, len(texts))
	for i, text := range texts {
		msgs[i] = model.Message{ExternalID: fmt.Sprint(slug, "-", i), Body: text,
			CreatedAt: t0.Add(time.Duration(i) * time.Minute), AuthorName: "ana"}
	}
	sum, err := ingest.Import(ctx, st, ingest.FromMessages(msgs), ingest.Options{Workspace: ws, Channel: "blog"})
	if err != nil || sum.Inserted != len(texts) {
		t.Fatalf("import into %s: %+v, %v", slug, sum, err)
	}
	inputs, err := st.AnalysisInputs(ctx, ws.ID, 0, 1000)
	if err != nil || len(inputs) != len(texts) {
		t.Fatalf("analysis inputs of %s: %d, %v", slug, len(inputs), err)
	}
	ids := make([]int64, len(inputs))
	for i, in := range inputs {
		ids[i] = in.ID
	}
	return ws, ids
}

// actions lists a workspace's audit log, oldest first, as
// "actor action subject".
func actions(t *testing.T, st *store.Store, workspaceID int64, action string) []model.Event {
	t.Helper()
	evs, err := st.Events(context.Background(), workspaceID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []model.Event
	for _, e := range evs {
		if e.Action == action {
			out = append(out, e)
		}
	}
	slices.Reverse(out)
	return out
}

func message(t *testing.T, st *store.Store, workspaceID, id int64) store.StoredMessage {
	t.Helper()
	m, err := st.Message(context.Background(), workspaceID, id)
	if err != nil {
		t.Fatalf("message %d: %v", id, err)
	}
	return m
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestAnalysisCorrection(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws, ids := importTexts(t, st, "velo", "Mon frein couine", "Super vélo, merci", "Horaires samedi ?")
		other, otherIDs := importTexts(t, st, "banque", "Ma carte est bloquée")

		cases := []struct {
			msg          int
			field, value string
			want         store.CorrectedFields // all the message's corrected fields afterwards
			check        func(m store.StoredMessage) bool
		}{
			{0, "sentiment", "pos", store.CorrectedSentiment, func(m store.StoredMessage) bool {
				return m.Sentiment == "pos" && deref(m.SentimentScore) == 1.0
			}},
			{0, "spam", "true", store.CorrectedSentiment | store.CorrectedSpam, func(m store.StoredMessage) bool {
				return deref(m.Spam) == true && deref(m.SpamScore) == 1.0 && m.Sentiment == "pos"
			}},
			{0, "spam", "false", store.CorrectedSentiment | store.CorrectedSpam, func(m store.StoredMessage) bool {
				return deref(m.Spam) == false && deref(m.SpamScore) == 0.0
			}},
			{1, "sentiment", "neg", store.CorrectedSentiment, func(m store.StoredMessage) bool {
				return m.Sentiment == "neg" && deref(m.SentimentScore) == -1.0
			}},
			{1, "sentiment", "neu", store.CorrectedSentiment, func(m store.StoredMessage) bool {
				return m.Sentiment == "neu" && deref(m.SentimentScore) == 0.0
			}},
			{1, "intent", "complaint", store.CorrectedSentiment | store.CorrectedIntent, func(m store.StoredMessage) bool {
				return m.Intent == "complaint" && m.Sentiment == "neu"
			}},
			{2, "needs_response", "true", store.CorrectedNeedsResponse, func(m store.StoredMessage) bool {
				return deref(m.NeedsResponse) == true && deref(m.NeedsResponseScore) == 1.0
			}},
			{2, "needs_response", "false", store.CorrectedNeedsResponse, func(m store.StoredMessage) bool {
				return deref(m.NeedsResponse) == false && deref(m.NeedsResponseScore) == 0.0
			}},
		}
		for i, c := range cases {
			got, err := st.AddCorrection(ctx, store.Correction{WorkspaceID: ws.ID, MessageID: ids[c.msg],
				Field: c.field, OldValue: "old", NewValue: c.value, Text: fmt.Sprint("text ", i), Actor: "cli:ana"})
			if err != nil {
				t.Fatalf("correct %s=%s: %v", c.field, c.value, err)
			}
			if got.ID == 0 || got.CreatedAt.IsZero() {
				t.Fatalf("correction %+v: no id or time", got)
			}
			m := message(t, st, ws.ID, ids[c.msg])
			if m.Corrected != c.want || !c.check(m) {
				t.Fatalf("after %s=%s: corrected %q, sentiment %q (%v), intent %q, spam %v (%v), needs %v (%v)",
					c.field, c.value, m.Corrected, m.Sentiment, deref(m.SentimentScore), m.Intent,
					deref(m.Spam), deref(m.SpamScore), deref(m.NeedsResponse), deref(m.NeedsResponseScore))
			}
		}
		if m := message(t, st, ws.ID, ids[2]); m.Corrected.String() != "needs_response" {
			t.Fatalf("corrected fields shown as %q", m.Corrected)
		}

		// Listed in the order made, with everything kept.
		list, err := st.Corrections(ctx, ws.ID)
		if err != nil || len(list) != len(cases) {
			t.Fatalf("corrections: %d, %v", len(list), err)
		}
		for i, c := range list {
			want := cases[i]
			if c.WorkspaceID != ws.ID || c.MessageID != ids[want.msg] || c.Field != want.field || c.NewValue != want.value ||
				c.OldValue != "old" || c.Text != fmt.Sprint("text ", i) || c.Actor != "cli:ana" || c.CreatedAt.IsZero() {
				t.Fatalf("correction %d: %+v, want %s=%s on message %d", i, c, want.field, want.value, ids[want.msg])
			}
			if i > 0 && c.ID <= list[i-1].ID {
				t.Fatalf("corrections out of order: %d after %d", c.ID, list[i-1].ID)
			}
		}

		// Each correction is in the audit log.
		evs := actions(t, st, ws.ID, "analysis.correct")
		if len(evs) != len(cases) {
			t.Fatalf("%d analysis.correct events, want %d", len(evs), len(cases))
		}
		for i, e := range evs {
			var detail map[string]string
			if err := json.Unmarshal([]byte(e.Detail), &detail); err != nil {
				t.Fatalf("event detail %q: %v", e.Detail, err)
			}
			want := cases[i]
			if e.Actor != "cli:ana" || e.Subject != fmt.Sprint("message ", ids[want.msg]) ||
				detail["field"] != want.field || detail["new"] != want.value || detail["old"] != "old" {
				t.Fatalf("event %d: %+v", i, e)
			}
		}

		// A correction without a message is kept for learning only.
		free, err := st.AddCorrection(ctx, store.Correction{WorkspaceID: ws.ID, Field: "intent", NewValue: "praise",
			Text: "bravo", Actor: "api"})
		if err != nil {
			t.Fatal(err)
		}
		if list, _ := st.Corrections(ctx, ws.ID); len(list) != len(cases)+1 || list[len(list)-1].MessageID != 0 {
			t.Fatalf("free correction listed as %+v", list[len(list)-1])
		}
		if evs := actions(t, st, ws.ID, "analysis.correct"); evs[len(evs)-1].Subject != fmt.Sprint("correction ", free.ID) {
			t.Fatalf("free correction event: %+v", evs[len(evs)-1])
		}

		// Another workspace's message: not found, and nothing stored anywhere.
		before := message(t, st, other.ID, otherIDs[0])
		_, err = st.AddCorrection(ctx, store.Correction{WorkspaceID: ws.ID, MessageID: otherIDs[0],
			Field: "sentiment", NewValue: "pos", Text: "x", Actor: "cli"})
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another workspace's message: got %v, want ErrNotFound", err)
		}
		_, err = st.AddCorrection(ctx, store.Correction{WorkspaceID: ws.ID, MessageID: 987654321,
			Field: "sentiment", NewValue: "pos", Text: "x", Actor: "cli"})
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown message: got %v, want ErrNotFound", err)
		}
		after := message(t, st, other.ID, otherIDs[0])
		if after.Corrected != 0 || after.Sentiment != before.Sentiment || deref(after.SentimentScore) != deref(before.SentimentScore) {
			t.Fatalf("another workspace's message changed: %+v", after)
		}
		if list, _ := st.Corrections(ctx, ws.ID); len(list) != len(cases)+1 {
			t.Fatalf("a refused correction was stored: %d corrections", len(list))
		}
		if list, _ := st.Corrections(ctx, other.ID); len(list) != 0 {
			t.Fatalf("corrections appeared in the other workspace: %+v", list)
		}
		if evs := actions(t, st, ws.ID, "analysis.correct"); len(evs) != len(cases)+1 {
			t.Fatalf("a refused correction was logged: %d events", len(evs))
		}
		if evs := actions(t, st, other.ID, "analysis.correct"); len(evs) != 0 {
			t.Fatalf("the other workspace's log changed: %+v", evs)
		}

		// Bad fields and values change nothing. The stored values are
		// exactly those the workspace model can learn from: anything else
		// would break every later replay of the workspace's corrections.
		bad := []store.Correction{
			{Field: "lang", NewValue: "fr"},
			{Field: "", NewValue: "pos"},
			{Field: "Sentiment", NewValue: "pos"},
			{Field: "sentiment", NewValue: "angry"},
			{Field: "sentiment", NewValue: ""},
			{Field: "intent", NewValue: "rant"},
			{Field: "spam", NewValue: "maybe"},
			{Field: "spam", NewValue: "1"},
			{Field: "needs_response", NewValue: "yes"},
			{Field: "sentiment", NewValue: "pos", Actor: "-"}, // no actor, see below
		}
		for i, c := range bad {
			c.WorkspaceID, c.MessageID, c.Text, c.Actor = ws.ID, ids[1], "x", "cli"
			if i == len(bad)-1 {
				c.Actor = ""
			}
			if _, err := st.AddCorrection(ctx, c); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s=%q actor %q: got %v, want ErrInvalid", c.Field, c.NewValue, c.Actor, err)
			}
		}
		if m := message(t, st, ws.ID, ids[1]); m.Sentiment != "neu" || m.Intent != "complaint" {
			t.Fatalf("a refused correction changed the message: %+v", m)
		}
		if list, _ := st.Corrections(ctx, ws.ID); len(list) != len(cases)+1 {
			t.Fatalf("refused corrections were stored: %d", len(list))
		}
	})
}

func TestAnalysisMessageIsolation(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws, ids := importTexts(t, st, "velo", "Mon frein couine")
		other, otherIDs := importTexts(t, st, "banque", "Ma carte est bloquée")
		m, err := st.Message(ctx, ws.ID, ids[0])
		if err != nil || m.ID != ids[0] || m.Body != "Mon frein couine" || m.Channel != "blog" || m.Corrected != 0 {
			t.Fatalf("own message: %+v, %v", m, err)
		}
		for _, c := range []struct{ ws, id int64 }{{ws.ID, otherIDs[0]}, {other.ID, ids[0]}, {ws.ID, 0}, {ws.ID, 987654321}} {
			if _, err := st.Message(ctx, c.ws, c.id); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("workspace %d, message %d: got %v, want ErrNotFound", c.ws, c.id, err)
			}
		}
		if n, err := st.CountMessages(ctx, ws.ID); err != nil || n != 1 {
			t.Fatalf("count: %d, %v", n, err)
		}
	})
}

func TestAnalysisSaveKeepsCorrections(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws, ids := importTexts(t, st, "velo", "Mon frein couine", "Super vélo", "Horaires ?")
		other, otherIDs := importTexts(t, st, "banque", "Ma carte est bloquée")
		for _, c := range []struct{ field, value string }{{"sentiment", "pos"}, {"spam", "false"}, {"needs_response", "true"}} {
			if _, err := st.AddCorrection(ctx, store.Correction{WorkspaceID: ws.ID, MessageID: ids[0],
				Field: c.field, NewValue: c.value, Text: "Mon frein couine", Actor: "cli"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.AddCorrection(ctx, store.Correction{WorkspaceID: ws.ID, MessageID: ids[1],
			Field: "intent", NewValue: "praise", Text: "Super vélo", Actor: "cli"}); err != nil {
			t.Fatal(err)
		}

		f := func(v float64) *float64 { return &v }
		b := func(v bool) *bool { return &v }
		computed := model.Message{Lang: "en", LangConfidence: f(0.75), Sentiment: "neg", SentimentScore: f(-0.5),
			Intent: "complaint", NeedsResponse: b(false), NeedsResponseScore: f(0.25), Spam: b(true), SpamScore: f(0.875),
			Topics: []string{"Freins", "Atelier"}}
		rows := []store.Analysis{{ID: ids[0], Message: computed}, {ID: ids[1], Message: computed},
			{ID: ids[2], Message: computed}, {ID: otherIDs[0], Message: computed}}
		if err := st.SaveAnalyses(ctx, ws.ID, rows, store.Reanalysis{Version: "v1", LastID: ids[2], Done: 3, Total: 3}); err != nil {
			t.Fatal(err)
		}

		type view struct {
			Lang, Sentiment, Intent string
			LangConf, SentScore     any
			Needs, NeedsScore       any
			Spam, SpamScore         any
			Topics                  string
		}
		see := func(m store.StoredMessage) view {
			return view{m.Lang, m.Sentiment, m.Intent, deref(m.LangConfidence), deref(m.SentimentScore),
				deref(m.NeedsResponse), deref(m.NeedsResponseScore), deref(m.Spam), deref(m.SpamScore), fmt.Sprint(m.Topics)}
		}
		all := view{"en", "neg", "complaint", 0.75, -0.5, false, 0.25, true, 0.875, "[Freins Atelier]"}
		want := map[int64]view{
			// Corrected: sentiment, spam, needs_response (with their scores).
			ids[0]: {"en", "pos", "complaint", 0.75, 1.0, true, 1.0, false, 0.0, "[Freins Atelier]"},
			// Corrected: intent.
			ids[1]: {"en", "neg", "praise", 0.75, -0.5, false, 0.25, true, 0.875, "[Freins Atelier]"},
			ids[2]: all,
		}
		for id, w := range want {
			if got := see(message(t, st, ws.ID, id)); got != w {
				t.Errorf("message %d:\n got %+v\nwant %+v", id, got, w)
			}
		}
		if m := message(t, st, ws.ID, ids[0]); m.Corrected != store.CorrectedSentiment|store.CorrectedSpam|store.CorrectedNeedsResponse {
			t.Errorf("corrected fields lost: %q", m.Corrected)
		}
		// A row naming another workspace's message is not written.
		if m := message(t, st, other.ID, otherIDs[0]); m.Lang != "" || m.Sentiment != "" || m.Spam != nil || m.Topics != nil {
			t.Errorf("another workspace's message was analysed: %+v", see(m))
		}

		// Analysing again without topics clears them; null scores stay null.
		if err := st.SaveAnalyses(ctx, ws.ID, []store.Analysis{{ID: ids[2], Message: model.Message{Lang: "fr", Sentiment: "neu"}}},
			store.Reanalysis{Version: "v1", LastID: ids[2], Done: 3, Total: 3}); err != nil {
			t.Fatal(err)
		}
		if got := see(message(t, st, ws.ID, ids[2])); got != (view{Lang: "fr", Sentiment: "neu", Topics: "[]"}) {
			t.Errorf("second analysis: %+v", got)
		}
	})
}

func TestAnalysisReanalysisCheckpoint(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws, ids := importTexts(t, st, "velo", "un", "deux", "trois")
		other, _ := importTexts(t, st, "banque", "quatre")

		if _, ok, err := st.ReanalysisState(ctx, ws.ID); ok || err != nil {
			t.Fatalf("state before any run: %v, %v", ok, err)
		}
		steps := []store.Reanalysis{
			{Version: "v1", LastID: ids[0], Done: 1, Total: 3},
			{Version: "v1", LastID: ids[1], Done: 2, Total: 3},
			{Version: "v2", LastID: ids[0], Done: 1, Total: 4}, // a new run replaces the old one
		}
		for _, cp := range steps {
			if err := st.SaveAnalyses(ctx, ws.ID, nil, cp); err != nil {
				t.Fatal(err)
			}
			got, ok, err := st.ReanalysisState(ctx, ws.ID)
			if err != nil || !ok || got != cp {
				t.Fatalf("state: %+v %v %v, want %+v", got, ok, err, cp)
			}
		}
		if _, ok, _ := st.ReanalysisState(ctx, other.ID); ok {
			t.Fatal("another workspace has a checkpoint")
		}

		if err := st.FinishReanalysis(ctx, ws.ID, "cli:ana", store.Reanalysis{Version: "v2", Done: 3}); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := st.ReanalysisState(ctx, ws.ID); ok || err != nil {
			t.Fatalf("state after finishing: %+v %v %v", got, ok, err)
		}
		evs := actions(t, st, ws.ID, "analysis.reanalyze")
		if len(evs) != 1 || evs[0].Actor != "cli:ana" || evs[0].Detail != `{"messages":3,"version":"v2"}` {
			t.Fatalf("reanalyze events: %+v", evs)
		}
		if evs := actions(t, st, other.ID, "analysis.reanalyze"); len(evs) != 0 {
			t.Fatalf("other workspace's log: %+v", evs)
		}
		// Finishing without a checkpoint (nothing to resume) is fine too.
		if err := st.FinishReanalysis(ctx, other.ID, "cli", store.Reanalysis{Version: "v2", Done: 1}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestAnalysisStamp(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws, ids := importTexts(t, st, "velo", "Mon frein couine")
		other, _ := importTexts(t, st, "banque", "Ma carte est bloquée")
		stamp := func(id int64) string {
			t.Helper()
			s, err := st.AnalysisStamp(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		otherStamp := stamp(other.ID)
		seen := map[string]string{stamp(ws.ID): "start"}
		if again := stamp(ws.ID); seen[again] != "start" {
			t.Fatalf("stamp changed without a change: %s", again)
		}
		changes := []struct {
			name string
			do   func() error
		}{
			{"correction", func() error {
				_, err := st.AddCorrection(ctx, store.Correction{WorkspaceID: ws.ID, MessageID: ids[0],
					Field: "sentiment", NewValue: "neg", Text: "Mon frein couine", Actor: "cli"})
				return err
			}},
			{"second correction", func() error {
				_, err := st.AddCorrection(ctx, store.Correction{WorkspaceID: ws.ID, Field: "intent", NewValue: "question",
					Text: "Horaires ?", Actor: "cli"})
				return err
			}},
			{"topic created", func() error {
				_, err := st.SetTopic(ctx, ws.ID, model.Topic{Name: "Freins", Terms: []string{"frein"}}, "cli")
				return err
			}},
			{"topic updated", func() error {
				_, err := st.SetTopic(ctx, ws.ID, model.Topic{Name: "Freins", Terms: []string{"frein", "patin"}}, "cli")
				return err
			}},
			{"second topic", func() error {
				_, err := st.SetTopic(ctx, ws.ID, model.Topic{Name: "Atelier", Terms: []string{"atelier"}}, "cli")
				return err
			}},
			{"topic deleted", func() error { return st.DeleteTopic(ctx, ws.ID, "Freins", "cli") }},
		}
		for _, c := range changes {
			if err := c.do(); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			s := stamp(ws.ID)
			if prev, ok := seen[s]; ok {
				t.Fatalf("after %s the stamp is %s, as after %s", c.name, s, prev)
			}
			seen[s] = c.name
		}
		if got := stamp(other.ID); got != otherStamp {
			t.Fatalf("another workspace's stamp changed: %s → %s", otherStamp, got)
		}
	})
}
