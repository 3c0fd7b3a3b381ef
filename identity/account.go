package identity

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/beian/beian"
	"github.com/beian/beian/audit"
	"github.com/beian/beian/refdata"
	"github.com/beian/beian/sqlstore"
)

// Account rules.
const (
	MinLoginLen    = 3
	MaxLoginLen    = 64
	MinPasswordLen = 10   // characters
	MaxPasswordLen = 1024 // bytes: bounds the work of hashing
	MaxNameLen     = 64   // characters
)

// NewAccount is what CreateAccount needs. Province is any form
// refdata.Data.Province accepts (浙江, 浙, 330000); it is stored as the
// GB/T 2260 code.
type NewAccount struct {
	Login    string
	Password string
	Role     beian.Role
	Province string
	Name     string
}

// validLogin reports whether the login has the allowed length and characters.
func validLogin(l string) bool {
	if len(l) < MinLoginLen || len(l) > MaxLoginLen {
		return false
	}
	for _, c := range l {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._@-", c)) {
			return false
		}
	}
	return true
}

// NormalizeLogin is the stored form of a login: trimmed and in lower case,
// so that "Alice" and "alice" are one account.
func NormalizeLogin(l string) string { return strings.ToLower(strings.TrimSpace(l)) }

// check validates a, returning the cleaned account (login normalised,
// province as its code, name trimmed) and every problem found.
func (a NewAccount) check() (NewAccount, error) {
	var ps beian.Problems
	a.Login = NormalizeLogin(a.Login)
	a.Name = strings.TrimSpace(a.Name)
	a.Province = strings.TrimSpace(a.Province)
	if !validLogin(a.Login) {
		ps.Add("auth.login_invalid", "", "login", "min", strconv.Itoa(MinLoginLen), "max", strconv.Itoa(MaxLoginLen))
	}
	switch {
	case utf8.RuneCountInString(a.Password) < MinPasswordLen:
		ps.Add("auth.password_too_short", "", "password", "min", strconv.Itoa(MinPasswordLen))
	case len(a.Password) > MaxPasswordLen:
		ps.Add("auth.password_too_long", "", "password", "max", strconv.Itoa(MaxPasswordLen))
	case strings.EqualFold(strings.TrimSpace(a.Password), a.Login):
		ps.Add("auth.password_is_login", "", "password")
	}
	switch ctx := ContextOf(a.Role); {
	case ctx == "":
		ps.Add("auth.role_unknown", "", "role", "roles", strings.Join(RoleNames(), ", "))
	case a.Role == beian.RoleBureauReviewer && a.Province == "":
		ps.Add("auth.province_required", "", "province")
	case a.Role == beian.RoleBureauReviewer:
		p, ok := refdata.Default().Province(a.Province)
		if !ok {
			ps.Add("auth.province_unknown", "", "province", "province", a.Province)
		}
		a.Province = p.Code
	case a.Province != "":
		ps.Add("auth.province_not_allowed", "", "province")
	}
	if utf8.RuneCountInString(a.Name) > MaxNameLen {
		ps.Add("auth.name_too_long", "", "name", "max", strconv.Itoa(MaxNameLen))
	}
	return a, ps.Err()
}

// ErrLoginTaken is the conflict answered when a login exists in either context.
func errLoginTaken() error {
	var ps beian.Problems
	ps.Add("auth.login_taken", "", "login")
	return &beian.Error{Kind: beian.KindConflict, Code: "auth.login_taken", Problems: ps}
}

// CreateAccount creates an account in the context of its role and returns
// it. It validates a (login 3–64 characters of A–Z a–z 0–9 . _ @ -, case
// folded; password at least 10 characters and not the login; a known role;
// bureau reviewers need a province, others must not have one) and answers
// kind invalid with every problem; a login already used in either context
// is a conflict (auth.login_taken). The audit record, written by actor in
// the context's chain, never holds the password.
func (s *Service) CreateAccount(ctx context.Context, a NewAccount, actor string) (p Principal, err error) {
	defer beian.Wrap(&err, "create account")
	s.init()
	if a, err = a.check(); err != nil {
		return Principal{}, err
	}
	hash, err := HashPassword(s.Params, a.Password)
	if err != nil {
		return Principal{}, err
	}
	p = Principal{Context: ContextOf(a.Role), Login: a.Login, Role: a.Role, Province: a.Province, Name: a.Name}
	t := tablesOf[p.Context]
	err = s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		if err := lockLogin(ctx, tx, a.Login); err != nil {
			return err
		}
		for _, other := range tablesOf {
			var id int64
			err := tx.QueryRowContext(ctx, `SELECT id FROM `+other.accounts+` WHERE login = $1`, a.Login).Scan(&id)
			if err == nil {
				return errLoginTaken()
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		var err error
		if p.Context == ContextRegistry {
			err = tx.QueryRowContext(ctx, `INSERT INTO registry_accounts (login, role, province, name, password_hash, created_at)
				VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
				a.Login, string(a.Role), a.Province, a.Name, hash, sqlstore.Micro(tx.Now)).Scan(&p.AccountID)
		} else {
			err = tx.QueryRowContext(ctx, `INSERT INTO `+t.accounts+` (login, role, name, password_hash, created_at)
				VALUES ($1, $2, $3, $4, $5) RETURNING id`,
				a.Login, string(a.Role), a.Name, hash, sqlstore.Micro(tx.Now)).Scan(&p.AccountID)
		}
		if err != nil {
			if beian.IsKind(sqlstore.MapErr(err), beian.KindConflict) {
				return errLoginTaken()
			}
			return err
		}
		err = chain(p.Context).Append(ctx, tx, audit.Entry{
			Actor: actor, Action: "account.create", Entity: "account", EntityID: strconv.FormatInt(p.AccountID, 10),
			After: map[string]string{"login": p.Login, "role": string(p.Role), "province": p.Province, "name": p.Name},
		})
		return err
	})
	if err != nil {
		return Principal{}, err
	}
	return p, nil
}

// lockLogin serialises creations of one login across both contexts' tables
// until tx ends: the schema keeps logins unique only within each table.
// SQLite transactions are already exclusive (BEGIN IMMEDIATE).
func lockLogin(ctx context.Context, tx *sqlstore.Tx, login string) error {
	if tx.Driver != sqlstore.Postgres {
		return nil
	}
	sum := sha256.Sum256([]byte("identity.login\x00" + login))
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(binary.BigEndian.Uint64(sum[:8])))
	return err
}

// account is a stored account as Login reads it.
type account struct {
	Principal
	hash     string
	disabled bool
}

// findAccount looks the login up in each served context; found false when
// none holds it.
func (s *Service) findAccount(ctx context.Context, login string) (a account, found bool, err error) {
	for _, c := range s.contexts() {
		t, ok := tablesOf[c]
		if !ok {
			continue
		}
		var disabledAt int64
		err := s.DB.SQL.QueryRowContext(ctx, `SELECT a.id, a.login, a.role, `+t.province+`, a.name, a.password_hash, a.disabled_at
			FROM `+t.accounts+` a WHERE a.login = $1`, login).
			Scan(&a.AccountID, &a.Login, &a.Role, &a.Province, &a.Name, &a.hash, &disabledAt)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return account{}, false, err
		}
		a.Context, a.disabled = c, disabledAt != 0
		return a, true, nil
	}
	return account{}, false, nil
}
