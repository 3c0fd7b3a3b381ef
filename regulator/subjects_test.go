package regulator

import (
	"strings"
	"sync"
	"testing"

	"github.com/beian/beian"
)

// Rules SUBJ-1, CAN-1: a certificate has at most one active subject; a
// blacklisted certificate is never filed again.
func TestCreateSubject(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a := e.org(t, "杭州甲科技有限公司", "91330100MA0000001A")
		if err := e.Blacklist(e.ctx, BlacklistCert, "91330100ma0000009z", "illegal_content"); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name, cert, code, rule, number string
		}{
			// Rule SUBJ-1: the conflict names the public number; the
			// certificate is compared normalised (lower case, full width).
			{"ErrSubjectConflict", "91330100ma0000001a", "registry.subject_conflict", "SUBJ-1", a.Number},
			{"ErrSubjectConflictFullWidth", "９１３３０１００ＭＡ0000001A", "registry.subject_conflict", "SUBJ-1", a.Number},
			{"ErrCertBlacklisted", "91330100MA0000009Z", "registry.cert_blacklisted", "CAN-1", ""}, // Rule CAN-1
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.CreateSubject(e.ctx, SubjectInput{Province: "浙江", Nature: "enterprise", UnitName: "另一家公司", CertType: "uscc", CertNumber: tc.cert})
				code, rule, field, args := problemCode(err)
				if !beian.IsKind(err, beian.KindInvalid) || code != tc.code || rule != tc.rule || field != "cert_number" || args["number"] != tc.number {
					t.Fatalf("err %v: %s %s %s %v", err, code, rule, field, args)
				}
			})
		}
		t.Run("ErrInputInvalid", func(t *testing.T) {
			_, err := e.CreateSubject(e.ctx, SubjectInput{Province: "川", Nature: "company", CertType: "id"})
			var got []string
			var be *beian.Error
			if asError(err, &be) {
				for _, p := range be.Problems {
					got = append(got, p.Code+"@"+p.Field)
				}
			}
			want := "registry.province_unknown@province registry.nature_unknown@nature registry.required@name registry.cert_type_unknown@cert_type registry.required@cert_number"
			if strings.Join(got, " ") != want {
				t.Fatalf("problems %v", got)
			}
		})
		t.Run("OKAuditHoldsNoCertificateNumber", func(t *testing.T) {
			recs, err := e.Audit.Records(e.ctx, e.DB, "subject", a.Number)
			if err != nil || len(recs) != 1 {
				t.Fatalf("records %d, %v", len(recs), err)
			}
			if strings.Contains(recs[0].After, "91330100MA0000001A") || !strings.Contains(recs[0].After, "****001A") {
				t.Fatalf("audit after: %s", recs[0].After)
			}
		})
	})
}

