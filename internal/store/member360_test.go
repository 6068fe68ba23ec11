package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"palabre/internal/metrics"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

func TestMemberIdentityGroupsAndChannels(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newPeopleWorld(t, st, "velo")
		forum, err := st.EnsureChannel(ctx, w.ws.ID, "forum", "discourse")
		if err != nil {
			t.Fatal(err)
		}
		// Ana on the forum: same e-mail (one member), a handle there, a web page.
		writeTo(t, st, w.ws, forum, "https://ana.example.org/",
			authored{ext: "f1", root: "f1", email: "ana@example.org", handle: "ana_f", name: "Ana F.", at: pt0.Add(90 * 24 * time.Hour)})
		groups, err := st.MemberIdentityGroups(ctx, w.ws.ID, w.ana)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, g := range groups {
			got = append(got, g.Kind+"/"+g.Channel+"="+strings.Join(g.Values, ","))
		}
		want := "email/=ana@example.org handle/forum=ana_f url/forum=https://ana.example.org/ name/blog=Ana name/forum=Ana F."
		if strings.Join(got, " ") != want {
			t.Errorf("identity groups:\n got %s\nwant %s", strings.Join(got, " "), want)
		}
		chans, err := st.MemberChannels(ctx, w.ws.ID, w.ana)
		if err != nil || len(chans) != 2 {
			t.Fatalf("channels: %+v %v", chans, err)
		}
		if c := chans[0]; c.Channel != "blog" || c.Kind != "wordpress" || c.Messages != 2 || !c.FirstSeenAt.Equal(pt0) || !c.LastSeenAt.Equal(pt0.Add(30*24*time.Hour)) {
			t.Errorf("blog: %+v", c)
		}
		if c := chans[1]; c.Channel != "forum" || c.Messages != 1 {
			t.Errorf("forum: %+v", c)
		}
		if _, err := st.MemberChannels(ctx, w.ws.ID, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown member: %v", err)
		}
		if _, err := st.MemberIdentityGroups(ctx, w.ws.ID, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown member: %v", err)
		}
	})
}

func TestMemberFields(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newPeopleWorld(t, st, "velo")
		fields, err := st.SetMemberFields(ctx, w.ws.ID, w.ana, map[string]string{" Customer   id ": "C-42", "city": "Lyon"}, nil, "cm", pt0)
		if err != nil || len(fields) != 2 || fields[0].Key != "Customer id" || fields[0].Value != "C-42" || fields[1].Key != "city" || !fields[1].UpdatedAt.Equal(pt0) {
			t.Fatalf("set: %+v %v", fields, err)
		}
		fields, err = st.SetMemberFields(ctx, w.ws.ID, w.ana, map[string]string{"city": "Lille"}, []string{"customer id", "Customer id"}, "cm", pt0.Add(time.Hour))
		if err != nil || len(fields) != 1 || fields[0].Value != "Lille" {
			t.Fatalf("change and remove: %+v %v", fields, err)
		}
		// Nothing changes: no event.
		if _, err := st.SetMemberFields(ctx, w.ws.ID, w.ana, map[string]string{"city": "Lille"}, []string{"absent"}, "cm", pt0); err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]struct {
			set    map[string]string
			remove []string
		}{
			"empty key":       {set: map[string]string{" ": "x"}},
			"long key":        {set: map[string]string{strings.Repeat("k", store.MaxFieldKeyLen+1): "x"}},
			"long value":      {set: map[string]string{"k": strings.Repeat("v", store.MaxFieldValueLen+1)}},
			"control":         {set: map[string]string{"k": "a\x00b"}},
			"bad UTF-8":       {set: map[string]string{"k": "\xff"}},
			"empty value":     {set: map[string]string{"k": "  "}},
			"set and removed": {set: map[string]string{"k": "v"}, remove: []string{"k"}},
		} {
			if _, err := st.SetMemberFields(ctx, w.ws.ID, w.ana, c.set, c.remove, "cm", pt0); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("%s: %v", name, err)
			}
		}
		many := map[string]string{}
		for i := range store.MaxMemberFields {
			many[strings.Repeat("f", i+1)] = "v"
		}
		if _, err := st.SetMemberFields(ctx, w.ws.ID, w.ana, many, nil, "cm", pt0); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), "at most 30") {
			t.Errorf("one field too many: %v", err)
		}
		if f, err := st.MemberFields(ctx, w.ws.ID, w.ana); err != nil || len(f) != 1 {
			t.Errorf("after refusals: %+v %v", f, err)
		}
		if _, err := st.SetMemberFields(ctx, w.ws.ID, "nobody", map[string]string{"k": "v"}, nil, "cm", pt0); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown member: %v", err)
		}
		if _, err := st.MergeMembers(ctx, w.ws.ID, w.anou, w.ana, "cm", pt0); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SetMemberFields(ctx, w.ws.ID, w.ana, map[string]string{"k": "v"}, nil, "cm", pt0); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("member merged away: %v", err)
		}
		events, err := st.Events(ctx, w.ws.ID, 50)
		if err != nil {
			t.Fatal(err)
		}
		var audit []string
		for _, e := range events {
			if e.Action == "member.fields" {
				audit = append(audit, e.Detail)
			}
		}
		if len(audit) != 2 || !strings.Contains(strings.Join(audit, " "), `"removed":["Customer id"]`) {
			t.Errorf("field events: %q", audit)
		}
	})
}

