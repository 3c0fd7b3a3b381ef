package regulator

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/audit"
	"github.com/beian/beian/refdata"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/validate"
)

// Registry is the MIIT registry on one database: numbers, subjects,
// websites, domains, access, domain records and the blacklist.
type Registry struct {
	DB    *sqlstore.DB
	Audit *audit.Chain
	Ref   *refdata.Data
	// Registrars is the list of approved domain registrars the WEB-6 check
	// reads; New sets the embedded list (data/registrars.json).
	Registrars *Registrars
}

// New returns the registry on db with the registry's audit chain, the
// embedded reference data and the embedded registrar list.
func New(db *sqlstore.DB) (*Registry, error) {
	passwordPool.start() // Rule PWD-1: passwords hashed ahead of the approvals that issue them
	ch, err := audit.New("registry")
	if err != nil {
		return nil, err
	}
	regs, err := DefaultRegistrars()
	if err != nil {
		return nil, err
	}
	return &Registry{DB: db, Audit: ch, Ref: refdata.Default(), Registrars: regs}, nil
}

type actorKey struct{}

// WithActor returns a context whose registry writes are audited as done by
// actor (e.g. "account:7", "bureau:330000", "import"); without it the actor
// is "registry".
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// actorOf returns the audit actor carried by ctx.
func actorOf(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	return "registry"
}

// appendAudit records the audit record of one change in tx (written at
// tx's end, audit.Chain.Append).
func (r *Registry) appendAudit(ctx context.Context, tx *sqlstore.Tx, action, entity, id string, before, after any) error {
	return r.Audit.Append(ctx, tx, audit.Entry{Actor: actorOf(ctx), Action: action, Entity: entity, EntityID: id, Before: before, After: after})
}

// inTx runs fn in a transaction of its own.
func (r *Registry) inTx(ctx context.Context, fn func(tx *sqlstore.Tx) error) error {
	return r.DB.InTx(ctx, fn)
}

// certKey is the identity of a subject: certificate type and normalised number (Rule SUBJ-1).
func certKey(certType, certNumber string) string {
	return beian.SubjectKey(strings.TrimSpace(certType), validate.NormalizeCertificate(certNumber))
}

// certTail keeps the last four characters of a certificate number: enough
// for an audit reader to tell records apart, never the full number.
func certTail(number string) string {
	n := validate.NormalizeCertificate(number)
	if r := []rune(n); len(r) > 4 {
		return "****" + string(r[len(r)-4:])
	}
	return "****"
}

// maskName keeps the first character of a person's name and masks each of
// the others with one '*' (Rule QRY-1: 张三丰 → 张**).
func maskName(name string) string {
	r := []rune(strings.TrimSpace(name))
	if len(r) == 0 {
		return ""
	}
	return string(r[0]) + strings.Repeat("*", len(r)-1)
}

// notFound is the registry's answer for an unknown number.
func notFound(number string) error {
	return beian.Errorf(beian.KindNotFound, "registry.number_not_found", "number", number)
}

// invalid returns a KindInvalid error with one problem.
func invalid(code, rule, field string, args ...string) error {
	return beian.Problems{beian.NewProblem(code, rule, field, args...)}.Err()
}

// noRows reports whether err is sql.ErrNoRows.
func noRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// b2i stores a boolean as 0 or 1.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
