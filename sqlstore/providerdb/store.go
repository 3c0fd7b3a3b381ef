// Package providerdb is the provider context's store on SQLite and
// PostgreSQL: accounts, subjects, orders with their versions, websites with
// their access state, and the servable-domain table the gate reads. Every
// write runs in one transaction with its audit record (package audit), so a
// state change and its record commit or vanish together.
package providerdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/audit"
	"github.com/beian/beian/sqlstore"
)

// Store is the provider context's store.
type Store struct {
	DB    *sqlstore.DB
	Audit *audit.Chain
	// OnServable, when set, hears the servable-domain changes of each
	// committed transaction, after the commit (sqlstore.Tx.AfterCommit):
	// the in-process gate applies them at once (Rule GATE-1).
	OnServable func([]beian.ServableChange)
}

// New returns the provider store on db, with the provider's audit chain.
func New(db *sqlstore.DB) (*Store, error) {
	ch, err := audit.New("provider")
	if err != nil {
		return nil, err
	}
	return &Store{DB: db, Audit: ch}, nil
}

// CreateAccount adds an account with an already hashed password.
func (s *Store) CreateAccount(ctx context.Context, a beian.Account, passwordHash string, actor string) (out beian.Account, err error) {
	defer beian.Wrap(&err, "create account")
	switch a.Role {
	case beian.RoleCustomer, beian.RoleProviderReviewer, beian.RoleVerifier, beian.RoleProviderAdmin:
	default:
		return beian.Account{}, beian.Errorf(beian.KindInvalid, "account.role_unknown", "role", string(a.Role))
	}
	err = s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO provider_accounts (login, role, name, password_hash, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, a.Login, string(a.Role), a.Name, passwordHash, sqlstore.Micro(tx.Now)).Scan(&a.ID)
		if err != nil {
			return sqlstore.MapErr(err)
		}
		a.CreatedAt = tx.Now
		err = s.Audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "account.create", Entity: "account",
			EntityID: itoa(a.ID), After: map[string]any{"login": a.Login, "role": a.Role}})
		return err
	})
	return a, err
}

// Account returns the account with the id.
func (s *Store) Account(ctx context.Context, id int64) (a beian.Account, err error) {
	defer beian.Wrap(&err, "account %d", id)
	var role string
	var created int64
	err = s.DB.SQL.QueryRowContext(ctx, `SELECT id, login, role, name, created_at FROM provider_accounts WHERE id = $1`, id).
		Scan(&a.ID, &a.Login, &role, &a.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return a, beian.Errorf(beian.KindNotFound, "")
	}
	a.Role, a.CreatedAt = beian.Role(role), sqlstore.FromMicro(created)
	return a, err
}

// orderNumberAlphabet is Crockford's base32: no I, L, O, U.
const orderNumberAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newOrderNumber returns an order number (Rule NUM-2): "BA", the CST date,
// and 12 random base32 characters (60 bits), e.g. BA20261129-7K3M9QX2TDHF.
// It is unique by the schema and not guessable.
func newOrderNumber(tx *sqlstore.Tx) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	var sb strings.Builder
	sb.WriteString("BA")
	sb.WriteString(tx.Now.In(beian.CST).Format("20060102"))
	sb.WriteByte('-')
	for _, c := range b {
		sb.WriteByte(orderNumberAlphabet[int(c)%32])
	}
	return sb.String()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
