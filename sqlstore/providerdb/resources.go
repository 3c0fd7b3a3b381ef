package providerdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/audit"
	"github.com/beian/beian/sqlstore"
)

// DefaultMinTermMonths is the default minimum purchase term of a resource
// that may carry a filing (Rule ACC-2: "bought for at least 3 months",
// configurable). Callers pass their configured value.
const DefaultMinTermMonths = 3

const resourceColumns = `id, account_id, external_id, billing, mainland, public_ips, term_start, term_end, active, created_at`

func scanResource(row interface{ Scan(...any) error }) (r beian.Resource, err error) {
	var billing, ips string
	var mainland, active int
	var start, end, created int64
	err = row.Scan(&r.ID, &r.AccountID, &r.ExternalID, &billing, &mainland, &ips, &start, &end, &active, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return r, beian.Errorf(beian.KindNotFound, "")
	}
	if err != nil {
		return r, err
	}
	r.Billing, r.Mainland, r.Active = beian.Billing(billing), mainland == 1, active == 1
	r.PublicIPs = []string{}
	if ips != "" {
		r.PublicIPs = strings.Split(ips, ",")
	}
	r.TermStart, r.TermEnd, r.CreatedAt = sqlstore.FromMicro(start), sqlstore.FromMicro(end), sqlstore.FromMicro(created)
	return r, nil
}

func scanResources(rows *sql.Rows, err error) ([]beian.Resource, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []beian.Resource{}
	for rows.Next() {
		r, err := scanResource(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// sharedAddressSpace is RFC 6598's carrier-grade NAT range: not public,
// although net/netip does not call it private.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// checkResource validates a resource's own fields (Rule ACC-2) and
// normalises its public IPs in place: canonical text, sorted, no repeats.
// Whether the resource qualifies for a filing is eligibility's question.
func checkResource(r *beian.Resource) beian.Problems {
	var ps beian.Problems
	if strings.TrimSpace(r.ExternalID) == "" {
		ps.Add("resource.external_id_required", "", "external_id")
	}
	if r.Billing != beian.Prepaid && r.Billing != beian.Postpaid {
		ps.Add("resource.billing_unknown", "ACC-2", "billing")
	}
	if r.TermStart.IsZero() || !r.TermEnd.After(r.TermStart) {
		ps.Add("resource.term_invalid", "ACC-2", "term_end")
	}
	ips := make([]string, 0, len(r.PublicIPs))
	for i, s := range r.PublicIPs {
		field := fmt.Sprintf("public_ips[%d]", i)
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil || a.Zone() != "" {
			ps.Add("resource.ip_invalid", "ACC-2", field, "ip", s)
			continue
		}
		a = a.Unmap()
		if !a.IsGlobalUnicast() || a.IsPrivate() || sharedAddressSpace.Contains(a) {
			ps.Add("resource.ip_not_public", "ACC-2", field, "ip", s)
			continue
		}
		ips = append(ips, a.String())
	}
	slices.Sort(ips)
	r.PublicIPs = slices.Compact(ips)
	return ps
}

// CheckResource validates a resource's own fields as CreateResource and
// ImportResources do (Rule ACC-2) and normalises its public IPs in place,
// so that a caller (the billing import) can set a bad row aside before
// the import writes anything.
func CheckResource(r *beian.Resource) beian.Problems { return checkResource(r) }

// Eligibility lists why r cannot carry a filing on the date on with the
// caller's minimum term (Rule ACC-2): the resource.* problems at field
// "resource_id". No problems: eligible.
func Eligibility(r beian.Resource, on time.Time, minTermMonths int) beian.Problems {
	return eligibility(r, on, minTermMonths)
}

// eligibility lists why r cannot carry a filing on the date on (Rule
// ACC-2): it must be active, prepaid (包年包月), in mainland China, have a
// public IP, have a term covering on, and have been bought for at least
// minTermMonths calendar months (term_end ≥ term_start + minTermMonths, a
// day the target month lacks clamped to its last day; 0 or less: no
// minimum). No problems: eligible.
func eligibility(r beian.Resource, on time.Time, minTermMonths int) beian.Problems {
	var ps beian.Problems
	if !r.Active {
		ps.Add("resource.inactive", "ACC-2", "resource_id")
	}
	if r.Billing != beian.Prepaid {
		ps.Add("resource.postpaid", "ACC-2", "resource_id")
	}
	if !r.Mainland {
		ps.Add("resource.not_mainland", "ACC-2", "resource_id")
	}
	if len(r.PublicIPs) == 0 {
		ps.Add("resource.no_public_ip", "ACC-2", "resource_id")
	}
	if on.Before(r.TermStart) || !on.Before(r.TermEnd) {
		ps.Add("resource.term_not_current", "ACC-2", "resource_id")
	}
	if minTermMonths > 0 && r.TermEnd.Before(addMonths(r.TermStart, minTermMonths)) {
		ps.Add("resource.term_too_short", "ACC-2", "resource_id", "months", fmt.Sprint(minTermMonths))
	}
	return ps
}

// addMonths adds n calendar months to t in China Standard Time (Rule
// CAL-0), keeping the time of day and clamping the day to the target
// month's last day (31 January + 1 month = 28 or 29 February).
func addMonths(t time.Time, n int) time.Time {
	t = t.In(beian.CST)
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, beian.CST)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), beian.CST)
}

