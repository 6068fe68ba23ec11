package metrics_test

import (
	"bytes"
	"testing"

	"palabre/internal/metrics"
	"palabre/internal/metrics/metricstest"
)

// marchParts are the partials of each day of the hand-built month, and
// of the whole month, with members, durations and backlog ages.
func marchParts(t testing.TB) []metrics.Partial {
	f, p := metricstest.March(t)
	days, err := metrics.Split(p, metrics.Day, f.Clock.Location())
	if err != nil {
		t.Fatal(err)
	}
	parts := append(metrics.Partials(f, days, nil), metrics.Partials(f, []metrics.Period{p}, nil)...)
	return metricstest.NewDictionary(f.Names).Key(t, parts...)
}

// TestPartialBinary writes partials in their binary form and reads them
// back: the same report, the same bytes again.
func TestPartialBinary(t *testing.T) {
	f, p := metricstest.March(t)
	if _, err := metrics.Partials(f, []metrics.Period{p}, nil)[0].AppendBinary(nil); err == nil {
		t.Error("a partial whose members have no key was written")
	}
	parts := marchParts(t)
	members := 0
	for i, part := range parts {
		b, err := part.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		var back metrics.Partial
		if err := back.UnmarshalBinary(b); err != nil {
			t.Fatalf("part %d: %v", i, err)
		}
		again, err := back.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, again) {
			t.Errorf("part %d: read back, it writes other bytes", i)
		}
		got, want := back.Finish(), part.Finish()
		if !got.Period.From.Equal(want.Period.From) || !got.Period.To.Equal(want.Period.To) {
			t.Errorf("part %d: period %+v, want %+v", i, got.Period, want.Period)
		}
		got.Period = want.Period
		if got != want {
			t.Errorf("part %d:\n got %+v\nwant %+v", i, got, want)
		}
		members += back.MemberCount()
		// Kept in two pieces, cut where the members begin.
		at, err := metrics.MembersAt(b)
		if err != nil {
			t.Fatal(err)
		}
		var split metrics.Partial
		if err := split.UnmarshalSplit(b[:at], b[at:]); err != nil {
			t.Fatalf("part %d, in two pieces: %v", i, err)
		}
		if again, _ := split.AppendBinary(nil); !bytes.Equal(again, b) {
			t.Errorf("part %d: read back from two pieces, it writes other bytes", i)
		}
		if err := split.UnmarshalSplit(b[:at+1], b[at+1:]); err == nil && back.MemberCount() > 0 {
			t.Errorf("part %d: cut in the wrong place, read without error", i)
		}
		// Counted before written, its report reads without its members.
		part.Report.Members = want.Members
		b, err = part.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		var counts metrics.Partial
		if err := counts.UnmarshalCounts(b); err != nil || counts.MemberCount() != 0 || !counts.MembersCounted {
			t.Fatalf("part %d, counts only: %v, %d members read", i, err, counts.MemberCount())
		}
		if got := counts.Finish(); got.Members != want.Members || got.FirstResponse != want.FirstResponse || got.Backlog != want.Backlog {
			t.Errorf("part %d, counts only:\n got %+v\nwant %+v", i, got, want)
		}
		for cut := range len(b) {
			if err := back.UnmarshalBinary(b[:cut]); err == nil {
				t.Fatalf("part %d cut at %d of %d bytes: read without error", i, cut, len(b))
			}
		}
	}
	if members == 0 {
		t.Error("no member in the month: the test proves little")
	}
}

// FuzzPartialBinary reads any bytes as a partial: an error or a partial
// that writes back to what it read, never a panic.
func FuzzPartialBinary(f *testing.F) {
	for _, part := range marchParts(f) {
		b, err := part.AppendBinary(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var p metrics.Partial
		if err := p.UnmarshalBinary(b); err != nil {
			return
		}
		again, err := p.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		var q metrics.Partial
		if err := q.UnmarshalBinary(again); err != nil {
			t.Fatalf("written back, it does not read: %v", err)
		}
		if third, _ := q.AppendBinary(nil); !bytes.Equal(third, again) {
			t.Fatal("read twice, two forms")
		}
	})
}
