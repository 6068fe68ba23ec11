package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"palabre/internal/analysis"
	"palabre/internal/config"
	"palabre/internal/connector"
	csvconn "palabre/internal/connector/csv"
	"palabre/internal/connector/feed"
	"palabre/internal/connector/ndjson"
	"palabre/internal/connector/wxr"
	"palabre/internal/fetch"
	"palabre/internal/ingest"
	"palabre/internal/model"
	"palabre/internal/routing"
	"palabre/internal/store"
)

// maxShownRejects is how many bad records are listed one by one.
const maxShownRejects = 20

// maxFetchBytes bounds what a URL import downloads.
const maxFetchBytes = 512 << 20

func runImport(ctx context.Context, args []string, env Env) error {
	var cfg config.Config
	rest, err := parse("import", args, env, &cfg,
		config.DB, config.Workspace, config.Channel, config.Format, config.JSON, config.Strict,
		config.AllowPrivate, config.BatchSize, config.Timeout, config.Analyze, config.Model, config.Route)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usagef("import takes one FILE, URL or - (standard input), got %d arguments", len(rest))
	}
	if cfg.Workspace == "" {
		return usagef("--workspace is required")
	}
	if err := store.ValidateSlug(cfg.Workspace); err != nil {
		return usagef("--workspace: %v", err)
	}
	if cfg.Channel != "" {
		if err := store.ValidateSlug(cfg.Channel); err != nil {
			return usagef("--channel: %v", err)
		}
	}
	if cfg.BatchSize <= 0 {
		return usagef("--batch-size must be positive")
	}
	format, err := connector.ParseFormat(cfg.Format)
	if err != nil {
		return usagef("--format: %v", err)
	}

	in, err := openInput(ctx, rest[0], cfg, env)
	if err != nil {
		return err
	}
	defer in.close()
	if format == "" {
		if format, err = in.sniff(); err != nil {
			return fmt.Errorf("%s: %w; nothing was imported", in.name, err)
		}
	}
	channel, kind := cfg.Channel, channelKind(format)
	if channel == "" {
		channel = defaultChannel(format)
	}
	rep := &rejects{name: in.name, w: env.Stderr}

	// Inputs whose structure can break mid-way (XML cut short, a CSV quote
	// never closed) are read once without writing, so that a broken file
	// changes nothing; --strict also needs every record checked first.
	if cfg.Strict || format != connector.FormatNDJSON {
		src, err := in.source(format)
		if err != nil {
			return err
		}
		var bad func(connector.Position, error)
		if cfg.Strict {
			bad = rep.add
		}
		res, err := ingest.Check(ctx, src, cfg.Workspace, channel, bad)
		if err != nil {
			return fmt.Errorf("%s: %w; nothing was imported", in.name, err)
		}
		if res.Read == 0 {
			return fmt.Errorf("%s: no records found (format %s); nothing was imported", in.name, format)
		}
		if cfg.Strict && res.Rejected > 0 {
			rep.flush()
			return fmt.Errorf("%s: %d of %d records are bad; nothing was imported (--strict)", in.name, res.Rejected, res.Read)
		}
	}

	var bar *progressbar.ProgressBar
	if isTerminal(env.Stderr) {
		bar = newBar(env.Stderr, in.size, "importing")
		in.progress = bar
	}
	src, err := in.source(format)
	if err != nil {
		return err
	}
	// Read the first record before touching the database, so that an input
	// without any (or broken from its first byte) changes nothing.
	first, err := src.Next()
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: no records found (format %s); nothing was imported", in.name, format)
	}
	if err != nil {
		return fmt.Errorf("%s: %w; nothing was imported", in.name, err)
	}
	src = &prepended{first: &first, rest: src}

	st, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return err
	}
	defer st.Close()
	ws, err := st.EnsureWorkspace(ctx, model.Workspace{Slug: cfg.Workspace, Name: cfg.Workspace})
	if err != nil {
		return err
	}
	var enrichFn func(*model.Message)
	if cfg.Analyze {
		m, err := loadModel(cfg)
		if err != nil {
			return err
		}
		a, err := analysis.ForWorkspace(ctx, st, m, ws.ID)
		if err != nil {
			return err
		}
		enrichFn = analysis.NewEnricher(a).Enrich
	}
	sum, err := ingest.Import(ctx, st, src, ingest.Options{
		Workspace: ws, Channel: channel, ChannelKind: kind, BatchSize: cfg.BatchSize,
		Bad: rep.add, Enrich: enrichFn,
		Progress: func(read int) {
			if bar != nil {
				bar.Describe(fmt.Sprintf("importing: %d records", read))
			}
		},
	})
	if bar != nil {
		bar.Finish()
	}
	rep.flush()
	if err != nil {
		return fmt.Errorf("%s: %w (what was stored before is kept; run the same import again to finish it)", in.name, err)
	}
	detail, _ := json.Marshal(sum)
	if _, err := st.RecordEvent(ctx, model.Event{WorkspaceID: ws.ID, Actor: actor(env), Action: "import",
		Subject: in.name, Detail: string(detail)}); err != nil {
		return err
	}
	if cfg.Route {
		// The summary's format is fixed; how many were assigned is in the
		// audit log, and palabre route tells it.
		if _, err := routing.RouteWorkspace(ctx, st, ws.ID, time.Now()); err != nil {
			return fmt.Errorf("%s: imported, but routing failed (run palabre route to retry): %w", in.name, err)
		}
	}
	if cfg.JSON {
		if err := json.NewEncoder(env.Stdout).Encode(sum); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(env.Stdout, "%s: read %d, inserted %d, duplicates %d, rejected %d; %d new conversations, %d new members in %s/%s\n",
			in.name, sum.Read, sum.Inserted, sum.Duplicates, sum.Rejected, sum.Conversations, sum.Members, ws.Slug, channel)
	}
	if sum.Rejected > 0 {
		return exitError{ExitRejected, fmt.Errorf("%d of %d records were rejected; the others were imported", sum.Rejected, sum.Read)}
	}
	return nil
}

