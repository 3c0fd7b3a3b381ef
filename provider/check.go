package provider

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/refdata"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/validate"
)

// CheckData checks an order's form for the order type against every rule
// checkable before submission and returns every problem at once, with the
// field paths of beian.OrderData ("subject.cert_number",
// "websites[1].domains[0]", "websites[0].resources[0]"):
//   - the subject (Rules SUBJ-3, SUBJ-4): province, city and district codes,
//     nature and certificate type, certificate by its algorithm, names,
//     address, and the responsible person's certificate, mobile, email and —
//     where the province requires it — landline;
//   - the websites (Rules WEB-0 to WEB-4): 1..Options.MaxWebsites, domains,
//     homepage (Options.RequireWWW), name, service content, pre-approvals,
//     remark, person, and the province's domains per order;
//   - the resources of each website (Rules ACC-2, ACC-3): at least one, each
//     an eligible resource of the account or a usable authorization code;
//     server IPs among the resources' public IPs;
//   - one subject per account (Rule ACC-1), the commercial city (Rule
//     TYPE-2), the order type against the registry (Rule TYPE-1), and the
//     registry's precheck through the connector: conflicts (Rule SUBJ-1),
//     the five domain checks (Rule WEB-6) and the blacklist (Rule CAN-1).
//
// Change and cancel types check only what applies to them. A responsible
// person under 18 is not a problem (Rule SUBJ-2): see MinorFlags. The error
// is for failures of the check itself (e.g. the registry unreachable).
func (s *Service) CheckData(ctx context.Context, accountID int64, typ beian.OrderType, commercial bool, data beian.OrderData) (beian.Problems, error) {
	return s.CheckDataHolding(ctx, accountID, typ, commercial, data, nil)
}

// CheckDataHolding is CheckData for an order that already used the
// authorization codes held (providerdb UseAuthCode at an earlier
// submission, Rule ACC-3): each held code is its own resource now, so its
// spent use, its expiry and its limit are not held against the order again.
func (s *Service) CheckDataHolding(ctx context.Context, accountID int64, typ beian.OrderType, commercial bool, data beian.OrderData, held []string) (beian.Problems, error) {
	fc, err := s.newFormCheck(ctx, accountID, typ, commercial, data)
	if err != nil {
		return nil, err
	}
	for _, c := range held {
		fc.held[providerdb.NormalizeAuthCode(c)] = true
	}
	if err := fc.run(ctx, nil); err != nil {
		return nil, err
	}
	return fc.ps, nil
}

// formCheck is one run of CheckData.
type formCheck struct {
	s          *Service
	account    int64
	typ        beian.OrderType
	commercial bool
	data       beian.OrderData
	now        time.Time
	reqs       refdata.Requirements
	provinceOK bool
	// the account's subject (Rule ACC-1) and its websites
	sub      beian.Subject
	hasSub   bool
	replace  bool // the account's subject may still be replaced (Rule ACC-1)
	websites []beian.Website
	// domains sent to the registry, with their form paths
	domains []string
	paths   []string
	// authorization-code uses within this form (Rule ACC-3)
	codeUses map[string]int
	held     map[string]bool // codes the order already used
	ps       beian.Problems
	// reg is the registry's precheck of this form, once run
	reg *beian.PrecheckResult
	// certPath is where subject certificate problems go ("subject.cert_number";
	// the precheck's own fields: "cert_number")
	certPath string
}

