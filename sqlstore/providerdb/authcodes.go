package providerdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/audit"
	"github.com/beian/beian/sqlstore"
)

// authCodeEncoding writes authorization codes in Crockford's base32 (no I,
// L, O, U), which people read out and type without confusion.
var authCodeEncoding = base32.NewEncoding(orderNumberAlphabet).WithPadding(base32.NoPadding)

// newAuthCode returns a fresh authorization code (Rule ACC-3): 16
// characters carrying 80 bits from crypto/rand, so codes cannot be guessed.
func newAuthCode() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return authCodeEncoding.EncodeToString(b[:])
}

// NormalizeAuthCode turns a code as a person typed it into its stored form:
// spaces and hyphens dropped, upper case, and Crockford's look-alikes read
// as digits (I and L as 1, O as 0).
func NormalizeAuthCode(code string) string {
	return strings.NewReplacer(" ", "", "-", "", "I", "1", "L", "1", "O", "0").Replace(strings.ToUpper(strings.TrimSpace(code)))
}

// authCodeRef names a code in audit records without revealing it (the
// audit log must not hold authorization codes): the first 16 hex digits
// of its SHA-256, which cannot be turned back into the 80-bit code.
func authCodeRef(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:8])
}

const authCodeColumns = `code, resource_id, account_id, expires_at, use_limit, uses, revoked_at, created_at`

func scanAuthCode(row interface{ Scan(...any) error }) (c beian.AuthCode, err error) {
	var expires, revoked, created int64
	err = row.Scan(&c.Code, &c.ResourceID, &c.AccountID, &expires, &c.UseLimit, &c.Uses, &revoked, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return c, beian.Errorf(beian.KindNotFound, "authcode.unknown")
	}
	if err != nil {
		return c, err
	}
	c.ExpiresAt, c.RevokedAt, c.CreatedAt = sqlstore.FromMicro(expires), sqlstore.FromMicro(revoked), sqlstore.FromMicro(created)
	return c, nil
}

func authCodeAudit(c beian.AuthCode) map[string]any {
	return map[string]any{"resource_id": c.ResourceID, "account_id": c.AccountID, "expires_at": sqlstore.Micro(c.ExpiresAt),
		"use_limit": c.UseLimit, "uses": c.Uses, "revoked_at": sqlstore.Micro(c.RevokedAt)}
}

