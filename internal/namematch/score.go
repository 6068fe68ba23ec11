package namematch

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Evidence kinds: why two members may be one person.
const (
	KindSameName = "same_name" // the same name, folded
	KindInitials = "initials"  // an initial and the same surname
	KindHandle   = "handle"    // a handle made of the other's name
	KindDomain   = "domain"    // the same personal web domain
	KindThreads  = "threads"   // they write in the same conversations
)

// Weights of each kind of evidence, from 0 to 1: how likely it makes
// two members one person on its own.
const (
	weightSameName = 0.6
	weightHandle   = 0.5
	weightInitials = 0.4
	weightDomain   = 0.5
	weightThread   = 0.05 // a conversation in common
	maxThreads     = 0.25
)

// Evidence is one reason to think two members are one person: its kind,
// the two members' values that show it (A's and B's), a count (for
// Threads), its weight, and the reason in words.
type Evidence struct {
	Kind   string  `json:"kind"`
	A      string  `json:"a,omitempty"`
	B      string  `json:"b,omitempty"`
	Count  int     `json:"count,omitempty"`
	Weight float64 `json:"weight"`
	Reason string  `json:"reason"`
}

// Shared is a blocking key two members share, with what each signed that
// gave it (a name, a handle, an address) and how many words that has
// (Words).
type Shared struct {
	Key            string
	SourceA        string
	SourceB        string
	WordsA, WordsB int
}

// Words is how many words a name or handle has, as Tokens reads it.
func Words(s string) int { return len(Tokens(s)) }

// Useless reports whether a key two members share says nothing on its
// own: a handle both make of names of several words ("Jean Dupont" and
// "Jean-Marc Dupont" both make jdupont), which their names and initials
// already compare.
func (s Shared) Useless() bool {
	return strings.HasPrefix(s.Key, keyHandle) && s.WordsA > 1 && s.WordsB > 1
}

// IsInitials reports whether key is of the initial-and-surname family,
// the weakest likeness of names.
func IsInitials(key string) bool { return strings.HasPrefix(key, keyInitial) }

// MaxInitialsScore is the highest score of two members whose names only
// share an initial and a surname (with the most conversations in common).
const MaxInitialsScore = 1 - (1-weightInitials)*(1-maxThreads)

// Weigh turns the keys two members share, and the number of conversations
// both wrote in, into evidence, strongest first, and a score from 0 to 1:
// the chance that at least one piece of evidence is right, taking each as
// independent (1 − Π(1 − weight)). Of the names, only the strongest
// likeness counts (the same name implies the same initials); a handle
// counts only against a one-word name or handle (Useless). No evidence
// scores 0.
func Weigh(shared []Shared, threads int) (float64, []Evidence) {
	var name, domain *Evidence
	better := func(cur *Evidence, e Evidence) *Evidence {
		if cur == nil || e.Weight > cur.Weight {
			return &e
		}
		return cur
	}
	for _, s := range shared {
		family, value, ok := cut(s.Key)
		if !ok {
			continue
		}
		switch family {
		case keyName:
			name = better(name, Evidence{Kind: KindSameName, A: s.SourceA, B: s.SourceB, Weight: weightSameName,
				Reason: fmt.Sprintf("same name: %q and %q", s.SourceA, s.SourceB)})
		case keyInitial:
			name = better(name, Evidence{Kind: KindInitials, A: s.SourceA, B: s.SourceB, Weight: weightInitials,
				Reason: fmt.Sprintf("initial and surname: %q and %q", s.SourceA, s.SourceB)})
		case keyHandle:
			// Two names of several words that make the same handle are
			// told apart by their names and initials already.
			if name != nil && name.Weight >= weightHandle || s.Useless() {
				continue
			}
			name = better(name, Evidence{Kind: KindHandle, A: s.SourceA, B: s.SourceB, Weight: weightHandle,
				Reason: fmt.Sprintf("handle and name alike: %q and %q", s.SourceA, s.SourceB)})
		case keyDomain:
			domain = better(domain, Evidence{Kind: KindDomain, A: value, B: value, Weight: weightDomain,
				Reason: fmt.Sprintf("same personal web domain: %s", value)})
		}
	}
	var out []Evidence
	for _, e := range []*Evidence{name, domain} {
		if e != nil {
			out = append(out, *e)
		}
	}
	if threads > 0 {
		out = append(out, Evidence{Kind: KindThreads, Count: threads, Weight: min(float64(threads)*weightThread, maxThreads),
			Reason: fmt.Sprintf("%d conversation(s) in common", threads)})
	}
	slices.SortStableFunc(out, func(a, b Evidence) int { return cmp.Compare(b.Weight, a.Weight) })
	return Score(out), out
}

// Score combines evidence into a score from 0 to 1: 1 − Π(1 − weight).
func Score(ev []Evidence) float64 {
	if len(ev) == 0 {
		return 0
	}
	miss := 1.0
	for _, e := range ev {
		miss *= 1 - e.Weight
	}
	return 1 - miss
}

// cut splits a key into its family ("n:") and value.
func cut(key string) (family, value string, ok bool) {
	i := strings.IndexByte(key, ':')
	if i < 0 {
		return "", "", false
	}
	return key[:i+1], key[i+1:], true
}
