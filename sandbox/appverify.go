package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/refdata"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/validate"
)

// AppCodeTTL is how long a picture verification code stays valid (Rule
// VER-2: 24 hours).
const AppCodeTTL = 24 * time.Hour

// AppCodeLength is the length of a picture verification code.
const AppCodeLength = 8

// MaxAppOrderNumber bounds the order number a code is bound to.
const MaxAppOrderNumber = 64

// appCodeAlphabet leaves out the characters that read alike on a picture:
// 0 O, 1 I.
const appCodeAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// AppPerson is the person the verification app checked (Rule VER-2): the
// order's responsible person, with a resident ID card. All of it is
// personal data: none of it is stored, only a salted hash of the
// certificate that binds the code to the person.
type AppPerson struct {
	Name       string `json:"name"`
	CertType   string `json:"cert_type"`
	CertNumber string `json:"cert_number"`
	Mobile     string `json:"mobile"`
}

// AppVerifier plays the verification app of Rule VER-2 in the sandbox: it
// issues picture verification codes, each bound to one order and one
// person, single use, valid for AppCodeTTL; the provider redeems the code
// the customer enters in the order. It is a third party to both contexts
// (not part of the connector): the provider calls Redeem in-process. Time
// is the database's clock (the sandbox clock).
type AppVerifier struct {
	DB  *sqlstore.DB
	Ref *refdata.Data // nil: refdata.Default()
}

func (v *AppVerifier) ref() *refdata.Data {
	if v.Ref != nil {
		return v.Ref
	}
	return refdata.Default()
}

// Issue checks the person as the app does — a name, a resident ID card
// valid by its check digit (Rules VER-2, SUBJ-3), a mainland mobile number
// — and returns a new code for the order and the person, with its expiry.
// Problems are invalid: sandbox.app_order (order number missing or too
// long), registry.required, sandbox.app_cert_type (not a resident ID),
// the certificate's and the mobile number's own codes.
func (v *AppVerifier) Issue(ctx context.Context, order string, p AppPerson) (code string, expires time.Time, err error) {
	defer beian.Wrap(&err, "issue app verification code")
	order = strings.TrimSpace(order)
	var ps beian.Problems
	if order == "" || len([]rune(order)) > MaxAppOrderNumber {
		ps.Add("sandbox.app_order", "VER-2", "order_number", "max", "64")
	}
	if strings.TrimSpace(p.Name) == "" {
		ps.Add("registry.required", "VER-2", "name", "field", "name")
	}
	if strings.TrimSpace(p.CertType) != "resident_id" {
		ps.Add("sandbox.app_cert_type", "VER-2", "cert_type")
	} else {
		ps.Extend("cert_number", validate.Certificate(v.ref(), "resident_id", p.CertNumber, v.DB.Clock.Now()))
	}
	_, mps := validate.Mobile(p.Mobile)
	ps.Extend("mobile", mps)
	if err := ps.Err(); err != nil {
		return "", time.Time{}, err
	}
	if code, err = newAppCode(); err != nil {
		return "", time.Time{}, err
	}
	err = v.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		expires = sqlstore.FromMicro(sqlstore.Micro(tx.Now.Add(AppCodeTTL)))
		_, err := tx.ExecContext(ctx, `INSERT INTO sandbox_app_codes (code_hash, order_number, person_hash, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5)`, appCodeHash(code), order, personHash(order, p.CertNumber), sqlstore.Micro(tx.Now), sqlstore.Micro(expires))
		return sqlstore.MapErr(err)
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return code, expires, nil
}

// Redeem uses a code for the order and the person with the certificate
// number (Rule VER-2): once, before it expires. Each refusal is invalid
// with its own code at the field "code": sandbox.app_code_wrong (no such
// code for this order), sandbox.app_code_used, sandbox.app_code_expired,
// sandbox.app_code_person (issued to another person). A refused attempt
// changes nothing.
func (v *AppVerifier) Redeem(ctx context.Context, order, code, certNumber string) (err error) {
	defer beian.Wrap(&err, "redeem app verification code")
	order, code = strings.TrimSpace(order), strings.ToUpper(strings.TrimSpace(code))
	refuse := func(c string) error { return beian.Problems{beian.NewProblem(c, "VER-2", "code")}.Err() }
	return v.DB.InTx(ctx, func(tx *sqlstore.Tx) error {
		var person string
		var expires, used int64
		q := `SELECT person_hash, expires_at, used_at FROM sandbox_app_codes WHERE code_hash = $1 AND order_number = $2`
		if tx.Driver == sqlstore.Postgres {
			q += ` FOR UPDATE`
		}
		err := tx.QueryRowContext(ctx, q, appCodeHash(code), order).Scan(&person, &expires, &used)
		switch {
		case code == "" || order == "" || errors.Is(err, sql.ErrNoRows):
			return refuse("sandbox.app_code_wrong")
		case err != nil:
			return err
		case used != 0:
			return refuse("sandbox.app_code_used")
		case !tx.Now.Before(sqlstore.FromMicro(expires)):
			return refuse("sandbox.app_code_expired")
		case person != personHash(order, certNumber):
			return refuse("sandbox.app_code_person")
		}
		res, err := tx.ExecContext(ctx, `UPDATE sandbox_app_codes SET used_at = $1 WHERE code_hash = $2 AND used_at = 0`,
			sqlstore.Micro(tx.Now), appCodeHash(code))
		if err != nil {
			return sqlstore.MapErr(err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			if err == nil {
				err = refuse("sandbox.app_code_used") // another redemption won
			}
			return err
		}
		return nil
	})
}

// newAppCode returns a random code of AppCodeLength characters.
func newAppCode() (string, error) {
	var b strings.Builder
	max := big.NewInt(int64(len(appCodeAlphabet)))
	for range AppCodeLength {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", err
		}
		b.WriteByte(appCodeAlphabet[n.Int64()])
	}
	return b.String(), nil
}

// appCodeHash is how a code is stored: never the code itself.
func appCodeHash(code string) string {
	sum := sha256.Sum256([]byte("sandbox-app-code\x00" + code))
	return hex.EncodeToString(sum[:])
}

// personHash binds a code to a person without storing the certificate:
// salted with the order number.
func personHash(order, certNumber string) string {
	sum := sha256.Sum256([]byte("sandbox-app-person\x00" + order + "\x00" + validate.NormalizeCertificate(certNumber)))
	return hex.EncodeToString(sum[:])
}
