package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
)

// maxParams bounds the bind parameters of one statement below SQLite's
// limit (32766); PostgreSQL allows 65535.
const maxParams = 30000

// param writes the n-th (1-based) bind parameter. SQLite gets plain "?":
// it treats "$N" as a name and looks each one up in a list, which makes a
// statement with thousands of them quadratic to prepare. PostgreSQL only
// knows "$N".
func (d dialect) param(b *strings.Builder, n int) {
	if d.anonymousParams {
		b.WriteByte('?')
		return
	}
	b.WriteByte('$')
	b.WriteString(strconv.Itoa(n))
}

// placeholders writes "(p1,p2,…),(…)" for rows of len(casts) values,
// numbering from first. A non-empty cast wraps its column's parameters in
// CAST(… AS type), which PostgreSQL needs to type parameters in a VALUES
// list that is not an INSERT's.
func (d dialect) placeholders(b *strings.Builder, rows int, casts []string, first int) {
	n := first
	for r := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c, cast := range casts {
			if c > 0 {
				b.WriteByte(',')
			}
			if cast != "" {
				b.WriteString("CAST(")
			}
			d.param(b, n)
			if cast != "" {
				b.WriteString(" AS ")
				b.WriteString(cast)
				b.WriteByte(')')
			}
			n++
		}
		b.WriteByte(')')
	}
}

// bulkInsert runs "head VALUES (…),(…) tail" over args, a flat list of rows
// of cols values each, in as few statements as the parameter limit allows.
// When scan is not nil the statement is a query (tail has RETURNING) and
// scan is called for each returned row.
func (d dialect) bulkInsert(ctx context.Context, tx runner, head string, cols int, args []any, tail string, scan func(*sql.Rows) error) error {
	return d.bulk(ctx, tx, head+" VALUES ", make([]string, cols), args, " "+tail, scan)
}

// bulkUpdate applies rows of values to a table in as few statements as the
// parameter limit allows: set is "UPDATE t SET … FROM", where is "WHERE …";
// between them stands "(VALUES …) AS v", whose columns are v.column1,
// v.column2, … in both engines. casts gives each column's SQL type.
func (d dialect) bulkUpdate(ctx context.Context, tx runner, set string, casts []string, args []any, where string) error {
	return d.bulk(ctx, tx, set+" (VALUES ", casts, args, ") AS v "+where, nil)
}

func (d dialect) bulk(ctx context.Context, tx runner, prefix string, casts []string, args []any, suffix string, scan func(*sql.Rows) error) error {
	cols := len(casts)
	per := maxParams / cols
	for len(args) > 0 {
		rows := min(per, len(args)/cols)
		chunk := args[:rows*cols]
		args = args[rows*cols:]
		var b strings.Builder
		b.Grow(len(prefix) + len(suffix) + rows*cols*6)
		b.WriteString(prefix)
		d.placeholders(&b, rows, casts, 1)
		b.WriteString(suffix)
		if scan == nil {
			if _, err := tx.ExecContext(ctx, b.String(), chunk...); err != nil {
				return err
			}
			continue
		}
		if err := queryEach(ctx, tx, b.String(), chunk, scan); err != nil {
			return err
		}
	}
	return nil
}

// inList runs "head IN (…) tail" with the given leading arguments and the
// values, chunked under the parameter limit, scanning every row. The head's
// own parameters must be written with d.param too (see leadParams).
func (d dialect) inList(ctx context.Context, tx runner, head string, lead []any, values []string, tail string, scan func(*sql.Rows) error) error {
	per := maxParams - len(lead)
	for len(values) > 0 {
		n := min(per, len(values))
		chunk := values[:n]
		values = values[n:]
		if d.padLists {
			chunk = padded(chunk, per)
		}
		var b strings.Builder
		b.WriteString(head)
		b.WriteString(" IN (")
		args := make([]any, 0, len(lead)+n)
		args = append(args, lead...)
		for i, v := range chunk {
			if i > 0 {
				b.WriteByte(',')
			}
			d.param(&b, len(lead)+i+1)
			args = append(args, v)
		}
		b.WriteString(") ")
		b.WriteString(tail)
		if err := queryEach(ctx, tx, b.String(), args, scan); err != nil {
			return err
		}
	}
	return nil
}

func queryEach(ctx context.Context, tx runner, q string, args []any, scan func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// padded repeats the first value until the list has a power-of-two length
// (at most limit), so that IN lists of nearby sizes share one statement
// text, and so one cached prepared statement. Repeats do not change what
// IN matches.
func padded(values []string, limit int) []string {
	size := 1
	for size < len(values) {
		size *= 2
	}
	size = min(size, limit)
	if size == len(values) {
		return values
	}
	out := make([]string, size)
	copy(out, values)
	for i := len(values); i < size; i++ {
		out[i] = values[0]
	}
	return out
}

// runner is what the bulk helpers need of a transaction.
type runner interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// stmtCache keeps statements prepared on the writer for the life of an
// importer, so that the large statements a batch sends are parsed once
// rather than once per batch. It serves SQLite, whose single writer
// connection keeps them; on PostgreSQL statements are planned per use
// (see postgres.Open), so it is not used there.
//
// The writer's one connection is busy during a transaction, so a statement
// missing from the cache runs unprepared and is prepared after the commit,
// for the batches that follow.
type stmtCache struct {
	db     *sql.DB
	stmts  map[string]*sql.Stmt
	wanted []string
}

// maxCachedStmts bounds the cache; statement texts vary little (batch
// sizes and padded lists), so this is rarely reached.
const maxCachedStmts = 64

// prepareWanted prepares the statements the last transaction missed. Call
// it outside any transaction.
func (c *stmtCache) prepareWanted(ctx context.Context) error {
	for _, q := range c.wanted {
		if _, ok := c.stmts[q]; ok {
			continue
		}
		if len(c.stmts) >= maxCachedStmts {
			if err := c.close(); err != nil {
				return err
			}
		}
		st, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		c.stmts[q] = st
	}
	c.wanted = c.wanted[:0]
	return nil
}

func (c *stmtCache) close() error {
	var errs []error
	for q, st := range c.stmts {
		errs = append(errs, st.Close())
		delete(c.stmts, q)
	}
	return errors.Join(errs...)
}

// cachedTx runs a transaction's statements through a stmtCache.
type cachedTx struct {
	tx    *sql.Tx
	cache *stmtCache
}

func (c cachedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st, ok := c.cache.stmts[query]; ok {
		return c.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	c.cache.wanted = append(c.cache.wanted, query)
	return c.tx.ExecContext(ctx, query, args...)
}

func (c cachedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st, ok := c.cache.stmts[query]; ok {
		return c.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	c.cache.wanted = append(c.cache.wanted, query)
	return c.tx.QueryContext(ctx, query, args...)
}
