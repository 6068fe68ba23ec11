package ingest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"palabre/internal/connector"
	"palabre/internal/ingest"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// failingSource yields its records, then a fatal error.
type failingSource struct {
	recs []connector.Record
	err  error
}

func (f *failingSource) Next() (connector.Record, error) {
	if len(f.recs) == 0 {
		return connector.Record{}, f.err
	}
	r := f.recs[0]
	f.recs = f.recs[1:]
	return r, nil
}

func TestImportRoutesChannelsAndCountsRejects(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "w"})
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		msgs := []model.Message{
			{ExternalID: "a", Body: "one", CreatedAt: at, AuthorEmail: "x@example.org"},
			{Channel: "forum", ExternalID: "a", Body: "same id, other channel", CreatedAt: at, AuthorEmail: "X@example.org"},
			{Channel: "Not A Slug", ExternalID: "b", Body: "bad channel", CreatedAt: at},
			{ExternalID: "c", ParentExternalID: "a", Body: "reply", CreatedAt: at.Add(time.Hour)},
			{ExternalID: "", Body: "no id", CreatedAt: at},
		}
		var bad []string
		var progress []int
		sum, err := ingest.Import(ctx, st, ingest.FromMessages(msgs), ingest.Options{
			Workspace: ws, Channel: "blog", BatchSize: 2,
			Bad:      func(p connector.Position, err error) { bad = append(bad, p.String()+": "+err.Error()) },
			Progress: func(n int) { progress = append(progress, n) },
		})
		if err != nil {
			t.Fatal(err)
		}
		want := ingest.Summary{Read: 5, Inserted: 3, Rejected: 2, Conversations: 2, Members: 1}
		if sum != want {
			t.Fatalf("summary %+v, want %+v", sum, want)
		}
		if len(bad) != 2 || !strings.HasPrefix(bad[0], "line 3: channel") || !strings.HasPrefix(bad[1], "line 5: external_id") {
			t.Fatalf("bad records reported as %q", bad)
		}
		if len(progress) == 0 || progress[len(progress)-1] != 5 {
			t.Fatalf("progress %v", progress)
		}
		chans, err := st.Channels(ctx, ws.ID)
		if err != nil || len(chans) != 2 || chans[0].Name != "blog" || chans[1].Name != "forum" {
			t.Fatalf("channels %+v %v", chans, err)
		}
	})
}

func TestImportStopsOnFatalSourceError(t *testing.T) {
	t.Parallel()
	st := testutil.NewStore(t, store.EngineSQLite)
	ctx := context.Background()
	ws, err := st.CreateWorkspace(ctx, model.Workspace{Slug: "w"})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("offset 99: unexpected EOF")
	src := &failingSource{recs: []connector.Record{{Message: model.Message{ExternalID: "a", Body: "x", CreatedAt: time.Unix(1, 0)}}}, err: boom}
	if _, err := ingest.Import(ctx, st, src, ingest.Options{Workspace: ws, Channel: "blog"}); !errors.Is(err, boom) {
		t.Fatalf("got %v, want the source's error", err)
	}
	src = &failingSource{recs: []connector.Record{{Err: errors.New("bad"), Pos: connector.Position{Offset: 5}}}, err: boom}
	res, err := ingest.Check(ctx, src, "w", "blog", nil)
	if !errors.Is(err, boom) || res.Read != 1 || res.Rejected != 1 {
		t.Fatalf("check: %+v, %v", res, err)
	}
}
