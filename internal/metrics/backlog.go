package metrics

import (
	"slices"
	"time"
)

// Opening is what a conversation's place in a backlog depends on: when
// its first customer message came, when the team first wrote after it
// (nil when it never did) and when it left the backlog (nil while open).
// Keys are the slices it counts in, for BacklogsBy.
type Opening struct {
	Start            time.Time
	Answered, Closed *time.Time
	Keys             []string
}

// Backlogs finds the backlog at each of ends, in time order, by the
// rules of a period's report: a conversation is in it when it began
// before the end and was not closed before; its age is from its start to
// the end; it is unanswered when the team had not written after its
// start before the end. One pass over the conversations' starts,
// answers and closings serves every end.
func Backlogs(convs []Opening, ends []time.Time) []Backlog {
	out := make([]Backlog, len(ends))
	if len(convs) == 0 {
		return out
	}
	// Ranked by start, the latest first: the k-th present is the k-th
	// youngest.
	order := make([]int, len(convs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return convs[b].Start.Compare(convs[a].Start) })
	rankOf := make([]int, len(convs))
	for r, i := range order {
		rankOf[i] = r
	}
	type event struct {
		at   time.Time
		kind int // 0 starts, 1 is answered, 2 closes
		conv int
	}
	events := make([]event, 0, len(convs)*2)
	for i, c := range convs {
		events = append(events, event{c.Start, 0, i})
		if c.Answered != nil {
			events = append(events, event{*c.Answered, 1, i})
		}
		if c.Closed != nil {
			events = append(events, event{*c.Closed, 2, i})
		}
	}
	slices.SortFunc(events, func(a, b event) int { return a.at.Compare(b.at) })
	present := newFenwick(len(convs))
	in, answered, closed, waiting := make([]bool, len(convs)), make([]bool, len(convs)), make([]bool, len(convs)), make([]bool, len(convs))
	open, unanswered, next := 0, 0, 0
	for e, end := range ends {
		// Every event strictly before the end has happened by it; their
		// order among themselves does not matter.
		for ; next < len(events) && events[next].at.Before(end); next++ {
			ev := events[next]
			i := ev.conv
			switch ev.kind {
			case 0:
				if closed[i] {
					continue
				}
				in[i], waiting[i] = true, !answered[i]
				present.add(rankOf[i], 1)
				open++
				if waiting[i] {
					unanswered++
				}
			case 1:
				answered[i] = true
				if in[i] && waiting[i] {
					waiting[i] = false
					unanswered--
				}
			case 2:
				closed[i] = true
				if in[i] {
					in[i] = false
					present.add(rankOf[i], -1)
					open--
					if waiting[i] {
						waiting[i] = false
						unanswered--
					}
				}
			}
		}
		b := Backlog{Open: open, Unanswered: unanswered}
		if open > 0 {
			age := func(k int) int64 { return seconds(end.Sub(convs[order[present.find(k)]].Start)) }
			b.MedianAge = age(NearestRank(open, 50))
			b.OldestAge = age(open)
		}
		out[e] = b
	}
	return out
}

// BacklogsBy finds the backlogs at ends of each slice the conversations'
// keys name (a conversation counts once in each of its slices).
func BacklogsBy(convs []Opening, ends []time.Time) map[string][]Backlog {
	bySlice := map[string][]Opening{}
	for _, c := range convs {
		for i, k := range c.Keys {
			if !slices.Contains(c.Keys[:i], k) {
				bySlice[k] = append(bySlice[k], c)
			}
		}
	}
	out := make(map[string][]Backlog, len(bySlice))
	for k, list := range bySlice {
		out[k] = Backlogs(list, ends)
	}
	return out
}

// fenwick counts, by rank, which conversations are present, and finds
// the k-th.
type fenwick struct{ tree []int }

func newFenwick(n int) *fenwick { return &fenwick{tree: make([]int, n+1)} }

func (f *fenwick) add(i, v int) {
	for i++; i < len(f.tree); i += i & -i {
		f.tree[i] += v
	}
}

// find returns the rank of the k-th present (k from 1).
func (f *fenwick) find(k int) int {
	pos, step := 0, 1
	for step*2 < len(f.tree) {
		step *= 2
	}
	for ; step > 0; step /= 2 {
		if next := pos + step; next < len(f.tree) && f.tree[next] < k {
			pos = next
			k -= f.tree[next]
		}
	}
	return pos // 0-based rank: tree index pos+1
}

// Openings are the openings of the facts' conversations that a customer
// wrote in, with the slices by gives them ("" gives none): what Backlogs
// reads, found in the facts.
func Openings(f Facts, by string) ([]Opening, error) {
	key, err := sliceBy(by)
	if err != nil {
		return nil, err
	}
	byConv := threads(f)
	var out []Opening
	for _, c := range f.Conversations {
		start, answered, ok := openingOf(c, byConv[c.ID])
		if !ok {
			continue
		}
		o := Opening{Start: start, Answered: answered, Closed: c.ClosedAt}
		if key != nil {
			o.Keys = key(c)
		}
		out = append(out, o)
	}
	return out, nil
}
