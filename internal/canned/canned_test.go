package canned

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// all gives every known variable a value, so that a rendering shows which
// variable went where.
func all() Values {
	return Values{
		MemberName:          "Jean-Pierre Dupont",
		MemberFirstName:     "Jean-Pierre",
		MemberHandle:        "@jpd",
		CMName:              "Léa Martin",
		CMFirstName:         "Léa",
		WorkspaceName:       "Brasserie du Port",
		ConversationSubject: "Horaires d'été",
		ChannelName:         "Blog",
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		src    string
		values Values
		want   string
		names  []string
	}{
		{"empty", "", all(), "", nil},
		{"literal only", "Merci !", all(), "Merci !", nil},
		{
			"the example",
			"Bonjour {{member.first_name}}, merci pour votre message ! — {{cm.first_name}}, équipe {{workspace.name}}",
			all(),
			"Bonjour Jean-Pierre, merci pour votre message ! — Léa, équipe Brasserie du Port",
			[]string{MemberFirstName, CMFirstName, WorkspaceName},
		},
		{"spaces inside braces", "{{   member.handle\t}}", all(), "@jpd", []string{MemberHandle}},
		{"newline inside braces", "{{\nchannel.name\n}}", all(), "Blog", []string{ChannelName}},
		{"every variable", "{{member.name}}|{{member.first_name}}|{{member.handle}}|{{cm.name}}|{{cm.first_name}}|{{workspace.name}}|{{conversation.subject}}|{{channel.name}}",
			all(), "Jean-Pierre Dupont|Jean-Pierre|@jpd|Léa Martin|Léa|Brasserie du Port|Horaires d'été|Blog", Names()},
		{"repeated variable named once", "{{cm.name}} {{member.name}} {{cm.name}}", all(), "Léa Martin Jean-Pierre Dupont Léa Martin", []string{CMName, MemberName}},
		{"fallback unused", "Bonjour {{ member.first_name | à vous }} !", all(), "Bonjour Jean-Pierre !", []string{MemberFirstName}},
		{"fallback on missing value", "Bonjour {{ member.first_name | à vous }} !", Values{}, "Bonjour à vous !", []string{MemberFirstName}},
		{"fallback on empty value", "Bonjour {{ member.first_name | à vous }} !", Values{MemberFirstName: ""}, "Bonjour à vous !", []string{MemberFirstName}},
		{"fallback on blank value", "Bonjour {{ member.first_name | à vous }} !", Values{MemberFirstName: "  "}, "Bonjour à vous !", []string{MemberFirstName}},
		{"fallback holding a bar", "{{ cm.name | l'équipe | support }}", nil, "l'équipe | support", []string{CMName}},
		{"fallback holding a brace", "{{ cm.name | {x} }}", nil, "{x}", []string{CMName}},
		{"empty fallback", "[{{ cm.name | }}]", nil, "[]", []string{CMName}},
		{"missing without fallback", "[{{ cm.name }}]", nil, "[]", []string{CMName}},
		{"unicode around", "こんにちは {{member.first_name}} 👋", all(), "こんにちは Jean-Pierre 👋", []string{MemberFirstName}},
		{"unicode value", "{{member.name}}", Values{MemberName: "Zoë 🌻 Ångström"}, "Zoë 🌻 Ångström", []string{MemberName}},
		{"value left as is", "{{member.name}}", Values{MemberName: "{{cm.name}} <b>"}, "{{cm.name}} <b>", []string{MemberName}},
		{"escape", "Écrivez {{{{member.name}} pour le nom", all(), "Écrivez {{member.name}} pour le nom", nil},
		{"escape then variable", "{{{{{{cm.name}}", all(), "{{Léa Martin", []string{CMName}},
		{"escape then brace", "{{{{{", all(), "{{{", nil},
		{"lone closing braces", "}} et {}", all(), "}} et {}", nil},
		{"braces after variable", "{{cm.name}}}}", all(), "Léa Martin}}", []string{CMName}},
		{"single brace before text", "{x}", all(), "{x}", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := Parse(tt.src)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.src, err)
			}
			if got := tpl.Render(tt.values); got != tt.want {
				t.Errorf("Render = %q, want %q", got, tt.want)
			}
			if got := tpl.Names(); !slices.Equal(got, tt.names) {
				t.Errorf("Names = %q, want %q", got, tt.names)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src    string
		want   string
		offset int
	}{
		{"Bonjour {{member.email}}", `canned reply template: unknown variable "member.email" at byte 10`, 10},
		{"Bonjour {{   member.email }}", `canned reply template: unknown variable "member.email" at byte 13`, 13},
		{"é{{x}}", `canned reply template: unknown variable "x" at byte 4`, 4},
		{"{{ Member.Name }}", `canned reply template: unknown variable "Member.Name" at byte 3`, 3},
		{"{{member name}}", `canned reply template: unknown variable "member name" at byte 2`, 2},
		{"{{ | bonjour }}", `canned reply template: variable with no name at byte 0`, 0},
		{"a {{}}", `canned reply template: variable with no name at byte 2`, 2},
		{"Bonjour {{member.name", `canned reply template: "{{" is not closed by "}}" at byte 8`, 8},
		{"{{", `canned reply template: "{{" is not closed by "}}" at byte 0`, 0},
		{"{{{", `canned reply template: "{{" is not closed by "}}" at byte 0`, 0},
		{"{{ cm.name }} {{ cm.name", `canned reply template: "{{" is not closed by "}}" at byte 14`, 14},
		{"{{ cm.name {{ member.name }}", `canned reply template: "{{" is not closed by "}}" before the next "{{" at byte 11 at byte 0`, 0},
		{"{{ cm.name | {{ }}", `canned reply template: "{{" is not closed by "}}" before the next "{{" at byte 13 at byte 0`, 0},
		{"{{{ cm.name }}", `canned reply template: unknown variable "{ cm.name" at byte 2`, 2},
		{"ok \xff", `canned reply template: invalid UTF-8 at byte 3`, 3},
	}
	for _, tt := range tests {
		_, err := Parse(tt.src)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want %q", tt.src, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("Parse(%q) error\n got %q\nwant %q", tt.src, err, tt.want)
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) error %T is not an *Error", tt.src, err)
		} else if e.Offset != tt.offset {
			t.Errorf("Parse(%q) offset = %d, want %d", tt.src, e.Offset, tt.offset)
		}
	}
}

