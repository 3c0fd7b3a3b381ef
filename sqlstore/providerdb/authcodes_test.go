package providerdb_test

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/sqlstore/sqltest"
)

const ninetyDays = 90 * 24 * time.Hour

// issue issues a code for the resource and fails the test on an error.
func issue(t testing.TB, s *providerdb.Store, acct beian.Account, r beian.Resource, limit int) beian.AuthCode {
	t.Helper()
	c, err := s.IssueAuthCode(context.Background(), acct.ID, r.ID, s.DB.Clock.Now().Add(ninetyDays), limit, providerdb.DefaultMinTermMonths, "account:"+acct.Login)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// use uses the code for the account in a transaction of its own.
func use(s *providerdb.Store, code string, by beian.Account) (beian.AuthCode, error) {
	var out beian.AuthCode
	err := s.DB.InTx(context.Background(), func(tx *sqlstore.Tx) error {
		var err error
		out, err = s.UseAuthCode(context.Background(), tx, code, by.ID)
		return err
	})
	return out, err
}

// Rule ACC-3: an account with an eligible resource (ACC-2) issues codes.
func TestIssueAuthCode(t *testing.T) {
	clock := beian.NewManualClock(t0)
	sqltest.Each(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(t0)
		ctx := context.Background()
		s := newStore(t, db)
		a, b := customer(t, s, "alice"), customer(t, s, "bob")
		r := resource(t, s, eligibleResource(a, "ins-1"))
		payg := eligibleResource(a, "ins-payg")
		payg.Billing = beian.Postpaid
		postpaid := resource(t, s, payg)
		t.Run("OK", func(t *testing.T) {
			c := issue(t, s, a, r, 1)
			if !regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{16}$`).MatchString(c.Code) {
				t.Errorf("code %q is not 16 Crockford base32 characters", c.Code)
			}
			if c.AccountID != a.ID || c.ResourceID != r.ID || c.UseLimit != 1 || c.Uses != 0 || !c.ExpiresAt.Equal(t0.Add(ninetyDays)) || !c.CreatedAt.Equal(t0) {
				t.Errorf("issued %+v", c)
			}
			if other := issue(t, s, a, r, 1); other.Code == c.Code {
				t.Error("two issues gave the same code")
			}
			list, err := s.AuthCodesOf(ctx, a.ID)
			if err != nil || len(list) != 2 {
				t.Fatalf("alice's codes: %v %v", list, err)
			}
			if list, _ := s.AuthCodesOf(ctx, b.ID); len(list) != 0 {
				t.Errorf("bob sees alice's codes: %v", list)
			}
			// The audit log never holds the code itself (package audit, PRIV-1).
			recs, err := auditText(ctx, db)
			if err != nil || strings.Contains(recs, c.Code) || !strings.Contains(recs, "authcode.issue") {
				t.Errorf("audit log holds the code or misses the issue: %v", err)
			}
		})
		for _, tc := range []struct {
			name     string
			account  beian.Account
			resource beian.Resource
			expires  time.Time
			limit    int
			kind     beian.Kind
			code     string
			rule     string
		}{
			{"ErrOtherAccountsResource", b, r, t0.Add(ninetyDays), 1, beian.KindNotFound, "", ""},
			{"ErrResourcePostpaid", a, postpaid, t0.Add(ninetyDays), 1, beian.KindInvalid, "resource.postpaid", "ACC-2"},
			{"ErrExpiryPast", a, r, t0, 1, beian.KindInvalid, "authcode.expiry_invalid", "ACC-3"},
			{"ErrUseLimit", a, r, t0.Add(ninetyDays), 0, beian.KindInvalid, "authcode.use_limit_invalid", "ACC-3"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.IssueAuthCode(ctx, tc.account.ID, tc.resource.ID, tc.expires, tc.limit, providerdb.DefaultMinTermMonths, "t")
				if !beian.IsKind(err, tc.kind) || (tc.code != "" && !hasProblem(err, tc.code, tc.rule)) {
					t.Fatalf("got %v, want %s %s", err, tc.kind, tc.code)
				}
			})
		}
	})
}

// auditText returns every audit record's fields as one text, to search.
func auditText(ctx context.Context, db *sqlstore.DB) (string, error) {
	rows, err := db.SQL.QueryContext(ctx, `SELECT action, entity_id, before_json, after_json FROM provider_audit ORDER BY seq`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var sb strings.Builder
	for rows.Next() {
		var a, id, b, c string
		if err := rows.Scan(&a, &id, &b, &c); err != nil {
			return "", err
		}
		fmt.Fprintln(&sb, a, id, b, c)
	}
	return sb.String(), rows.Err()
}

// Rule ACC-3: another account uses a code; each refusal has its own code.
func TestUseAuthCode(t *testing.T) {
	clock := beian.NewManualClock(t0)
	sqltest.Each(t, clock, func(t *testing.T, db *sqlstore.DB) {
		clock.Set(t0)
		ctx := context.Background()
		s := newStore(t, db)
		a, b := customer(t, s, "alice"), customer(t, s, "bob")
		r := resource(t, s, eligibleResource(a, "ins-1"))
		// Each case gets a fresh code and may prepare it.
		for _, tc := range []struct {
			name    string
			prepare func(t *testing.T, c beian.AuthCode) string // returns the code to type
			by      beian.Account
			kind    beian.Kind
			code    string
		}{
			{"OK", func(t *testing.T, c beian.AuthCode) string { return c.Code }, b, "", ""},
			{"OKTypedLoosely", func(t *testing.T, c beian.AuthCode) string {
				return strings.ToLower(c.Code[:4] + "-" + c.Code[4:8] + " " + c.Code[8:])
			}, b, "", ""},
			{"ErrOwnAccount", func(t *testing.T, c beian.AuthCode) string { return c.Code }, a, beian.KindInvalid, "authcode.own_account"},
			{"ErrRevoked", func(t *testing.T, c beian.AuthCode) string {
				if err := s.RevokeAuthCode(ctx, a.ID, c.Code, "account:alice"); err != nil {
					t.Fatal(err)
				}
				return c.Code
			}, b, beian.KindInvalid, "authcode.revoked"},
			{"ErrExpired", func(t *testing.T, c beian.AuthCode) string {
				clock.Set(c.ExpiresAt)
				t.Cleanup(func() { clock.Set(t0) })
				return c.Code
			}, b, beian.KindInvalid, "authcode.expired"},
			{"ErrExhausted", func(t *testing.T, c beian.AuthCode) string {
				if _, err := use(s, c.Code, b); err != nil {
					t.Fatal(err)
				}
				return c.Code
			}, b, beian.KindInvalid, "authcode.exhausted"},
			{"ErrUnknown", func(t *testing.T, c beian.AuthCode) string { return "0000000000000000" }, b, beian.KindNotFound, "authcode.unknown"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c := issue(t, s, a, r, 1)
				typed := tc.prepare(t, c)
				got, err := use(s, typed, tc.by)
				if tc.kind == "" {
					if err != nil || got.Uses != 1 || got.Code != c.Code {
						t.Fatalf("use: %+v %v", got, err)
					}
					return
				}
				var e *beian.Error
				if !beian.IsKind(err, tc.kind) || !asErr(err, &e) || e.Code != tc.code {
					t.Fatalf("got %v, want %s %s", err, tc.kind, tc.code)
				}
				if tc.kind == beian.KindInvalid && !hasProblem(err, tc.code, "ACC-3") {
					t.Fatalf("no problem %s (ACC-3) in %v", tc.code, err)
				}
				if _, err := s.CheckAuthCode(ctx, typed, tc.by.ID); !beian.IsKind(err, tc.kind) {
					t.Fatalf("CheckAuthCode disagrees with UseAuthCode: %v", err)
				}
			})
		}
		t.Run("ErrResourceUnavailable", func(t *testing.T) {
			c := issue(t, s, a, r, 1)
			off := eligibleResource(a, "ins-1")
			off.Active = false // the billing system stops the server
			if _, _, err := s.ImportResources(ctx, []beian.Resource{off}, "billing"); err != nil {
				t.Fatal(err)
			}
			if _, err := use(s, c.Code, b); !hasProblem(err, "authcode.resource_unavailable", "ACC-3") {
				t.Fatalf("code of a stopped server: %v", err)
			}
		})
	})
}

// Rule ACC-3: a code can be revoked by its issuer while unused.
func TestRevokeAuthCode(t *testing.T) {
	sqltest.Each(t, beian.NewManualClock(t0), func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s := newStore(t, db)
		a, b := customer(t, s, "alice"), customer(t, s, "bob")
		r := resource(t, s, eligibleResource(a, "ins-1"))
		t.Run("OK", func(t *testing.T) {
			c := issue(t, s, a, r, 1)
			if err := s.RevokeAuthCode(ctx, a.ID, c.Code, "account:alice"); err != nil {
				t.Fatal(err)
			}
			if err := s.RevokeAuthCode(ctx, a.ID, c.Code, "account:alice"); err != nil {
				t.Fatalf("revoking twice: %v", err)
			}
			list, _ := s.AuthCodesOf(ctx, a.ID)
			if len(list) == 0 || list[0].RevokedAt.IsZero() {
				t.Fatalf("not revoked: %+v", list)
			}
		})
		t.Run("ErrOtherAccountNotFound", func(t *testing.T) {
			c := issue(t, s, a, r, 1)
			if err := s.RevokeAuthCode(ctx, b.ID, c.Code, "account:bob"); !beian.IsKind(err, beian.KindNotFound) {
				t.Fatalf("bob revoking alice's code: %v", err)
			}
		})
		t.Run("ErrUsed", func(t *testing.T) {
			c := issue(t, s, a, r, 2)
			if _, err := use(s, c.Code, b); err != nil {
				t.Fatal(err)
			}
			err := s.RevokeAuthCode(ctx, a.ID, c.Code, "account:alice")
			if !beian.IsKind(err, beian.KindInvalidState) || !hasProblem(err, "authcode.used", "ACC-3") {
				t.Fatalf("revoking a used code: %v", err)
			}
		})
	})
}

// Rule ACC-3: 20 accounts race to use a code with limit 1; the guarded
// increment lets exactly one through, on both engines.
func TestUseAuthCodeConcurrent(t *testing.T) {
	sqltest.Each(t, beian.NewManualClock(t0), func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		s := newStore(t, db)
		a := customer(t, s, "alice")
		c := issue(t, s, a, resource(t, s, eligibleResource(a, "ins-1")), 1)
		const n = 20
		users := make([]beian.Account, n)
		for i := range users {
			users[i] = customer(t, s, fmt.Sprintf("u%d", i))
		}
		if db.Driver == sqlstore.Postgres {
			// Open the connections first, so the transactions overlap instead
			// of queueing behind connection set-up. (SQLite's transactions
			// queue anyway: BEGIN IMMEDIATE.)
			conns := make([]*sql.Conn, min(n, db.SQL.Stats().MaxOpenConnections))
			for i := range conns {
				var err error
				if conns[i], err = db.SQL.Conn(ctx); err != nil {
					t.Fatal(err)
				}
			}
			for _, c := range conns {
				c.Close()
			}
		}
		var wg sync.WaitGroup
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = use(s, c.Code, users[i])
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !hasProblem(err, "authcode.exhausted", "ACC-3"):
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d uses succeeded, want exactly 1", ok)
		}
		list, err := s.AuthCodesOf(ctx, a.ID)
		if err != nil || list[0].Uses != 1 {
			t.Fatalf("uses stored: %+v %v", list, err)
		}
		if _, err := s.Audit.Verify(ctx, db, ""); err != nil {
			t.Fatal(err)
		}
	})
}
