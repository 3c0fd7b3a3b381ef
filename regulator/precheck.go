package regulator

import (
	"context"
	"database/sql"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/validate"
)

// PrecheckOptions tune the registry's precheck.
type PrecheckOptions struct {
	// MinRemainingDays is how many days a domain's registration must still
	// run after the request day (Rule WEB-6: some provinces want 90); 0
	// only requires it not to have expired.
	MinRemainingDays int
}

// Precheck answers the connector's precheck (beian.Connector.Precheck) at
// the clock's time, with the province's own requirement on the remaining
// registration time (refdata's domain_min_remaining_days, Rules WEB-6 and
// SUBJ-4). See PrecheckTx for what it reports.
func (r *Registry) Precheck(ctx context.Context, req beian.PrecheckRequest) (beian.PrecheckResult, error) {
	now := r.DB.Clock.Now()
	reqs, err := r.Ref.Requirements(req.Province, now)
	if err != nil {
		return beian.PrecheckResult{}, invalid("registry.province_unknown", "SUBJ-4", "province", "province", req.Province)
	}
	return r.precheck(ctx, r.DB.SQL, now, req, PrecheckOptions{MinRemainingDays: reqs.DomainMinRemainingDays})
}

// PrecheckWith is Precheck with explicit options instead of the province's.
func (r *Registry) PrecheckWith(ctx context.Context, req beian.PrecheckRequest, opts PrecheckOptions) (beian.PrecheckResult, error) {
	return r.precheck(ctx, r.DB.SQL, r.DB.Clock.Now(), req, opts)
}

// PrecheckTx runs the precheck in tx at tx.Now (a submission re-runs it
// before it is accepted). It reports:
//   - SubjectNumber: the certificate's active subject, and SubjectProviders
//     the providers serving any of its websites. A different name or nature
//     in the request is not judged here: that is a transfer-in or a change,
//     which the provider decides (Rules TYPE-1, SUBJ-1).
//   - Filed: each requested domain held by an active website, SameSubject
//     when that website belongs to the request's certificate; held by
//     another subject it is also a Conflict at "domains[i]" naming the
//     website number (Rules SUBJ-1, WEB-4).
//   - Blacklist: the certificate at "cert_number", names at
//     "website_names[i]" (Rule CAN-1).
//   - Domains: one entry per requested domain (ASCII) with the problems of
//     the five checks (Rule WEB-6), each its own code at "domains[i]":
//     registry.domain_tld, registry.domain_no_record (then the record's
//     checks are skipped: a domain is never waved through),
//     registry.domain_registrar, registry.domain_expired or
//     registry.domain_expiring, registry.domain_not_real_name,
//     registry.domain_holder_mismatch; registry.domain_invalid for a name
//     that is not a registrable domain.
func (r *Registry) PrecheckTx(ctx context.Context, tx *sqlstore.Tx, req beian.PrecheckRequest, opts PrecheckOptions) (beian.PrecheckResult, error) {
	return r.precheck(ctx, tx, tx.Now, req, opts)
}

