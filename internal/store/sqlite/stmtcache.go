package sqlite

// A cache of prepared statements per connection. database/sql prepares a
// statement for every ExecContext and QueryContext that is not made
// through a *sql.Stmt, and SQLite's parser and planner then cost more than
// running the statement: under the soak's webhook load a fifth of the
// process's CPU went to sqlite3_prepare. The store's queries are a few
// hundred fixed texts, so each connection keeps the statements it
// prepared, by text, and runs them again after a reset.

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"reflect"
	"strings"

	"modernc.org/sqlite"
)

const (
	// stmtCacheSize is how many statements a connection keeps, the least
	// recently used forgotten first.
	stmtCacheSize = 256
	// seenSize bounds the texts a connection remembers having seen once.
	seenSize = 4 * stmtCacheSize
	// maxCachedQuery is the longest text kept: longer ones are the bulk
	// writes of many rows, which vary.
	maxCachedQuery = 16 << 10
)

// cachingConnector opens connections of the modernc driver that keep
// their prepared statements.
type cachingConnector struct {
	base driver.Connector
}

// newCachingConnector returns a connector for dsn (the modernc driver's).
func newCachingConnector(dsn string) (driver.Connector, error) {
	base, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return cachingConnector{base: base}, nil
}

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newCachingConn(dc)
}

func (c cachingConnector) Driver() driver.Driver { return c.base.Driver() }

// driverConn is what the modernc driver's connections implement and a
// cachingConn needs of them.
type driverConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachedStmt is a statement a connection keeps. busy is set while rows
// read from it are open: the same text asked meanwhile (a query inside a
// loop over its own results) is prepared apart.
type cachedStmt struct {
	query     string
	stmt      driver.Stmt
	busy      bool
	forgotten bool // no longer in the cache: the rows close it
}

// cachingConn is a connection keeping its prepared statements. database/sql
// uses a connection from one goroutine at a time, so it needs no lock.
type cachingConn struct {
	driverConn
	stmts map[string]*list.Element // of *cachedStmt
	lru   *list.List               // most recently used first
	// seen holds the texts run once and not kept: a statement is kept
	// the second time it runs, so that texts made for one use (values
	// written inline) do not push out those that run all the time.
	seen map[string]struct{}
}

func newCachingConn(dc driver.Conn) (driver.Conn, error) {
	c, ok := dc.(driverConn)
	if !ok {
		dc.Close()
		return nil, errors.New("sqlite: the driver's connection lacks a method the statement cache needs")
	}
	return &cachingConn{driverConn: c, stmts: map[string]*list.Element{}, lru: list.New(), seen: map[string]struct{}{}}, nil
}

// cacheable reports whether query is one to keep: a read or a write of
// rows, not too long. Others are prepared every time, as the driver
// does: a PRAGMA does its work while it is prepared, an EXPLAIN shows the
// plan made then, and a schema change or a transaction's statement is
// rare.
func cacheable(query string) bool {
	if len(query) > maxCachedQuery {
		return false
	}
	q := strings.TrimLeft(query, " \t\r\n(")
	word, _, _ := strings.Cut(q, " ")
	word, _, _ = strings.Cut(word, "\n")
	switch strings.ToUpper(strings.TrimSpace(word)) {
	case "SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "REPLACE", "VALUES":
		return true
	}
	return false
}

// cached returns the connection's statement for query, prepared now when
// it has none and saw it once before, or nil when query is not to be kept
// (yet) or is in use.
func (c *cachingConn) cached(ctx context.Context, query string) (*cachedStmt, error) {
	if !cacheable(query) {
		return nil, nil
	}
	if el, ok := c.stmts[query]; ok {
		cs := el.Value.(*cachedStmt)
		if cs.busy {
			return nil, nil
		}
		c.lru.MoveToFront(el)
		return cs, nil
	}
	if _, again := c.seen[query]; !again {
		if len(c.seen) >= seenSize {
			clear(c.seen)
		}
		c.seen[query] = struct{}{}
		return nil, nil
	}
	delete(c.seen, query)
	st, err := c.driverConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	cs := &cachedStmt{query: query, stmt: st}
	c.stmts[query] = c.lru.PushFront(cs)
	for c.lru.Len() > stmtCacheSize {
		c.forget(c.lru.Back())
	}
	return cs, nil
}

// forget closes and removes the statement of el, unless rows read from it
// are open: those close it (cachedRows).
func (c *cachingConn) forget(el *list.Element) {
	cs := el.Value.(*cachedStmt)
	c.lru.Remove(el)
	delete(c.stmts, cs.query)
	cs.forgotten = true
	if !cs.busy {
		cs.stmt.Close()
		cs.stmt = nil
	}
}

// ExecContext runs query through the connection's statement for it.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.cached(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.driverConn.ExecContext(ctx, query, args)
	}
	return cs.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

// QueryContext runs query through the connection's statement for it; the
// statement is the rows' until they are closed.
func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.cached(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.driverConn.QueryContext(ctx, query, args)
	}
	rows, err := cs.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.busy = true
	return &cachedRows{Rows: rows, cs: cs}, nil
}

// Close closes the kept statements, then the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for el := c.lru.Front(); el != nil; el = el.Next() {
		if cs := el.Value.(*cachedStmt); cs.stmt != nil && !cs.busy {
			errs = append(errs, cs.stmt.Close())
		}
	}
	c.stmts, c.lru, c.seen = nil, list.New(), nil
	return errors.Join(append(errs, c.driverConn.Close())...)
}

// cachedRows are rows read from a kept statement: closing them frees the
// statement for the next use (the driver resets it), or closes it when the
// cache forgot it meanwhile.
type cachedRows struct {
	driver.Rows
	cs     *cachedStmt
	closed bool
}

func (r *cachedRows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	err := r.Rows.Close()
	r.cs.busy = false
	if r.cs.forgotten && r.cs.stmt != nil {
		err = errors.Join(err, r.cs.stmt.Close())
		r.cs.stmt = nil
	}
	return err
}

// The column types are the driver's rows'.

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeLength(i int) (int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *cachedRows) ColumnTypeNullable(i int) (bool, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *cachedRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}
