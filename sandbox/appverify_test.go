package sandbox_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sandbox"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/sqltest"
)

// appAnswer is the JSON of POST /api/v1/sandbox/app-verifications.
type appAnswer struct {
	OrderNumber string `json:"order_number"`
	Code        string `json:"code"`
	ExpiresAt   string `json:"expires_at"`
}

// redeemCode returns the code of Redeem's refusal, "" for success.
func redeemCode(tb testing.TB, err error) string {
	tb.Helper()
	var e *beian.Error
	switch {
	case err == nil:
		return ""
	case !errors.As(err, &e) || e.Kind != beian.KindInvalid || len(e.Problems) != 1 || e.Problems[0].Field != "code" || e.Problems[0].Rule != "VER-2":
		tb.Fatalf("refusal %v", err)
	}
	return e.Problems[0].Code
}

// Rule VER-2: the app's picture verification code is bound to one order
// and one person, works once and expires after 24 hours; each refusal has
// its own code. Neither the code nor the certificate is stored.
func TestAppVerification(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, nil, func(t *testing.T, db *sqlstore.DB) {
		e := newRegEnv(t, db, t0)
		ctx := context.Background()
		v := &sandbox.AppVerifier{DB: db}
		person := `"name":"张三","cert_type":"resident_id","cert_number":"` + personID1 + `","mobile":"` + phone1 + `"`
		var a appAnswer
		e.call(t, "POST", "/api/v1/sandbox/app-verifications", `{"order_number":"O-1",`+person+`}`, http.StatusCreated, &a)
		if a.OrderNumber != "O-1" || len(a.Code) != sandbox.AppCodeLength || a.ExpiresAt != "2026-09-22T10:00:00+08:00" {
			t.Fatalf("answer %+v", a)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM sandbox_app_codes WHERE code_hash = $1 OR person_hash LIKE '%' || $2 || '%'`, a.Code, personID1); n != 0 {
			t.Fatal("the code or the certificate is stored in clear")
		}
		t.Run("ErrWrongOrder", func(t *testing.T) {
			if c := redeemCode(t, v.Redeem(ctx, "O-2", a.Code, personID1)); c != "sandbox.app_code_wrong" {
				t.Fatalf("got %s", c)
			}
		})
		t.Run("ErrWrongCode", func(t *testing.T) {
			if c := redeemCode(t, v.Redeem(ctx, "O-1", "ABCDEFGH", personID1)); c != "sandbox.app_code_wrong" {
				t.Fatalf("got %s", c)
			}
		})
		t.Run("ErrOtherPerson", func(t *testing.T) {
			if c := redeemCode(t, v.Redeem(ctx, "O-1", a.Code, personID2)); c != "sandbox.app_code_person" {
				t.Fatalf("got %s", c)
			}
		})
		t.Run("OKOnceLowerCase", func(t *testing.T) {
			if c := redeemCode(t, v.Redeem(ctx, " O-1 ", " "+strings.ToLower(a.Code)+" ", personID1[:17]+"x")); c != "" {
				t.Fatalf("got %s", c)
			}
		})
		t.Run("ErrUsed", func(t *testing.T) {
			if c := redeemCode(t, v.Redeem(ctx, "O-1", a.Code, personID1)); c != "sandbox.app_code_used" {
				t.Fatalf("got %s", c)
			}
		})
		t.Run("ErrExpired", func(t *testing.T) {
			code, expires, err := v.Issue(ctx, "O-3", sandbox.AppPerson{Name: "李四", CertType: "resident_id", CertNumber: personID2, Mobile: phone2})
			if err != nil || !expires.Equal(e.clock.Now().Add(24*time.Hour)) {
				t.Fatalf("issue: %s, %v", expires, err)
			}
			e.call(t, "POST", "/api/v1/sandbox/clock", `{"advance":"23h59m59s"}`, http.StatusOK, nil)
			e.call(t, "POST", "/api/v1/sandbox/clock", `{"advance":"1s"}`, http.StatusOK, nil)
			if c := redeemCode(t, v.Redeem(ctx, "O-3", code, personID2)); c != "sandbox.app_code_expired" {
				t.Fatalf("got %s", c)
			}
		})
		t.Run("OKJustBeforeExpiry", func(t *testing.T) {
			code, _, err := v.Issue(ctx, "O-4", sandbox.AppPerson{Name: "李四", CertType: "resident_id", CertNumber: personID2, Mobile: phone2})
			if err != nil {
				t.Fatal(err)
			}
			e.call(t, "POST", "/api/v1/sandbox/clock", `{"advance":"23h59m59s"}`, http.StatusOK, nil)
			if c := redeemCode(t, v.Redeem(ctx, "O-4", code, personID2)); c != "" {
				t.Fatalf("got %s", c)
			}
		})
		for _, tc := range []struct{ name, body, code, field string }{
			{"ErrNoOrder", `{` + person + `}`, "sandbox.app_order", "order_number"},
			{"ErrPassport", `{"order_number":"O-5","name":"张三","cert_type":"passport","cert_number":"E12345678","mobile":"` + phone1 + `"}`, "sandbox.app_cert_type", "cert_type"},
			{"ErrNoName", `{"order_number":"O-5","name":" ","cert_type":"resident_id","cert_number":"` + personID1 + `","mobile":"` + phone1 + `"}`, "registry.required", "name"},
			{"ErrMobile", `{"order_number":"O-5","name":"张三","cert_type":"resident_id","cert_number":"` + personID1 + `","mobile":"12345"}`, "", "mobile"},
			{"ErrResidentID", `{"order_number":"O-5","name":"张三","cert_type":"resident_id","cert_number":"330106199001011230","mobile":"` + phone1 + `"}`, "", "cert_number"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				w := do(t, e.handler, "POST", "/api/v1/sandbox/app-verifications", tc.body)
				if w.Code != http.StatusUnprocessableEntity {
					t.Fatalf("%d %s", w.Code, w.Body)
				}
				if tc.code != "" {
					problemAt(t, w.Body.Bytes(), tc.code, tc.field)
				} else if !strings.Contains(w.Body.String(), `"field":"`+tc.field+`"`) {
					t.Fatalf("no problem at %s: %s", tc.field, w.Body)
				}
			})
		}
	})
}
