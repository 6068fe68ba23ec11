package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"time"

	"palabre/internal/connector/ndjson"
	"palabre/internal/ingest"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/store/postgres"
	"palabre/internal/store/sqlite"
)

// Where the benchmark imports.
const (
	// Workspace is the workspace the benchmark imports into.
	Workspace = "bench"
	// defaultChannel is the channel `palabre import` gives NDJSON records
	// that name none, and channelKind the kind of channels it creates.
	defaultChannel = "import"
	channelKind    = "ndjson"
)

// rawBatch is how many messages one raw-ceiling transaction stores, as
// many as one palabre import batch.
const rawBatch = ingest.DefaultBatchSize

// Counts are the rows of the tables an import fills.
type Counts struct {
	Messages      int `json:"messages"`
	Conversations int `json:"conversations"`
	Members       int `json:"members"`
	Identities    int `json:"identities"`
}

// RawResult is what RawCeiling measured.
type RawResult struct {
	Rows Counts // rows inserted
	// Elapsed is the time spent in the database: inside the insert
	// transactions, plus closing the database at the end (which, on
	// SQLite, checkpoints the write-ahead log as palabre's exit does).
	// Reading the file and preparing the rows is not counted.
	Elapsed time.Duration
}

// RawCeiling stores the messages of the NDJSON file at path into the fresh
// database named by dsn the plainest way the engine allows, to measure
// what the engine can do at best with the same rows: one prepared
// single-row INSERT per row, in transactions of 1,000 messages, with no
// lookup and no de-duplication.
//
// The rows are the ones palabre's import stores: conversations, members,
// identities and messages, with the values it would give them. They are
// worked out beforehand, outside the timed part, by a first pass over the
// file through ingest.Prepare and the same member resolution as the
// importer's. The schema is palabre's own (store.Open migrates the
// database), and the connection is opened with the store's settings, which
// is why this reaches below the store into its engine packages: a ceiling
// measured through another driver setup would not be palabre's ceiling.
//
// The file must be what Generate writes, or alike: every record good,
// external ids not repeated, every message naming its conversation.
func RawCeiling(ctx context.Context, dsn, path string) (RawResult, error) {
	p, err := planRows(ctx, path)
	if err != nil {
		return RawResult{}, err
	}
	ws, channelIDs, err := createSchema(ctx, dsn, p.channels)
	if err != nil {
		return RawResult{}, err
	}
	db, closeDB, err := openEngine(ctx, dsn)
	if err != nil {
		return RawResult{}, err
	}
	res, err := insertRows(ctx, db, p, ws, channelIDs, path)
	t0 := time.Now()
	if cerr := closeDB(); err == nil && cerr != nil {
		err = fmt.Errorf("raw ceiling: close: %w", cerr)
	}
	res.Elapsed += time.Since(t0)
	return res, err
}

// What the first message of a kind stores, one bit each in rawPlan.first.
const (
	firstOfConversation = 1 << iota
	firstOfMember
	firstOfIdentity // the first identity of the message; the next ones use the next bits
)

// maxIdentities is how many identity keys of one message fit in the bits.
const maxIdentities = 6

// rawPlan is what the first pass learnt: enough to write every row in one
// go, without asking the database anything.
type rawPlan struct {
	channels []string             // in order of first appearance
	convs    map[string]*convPlan // by channel + "\x00" + root external id
	// keys maps the hash of every identity key to its member's index.
	// Hashes keep a million members' keys in tens of megabytes; a
	// collision (odds about 1e-7 for a million members) would merge two
	// members and show as a row count different from palabre's.
	keys     map[uint64]int32
	seed     maphash.Seed // of the key hashes
	members  []memberPlan // by member index
	memberOf []int32      // by message: its member index, -1 for none
	first    []uint8      // by message: the first* bits
	counts   Counts       // the rows the plan inserts
}

func (p *rawPlan) hash(key string) uint64 { return maphash.String(p.seed, key) }

type convPlan struct {
	id          int64
	count       int
	first, last int64
	subject     string
}

type memberPlan struct {
	count       int32
	staff       bool
	first, last int64
}

