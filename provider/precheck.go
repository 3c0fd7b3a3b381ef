package provider

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/validate"
	"github.com/beian/beian/web"
)

// PrecheckInput is the body of POST /api/v1/precheck (Rule TYPE-1): the
// subject's province, nature and certificate and the domains; optionally
// the city (Rule TYPE-2), authorization codes to file with (Rule ACC-3),
// the whole order form with its type, and the WEB-5 probe. With data, the
// top-level fields left empty are read from it.
type PrecheckInput struct {
	Province   string           `json:"province"`
	Nature     string           `json:"nature"`
	CertType   string           `json:"cert_type"`
	CertNumber string           `json:"cert_number"`
	City       string           `json:"city,omitempty"`
	Domains    []string         `json:"domains"`
	AuthCodes  []string         `json:"auth_codes,omitempty"`
	Type       beian.OrderType  `json:"type,omitempty"`
	Commercial bool             `json:"commercial,omitempty"`
	Data       *beian.OrderData `json:"data,omitempty"`
	Probe      bool             `json:"probe,omitempty"`
}

// PrecheckJSON is the answer of a precheck that found no problem: the
// order type that applies and why, the subject's filing, the resources
// that qualify (Rule ACC-2), the province's requirements (Rule SUBJ-4),
// flags for the reviewer (Rule SUBJ-2) and the probe's findings (Rule
// WEB-5). With a problem the answer is the error shape of API.md instead,
// with every problem at once.
type PrecheckJSON struct {
	Type             beian.OrderType  `json:"type"`
	Reason           MessageJSON      `json:"reason"`
	SubjectNumber    string           `json:"subject_number,omitempty"`
	SubjectProviders []string         `json:"subject_providers,omitempty"`
	Resources        []QualifyingJSON `json:"resources"`
	Requirements     RequirementsJSON `json:"requirements"`
	Flags            []MessageJSON    `json:"flags"`
	Probe            []ProbeJSON      `json:"probe,omitempty"`
}

