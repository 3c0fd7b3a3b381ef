package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/validate"
)

// qualifying lists the resources a filing of the account can use (Rules
// ACC-2, ACC-3): its own eligible resources, and the resources behind the
// usable authorization codes given (codes, and those the form names). With
// report, a code that cannot be used is a problem at "auth_codes[i]" (the
// form's own codes are reported by its checks).
func (s *Service) qualifying(ctx context.Context, fc *formCheck, codes []string, report bool) ([]QualifyingJSON, error) {
	own, err := s.Store.EligibleResources(ctx, fc.account, fc.now, s.Options.MinTermMonths)
	if err != nil {
		return nil, err
	}
	out := []QualifyingJSON{}
	for _, r := range own {
		end := r.TermEnd.In(beian.CST)
		out = append(out, QualifyingJSON{ResourceID: r.ID, ExternalID: r.ExternalID, PublicIPs: r.PublicIPs, TermEnd: &end})
	}
	type given struct {
		code, field string
		report      bool
	}
	var all []given
	for i, c := range codes {
		all = append(all, given{c, fmt.Sprintf("auth_codes[%d]", i), report})
	}
	if fc.data.Websites != nil {
		for _, w := range fc.data.Websites {
			for _, ref := range w.Resources {
				if strings.TrimSpace(ref.AuthCode) != "" {
					all = append(all, given{ref.AuthCode, "", false})
				}
			}
		}
	}
	seen := map[string]bool{}
	for _, g := range all {
		norm := providerdb.NormalizeAuthCode(g.code)
		if seen[norm] {
			continue
		}
		seen[norm] = true
		c, err := s.Store.CheckAuthCode(ctx, norm, fc.account)
		var e *beian.Error
		switch {
		case beian.IsKind(err, beian.KindNotFound):
			if g.report {
				fc.ps.Add("authcode.unknown", "ACC-3", g.field)
			}
			continue
		case err != nil && errors.As(err, &e) && len(e.Problems) > 0:
			if g.report {
				fc.ps.Extend(g.field, withoutFields(e.Problems))
			}
			continue
		case err != nil:
			return nil, err
		}
		r, err := s.Store.Resource(ctx, c.ResourceID)
		if err != nil {
			return nil, err
		}
		exp := c.ExpiresAt.In(beian.CST)
		out = append(out, QualifyingJSON{AuthCode: c.Code, PublicIPs: r.PublicIPs, ExpiresAt: &exp, UsesLeft: c.UseLimit - c.Uses})
	}
	return out, nil
}

// RequirementsJSON is what the subject's province requires (Rule SUBJ-4),
// as versioned data with its source and effective date, applied to the
// precheck's subject where that decides it.
type RequirementsJSON struct {
	Province                  string `json:"province"`
	Source                    string `json:"source"`
	Effective                 string `json:"effective"`
	CommitmentLetter          bool   `json:"commitment_letter"`
	LandlineRequired          bool   `json:"landline_required"`
	ResidencePermit           bool   `json:"residence_permit"`
	LegalRepMustBeResponsible bool   `json:"legal_rep_must_be_responsible"`
	MinorAge                  int    `json:"minor_age"`
	MinorSupplement           string `json:"minor_supplement,omitempty"`
	MaxDomainsPerOrder        int    `json:"max_domains_per_order"`
	DomainMinRemainingDays    int    `json:"domain_min_remaining_days"`
	AppVerification           bool   `json:"app_verification"`
	BureauReviewBusinessDays  int    `json:"bureau_review_business_days"`
}

// requirementsOf applies the province's requirements to the subject: an
// organisation's landline and legal representative, an individual's
// residence permit when the ID card was issued in another province.
func (s *Service) requirementsOf(fc *formCheck, in PrecheckInput) RequirementsJSON {
	q := fc.reqs
	org := strings.TrimSpace(in.Nature) != "individual"
	out := RequirementsJSON{Province: q.Province, Source: q.Source, Effective: q.Effective, CommitmentLetter: q.CommitmentLetterRequired,
		LandlineRequired: org && q.LandlineRequired, LegalRepMustBeResponsible: org && q.LegalRepMustBeResponsible,
		MinorAge: q.MinorAge, MinorSupplement: q.MinorSupplement, MaxDomainsPerOrder: q.MaxDomainsPerOrder,
		DomainMinRemainingDays: q.DomainMinRemainingDays, AppVerification: q.AppVerification, BureauReviewBusinessDays: q.BureauReviewBusinessDays}
	if out.Province == "" && fc.provinceOK {
		out.Province = fc.data.Subject.Province
	}
	if !org && q.ResidencePermitForNonlocal && strings.TrimSpace(in.CertType) == "resident_id" {
		if info, ps := validate.ResidentID(s.Ref, in.CertNumber, fc.now); len(ps) == 0 {
			if p, ok := s.Ref.ProvinceOfCode(info.Region); ok && p.Code != fc.data.Subject.Province {
				out.ResidencePermit = true
			}
		}
	}
	return out
}

// flagsOf returns the precheck's flags for the reviewer (Rule SUBJ-2).
func (s *Service) flagsOf(in PrecheckInput) beian.Problems {
	if in.Data != nil {
		return s.MinorFlags(*in.Data, s.now())
	}
	if strings.TrimSpace(in.Nature) != "individual" {
		return nil
	}
	return s.minorFlag(in.Province, in.CertType, in.CertNumber, "cert_number", s.now())
}

// MinorFlags flags each responsible person of the form who is under the
// province's minor age on the date on (Rule SUBJ-2): subj.minor at the
// person's certificate number. These are flags for the provider reviewer,
// never problems: the order may be submitted.
func (s *Service) MinorFlags(data beian.OrderData, on time.Time) beian.Problems {
	province := data.Subject.Province
	ps := s.minorFlag(province, data.Subject.Person.CertType, data.Subject.Person.CertNumber, "subject.person.cert_number", on)
	for i, w := range data.Websites {
		ps = append(ps, s.minorFlag(province, w.Person.CertType, w.Person.CertNumber, fmt.Sprintf("websites[%d].person.cert_number", i), on)...)
	}
	return ps
}

func (s *Service) minorFlag(province, certType, number, field string, on time.Time) beian.Problems {
	if strings.TrimSpace(certType) != "resident_id" {
		return nil
	}
	info, ps := validate.ResidentID(s.Ref, number, on)
	if len(ps) > 0 {
		return nil
	}
	age := 18
	if q, err := s.Ref.Requirements(province, on); err == nil && q.MinorAge > 0 {
		age = q.MinorAge
	}
	if !validate.IsMinor(info.Birth, on, age) {
		return nil
	}
	return beian.Problems{beian.NewProblem("subj.minor", "SUBJ-2", field)}
}
