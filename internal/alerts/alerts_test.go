package alerts_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"palabre/internal/alerts"
	"palabre/internal/i18n"
	"palabre/internal/model"
)

var now = time.Date(2026, 11, 26, 10, 30, 0, 0, time.UTC)

// week is a usual week before the window: n messages spread over it, a
// fifth of them negative, every other one about "livraison".
func week(n int) []alerts.Message {
	var out []alerts.Message
	for i := range n {
		m := alerts.Message{ID: int64(i + 1), At: now.Add(-time.Hour - time.Duration(i)*alerts.Baseline/time.Duration(n+1)), Sentiment: "neu"}
		if i%5 == 0 {
			m.Sentiment = "neg"
		}
		if i%2 == 0 {
			m.Topics = []string{"livraison"}
		}
		out = append(out, m)
	}
	return out
}

// burst is n messages of the last hour, ids from 1000.
func burst(n int, sentiment string, topics []string, body string) []alerts.Message {
	var out []alerts.Message
	for i := range n {
		out = append(out, alerts.Message{ID: int64(1000 + i), At: now.Add(-time.Duration(i+1) * time.Minute), Sentiment: sentiment,
			Topics: topics, Body: body, Lang: "fr"})
	}
	return out
}

func settings(t *testing.T, s model.AlertSettings) model.AlertSettings {
	t.Helper()
	s, err := alerts.Check(s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func kinds(list []model.Alert) []string {
	var out []string
	for _, a := range list {
		out = append(out, strings.TrimSuffix(a.Kind+":"+a.Subject, ":"))
	}
	slices.Sort(out)
	return out
}

func TestSpikes(t *testing.T) {
	t.Parallel()
	s := settings(t, model.AlertSettings{Enabled: true}) // 60 min, ×3, at least 5
	// 168 messages a week: 1 an hour usually, 0.2 negative, 0.5 on
	// "livraison".
	before := week(168)
	for _, tt := range []struct {
		name   string
		window []alerts.Message
		want   []string
	}{
		{"quiet", burst(2, "neu", nil, ""), nil},
		// 4 messages: thrice the usual, but under the minimum of 5.
		{"under the minimum", burst(4, "neg", nil, ""), nil},
		// 5 negative messages about delivery: all three rise.
		{"negative delivery", burst(5, "neg", []string{"livraison"}, ""), []string{"negative", "topic:livraison", "volume"}},
		// 6 neutral messages on another topic.
		{"a new topic", burst(6, "neu", []string{"prix"}, ""), []string{"topic:prix", "volume"}},
	} {
		got, err := alerts.Detect(alerts.Input{Settings: s, Now: now, Window: tt.window, Before: alerts.Count(before)})
		if err != nil {
			t.Fatal(err)
		}
		if k := kinds(got); !slices.Equal(k, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, k, tt.want)
		}
	}
	// A busy week: 5 an hour usually; 12 now is not thrice that, 15 is.
	busy := week(5 * 168)
	for n, want := range map[int]bool{12: false, 15: true} {
		got, _ := alerts.Detect(alerts.Input{Settings: s, Now: now, Window: burst(n, "neu", nil, ""), Before: alerts.Count(busy)})
		if rose := slices.Contains(kinds(got), "volume"); rose != want {
			t.Errorf("%d against 5 an hour: spike %v, want %v", n, rose, want)
		}
	}
	got, _ := alerts.Detect(alerts.Input{Settings: s, Now: now, Window: burst(15, "neu", nil, ""), Before: alerts.Count(busy)})
	v := got[slices.IndexFunc(got, func(a model.Alert) bool { return a.Kind == alerts.Volume })]
	if v.Count != 15 || v.Usual != 5 || len(v.MessageIDs) != 15 || v.MessageIDs[0] != 1000 || !v.From.Equal(now.Add(-time.Hour)) ||
		v.Bucket != now.Truncate(time.Hour).UnixMicro() {
		t.Errorf("volume alert %+v", v)
	}
	en, fr := i18n.New(i18n.English), i18n.New(i18n.French)
	if h := alerts.Headline(en, v); h != "15 messages in 60 min (usually 5)" {
		t.Errorf("headline %q", h)
	}
	if h := alerts.Headline(fr, v); h != "15 messages en 60 min (d'habitude 5)" {
		t.Errorf("French headline %q", h)
	}
}

func TestKeywords(t *testing.T) {
	t.Parallel()
	s := settings(t, model.AlertSettings{Enabled: true, Keywords: []string{"Rappel produit", "Bougies Soleil", "  rappel   produit "}})
	if len(s.Keywords) != 2 {
		t.Fatalf("keywords %q: the same twice", s.Keywords)
	}
	window := []alerts.Message{
		{ID: 1, At: now.Add(-time.Minute), Body: "Y a-t-il un RAPPEL PRODUITS sur les crèmes ?", Lang: "fr"},
		{ID: 2, At: now.Add(-2 * time.Minute), Body: "J'adore les bougies soleil", Lang: "fr"},
		{ID: 3, At: now.Add(-3 * time.Minute), Body: "Un rappel : le produit arrive lundi", Lang: "fr"}, // not the phrase
		{ID: 4, At: now.Add(-4 * time.Minute), Body: "rappel produit, encore", Lang: "fr"},
	}
	fresh := func(id int64) bool { return id != 4 } // 4 was seen before
	got, err := alerts.Detect(alerts.Input{Settings: s, Now: now, Window: window, Fresh: fresh})
	if err != nil {
		t.Fatal(err)
	}
	if k := kinds(got); !slices.Equal(k, []string{"keyword:Bougies Soleil", "keyword:Rappel produit"}) {
		t.Fatalf("alerts %q", k)
	}
	for _, a := range got {
		if a.Subject == "Rappel produit" && (a.Count != 1 || a.MessageIDs[0] != 1 || a.Bucket != 1) {
			t.Errorf("keyword alert %+v", a)
		}
	}
	if h := alerts.Headline(i18n.New(i18n.English), got[1]); !strings.HasPrefix(h, `Keyword "`) {
		t.Errorf("headline %q", h)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	s, err := alerts.Check(model.AlertSettings{})
	if err != nil || s.WindowMinutes != 60 || s.Factor != 3 || s.MinMessages != 5 || s.Keywords == nil {
		t.Errorf("defaults %+v, %v", s, err)
	}
	many := make([]string, alerts.MaxKeywords+1)
	for i := range many {
		many[i] = fmt.Sprint("mot", i)
	}
	for name, bad := range map[string]model.AlertSettings{
		"window":      {WindowMinutes: 5},
		"factor":      {Factor: 1.1},
		"min":         {MinMessages: -1},
		"keywords":    {Keywords: many},
		"punctuation": {Keywords: []string{"!!!"}},
	} {
		if _, err := alerts.Check(bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzDetect feeds keywords and message bodies of any shape to Detect:
// it never panics, and what it raises names only messages it was given.
func FuzzDetect(f *testing.F) {
	f.Add("rappel produit", "Un RAPPEL PRODUIT ?", "fr")
	f.Add("ü", "\xff\xfe<b>ü</b>", "")
	f.Fuzz(func(t *testing.T, keyword, body, lang string) {
		s, err := alerts.Check(model.AlertSettings{Keywords: []string{keyword}, MinMessages: 1, Factor: 1.5})
		if err != nil {
			return
		}
		window := []alerts.Message{{ID: 7, At: now.Add(-time.Minute), Body: body, Lang: lang, Topics: []string{body}}}
		got, err := alerts.Detect(alerts.Input{Settings: s, Now: now, Window: window})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range got {
			if a.Count != 1 || len(a.MessageIDs) != 1 || a.MessageIDs[0] != 7 {
				t.Fatalf("alert %+v", a)
			}
		}
	})
}
