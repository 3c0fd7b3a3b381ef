package regulator

import (
	"maps"
	"testing"

	"github.com/beian/beian"
)

// Rules CAN-1, WEB-6: a conflict claim needs the domain's registration
// record to show a new holder or an expired registration; then the bureau
// cancels the website — and the subject with it when it was the only
// active website — and tells the providers; the domain is free again.
// A record that still names the old holder unexpired, a domain without a
// record, and another province's filing are refused with their codes.
func TestConflictClaim(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		subject, w1 := e.filed(t, "O-1")
		w2 := e.secondSite(t, subject) // jia-two.com, no registration record yet
		for _, tc := range []struct {
			name   string
			rv     Reviewer
			domain string
			kind   beian.Kind
			code   string
		}{
			{"ErrInvalidDomain", zj, "www.jia-one.com", beian.KindInvalid, "registry.domain_invalid"},
			{"ErrNotFiled", zj, "nobody-here.com", beian.KindNotFound, "registry.claim_not_filed"},
			{"ErrOtherProvince", Reviewer{Province: "110000", Actor: "account:8"}, siteDomain, beian.KindNotFound, "registry.claim_not_filed"},
			{"ErrNoRecord", zj, "jia-two.com", beian.KindInvalid, "registry.claim_no_record"},
			{"ErrOldHolder", zj, siteDomain, beian.KindInvalid, "registry.claim_old_holder"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.ConflictClaim(e.ctx, tc.rv, ClaimInput{Domain: tc.domain})
				if !beian.IsKind(err, tc.kind) || (codeOf(err) != tc.code && !e.hasProblem(err, tc.code)) {
					t.Fatalf("got %v", err)
				}
				if e.statusOf(t, w1) != StatusActive || e.statusOf(t, w2) != StatusActive {
					t.Fatal("cancelled all the same")
				}
			})
		}
		t.Run("NewHolderCancelsWebsite", func(t *testing.T) {
			e.put(t, goodRecord("jia-two.com", "uscc", "91440300MA5000001X")) // a new holder
			dc, err := e.ConflictClaim(e.ctx, zj, ClaimInput{Domain: "jia-two.com", Claimant: "深圳丙公司"})
			if err != nil || dc.Reason != ReasonConflictClaim || dc.SubjectNumber != "" || len(dc.Websites) != 1 || dc.Websites[0] != w2 {
				t.Fatalf("claim %+v, %v", dc, err)
			}
			if e.statusOf(t, w2) != StatusCancelled || e.statusOf(t, subject) != StatusActive {
				t.Fatal("wrong statuses: the subject keeps its other website")
			}
			if got := e.cancelledEvents(t, provB); !maps.Equal(got, map[string]string{w2: ReasonConflictClaim}) {
				t.Fatalf("provB's events %v", got)
			}
		})
		t.Run("ExpiredCancelsOnlyWebsiteAndSubject", func(t *testing.T) {
			rec := goodRecord(siteDomain, "uscc", orgCert) // the old holder, but expired yesterday
			rec.ExpiresOn = t0.AddDate(0, 0, -1)
			e.put(t, rec)
			dc, err := e.ConflictClaim(e.ctx, zj, ClaimInput{Domain: siteDomain})
			if err != nil || dc.SubjectNumber != subject || len(dc.Websites) != 1 || dc.Websites[0] != w1 {
				t.Fatalf("claim %+v, %v", dc, err)
			}
			if e.statusOf(t, w1) != StatusCancelled || e.statusOf(t, subject) != StatusCancelled {
				t.Fatal("the subject of the only website is still active")
			}
			if got := e.cancelledEvents(t, provA); !maps.Equal(got, map[string]string{w1: ReasonConflictClaim, subject: ReasonConflictClaim}) {
				t.Fatalf("provA's events %v", got)
			}
			if holder, _, err := domainHolder(e.ctx, e.DB.SQL, siteDomain); err != nil || holder != "" {
				t.Fatalf("domain still held by %q, %v", holder, err)
			}
		})
	})
}