// Rules CAN-3, CAN-4, WEB-4: cancelling a subject cancels all its
// websites, releases their domains and ends their access; numbers are
// never restored; the status history keeps each step.
func TestCancelSubject(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a := e.org(t, "杭州甲科技有限公司", "91330100MA0000001A")
		w1 := e.website(t, a, "甲公司官网", []string{"jia-one.com"}, "本服务商")
		w2 := e.website(t, a, "甲公司商城", []string{"jia-two.com", "jia-shop.cn"}, "本服务商", "其他云")
		c, err := e.CancelSubject(e.ctx, a.Number, "illegal_content")
		if err != nil {
			t.Fatal(err)
		}
		t.Run("OKCancelsEveryWebsite", func(t *testing.T) {
			if c.Subject != a.Number || strings.Join(c.Websites, ",") != w1.Number+","+w2.Number {
				t.Fatalf("cancellation %+v", c)
			}
			f, err := e.Filing(e.ctx, a.Number)
			if err != nil || f.Status != StatusCancelled || len(f.Websites) != 2 {
				t.Fatalf("filing %+v, %v", f, err)
			}
			for _, w := range f.Websites {
				if w.Status != StatusCancelled || len(w.Providers) != 0 {
					t.Fatalf("website %+v still active or served", w)
				}
			}
		})
		t.Run("ErrAlreadyCancelled", func(t *testing.T) { // Rule CAN-3: never restored
			_, err := e.CancelSubject(e.ctx, a.Number, "again")
			if !beian.IsKind(err, beian.KindInvalidState) || codeOf(err) != "registry.already_cancelled" {
				t.Fatalf("err %v", err)
			}
			if _, err := e.AddWebsite(e.ctx, a.ID, WebsiteInput{Name: "新网站", Domains: []string{"jia-new.com"}}); !beian.IsKind(err, beian.KindInvalidState) {
				t.Fatalf("add website to a cancelled subject: %v", err)
			}
		})
		t.Run("OKDomainsReleased", func(t *testing.T) { // Rule WEB-4
			b := e.org(t, "杭州乙科技有限公司", "91330100MA0000002B")
			w := e.website(t, b, "乙公司官网", []string{"jia-shop.cn"})
			if w.Number != "浙ICP备2026000002号-1" {
				t.Fatalf("website %s", w.Number)
			}
		})
		t.Run("OKRefiledCertificateGetsNewNumber", func(t *testing.T) { // Rules SUBJ-1, CAN-3
			again := e.org(t, "杭州甲科技有限公司", "91330100MA0000001A")
			if again.Number == a.Number || again.Number != "浙ICP备2026000003号" {
				t.Fatalf("refiled number %s", again.Number)
			}
		})
		t.Run("OKHistory", func(t *testing.T) {
			var n int
			if err := e.DB.SQL.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM registry_status_history WHERE number = $1 AND status = 'cancelled' AND reason = 'illegal_content'`, w2.Number).Scan(&n); err != nil || n != 1 {
				t.Fatalf("history rows %d, %v", n, err)
			}
		})
		t.Run("ErrUnknownNumber", func(t *testing.T) {
			for _, num := range []string{"浙ICP备2026999999号", "not a number", w1.Number} {
				if _, err := e.CancelSubject(e.ctx, num, "x"); !beian.IsKind(err, beian.KindNotFound) {
					t.Fatalf("%s: %v", num, err)
				}
			}
		})
	})
}

// Rule CAN-4: cancelling one website leaves the others; cancelling the
// last one is a subject cancellation.
func TestCancelWebsite(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a := e.org(t, "杭州甲科技有限公司", "91330100MA0000001A")
		w1 := e.website(t, a, "甲公司官网", []string{"jia-one.com"})
		w2 := e.website(t, a, "甲公司商城", []string{"jia-two.com"})
		t.Run("OKOthersUntouched", func(t *testing.T) {
			c, err := e.CancelWebsite(e.ctx, w1.Number, "subject_request")
			if err != nil || c.Subject != "" || len(c.Websites) != 1 {
				t.Fatalf("%+v, %v", c, err)
			}
			f, _ := e.Filing(e.ctx, a.Number)
			if f.Status != StatusActive || f.Websites[0].Status != StatusCancelled || f.Websites[1].Status != StatusActive {
				t.Fatalf("filing %+v", f)
			}
		})
		t.Run("ErrAlreadyCancelled", func(t *testing.T) {
			if _, err := e.CancelWebsite(e.ctx, w1.Number, "again"); codeOf(err) != "registry.already_cancelled" {
				t.Fatalf("err %v", err)
			}
		})
		t.Run("ErrReasonRequired", func(t *testing.T) {
			if _, err := e.CancelWebsite(e.ctx, w2.Number, " "); !beian.IsKind(err, beian.KindInvalid) {
				t.Fatalf("err %v", err)
			}
		})
		t.Run("OKLastWebsiteCancelsSubject", func(t *testing.T) {
			c, err := e.CancelWebsite(e.ctx, w2.Number, "subject_request")
			if err != nil || c.Subject != a.Number {
				t.Fatalf("%+v, %v", c, err)
			}
			if f, _ := e.Filing(e.ctx, a.Number); f.Status != StatusCancelled {
				t.Fatalf("subject %s", f.Status)
			}
		})
	})
}

// Rules SUBJ-1, WEB-4 under concurrency: of many transactions filing the
// same certificate, or the same domain for different subjects, exactly one
// wins and the others get the conflict naming the winner's number.
func TestConcurrentConflicts(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const n = 8
		subjects := make([]Subject, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				subjects[i], errs[i] = e.CreateSubject(e.ctx, SubjectInput{Province: "浙江", Nature: "enterprise", UnitName: "同一家公司", CertType: "uscc", CertNumber: "91330100MA0000001A"})
			}()
		}
		wg.Wait()
		t.Run("OKOneSubjectPerCertificate", func(t *testing.T) {
			winner := ""
			for i := range n {
				if errs[i] == nil {
					if winner != "" {
						t.Fatalf("two active subjects: %s and %s", winner, subjects[i].Number)
					}
					winner = subjects[i].Number
				}
			}
			for i := range n {
				if code, _, _, args := problemCode(errs[i]); errs[i] != nil && (code != "registry.subject_conflict" || args["number"] != winner) {
					t.Fatalf("loser %d: %v %v", i, errs[i], args)
				}
			}
			if winner != "浙ICP备2026000001号" {
				t.Fatalf("winner %q: a lost race must give its serial back", winner)
			}
		})
		others := make([]Subject, n)
		for i := range n {
			others[i] = e.org(t, "公司"+string(rune('A'+i)), "91330100MA000020"+string(rune('A'+i))+"X")
		}
		sites := make([]Website, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sites[i], errs[i] = e.AddWebsite(e.ctx, others[i].ID, WebsiteInput{Name: "抢注网站", Domains: []string{"contested.com"}})
			}()
		}
		wg.Wait()
		t.Run("OKOneWebsitePerDomain", func(t *testing.T) {
			wins := 0
			for i := range n {
				if errs[i] == nil {
					wins++
				} else if code, _, _, _ := problemCode(errs[i]); code != "registry.domain_conflict" {
					t.Fatalf("loser %d: %v", i, errs[i])
				}
			}
			if wins != 1 {
				t.Fatalf("%d websites hold contested.com", wins)
			}
		})
	})
}