// TestMemberScoreIsTheAnalyticsScore: the panel's score is the one the
// analytics give the member over the same period, with the workspace's
// weights.
func TestMemberScoreIsTheAnalyticsScore(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		w := newPeopleWorld(t, st, "velo")
		weights := metrics.Weights{Messages: 1.5, Conversations: 2, Days: 3, Positive: 4, Helpful: 5, Negative: 7}
		if err := st.SetEngagementWeights(ctx, w.ws.ID, weights, pt0); err != nil {
			t.Fatal(err)
		}
		now := pt0.Add(70 * 24 * time.Hour)
		for _, id := range []string{w.ana, w.anou, "velo-email-zoe-example.org"} {
			got, err := metrics.MemberScore(ctx, st, w.ws.ID, id, now)
			if err != nil {
				t.Fatal(err)
			}
			f, err := st.MetricFacts(ctx, w.ws.ID, got.Period, now)
			if err != nil {
				t.Fatal(err)
			}
			var want metrics.Engagement
			for _, e := range metrics.Engaged(f, got.Period, weights, 100) {
				if e.MemberID == id {
					want = e
				}
			}
			if want.MemberID == "" || got.Score != want.Score || got.Messages != want.Messages || got.Helpful != want.Helpful || got.Days != want.Days || got.PeriodDays != metrics.MemberPeriodDays {
				t.Errorf("member %s: panel %+v, analytics %+v", id, got, want)
			}
			if got.Weights != weights || !got.Period.To.Equal(now) || !got.Period.From.Equal(now.AddDate(0, 0, -90)) {
				t.Errorf("member %s: period or weights %+v", id, got)
			}
		}
		// Anouk answered in Ana's conversation (helpful) and was negative.
		if e, _ := metrics.MemberScore(ctx, st, w.ws.ID, w.anou, now); e.Helpful != 1 || e.Negative != 1 || e.Score == 0 {
			t.Errorf("Anouk: %+v", e)
		}
		if e, err := metrics.MemberScore(ctx, st, w.ws.ID, w.ana, now.AddDate(1, 0, 0)); err != nil || e.Score != 0 || e.Messages != 0 {
			t.Errorf("a year later: %+v %v", e, err)
		}
		if _, err := metrics.MemberScore(ctx, st, w.ws.ID, "nobody", now); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown member: %v", err)
		}
	})
}
