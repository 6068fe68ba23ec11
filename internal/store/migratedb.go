package store

// Moving a whole installation from SQLite to PostgreSQL: every table of
// palabre's schema, found by asking each engine what it holds rather than
// from a list kept by hand, copied in one PostgreSQL transaction and
// checked, table by table, against the source.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"palabre/internal/store/postgres"
	"palabre/internal/store/sqlite"
)

// MovedTable is one table copied by MigrateDB: its rows, and the digest
// of their content, the same on both sides.
type MovedTable struct {
	Table    string
	Rows     int64
	Checksum string // hex SHA-256, see tableDigest
}

// Tables that derive from others and are built again on PostgreSQL
// instead of copied: the search index (SQLite's FTS5 tables, with the
// integer keys FTS5 gives members, and PostgreSQL's tsvectors), the
// members' match keys (indexed with them), and the mark of how far
// indexing has gone.
var (
	derivedSQLite   = []string{"member_search_keys", "member_match_keys", "search_backfill"}
	derivedPostgres = []string{"message_search", "member_search", "member_match_keys", "search_backfill"}
)

// MigrateDB copies the SQLite database from (a path, or a sqlite: or
// file: URL) into the PostgreSQL database to (a postgres:// URL), which
// must hold no palabre data: PostgreSQL's migrations give it the schema
// first, and the source must be at the same schema version as this
// palabre. The source is read in one snapshot and never written; the
// destination is written in one transaction, so that a failure leaves it
// empty. Every table moved is then checked — its rows counted and its
// content digested on both sides — and the search index built again.
// palabre must not be running against the source meanwhile: what it
// would write after the snapshot would not be moved.
func MigrateDB(ctx context.Context, from, to string) ([]MovedTable, error) {
	if IsPostgresDSN(from) {
		return nil, fmt.Errorf("source %s: must be a SQLite database", redact(from))
	}
	if !IsPostgresDSN(to) {
		return nil, fmt.Errorf("destination %s: must be a postgres:// URL", to)
	}
	path := sqlite.Path(from)
	src, err := openSource(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", path, err)
	}
	defer src.Close()
	// One read transaction: every table is read from the same snapshot.
	stx, err := src.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("source %s: not a palabre SQLite database: %w", path, err)
	}
	defer stx.Rollback()
	if err := checkSourceVersion(ctx, stx); err != nil {
		return nil, fmt.Errorf("source %s: %w", path, err)
	}
	srcTables, err := sqliteTables(ctx, stx)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", path, err)
	}

	dst, err := Open(ctx, to)
	if err != nil {
		return nil, fmt.Errorf("destination %s: %w", redact(to), err)
	}
	defer dst.Close()
	moved, err := dst.migrateInto(ctx, stx, srcTables)
	if err != nil {
		return nil, fmt.Errorf("copy %s to %s: %w", path, redact(to), err)
	}
	return moved, nil
}

// redact hides the password of a database URL in messages.
func redact(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return dsn
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return dsn
	}
	if user, _, hasPassword := strings.Cut(userinfo, ":"); hasPassword {
		return scheme + "://" + user + ":xxxxx@" + host
	}
	return dsn
}

// openSource opens an existing SQLite database read-only, on one
// connection.
func openSource(ctx context.Context, path string) (*sql.DB, error) {
	info, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errors.New("no such file")
		}
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, errors.New("not a file")
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("not a palabre SQLite database: %w", err)
	}
	return db, nil
}

// checkSourceVersion refuses a source whose schema is not this palabre's.
func checkSourceVersion(ctx context.Context, tx *sql.Tx) error {
	var version int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return fmt.Errorf("not a palabre SQLite database: %w", err)
	}
	latest, err := latestMigration(sqlite.Migrations)
	if err != nil {
		return err
	}
	switch {
	case version < latest:
		return fmt.Errorf("its schema (version %d) is older than this palabre's (%d): open it once with this palabre "+
			"(start palabre serve on it, then stop it) so that its schema is brought up to date, then migrate it", version, latest)
	case version > latest:
		return fmt.Errorf("its schema (version %d) is newer than this palabre's (%d): migrate it with the palabre that wrote it",
			version, latest)
	}
	return nil
}

