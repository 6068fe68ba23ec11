package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"palabre/internal/enrich/topics"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

func names(ts []model.Topic) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}

func TestTopics(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		bank, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "banque"})
		if err != nil {
			t.Fatal(err)
		}
		beauty, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "beaute"})
		if err != nil {
			t.Fatal(err)
		}
		set := func(ws model.Workspace, name string, terms ...string) bool {
			t.Helper()
			created, err := st.SetTopic(ctx, ws.ID, model.Topic{Name: name, Terms: terms}, "cli")
			if err != nil {
				t.Fatalf("set %s/%s: %v", ws.Slug, name, err)
			}
			return created
		}
		if got, err := st.Topics(ctx, bank.ID); err != nil || len(got) != 0 {
			t.Fatalf("no vocabulary yet: %v, %v", got, err)
		}
		// Created in this order; names do not sort that way.
		for _, name := range []string{"Frais", "Carte bancaire", "Agence"} {
			if !set(bank, name, strings.ToLower(name)) {
				t.Fatalf("%s: reported as updated on creation", name)
			}
		}
		if set(bank, "Carte bancaire", "carte bancaire", "CB", "carte bleue") {
			t.Fatal("an update reported as a creation")
		}
		set(beauty, "Crème", "crème", "soin")
		set(beauty, "Frais", "fraîcheur") // same name, other workspace

		got, err := st.Topics(ctx, bank.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []model.Topic{
			{Name: "Frais", Terms: []string{"frais"}},
			{Name: "Carte bancaire", Terms: []string{"carte bancaire", "CB", "carte bleue"}},
			{Name: "Agence", Terms: []string{"agence"}},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("bank topics %v, want %v (creation order, updates in place)", got, want)
		}
		other, err := st.Topics(ctx, beauty.ID)
		if err != nil || !slices.Equal(names(other), []string{"Crème", "Frais"}) || other[1].Terms[0] != "fraîcheur" {
			t.Fatalf("beauty topics %v, %v", other, err)
		}

		// A bad term is refused, and nothing changes.
		_, err = st.SetTopic(ctx, bank.ID, model.Topic{Name: "Frais", Terms: []string{"frais", "!!!"}}, "cli")
		if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), `term "!!!" has no letters or digits`) {
			t.Fatalf("bad term: got %v, want ErrInvalid naming the term", err)
		}
		for _, bad := range []model.Topic{{Name: "", Terms: []string{"a"}}, {Name: "Vide"}, {Name: " Frais", Terms: []string{"a"}}} {
			if _, err := st.SetTopic(ctx, bank.ID, bad, "cli"); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%+v: got %v, want ErrInvalid", bad, err)
			}
		}
		if again, _ := st.Topics(ctx, bank.ID); fmt.Sprint(again) != fmt.Sprint(want) {
			t.Fatalf("a refused change changed the vocabulary: %v", again)
		}
		if _, err := st.SetTopic(ctx, 999999, model.Topic{Name: "X", Terms: []string{"x"}}, "cli"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown workspace: got %v, want ErrNotFound", err)
		}

		if err := st.DeleteTopic(ctx, bank.ID, "Frais", "api"); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteTopic(ctx, bank.ID, "Frais", "api"); !errors.Is(err, store.ErrNotFound) || !strings.Contains(err.Error(), `topic "Frais"`) {
			t.Fatalf("second delete: got %v, want ErrNotFound naming the topic", err)
		}
		if err := st.DeleteTopic(ctx, bank.ID, "Crème", "api"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("another workspace's topic: got %v, want ErrNotFound", err)
		}
		for _, odd := range []string{"", "\xff", "a\x00b"} {
			if err := st.DeleteTopic(ctx, bank.ID, odd, "api"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("delete %q: got %v, want ErrNotFound", odd, err)
			}
			if _, err := st.SetTopic(ctx, bank.ID, model.Topic{Name: odd, Terms: []string{"x"}}, "api"); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("set %q: got %v, want ErrInvalid", odd, err)
			}
		}
		if got, _ := st.Topics(ctx, bank.ID); !slices.Equal(names(got), []string{"Carte bancaire", "Agence"}) {
			t.Fatalf("after delete: %v", got)
		}
		if got, _ := st.Topics(ctx, beauty.ID); !slices.Equal(names(got), []string{"Crème", "Frais"}) {
			t.Fatalf("deleting in one workspace touched another: %v", got)
		}
		// Re-created, a topic comes last.
		set(bank, "Frais", "frais")
		if got, _ := st.Topics(ctx, bank.ID); !slices.Equal(names(got), []string{"Carte bancaire", "Agence", "Frais"}) {
			t.Fatalf("after re-creation: %v", got)
		}

		events, err := st.Events(ctx, bank.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		var log []string
		for _, e := range events {
			log = append(log, e.Actor+" "+e.Action+" "+e.Subject+" "+e.Detail)
		}
		slices.Reverse(log)
		wantLog := []string{
			`cli topic.create Frais {"terms":["frais"]}`,
			`cli topic.create Carte bancaire {"terms":["carte bancaire"]}`,
			`cli topic.create Agence {"terms":["agence"]}`,
			`cli topic.update Carte bancaire {"terms":["carte bancaire","CB","carte bleue"]}`,
			`api topic.delete Frais `,
			`cli topic.create Frais {"terms":["frais"]}`,
		}
		if !slices.Equal(log, wantLog) {
			t.Fatalf("audit log:\n%s\nwant:\n%s", strings.Join(log, "\n"), strings.Join(wantLog, "\n"))
		}
	})
}

// TestTopicsVocabularyLimit checks that what the store keeps compiles, and that
// the vocabulary limit holds for the workspace as a whole.
func TestTopicsVocabularyLimit(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "gros"})
		if err != nil {
			t.Fatal(err)
		}
		other, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "autre"})
		if err != nil {
			t.Fatal(err)
		}
		terms := func(topic, n int) []string {
			out := make([]string, n)
			for i := range out {
				out[i] = fmt.Sprintf("mot%d_%d", topic, i)
			}
			return out
		}
		perTopic := topics.MaxTermsPerTopic
		full := topics.MaxTerms / perTopic
		// Concurrent writers: the limit is checked on the whole vocabulary,
		// one change after another.
		var wg sync.WaitGroup
		errs := make([]error, full+1)
		for i := range full + 1 {
			wg.Go(func() {
				_, errs[i] = st.SetTopic(ctx, ws.ID, model.Topic{Name: fmt.Sprint("t", i), Terms: terms(i, perTopic)}, "cli")
			})
		}
		wg.Wait()
		refused := 0
		for _, err := range errs {
			switch {
			case errors.Is(err, store.ErrInvalid) && strings.Contains(err.Error(), "more than the 5000 allowed"):
				refused++
			case err != nil:
				t.Fatal(err)
			}
		}
		if refused != 1 {
			t.Fatalf("%d writers refused, want exactly 1: %v", refused, errs)
		}
		vocab, err := st.Topics(ctx, ws.ID)
		if err != nil || len(vocab) != full {
			t.Fatalf("%d topics kept, want %d: %v", len(vocab), full, err)
		}
		if _, err := topics.Compile(vocab); err != nil {
			t.Fatalf("the stored vocabulary does not compile: %v", err)
		}
		// Another workspace has its own allowance.
		if _, err := st.SetTopic(ctx, other.ID, model.Topic{Name: "t", Terms: terms(0, perTopic)}, "cli"); err != nil {
			t.Fatalf("another workspace: %v", err)
		}
	})
}
