package store_test

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

func newSectorWorkspace(t *testing.T, st *store.Store, slug, sector string) model.Workspace {
	t.Helper()
	w, err := st.CreateWorkspace(context.Background(), model.Workspace{Slug: slug, Sector: sector})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestProfileDefaultAndRoundTrip(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		newWorkspace(t, st, "velo")
		newWorkspace(t, st, "banque")
		lea := newUser(t, st, "lea", false)

		got, err := st.Profile(ctx, lea.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := model.DefaultProfile(lea.ID); !reflect.DeepEqual(got, want) {
			t.Fatalf("default profile %+v, want %+v", got, want)
		}
		if _, err := st.Profile(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("profile of no user: %v", err)
		}

		p := model.Profile{UserID: lea.ID, Languages: []string{"fr", "en"}, TimeZone: "Europe/Paris",
			Hours:    model.WeeklyHours{"mon": {"09:00-12:30", "14:00-18:00"}, "sat": {"10:00-12:00"}},
			Capacity: 20, Status: model.StatusAway,
			Specialisations: []model.Specialisation{
				{Workspace: "velo", Topic: "pneus", Strength: 0.8},
				{Workspace: "banque", Topic: "crédit", Strength: 1},
				{Workspace: "banque", Topic: "agences", Strength: 0.25},
			}}
		before := time.Now().Add(-time.Second)
		if err := st.SetProfile(ctx, p, "test"); err != nil {
			t.Fatal(err)
		}
		got, err = st.Profile(ctx, lea.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.UpdatedAt.Before(before) || got.UpdatedAt.After(time.Now()) {
			t.Errorf("updated_at %v", got.UpdatedAt)
		}
		want := p
		want.UpdatedAt = got.UpdatedAt
		want.Specialisations = []model.Specialisation{ // by workspace, then topic
			{Workspace: "banque", Topic: "agences", Strength: 0.25},
			{Workspace: "banque", Topic: "crédit", Strength: 1},
			{Workspace: "velo", Topic: "pneus", Strength: 0.8},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("profile\n%+v\nwant\n%+v", got, want)
		}

		// Specialisations are replaced, not added to.
		p.Specialisations = []model.Specialisation{{Workspace: "velo", Topic: "freins", Strength: 0.5}}
		p.Languages = nil
		p.Hours = nil
		if err := st.SetProfile(ctx, p, "test"); err != nil {
			t.Fatal(err)
		}
		got, err = st.Profile(ctx, lea.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Specialisations, p.Specialisations) || got.Languages == nil || len(got.Languages) != 0 ||
			got.Hours == nil || len(got.Hours) != 0 {
			t.Fatalf("after replacing: %+v", got)
		}
	})
}

func TestSetProfileRefusals(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		newWorkspace(t, st, "velo")
		lea := newUser(t, st, "lea", false)
		good := model.Profile{UserID: lea.ID, Languages: []string{"fr"}, TimeZone: "UTC", Status: model.StatusAvailable,
			Specialisations: []model.Specialisation{{Workspace: "velo", Topic: "pneus", Strength: 0.5}}}
		if err := st.SetProfile(ctx, good, "test"); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name   string
			change func(p *model.Profile)
			want   string
		}{
			{"language", func(p *model.Profile) { p.Languages = []string{"FR"} }, `language "FR"`},
			{"time zone", func(p *model.Profile) { p.TimeZone = "Mars/Olympus" }, `time zone "Mars/Olympus"`},
			{"weekday", func(p *model.Profile) { p.Hours = model.WeeklyHours{"lun": {"09:00-10:00"}} }, `unknown weekday "lun"`},
			{"overlap", func(p *model.Profile) { p.Hours = model.WeeklyHours{"mon": {"09:00-12:00", "11:00-13:00"}} }, "overlaps"},
			{"capacity", func(p *model.Profile) { p.Capacity = -1 }, "capacity -1"},
			{"status", func(p *model.Profile) { p.Status = "busy" }, `status "busy"`},
			{"strength", func(p *model.Profile) { p.Specialisations[0].Strength = 1.5 }, "strength 1.5"},
			{"workspace", func(p *model.Profile) { p.Specialisations[0].Workspace = "nope" }, `no workspace "nope"`},
		}
		for _, tt := range tests {
			p := good
			p.Specialisations = slices.Clone(good.Specialisations)
			tt.change(&p)
			err := st.SetProfile(ctx, p, "test")
			if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: %v, want ErrInvalid mentioning %q", tt.name, err, tt.want)
			}
		}
		got, err := st.Profile(ctx, lea.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Specialisations, good.Specialisations) || got.Status != model.StatusAvailable {
			t.Errorf("a refused change changed the profile: %+v", got)
		}
		good.UserID = 999999
		if err := st.SetProfile(ctx, good, "test"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("profile of no user: %v", err)
		}
	})
}

