package regulator

import (
	"strings"
	"testing"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
)

// setPassword stores a password hash for the subject.
func (e *env) setPassword(tb testing.TB, number, password string) {
	tb.Helper()
	hash, err := identity.HashPassword(identity.DefaultHashParams, password)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := e.DB.SQL.Exec(`UPDATE registry_subjects SET password_hash = $1 WHERE number = $2`, hash, number); err != nil {
		tb.Fatal(err)
	}
}

// Rule PWD-1: 12 characters of the unambiguous alphabet, never twice the same.
func TestNewPassword(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 200 {
		pw, err := NewPassword()
		if err != nil || len(pw) != PasswordLength || strings.ContainsAny(pw, "0Oo1Il") || seen[pw] {
			t.Fatalf("password %q, %v", pw, err)
		}
		for _, c := range pw {
			if !strings.ContainsRune(passwordAlphabet, c) {
				t.Fatalf("password %q has %q", pw, c)
			}
		}
		seen[pw] = true
	}
}

// Rules OTH-1, PWD-2: the transfer-in check answers the subject's numbers
// for the right password, one generic answer for any mismatch, and is
// rate-limited per number (5 per hour).
func TestCheckTransferIn(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		subj := e.org(t, orgName, orgCert)
		w := e.website(t, subj, siteName, []string{siteDomain}, provB)
		bare := e.org(t, "杭州乙科技有限公司", "91330100MA0000002B") // imported: no password
		e.setPassword(t, subj.Number, "Abcdefgh2345")
		t.Run("OK", func(t *testing.T) {
			for _, number := range []string{subj.Number, w.Number} {
				tc, err := e.CheckTransferIn(e.ctx, number, "Abcdefgh2345")
				if err != nil || tc.SubjectNumber != subj.Number || len(tc.Websites) != 1 || tc.Websites[0] != w.Number || tc.Province != "330000" {
					t.Fatalf("%s: %+v, %v", number, tc, err)
				}
			}
		})
		t.Run("ErrGeneric", func(t *testing.T) {
			for _, in := range [][2]string{{subj.Number, "wrong"}, {subj.Number, ""}, {bare.Number, ""}, {bare.Number, "Abcdefgh2345"},
				{"浙ICP备2026999999号", "Abcdefgh2345"}, {"not a number", "x"}} {
				_, err := e.CheckTransferIn(e.ctx, in[0], in[1])
				if code, rule, _, _ := problemCode(err); code != "registry.transfer_check_failed" || rule != "PWD-2" {
					t.Fatalf("%v: %v", in, err)
				}
			}
		})
		t.Run("ErrRateLimited", func(t *testing.T) {
			// 4 attempts on the subject number so far (one via the website number)
			if _, err := e.CheckTransferIn(e.ctx, w.Number, "wrong"); err == nil || beian.IsKind(err, beian.KindRateLimited) {
				t.Fatalf("5th: %v", err)
			}
			_, err := e.CheckTransferIn(e.ctx, subj.Number, "Abcdefgh2345")
			var be *beian.Error
			if !asError(err, &be) || be.Kind != beian.KindRateLimited || be.Code != "registry.transfer_check_rate_limited" || be.Args["retry_after"] == "" {
				t.Fatalf("6th, right password: %v", err)
			}
			e.clock.Advance(time.Hour)
			if _, err := e.CheckTransferIn(e.ctx, subj.Number, "Abcdefgh2345"); err != nil {
				t.Fatalf("next hour: %v", err)
			}
		})
	})
}

// Rule PWD-1: the pool hands out distinct passwords of the alphabet with
// their argon2id hashes, and a request that finds it empty still gets one.
func TestPasswordPool(t *testing.T) {
	passwordPool.start()
	deadline := time.Now().Add(30 * time.Second)
	for len(passwordPool.ch) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the pool made no password in 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	seen := map[string]bool{}
	for range cap(passwordPool.ch) + 2 { // more than the pool holds: some made in the request
		pw, hash, err := newHashedPassword()
		if err != nil {
			t.Fatal(err)
		}
		if len(pw) != PasswordLength || strings.Trim(pw, passwordAlphabet) != "" || seen[pw] {
			t.Fatalf("password %q: not %d characters of the alphabet, or seen before", pw, PasswordLength)
		}
		seen[pw] = true
		if ok, err := identity.VerifyPassword(hash, pw); !ok || err != nil {
			t.Fatalf("the hash does not verify its password: %v", err)
		}
	}
}
