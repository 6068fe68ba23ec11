package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"math/bits"
	"strconv"
	"strings"
)

// maxParams bounds the bind parameters of one statement. SQLite allows
// 32766 and PostgreSQL 65535, but a few hundred rows a statement already
// amortise the round trip, and larger statements cost memory to prepare.
const maxParams = 8000

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
func (d dialect) bulkInsert(ctx context.Context, tx *sql.Tx, head string, cols int, args []any, tail string, scan func(*sql.Rows) error) error {
	return d.bulk(ctx, tx, head+" VALUES ", make([]string, cols), args, " "+tail, scan)
}

// bulkUpdate applies rows of values to a table in as few statements as the
// parameter limit allows: set is "UPDATE t SET … FROM", where is "WHERE …";
// between them stands "(VALUES …) AS v", whose columns are v.column1,
// v.column2, … in both engines. casts gives each column's SQL type.
func (d dialect) bulkUpdate(ctx context.Context, tx *sql.Tx, set string, casts []string, args []any, where string) error {
	return d.bulk(ctx, tx, set+" (VALUES ", casts, args, ") AS v "+where, nil)
}

func (d dialect) bulk(ctx context.Context, tx *sql.Tx, prefix string, casts []string, args []any, suffix string, scan func(*sql.Rows) error) error {
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

// inIDs is the condition that a column is among the ids bound as the
// n-th parameter (written "$n"), given as idSet(ids): " IN (…)" on
// SQLite, " = ANY(…)" on PostgreSQL. Its text is the same whatever the
// ids, so that the engines' prepared statements serve every list, where
// ids written into the statement (idList) make each a new one to parse
// and plan.
func (d dialect) inIDs(n int) string {
	if d.idArrays {
		return " = ANY($" + strconv.Itoa(n) + ")"
	}
	return " IN (SELECT value FROM json_each($" + strconv.Itoa(n) + "))"
}

// idSet is the bind parameter of ids for inIDs: an array of bigint on
// PostgreSQL, a JSON array on SQLite. No ids selects no row.
func (d dialect) idSet(ids []int64) any {
	if d.idArrays {
		if ids == nil {
			return []int64{}
		}
		return ids
	}
	b := make([]byte, 0, 2+8*len(ids))
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}

// textSet is the bind parameter of texts for inIDs, as idSet is of ids:
// an array of text on PostgreSQL, a JSON array on SQLite.
func (d dialect) textSet(values []string) any {
	if d.idArrays {
		if values == nil {
			return []string{}
		}
		return values
	}
	b, err := json.Marshal(values)
	if err != nil || values == nil {
		return "[]" // strings always marshal; nil is no value
	}
	return string(b)
}

// inList runs "head IN (…) tail" with the given leading arguments and the
// values, chunked under the parameter limit, scanning every row. The head's
// own parameters must be written with d.param too (see leadParams).
func (d dialect) inList(ctx context.Context, tx queryer, head string, lead []any, values []string, tail string, scan func(*sql.Rows) error) error {
	per := maxParams - len(lead)
	for len(values) > 0 {
		n := min(per, len(values))
		chunk := values[:n]
		values = values[n:]
		// The list is filled up to a power of two with its last value
		// again (IN is unchanged by a repeat): a few texts then serve
		// every length, and the engines' prepared statements are
		// reused instead of parsed and planned for each length.
		size := min(per, 1<<bits.Len(uint(n-1)))
		var b strings.Builder
		b.WriteString(head)
		b.WriteString(" IN (")
		args := make([]any, 0, len(lead)+size)
		args = append(args, lead...)
		for i := range size {
			if i > 0 {
				b.WriteByte(',')
			}
			d.param(&b, len(lead)+i+1)
			args = append(args, chunk[min(i, n-1)])
		}
		b.WriteString(") ")
		b.WriteString(tail)
		if err := queryEach(ctx, tx, b.String(), args, scan); err != nil {
			return err
		}
	}
	return nil
}

func queryEach(ctx context.Context, tx queryer, q string, args []any, scan func(*sql.Rows) error) error {
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
