package metrics

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestRank(t *testing.T) {
	for _, c := range []struct {
		n, p, want int
	}{{10, 50, 5}, {10, 90, 9}, {10, 100, 10}, {10, 1, 1}, {10, 91, 10}, {1, 50, 1}, {1, 90, 1}} {
		if got := NearestRank(c.n, c.p); got != c.want {
			t.Errorf("rank %d of %d values = %d, want %d", c.p, c.n, got, c.want)
		}
	}
	if d := summarise(nil); d != (Durations{}) {
		t.Errorf("no durations: %+v", d)
	}
}

// TestSummarise selects the median and the 90th percentile of durations
// of many shapes — random, sorted, reversed, all equal, few values, runs
// of sorted values as merged rollups give — and finds what sorting finds.
func TestSummarise(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shapes := map[string]func(n int) []int64{
		"random": func(n int) []int64 {
			v := make([]int64, n)
			for i := range v {
				v[i] = rng.Int64N(1_000_000)
			}
			return v
		},
		"sorted": func(n int) []int64 {
			v := make([]int64, n)
			for i := range v {
				v[i] = int64(i)
			}
			return v
		},
		"reversed": func(n int) []int64 {
			v := make([]int64, n)
			for i := range v {
				v[i] = int64(n - i)
			}
			return v
		},
		"equal": func(n int) []int64 { return slices.Repeat([]int64{42}, n) },
		"few": func(n int) []int64 {
			v := make([]int64, n)
			for i := range v {
				v[i] = rng.Int64N(3)
			}
			return v
		},
		"runs": func(n int) []int64 {
			v := make([]int64, n)
			for i := range v {
				v[i] = int64(i % 97)
			}
			return v
		},
	}
	for name, shape := range shapes {
		for _, n := range []int{1, 2, 3, 10, 17, 100, 1_001, 50_000} {
			v := shape(n)
			sorted := slices.Sorted(slices.Values(v))
			want := Durations{Count: n, Median: sorted[NearestRank(n, 50)-1], P90: sorted[NearestRank(n, 90)-1]}
			if got := summarise(v); got != want {
				t.Errorf("%s, %d values: %+v, want %+v", name, n, got, want)
			}
			slices.Sort(v)
			if !slices.Equal(v, sorted) {
				t.Errorf("%s, %d values: summarising lost or changed values", name, n)
			}
		}
	}
}
