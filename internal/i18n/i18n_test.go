package i18n

import (
	"html/template"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// Spaces of French typography, spelled out so the tests show them.
const (
	nnbsp = "\u202f"
	nbsp  = "\u00a0"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Lang
		ok   bool
	}{
		{"fr", French, true},
		{"FR", French, true},
		{"fr-CA", French, true},
		{"fr_FR", French, true},
		{" en-GB ", English, true},
		{"en", English, true},
		{"de", "", false},
		{"", "", false},
		{"*", "", false},
		{"french", "", false},
		{"fr-", "", false},
		{"f r", "", false},
		{"fr-toolongsubtag", "", false},
		{"1r", "", false},
	}
	for _, tt := range tests {
		got, ok := Parse(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Parse(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestSupported(t *testing.T) {
	t.Parallel()
	if got := Supported(); !slices.Equal(got, []Lang{English, French}) {
		t.Fatalf("Supported() = %v", got)
	}
}

func TestNegotiate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		user, header string
		want         Lang
	}{
		{"", "", English},
		{"fr", "en-US,en;q=0.9", French},
		{"en", "fr-FR,fr;q=0.9", English},
		{"de", "fr", French},      // unsupported setting: the header decides
		{"garbage!", "", English}, // malformed setting
		{"", "fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7", French},
		{"", "en-US,en;q=0.9,fr;q=0.8", English},
		{"", "de-DE,de;q=0.9,fr;q=0.5,en;q=0.4", French},
		{"", "de, en;q=0.3, fr;q=0.7", French},
		{"", "fr;q=0.8, en;q=0.8", French}, // tie: header order
		{"", "en;q=0.8, fr;q=0.8", English},
		{"", "fr-CA", French},
		{"", "FR-ca;Q=0.5", French},
		{"", "fr;q=0, *", English},
		{"", "en;q=0, *", French},
		{"", "en;q=0.1, *;q=0.5", French}, // "*" is what the header does not name
		{"", "fr;q=0.1, *;q=0.5", English},
		{"", "*", English},
		{"", "*;q=0", English},
		{"", "fr;q=0", English},
		{"", "fr;q=0, fr-FR", English}, // fr excluded outright
		{"", "fr-CA;q=0, fr-FR;q=0.5", French},
		{"", "de, it", English},
		{"", "fr;q=0.001", French},
		{"", "fr;q=1.000", French},
		// Malformed elements are skipped, the rest still counts.
		{"", "fr;q=2, en;q=0.1", English},
		{"", "fr;q=abc", English},
		{"", "fr;q=0.5000, en;q=0.1", English},
		{"", "fr;q=-1", English},
		{"", "fr;q=.5", English},
		{"", "fr;q=", English},
		{"", "fr;q", English},
		{"", ";q=0.5,fr", French},
		{"", ",,,fr,,", French},
		{"", "f@r, fr;q=0.2", French},
		{"", "fr;foo=bar;q=0.9, en;q=0.8", French},
		{"", "fr;;q=0.9, en;q=0.8", French},
		{"", "   ", English},
		{"", "\x00\xff", English},
		{"", "fr-12345678-abcdefghi", English},
	}
	for _, tt := range tests {
		if got := Negotiate(tt.user, tt.header); got != tt.want {
			t.Errorf("Negotiate(%q, %q) = %q; want %q", tt.user, tt.header, got, tt.want)
		}
	}
}

func FuzzNegotiate(f *testing.F) {
	for _, s := range []string{"", "fr", "fr-FR,fr;q=0.9,en;q=0.8", "*;q=0", "en;q=0, *", "fr;q=1.5", ";;,,", "fr-CA;Q=0.001"} {
		f.Add("", s)
	}
	f.Add("fr-CA", "en")
	f.Fuzz(func(t *testing.T, user, header string) {
		got := Negotiate(user, header)
		if !slices.Contains(Supported(), got) {
			t.Fatalf("Negotiate(%q, %q) = %q, not a supported language", user, header, got)
		}
		if l, ok := Parse(user); ok && got != l {
			t.Fatalf("Negotiate(%q, %q) = %q; the setting %q wins", user, header, got, l)
		}
	})
}

func TestNewUnsupportedIsEnglish(t *testing.T) {
	t.Parallel()
	p := New("de")
	if p.Lang() != English || p.T("Inbox") != "Inbox" {
		t.Fatalf("New(de) = %q printer, T(Inbox) = %q", p.Lang(), p.T("Inbox"))
	}
	if New(French).Lang() != French {
		t.Fatal("New(French).Lang() is not French")
	}
}

func TestT(t *testing.T) {
	t.Parallel()
	en, fr := New(English), New(French)
	tests := []struct {
		p    *Printer
		key  string
		args []any
		want string
	}{
		{en, "Inbox", nil, "Inbox"},
		{fr, "Inbox", nil, "Boîte de réception"},
		{fr, "Assign to me", nil, "S'assigner"},
		{en, "Assigned to %s.", []any{"Léa"}, "Assigned to Léa."},
		{fr, "Assigned to %s.", []any{"Léa"}, "Assignée à Léa."},
		{fr, "No such text %d", []any{3}, "No such text 3"}, // missing: English
		{fr, "resolved", nil, "résolue"},
		{fr, "The form expired; please sign in again.", nil, "Le formulaire a expiré" + nnbsp + "; reconnectez-vous."},
		{fr, "Priority %q: must be a number from 0 to 3.", []any{"x"}, `Priorité "x"` + nbsp + ": doit être un nombre de 0 à 3."},
		{en, "100%", nil, "100%"}, // no args, no formatting
	}
	for _, tt := range tests {
		if got := tt.p.T(tt.key, tt.args...); got != tt.want {
			t.Errorf("%s T(%q, %v) = %q; want %q", tt.p.Lang(), tt.key, tt.args, got, tt.want)
		}
	}
}

func TestN(t *testing.T) {
	t.Parallel()
	en, fr := New(English), New(French)
	tests := []struct {
		p    *Printer
		n    int
		want string
	}{
		{en, 0, "0 messages"},
		{en, 1, "1 message"},
		{en, 2, "2 messages"},
		{en, -1, "-1 message"},
		{fr, 0, "0 message"},
		{fr, 1, "1 message"},
		{fr, 2, "2 messages"},
		{fr, 1000, "1000 messages"},
	}
	for _, tt := range tests {
		if got := tt.p.N(tt.n, "%d message", "%d messages"); got != tt.want {
			t.Errorf("%s N(%d) = %q; want %q", tt.p.Lang(), tt.n, got, tt.want)
		}
	}
	if got := fr.N(0, "%d open conversation", "%d open conversations"); got != "0 conversation ouverte" {
		t.Errorf("fr N(0, open conversations) = %q", got)
	}
	if got := en.N(1, "one message", "%d messages"); got != "one message" {
		t.Errorf("N without a verb = %q", got)
	}
}

func TestNumber(t *testing.T) {
	t.Parallel()
	en, fr := New(English), New(French)
	tests := []struct {
		p        *Printer
		n        float64
		decimals int
		want     string
	}{
		{en, 12345.6, 1, "12,345.6"},
		{fr, 12345.6, 1, "12" + nnbsp + "345,6"},
		{en, 1234567.891, 2, "1,234,567.89"},
		{fr, 1234567.891, 2, "1" + nnbsp + "234" + nnbsp + "567,89"},
		{en, 999, 0, "999"},
		{en, 1000, 0, "1,000"},
		{fr, 1000, 0, "1" + nnbsp + "000"},
		{en, -1234.5, 1, "-1,234.5"},
		{en, 0.5, 0, "0"}, // round half to even, as strconv
		{en, -0.04, 1, "0.0"},
		{en, 3, -2, "3"},
		{en, math.NaN(), 1, "NaN"},
		{fr, math.Inf(-1), 1, "-∞"},
	}
	for _, tt := range tests {
		if got := tt.p.Number(tt.n, tt.decimals); got != tt.want {
			t.Errorf("%s Number(%v, %d) = %q; want %q", tt.p.Lang(), tt.n, tt.decimals, got, tt.want)
		}
	}
}

func TestInt(t *testing.T) {
	t.Parallel()
	en, fr := New(English), New(French)
	tests := []struct {
		p    *Printer
		n    int64
		want string
	}{
		{en, 0, "0"},
		{en, 12345, "12,345"},
		{fr, 12345, "12" + nnbsp + "345"},
		{en, -123456, "-123,456"},
		{en, math.MinInt64, "-9,223,372,036,854,775,808"},
		{fr, 100, "100"},
	}
	for _, tt := range tests {
		if got := tt.p.Int(tt.n); got != tt.want {
			t.Errorf("%s Int(%d) = %q; want %q", tt.p.Lang(), tt.n, got, tt.want)
		}
	}
}

func TestPercent(t *testing.T) {
	t.Parallel()
	if got := New(English).Percent(0.873); got != "87%" {
		t.Errorf("en Percent = %q", got)
	}
	if got := New(French).Percent(0.873); got != "87"+nbsp+"%" {
		t.Errorf("fr Percent = %q", got)
	}
	if got := New(French).Percent(12.5); got != "1"+nnbsp+"250"+nbsp+"%" {
		t.Errorf("fr Percent(12.5) = %q", got)
	}
}

func TestDate(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	at := time.Date(2026, 11, 25, 13, 5, 0, 0, time.UTC) // 14:05 in Paris
	en, fr := New(English), New(French)
	tests := []struct{ got, want string }{
		{en.Date(at, paris), "25 Nov 2026"},
		{fr.Date(at, paris), "25 nov. 2026"},
		{en.DateTime(at, paris), "25 Nov 2026, 14:05"},
		{fr.DateTime(at, paris), "25 nov. 2026 à 14:05"},
		{fr.DateTime(at, nil), "25 nov. 2026 à 13:05"},
		{fr.Date(time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), nil), "1 févr. 2026"},
		{fr.Date(time.Date(2026, 8, 9, 23, 30, 0, 0, time.UTC), paris), "10 août 2026"},
		{en.MonthYear(at, paris), "November 2026"},
		{fr.MonthYear(time.Date(2026, 7, 31, 22, 30, 0, 0, time.UTC), paris), "août 2026"},
		{fr.MonthYear(time.Date(2026, 7, 31, 22, 30, 0, 0, time.UTC), nil), "juillet 2026"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q; want %q", tt.got, tt.want)
		}
	}
}

func TestRelative(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 14, 5, 0, 0, time.UTC)
	en, fr := New(English), New(French)
	tests := []struct {
		ago      time.Duration
		enW, frW string
	}{
		{0, "just now", "à l'instant"},
		{59 * time.Second, "just now", "à l'instant"},
		{-30 * time.Second, "just now", "à l'instant"},
		{5 * time.Minute, "5 min ago", "il y a 5 min"},
		{59*time.Minute + 59*time.Second, "59 min ago", "il y a 59 min"},
		{3*time.Hour + 20*time.Minute, "3 h ago", "il y a 3 h"},
		{49 * time.Hour, "2 d ago", "il y a 2 j"},
		{-5 * time.Minute, "in 5 min", "dans 5 min"},
		{-2 * time.Hour, "in 2 h", "dans 2 h"},
		{-72 * time.Hour, "in 3 d", "dans 3 j"},
	}
	for _, tt := range tests {
		at := now.Add(-tt.ago)
		if got := en.Relative(at, now); got != tt.enW {
			t.Errorf("en Relative(%v ago) = %q; want %q", tt.ago, got, tt.enW)
		}
		if got := fr.Relative(at, now); got != tt.frW {
			t.Errorf("fr Relative(%v ago) = %q; want %q", tt.ago, got, tt.frW)
		}
	}
	// Far-apart times saturate rather than wrap round.
	far := en.Relative(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
	if !strings.HasSuffix(far, " d ago") {
		t.Errorf("Relative of far-apart times = %q", far)
	}
	if got := en.Relative(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)); !strings.HasPrefix(got, "in ") {
		t.Errorf("Relative of a far future = %q", got)
	}
}

