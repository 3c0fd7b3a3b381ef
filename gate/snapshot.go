package gate

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"unsafe"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/beian/beian/sqlstore"
)

// Snapshot queries, the same on both engines.
const (
	qTop     = `SELECT COALESCE(MAX(seq), 0) FROM servable_changes`
	qRecent  = `SELECT seq FROM servable_changes WHERE seq > $1`
	qAllRows = `SELECT domain, website_number, reason FROM servable_domains`
)

// snapshotReader reads the top seq, the seqs present near it and every
// row in one transaction; build is told the row count (an estimate on
// PostgreSQL) and returns the function each row goes to.
type snapshotReader func(ctx context.Context, db *sqlstore.DB, build func(count int64) func(domain, number, reason []byte)) (top int64, present map[int64]bool, err error)

// readSnapshotSQL reads through database/sql (SQLite: a deferred,
// read-only transaction, one WAL snapshot). The rows come in chunks of
// rowids, each chunk one text value that SQLite concatenates (sqlChunk):
// database/sql and the driver cost several allocations and a few
// microseconds a row, which for ten million rows is most of the cold
// start; per chunk they cost nothing worth counting. A chunk whose values
// hold a separator byte is read again row by row.
func readSnapshotSQL(ctx context.Context, db *sqlstore.DB, build func(int64) func(d, n, r []byte)) (top int64, present map[int64]bool, err error) {
	tx, err := db.SQL.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, nil, err
	}
	defer tx.Rollback()
	var count, lo, hi int64
	if err := tx.QueryRowContext(ctx, qTop).Scan(&top); err != nil {
		return 0, nil, err
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MIN(rowid), 0), COALESCE(MAX(rowid), -1) FROM servable_domains`).Scan(&count, &lo, &hi); err != nil {
		return 0, nil, err
	}
	present = map[int64]bool{}
	rows, err := tx.QueryContext(ctx, qRecent, top-gapWindow)
	if err != nil {
		return 0, nil, err
	}
	for rows.Next() {
		var s int64
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return 0, nil, err
		}
		present[s] = true
	}
	if err := rows.Close(); err != nil {
		return 0, nil, err
	}
	add := build(count)
	// One goroutine reads the chunks while this one indexes them: SQLite's
	// work and the index's take about as long, on two cores.
	type chunk struct {
		from int64
		text string // a string: database/sql hands the driver's over without a copy
		n    int64
	}
	chunks := make(chan chunk, 4)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var rerr error
	go func() {
		defer close(chunks)
		for from := lo; from <= hi; from += sqlChunk {
			c := chunk{from: from}
			if rerr = tx.QueryRowContext(rctx, qChunk, from, from+sqlChunk).Scan(&c.text, &c.n); rerr != nil {
				return
			}
			select {
			case chunks <- c:
			case <-rctx.Done():
				rerr = rctx.Err()
				return
			}
		}
	}()
	var odd []int64
	for c := range chunks {
		if c.n == 0 {
			continue
		}
		text := unsafe.Slice(unsafe.StringData(c.text), len(c.text)) // only read
		// Separator bytes inside a value would only add to these counts.
		if bytes.Count(text, []byte{0x1E}) != int(c.n-1) || bytes.Count(text, []byte{0x1F}) != int(2*c.n) {
			odd = append(odd, c.from)
			continue
		}
		splitChunk(text, add)
	}
	if rerr != nil {
		return 0, nil, rerr
	}
	for _, from := range odd {
		if err := readRows(ctx, tx, add, qRowRange, from, from+sqlChunk); err != nil {
			return 0, nil, err
		}
	}
	return top, present, nil
}

// sqlChunk is the rowids of one chunk of readSnapshotSQL.
const sqlChunk = 20000

// qChunk concatenates the rows of a rowid range, fields separated by
// 0x1F and rows by 0x1E, and counts them; qRowRange reads the same rows
// one by one, for a range whose values hold a separator byte.
const (
	qChunk    = `SELECT COALESCE(group_concat(concat_ws(char(31), domain, website_number, reason), char(30)), ''), COUNT(*) FROM servable_domains WHERE rowid >= $1 AND rowid < $2`
	qRowRange = `SELECT domain, website_number, reason FROM servable_domains WHERE rowid >= $1 AND rowid < $2`
)

// splitChunk hands each row of a qChunk value to add; the separators have
// been counted.
func splitChunk(text []byte, add func(d, n, r []byte)) {
	for len(text) > 0 {
		row := text
		if i := bytes.IndexByte(text, 0x1E); i >= 0 {
			row, text = text[:i], text[i+1:]
		} else {
			text = nil
		}
		d, rest, _ := bytes.Cut(row, []byte{0x1F})
		num, reason, _ := bytes.Cut(rest, []byte{0x1F})
		add(d, num, reason)
	}
}

// readRows reads rows of domain, number and reason one by one.
func readRows(ctx context.Context, tx *sql.Tx, add func(d, n, r []byte), q string, args ...any) error {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var domain, number, reason sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&domain, &number, &reason); err != nil {
			return err
		}
		add(domain, number, reason)
	}
	return rows.Err()
}

// readSnapshotPG reads through pgx itself on one of the pool's
// connections: a repeatable-read, read-only transaction, the rows by COPY
// TO STDOUT in the same transaction. database/sql's per-row conversions
// cost about as much again as the reading, and the cold start of ten
// million domains counts (issue 8: at most 10 s).
func readSnapshotPG(ctx context.Context, db *sqlstore.DB, build func(int64) func(d, n, r []byte)) (top int64, present map[int64]bool, err error) {
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return 0, nil, err
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("not a pgx connection: %T", dc)
		}
		tx, err := sc.Conn().BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		var count int64
		if err := tx.QueryRow(ctx, qTop).Scan(&top); err != nil {
			return err
		}
		// The planner's estimate sizes the table; COUNT(*) would read it all once more.
		if err := tx.QueryRow(ctx, `SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = 'servable_domains'::regclass`).Scan(&count); err != nil {
			return err
		}
		present = map[int64]bool{}
		rows, err := tx.Query(ctx, qRecent, top-gapWindow)
		if err != nil {
			return err
		}
		for rows.Next() {
			var s int64
			if err := rows.Scan(&s); err != nil {
				rows.Close()
				return err
			}
			present[s] = true
		}
		if rows.Close(); rows.Err() != nil {
			return rows.Err()
		}
		w := &copyRows{add: build(count)}
		if _, err := sc.Conn().PgConn().CopyTo(ctx, w, qCopyRows); err != nil {
			return err
		}
		return w.finish()
	})
	return top, present, err
}

// qCopyRows is qAllRows as COPY: PostgreSQL streams the rows as text
// lines with less work per row on both sides than a query's result.
const qCopyRows = `COPY servable_domains (domain, website_number, reason) TO STDOUT`

// copyRows parses COPY's text format (tab-separated columns, one row a
// line, backslash escapes) from whatever chunks it is written, and hands
// each row to add. The columns are NOT NULL, so \N never occurs.
type copyRows struct {
	add  func(domain, number, reason []byte)
	part []byte // an unfinished line carried to the next Write
	err  error
}

func (c *copyRows) Write(b []byte) (int, error) {
	n := len(b)
	if len(c.part) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			c.part = append(c.part, b...)
			return n, nil
		}
		c.part = append(c.part, b[:i]...)
		if err := c.line(c.part); err != nil {
			return 0, err
		}
		c.part, b = c.part[:0], b[i+1:]
	}
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			c.part = append(c.part, b...)
			break
		}
		if err := c.line(b[:i]); err != nil {
			return 0, err
		}
		b = b[i+1:]
	}
	return n, nil
}

func (c *copyRows) line(l []byte) error {
	d, rest, ok1 := bytes.Cut(l, []byte{'\t'})
	num, reason, ok2 := bytes.Cut(rest, []byte{'\t'})
	if !ok1 || !ok2 {
		c.err = fmt.Errorf("COPY row %q: not three columns", l)
		return c.err
	}
	if bytes.IndexByte(l, '\\') >= 0 {
		d, num, reason = copyUnescape(d), copyUnescape(num), copyUnescape(reason)
	}
	c.add(d, num, reason)
	return nil
}

func (c *copyRows) finish() error {
	if c.err == nil && len(c.part) > 0 {
		c.err = fmt.Errorf("COPY ended inside a row: %q", c.part)
	}
	return c.err
}

// copyUnescape undoes COPY's text escapes (\\, \t, \n, \r, \b, \f, \v,
// octal \ooo and \xhh).
func copyUnescape(b []byte) []byte {
	if bytes.IndexByte(b, '\\') < 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 == len(b) {
			out = append(out, b[i])
			continue
		}
		i++
		switch c := b[i]; c {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'v':
			out = append(out, '\v')
		case 'x':
			v, j := 0, i+1
			for ; j < len(b) && j < i+3 && isHex(b[j]); j++ {
				v = v*16 + hexVal(b[j])
			}
			out, i = append(out, byte(v)), j-1
		default:
			if c >= '0' && c <= '7' {
				v, j := 0, i
				for ; j < len(b) && j < i+3 && b[j] >= '0' && b[j] <= '7'; j++ {
					v = v*8 + int(b[j]-'0')
				}
				out, i = append(out, byte(v)), j-1
				continue
			}
			out = append(out, c)
		}
	}
	return out
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func hexVal(c byte) int {
	switch {
	case c <= '9':
		return int(c - '0')
	case c >= 'a':
		return int(c-'a') + 10
	}
	return int(c-'A') + 10
}