func (s *Service) newFormCheck(ctx context.Context, accountID int64, typ beian.OrderType, commercial bool, data beian.OrderData) (*formCheck, error) {
	fc := &formCheck{s: s, account: accountID, typ: typ, commercial: commercial, data: data, now: s.now(), codeUses: map[string]int{}, held: map[string]bool{},
		certPath: "subject.cert_number"}
	var err error
	if fc.sub, fc.hasSub, err = s.accountSubject(ctx, accountID); err != nil {
		return nil, err
	}
	if fc.hasSub {
		if fc.websites, err = s.subjectWebsites(ctx, fc.sub.ID); err != nil {
			return nil, err
		}
		if fc.replace, err = s.replaceableSubject(ctx, fc.sub); err != nil {
			return nil, err
		}
	}
	p, ok := s.Ref.Province(data.Subject.Province)
	fc.provinceOK = ok && p.Code == strings.TrimSpace(data.Subject.Province)
	key := data.Subject.Province
	if !fc.provinceOK {
		key = "110000" // any province: the defaults apply to an unknown one
		if fc.hasSub {
			key = fc.sub.Province
		}
	}
	if fc.reqs, err = s.Ref.Requirements(key, fc.now); err != nil {
		fc.reqs, _ = s.Ref.Requirements("110000", fc.now)
	}
	return fc, nil
}

// addsWebsites reports whether the order type files websites with this
// provider's resources (Rules WEB-0, ACC-2).
func addsWebsites(t beian.OrderType) bool {
	return t == beian.FirstFiling || t == beian.NewWebsite || t == beian.TransferIn
}

// run runs every check of the type; reg, when not nil, is a registry
// precheck of this form already made (the precheck route reuses its own).
func (fc *formCheck) run(ctx context.Context, reg *beian.PrecheckResult) error {
	fc.reg = reg
	switch fc.typ {
	case beian.FirstFiling, beian.NewWebsite, beian.TransferIn:
		if err := fc.filingLocal(ctx); err != nil {
			return err
		}
		if fc.typ == beian.TransferIn {
			fc.checkTransfer()
		}
		return fc.checkRegistry(ctx)
	case beian.ChangeSubject:
		fc.checkSubject()
		fc.checkFiledSubject()
		fc.checkCommercial()
		return fc.checkRegistry(ctx)
	case beian.ChangeWebsite:
		fc.checkFiledSubject()
		if err := fc.checkWebsites(ctx, true); err != nil {
			return err
		}
		return fc.checkRegistry(ctx)
	case beian.ChangeAccess:
		fc.checkFiledSubject()
		return fc.checkWebsites(ctx, false)
	case beian.CancelSubject, beian.CancelWebsite, beian.CancelAccess:
		fc.checkCancel()
		return nil
	}
	fc.ps.Add("check.type_unknown", "TYPE-1", "type", "type", string(fc.typ))
	return nil
}

// filingLocal runs the checks of a filing type (first filing, new website,
// transfer-in) that need no registry: subject, one subject per account,
// commercial city, websites and their resources.
func (fc *formCheck) filingLocal(ctx context.Context) error {
	fc.checkSubject()
	fc.checkOneSubject()
	fc.checkCommercial()
	return fc.checkWebsites(ctx, true)
}

// checkSubject checks the subject part (Rules SUBJ-3, SUBJ-4).
func (fc *formCheck) checkSubject() {
	sf, ref := fc.data.Subject, fc.s.Ref
	var ps beian.Problems
	if !fc.provinceOK {
		ps.Add("check.province_unknown", "SUBJ-4", "province")
	}
	city, district := strings.TrimSpace(sf.City), strings.TrimSpace(sf.District)
	if p, ok := ref.ProvinceOfCode(city); !ok || !isDivisionCode(city) || !fc.provinceOK || p.Code != sf.Province || city == sf.Province {
		ps.Add("check.city_invalid", "SUBJ-4", "city")
	}
	if district != "" && (!isDivisionCode(district) || !isDivisionCode(city) || district[:4] != city[:4] || district == city) {
		ps.Add("check.district_invalid", "SUBJ-4", "district")
	}
	nature, natureOK := ref.Nature(sf.Nature)
	if !natureOK {
		ps.Add("check.nature_unknown", "SUBJ-3", "nature")
	}
	if _, ok := ref.CertificateType(sf.CertType); ok && natureOK && !ref.NatureAccepts(nature.Code, sf.CertType) {
		ps.Add("check.cert_type_not_accepted", "SUBJ-3", "cert_type", "nature", nature.Name, "nature_en", nature.NameEn)
	}
	ps.Extend("cert_number", validate.Certificate(ref, sf.CertType, sf.CertNumber, fc.now))
	if strings.TrimSpace(sf.Name) == "" {
		ps.Add("check.name_required", "SUBJ-3", "name")
	}
	if strings.TrimSpace(sf.Address) == "" {
		ps.Add("check.address_required", "SUBJ-3", "address")
	}
	landline := natureOK && sf.Nature != "individual" && fc.reqs.LandlineRequired // Rule SUBJ-4
	ps.Extend("person", fc.checkPerson(sf.Person, landline))
	fc.ps.Extend("subject", ps)
}