func TestDuration(t *testing.T) {
	t.Parallel()
	en, fr := New(English), New(French)
	tests := []struct {
		d        time.Duration
		enW, frW string
	}{
		{0, "0 min", "0 min"},
		{30 * time.Second, "0 min", "0 min"},
		{-30 * time.Second, "0 min", "0 min"},
		{45 * time.Minute, "45 min", "45 min"},
		{2*time.Hour + 5*time.Minute, "2 h 05", "2 h 05"},
		{2 * time.Hour, "2 h", "2 h"},
		{23*time.Hour + 59*time.Minute, "23 h 59", "23 h 59"},
		{3*24*time.Hour + 4*time.Hour + 30*time.Minute, "3 d 4 h", "3 j 4 h"},
		{3 * 24 * time.Hour, "3 d", "3 j"},
		{-(2*time.Hour + 5*time.Minute), "-2 h 05", "-2 h 05"},
		{-45 * time.Minute, "-45 min", "-45 min"},
		{-(26 * time.Hour), "-1 d 2 h", "-1 j 2 h"},
	}
	for _, tt := range tests {
		if got := en.Duration(tt.d); got != tt.enW {
			t.Errorf("en Duration(%v) = %q; want %q", tt.d, got, tt.enW)
		}
		if got := fr.Duration(tt.d); got != tt.frW {
			t.Errorf("fr Duration(%v) = %q; want %q", tt.d, got, tt.frW)
		}
	}
	if got := en.Duration(math.MinInt64); !strings.HasPrefix(got, "-") || !strings.HasSuffix(got, " h") {
		t.Errorf("Duration(MinInt64) = %q", got)
	}
}