// sqliteTables lists the source's tables and their columns, leaving out
// what is not data: SQLite's own tables, the migrations' record, views,
// and FTS5 virtual tables with their shadow tables.
func sqliteTables(ctx context.Context, tx *sql.Tx) (map[string][]string, error) {
	names, err := column[string](ctx, tx, `SELECT name FROM pragma_table_list
		WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name <> 'schema_migrations'`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	tables := make(map[string][]string, len(names))
	for _, name := range names {
		cols, err := column[string](ctx, tx, `SELECT name FROM pragma_table_info($1) ORDER BY cid`, name)
		if err != nil {
			return nil, fmt.Errorf("columns of %s: %w", name, err)
		}
		tables[name] = cols
	}
	return tables, nil
}

// pgColumn is a column of a PostgreSQL table.
type pgColumn struct {
	name, typ string
	serial    bool // an identity or serial column, whose sequence follows the rows
}

// pgTables lists the destination's tables (in the current schema) and
// their columns in order.
func pgTables(ctx context.Context, q queryer) (map[string][]pgColumn, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.table_name, c.column_name, c.data_type,
			c.is_identity = 'YES' OR COALESCE(c.column_default, '') LIKE 'nextval(%'
		FROM information_schema.columns c JOIN information_schema.tables t
			ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name <> 'schema_migrations'
		ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	tables := make(map[string][]pgColumn)
	for rows.Next() {
		var table string
		var c pgColumn
		if err := rows.Scan(&table, &c.name, &c.typ, &c.serial); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		tables[table] = append(tables[table], c)
	}
	return tables, rows.Err()
}

// foreignKeyOrder orders tables so that each comes after those its
// foreign keys refer to (a table's references to itself aside), by name
// where that leaves a choice.
func foreignKeyOrder(ctx context.Context, q queryer, tables []string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT t.relname, r.relname FROM pg_constraint k
		JOIN pg_class t ON t.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid
		WHERE k.contype = 'f' AND k.connamespace = current_schema()::regnamespace`)
	if err != nil {
		return nil, fmt.Errorf("foreign keys: %w", err)
	}
	defer rows.Close()
	wanted := make(map[string]bool, len(tables))
	for _, t := range tables {
		wanted[t] = true
	}
	needs := make(map[string]map[string]bool)
	for rows.Next() {
		var table, ref string
		if err := rows.Scan(&table, &ref); err != nil {
			return nil, fmt.Errorf("foreign keys: %w", err)
		}
		if table == ref || !wanted[table] || !wanted[ref] {
			continue
		}
		if needs[table] == nil {
			needs[table] = make(map[string]bool)
		}
		needs[table][ref] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("foreign keys: %w", err)
	}
	left := slices.Sorted(slices.Values(tables))
	var order []string
	done := make(map[string]bool, len(tables))
	for len(left) > 0 {
		var next []string
		progressed := false
		for _, t := range left {
			ready := true
			for ref := range needs[t] {
				ready = ready && done[ref]
			}
			if ready {
				order = append(order, t)
				done[t] = true
				progressed = true
			} else {
				next = append(next, t)
			}
		}
		if !progressed {
			return nil, fmt.Errorf("the foreign keys of %s refer to one another in a cycle", strings.Join(next, ", "))
		}
		left = next
	}
	return order, nil
}

// migrateInto copies the source's tables, read in stx, into s, an empty
// PostgreSQL store, in one transaction.
func (s *Store) migrateInto(ctx context.Context, stx *sql.Tx, srcTables map[string][]string) ([]MovedTable, error) {
	latest, err := latestMigration(postgres.Migrations)
	if err != nil {
		return nil, err
	}
	var version int
	if err := s.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
		return nil, fmt.Errorf("destination schema version: %w", err)
	}
	if version != latest {
		return nil, fmt.Errorf("the destination's schema (version %d) is not this palabre's (%d)", version, latest)
	}
	dstTables, err := pgTables(ctx, s.w)
	if err != nil {
		return nil, fmt.Errorf("destination: %w", err)
	}
	names, err := planTables(srcTables, dstTables)
	if err != nil {
		return nil, err
	}
	for table := range dstTables {
		var some bool
		if err := s.w.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+quoteIdent(table)+`)`).Scan(&some); err != nil {
			return nil, fmt.Errorf("destination: read %s: %w", table, err)
		}
		if some {
			return nil, fmt.Errorf("the destination already holds data (table %s has rows): migrate-db fills an empty database only", table)
		}
	}
	order, err := foreignKeyOrder(ctx, s.w, names)
	if err != nil {
		return nil, fmt.Errorf("destination: %w", err)
	}

	conn, err := s.w.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("destination: %w", err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("destination: begin: %w", err)
	}
	defer tx.Rollback()
	moved := make([]MovedTable, 0, len(order))
	sums := make(map[string]tableDigest, len(order))
	for _, table := range order {
		sum, err := copyTable(ctx, stx, conn, tx, table, dstTables[table])
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", table, err)
		}
		sums[table] = sum
	}
	if err := setSequences(ctx, tx, order, dstTables); err != nil {
		return nil, err
	}
	if err := s.rebuildSearch(ctx, tx); err != nil {
		return nil, err
	}
	for _, table := range order {
		got, err := digestPostgres(ctx, tx, table, dstTables[table])
		if err != nil {
			return nil, fmt.Errorf("check table %s: %w", table, err)
		}
		want := sums[table]
		if got != want {
			return nil, fmt.Errorf("check table %s: the source has %d rows (digest %s), the destination %d (digest %s)",
				table, want.rows, want.hex(), got.rows, got.hex())
		}
		moved = append(moved, MovedTable{Table: table, Rows: got.rows, Checksum: got.hex()})
	}
	if _, err := tx.ExecContext(ctx, `ANALYZE`); err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	slices.SortFunc(moved, func(a, b MovedTable) int { return strings.Compare(a.Table, b.Table) })
	return moved, nil
}

// planTables returns the tables to copy: those of both schemas, with the
// same columns, but for those derived (built again). A table on one side
// only is an error, so that no table is ever left behind unnoticed.
func planTables(src map[string][]string, dst map[string][]pgColumn) ([]string, error) {
	var names []string
	for table, cols := range src {
		if slices.Contains(derivedSQLite, table) {
			continue
		}
		dcols, ok := dst[table]
		if !ok {
			return nil, fmt.Errorf("table %s of the source has no counterpart in PostgreSQL's schema", table)
		}
		have := make(map[string]bool, len(cols))
		for _, c := range cols {
			have[c] = true
		}
		for _, c := range dcols {
			if !have[c.name] {
				return nil, fmt.Errorf("table %s: column %s of PostgreSQL's schema is not in the source", table, c.name)
			}
			delete(have, c.name)
		}
		for c := range have {
			return nil, fmt.Errorf("table %s: column %s of the source is not in PostgreSQL's schema", table, c)
		}
		names = append(names, table)
	}
	for table := range dst {
		if _, ok := src[table]; !ok && !slices.Contains(derivedPostgres, table) {
			return nil, fmt.Errorf("table %s of PostgreSQL's schema is not in the source", table)
		}
	}
	sort.Strings(names)
	return names, nil
}

// quoteIdent quotes a table or column name for SQL.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

func columnList(cols []pgColumn) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = quoteIdent(c.name)
	}
	return strings.Join(names, ", ")
}

// copyTable streams a table from the source into the destination (its
// triggers off meanwhile: what they would derive is copied too) and
// returns the digest of what it read.
func copyTable(ctx context.Context, stx *sql.Tx, conn *sql.Conn, tx *sql.Tx, table string, cols []pgColumn) (tableDigest, error) {
	var sum tableDigest
	rows, err := stx.QueryContext(ctx, `SELECT `+columnList(cols)+` FROM `+quoteIdent(table))
	if err != nil {
		return sum, fmt.Errorf("read: %w", err)
	}
	defer rows.Close()
	if _, err := tx.ExecContext(ctx, `ALTER TABLE `+quoteIdent(table)+` DISABLE TRIGGER USER`); err != nil {
		return sum, fmt.Errorf("turn triggers off: %w", err)
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var buf []byte
	next := func() ([]any, bool, error) {
		if !rows.Next() {
			return nil, false, rows.Err()
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, false, fmt.Errorf("read row %d: %w", sum.rows+1, err)
		}
		if buf, err = sum.add(buf, vals); err != nil {
			return nil, false, fmt.Errorf("row %d: %w", sum.rows, err)
		}
		out := make([]any, len(vals))
		for i, v := range vals {
			if out[i], err = toPostgres(v, cols[i].typ); err != nil {
				return nil, false, fmt.Errorf("row %d, column %s: %w", sum.rows, cols[i].name, err)
			}
		}
		return out, true, nil
	}
	n, err := postgres.CopyFrom(ctx, conn, table, names, next)
	if err != nil {
		return sum, fmt.Errorf("write: %w", err)
	}
	if n != sum.rows {
		return sum, fmt.Errorf("write: %d rows read, %d written", sum.rows, n)
	}
	if _, err := tx.ExecContext(ctx, `ALTER TABLE `+quoteIdent(table)+` ENABLE TRIGGER USER`); err != nil {
		return sum, fmt.Errorf("turn triggers on: %w", err)
	}
	return sum, nil
}

// toPostgres converts a value SQLite returned to what the PostgreSQL
// column of type typ takes. SQLite keeps booleans as 0 and 1, and may
// hold any value in any column: what does not fit is an error.
func toPostgres(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "boolean":
		switch b := v.(type) {
		case bool:
			return b, nil
		case int64:
			if b == 0 || b == 1 {
				return b == 1, nil
			}
		}
	case "bigint", "integer", "smallint":
		if i, ok := v.(int64); ok {
			return i, nil
		}
	case "double precision", "real", "numeric":
		switch f := v.(type) {
		case float64:
			return f, nil
		case int64:
			return float64(f), nil
		}
	case "text", "character varying":
		switch s := v.(type) {
		case string:
			return s, nil
		case []byte:
			if utf8.Valid(s) {
				return string(s), nil
			}
		}
	case "bytea":
		switch b := v.(type) {
		case []byte:
			if b == nil {
				return []byte{}, nil // an empty BLOB, not NULL
			}
			return b, nil
		case string:
			return []byte(b), nil
		}
	default:
		return nil, fmt.Errorf("PostgreSQL type %s is not one migrate-db converts to", typ)
	}
	return nil, fmt.Errorf("%T value %.40v does not fit PostgreSQL type %s", v, v, typ)
}

// setSequences makes each identity column's sequence hand out the id
// after the largest copied, so that the next row stored does not collide.
func setSequences(ctx context.Context, tx *sql.Tx, tables []string, cols map[string][]pgColumn) error {
	for _, table := range tables {
		for _, c := range cols[table] {
			if !c.serial {
				continue
			}
			_, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE(MAX(`+quoteIdent(c.name)+`), 0) + 1, false) FROM `+
				quoteIdent(table), quoteIdent(table), c.name)
			if err != nil {
				return fmt.Errorf("sequence of %s.%s: %w", table, c.name, err)
			}
		}
	}
	return nil
}

