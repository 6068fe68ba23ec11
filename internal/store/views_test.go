package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

func TestSavedViews(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		lea, err := st.CreateUser(ctx, model.User{Login: "lea"}, "x", "test")
		if err != nil {
			t.Fatal(err)
		}
		max, err := st.CreateUser(ctx, model.User{Login: "max"}, "x", "test")
		if err != nil {
			t.Fatal(err)
		}
		neg, err := st.SaveView(ctx, lea.ID, " Angry ", "view=mine&sentiment=neg")
		if err != nil || neg.Name != "Angry" || neg.Query != "view=mine&sentiment=neg" || neg.ID == 0 || neg.CreatedAt.IsZero() {
			t.Fatalf("save: %+v, %v", neg, err)
		}
		if _, err := st.SaveView(ctx, lea.ID, "Bikes", "?topic=velo"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SaveView(ctx, max.ID, "Angry", "sentiment=neg"); err != nil {
			t.Fatal(err)
		}
		again, err := st.SaveView(ctx, lea.ID, "Angry", "sentiment=neg&status=open")
		if err != nil || again.ID != neg.ID || again.Query != "sentiment=neg&status=open" {
			t.Errorf("save under the same name: %+v, %v", again, err)
		}
		views, err := st.SavedViews(ctx, lea.ID)
		if err != nil || len(views) != 2 || views[0].Name != "Angry" || views[0].Query != "sentiment=neg&status=open" ||
			views[1].Name != "Bikes" || views[1].Query != "topic=velo" {
			t.Errorf("lea's views: %+v, %v", views, err)
		}
		if views, err := st.SavedViews(ctx, max.ID); err != nil || len(views) != 1 || views[0].Query != "sentiment=neg" {
			t.Errorf("max's views: %+v, %v", views, err)
		}
		if err := st.DeleteSavedView(ctx, max.ID, neg.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("delete another user's view: %v", err)
		}
		if err := st.DeleteSavedView(ctx, lea.ID, neg.ID); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteSavedView(ctx, lea.ID, neg.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("delete twice: %v", err)
		}
		if views, _ := st.SavedViews(ctx, lea.ID); len(views) != 1 || views[0].Name != "Bikes" {
			t.Errorf("after delete: %+v", views)
		}
		for _, c := range []struct{ name, query string }{
			{"", "a=b"}, {"  ", "a=b"}, {strings.Repeat("é", model.MaxSavedViewName+1), "a=b"},
			{"tab\there", "a=b"}, {"long", strings.Repeat("a", model.MaxSavedViewQuery+1)}, {"bad", "a=\xff"},
		} {
			if _, err := st.SaveView(ctx, lea.ID, c.name, c.query); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("save %.20q %.20q: %v", c.name, c.query, err)
			}
		}
		if _, err := st.SaveView(ctx, lea.ID, strings.Repeat("é", model.MaxSavedViewName), strings.Repeat("a", model.MaxSavedViewQuery)); err != nil {
			t.Errorf("longest name and query: %v", err)
		}
	})
}

func TestUILanguage(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		u, err := st.CreateUser(ctx, model.User{Login: "lea"}, "x", "test")
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := st.UserByID(ctx, u.ID); got.UILanguage != "" {
			t.Errorf("new user's language %q", got.UILanguage)
		}
		if err := st.SetUILanguage(ctx, u.ID, "fr", "lea"); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.UserByLogin(ctx, "lea"); got.UILanguage != "fr" {
			t.Errorf("by login: %q", got.UILanguage)
		}
		if err := st.CreateSession(ctx, "hash", u.ID, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got, _, err := st.SessionUser(ctx, "hash", time.Now()); err != nil || got.UILanguage != "fr" {
			t.Errorf("session user: %+v, %v", got, err)
		}
		if err := st.SetUILanguage(ctx, u.ID, "", "lea"); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.UserByID(ctx, u.ID); got.UILanguage != "" {
			t.Errorf("back to the browser's: %q", got.UILanguage)
		}
		if err := st.SetUILanguage(ctx, u.ID, "de", "lea"); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("de: %v", err)
		}
		if err := st.SetUILanguage(ctx, u.ID+100, "en", "lea"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("no such user: %v", err)
		}
	})
}
