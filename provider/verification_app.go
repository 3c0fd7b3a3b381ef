package provider

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/workflow"
)

// AppCodeVerifier redeems the picture verification codes of the
// verification app (Rule VER-2): a code is bound to one order and one
// responsible person, single-use, and expires after 24 hours. Redeem
// answers nil for a valid code and marks it used; a wrong, used, expired
// or foreign code is a *beian.Error of kind invalid; an unreachable
// service is unavailable. The sandbox verification service implements it.
type AppCodeVerifier interface {
	Redeem(ctx context.Context, orderNumber, code, certNumber string) error
}

// appPerson returns the responsible person whose app verification the
// order may use (Rule VER-2): the province must offer app verification;
// an individual with a resident ID card, or an organisation whose
// websites all have the same responsible person with a resident ID card.
// Otherwise the problems say why.
func (s *Service) appPerson(d beian.OrderData, on time.Time) (beian.Person, beian.Problems) {
	var ps beian.Problems
	reqs, err := s.Ref.Requirements(d.Subject.Province, on)
	if err != nil || !reqs.AppVerification {
		ps.Add("verification.app_not_offered", "VER-2", "method")
		return beian.Person{}, ps
	}
	if d.Subject.Nature == "individual" {
		p := d.Subject.Person
		if d.Subject.CertType != "resident_id" || p.CertType != "resident_id" {
			ps.Add("verification.app_not_eligible", "VER-2", "method")
		}
		return p, ps
	}
	if len(d.Websites) == 0 {
		ps.Add("verification.app_not_eligible", "VER-2", "method")
		return beian.Person{}, ps
	}
	p := d.Websites[0].Person
	for _, w := range d.Websites {
		if w.Person.CertType != "resident_id" || w.Person.CertType != p.CertType || w.Person.CertNumber != p.CertNumber {
			ps.Add("verification.app_not_eligible", "VER-2", "method")
			break
		}
	}
	return p, ps
}

// redeemApp verifies the order by the app's picture code (Rule VER-2) and
// moves it to photo review. The code is redeemed before the move (outside
// any transaction: the verification service may share the database); a
// move that then fails leaves a used code, which the customer replaces by
// verifying in the app again.
func (s *Service) redeemApp(ctx context.Context, o beian.Order, actor, code string) (VerificationAnswer, error) {
	var d beian.OrderData
	_ = json.Unmarshal(o.Data, &d)
	p, ps := s.appPerson(d, s.now())
	if strings.TrimSpace(code) == "" {
		ps.Add("verification.code_required", "VER-2", "code")
	}
	if err := ps.Err(); err != nil {
		return VerificationAnswer{}, err
	}
	if s.AppCodes == nil {
		return VerificationAnswer{}, beian.Errorf(beian.KindUnavailable, "verification.app_unavailable")
	}
	if err := s.AppCodes.Redeem(ctx, o.Number, strings.TrimSpace(code), p.CertNumber); err != nil {
		return VerificationAnswer{}, err
	}
	detail, _ := json.Marshal(map[string]any{"redeemed": true})
	return s.submitVerification(ctx, o, workflow.Customer, actor,
		providerdb.Verification{OrderID: o.ID, Method: providerdb.VerifyApp, Status: providerdb.VerificationSubmitted, Detail: detail})
}
