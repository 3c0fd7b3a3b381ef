package regulator

import (
	"context"
	"strings"
	"time"

	"golang.org/x/net/idna"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/validate"
)

// DomainRecord is a domain's registration data as the registry knows it: what
// the five domain checks read (Rule WEB-6). Holder fields are personal data.
type DomainRecord struct {
	Domain           string // registrable domain, ASCII or Unicode; stored ASCII
	HolderName       string
	HolderCertType   string
	HolderCertNumber string
	Registrar        string
	RegisteredOn     time.Time
	ExpiresOn        time.Time
	RealNameVerified bool
	UpdatedAt        time.Time
}

// PutDomainRecord is PutDomainRecordTx in a transaction of its own.
func (r *Registry) PutDomainRecord(ctx context.Context, rec DomainRecord) error {
	return r.inTx(ctx, func(tx *sqlstore.Tx) error { return r.PutDomainRecordTx(ctx, tx, rec) })
}

// PutDomainRecordTx creates or replaces a domain's registration record in tx
// (Rule WEB-6; the sandbox's POST /api/v1/sandbox/domains writes here). The
// domain must be a registrable domain itself (not a subdomain); its TLD
// need not be approved, which the TLD check then reports.
func (r *Registry) PutDomainRecordTx(ctx context.Context, tx *sqlstore.Tx, rec DomainRecord) (err error) {
	defer beian.Wrap(&err, "put domain record")
	ascii, ok := registrableASCII(rec.Domain)
	if !ok {
		return invalid("registry.domain_invalid", "WEB-4", "domain", "domain", rec.Domain)
	}
	cert := validate.NormalizeCertificate(rec.HolderCertNumber)
	_, err = tx.ExecContext(ctx, `INSERT INTO registry_domain_records (domain, holder_name, holder_cert_type, holder_cert_number, registrar, registered_on, expires_on, real_name_verified, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (domain) DO UPDATE SET holder_name = excluded.holder_name, holder_cert_type = excluded.holder_cert_type,
			holder_cert_number = excluded.holder_cert_number, registrar = excluded.registrar, registered_on = excluded.registered_on,
			expires_on = excluded.expires_on, real_name_verified = excluded.real_name_verified, updated_at = excluded.updated_at`,
		ascii, strings.TrimSpace(rec.HolderName), strings.TrimSpace(rec.HolderCertType), cert, strings.TrimSpace(rec.Registrar),
		sqlstore.Micro(rec.RegisteredOn), sqlstore.Micro(rec.ExpiresOn), b2i(rec.RealNameVerified), sqlstore.Micro(tx.Now))
	if err != nil {
		return sqlstore.MapErr(err)
	}
	return r.appendAudit(ctx, tx, "domain_record.put", "domain", ascii, nil, map[string]any{
		"registrar": strings.TrimSpace(rec.Registrar), "expires_on": dateString(rec.ExpiresOn),
		"real_name_verified": rec.RealNameVerified, "holder_cert_type": rec.HolderCertType, "holder_cert_number": certTail(cert)})
}

// DomainRecordOf returns the registration record of a registrable domain;
// not_found when the registry has none.
func (r *Registry) DomainRecordOf(ctx context.Context, domain string) (DomainRecord, error) {
	ascii, ok := registrableASCII(domain)
	if !ok {
		return DomainRecord{}, invalid("registry.domain_invalid", "WEB-4", "domain", "domain", domain)
	}
	rec, found, err := domainRecord(ctx, r.DB.SQL, ascii)
	if err == nil && !found {
		err = beian.Errorf(beian.KindNotFound, "registry.domain_no_record", "domain", unicodeDomain(ascii))
	}
	return rec, err
}

// domainRecord reads the record of an ASCII domain.
func domainRecord(ctx context.Context, q querier, ascii string) (rec DomainRecord, found bool, err error) {
	var reg, exp, upd int64
	var real int
	err = q.QueryRowContext(ctx, `SELECT domain, holder_name, holder_cert_type, holder_cert_number, registrar, registered_on, expires_on, real_name_verified, updated_at
		FROM registry_domain_records WHERE domain = $1`, ascii).Scan(&rec.Domain, &rec.HolderName, &rec.HolderCertType,
		&rec.HolderCertNumber, &rec.Registrar, &reg, &exp, &real, &upd)
	if noRows(err) {
		return rec, false, nil
	}
	rec.RegisteredOn, rec.ExpiresOn, rec.UpdatedAt = sqlstore.FromMicro(reg), sqlstore.FromMicro(exp), sqlstore.FromMicro(upd)
	rec.RealNameVerified = real == 1
	return rec, err == nil, err
}

// registrableASCII returns the ASCII form of a name that is itself a
// registrable domain (ICANN eTLD+1; Unicode accepted), and false otherwise.
func registrableASCII(name string) (string, bool) {
	d, ok := validate.Registrable(nil, name)
	if !ok {
		return "", false
	}
	a, err := idna.Lookup.ToASCII(strings.TrimSuffix(strings.ToLower(strings.TrimSpace(name)), "."))
	if err != nil || a != d.ASCII {
		return "", false
	}
	return d.ASCII, true
}

// unicodeDomain is the display form of an ASCII domain (Rule WEB-4).
func unicodeDomain(ascii string) string {
	if u, err := idna.Lookup.ToUnicode(ascii); err == nil {
		return u
	}
	return ascii
}

// dateString is a CST date, YYYY-MM-DD; "" for the zero time.
func dateString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(beian.CST).Format(time.DateOnly)
}