// rebuildSearch indexes every message and member copied, in tx: SQLite's
// FTS5 index does not move, PostgreSQL's tsvectors are made from the
// same words.
func (s *Store) rebuildSearch(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO search_backfill (id, message_id) SELECT 1, COALESCE(MAX(id), 0) FROM messages`); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	for {
		done, err := s.backfillStep(ctx, tx)
		if err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		if done {
			break
		}
	}
	for _, c := range [][2]string{{"messages", "message_search"}, {"members", "member_search"}} {
		var want, got int64
		err := tx.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM `+c[0]+`), (SELECT COUNT(*) FROM `+c[1]+`)`).Scan(&want, &got)
		if err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		if want != got {
			return fmt.Errorf("search index: %d %s, %d indexed", want, c[0], got)
		}
	}
	return nil
}

// digestPostgres reads a table of the destination and digests it.
func digestPostgres(ctx context.Context, tx *sql.Tx, table string, cols []pgColumn) (tableDigest, error) {
	var sum tableDigest
	rows, err := tx.QueryContext(ctx, `SELECT `+columnList(cols)+` FROM `+quoteIdent(table))
	if err != nil {
		return sum, err
	}
	defer rows.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var buf []byte
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return sum, err
		}
		if buf, err = sum.add(buf, vals); err != nil {
			return sum, fmt.Errorf("row %d: %w", sum.rows, err)
		}
	}
	return sum, rows.Err()
}