func TestFuncs(t *testing.T) {
	t.Parallel()
	const src = `{{t "Inbox"}}|{{t "Assigned to %s." .Name}}|{{t .Status}}|{{n .Count "%d message" "%d messages"}}|` +
		`{{int .Total}}|{{number .Score 1}}|{{percent .Rate}}|{{date .At nil}}|{{datetime .At nil}}|` +
		`{{relative .At .Now}}|{{duration .Left}}`
	data := map[string]any{
		"Name": "Léa <3", "Status": "pending", "Count": int64(0), "Total": uint16(12345), "Score": 3,
		"Rate": 0.5, "At": time.Date(2026, 11, 25, 14, 5, 0, 0, time.UTC),
		"Now": time.Date(2026, 11, 25, 14, 10, 0, 0, time.UTC), "Left": 65 * time.Minute,
	}
	want := map[Lang]string{
		English: "Inbox|Assigned to Léa &lt;3.|pending|0 messages|12,345|3.0|50%|25 Nov 2026|25 Nov 2026, 14:05|5 min ago|1 h 05",
		French: "Boîte de réception|Assignée à Léa &lt;3.|en attente|0 message|12" + nnbsp + "345|3,0|50" + nbsp + "%|" +
			"25 nov. 2026|25 nov. 2026 à 14:05|il y a 5 min|1 h 05",
	}
	for _, l := range Supported() {
		tpl := template.Must(template.New("page").Funcs(New(l).Funcs()).Parse(src))
		var b strings.Builder
		if err := tpl.Execute(&b, data); err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		if got := b.String(); got != want[l] {
			t.Errorf("%s:\n got %q\nwant %q", l, got, want[l])
		}
	}
	tpl := template.Must(template.New("bad").Funcs(New(English).Funcs()).Parse(`{{n .X "a" "b"}}`))
	if err := tpl.Execute(&strings.Builder{}, map[string]any{"X": "three"}); err == nil {
		t.Error("n on a string: no error")
	}
}