// actor names who ran a command, for the audit log.
func actor(env Env) string {
	if u := env.Getenv("USER"); u != "" {
		return "cli:" + u
	}
	return "cli"
}

func defaultChannel(f connector.Format) string {
	switch f {
	case connector.FormatWXR, connector.FormatRSS, connector.FormatAtom:
		return "blog"
	}
	return "import"
}

func channelKind(f connector.Format) string {
	switch f {
	case connector.FormatWXR:
		return "wordpress"
	case connector.FormatRSS, connector.FormatAtom:
		return "feed"
	}
	return string(f)
}

// input is the file an import reads. Standard input and URLs are first
// copied to a temporary file: the import may read its input twice, and an
// interrupted import can be re-run on the same bytes.
type input struct {
	name     string
	path     string
	size     int64
	temp     bool
	files    []*os.File
	progress io.Writer // told the bytes read by the import pass
}

func openInput(ctx context.Context, arg string, cfg config.Config, env Env) (*input, error) {
	switch {
	case arg == "-":
		return spool(ctx, "standard input", env.Stdin)
	case strings.HasPrefix(arg, "http://") || strings.HasPrefix(arg, "https://"):
		c := fetch.Client{AllowPrivate: cfg.AllowPrivate, Timeout: cfg.Timeout, MaxBytes: maxFetchBytes, UserAgent: "palabre/" + versionString()}
		body, err := c.Get(ctx, arg)
		if err != nil {
			return nil, err
		}
		defer body.Close()
		in, err := spool(ctx, arg, body)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", arg, err)
		}
		return in, nil
	}
	st, err := os.Stat(arg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", arg, errors.Unwrap(err))
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory, not a file", arg)
	}
	return &input{name: arg, path: arg, size: st.Size()}, nil
}

func spool(ctx context.Context, name string, r io.Reader) (*input, error) {
	f, err := os.CreateTemp("", "palabre-import-*")
	if err != nil {
		return nil, fmt.Errorf("spool %s: %w", name, err)
	}
	n, err := io.Copy(f, ctxReader{ctx, r})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return &input{name: name, path: f.Name(), size: n, temp: true}, nil
}

// ctxReader stops a long copy when the command is interrupted.
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

func (in *input) open() (*os.File, error) {
	f, err := os.Open(in.path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", in.name, errors.Unwrap(err))
	}
	in.files = append(in.files, f)
	return f, nil
}

func (in *input) close() {
	for _, f := range in.files {
		f.Close()
	}
	if in.temp {
		os.Remove(in.path)
	}
}

// sniff guesses the format from the first bytes.
func (in *input) sniff() (connector.Format, error) {
	f, err := in.open()
	if err != nil {
		return "", err
	}
	head := make([]byte, 8<<10)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", err
	}
	return connector.Sniff(head[:n])
}

// source opens a fresh reader of the input in the given format.
func (in *input) source(format connector.Format) (connector.Source, error) {
	f, err := in.open()
	if err != nil {
		return nil, err
	}
	var r io.Reader = f
	if in.progress != nil {
		r = io.TeeReader(f, in.progress)
	}
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

// prepended gives back a record already read, then the rest of a source.
type prepended struct {
	first *connector.Record
	rest  connector.Source
}

func (p *prepended) Next() (connector.Record, error) {
	if p.first != nil {
		r := *p.first
		p.first = nil
		return r, nil
	}
	return p.rest.Next()
}

// rejects reports bad records on stderr: the first few one per line as
// "FILE line N: reason", then how many more there were.
type rejects struct {
	name   string
	w      io.Writer
	count  int
	hidden int
}

func (r *rejects) add(pos connector.Position, err error) {
	r.count++
	if r.count > maxShownRejects {
		r.hidden++
		return
	}
	fmt.Fprintf(r.w, "%s %s: %v\n", r.name, pos, err)
}

func (r *rejects) flush() {
	if r.hidden > 0 {
		fmt.Fprintf(r.w, "%s: … and %d more rejected records\n", r.name, r.hidden)
		r.hidden = 0
	}
}

func newBar(w io.Writer, size int64, desc string) *progressbar.ProgressBar {
	return progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionShowCount(),
		progressbar.OptionClearOnFinish(),
	)
}