// IssueAuthCode issues an authorization code (备案授权码, Rule ACC-3) for one
// of the account's resources, valid until expires (the caller's setting,
// default 90 days) for useLimit websites (default 1). The resource must
// belong to the account (else not found) and be eligible on the
// transaction's date with the caller's minimum term (Rule ACC-2; the
// resource.* problems of EligibleResources). expires must lie ahead
// (authcode.expiry_invalid) and useLimit be at least 1
// (authcode.use_limit_invalid). The audit record names the code only by a
// hash of it.
func (s *Store) IssueAuthCode(ctx context.Context, accountID, resourceID int64, expires time.Time, useLimit, minTermMonths int, actor string) (c beian.AuthCode, err error) {
	defer beian.Wrap(&err, "issue authorization code")
	err = s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		r, err := scanResource(tx.QueryRowContext(ctx, `SELECT `+resourceColumns+` FROM resources WHERE id = $1 AND account_id = $2`, resourceID, accountID))
		if err != nil {
			return err
		}
		var ps beian.Problems
		if !expires.After(tx.Now) {
			ps.Add("authcode.expiry_invalid", "ACC-3", "expires_at")
		}
		if useLimit < 1 {
			ps.Add("authcode.use_limit_invalid", "ACC-3", "use_limit")
		}
		ps = append(ps, eligibility(r, tx.Now, minTermMonths)...)
		if err := ps.Err(); err != nil {
			return err
		}
		c, err = scanAuthCode(tx.QueryRowContext(ctx, `INSERT INTO auth_codes (code, resource_id, account_id, expires_at, use_limit, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+authCodeColumns,
			newAuthCode(), resourceID, accountID, sqlstore.Micro(expires), useLimit, sqlstore.Micro(tx.Now)))
		if err != nil {
			return sqlstore.MapErr(err)
		}
		err = s.Audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "authcode.issue", Entity: "auth_code",
			EntityID: authCodeRef(c.Code), After: authCodeAudit(c)})
		return err
	})
	return c, err
}

// AuthCodesOf lists the codes the account issued, newest first, in every
// state (the issuer sees and shares them; no one else can list them).
func (s *Store) AuthCodesOf(ctx context.Context, accountID int64) (out []beian.AuthCode, err error) {
	rows, err := s.DB.SQL.QueryContext(ctx, `SELECT `+authCodeColumns+` FROM auth_codes WHERE account_id = $1 ORDER BY created_at DESC, code`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out = []beian.AuthCode{}
	for rows.Next() {
		c, err := scanAuthCode(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// RevokeAuthCode revokes a code the account issued, while it is unused
// (Rule ACC-3). Another account's code is not found; a code used at least
// once is invalid_state (authcode.used); revoking a revoked code again
// changes nothing.
func (s *Store) RevokeAuthCode(ctx context.Context, accountID int64, code string, actor string) (err error) {
	defer beian.Wrap(&err, "revoke authorization code")
	code = NormalizeAuthCode(code)
	return s.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		before, err := scanAuthCode(tx.QueryRowContext(ctx, `SELECT `+authCodeColumns+` FROM auth_codes WHERE code = $1 AND account_id = $2`, code, accountID))
		if err != nil {
			return err
		}
		if !before.RevokedAt.IsZero() {
			return nil
		}
		// Guarded: a use committed meanwhile leaves the row alone.
		after, err := scanAuthCode(tx.QueryRowContext(ctx, `UPDATE auth_codes SET revoked_at = $1
			WHERE code = $2 AND account_id = $3 AND uses = 0 AND revoked_at = 0 RETURNING `+authCodeColumns,
			sqlstore.Micro(tx.Now), code, accountID))
		if beian.IsKind(err, beian.KindNotFound) {
			return authCodeProblem(beian.KindInvalidState, "authcode.used")
		}
		if err != nil {
			return err
		}
		err = s.Audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "authcode.revoke", Entity: "auth_code",
			EntityID: authCodeRef(code), Before: authCodeAudit(before), After: authCodeAudit(after)})
		return err
	})
}

func authCodeProblem(kind beian.Kind, code string) error {
	return &beian.Error{Kind: kind, Code: code, Problems: beian.Problems{beian.NewProblem(code, "ACC-3", "")}}
}

// usable says why c cannot be used now by the account, in the order a
// person would want to hear it; nil: usable. r is the code's resource.
func usable(c beian.AuthCode, r beian.Resource, byAccount int64, now time.Time) error {
	switch {
	case c.AccountID == byAccount:
		return authCodeProblem(beian.KindInvalid, "authcode.own_account")
	case !c.RevokedAt.IsZero():
		return authCodeProblem(beian.KindInvalid, "authcode.revoked")
	case !now.Before(c.ExpiresAt):
		return authCodeProblem(beian.KindInvalid, "authcode.expired")
	case c.Uses >= c.UseLimit:
		return authCodeProblem(beian.KindInvalid, "authcode.exhausted")
	case !r.Active || now.Before(r.TermStart) || !now.Before(r.TermEnd):
		return authCodeProblem(beian.KindInvalid, "authcode.resource_unavailable")
	}
	return nil
}

// querier is a database or a transaction.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// readAuthCode reads a code and its resource.
func readAuthCode(ctx context.Context, tx querier, code string) (beian.AuthCode, beian.Resource, error) {
	c, err := scanAuthCode(tx.QueryRowContext(ctx, `SELECT `+authCodeColumns+` FROM auth_codes WHERE code = $1`, code))
	if err != nil {
		return c, beian.Resource{}, err
	}
	r, err := scanResource(tx.QueryRowContext(ctx, `SELECT `+resourceColumns+` FROM resources WHERE id = $1`, c.ResourceID))
	return c, r, err
}

// CheckAuthCode tells whether the account could use the code now, without
// using it (the precheck, Rule TYPE-1): the code as stored, or the error
// UseAuthCode would give.
func (s *Store) CheckAuthCode(ctx context.Context, code string, byAccount int64) (c beian.AuthCode, err error) {
	defer beian.Wrap(&err, "check authorization code")
	c, r, err := readAuthCode(ctx, s.DB.SQL, NormalizeAuthCode(code))
	if err != nil {
		return beian.AuthCode{}, err
	}
	if err := usable(c, r, byAccount, s.DB.Clock.Now()); err != nil {
		return beian.AuthCode{}, err
	}
	return c, nil
}

// UseAuthCode uses the code once for the account, in the caller's
// transaction (Rule ACC-3): the account files a website on the issuer's
// resource. It refuses, each as invalid with its own problem code and rule
// ACC-3: the issuer's own account (authcode.own_account), a revoked code
// (authcode.revoked), an expired one (authcode.expired), one used up
// (authcode.exhausted), and one whose resource is no longer active and in
// term (authcode.resource_unavailable); an unknown code is not found
// (authcode.unknown). The increment is guarded (uses < use_limit), so
// concurrent uses never exceed the limit: the losers get authcode.exhausted.
func (s *Store) UseAuthCode(ctx context.Context, tx *sqlstore.Tx, code string, byAccount int64) (out beian.AuthCode, err error) {
	defer beian.Wrap(&err, "use authorization code")
	code = NormalizeAuthCode(code)
	c, r, err := readAuthCode(ctx, tx, code)
	if err != nil {
		return out, err
	}
	if err := usable(c, r, byAccount, tx.Now); err != nil {
		return out, err
	}
	out, err = scanAuthCode(tx.QueryRowContext(ctx, `UPDATE auth_codes SET uses = uses + 1
		WHERE code = $1 AND uses < use_limit AND revoked_at = 0 AND expires_at > $2 RETURNING `+authCodeColumns,
		code, sqlstore.Micro(tx.Now)))
	if beian.IsKind(err, beian.KindNotFound) {
		// Another transaction changed the row after our read: say what it is now.
		if c, r, err := readAuthCode(ctx, tx, code); err != nil {
			return out, err
		} else if err := usable(c, r, byAccount, tx.Now); err != nil {
			return out, err
		}
		return out, authCodeProblem(beian.KindInvalid, "authcode.exhausted")
	}
	if err != nil {
		return out, sqlstore.MapErr(err)
	}
	err = s.Audit.Append(ctx, tx, audit.Entry{Actor: "account:" + itoa(byAccount), Action: "authcode.use", Entity: "auth_code",
		EntityID: authCodeRef(code), Before: map[string]any{"uses": c.Uses}, After: map[string]any{"uses": out.Uses, "by_account": byAccount}})
	return out, err
}
