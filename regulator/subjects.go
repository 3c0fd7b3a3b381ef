package regulator

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/validate"
)

// Statuses of subjects and websites in the registry.
const (
	StatusActive    = "active"
	StatusCancelled = "cancelled"
)

// SubjectInput is the subject of an approved first filing.
type SubjectInput struct {
	Province   string // any key refdata's Province accepts; stored as the GB/T 2260 code
	Nature     string // API.md subject nature
	UnitName   string // the organisation's or the person's name
	CertType   string // API.md certificate type
	CertNumber string // personal data: never audited in full, never public
}

// Subject is a subject (主体) as the registry holds it.
type Subject struct {
	ID         int64
	Number     string
	Province   string
	Nature     string
	UnitName   string
	CertType   string
	CertNumber string
	Status     string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	ApprovedAt time.Time
	Version    int64
}

// querier is what reads need: a transaction or the database itself.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// forUpdate locks the selected rows on PostgreSQL; SQLite's writer lock
// already serialises the transaction.
func forUpdate(tx *sqlstore.Tx) string {
	if tx.Driver == sqlstore.Postgres {
		return ` FOR UPDATE`
	}
	return ""
}

// CreateSubject is CreateSubjectTx in a transaction of its own.
func (r *Registry) CreateSubject(ctx context.Context, in SubjectInput) (s Subject, err error) {
	err = r.inTx(ctx, func(tx *sqlstore.Tx) error {
		s, err = r.CreateSubjectTx(ctx, tx, in)
		return err
	})
	return s, err
}

// CreateSubjectTx records the subject of an approved first filing in tx: it
// allocates its number (Rule NUM-1) and makes it active. It refuses, with
// kind invalid, a certificate on the blacklist (Rule CAN-1,
// registry.cert_blacklisted) and a certificate that already has an active
// subject (Rule SUBJ-1, registry.subject_conflict naming that number).
func (r *Registry) CreateSubjectTx(ctx context.Context, tx *sqlstore.Tx, in SubjectInput) (s Subject, err error) {
	defer beian.Wrap(&err, "create subject")
	p, ps := r.checkSubject(in)
	if err := ps.Err(); err != nil {
		return s, err
	}
	number := validate.NormalizeCertificate(in.CertNumber)
	key := certKey(in.CertType, in.CertNumber)
	if hit, err := r.blacklisted(ctx, tx, BlacklistCert, number); err != nil || hit {
		if err == nil {
			err = invalid("registry.cert_blacklisted", "CAN-1", "cert_number")
		}
		return s, err
	}
	if err := r.subjectConflict(ctx, tx, key); err != nil {
		return s, err
	}
	num, err := r.NextSubjectNumber(ctx, tx, p)
	if err != nil {
		return s, err
	}
	now := sqlstore.Micro(tx.Now)
	s = Subject{Number: num.String(), Province: p, Nature: in.Nature, UnitName: strings.TrimSpace(in.UnitName),
		CertType: in.CertType, CertNumber: number, Status: StatusActive,
		CreatedAt: sqlstore.FromMicro(now), UpdatedAt: sqlstore.FromMicro(now), ApprovedAt: sqlstore.FromMicro(now), Version: 1}
	// A concurrent transaction may have taken the certificate since the
	// check: the partial unique index decides, and DO NOTHING keeps tx usable.
	err = tx.QueryRowContext(ctx, `INSERT INTO registry_subjects (number, province, nature, unit_name, cert_type, cert_number, cert_key, status, created_at, updated_at, approved_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $8, $8) ON CONFLICT DO NOTHING RETURNING id`,
		s.Number, s.Province, s.Nature, s.UnitName, s.CertType, s.CertNumber, key, now).Scan(&s.ID)
	if noRows(err) {
		if err := r.subjectConflict(ctx, tx, key); err != nil {
			return Subject{}, err
		}
		return Subject{}, &beian.Error{Kind: beian.KindConflict} // the row that clashed is gone again: retry
	}
	if err != nil {
		return Subject{}, sqlstore.MapErr(err)
	}
	if err := history(ctx, tx, s.Number, StatusActive, "approved"); err != nil {
		return Subject{}, err
	}
	return s, r.appendAudit(ctx, tx, "subject.create", "subject", s.Number, nil, subjectAudit(s))
}

// checkSubject validates the input and returns the province code.
func (r *Registry) checkSubject(in SubjectInput) (string, beian.Problems) {
	var ps beian.Problems
	p, ok := r.Ref.Province(in.Province)
	if !ok {
		ps.Add("registry.province_unknown", "SUBJ-4", "province", "province", in.Province)
	}
	if _, ok := r.Ref.Nature(in.Nature); !ok {
		ps.Add("registry.nature_unknown", "", "nature", "nature", in.Nature)
	}
	if strings.TrimSpace(in.UnitName) == "" {
		ps.Add("registry.required", "", "name", "field", "name")
	}
	if _, ok := r.Ref.CertificateType(in.CertType); !ok {
		ps.Add("registry.cert_type_unknown", "SUBJ-3", "cert_type", "cert_type", in.CertType)
	}
	if validate.NormalizeCertificate(in.CertNumber) == "" {
		ps.Add("registry.required", "", "cert_number", "field", "cert_number")
	}
	return p.Code, ps
}

// subjectConflict answers registry.subject_conflict when the certificate
// already has an active subject (Rule SUBJ-1).
func (r *Registry) subjectConflict(ctx context.Context, q querier, key string) error {
	number, err := activeSubjectNumber(ctx, q, key)
	if err != nil || number == "" {
		return err
	}
	return invalid("registry.subject_conflict", "SUBJ-1", "cert_number", "number", number)
}

// activeSubjectNumber returns the number of the certificate's active subject, "" for none.
func activeSubjectNumber(ctx context.Context, q querier, key string) (string, error) {
	var number string
	err := q.QueryRowContext(ctx, `SELECT number FROM registry_subjects WHERE cert_key = $1 AND status = 'active' AND cert_key <> ''`, key).Scan(&number)
	if noRows(err) {
		return "", nil
	}
	return number, err
}

// subjectAudit is a subject as the audit log holds it: no certificate
// number in full, a person's name masked.
func subjectAudit(s Subject) map[string]any {
	name := s.UnitName
	if s.Nature == "individual" {
		name = maskName(name)
	}
	return map[string]any{"number": s.Number, "province": s.Province, "nature": s.Nature, "unit_name": name,
		"cert_type": s.CertType, "cert_number": certTail(s.CertNumber), "status": s.Status}
}

// history records a status a number took (Rule CAN-3).
func history(ctx context.Context, tx *sqlstore.Tx, number, status, reason string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO registry_status_history (number, status, reason, at) VALUES ($1, $2, $3, $4)`,
		number, status, reason, sqlstore.Micro(tx.Now))
	return sqlstore.MapErr(err)
}
