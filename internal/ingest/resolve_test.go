package ingest_test

import (
	"context"
	"testing"
	"time"

	"palabre/internal/ingest"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// TestImportMergesOnVerifiedIdentifiersOnly: the same e-mail address, or
// the same handle on the same network, makes one member at import; the
// same name on two channels does not (it is suggested to a CM instead).
func TestImportMergesOnVerifiedIdentifiersOnly(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "w"})
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		msgs := []model.Message{
			{Channel: "blog", ExternalID: "b1", Body: "one", CreatedAt: at, AuthorName: "Jean Dupont"},
			{Channel: "forum", ExternalID: "f1", Body: "two", CreatedAt: at, AuthorName: "Jean Dupont"},
			{Channel: "forum", ExternalID: "f2", Body: "three", CreatedAt: at, AuthorName: "JEAN DUPONT ", AuthorHandle: "@jd"},
			{Channel: "blog", ExternalID: "b2", Body: "four", CreatedAt: at, AuthorName: "Marie", AuthorEmail: "marie@example.org"},
			{Channel: "forum", ExternalID: "f3", Body: "five", CreatedAt: at, AuthorName: "M. Curie", AuthorEmail: "Marie@Example.org"},
			{Channel: "forum", ExternalID: "f4", Body: "six", CreatedAt: at, AuthorName: "Someone else", AuthorHandle: "jd"},
			{Channel: "blog", ExternalID: "b3", Body: "seven", CreatedAt: at, AuthorName: "Other", AuthorHandle: "jd"},
		}
		sum, err := ingest.Import(ctx, st, ingest.FromMessages(msgs), ingest.Options{Workspace: ws, Channel: "blog"})
		if err != nil {
			t.Fatal(err)
		}
		owner := map[string]string{}
		page, err := st.Conversations(ctx, ws.ID, store.ConversationFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Conversations {
			ms, err := st.ConversationMessages(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				owner[m.ExternalID] = m.MemberID
			}
		}
		if len(owner) != len(msgs) {
			t.Fatalf("messages stored: %v", owner)
		}
		same := func(a, b string) bool { return owner[a] == owner[b] }
		switch {
		case same("b1", "f1"):
			t.Errorf("the same name on the blog and the forum made one member")
		case !same("f2", "f4"):
			t.Errorf("one handle on the forum, two members: %v", owner)
		case !same("b2", "f3"):
			t.Errorf("one e-mail address, two members: %v", owner)
		case same("f4", "b3"):
			t.Errorf("a handle on the forum and the same handle on the blog made one member")
		}
		if sum.Members != 5 {
			t.Errorf("%d members, want 5 (%v)", sum.Members, owner)
		}
		sg, err := st.MemberSuggestions(ctx, ws.ID, owner["b1"], 0)
		if err != nil || len(sg) == 0 || sg[0].Other.ID != owner["f1"] && sg[0].Other.ID != owner["f2"] || sg[0].Evidence[0].Kind != "same_name" {
			t.Errorf("the blog's Jean Dupont is not suggested the forum's: %+v %v", sg, err)
		}
	})
}
