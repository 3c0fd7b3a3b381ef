package provider

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/validate"
)

// registryRequest is the connector's precheck request for the form: the
// subject and every valid domain recorded by the website checks.
func (fc *formCheck) registryRequest() beian.PrecheckRequest {
	sf := fc.data.Subject
	req := beian.PrecheckRequest{Province: strings.TrimSpace(sf.Province), Nature: sf.Nature, CertType: strings.TrimSpace(sf.CertType),
		CertNumber: validate.NormalizeCertificate(sf.CertNumber), Domains: append([]string{}, fc.domains...)}
	if fc.typ != beian.ChangeSubject {
		for _, w := range fc.data.Websites {
			req.WebsiteNames = append(req.WebsiteNames, strings.TrimSpace(w.Name))
		}
	}
	return req
}

// checkRegistry asks the registry through the connector (unless the caller
// already did) and turns its answer into problems at the form's paths:
// blacklist hits (Rule CAN-1), conflicts with other subjects naming their
// public number (Rule SUBJ-1), the five domain checks (Rule WEB-6), and the
// order type against the subject's and websites' filings (Rule TYPE-1).
func (fc *formCheck) checkRegistry(ctx context.Context) error {
	if !fc.provinceOK {
		return nil // reported; the registry cannot answer for an unknown province
	}
	if fc.reg == nil {
		res, err := fc.s.Connector.Precheck(ctx, fc.registryRequest())
		if err != nil {
			return err
		}
		fc.reg = &res
	}
	res := fc.reg
	for _, hit := range res.Blacklist {
		if hit.Field == "cert_number" {
			fc.ps.Add("registry.cert_blacklisted", "CAN-1", fc.certPath)
		} else if i, ok := fieldIndex(hit.Field, "website_names"); ok {
			fc.ps.Add("registry.website_name_blacklisted", "CAN-1", fmt.Sprintf("websites[%d].name", i))
		}
	}
	own := fc.subjectNumberOwn()
	if res.SubjectNumber != "" && res.SubjectNumber != own {
		switch fc.typ {
		case beian.FirstFiling, beian.ChangeSubject:
			// Rule SUBJ-1: the certificate already has a subject number;
			// a first filing of it is a transfer-in or a new website.
			fc.ps.Add("registry.subject_conflict", "SUBJ-1", fc.certPath, "number", res.SubjectNumber)
		case beian.NewWebsite:
			fc.ps.Add("check.subject_not_filed_here", "TYPE-1", "subject.number")
		}
	}
	if fc.typ == beian.NewWebsite && (own == "" || res.SubjectNumber == "") && !fc.ps.Has("check.subject_not_filed_here") {
		fc.ps.Add("check.subject_not_filed_here", "TYPE-1", "subject.number")
	}
	filed := map[string]beian.FiledDomain{}
	for _, f := range res.Filed {
		filed[f.Domain] = f
	}
	for _, c := range res.Conflicts {
		if path, d, ok := fc.domainPath(c.Field); ok {
			fc.ps.Add("registry.domain_conflict", "SUBJ-1", path, "domain", unicodeOf(d), "number", c.Number)
		}
	}
	for _, chk := range res.Domains {
		f, isFiled := filed[chk.Domain]
		if isFiled && f.SameSubject {
			if fc.typ == beian.FirstFiling || fc.typ == beian.NewWebsite {
				// the website is filed already: a transfer-in, not a new one (Rule TYPE-1)
				if path, ok := fc.pathOf(chk.Domain); ok && !fc.ownWebsite(f.WebsiteNumber) {
					fc.ps.Add("check.domain_already_filed", "TYPE-1", path, "domain", unicodeOf(chk.Domain), "number", f.WebsiteNumber)
				}
			}
			continue // a filed website's domain passed the checks when it was filed
		}
		for _, p := range chk.Problems {
			if path, _, ok := fc.domainPath(p.Field); ok {
				p.Field = path
				fc.ps = append(fc.ps, p)
			}
		}
	}
	if fc.typ == beian.TransferIn && res.SubjectNumber == "" && !anySame(res.Filed) {
		fc.ps.Add("check.nothing_to_transfer", "TYPE-1", "transfer")
	}
	return nil
}