func (r *Registry) precheck(ctx context.Context, q querier, now time.Time, req beian.PrecheckRequest, opts PrecheckOptions) (res beian.PrecheckResult, err error) {
	defer beian.Wrap(&err, "precheck")
	// Outside a transaction the reads are independent: on PostgreSQL they
	// go at once, each on a connection of its own, and the answer waits
	// for the slowest round trip instead of their sum (the submit's longest
	// stretch under load). In a transaction, and on SQLite, whose reads are
	// calls inside this process, they run one after another.
	_, outside := q.(*sql.DB)
	f := sqlstore.Fanout{Parallel: outside && r.DB.Driver == sqlstore.Postgres}
	key := ""
	var certHit bool
	if validate.NormalizeCertificate(req.CertNumber) != "" {
		key = certKey(req.CertType, req.CertNumber)
		f.Do(func() (err error) {
			if res.SubjectNumber, err = activeSubjectNumber(ctx, q, key); err != nil || res.SubjectNumber == "" {
				return err
			}
			res.SubjectProviders, err = subjectProviders(ctx, q, res.SubjectNumber)
			return err
		})
		f.Do(func() (err error) {
			certHit, err = r.blacklisted(ctx, q, BlacklistCert, req.CertNumber)
			return err
		})
	}
	nameHits := make([]bool, len(req.WebsiteNames))
	for i, name := range req.WebsiteNames {
		f.Do(func() (err error) {
			nameHits[i], err = r.blacklisted(ctx, q, BlacklistWebsiteName, name)
			return err
		})
	}
	type domainResult struct {
		check  beian.DomainCheck
		holder string
		same   bool
	}
	domains := make([]domainResult, len(req.Domains))
	for i, d := range req.Domains {
		field := "domains[" + strconv.Itoa(i) + "]"
		dr := &domains[i]
		dr.check = beian.DomainCheck{Domain: d}
		ascii, ok := registrableASCII(d)
		if !ok {
			dr.check.Problems.Add("registry.domain_invalid", "WEB-4", field, "domain", d)
			continue
		}
		dr.check.Domain = ascii
		f.Do(func() error {
			holder, holderKey, err := domainHolder(ctx, q, ascii)
			dr.holder, dr.same = holder, key != "" && holderKey == key
			return err
		})
		f.Do(func() (err error) {
			dr.check.Problems, err = r.domainChecks(ctx, q, now, ascii, field, req, opts)
			return err
		})
	}
	if err := f.Wait(); err != nil {
		return res, err
	}
	if certHit {
		res.Blacklist = append(res.Blacklist, beian.BlacklistHit{Field: "cert_number"})
	}
	for i, hit := range nameHits {
		if hit {
			res.Blacklist = append(res.Blacklist, beian.BlacklistHit{Field: "website_names[" + strconv.Itoa(i) + "]"})
		}
	}
	res.Domains = []beian.DomainCheck{}
	for i, dr := range domains {
		if dr.holder != "" {
			res.Filed = append(res.Filed, beian.FiledDomain{Domain: dr.check.Domain, WebsiteNumber: dr.holder, SameSubject: dr.same})
			if !dr.same {
				res.Conflicts = append(res.Conflicts, beian.Conflict{Field: "domains[" + strconv.Itoa(i) + "]", Number: dr.holder})
			}
		}
		res.Domains = append(res.Domains, dr.check)
	}
	return res, nil
}

// domainChecks runs the registry's five checks on one ASCII domain (Rule WEB-6).
func (r *Registry) domainChecks(ctx context.Context, q querier, now time.Time, ascii, field string, req beian.PrecheckRequest, opts PrecheckOptions) (beian.Problems, error) {
	var ps beian.Problems
	shown := unicodeDomain(ascii)
	tld := ascii[strings.LastIndexByte(ascii, '.')+1:]
	if !r.Ref.ApprovedTLD(tld) {
		ps.Add("registry.domain_tld", "WEB-6", field, "domain", shown, "tld", "."+unicodeDomain(tld))
	}
	rec, found, err := domainRecord(ctx, q, ascii)
	if err != nil {
		return nil, err
	}
	if !found {
		ps.Add("registry.domain_no_record", "WEB-6", field, "domain", shown)
		return ps, nil
	}
	if !r.Registrars.Approved(rec.Registrar) {
		ps.Add("registry.domain_registrar", "WEB-6", field, "domain", shown, "registrar", rec.Registrar)
	}
	today := beian.DateOf(now) // Rule CAL-0
	expires := beian.DateOf(rec.ExpiresOn)
	switch {
	case rec.ExpiresOn.IsZero() || !expires.After(today):
		ps.Add("registry.domain_expired", "WEB-6", field, "domain", shown, "expires_on", dateString(rec.ExpiresOn))
	case opts.MinRemainingDays > 0 && !expires.After(today.AddDate(0, 0, opts.MinRemainingDays)):
		ps.Add("registry.domain_expiring", "WEB-6", field, "domain", shown, "expires_on", dateString(rec.ExpiresOn),
			"min_days", strconv.Itoa(opts.MinRemainingDays))
	}
	if !rec.RealNameVerified {
		ps.Add("registry.domain_not_real_name", "WEB-6", field, "domain", shown)
	}
	if rec.HolderCertType != strings.TrimSpace(req.CertType) || rec.HolderCertNumber == "" ||
		rec.HolderCertNumber != validate.NormalizeCertificate(req.CertNumber) {
		ps.Add("registry.domain_holder_mismatch", "WEB-6", field, "domain", shown)
	}
	return ps, nil
}

// subjectProviders lists the providers with active access to any active
// website of the subject, sorted.
func subjectProviders(ctx context.Context, q querier, subjectNumber string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT a.provider FROM registry_access a
		JOIN registry_websites w ON w.id = a.website_id JOIN registry_subjects s ON s.id = w.subject_id
		WHERE s.number = $1 AND w.status = 'active' AND a.until = 0`, subjectNumber)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out, rows.Err()
}
