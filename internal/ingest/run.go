package ingest

// Importing a whole file, as `palabre import` and the API's upload do:
// keep a copy that can be read twice, guess its format, check it without
// writing when its structure can break mid-way, then store it and record
// the import in the audit log.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"palabre/internal/connector"
	csvconn "palabre/internal/connector/csv"
	"palabre/internal/connector/feed"
	"palabre/internal/connector/ndjson"
	"palabre/internal/connector/wxr"
	"palabre/internal/model"
	"palabre/internal/store"
)

// ErrNothingImported ends the errors of an input refused before anything
// was written: callers tell the user nothing changed, and an API answers
// that the input, not the server, is at fault.
var ErrNothingImported = errors.New("nothing was imported")

// File is an input to import, kept where it can be read from the start
// as often as needed.
type File struct {
	Name string // how messages call it: its path, a URL, "standard input"
	Path string
	Size int64
	temp bool
}

// Spool copies r into a temporary file, so that an import may read it
// twice and an interrupted import can be run again on the same bytes.
// Remove deletes the copy.
func Spool(ctx context.Context, name string, r io.Reader) (File, error) {
	f, err := os.CreateTemp("", "palabre-import-*")
	if err != nil {
		return File{}, fmt.Errorf("spool %s: %w", name, err)
	}
	n, err := io.Copy(f, ctxReader{ctx, r})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return File{}, fmt.Errorf("read %s: %w", name, err)
	}
	return File{Name: name, Path: f.Name(), Size: n, temp: true}, nil
}

// Remove deletes a copy made by Spool; a user's own file stays.
func (f File) Remove() {
	if f.temp {
		os.Remove(f.Path)
	}
}

// ctxReader stops a long copy when the work is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// PlanOptions say how to read an input.
type PlanOptions struct {
	Format    connector.Format // "" guesses it from the first bytes
	Channel   string           // "" takes the format's default (DefaultChannel)
	Workspace string           // the workspace's slug, which canonical ids include
	// Strict refuses the whole input when any record is bad, after
	// telling Bad about each.
	Strict bool
	Bad    func(pos connector.Position, err error)
}

// Plan is an input found readable, with what importing it needs.
type Plan struct {
	File    File
	Format  connector.Format
	Channel string // channel of the records that do not name one
	Kind    string // kind given to the channels the import creates
	// Progress, when set, is told the bytes the import reads.
	Progress io.Writer
}

// NewPlan checks an input before anything is written: it guesses the
// format when none is given; reads inputs whose structure can break
// mid-way (XML cut short, a CSV quote never closed) once without writing,
// as it does every input under Strict; and makes sure there is a first
// record. Its errors about the input name the file and wrap
// ErrNothingImported.
func NewPlan(ctx context.Context, f File, o PlanOptions) (*Plan, error) {
	p := &Plan{File: f, Format: o.Format, Channel: o.Channel}
	if p.Format == "" {
		format, err := sniffFile(f)
		if err != nil {
			return nil, p.refuse(err)
		}
		p.Format = format
	}
	if p.Channel == "" {
		p.Channel = DefaultChannel(p.Format)
	}
	p.Kind = ChannelKind(p.Format)
	if o.Strict || p.Format != connector.FormatNDJSON {
		var bad func(connector.Position, error)
		if o.Strict {
			bad = o.Bad
		}
		var res CheckResult
		err := p.read(func(src connector.Source) (err error) {
			res, err = Check(ctx, src, o.Workspace, p.Channel, bad)
			return err
		})
		switch {
		case err != nil:
			return nil, p.refuse(err)
		case res.Read == 0:
			return nil, p.refuse(fmt.Errorf("no records found (format %s)", p.Format))
		case o.Strict && res.Rejected > 0:
			return nil, p.refuse(fmt.Errorf("%d of %d records are bad", res.Rejected, res.Read))
		}
	}
	// Structure aside, an input without any record (or broken from its
	// first byte) changes nothing either.
	err := p.read(func(src connector.Source) error {
		_, err := src.Next()
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("no records found (format %s)", p.Format)
		}
		return err
	})
	if err != nil {
		return nil, p.refuse(err)
	}
	return p, nil
}

// refuse names the file in an error about it.
func (p *Plan) refuse(err error) error {
	var pathErr *os.PathError
	if errors.As(err, &pathErr) {
		return fmt.Errorf("%s: %w", p.File.Name, pathErr.Err)
	}
	return fmt.Errorf("%s: %w; %w", p.File.Name, err, ErrNothingImported)
}

// Run stores the plan's input into ws and records the import in the
// workspace's audit log as done by actor. opts gives the batch size and
// who is told of bad records, progress and what to analyse; the plan
// fills in the channel. What earlier batches stored stays stored when it
// fails, and the same import run again finishes it.
func (p *Plan) Run(ctx context.Context, st *store.Store, ws model.Workspace, actor string, opts Options) (Summary, error) {
	opts.Workspace, opts.Channel, opts.ChannelKind = ws, p.Channel, p.Kind
	var sum Summary
	err := p.read(func(src connector.Source) (err error) {
		sum, err = Import(ctx, st, src, opts)
		return err
	})
	if err != nil {
		return sum, fmt.Errorf("%s: %w (what was stored before is kept; run the same import again to finish it)", p.File.Name, err)
	}
	detail, err := json.Marshal(sum)
	if err != nil {
		return sum, err
	}
	if _, err = st.RecordEvent(ctx, model.Event{WorkspaceID: ws.ID, Actor: actor, Action: "import",
		Subject: p.File.Name, Detail: string(detail)}); err != nil {
		return sum, err
	}
	// A large import changes what the query planner should choose.
	return sum, st.Optimize(ctx)
}

// read opens the file afresh and hands a source of its records to fn.
func (p *Plan) read(fn func(connector.Source) error) error {
	f, err := os.Open(p.File.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	var r io.Reader = f
	if p.Progress != nil {
		r = io.TeeReader(f, p.Progress)
	}
	src, err := NewSource(p.Format, r)
	if err != nil {
		return err
	}
	return fn(src)
}

// NewSource reads records of the given format from r.
func NewSource(format connector.Format, r io.Reader) (connector.Source, error) {
	switch format {
	case connector.FormatWXR:
		return wxr.NewReader(r, wxr.Options{}), nil
	case connector.FormatRSS, connector.FormatAtom:
		return feed.NewReader(r, feed.Options{}), nil
	case connector.FormatNDJSON:
		return ndjson.NewReader(r), nil
	case connector.FormatCSV:
		return csvconn.NewReader(r), nil
	}
	return nil, fmt.Errorf("format %q cannot be imported", format)
}

// sniffFile guesses a file's format from its first bytes.
func sniffFile(file File) (connector.Format, error) {
	f, err := os.Open(file.Path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 8<<10)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", err
	}
	return connector.Sniff(head[:n])
}

// DefaultChannel is the channel of imported records that name none.
func DefaultChannel(f connector.Format) string {
	switch f {
	case connector.FormatWXR, connector.FormatRSS, connector.FormatAtom:
		return "blog"
	}
	return "import"
}

// ChannelKind is the kind of the channels an import of format f creates.
func ChannelKind(f connector.Format) string {
	switch f {
	case connector.FormatWXR:
		return "wordpress"
	case connector.FormatRSS, connector.FormatAtom:
		return "feed"
	}
	return string(f)
}
