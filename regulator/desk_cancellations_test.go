package regulator

import (
	"maps"
	"testing"
	"time"

	"github.com/beian/beian"
)

// Rules CAN-1, CAN-3, CAN-4 at the bureau's desk: a website number
// cancels that website only, illegal content takes the subject with all
// its websites and, with blacklist, puts the certificate number and the
// website name on the blacklist so that precheck reports them and submit
// refuses them (CAN-1); each provider serving a cancelled website gets a
// cancelled event per number; another province's reviewer gets not_found.
func TestBureauCancel(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		subject, w1 := e.filed(t, "O-1")
		w2 := e.secondSite(t, subject)
		for _, tc := range []struct {
			name string
			rv   Reviewer
			in   CancellationInput
			kind beian.Kind
			code string
		}{
			{"ErrReason", zj, CancellationInput{Number: w2, Reason: "bored"}, beian.KindInvalid, "registry.cancel_reason"},
			{"ErrConflictClaimHasItsOwnRoute", zj, CancellationInput{Number: w2, Reason: ReasonConflictClaim}, beian.KindInvalid, "registry.cancel_reason"},
			{"ErrBlacklistNotIllegal", zj, CancellationInput{Number: w2, Reason: ReasonFalseInformation, Blacklist: true}, beian.KindInvalid, "registry.blacklist_reason"},
			{"ErrOtherProvince", Reviewer{Province: "110000", Actor: "account:8"}, CancellationInput{Number: w2, Reason: ReasonFalseInformation}, beian.KindNotFound, "registry.number_not_found"},
			{"ErrUnknown", zj, CancellationInput{Number: "浙ICP备2026000099号", Reason: ReasonFalseInformation}, beian.KindNotFound, "registry.number_not_found"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.BureauCancel(e.ctx, tc.rv, tc.in)
				if !beian.IsKind(err, tc.kind) || (codeOf(err) != tc.code && !e.hasProblem(err, tc.code)) {
					t.Fatalf("got %v", err)
				}
				if e.statusOf(t, w2) != StatusActive {
					t.Fatal("cancelled all the same")
				}
			})
		}
		t.Run("Website", func(t *testing.T) {
			dc, err := e.BureauCancel(e.ctx, zj, CancellationInput{Number: w2, Reason: ReasonFalseInformation, Note: "电话空号"})
			if err != nil || dc.SubjectNumber != "" || len(dc.Websites) != 1 || dc.Websites[0] != w2 || dc.Actor != zj.Actor || dc.Province != "330000" {
				t.Fatalf("cancellation %+v, %v", dc, err)
			}
			if e.statusOf(t, w2) != StatusCancelled || e.statusOf(t, w1) != StatusActive || e.statusOf(t, subject) != StatusActive {
				t.Fatal("wrong statuses")
			}
			if got := e.cancelledEvents(t, provB); !maps.Equal(got, map[string]string{w2: ReasonFalseInformation}) {
				t.Fatalf("provB's events %v", got)
			}
			if got := e.cancelledEvents(t, provA); len(got) != 0 {
				t.Fatalf("provA, who does not serve it, got %v", got)
			}
		})
		t.Run("ErrAlreadyCancelled", func(t *testing.T) {
			_, err := e.BureauCancel(e.ctx, zj, CancellationInput{Number: w2, Reason: ReasonFalseInformation})
			if !beian.IsKind(err, beian.KindInvalidState) || codeOf(err) != "registry.already_cancelled" {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("IllegalContentBlacklisted", func(t *testing.T) {
			dc, err := e.BureauCancel(e.ctx, zj, CancellationInput{Number: w1, Reason: ReasonIllegalContent, Blacklist: true})
			if err != nil || dc.SubjectNumber != subject || len(dc.Websites) != 1 || dc.Websites[0] != w1 || !dc.Blacklisted {
				t.Fatalf("cancellation %+v, %v", dc, err)
			}
			if e.statusOf(t, subject) != StatusCancelled || e.statusOf(t, w1) != StatusCancelled {
				t.Fatal("subject or website still active")
			}
			if got := e.cancelledEvents(t, provA); !maps.Equal(got, map[string]string{w1: ReasonIllegalContent, subject: ReasonIllegalContent}) {
				t.Fatalf("provA's events %v", got)
			}
			e.assertBlacklisted(t)
		})
		t.Run("List", func(t *testing.T) {
			l, err := e.BureauCancellations(e.ctx, zj, 0)
			if err != nil || len(l) != 2 || l[0].Number != w1 || !l[0].Blacklisted || l[1].Number != w2 || l[1].Note != "电话空号" {
				t.Fatalf("list %+v, %v", l, err)
			}
			if l, _ := e.BureauCancellations(e.ctx, Reviewer{Province: "110000"}, 0); len(l) != 0 {
				t.Fatalf("Beijing sees %+v", l)
			}
		})
	})
}

// assertBlacklisted checks Rule CAN-1 for the fixture's certificate and
// website name: precheck reports both, a new first filing is refused.
func (e *env) assertBlacklisted(t *testing.T) {
	t.Helper()
	res, err := e.Precheck(e.ctx, beian.PrecheckRequest{Province: "330000", Nature: "enterprise", CertType: "uscc", CertNumber: orgCert,
		Domains: []string{"jia-new.com"}, WebsiteNames: []string{siteName}})
	if err != nil || len(res.Blacklist) != 2 || res.Blacklist[0].Field != "cert_number" || res.Blacklist[1].Field != "website_names[0]" {
		t.Fatalf("precheck %+v, %v", res, err)
	}
	e.clock.Advance(time.Second)
	_, err = e.Submit(e.ctx, provA, e.firstFiling(t, "O-9", "jia-new.com"), "k-blacklisted")
	var be *beian.Error
	if !asError(err, &be) || be.Kind != beian.KindInvalid {
		t.Fatalf("submit: %v", err)
	}
	for _, code := range []string{"registry.cert_blacklisted", "registry.website_name_blacklisted"} {
		found := false
		for _, p := range be.Problems {
			found = found || (p.Code == code && p.Rule == "CAN-1")
		}
		if !found {
			t.Errorf("submit: no %s (CAN-1) in %v", code, be.Problems)
		}
	}
}
