package bench

import (
	"math/bits"
	"time"
)

// histogram counts durations in buckets of at most 1/64 of their value
// (about 1.6%), from a microsecond to days, in fixed memory: the soak
// records tens of millions of deliveries, too many to keep one by one.
// Below 64 µs each microsecond has its own bucket. The zero value is
// ready to use; it is not safe for concurrent use.
type histogram struct {
	counts [histBuckets]uint64
	n      uint64
	max    time.Duration
}

const (
	histSubBits = 6
	histSub     = 1 << histSubBits
	// histBuckets covers values up to 2^40 µs (12 days); larger ones
	// count in the last bucket.
	histBuckets = histSub + (40-histSubBits)*histSub
)

// histIndex is the bucket of v microseconds: below 64, v itself; above,
// its top 7 bits and how far they were shifted.
func histIndex(v uint64) int {
	if v < histSub {
		return int(v)
	}
	shift := bits.Len64(v) - histSubBits - 1
	i := histSub + shift*histSub + int(v>>uint(shift)) - histSub
	return min(i, histBuckets-1)
}

// histUpper is the largest value, in microseconds, of bucket i.
func histUpper(i int) uint64 {
	if i < histSub {
		return uint64(i)
	}
	shift := (i - histSub) / histSub
	top := uint64(histSub + (i-histSub)%histSub)
	return (top+1)<<uint(shift) - 1
}

// add counts one duration; a negative one counts as zero.
func (h *histogram) add(d time.Duration) {
	d = max(d, 0)
	h.counts[histIndex(uint64(d/time.Microsecond))]++
	h.n++
	h.max = max(h.max, d)
}

// merge adds o's counts to h's.
func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile returns the upper bound of the bucket holding the value of rank
// ceil(p·n) (nearest rank, as summarize), never more than the maximum.
func (h *histogram) quantile(p float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(p*float64(h.n) + 0.999999)
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(histUpper(i))*time.Microsecond, h.max)
		}
	}
	return h.max
}

// latency summarises the histogram as summarize does a list of durations.
func (h *histogram) latency() Latency {
	if h.n == 0 {
		return Latency{}
	}
	return Latency{N: int(h.n), P50: ms(h.quantile(0.50)), P95: ms(h.quantile(0.95)),
		P99: ms(h.quantile(0.99)), Max: ms(h.max)}
}
