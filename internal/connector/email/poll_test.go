package email

import "testing"

func TestPosition(t *testing.T) {
	t.Parallel()
	tests := map[string]position{
		"1700000000:42": {validity: 1700000000, last: 42},
		"7:0":           {validity: 7},
		"":              {},
		"42":            {},
		"x:1":           {},
		"1:-3":          {},
		"99999999999:1": {},
	}
	for in, want := range tests {
		if got := parsePosition(in); got != want {
			t.Errorf("parsePosition(%q) = %+v, want %+v", in, got, want)
		}
	}
	p := position{validity: 3, last: 9}
	if parsePosition(p.String()) != p {
		t.Errorf("%+v does not read back from %q", p, p.String())
	}
}
