package regulator

import (
	"testing"

	"github.com/beian/beian"
)

// Rules CAN-1, CAN-4, OTH-1: an approved cancellation reaches every
// provider serving the website, not only the one that submitted it.
func TestApprovedCancellationReachesEveryProvider(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, e *env) {
		e.SetSandboxBureau(true)
		e.setPolicy(t, BureauPolicy{Mode: PolicyAuto, Seed: 3})
		subj := e.org(t, "杭州戊科技有限公司", "91330100MA0000004D")
		w := e.website(t, subj, "戊公司官网", []string{"wu-one.com"}, provA, provB)
		c := beian.Submission{OrderNumber: "O-cancel", Type: beian.CancelWebsite, Province: "330000", Cancel: []string{w.Number},
			Subject: beian.SubjectData{Nature: "enterprise", Name: subj.UnitName, CertType: "uscc", CertNumber: subj.CertNumber,
				Person: beian.Person{CertNumber: subjCert, Mobile: "13700137000"}}}
		rc := e.toBureau(t, provA, c, "cancel")
		tm, ok := e.decisionTimer(t, rc.SubmissionID)
		if !ok {
			t.Fatal("no decision timer")
		}
		e.clock.Set(tm.Due)
		e.firePolicy(t)
		if st := e.status(t, rc.SubmissionID); st != SubmissionApproved {
			t.Fatalf("status %s", st)
		}
		for _, p := range []string{provA, provB} {
			got := e.cancelledEvents(t, p)
			if got[w.Number] != ReasonSubjectRequest || got[subj.Number] != ReasonSubjectRequest {
				t.Fatalf("cancelled events of %s: %v, want the website %s and the subject %s (its only website)", p, got, w.Number, subj.Number)
			}
		}
	})
}
