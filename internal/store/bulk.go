package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
)

// maxParams bounds the bind parameters of one statement below SQLite's
// limit (32766); PostgreSQL allows 65535.
const maxParams = 30000

// placeholders writes "($n,$n+1,…),(…)" for rows of cols values, numbering
// from first.
func placeholders(b *strings.Builder, rows, cols, first int) {
	n := first
	for r := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			n++
		}
		b.WriteByte(')')
	}
}

// bulkInsert runs "head VALUES (…),(…) tail" over args, a flat list of rows
// of cols values each, in as few statements as the parameter limit allows.
// When scan is not nil the statement is a query (tail has RETURNING) and
// scan is called for each returned row.
func bulkInsert(ctx context.Context, tx *sql.Tx, head string, cols int, args []any, tail string, scan func(*sql.Rows) error) error {
	per := maxParams / cols
	for len(args) > 0 {
		rows := min(per, len(args)/cols)
		chunk := args[:rows*cols]
		args = args[rows*cols:]
		var b strings.Builder
		b.Grow(len(head) + len(tail) + rows*cols*6)
		b.WriteString(head)
		b.WriteString(" VALUES ")
		placeholders(&b, rows, cols, 1)
		b.WriteByte(' ')
		b.WriteString(tail)
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

// inList runs "head IN ($k,…) tail" with the given leading arguments and
// the values, chunked under the parameter limit, scanning every row.
func inList(ctx context.Context, tx *sql.Tx, head string, lead []any, values []string, tail string, scan func(*sql.Rows) error) error {
	per := maxParams - len(lead)
	for len(values) > 0 {
		n := min(per, len(values))
		chunk := values[:n]
		values = values[n:]
		var b strings.Builder
		b.WriteString(head)
		b.WriteString(" IN (")
		args := make([]any, 0, len(lead)+n)
		args = append(args, lead...)
		for i, v := range chunk {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(len(lead) + i + 1))
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

func queryEach(ctx context.Context, tx *sql.Tx, q string, args []any, scan func(*sql.Rows) error) error {
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