// isDivisionCode reports whether s is a six-digit GB/T 2260 code.
func isDivisionCode(s string) bool {
	if len(s) != 6 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// checkPerson checks a responsible person (Rule SUBJ-3); landline says
// whether the province requires a landline (Rule SUBJ-4).
func (fc *formCheck) checkPerson(p beian.Person, landline bool) beian.Problems {
	var ps beian.Problems
	if strings.TrimSpace(p.Name) == "" {
		ps.Add("check.name_required", "SUBJ-3", "name")
	}
	if !fc.s.Ref.PersonCertificate(p.CertType) {
		ps.Add("check.person_cert_type", "SUBJ-3", "cert_type")
	} else {
		ps.Extend("cert_number", validate.Certificate(fc.s.Ref, p.CertType, p.CertNumber, fc.now))
	}
	_, mp := validate.Mobile(p.Mobile)
	ps.Extend("mobile", mp)
	_, ep := validate.Email(p.Email)
	ps.Extend("email", ep)
	if landline || strings.TrimSpace(p.Landline) != "" {
		_, lp := validate.Landline(p.Landline)
		ps.Extend("landline", lp)
	}
	return ps
}

// checkOneSubject refuses a second subject on the account (Rule ACC-1),
// unless the account's subject never got past an abandoned first filing.
func (fc *formCheck) checkOneSubject() {
	if fc.hasSub && !fc.sameSubject() && !fc.replace {
		fc.ps.Add("acc.one_subject", "ACC-1", fc.certPath)
	}
}

// sameSubject reports whether the form's subject is the account's.
func (fc *formCheck) sameSubject() bool {
	sf := fc.data.Subject
	return fc.hasSub && fc.sub.CertType == strings.TrimSpace(sf.CertType) &&
		validate.NormalizeCertificate(fc.sub.CertNumber) == validate.NormalizeCertificate(sf.CertNumber)
}

// checkCommercial offers a commercial filing only in the configured cities (Rule TYPE-2).
func (fc *formCheck) checkCommercial() {
	place := strings.TrimSpace(fc.data.Subject.District)
	if place == "" {
		place = strings.TrimSpace(fc.data.Subject.City)
	}
	fc.ps = append(fc.ps, validate.Commercial(fc.s.Ref, fc.commercial, place)...)
}

// checkFiledSubject requires the account's filed subject, named by its
// number, for a change (Rule OTH-2).
func (fc *formCheck) checkFiledSubject() {
	n := strings.TrimSpace(fc.data.Subject.Number)
	if !fc.hasSub || fc.sub.Status != beian.SubjectActive || n == "" || n != fc.sub.Number {
		fc.ps.Add("check.subject_not_filed_here", "TYPE-1", "subject.number")
	}
}

// websiteOf returns the account's website with the number.
func (fc *formCheck) websiteOf(number string) (beian.Website, bool) {
	i := slices.IndexFunc(fc.websites, func(w beian.Website) bool { return w.Number != "" && w.Number == strings.TrimSpace(number) })
	if i < 0 {
		return beian.Website{}, false
	}
	return fc.websites[i], true
}
