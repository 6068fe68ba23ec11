package metrics

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// The binary form of a Partial, as rollups keep it: compact (integers as
// varints, sorted lists as deltas) and quick to read back. A leading
// version byte lets a later form be told apart.
const partialVersion = 1

// AppendBinary appends the binary form of t to b. Members come sorted by
// id, so the same partial always gives the same bytes.
func (t Partial) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, partialVersion)
	r := t.Report
	b = binary.AppendVarint(b, r.Period.From.UnixMicro())
	b = binary.AppendVarint(b, r.Period.To.UnixMicro())
	for _, v := range []int{r.In, r.Out, r.Conversations, r.ResponseRate.Of, r.ResponseRate.Total, r.SLA.Of, r.SLA.Total,
		r.WithExpert.Of, r.WithExpert.Total, r.Sentiment.Positive, r.Sentiment.Neutral, r.Sentiment.Negative, r.Sentiment.Unknown,
		r.Backlog.Open, r.Backlog.Unanswered} {
		b = binary.AppendVarint(b, int64(v))
	}
	b = binary.AppendVarint(b, r.Backlog.MedianAge)
	b = binary.AppendVarint(b, r.Backlog.OldestAge)
	b = appendBool(b, t.BacklogDone)
	for _, v := range []int{r.Members.Active, r.Members.New, r.Members.Returning, r.Members.Regular, r.Members.TurnedAround,
		r.Members.Advocates} {
		b = binary.AppendVarint(b, int64(v))
	}
	for _, list := range [][]int64{t.First, t.Resolution, t.Ages} {
		b = binary.AppendUvarint(b, uint64(len(list)))
		for _, v := range list {
			b = binary.AppendVarint(b, v)
		}
	}
	members := t.members()
	b = binary.AppendUvarint(b, uint64(len(members)))
	for _, e := range members {
		id, m := e.id, e.part
		b = binary.AppendUvarint(b, uint64(len(id)))
		b = append(b, id...)
		b = binary.AppendUvarint(b, uint64(len(m.Conversations)))
		prev := int64(0)
		for _, c := range m.Conversations {
			b = binary.AppendVarint(b, c-prev)
			prev = c
		}
		b = binary.AppendUvarint(b, uint64(len(m.Days)))
		prevDay := int32(0)
		for _, d := range m.Days {
			b = binary.AppendVarint(b, int64(d-prevDay))
			prevDay = d
		}
		for _, v := range []int{m.Positive, m.Messages, m.Negative, m.Helpful} {
			b = binary.AppendVarint(b, int64(v))
		}
		b = appendBool(b, m.Turned)
		b = appendBool(b, m.Seen)
		if m.Seen {
			b = binary.AppendVarint(b, m.FirstSeen.UnixMicro())
		}
	}
	return b, nil
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// errShort: the bytes end before the partial does.
var errShort = errors.New("cut short")

// UnmarshalBinary reads the binary form of a partial (AppendBinary),
// refusing one cut short, of another version or with lists out of order.
func (t *Partial) UnmarshalBinary(data []byte) error {
	return t.unmarshal(data, true)
}

// UnmarshalCounts reads the binary form of a partial but its members'
// parts, written last: what a report of its period alone needs, when its
// Report.Members was counted before it was written (MembersCounted).
func (t *Partial) UnmarshalCounts(data []byte) error {
	return t.unmarshal(data, false)
}

