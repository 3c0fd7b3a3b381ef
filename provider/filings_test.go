package provider

import (
	"testing"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
)

// The filings view: the account's subject, its websites with numbers and
// access state (Rules GATE-1, GATE-2), and its open orders; another
// customer sees none of it (tenant isolation); staff may not call it.
func TestFilingsView(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c, other := e.customer(t), e.customer(t)
		co := newCompany(t, 3)
		sid := e.bindSubject(t, c.id, co, "京ICP备2026000003号")
		err := e.db.InTx(e.ctx, func(tx *sqlstore.Tx) error {
			if _, err := e.svc.Store.SaveWebsite(e.ctx, tx, beian.Website{SubjectID: sid, Number: "京ICP备2026000003号-1", Name: "星辰",
				Domains: []string{co.domain}, Access: beian.GateServed}, "test"); err != nil {
				return err
			}
			_, err := e.svc.Store.SaveWebsite(e.ctx, tx, beian.Website{SubjectID: sid, Name: "星辰二号",
				Domains: []string{"xn--fiqs8s-example.cn"}, Access: beian.GatePending}, "test")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.SQL.ExecContext(e.ctx, `INSERT INTO orders (number, account_id, subject_id, subject_key, type, stage, data, created_at, updated_at, stage_at)
			VALUES ('F-1', $1, $2, $3, 'new_website', 'initial_review', '{}', 0, 0, 0), ('F-2', $1, $2, $3, 'first_filing', 'approved', '{}', 0, 0, 0)`,
			c.id, sid, beian.SubjectKey("uscc", co.uscc)); err != nil {
			t.Fatal(err)
		}
		var f FilingsJSON
		c.call(t, 200, "GET", "/api/v1/filings", nil, &f)
		if f.Subject == nil || f.Subject.Number != "京ICP备2026000003号" || f.Subject.CertMasked == co.uscc {
			t.Fatalf("subject: %+v", f.Subject)
		}
		if len(f.Websites) != 2 || f.Websites[0].Access != beian.GateServed || f.Websites[1].Access != beian.GatePending ||
			f.Websites[0].Domains[0].ASCII != co.domain {
			t.Errorf("websites: %+v", f.Websites)
		}
		if len(f.Orders) != 1 || f.Orders[0].Number != "F-1" || f.Orders[0].Stage != beian.StageInitialReview {
			t.Errorf("open orders: %+v", f.Orders)
		}
		other.call(t, 200, "GET", "/api/v1/filings", nil, &f)
		if f.Subject != nil || len(f.Websites) != 0 || len(f.Orders) != 0 {
			t.Errorf("another customer sees %+v", f)
		}
		e.account(t, beian.RoleProviderReviewer, "").call(t, 403, "GET", "/api/v1/filings", nil, nil)
	})
}
