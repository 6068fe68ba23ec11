package topics

import (
	"slices"
	"sort"
)

// automaton is an Aho–Corasick automaton whose alphabet is the vocabulary's
// word ids rather than bytes: a phrase is a path of words, and every phrase
// ending at a word is found in one step per word of the text, however many
// terms the vocabulary has. State 0 is the root.
type automaton struct {
	// root maps a word id to the state it leads to from the root (0 when
	// none): dense, because after every unknown word matching restarts
	// there.
	root []uint32
	// The edges of state s (s > 0) are label[first[s]:first[s+1]] and
	// target[…], labels ascending.
	first, label, target []uint32
	fail                 []uint32
	// The topics found on reaching state s, its own and those of its
	// failure chain, are out[outFirst[s]:outFirst[s+1]].
	outFirst, out []uint32
}

// step follows word id w from state s.
func (a *automaton) step(s, w uint32) uint32 {
	for s != 0 {
		lo, hi := a.first[s], a.first[s+1]
		for lo < hi { // binary search; states past the root have few edges
			mid := (lo + hi) / 2
			switch l := a.label[mid]; {
			case l == w:
				return a.target[mid]
			case l < w:
				lo = mid + 1
			default:
				hi = mid
			}
		}
		s = a.fail[s]
	}
	return a.root[w]
}

// outputs returns the topics found on reaching state s.
func (a *automaton) outputs(s uint32) []uint32 {
	return a.out[a.outFirst[s]:a.outFirst[s+1]]
}

// trieBuilder collects the vocabulary's phrases as a trie, then turns it
// into an automaton.
type trieBuilder struct {
	children []map[uint32]uint32 // per state: word id → state
	own      [][]uint32          // per state: topics whose term ends there
}

func newTrieBuilder() *trieBuilder {
	return &trieBuilder{children: []map[uint32]uint32{{}}, own: [][]uint32{nil}}
}

// insert adds the phrase of word ids seq as a term of topic.
func (b *trieBuilder) insert(seq []uint32, topic uint32) {
	s := uint32(0)
	for _, w := range seq {
		next, ok := b.children[s][w]
		if !ok {
			next = uint32(len(b.children))
			b.children = append(b.children, map[uint32]uint32{})
			b.own = append(b.own, nil)
			b.children[s][w] = next
		}
		s = next
	}
	if !slices.Contains(b.own[s], topic) {
		b.own[s] = append(b.own[s], topic)
	}
}

// build computes the failure links breadth first, so that a state's
// failure target, being shallower, is complete before the state itself,
// and lays the automaton out in flat slices. words is the number of word
// ids (ids run from 1 to words).
func (b *trieBuilder) build(words int) *automaton {
	n := len(b.children)
	a := &automaton{root: make([]uint32, words+1), first: make([]uint32, n+1), fail: make([]uint32, n)}
	outs := make([][]uint32, n)
	queue := make([]uint32, 0, n)
	for w, s := range b.children[0] {
		a.root[w] = s
		queue = append(queue, s)
	}
	// goTo follows w from s in the trie under construction.
	goTo := func(s, w uint32) uint32 {
		for s != 0 {
			if next, ok := b.children[s][w]; ok {
				return next
			}
			s = a.fail[s]
		}
		return a.root[w]
	}
	for i := 0; i < len(queue); i++ {
		s := queue[i]
		out := slices.Clone(b.own[s])
		for _, t := range outs[a.fail[s]] {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
		slices.Sort(out)
		outs[s] = out
		for w, next := range b.children[s] {
			a.fail[next] = goTo(a.fail[s], w)
			queue = append(queue, next)
		}
	}
	for s := 0; s < n; s++ {
		a.first[s] = uint32(len(a.label))
		a.outFirst = append(a.outFirst, uint32(len(a.out)))
		a.out = append(a.out, outs[s]...)
		if s == 0 {
			continue // the root's edges are in a.root
		}
		start := len(a.label)
		for w, next := range b.children[s] {
			a.label = append(a.label, w)
			a.target = append(a.target, next)
		}
		sort.Sort(edges{a.label[start:], a.target[start:]})
	}
	a.first[n] = uint32(len(a.label))
	a.outFirst = append(a.outFirst, uint32(len(a.out)))
	return a
}

// edges sorts one state's edges by label.
type edges struct{ label, target []uint32 }

func (e edges) Len() int           { return len(e.label) }
func (e edges) Less(i, j int) bool { return e.label[i] < e.label[j] }
func (e edges) Swap(i, j int) {
	e.label[i], e.label[j] = e.label[j], e.label[i]
	e.target[i], e.target[j] = e.target[j], e.target[i]
}
