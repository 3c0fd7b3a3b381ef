package regulator

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/validate"
)

// MaxSeedDomains is the most domain records one request may write.
const MaxSeedDomains = 500

// DomainRecordInput is a domain's registration record as the sandbox
// receives it (API.md: POST /api/v1/sandbox/domains; Rule WEB-6). Dates
// are YYYY-MM-DD in China Standard Time.
type DomainRecordInput struct {
	Domain           string `json:"domain"`
	HolderName       string `json:"holder_name"`
	HolderCertType   string `json:"holder_cert_type"`
	HolderCertNumber string `json:"holder_cert_number"` // personal data: never answered, never audited in full
	Registrar        string `json:"registrar"`
	RegisteredOn     string `json:"registered_on"`
	ExpiresOn        string `json:"expires_on"`
	RealNameVerified *bool  `json:"real_name_verified"`
}

// PutDomainRecords checks the records and, when none has a problem,
// creates or replaces them all in one transaction (PutDomainRecordTx),
// returning their domains in ASCII. Every problem is reported at once
// (invalid, fields "[i].…"): a domain that is not itself registrable
// (registry.domain_invalid; its TLD need not be approved — the precheck
// reports that), a missing field (registry.required), an unknown
// certificate type or a certificate number its type's check refuses (Rule
// SUBJ-3), a date that is not YYYY-MM-DD (sandbox.domain_date), a
// registration after today or an expiry not after the registration
// (sandbox.domain_dates), the same domain twice (sandbox.domain_duplicate).
// An unapproved registrar, an expired domain or a record without real-name
// verification is accepted: the five checks report them.
func (r *Registry) PutDomainRecords(ctx context.Context, in []DomainRecordInput) (domains []string, err error) {
	defer beian.Wrap(&err, "put domain records")
	if len(in) == 0 || len(in) > MaxSeedDomains {
		return nil, beian.Errorf(beian.KindBadRequest, "sandbox.domain_count", "max", strconv.Itoa(MaxSeedDomains))
	}
	today := beian.DateOf(r.DB.Clock.Now())
	recs := make([]DomainRecord, len(in))
	seen := map[string]bool{}
	var ps beian.Problems
	for i, d := range in {
		rec, rps := r.domainRecordOf(d, today)
		if ascii, ok := registrableASCII(d.Domain); ok {
			if seen[ascii] {
				rps.Add("sandbox.domain_duplicate", "WEB-6", "domain", "domain", unicodeDomain(ascii))
			}
			seen[ascii] = true
			domains = append(domains, ascii)
		}
		ps.Extend("["+strconv.Itoa(i)+"]", rps)
		recs[i] = rec
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	err = r.inTx(ctx, func(tx *sqlstore.Tx) error {
		for _, rec := range recs {
			if err := r.PutDomainRecordTx(ctx, tx, rec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return domains, nil
}

// domainRecordOf checks one input and converts it.
func (r *Registry) domainRecordOf(d DomainRecordInput, today time.Time) (DomainRecord, beian.Problems) {
	var ps beian.Problems
	rec := DomainRecord{Domain: strings.TrimSpace(d.Domain), HolderName: strings.TrimSpace(d.HolderName),
		HolderCertType: strings.TrimSpace(d.HolderCertType), HolderCertNumber: d.HolderCertNumber,
		Registrar: strings.TrimSpace(d.Registrar), RealNameVerified: d.RealNameVerified != nil && *d.RealNameVerified}
	if _, ok := registrableASCII(rec.Domain); !ok {
		ps.Add("registry.domain_invalid", "WEB-4", "domain", "domain", rec.Domain)
	}
	required := func(field, v string) bool {
		if v == "" {
			ps.Add("registry.required", "WEB-6", field, "field", field)
		}
		return v != ""
	}
	required("holder_name", rec.HolderName)
	if required("holder_cert_type", rec.HolderCertType) {
		if _, ok := r.Ref.CertificateType(rec.HolderCertType); !ok {
			ps.Add("registry.cert_type_unknown", "SUBJ-3", "holder_cert_type", "cert_type", rec.HolderCertType)
		} else {
			ps.Extend("holder_cert_number", validate.Certificate(r.Ref, rec.HolderCertType, rec.HolderCertNumber, today))
		}
	}
	required("registrar", rec.Registrar)
	date := func(field, v string) time.Time {
		if !required(field, strings.TrimSpace(v)) {
			return time.Time{}
		}
		t, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(v), beian.CST)
		if err != nil {
			ps.Add("sandbox.domain_date", "", field)
		}
		return t
	}
	rec.RegisteredOn, rec.ExpiresOn = date("registered_on", d.RegisteredOn), date("expires_on", d.ExpiresOn)
	if !rec.RegisteredOn.IsZero() && !rec.ExpiresOn.IsZero() && (rec.RegisteredOn.After(today) || !rec.ExpiresOn.After(rec.RegisteredOn)) {
		ps.Add("sandbox.domain_dates", "WEB-6", "expires_on", "today", dateString(today))
	}
	if d.RealNameVerified == nil {
		ps.Add("registry.required", "WEB-6", "real_name_verified", "field", "real_name_verified")
	}
	return rec, ps
}
