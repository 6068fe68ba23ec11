package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"palabre/internal/model"
	"palabre/internal/store"
)

// cannedKeys lists canned replies as "name/language".
func cannedKeys(cs []model.CannedReply) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name + "/" + c.Language
	}
	return out
}

func TestCannedRepliesSaveListDelete(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		ws, other := newWorkspace(t, st, "velo"), newWorkspace(t, st, "banque")

		saved := map[string]model.CannedReply{}
		for _, c := range []model.CannedReply{
			{Name: "Merci", Language: "fr", Body: "Merci {{name}} !"},
			{Name: "Merci", Language: "", Body: "Thanks / merci"},
			{Name: "Bonjour", Language: "en", Body: "Hello"},
			{Name: "Adieu", Language: "fr", Body: "Au revoir"},
		} {
			got, err := st.SaveCannedReply(ctx, ws.ID, c, "lea")
			if err != nil {
				t.Fatalf("save %s/%s: %v", c.Name, c.Language, err)
			}
			if got.ID == 0 || got.Name != c.Name || got.Language != c.Language || got.Body != c.Body ||
				got.UsageCount != 0 || got.CreatedAt.IsZero() || !got.UpdatedAt.Equal(got.CreatedAt) {
				t.Fatalf("saved %+v, from %+v", got, c)
			}
			saved[c.Name+"/"+c.Language] = got
		}
		// The same name in another workspace is no conflict.
		theirs, err := st.SaveCannedReply(ctx, other.ID, model.CannedReply{Name: "Merci", Language: "fr", Body: "Merci"}, "max")
		if err != nil {
			t.Fatal(err)
		}

		for _, tc := range []struct {
			language string
			want     string
		}{
			{"", "Adieu/fr Bonjour/en Merci/ Merci/fr"},
			{"fr", "Adieu/fr Merci/ Merci/fr"},
			{"en", "Bonjour/en Merci/"},
			{"de", "Merci/"},
		} {
			got, err := st.CannedReplies(ctx, ws.ID, tc.language)
			if err != nil {
				t.Fatal(err)
			}
			if keys := strings.Join(cannedKeys(got), " "); keys != tc.want {
				t.Errorf("canned replies in %q: %s, want %s", tc.language, keys, tc.want)
			}
		}
		if got, err := st.CannedReplies(ctx, other.ID, ""); err != nil || len(got) != 1 || got[0].ID != theirs.ID {
			t.Fatalf("other workspace's canned replies %+v %v", got, err)
		}
		if got, err := st.CannedReplies(ctx, newWorkspace(t, st, "vide").ID, "fr"); err != nil || got == nil || len(got) != 0 {
			t.Fatalf("empty workspace: %#v %v, want an empty, non-nil list", got, err)
		}

		// Unique per workspace, name and language, on create and on update.
		if _, err := st.SaveCannedReply(ctx, ws.ID, model.CannedReply{Name: "Merci", Language: "fr", Body: "encore"}, "lea"); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate create: %v, want ErrConflict", err)
		}
		adieu := saved["Adieu/fr"]
		if _, err := st.SaveCannedReply(ctx, ws.ID, model.CannedReply{ID: adieu.ID, Name: "Merci", Language: "fr", Body: "x"}, "lea"); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("rename onto another: %v, want ErrConflict", err)
		}

		// Update keeps the id and creation time.
		upd, err := st.SaveCannedReply(ctx, ws.ID, model.CannedReply{ID: adieu.ID, Name: "Adieu", Language: "", Body: "Bye"}, "max")
		if err != nil {
			t.Fatal(err)
		}
		if upd.ID != adieu.ID || upd.Name != "Adieu" || upd.Language != "" || upd.Body != "Bye" ||
			!upd.CreatedAt.Equal(adieu.CreatedAt) || upd.UpdatedAt.Before(adieu.CreatedAt) {
			t.Fatalf("updated %+v, was %+v", upd, adieu)
		}
		if got, err := st.CannedReply(ctx, ws.ID, adieu.ID); err != nil || got != upd {
			t.Fatalf("read back %+v %v, want %+v", got, err, upd)
		}

		// Another workspace's reply can be neither read, updated nor deleted.
		if _, err := st.CannedReply(ctx, ws.ID, theirs.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("read another workspace's: %v, want ErrNotFound", err)
		}
		if _, err := st.SaveCannedReply(ctx, ws.ID, model.CannedReply{ID: theirs.ID, Name: "Volé", Body: "x"}, "lea"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("update another workspace's: %v, want ErrNotFound", err)
		}
		if _, err := st.SaveCannedReply(ctx, ws.ID, model.CannedReply{ID: 999999, Name: "Nulle part", Body: "x"}, "lea"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("update a missing one: %v, want ErrNotFound", err)
		}
		if err := st.DeleteCannedReply(ctx, ws.ID, theirs.ID, "lea"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete another workspace's: %v, want ErrNotFound", err)
		}
		if got, err := st.CannedReply(ctx, other.ID, theirs.ID); err != nil || got != theirs {
			t.Fatalf("the other workspace's reply changed: %+v %v", got, err)
		}

		merci := saved["Merci/fr"]
		if err := st.DeleteCannedReply(ctx, ws.ID, merci.ID, "max"); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteCannedReply(ctx, ws.ID, merci.ID, "max"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete twice: %v, want ErrNotFound", err)
		}
		if _, err := st.CannedReply(ctx, ws.ID, merci.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("read deleted: %v, want ErrNotFound", err)
		}
		// Its name and language are free again.
		if _, err := st.SaveCannedReply(ctx, ws.ID, model.CannedReply{Name: "Merci", Language: "fr", Body: "de nouveau"}, "lea"); err != nil {
			t.Fatalf("re-create after delete: %v", err)
		}

		// The audit log: one event per successful change, none for refusals.
		type ev struct{ actor, subject, detail string }
		want := map[string][]ev{
			"canned.create": {
				{"lea", "Merci", fmt.Sprintf(`{"id":%d,"language":"fr"}`, saved["Merci/fr"].ID)},
				{"lea", "Merci", fmt.Sprintf(`{"id":%d,"language":""}`, saved["Merci/"].ID)},
				{"lea", "Bonjour", fmt.Sprintf(`{"id":%d,"language":"en"}`, saved["Bonjour/en"].ID)},
				{"lea", "Adieu", fmt.Sprintf(`{"id":%d,"language":"fr"}`, adieu.ID)},
			},
			"canned.update": {{"max", "Adieu", fmt.Sprintf(`{"id":%d,"language":""}`, adieu.ID)}},
			"canned.delete": {{"max", "Merci", fmt.Sprintf(`{"id":%d}`, merci.ID)}},
		}
		for action, evs := range want {
			got := actions(t, st, ws.ID, action)
			if action == "canned.create" {
				got = got[:len(got)-1] // the re-creation after the delete
			}
			if len(got) != len(evs) {
				t.Fatalf("%s events %+v, want %d", action, got, len(evs))
			}
			for i, e := range got {
				if e.Actor != evs[i].actor || e.Subject != evs[i].subject || e.Detail != evs[i].detail || e.WorkspaceID != ws.ID {
					t.Errorf("%s event %d: %+v, want %+v", action, i, e, evs[i])
				}
			}
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM events WHERE workspace_id = $1 AND action LIKE 'canned.%'`, other.ID); n != 1 {
			t.Fatalf("other workspace has %d canned events, want its one create", n)
		}
	})
}

func TestCannedReplyRefusals(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		ws := newWorkspace(t, st, "velo")
		for name, c := range map[string]model.CannedReply{
			"empty name":       {Name: "", Body: "b"},
			"blank name":       {Name: "  \t", Body: "b"},
			"long name":        {Name: strings.Repeat("é", model.MaxCannedNameLen+1), Body: "b"},
			"invalid name":     {Name: "a\xff", Body: "b"},
			"upper language":   {Name: "n", Language: "FR", Body: "b"},
			"three letters":    {Name: "n", Language: "fra", Body: "b"},
			"region":           {Name: "n", Language: "fr-FR", Body: "b"},
			"empty body":       {Name: "n", Body: ""},
			"blank body":       {Name: "n", Body: " \n "},
			"long body":        {Name: "n", Body: strings.Repeat("a", model.MaxReplyLen+1)},
			"invalid body":     {Name: "n", Body: "ok \xc3"},
			"update, no name":  {ID: 1, Name: "", Body: "b"},
			"update, bad lang": {ID: 1, Name: "n", Language: "x", Body: "b"},
		} {
			if _, err := st.SaveCannedReply(ctx, ws.ID, c, "lea"); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}
		// The longest allowed pass.
		long := model.CannedReply{Name: strings.Repeat("é", model.MaxCannedNameLen), Language: "fr", Body: strings.Repeat("a", model.MaxReplyLen)}
		if got, err := st.SaveCannedReply(ctx, ws.ID, long, "lea"); err != nil || got.Name != long.Name || got.Body != long.Body {
			t.Fatalf("longest allowed: %v", err)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM canned_replies`); n != 1 {
			t.Fatalf("%d canned replies stored, want only the valid one", n)
		}
		if n := countRows(t, db, `SELECT COUNT(*) FROM events WHERE action LIKE 'canned.%'`); n != 1 {
			t.Fatalf("%d canned events, want only the valid one's", n)
		}
	})
}