// subjectNumberOwn is the number of the account's subject when the form
// names it (the subject is filed through this provider).
func (fc *formCheck) subjectNumberOwn() string {
	if fc.sameSubject() && fc.sub.Status == beian.SubjectActive {
		return fc.sub.Number
	}
	if fc.typ == beian.ChangeSubject && fc.hasSub {
		return fc.sub.Number
	}
	return ""
}

// ownWebsite reports whether the website number is one of the account's
// websites here (its domains are then the order's own, e.g. a change).
func (fc *formCheck) ownWebsite(number string) bool {
	_, ok := fc.websiteOf(number)
	return ok
}

func anySame(fs []beian.FiledDomain) bool {
	for _, f := range fs {
		if f.SameSubject {
			return true
		}
	}
	return false
}

// domainPath maps a registry field "domains[i]" to the form's path and the
// domain it names.
func (fc *formCheck) domainPath(field string) (string, string, bool) {
	i, ok := fieldIndex(field, "domains")
	if !ok || i >= len(fc.paths) {
		return "", "", false
	}
	return fc.paths[i], fc.domains[i], true
}

// pathOf is the form's path of an ASCII domain sent to the registry.
func (fc *formCheck) pathOf(ascii string) (string, bool) {
	for i, d := range fc.domains {
		if d == ascii {
			return fc.paths[i], true
		}
	}
	return "", false
}

// fieldIndex reads i from "name[i]".
func fieldIndex(field, name string) (int, bool) {
	rest, ok := strings.CutPrefix(field, name+"[")
	if !ok {
		return 0, false
	}
	rest, ok = strings.CutSuffix(rest, "]")
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(rest)
	return i, err == nil && i >= 0
}

// unicodeOf is the display form of an ASCII domain (Rule WEB-4).
func unicodeOf(ascii string) string {
	if d, ok := validate.Registrable(nil, ascii); ok {
		return d.Unicode
	}
	return ascii
}

// checkTransfer checks what a transfer-in needs (Rules OTH-1, PWD-2): the
// filed number to move here and the subject's filing password.
func (fc *formCheck) checkTransfer() {
	if _, ps := validate.ParseFilingNumber(fc.s.Ref, fc.data.Transfer); strings.TrimSpace(fc.data.Transfer) == "" {
		fc.ps.Add("check.transfer_required", "OTH-1", "transfer")
	} else {
		fc.ps.Extend("transfer", ps)
	}
	if fc.data.Password == "" {
		fc.ps.Add("check.password_required", "PWD-2", "password")
	}
}

// checkCancel checks a cancellation (Rules CAN-4 to CAN-6, PWD-2): the
// filed subject or websites of the account it names, the password of a
// subject cancellation, and the explicit confirmation of a cancel access.
func (fc *formCheck) checkCancel() {
	switch fc.typ {
	case beian.CancelSubject:
		fc.checkFiledSubject()
		if fc.data.Password == "" && !fc.s.Options.SubjectCancelWithoutPassword {
			fc.ps.Add("check.password_required", "PWD-2", "password")
		}
		return
	case beian.CancelWebsite:
		if len(fc.data.Cancel) == 0 {
			fc.ps.Add("check.cancel_required", "CAN-4", "cancel")
		}
	case beian.CancelAccess:
		if len(fc.data.Cancel) != 1 {
			fc.ps.Add("check.cancel_one", "CAN-5", "cancel")
		}
		if !fc.data.Confirm {
			fc.ps.Add("check.confirm_required", "CAN-6", "confirm")
		}
	}
	for i, n := range fc.data.Cancel {
		w, ok := fc.websiteOf(n)
		if !ok || w.Access == beian.GateCancelled || (fc.typ == beian.CancelAccess && w.Access == beian.GateAccessCancelled) {
			fc.ps.Add("check.website_unknown", "CAN-4", fmt.Sprintf("cancel[%d]", i))
		}
	}
}
