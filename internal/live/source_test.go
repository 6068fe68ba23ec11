package live

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"palabre/internal/model"
)

// memSource is an in-memory Source where events become visible in any
// order, as transactions commit on PostgreSQL.
type memSource struct {
	mu      sync.Mutex
	visible []model.Event // ascending id
	fail    error
	calls   int
}

func (m *memSource) commit(ids ...int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		e := model.Event{ID: id, Actor: "test", Action: "message.created", WorkspaceID: id % 3, CreatedAt: time.Unix(id, 0).UTC()}
		i, found := slices.BinarySearchFunc(m.visible, id, func(e model.Event, id int64) int { return compareInt(e.ID, id) })
		if found {
			continue
		}
		m.visible = slices.Insert(m.visible, i, e)
	}
}

func (m *memSource) LastEventID(ctx context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return 0, m.fail
	}
	if len(m.visible) == 0 {
		return 0, nil
	}
	return m.visible[len(m.visible)-1].ID, nil
}

func (m *memSource) EventsAfter(ctx context.Context, afterID int64, limit int) ([]model.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.fail != nil {
		return nil, m.fail
	}
	var out []model.Event
	for _, e := range m.visible {
		if e.ID > afterID && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (m *memSource) EventsByID(ctx context.Context, ids []int64) ([]model.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return nil, m.fail
	}
	var out []model.Event
	for _, e := range m.visible {
		if _, ok := slices.BinarySearch(ids, e.ID); ok {
			out = append(out, e)
		}
	}
	return out, nil
}

var errBroken = errors.New("broken source")
