package regulator

import (
	"sync"
	"testing"
	"time"

	"github.com/beian/beian/sqlstore"
)

// Rule NUM-1: 10-digit serials, the year then a 6-digit sequence per
// province and year; website suffixes 1, 2, … never reused (CAN-3).
func TestNumbers(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a := e.org(t, "杭州甲科技有限公司", "91330100MA0000001A")
		b := e.org(t, "杭州乙科技有限公司", "91330100MA0000002B")
		c := e.subject(t, "北京", "enterprise", "北京丙科技有限公司", "uscc", "91110100MA0000003C")
		for _, tc := range []struct{ name, got, want string }{
			{"OKFirstOfProvince", a.Number, "浙ICP备2026000001号"},
			{"OKSecondOfProvince", b.Number, "浙ICP备2026000002号"},
			{"OKOtherProvinceCountsAlone", c.Number, "京ICP备2026000001号"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if tc.got != tc.want {
					t.Fatalf("number %s, want %s", tc.got, tc.want)
				}
			})
		}
		w1 := e.website(t, a, "甲公司官网", []string{"jia-one.com"})
		w2 := e.website(t, a, "甲公司商城", []string{"jia-two.com"})
		t.Run("OKWebsiteSuffixes", func(t *testing.T) {
			if w1.Number != "浙ICP备2026000001号-1" || w2.Number != "浙ICP备2026000001号-2" || w1.Site != 1 || w2.Site != 2 {
				t.Fatalf("websites %s (%d), %s (%d)", w1.Number, w1.Site, w2.Number, w2.Site)
			}
		})
		t.Run("OKCancelledSuffixNeverReused", func(t *testing.T) { // Rule CAN-3
			if _, err := e.CancelWebsite(e.ctx, w2.Number, "subject_request"); err != nil {
				t.Fatal(err)
			}
			w3 := e.website(t, a, "甲公司博客", []string{"jia-three.com"})
			if w3.Number != "浙ICP备2026000001号-3" {
				t.Fatalf("after cancelling -2 the next website is %s, want -3", w3.Number)
			}
		})
		t.Run("OKCancelledSubjectNumberNeverReused", func(t *testing.T) { // Rule CAN-3
			if _, err := e.CancelSubject(e.ctx, b.Number, "subject_request"); err != nil {
				t.Fatal(err)
			}
			again := e.org(t, "杭州乙科技有限公司", "91330100MA0000002B")
			if again.Number != "浙ICP备2026000003号" {
				t.Fatalf("refiled subject got %s, want a new number 浙ICP备2026000003号", again.Number)
			}
		})
	})
}

// Rules NUM-1, CAL-0: the year of a number is the CST year of the
// transaction, not the UTC one.
func TestNumberYearIsCST(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for _, tc := range []struct {
			name string
			at   time.Time
			want string
		}{
			{"OKLastSecondOf2026CST", time.Date(2026, 12, 31, 15, 59, 59, 0, time.UTC), "浙ICP备2026000001号"},
			{"OKNewYear2027CSTStillDecember31UTC", time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC), "浙ICP备2027000001号"},
			{"OKSequenceRunsPerYear", time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC), "浙ICP备2027000002号"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e.clock.Set(tc.at)
				var got string
				err := e.DB.InTx(e.ctx, func(tx *sqlstore.Tx) error {
					n, err := e.NextSubjectNumber(e.ctx, tx, "330000")
					got = n.String()
					return err
				})
				if err != nil || got != tc.want {
					t.Fatalf("at %s: %s, %v; want %s", tc.at, got, err, tc.want)
				}
			})
		}
		t.Run("ErrProvinceUnknown", func(t *testing.T) {
			err := e.DB.InTx(e.ctx, func(tx *sqlstore.Tx) error {
				_, err := e.NextSubjectNumber(e.ctx, tx, "川")
				return err
			})
			if code, _, _, _ := problemCode(err); code != "registry.province_unknown" {
				t.Fatalf("err %v", err)
			}
		})
	})
}

// Rule NUM-1: concurrent allocation never hands out a number twice, on
// either engine.
func TestNumbersConcurrent(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const n = 50
		got := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = e.DB.InTx(e.ctx, func(tx *sqlstore.Tx) error {
					num, err := e.NextSubjectNumber(e.ctx, tx, "浙")
					got[i] = num.String()
					return err
				})
			}()
		}
		wg.Wait()
		seen := map[string]bool{}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("allocation %d: %v", i, errs[i])
			}
			if seen[got[i]] {
				t.Fatalf("number %s handed out twice", got[i])
			}
			seen[got[i]] = true
		}
		if !seen["浙ICP备2026000001号"] || !seen["浙ICP备2026000050号"] || len(seen) != n {
			t.Fatalf("numbers are not 1..%d: %d distinct", n, len(seen))
		}
	})
}
