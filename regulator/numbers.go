package regulator

import (
	"context"
	"fmt"
	"strconv"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/validate"
)

// NextSubjectNumber allocates the next subject number of the province (any
// key refdata's Province accepts: 浙江, 浙, 330000) in tx (Rule NUM-1):
// <abbr>ICP备<year><6-digit sequence>号, the year being that of tx.Now in
// China Standard Time (Rule CAL-0), the sequence counted per province and
// year from 1. The increment is one atomic upsert, so concurrent
// allocations never hand out a number twice; a transaction that rolls back
// gives its number back, so committed numbers have no gaps.
func (r *Registry) NextSubjectNumber(ctx context.Context, tx *sqlstore.Tx, province string) (n validate.FilingNumber, err error) {
	defer beian.Wrap(&err, "next subject number")
	p, ok := r.Ref.Province(province)
	if !ok {
		return n, invalid("registry.province_unknown", "SUBJ-4", "province", "province", province)
	}
	year := tx.Now.In(beian.CST).Year()
	if year < validate.NumYearMin || year > validate.NumYearMax {
		return n, fmt.Errorf("year %d outside the 10-digit serial range", year)
	}
	var seq int
	err = tx.QueryRowContext(ctx, `INSERT INTO registry_serials (province, year, next) VALUES ($1, $2, 2)
		ON CONFLICT (province, year) DO UPDATE SET next = registry_serials.next + 1
		RETURNING next - 1`, p.Code, year).Scan(&seq)
	if err != nil {
		return n, sqlstore.MapErr(err)
	}
	if seq > validate.NumSeqMax {
		return n, beian.Errorf(beian.KindInvalidState, "registry.serials_exhausted",
			"province", p.Name, "year", strconv.Itoa(year), "max", strconv.Itoa(validate.NumSeqMax))
	}
	return validate.NewSubjectNumber(p.Abbr, year, seq), nil
}

// parseNumber returns the canonical form of a subject or website number
// (Rule NUM-1), and false when s is not one.
func (r *Registry) parseNumber(s string) (validate.FilingNumber, bool) {
	n, ps := validate.ParseFilingNumber(r.Ref, s)
	return n, len(ps) == 0
}