// planRows reads the file once and works out every row to insert.
func planRows(ctx context.Context, path string) (*rawPlan, error) {
	p := &rawPlan{
		convs: make(map[string]*convPlan),
		keys:  make(map[uint64]int32),
		seed:  maphash.MakeSeed(),
	}
	seen := make(map[string]bool)
	err := eachItem(ctx, path, func(item *store.IngestItem, channel string) error {
		if !seen[channel] {
			seen[channel] = true
			p.channels = append(p.channels, channel)
		}
		at := item.Message.CreatedAt.UnixMicro()
		var bits uint8
		ck := channel + "\x00" + item.Root
		c := p.convs[ck]
		if c == nil {
			c = &convPlan{id: int64(len(p.convs) + 1), first: at, last: at}
			p.convs[ck] = c
			bits |= firstOfConversation
		}
		c.count++
		c.first, c.last = min(c.first, at), max(c.last, at)
		if item.Message.ExternalID == item.Root && item.Subject != "" {
			c.subject = item.Subject
		}
		member := int32(-1)
		if len(item.Identities) > 0 {
			// As the importer does: the strongest identity already known
			// decides, a weak one (a signed name) only for authors with
			// no stronger identity; else a new member. Then every
			// identity not yet known is recorded for that member.
			strong := false
			for _, k := range item.Identities {
				if k.Weak && strong {
					break
				}
				strong = strong || !k.Weak
				if m, ok := p.keys[p.hash(k.Key)]; ok {
					member = m
					break
				}
			}
			if member < 0 {
				member = int32(len(p.members))
				p.members = append(p.members, memberPlan{first: at, last: at})
				bits |= firstOfMember
			}
			mp := &p.members[member]
			mp.count++
			mp.staff = mp.staff || item.Message.AuthorIsStaff
			mp.first, mp.last = min(mp.first, at), max(mp.last, at)
			for i, k := range item.Identities {
				h := p.hash(k.Key)
				if _, ok := p.keys[h]; !ok {
					p.keys[h] = member
					bits |= firstOfIdentity << i
					p.counts.Identities++
				}
			}
		}
		p.memberOf = append(p.memberOf, member)
		p.first = append(p.first, bits)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("raw ceiling: plan: %w", err)
	}
	p.counts.Messages = len(p.first)
	p.counts.Conversations = len(p.convs)
	p.counts.Members = len(p.members)
	return p, nil
}

// eachItem reads the NDJSON file at path and calls fn with every record
// prepared as palabre's import prepares it, and the record's channel.
func eachItem(ctx context.Context, path string, fn func(item *store.IngestItem, channel string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	r := ndjson.NewReader(f)
	for line := 1; ; line++ {
		if line%rawBatch == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if rec.Err != nil {
			return fmt.Errorf("%s %s: %w", path, rec.Pos, rec.Err)
		}
		channel := rec.Message.Channel
		if channel == "" {
			channel = defaultChannel
		}
		item, err := ingest.Prepare(Workspace, channel, rec.Message)
		if err != nil {
			return fmt.Errorf("%s %s: %w", path, rec.Pos, err)
		}
		switch {
		case item.Root == "":
			return fmt.Errorf("%s %s: the message does not name its conversation", path, rec.Pos)
		case item.MemberID != "":
			return fmt.Errorf("%s %s: member_id given; the raw ceiling does not resolve it", path, rec.Pos)
		case len(item.Identities) > maxIdentities:
			return fmt.Errorf("%s %s: more than %d identities", path, rec.Pos, maxIdentities)
		}
		if err := fn(&item, channel); err != nil {
			return err
		}
	}
}

// createSchema migrates the fresh database through the store, so that it
// has palabre's tables and indexes, and creates the workspace and the
// channels as the import would.
func createSchema(ctx context.Context, dsn string, channels []string) (int64, map[string]int64, error) {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return 0, nil, fmt.Errorf("raw ceiling: %w", err)
	}
	defer st.Close()
	ws, err := st.EnsureWorkspace(ctx, model.Workspace{Slug: Workspace, Name: Workspace})
	if err != nil {
		return 0, nil, fmt.Errorf("raw ceiling: %w", err)
	}
	ids := make(map[string]int64, len(channels))
	for _, name := range channels {
		ch, err := st.EnsureChannel(ctx, ws.ID, name, channelKind)
		if err != nil {
			return 0, nil, fmt.Errorf("raw ceiling: %w", err)
		}
		ids[name] = ch.ID
	}
	return ws.ID, ids, nil
}

// openEngine opens the database with the connection settings the store
// uses: for SQLite its single-connection writer pool with its pragmas.
func openEngine(ctx context.Context, dsn string) (*sql.DB, func() error, error) {
	if store.IsPostgresDSN(dsn) {
		db, err := postgres.Open(ctx, dsn)
		if err != nil {
			return nil, nil, err
		}
		return db, db.Close, nil
	}
	db, err := sqlite.Open(ctx, dsn)
	if err != nil {
		return nil, nil, err
	}
	return db.Writer, db.Close, nil
}

// The raw-ceiling statements, indexed by rawRow.stmt.
const (
	stmtConversation = iota
	stmtMember
	stmtIdentity
	stmtMessage
	stmtCount
)

func rawStatements() [stmtCount]string {
	return [stmtCount]string{
		stmtConversation: `INSERT INTO conversations
			(id, workspace_id, channel_id, root_external_id, subject, status, message_count, created_at, last_activity_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		stmtMember: `INSERT INTO members
			(workspace_id, id, display_name, is_staff, message_count, first_seen_at, last_seen_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		stmtIdentity: `INSERT INTO identities (workspace_id, key, member_id, kind, value) VALUES ($1, $2, $3, $4, $5)`,
		stmtMessage: `INSERT INTO messages (` + store.MessageInsertColumns + `)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
			 $19, $20, $21, $22, $23, $24, $25, $26, $27, $28)`,
	}
}

func rawTable(stmt int) string {
	return [stmtCount]string{"conversations", "members", "identities", "messages"}[stmt]
}

// rawRow is one INSERT to run.
type rawRow struct {
	stmt int
	args []any
}

// insertRows reads the file a second time, a chunk of messages at a time,
// builds the chunk's rows, and inserts them in one timed transaction.
func insertRows(ctx context.Context, db *sql.DB, p *rawPlan, ws int64, channelIDs map[string]int64, path string) (RawResult, error) {
	var res RawResult
	// Ids of members with more than one message, once inserted; the others
	// are only ever needed with their first message.
	repeatIDs := make(map[int32]string)
	rows := make([]rawRow, 0, 4*rawBatch)
	n := 0 // messages in rows
	i := 0 // index of the next message in the plan
	flush := func() error {
		if n == 0 {
			return nil
		}
		d, err := insertChunk(ctx, db, rows)
		if err != nil {
			return fmt.Errorf("raw ceiling: insert messages up to #%d: %w", i, err)
		}
		res.Elapsed += d
		rows, n = rows[:0], 0
		return nil
	}
	err := eachItem(ctx, path, func(item *store.IngestItem, channel string) error {
		if i >= len(p.first) {
			return errors.New("the file grew since it was planned")
		}
		bits, member := p.first[i], p.memberOf[i]
		i++
		m := &item.Message
		chID := channelIDs[channel]
		c := p.convs[channel+"\x00"+item.Root]
		if bits&firstOfConversation != 0 {
			rows = append(rows, rawRow{stmtConversation, []any{
				c.id, ws, chID, item.Root, c.subject, model.ConvNew, c.count, c.first, c.last}})
		}
		var memberID any
		if member >= 0 {
			mp := p.members[member]
			id := repeatIDs[member]
			if bits&firstOfMember != 0 {
				id = item.NewMemberID
				rows = append(rows, rawRow{stmtMember, []any{
					ws, id, item.DisplayName, mp.staff, int(mp.count), mp.first, mp.last}})
				if mp.count > 1 {
					repeatIDs[member] = id
				}
			}
			if id == "" {
				return fmt.Errorf("message %q: its member was not inserted first", m.ExternalID)
			}
			memberID = id
			for k, key := range item.Identities {
				if bits&(firstOfIdentity<<k) != 0 {
					rows = append(rows, rawRow{stmtIdentity, []any{ws, key.Key, id, key.Kind, key.Value}})
				}
			}
		}
		row, err := store.MessageRow(m, ws, chID, c.id, memberID)
		if err != nil {
			return err
		}
		rows = append(rows, rawRow{stmtMessage, row})
		n++
		if n == rawBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return res, err
	}
	if i != len(p.first) {
		return res, errors.New("raw ceiling: the file shrank since it was planned")
	}
	res.Rows = p.counts
	return res, nil
}

// insertChunk runs rows in one transaction and returns how long it took.
func insertChunk(ctx context.Context, db *sql.DB, rows []rawRow) (time.Duration, error) {
	t0 := time.Now()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var stmts [stmtCount]*sql.Stmt
	for i, q := range rawStatements() {
		if stmts[i], err = tx.PrepareContext(ctx, q); err != nil {
			return 0, err
		}
	}
	for _, r := range rows {
		if _, err := stmts[r.stmt].ExecContext(ctx, r.args...); err != nil {
			return 0, fmt.Errorf("%s: %w", rawTable(r.stmt), err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return time.Since(t0), nil
}
