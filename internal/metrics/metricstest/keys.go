package metricstest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	"palabre/internal/metrics"
)

// Dictionary gives member ids keys, as a workspace's does (1, 2, … in the
// order asked), and names members (metrics.Who).
type Dictionary struct {
	keys  map[string]uint32
	ids   map[uint32]string
	names map[string]string
}

// NewDictionary is an empty dictionary whose members are named by names.
func NewDictionary(names map[string]string) *Dictionary {
	return &Dictionary{keys: map[string]uint32{}, ids: map[uint32]string{}, names: names}
}

// Key keys each of parts' members, giving a key to the ids without one.
func (d *Dictionary) Key(t testing.TB, parts ...metrics.Partial) []metrics.Partial {
	t.Helper()
	out := make([]metrics.Partial, len(parts))
	for i, p := range parts {
		for _, id := range slices.Sorted(maps.Keys(p.Members)) {
			if _, ok := d.keys[id]; !ok {
				k := uint32(len(d.keys) + 1)
				d.keys[id], d.ids[k] = k, id
			}
		}
		var err error
		if out[i], err = p.Keyed(d.keys); err != nil {
			t.Fatalf("key part %d: %v", i, err)
		}
	}
	return out
}

// IDs returns the ids of keys.
func (d *Dictionary) IDs(_ context.Context, keys []uint32) (map[uint32]string, error) {
	out := make(map[uint32]string, len(keys))
	for _, k := range keys {
		id, ok := d.ids[k]
		if !ok {
			return nil, fmt.Errorf("key %d unknown", k)
		}
		out[k] = id
	}
	return out, nil
}

// Names returns the names of ids.
func (d *Dictionary) Names(_ context.Context, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	for _, id := range ids {
		out[id] = d.names[id]
	}
	return out, nil
}
