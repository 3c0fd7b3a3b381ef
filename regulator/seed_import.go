package regulator

import (
	"context"
	"strconv"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// ImportRowsTx imports records, each a row of the import format
// (ImportHeader's columns, in its order), in the caller's transaction,
// with exactly the checks and writes of Import (Rules NUM-1, SUBJ-4,
// WEB-4): rows[i] of the answer holds the problems of records[i], none for
// a row imported or skipped (its website number already held). Unlike
// Import it writes no report and leaves the transaction to the caller,
// who decides whether rows with problems roll the others back (the
// sandbox's seed does).
func (im *Importer) ImportRowsTx(ctx context.Context, tx *sqlstore.Tx, records [][]string) (st ImportStats, rows []beian.Problems, err error) {
	defer beian.Wrap(&err, "import rows")
	natures := im.natureKeys()
	parsed := make([]*importRow, len(records))
	for i, rec := range records {
		if len(rec) != len(ImportHeader) {
			parsed[i] = badRow(i+1, rec, "import.row_fields", "", "columns", strconv.Itoa(len(ImportHeader)))
			continue
		}
		parsed[i] = im.parse(rec, i+1, natures)
	}
	if st, err = im.write(ctx, tx, parsed); err != nil {
		return st, nil, err
	}
	st.Rows, st.Bad = len(records), 0
	rows = make([]beian.Problems, len(parsed))
	for i, r := range parsed {
		rows[i] = r.ps
		if len(r.ps) > 0 {
			st.Bad++
		}
	}
	return st, rows, nil
}