// tableDigest sums up a table's content whatever the order its rows are
// read in (the engines sort text differently, and a table needs no key):
// each row is written in a canonical form, the same from either engine's
// values, and hashed with SHA-256; the hashes are added up as 256-bit
// numbers, with the count of rows beside.
type tableDigest struct {
	rows int64
	sum  [4]uint64 // big-endian limbs of the sum, modulo 2^256
}

// add digests one row; buf is scratch space, returned for the next row.
func (d *tableDigest) add(buf []byte, row []any) ([]byte, error) {
	buf = buf[:0]
	for _, v := range row {
		var err error
		if buf, err = canonical(buf, v); err != nil {
			return buf, err
		}
	}
	h := sha256.Sum256(buf)
	var carry uint64
	for i := 3; i >= 0; i-- {
		limb := binary.BigEndian.Uint64(h[8*i:])
		s := d.sum[i] + limb
		c1 := s < limb
		s2 := s + carry
		c2 := s2 < s
		d.sum[i] = s2
		carry = 0
		if c1 || c2 {
			carry = 1
		}
	}
	d.rows++
	return buf, nil
}

// hex is the digest's final form: SHA-256 of the row count and the sum.
func (d tableDigest) hex() string {
	var b [40]byte
	binary.BigEndian.PutUint64(b[:8], uint64(d.rows))
	for i, limb := range d.sum {
		binary.BigEndian.PutUint64(b[8+8*i:], limb)
	}
	h := sha256.Sum256(b[:])
	return hex.EncodeToString(h[:])
}

// canonical writes a value as the digest reads it: a boolean as the
// integer SQLite keeps, text and bytes alike (a BLOB default may be
// read back as text), floats in their shortest exact form.
func canonical(buf []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(buf, 'N', ';'), nil
	case bool:
		if v {
			return append(buf, 'I', '1', ';'), nil
		}
		return append(buf, 'I', '0', ';'), nil
	case int64:
		buf = append(buf, 'I')
		return append(strconv.AppendInt(buf, v, 10), ';'), nil
	case int32:
		buf = append(buf, 'I')
		return append(strconv.AppendInt(buf, int64(v), 10), ';'), nil
	case float64:
		buf = append(buf, 'F')
		return append(strconv.AppendFloat(buf, v, 'g', -1, 64), ';'), nil
	case string:
		buf = append(buf, 'S')
		buf = append(strconv.AppendInt(buf, int64(len(v)), 10), ':')
		return append(buf, v...), nil
	case []byte:
		buf = append(buf, 'S')
		buf = append(strconv.AppendInt(buf, int64(len(v)), 10), ':')
		return append(buf, v...), nil
	}
	return buf, fmt.Errorf("a %T value, which migrate-db does not compare", v)
}
