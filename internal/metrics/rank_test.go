package metrics

import "testing"

func TestRank(t *testing.T) {
	v := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, c := range []struct {
		p    int
		want int64
	}{{50, 5}, {90, 9}, {100, 10}, {1, 1}, {91, 10}} {
		if got := rank(v, c.p); got != c.want {
			t.Errorf("rank %d of 1..10 = %d, want %d", c.p, got, c.want)
		}
	}
	if got := rank([]int64{7}, 50); got != 7 {
		t.Errorf("rank 50 of one value = %d", got)
	}
	if d := summarise(nil); d != (Durations{}) {
		t.Errorf("no durations: %+v", d)
	}
}