func TestMaxLen(t *testing.T) {
	t.Parallel()
	if _, err := Parse(strings.Repeat("a", MaxLen)); err != nil {
		t.Fatalf("Parse of %d bytes: %v", MaxLen, err)
	}
	_, err := Parse(strings.Repeat("a", MaxLen+1))
	if !errors.Is(err, ErrTooLong) {
		t.Fatalf("Parse of %d bytes: error %v, want ErrTooLong", MaxLen+1, err)
	}
	if want := "canned reply template is too long: 10001 bytes, the limit is 10000"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestNamesAreCopies(t *testing.T) {
	t.Parallel()
	Names()[0] = "tampered"
	if Names()[0] != MemberName {
		t.Error("changing the slice from Names changed the known variables")
	}
	tpl, err := Parse("{{member.name}}")
	if err != nil {
		t.Fatal(err)
	}
	tpl.Names()[0] = "tampered"
	if tpl.Names()[0] != MemberName {
		t.Error("changing the slice from Template.Names changed the template")
	}
	if got := tpl.Render(Values{MemberName: "x"}); got != "x" {
		t.Errorf("Render after tampering = %q", got)
	}
}

func TestFirstName(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"Jean-Pierre Dupont":   "Jean-Pierre",
		"Léa":                  "Léa",
		"  Zoë   Ångström  ":   "Zoë",
		"Marie\tClaire":        "Marie",
		"":                     "",
		"   ":                  "",
		"O'Brien Patrick Jr.":  "O'Brien",
		"山田 太郎":                "山田",
		"\u00a0Ana\u00a0Souza": "Ana",
	}
	for in, want := range tests {
		if got := FirstName(in); got != want {
			t.Errorf("FirstName(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParse checks that Parse never panics, that its errors point inside
// the source, and that a parsed template never renders "{{" of its own
// unless the source used the escape.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "Bonjour {{member.first_name}} !", "{{ cm.name | l'équipe }}", "{{{{", "{{{", "{{", "}}",
		"{{ x }}", "{{ cm.name {{", "{{{{{{cm.name}}", "é\xff", "{{ | }}", "{ {{cm.name}}}",
	} {
		f.Add(s)
	}
	values := Values{}
	for _, n := range Names() {
		values[n] = "V"
	}
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := Parse(src)
		if err != nil {
			var e *Error
			if errors.As(err, &e) && (e.Offset < 0 || e.Offset > len(src)) {
				t.Fatalf("Parse(%q) error offset %d outside the source", src, e.Offset)
			}
			return
		}
		for _, n := range tpl.Names() {
			if !slices.Contains(Names(), n) {
				t.Fatalf("Parse(%q) uses unknown name %q", src, n)
			}
		}
		out := tpl.Render(values)
		if strings.Contains(out, "{{") && !strings.Contains(src, Escape) {
			t.Fatalf("Render of %q gave %q, holding \"{{\" without the escape in the source", src, out)
		}
	})
}