// QualifyingJSON is a resource the filing can use: the account's own (by
// ID) or another account's through an authorization code (Rule ACC-3).
type QualifyingJSON struct {
	ResourceID int64      `json:"resource_id,omitempty"`
	ExternalID string     `json:"external_id,omitempty"`
	AuthCode   string     `json:"auth_code,omitempty"`
	PublicIPs  []string   `json:"public_ips"`
	TermEnd    *time.Time `json:"term_end,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	UsesLeft   int        `json:"uses_left,omitempty"`
}

// PrecheckRoutes registers POST /api/v1/precheck (customers).
func (s *Service) PrecheckRoutes(mux *http.ServeMux) {
	mux.Handle("POST /api/v1/precheck", identity.RequireRole(beian.RoleCustomer)(web.Handle(s.postPrecheck)))
}

func (s *Service) postPrecheck(w http.ResponseWriter, r *http.Request) error {
	p, err := caller(r)
	if err != nil {
		return err
	}
	var in PrecheckInput
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	out, ps, err := s.Precheck(r.Context(), p.AccountID, in)
	if err != nil {
		return err
	}
	if err := ps.Err(); err != nil {
		return err
	}
	lang := web.Lang(r)
	out.Reason.Message = i18n.Default().Message(lang, out.Reason.Code, reasonArgs(out))
	out.Flags = renderProblems(lang, s.flagsOf(in), false)
	return web.WriteJSON(w, http.StatusOK, out)
}

// Precheck answers which order type applies to the account's filing and
// finds every problem checkable before an order exists (Rules TYPE-1,
// TYPE-2, ACC-1 to ACC-3, SUBJ-1, SUBJ-3, SUBJ-4, WEB-0 to WEB-6, CAN-1).
// Problems are returned, not as an error; the error is for failures of
// the check itself.
func (s *Service) Precheck(ctx context.Context, accountID int64, in PrecheckInput) (out PrecheckJSON, ps beian.Problems, err error) {
	defer beian.Wrap(&err, "precheck")
	fillFromData(&in)
	typ := in.Type
	if !isFilingType(typ) {
		typ = beian.FirstFiling
	}
	var fc *formCheck
	if in.Data != nil {
		if fc, err = s.newFormCheck(ctx, accountID, typ, in.Commercial, *in.Data); err != nil {
			return out, nil, err
		}
		if in.Type != "" && !isFilingType(in.Type) {
			// a change or a cancellation: the form's own checks say it all
			err = fc.run(ctx, nil)
			out.Type, out.Reason.Code = in.Type, "precheck.reason_requested"
			return out, fc.ps, err
		}
		if err := fc.filingLocal(ctx); err != nil {
			return out, nil, err
		}
	} else if fc, err = s.topLevelCheck(ctx, accountID, typ, in); err != nil {
		return out, nil, err
	}
	if fc.provinceOK {
		res, err := s.Connector.Precheck(ctx, fc.registryRequest())
		if err != nil {
			return out, nil, err
		}
		fc.reg = &res
		out.SubjectNumber, out.SubjectProviders = res.SubjectNumber, res.SubjectProviders
		out.Type, out.Reason.Code = fc.decideType(res)
		if in.Type != "" && in.Type != out.Type {
			fc.ps.Add("precheck.type_mismatch", "TYPE-1", "type", "type", string(out.Type))
		}
		fc.typ = out.Type
		if in.Data != nil && fc.typ == beian.TransferIn {
			fc.checkTransfer()
		}
		if err := fc.checkRegistry(ctx); err != nil {
			return out, nil, err
		}
	}
	if out.Resources, err = s.qualifying(ctx, fc, in.AuthCodes, in.Data == nil); err != nil {
		return out, nil, err
	}
	if len(out.Resources) == 0 {
		fc.ps.Add("precheck.no_resources", "ACC-2", "resources") // 暂无可用资源: an authorization code, or a prepaid server
	}
	out.Requirements = s.requirementsOf(fc, in)
	if in.Probe {
		var pps beian.Problems
		out.Probe, pps = s.probeSites(ctx, fc.domains, fc.paths)
		fc.ps = append(fc.ps, pps...)
	}
	return out, fc.ps, nil
}

// isFilingType reports whether the precheck decides between the type and
// the other filing types (Rule TYPE-1).
func isFilingType(t beian.OrderType) bool { return t == "" || addsWebsites(t) }

// fillFromData fills the top-level fields left empty from the order form.
func fillFromData(in *PrecheckInput) {
	if in.Data == nil {
		return
	}
	sf := in.Data.Subject
	for _, f := range []struct {
		to   *string
		from string
	}{
		{&in.Province, sf.Province}, {&in.Nature, sf.Nature}, {&in.CertType, sf.CertType}, {&in.CertNumber, sf.CertNumber},
		{&in.City, sf.City},
	} {
		if strings.TrimSpace(*f.to) == "" {
			*f.to = f.from
		}
	}
	if strings.TrimSpace(sf.District) != "" {
		in.City = sf.District
	}
}

// topLevelCheck checks the precheck's own fields (no order form): province,
// nature, certificate, domains within the province's limit, the commercial
// city and one subject per account; problems at the input's fields.
func (s *Service) topLevelCheck(ctx context.Context, accountID int64, typ beian.OrderType, in PrecheckInput) (*formCheck, error) {
	province := strings.TrimSpace(in.Province)
	if p, ok := s.Ref.Province(province); ok {
		province = p.Code
	}
	data := beian.OrderData{Subject: beian.SubjectForm{SubjectData: beian.SubjectData{Province: province, Nature: strings.TrimSpace(in.Nature),
		CertType: strings.TrimSpace(in.CertType), CertNumber: in.CertNumber, City: strings.TrimSpace(in.City)}}}
	fc, err := s.newFormCheck(ctx, accountID, typ, in.Commercial, data)
	if err != nil {
		return nil, err
	}
	fc.certPath = "cert_number"
	if !fc.provinceOK {
		fc.ps.Add("check.province_unknown", "SUBJ-4", "province")
	}
	nature, natureOK := s.Ref.Nature(data.Subject.Nature)
	if !natureOK {
		fc.ps.Add("check.nature_unknown", "SUBJ-3", "nature")
	}
	if _, ok := s.Ref.CertificateType(data.Subject.CertType); ok && natureOK && !s.Ref.NatureAccepts(nature.Code, data.Subject.CertType) {
		fc.ps.Add("check.cert_type_not_accepted", "SUBJ-3", "cert_type", "nature", nature.Name, "nature_en", nature.NameEn)
	}
	fc.ps.Extend("cert_number", validate.Certificate(s.Ref, data.Subject.CertType, data.Subject.CertNumber, fc.now))
	_, dps := validate.Domains(s.Ref, in.Domains, fc.reqs.MaxDomainsPerOrder) // Rules WEB-4, SUBJ-4
	fc.ps.Extend("domains", dps)
	for i, raw := range in.Domains {
		if d, bad := validate.NormalizeDomain(s.Ref, raw); len(bad) == 0 && !slices.Contains(fc.domains, d.ASCII) {
			fc.domains, fc.paths = append(fc.domains, d.ASCII), append(fc.paths, fmt.Sprintf("domains[%d]", i))
		}
	}
	fc.ps = append(fc.ps, validate.Commercial(s.Ref, in.Commercial, data.Subject.City)...)
	fc.checkOneSubject()
	return fc, nil
}

// decideType says which filing applies (Rule TYPE-1) and why: a new
// website when the subject is filed here; a transfer-in when the subject,
// or one of the websites, is filed through another provider (Rule OTH-1);
// a first filing otherwise.
func (fc *formCheck) decideType(res beian.PrecheckResult) (beian.OrderType, string) {
	elsewhere := false
	for _, f := range res.Filed {
		if f.SameSubject && !fc.ownWebsite(f.WebsiteNumber) {
			elsewhere = true
		}
	}
	switch {
	case fc.sameSubject() && fc.sub.Status == beian.SubjectActive && elsewhere:
		return beian.TransferIn, "precheck.reason_website_elsewhere"
	case fc.sameSubject() && fc.sub.Status == beian.SubjectActive:
		return beian.NewWebsite, "precheck.reason_new_website"
	case res.SubjectNumber != "":
		return beian.TransferIn, "precheck.reason_transfer_in"
	}
	return beian.FirstFiling, "precheck.reason_first_filing"
}

// reasonArgs are the values the reason's message names.
func reasonArgs(out PrecheckJSON) map[string]string {
	providers := strings.Join(out.SubjectProviders, ", ")
	if providers == "" {
		providers = "-"
	}
	return map[string]string{"number": out.SubjectNumber, "providers": providers, "type": string(out.Type)}
}
