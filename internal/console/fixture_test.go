package console_test

import (
	"context"
	"testing"
	"time"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/webtest"
)

// agency is the console tests' world: an agency serving two brands, with
// a CM in both, a second CM, a manager, a client and an expert of the
// first brand.
type agency struct {
	st            *store.Store
	base          string
	velo, banque  model.Workspace
	passwords     map[string]string
	panne, samedi int64 // conversations of velo: a complaint and a question
	service       int64 // an English compliment in velo
	agios         int64 // a conversation of banque
	panneComment  int64 // the complaint's message id
}

// newAgency seeds st and serves it.
func newAgency(t *testing.T, st *store.Store) *agency {
	t.Helper()
	ctx := context.Background()
	a := &agency{st: st, passwords: map[string]string{}}
	var err error
	if a.velo, err = st.CreateWorkspace(ctx, model.Workspace{Slug: "velo", Name: "Vélo Atelier", Language: "fr"}); err != nil {
		t.Fatal(err)
	}
	if a.banque, err = st.CreateWorkspace(ctx, model.Workspace{Slug: "banque", Name: "Banque des Alpes", Language: "fr"}); err != nil {
		t.Fatal(err)
	}
	blog, err := st.EnsureChannel(ctx, a.velo.ID, "blog", "wordpress")
	if err != nil {
		t.Fatal(err)
	}
	forum, err := st.EnsureChannel(ctx, a.banque.ID, "forum", "forum")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Add(-time.Hour)
	msg := func(ext, root, author, email, body, lang, sentiment, intent string, at time.Time, staff bool) store.IngestItem {
		needs := !staff
		m := model.Message{ExternalID: ext, ConversationExternalID: root, Kind: model.KindComment, Status: model.StatusApproved,
			AuthorName: author, AuthorEmail: email, AuthorIsStaff: staff, Body: body, CreatedAt: at,
			Lang: lang, Sentiment: sentiment, Intent: intent, NeedsResponse: &needs}
		it := store.IngestItem{Message: m, Root: root, DisplayName: author, NewMemberID: "m-" + email}
		if email != "" {
			it.Identities = []store.IdentityKey{{Key: "email:" + email, Kind: model.IdentityEmail, Value: email}}
		}
		if ext == root {
			it.Message.Kind = model.KindPost
		} else {
			it.Message.ParentExternalID = root
		}
		return it
	}
	veloItems := []store.IngestItem{
		msg("p1", "p1", "Atelier", "", "Nouveau : le vélo électrique Urbain 2.", "fr", "pos", "other", now.Add(-5*time.Hour), true),
		msg("c1", "p1", "Camille Martin", "camille@example.org", "Mon vélo électrique est tombé en panne après deux semaines, je suis très déçue.", "fr", "neg", "complaint", now.Add(-3*time.Hour), false),
		msg("p2", "p2", "Paul Durand", "paul@example.org", "Quand ouvrez-vous le samedi ?", "fr", "neu", "question", now.Add(-2*time.Hour), false),
		msg("p3", "p3", "Sarah Jones", "sarah@example.com", "Great service, thanks a lot!", "en", "pos", "praise", now.Add(-time.Hour), false),
	}
	veloItems[0].Subject = "Le vélo électrique Urbain 2"
	veloItems[2].Subject = "Horaires du samedi"
	veloItems[3].Subject = "Thanks"
	if _, err := st.NewImporter(a.velo, blog).Write(ctx, veloItems); err != nil {
		t.Fatal(err)
	}
	banqueItems := []store.IngestItem{msg("b1", "b1", "Jeanne Roux", "jeanne@example.org", "Pourquoi ces agios sur mon compte ?", "fr", "neg", "complaint", now.Add(-30*time.Minute), false)}
	banqueItems[0].Subject = "Agios"
	if _, err := st.NewImporter(a.banque, forum).Write(ctx, banqueItems); err != nil {
		t.Fatal(err)
	}
	conv := func(ws model.Workspace, ext string) int64 {
		page, err := st.Conversations(ctx, ws.ID, store.ConversationFilter{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Conversations {
			if c.RootExternalID == ext {
				return c.ID
			}
		}
		t.Fatalf("no conversation %s in %s", ext, ws.Slug)
		return 0
	}
	a.panne, a.samedi, a.service, a.agios = conv(a.velo, "p1"), conv(a.velo, "p2"), conv(a.velo, "p3"), conv(a.banque, "b1")
	msgs, err := st.ConversationMessages(ctx, a.panne)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("panne thread: %v, %v", msgs, err)
	}
	a.panneComment = msgs[1].ID
	if _, err := st.SaveCannedReply(ctx, a.velo.ID, model.CannedReply{Name: "Excuses", Language: "fr",
		Body: "Bonjour {{member.first_name | à vous}}, toutes nos excuses : nous revenons vers vous."}, "test"); err != nil {
		t.Fatal(err)
	}
	for login, roles := range map[string]map[int64]string{
		"lea":    {a.velo.ID: model.RoleCM, a.banque.ID: model.RoleCM},
		"hugo":   {a.velo.ID: model.RoleCM},
		"nadia":  {a.velo.ID: model.RoleManager},
		"marc":   {a.velo.ID: model.RoleClient},
		"claire": {a.velo.ID: model.RoleExpert},
	} {
		u, password := webtest.User(t, st, login, false)
		a.passwords[login] = password
		for ws, role := range roles {
			if err := st.SetMembership(ctx, u.ID, ws, role, "test"); err != nil {
				t.Fatal(err)
			}
		}
	}
	a.base = webtest.Start(t, st)
	return a
}

// session signs login in, without a browser.
func (a *agency) session(t *testing.T, login string) *webtest.Session {
	t.Helper()
	return webtest.SignIn(t, a.base, login, a.passwords[login])
}