func TestMissing(t *testing.T) {
	t.Parallel()
	const page = `{{define "inbox"}}<h1>{{t "Inbox"}}</h1>
<p>{{- t "Not translated yet" -}}</p>
<p>{{n .Count "%d message" "%d new widgets"}}</p>
<p>{{n (len .List) "%d lone widget" "%d messages"}}</p>
<button title="{{t "Assign to me"}}">{{printf "%s!" (t "Another missing one")}}</button>
<p>{{t .Status}} {{t ` + "`Raw missing`" + `}} {{t "Escaped \"quote\""}}</p>
<p>{{template "x" .}} {{ t "Inbox" }}</p>{{end}}`
	got := Missing(page, `{{t "Not translated yet"}}{{tx "Not a call"}}`)
	want := []string{"%d lone widget", "%d new widgets", "Another missing one", `Escaped "quote"`, "Not translated yet", "Raw missing"}
	if !slices.Equal(got, want) {
		t.Errorf("Missing =\n %q\nwant\n %q", got, want)
	}
	if got := Missing(); len(got) != 0 {
		t.Errorf("Missing() = %q", got)
	}
}

// verb matches one fmt verb, with its flags, width, precision and
// argument index.
var verb = regexp.MustCompile(`%(?:[-+# 0]*(?:\[\d+\])?(?:\*|\d+)?(?:\.(?:\*|\d+)?)?[a-zA-Z%])`)

// verbs lists the fmt verbs of s, explicit argument indexes dropped, in
// order of their arguments.
func verbs(s string) []string {
	var out []string
	for _, v := range verb.FindAllString(s, -1) {
		out = append(out, regexp.MustCompile(`\[\d+\]`).ReplaceAllString(v, ""))
	}
	return out
}

func TestFrenchKeepsVerbs(t *testing.T) {
	t.Parallel()
	for en, fr := range frenchCatalog() {
		if fr == "" {
			t.Errorf("%q has an empty translation", en)
			continue
		}
		if !slices.Equal(verbs(en), verbs(fr)) {
			t.Errorf("%q → %q: verbs %q, want %q", en, fr, verbs(fr), verbs(en))
		}
		if strings.Count(fr, "%") != strings.Count(en, "%") {
			t.Errorf("%q → %q: a stray %%", en, fr)
		}
	}
}

func TestFrenchSpacing(t *testing.T) {
	t.Parallel()
	for en, fr := range frenchCatalog() {
		for _, bad := range []string{" ;", " :", " !", " ?", "« ", " »"} {
			if strings.Contains(fr, bad) {
				t.Errorf("%q → %q: breakable space in %q", en, fr, bad)
			}
		}
		if strings.TrimSpace(fr) != fr {
			t.Errorf("%q → %q: leading or trailing space", en, fr)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	done := make(chan string)
	for range 8 {
		go func() {
			p := New(French)
			done <- p.T("Inbox") + p.N(3, "%d message", "%d messages") + strings.Join(Missing(`{{t "Inbox"}}`), "")
		}()
	}
	for range 8 {
		if got := <-done; got != "Boîte de réception3 messages" {
			t.Errorf("concurrent printer = %q", got)
		}
	}
}