func TestSetStatus(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		lea := newUser(t, st, "lea", false)
		// Without a profile, the status makes one with the defaults.
		if err := st.SetStatus(ctx, lea.ID, model.StatusAway, "test"); err != nil {
			t.Fatal(err)
		}
		got, err := st.Profile(ctx, lea.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := model.DefaultProfile(lea.ID)
		want.Status, want.UpdatedAt = model.StatusAway, got.UpdatedAt
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("profile %+v, want %+v", got, want)
		}
		// With a profile, only the status changes.
		p := model.Profile{UserID: lea.ID, Languages: []string{"en"}, TimeZone: "America/Montreal", Capacity: 5, Status: model.StatusAway}
		if err := st.SetProfile(ctx, p, "test"); err != nil {
			t.Fatal(err)
		}
		if err := st.SetStatus(ctx, lea.ID, model.StatusAvailable, "test"); err != nil {
			t.Fatal(err)
		}
		if got, err = st.Profile(ctx, lea.ID); err != nil || got.Status != model.StatusAvailable ||
			got.TimeZone != "America/Montreal" || got.Capacity != 5 || !slices.Equal(got.Languages, []string{"en"}) {
			t.Fatalf("after status: %+v, %v", got, err)
		}
		if err := st.SetStatus(ctx, lea.ID, "gone", "test"); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("bad status: %v", err)
		}
		if err := st.SetStatus(ctx, 999999, model.StatusAway, "test"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("status of no user: %v", err)
		}

		var actions []string
		for _, e := range allEvents(t, db) {
			if strings.HasPrefix(e.Action, "profile.") {
				if e.Subject != "lea" || e.Actor != "test" || e.WorkspaceID != 0 {
					t.Errorf("event %+v", e)
				}
				actions = append(actions, e.Action+" "+e.Detail)
			}
		}
		wantActions := []string{
			`profile.status {"previous":"available","status":"away"}`,
			`profile.update {"capacity":5,"hours":{},"languages":["en"],"specialisations":[],"status":"away","time_zone":"America/Montreal"}`,
			`profile.status {"previous":"away","status":"available"}`,
		}
		if !slices.Equal(actions, wantActions) {
			t.Errorf("events\n%q\nwant\n%q", actions, wantActions)
		}
	})
}

func TestSectorSpread(t *testing.T) {
	t.Parallel()
	forEachEngineRaw(t, func(t *testing.T, st *store.Store, db *sql.DB) {
		ctx := context.Background()
		lea := newUser(t, st, "lea", false)
		roles := []struct{ slug, sector, role string }{
			{"velo", "cycling", model.RoleCM},
			{"velo2", "Cycling ", model.RoleManager}, // the same sector, spelt otherwise
			{"banque", "banking", model.RoleCM},
			{"parfums", "cosmetics", model.RoleManager},
			{"voyages", "travel", model.RoleExpert}, // not worked as a CM
			{"agence", "", model.RoleCM},            // no sector
			{"assur", "insurance", model.RoleOwner},
		}
		for _, r := range roles {
			w := newSectorWorkspace(t, st, r.slug, r.sector)
			if err := st.SetMembership(ctx, lea.ID, w.ID, r.role, "test"); err != nil {
				t.Fatal(err)
			}
		}
		newSectorWorkspace(t, st, "autre", "food") // not lea's
		got, err := st.SectorSpread(ctx, lea.ID)
		if want := []string{"banking", "cosmetics", "cycling"}; err != nil || !slices.Equal(got, want) {
			t.Fatalf("sectors %q, %v; want %q", got, err, want)
		}
		ned := newUser(t, st, "ned", false)
		if got, err := st.SectorSpread(ctx, ned.ID); err != nil || got == nil || len(got) != 0 {
			t.Fatalf("sectors of ned %#v, %v", got, err)
		}
		if _, err := st.SectorSpread(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("sectors of no user: %v", err)
		}

		// Deleting a workspace drops its specialisations; deleting the
		// user drops the profile.
		p := model.Profile{UserID: lea.ID, TimeZone: "UTC", Status: model.StatusAvailable,
			Specialisations: []model.Specialisation{{Workspace: "velo", Topic: "pneus", Strength: 1}, {Workspace: "banque", Topic: "prêts", Strength: 1}}}
		if err := st.SetProfile(ctx, p, "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`DELETE FROM workspaces WHERE slug = 'velo'`); err != nil {
			t.Fatal(err)
		}
		if got, err := st.Profile(ctx, lea.ID); err != nil || len(got.Specialisations) != 1 || got.Specialisations[0].Workspace != "banque" {
			t.Fatalf("after deleting velo: %+v, %v", got, err)
		}
		if _, err := db.Exec(`DELETE FROM users WHERE id = $1`, lea.ID); err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"profiles", "specialisations"} {
			if n := countRows(t, db, `SELECT COUNT(*) FROM `+table+` WHERE user_id = $1`, lea.ID); n != 0 {
				t.Errorf("%d %s of a deleted user", n, table)
			}
		}
	})
}