func (t *Partial) unmarshal(data []byte, members bool) error {
	d := decoder{b: data}
	*t = Partial{}
	if v := d.byte(); d.err == nil && v != partialVersion {
		return fmt.Errorf("partial report: version %d, want %d", v, partialVersion)
	}
	r := &t.Report
	r.Period.From, r.Period.To = d.micros(), d.micros()
	for _, v := range []*int{&r.In, &r.Out, &r.Conversations, &r.ResponseRate.Of, &r.ResponseRate.Total, &r.SLA.Of, &r.SLA.Total,
		&r.WithExpert.Of, &r.WithExpert.Total, &r.Sentiment.Positive, &r.Sentiment.Neutral, &r.Sentiment.Negative,
		&r.Sentiment.Unknown, &r.Backlog.Open, &r.Backlog.Unanswered} {
		*v = d.int()
	}
	r.Backlog.MedianAge, r.Backlog.OldestAge = d.varint(), d.varint()
	t.BacklogDone = d.bool()
	for _, v := range []*int{&r.Members.Active, &r.Members.New, &r.Members.Returning, &r.Members.Regular, &r.Members.TurnedAround,
		&r.Members.Advocates} {
		*v = d.int()
	}
	for _, list := range []*[]int64{&t.First, &t.Resolution, &t.Ages} {
		n := d.count(1)
		if n > 0 {
			*list = make([]int64, n)
		}
		for i := range n {
			(*list)[i] = d.varint()
		}
	}
	if !members {
		if d.err != nil {
			return fmt.Errorf("partial report: %w", d.err)
		}
		t.MembersCounted = true
		return nil
	}
	n := d.count(8)
	// One allocation each for the members, their lists and their ids,
	// which are cut from a copy of the whole; they come sorted by id.
	parts := make([]MemberPart, n)
	t.sorted = make([]memberEntry, 0, n)
	text := string(data)
	var convs []int64
	var days []int32
	for i := range n {
		size := d.count(1)
		at := len(data) - len(d.b)
		d.bytes(size)
		if d.err != nil {
			break
		}
		id := text[at : at+size]
		m := &parts[i]
		if c := d.count(1); c > 0 {
			start := len(convs)
			prev := int64(0)
			for j := range c {
				prev += d.varint()
				if j > 0 && prev <= convs[len(convs)-1] {
					d.fail(fmt.Errorf("member %q: conversations out of order", id))
				}
				convs = append(convs, prev)
			}
			m.Conversations = convs[start:len(convs):len(convs)]
		}
		if c := d.count(1); c > 0 {
			start := len(days)
			prev := int64(0)
			for j := range c {
				prev += d.varint()
				if prev != int64(int32(prev)) || (j > 0 && int32(prev) <= days[len(days)-1]) {
					d.fail(fmt.Errorf("member %q: days out of order", id))
				}
				days = append(days, int32(prev))
			}
			m.Days = days[start:len(days):len(days)]
		}
		m.Positive, m.Messages, m.Negative, m.Helpful = d.int(), d.int(), d.int(), d.int()
		m.Turned, m.Seen = d.bool(), d.bool()
		if m.Seen {
			m.FirstSeen = d.micros()
		}
		if k := len(t.sorted); k > 0 && t.sorted[k-1].id >= id {
			d.fail(fmt.Errorf("member %q out of order", id))
		}
		if d.err != nil {
			break
		}
		t.sorted = append(t.sorted, memberEntry{id: id, part: m})
	}
	if d.err == nil && len(d.b) > 0 {
		d.fail(fmt.Errorf("%d bytes after the end", len(d.b)))
	}
	if d.err != nil {
		return fmt.Errorf("partial report: %w", d.err)
	}
	return nil
}

// decoder reads a binary partial; its first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail(errShort)
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) bool() bool {
	switch d.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail(errors.New("a flag neither 0 nor 1"))
	return false
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

// int reads a count, which cannot be negative.
func (d *decoder) int() int {
	v := d.varint()
	if v < 0 || v > 1<<40 {
		d.fail(fmt.Errorf("count %d out of range", v))
		return 0
	}
	return int(v)
}

func (d *decoder) micros() time.Time { return time.UnixMicro(d.varint()).UTC() }

// count reads a length whose items take at least size bytes each, so
// that a corrupt length cannot ask for more than the bytes could hold.
func (d *decoder) count(size int) int {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	if v > uint64(len(d.b)/size) {
		d.fail(fmt.Errorf("%d items in %d bytes", v, len(d.b)))
		return 0
	}
	return int(v)
}

func (d *decoder) bytes(n int) []byte {
	if n > len(d.b) {
		d.fail(errShort)
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}
