package email

import "testing"

func TestStripQuoted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{
			name: "english attribution",
			in:   "Thanks, that works.\n\nOn Mon, 3 Mar 2025 at 10:02, Ann <ann@example.com> wrote:\n> Try again.\n>\n> Ann\n",
			want: "Thanks, that works.",
		},
		{
			name: "french attribution",
			in:   "Merci !\n\nLe lun. 3 mars 2025 à 10:02, Ann <ann@example.com> a écrit :\n\n> Essayez encore.\n",
			want: "Merci !",
		},
		{
			name: "attribution wrapped over two lines",
			in:   "Yes.\n\nOn Mon, Mar 3, 2025 at 10:02 AM Ann Very-Long-Name <\nann@example.com> wrote:\n> Really?\n",
			want: "Yes.",
		},
		{
			name: "quoted block without attribution",
			in:   "Fine by me.\n\n> Shall we meet at ten?\n",
			want: "Fine by me.",
		},
		{
			name: "outlook original message",
			in:   "See below.\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n\nOld text",
			want: "See below.",
		},
		{
			name: "outlook underscores",
			in:   "Ok.\n________________________________\nDe : Support\nEnvoyé : lundi\n",
			want: "Ok.",
		},
		{
			name: "interleaved answers are kept",
			in:   "> Question one?\nAnswer one.\n> Question two?\nAnswer two.",
			want: "> Question one?\nAnswer one.\n> Question two?\nAnswer two.",
		},
		{
			name: "a message that is all quote is kept",
			in:   "On Monday Ann wrote:\n> hello",
			want: "On Monday Ann wrote:\n> hello",
		},
		{
			name: "a forwarded message is kept",
			in:   "FYI\n\n---------- Forwarded message ---------\nFrom: Ann\n\nThe order is late.",
			want: "FYI\n\n---------- Forwarded message ---------\nFrom: Ann\n\nThe order is late.",
		},
		{
			name: "no quote",
			in:   "Just text.\nTwo lines.",
			want: "Just text.\nTwo lines.",
		},
	}
	for _, tt := range tests {
		if got := stripQuoted(tt.in); got != tt.want {
			t.Errorf("%s: stripQuoted =\n%q\nwant\n%q", tt.name, got, tt.want)
		}
	}
}