func resourceAudit(r beian.Resource) map[string]any {
	return map[string]any{"account_id": r.AccountID, "external_id": r.ExternalID, "billing": r.Billing,
		"mainland": r.Mainland, "public_ips": r.PublicIPs, "term_start": sqlstore.Micro(r.TermStart),
		"term_end": sqlstore.Micro(r.TermEnd), "active": r.Active}
}

// accountExists reports whether the account is in the store.
func accountExists(ctx context.Context, tx *sqlstore.Tx, id int64) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM provider_accounts WHERE id = $1`, id).Scan(&n)
	return n > 0, err
}

// CreateResource adds a cloud resource of this provider to an account (Rule
// ACC-2), with its active flag as given. Its fields are checked (billing
// prepaid or postpaid, term_end after term_start, every public IP a valid
// public address; codes resource.*); the public IPs are stored in canonical
// form. An unknown account is invalid (resource.account_unknown); an
// external ID already stored is a conflict (resource.external_id_taken).
func (s *Store) CreateResource(ctx context.Context, r beian.Resource, actor string) (out beian.Resource, err error) {
	defer beian.Wrap(&err, "create resource")
	if err := checkResource(&r).Err(); err != nil {
		return out, err
	}
	err = s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		out, err = s.insertResource(ctx, tx, r, "")
		if err != nil {
			return err
		}
		err = s.Audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "resource.create", Entity: "resource",
			EntityID: itoa(out.ID), After: resourceAudit(out)})
		return err
	})
	return out, err
}

// insertResource inserts a checked resource; prefix is the field path of
// the resource in the caller's input for its problems.
func (s *Store) insertResource(ctx context.Context, tx *sqlstore.Tx, r beian.Resource, prefix string) (beian.Resource, error) {
	ok, err := accountExists(ctx, tx, r.AccountID)
	if err != nil {
		return r, err
	}
	if !ok {
		var ps beian.Problems
		ps.Extend(prefix, beian.Problems{beian.NewProblem("resource.account_unknown", "", "account_id")})
		return r, ps.Err()
	}
	out, err := scanResource(tx.QueryRowContext(ctx, `INSERT INTO resources (account_id, external_id, billing, mainland, public_ips, term_start, term_end, active, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING `+resourceColumns,
		r.AccountID, r.ExternalID, string(r.Billing), boolInt(r.Mainland), strings.Join(r.PublicIPs, ","),
		sqlstore.Micro(r.TermStart), sqlstore.Micro(r.TermEnd), boolInt(r.Active), sqlstore.Micro(tx.Now)))
	if err = sqlstore.MapErr(err); err != nil {
		if beian.IsKind(err, beian.KindConflict) && strings.Contains(constraintOf(err), "external_id") {
			var ps beian.Problems
			ps.Extend(prefix, beian.Problems{beian.NewProblem("resource.external_id_taken", "", "external_id", "external_id", r.ExternalID)})
			return r, &beian.Error{Kind: beian.KindConflict, Code: "resource.external_id_taken", Args: ps[0].Args, Problems: ps, Err: err}
		}
		return r, err
	}
	return out, nil
}

// ImportResources is the billing system's bulk import (Rule ACC-2): each
// resource is created, or updated when its ExternalID is already stored
// (its account, billing, region, IPs, term and active flag are replaced),
// all in one transaction with one audit record per created or changed
// resource. Every resource is checked first; any problem (paths
// "resources[i].…", also resource.external_id_duplicate for an ExternalID
// given twice) writes nothing. An unchanged resource counts as neither
// created nor updated.
func (s *Store) ImportResources(ctx context.Context, rs []beian.Resource, actor string) (created, updated int, err error) {
	defer beian.Wrap(&err, "import resources")
	rs = slices.Clone(rs)
	var ps beian.Problems
	seen := map[string]bool{}
	for i := range rs {
		prefix := fmt.Sprintf("resources[%d]", i)
		ps.Extend(prefix, checkResource(&rs[i]))
		if seen[rs[i].ExternalID] {
			ps.Extend(prefix, beian.Problems{beian.NewProblem("resource.external_id_duplicate", "", "external_id", "external_id", rs[i].ExternalID)})
		}
		seen[rs[i].ExternalID] = true
	}
	if err := ps.Err(); err != nil {
		return 0, 0, err
	}
	err = s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		created, updated = 0, 0 // InTx may run this again
		var entries []audit.Entry
		for i, r := range rs {
			prefix := fmt.Sprintf("resources[%d]", i)
			q := `SELECT ` + resourceColumns + ` FROM resources WHERE external_id = $1`
			if tx.Driver == sqlstore.Postgres {
				q += ` FOR UPDATE`
			}
			before, err := scanResource(tx.QueryRowContext(ctx, q, r.ExternalID))
			switch {
			case beian.IsKind(err, beian.KindNotFound):
				out, err := s.insertResource(ctx, tx, r, prefix)
				if err != nil {
					return err
				}
				created++
				entries = append(entries, audit.Entry{Actor: actor, Action: "resource.import", Entity: "resource",
					EntityID: itoa(out.ID), After: resourceAudit(out)})
				continue
			case err != nil:
				return err
			}
			r.ID, r.CreatedAt = before.ID, before.CreatedAt
			if sameResource(before, r) {
				continue
			}
			if r.AccountID != before.AccountID {
				if ok, err := accountExists(ctx, tx, r.AccountID); err != nil {
					return err
				} else if !ok {
					return beian.Problems{beian.NewProblem("resource.account_unknown", "", prefix+".account_id")}.Err()
				}
			}
			_, err = tx.ExecContext(ctx, `UPDATE resources SET account_id = $1, billing = $2, mainland = $3, public_ips = $4,
				term_start = $5, term_end = $6, active = $7, version = version + 1 WHERE id = $8`,
				r.AccountID, string(r.Billing), boolInt(r.Mainland), strings.Join(r.PublicIPs, ","),
				sqlstore.Micro(r.TermStart), sqlstore.Micro(r.TermEnd), boolInt(r.Active), r.ID)
			if err != nil {
				return sqlstore.MapErr(err)
			}
			updated++
			entries = append(entries, audit.Entry{Actor: actor, Action: "resource.import", Entity: "resource",
				EntityID: itoa(r.ID), Before: resourceAudit(before), After: resourceAudit(r)})
		}
		// The audit records come last: Append holds the chain's head until commit.
		for _, e := range entries {
			if err := s.Audit.Append(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	return created, updated, nil
}

// sameResource compares the stored fields an import may change.
func sameResource(a, b beian.Resource) bool {
	return a.AccountID == b.AccountID && a.Billing == b.Billing && a.Mainland == b.Mainland &&
		slices.Equal(a.PublicIPs, b.PublicIPs) && sqlstore.Micro(a.TermStart) == sqlstore.Micro(b.TermStart) &&
		sqlstore.Micro(a.TermEnd) == sqlstore.Micro(b.TermEnd) && a.Active == b.Active
}

// Resource returns the resource with the id (for staff and the system).
func (s *Store) Resource(ctx context.Context, id int64) (beian.Resource, error) {
	return scanResource(s.DB.SQL.QueryRowContext(ctx, `SELECT `+resourceColumns+` FROM resources WHERE id = $1`, id))
}

// ResourceOf returns the resource with the id when the account holds it;
// another account's resource is not found (the tenant rule: 404, not 403).
func (s *Store) ResourceOf(ctx context.Context, accountID, id int64) (beian.Resource, error) {
	return scanResource(s.DB.SQL.QueryRowContext(ctx, `SELECT `+resourceColumns+` FROM resources WHERE id = $1 AND account_id = $2`, id, accountID))
}

// ResourcesOf lists the account's resources, oldest first, eligible or not.
func (s *Store) ResourcesOf(ctx context.Context, accountID int64) ([]beian.Resource, error) {
	return scanResources(s.DB.SQL.QueryContext(ctx, `SELECT `+resourceColumns+` FROM resources WHERE account_id = $1 ORDER BY id`, accountID))
}

// EligibleResources lists the account's resources that can carry a filing
// on the date on (Rule ACC-2): active, prepaid, mainland, with a public IP,
// a term covering on, and bought for at least minTermMonths calendar months
// (the caller's setting; DefaultMinTermMonths by default). An empty list is
// the precheck's "no available resources" (暂无可用资源).
func (s *Store) EligibleResources(ctx context.Context, accountID int64, on time.Time, minTermMonths int) ([]beian.Resource, error) {
	all, err := scanResources(s.DB.SQL.QueryContext(ctx, `SELECT `+resourceColumns+` FROM resources
		WHERE account_id = $1 AND active = 1 AND billing = 'prepaid' AND mainland = 1 AND public_ips <> '' AND term_start <= $2 AND term_end > $2
		ORDER BY id`, accountID, sqlstore.Micro(on)))
	if err != nil {
		return nil, err
	}
	// The SQL narrows; eligibility decides, so the rule lives in one place.
	return slices.DeleteFunc(all, func(r beian.Resource) bool { return len(eligibility(r, on, minTermMonths)) > 0 }), nil
}

// ExpiringResources lists the active resources, of every account, whose
// term ends after on and no later than on+within, soonest first: the
// servers for the NOTE-1 warning "server term ending within 30 days"
// (within is the caller's setting).
func (s *Store) ExpiringResources(ctx context.Context, on time.Time, within time.Duration) ([]beian.Resource, error) {
	return scanResources(s.DB.SQL.QueryContext(ctx, `SELECT `+resourceColumns+` FROM resources
		WHERE active = 1 AND term_end > $1 AND term_end <= $2 ORDER BY term_end, id`,
		sqlstore.Micro(on), sqlstore.Micro(on.Add(within))))
}
