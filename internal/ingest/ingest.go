package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"

	"palabre/internal/connector"
	"palabre/internal/model"
	"palabre/internal/store"
)

// DefaultBatchSize is how many messages go into one transaction: large
// enough to amortise the commit, small enough that an interrupted import
// redoes little.
const DefaultBatchSize = 1000

// Options steer one import.
type Options struct {
	Workspace   model.Workspace
	Channel     string // channel of records that do not name one
	ChannelKind string // kind given to channels this import creates
	BatchSize   int    // 0 means DefaultBatchSize
	// Bad is told about every record that cannot be stored, with its
	// position in the input and the reason.
	Bad func(pos connector.Position, err error)
	// Progress is told the number of records read so far, after each batch.
	Progress func(read int)
	// Enrich, when set, analyses every message that arrives without an
	// analysis of its own (an export of palabre carries its analysis, and
	// a CM's corrections in it, which are kept as they are).
	Enrich func(m *model.Message)
}

// Summary counts what an import did; its JSON form is the one printed by
// `palabre import --json`.
type Summary struct {
	Read          int `json:"read"`
	Inserted      int `json:"inserted"`
	Duplicates    int `json:"duplicates"`
	Rejected      int `json:"rejected"`
	Conversations int `json:"conversations"` // conversations created
	Members       int `json:"members"`       // members created
}

// channelBatch gathers one channel's pending records.
type channelBatch struct {
	importer *store.Importer
	items    []store.IngestItem
}

// Import reads src to the end and stores every good record. Records are
// written in batches, each in its own transaction, so an import killed at
// any moment and run again stores everything exactly once. A fatal source
// error stops the import; what earlier batches stored stays stored, so
// callers that must not change anything on a broken input check it first
// (see Check).
func Import(ctx context.Context, st *store.Store, src connector.Source, opts Options) (Summary, error) {
	var sum Summary
	size := opts.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
	batches := make(map[string]*channelBatch)
	var order []string
	flush := func(b *channelBatch) error {
		if len(b.items) == 0 {
			return nil
		}
		res, err := b.importer.Write(ctx, b.items)
		if err != nil {
			return err
		}
		sum.Inserted += res.Inserted
		sum.Duplicates += res.Duplicates
		sum.Conversations += res.NewConversations
		sum.Members += res.NewMembers
		b.items = b.items[:0]
		if opts.Progress != nil {
			opts.Progress(sum.Read)
		}
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		rec, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return sum, err
		}
		sum.Read++
		item, name, err := prepareRecord(opts.Workspace.Slug, opts.Channel, rec)
		if err != nil {
			sum.Rejected++
			report(opts.Bad, rec.Pos, err)
			continue
		}
		enrich(opts, &item)
		b := batches[name]
		if b == nil {
			ch, err := st.EnsureChannel(ctx, opts.Workspace.ID, name, opts.ChannelKind)
			if err != nil {
				return sum, err
			}
			b = &channelBatch{importer: st.NewImporter(opts.Workspace, ch)}
			batches[name] = b
			order = append(order, name)
		}
		b.items = append(b.items, item)
		if len(b.items) >= size {
			if err := flush(b); err != nil {
				return sum, err
			}
		}
	}
	for _, name := range order {
		if err := flush(batches[name]); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// prepareRecord turns a read record into a storable item and the name of
// its channel, or says why it cannot be stored.
func prepareRecord(wsSlug, defaultChannel string, rec connector.Record) (store.IngestItem, string, error) {
	if rec.Err != nil {
		return store.IngestItem{}, "", rec.Err
	}
	name := rec.Message.Channel
	if name == "" {
		name = defaultChannel
	}
	if err := store.ValidateSlug(name); err != nil {
		return store.IngestItem{}, "", fmt.Errorf("channel: %w", err)
	}
	item, err := Prepare(wsSlug, name, rec.Message)
	return item, name, err
}

// enrich analyses item's message with opts.Enrich, unless it arrived
// with an analysis of its own.
func enrich(opts Options, item *store.IngestItem) {
	if opts.Enrich != nil && !item.Message.Analysed() {
		opts.Enrich(&item.Message)
	}
}

func report(bad func(connector.Position, error), pos connector.Position, err error) {
	if bad != nil {
		bad(pos, err)
	}
}

// CheckResult is what a dry read of a source found.
type CheckResult struct {
	Read     int
	Rejected int
}

// Check reads src to the end without storing anything, reporting bad
// records through bad. It returns the source's fatal error, if any, so a
// broken input can be refused before anything is written.
func Check(ctx context.Context, src connector.Source, wsSlug, channel string, bad func(connector.Position, error)) (CheckResult, error) {
	var res CheckResult
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		rec, err := src.Next()
		if errors.Is(err, io.EOF) {
			return res, nil
		}
		if err != nil {
			return res, err
		}
		res.Read++
		if _, _, err := prepareRecord(wsSlug, channel, rec); err != nil {
			res.Rejected++
			report(bad, rec.Pos, err)
		}
	}
}

// FromMessages is a Source over messages already in memory (seeds, tests).
func FromMessages(msgs []model.Message) connector.Source {
	return &sliceSource{msgs: msgs}
}

// FromRecords is a Source over records already read (a live source's
// poll), bad ones included.
func FromRecords(records []connector.Record) connector.Source {
	return &recordSource{records: records}
}

type recordSource struct {
	records []connector.Record
	i       int
}

func (s *recordSource) Next() (connector.Record, error) {
	if s.i >= len(s.records) {
		return connector.Record{}, io.EOF
	}
	s.i++
	return s.records[s.i-1], nil
}

type sliceSource struct {
	msgs []model.Message
	i    int
}

func (s *sliceSource) Next() (connector.Record, error) {
	if s.i >= len(s.msgs) {
		return connector.Record{}, io.EOF
	}
	s.i++
	return connector.Record{Message: s.msgs[s.i-1], Pos: connector.Position{Line: s.i}}, nil
}
