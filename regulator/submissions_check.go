package regulator

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/validate"
)

// checked is what the checks of a submission found.
type checked struct {
	province      string // GB/T 2260 code
	subjectKey    string // certificate identity (Rule SUBJ-1)
	subjectNumber string // the filed subject, "" for a first filing
	reviewDays    int    // the province's bureau review (Rule REV-2)
}

// addsWebsites reports whether the order type files new websites.
func addsWebsites(t beian.OrderType) bool { return t == beian.FirstFiling || t == beian.NewWebsite }

// isCancel reports whether the order type cancels a filing (Rule CAN-4).
func isCancel(t beian.OrderType) bool { return t == beian.CancelSubject || t == beian.CancelWebsite }

// checkSubmission re-runs the registry's checks on a submission in tx
// (PrecheckTx at tx.Now with the province's requirements) and returns
// every problem as one invalid error:
//   - the type (registry.type_invalid: cancel_access goes through
//     CancelAccess), province, order number, certificate and the
//     responsible persons' mobile numbers and certificates (Rule VER-3
//     needs them);
//   - a first filing of a certificate that has a subject is
//     registry.subject_conflict (Rule SUBJ-1: a transfer-in or a new
//     website instead); any other type needs the filed subject
//     (registry.subject_not_filed, registry.subject_mismatch);
//   - blacklisted certificate or website names (Rule CAN-1), except for
//     cancellations;
//   - domains held by another subject (Rules SUBJ-1, WEB-4); for new
//     websites any held domain, and the five domain checks (Rule WEB-6);
//   - website numbers that are not active websites of the subject
//     (registry.website_not_of_subject).
func (r *Registry) checkSubmission(ctx context.Context, tx *sqlstore.Tx, s beian.Submission) (c checked, err error) {
	var ps beian.Problems
	if !slices.Contains(beian.OrderTypes, s.Type) || s.Type == beian.CancelAccess {
		ps.Add("registry.type_invalid", "TYPE-1", "type", "type", string(s.Type))
	}
	p, ok := r.Ref.Province(s.Province)
	if !ok {
		ps.Add("registry.province_unknown", "SUBJ-4", "province", "province", s.Province)
		return c, ps.Err()
	}
	c.province = p.Code
	reqs, err := r.Ref.Requirements(p.Code, tx.Now)
	if err != nil {
		return c, err
	}
	c.reviewDays = reqs.BureauReviewBusinessDays
	if c.reviewDays <= 0 {
		c.reviewDays = 20
	}
	if strings.TrimSpace(s.OrderNumber) == "" {
		ps.Add("registry.required", "", "order_number", "field", "order_number")
	}
	if strings.TrimSpace(s.Subject.CertType) == "" || validate.NormalizeCertificate(s.Subject.CertNumber) == "" {
		ps.Add("registry.required", "SUBJ-3", "subject.cert_number", "field", "subject.cert_number")
		return c, ps.Err()
	}
	c.subjectKey = certKey(s.Subject.CertType, s.Subject.CertNumber)
	checkPersons(s, &ps)
	r.checkRecords(s, &ps)
	if addsWebsites(s.Type) && len(s.Websites) == 0 {
		ps.Add("registry.websites_required", "WEB-0", "websites")
	}
	if s.Type == beian.CancelWebsite && len(s.Cancel) == 0 {
		ps.Add("registry.cancel_required", "CAN-4", "cancel")
	}
	req := beian.PrecheckRequest{Province: p.Code, Nature: s.Subject.Nature, CertType: s.Subject.CertType, CertNumber: s.Subject.CertNumber}
	var fields []string // the submission's path of each domain of req
	for i, w := range s.Websites {
		req.WebsiteNames = append(req.WebsiteNames, w.Name)
		for j, d := range w.Domains {
			req.Domains = append(req.Domains, d)
			fields = append(fields, "websites["+strconv.Itoa(i)+"].domains["+strconv.Itoa(j)+"]")
		}
	}
	res, err := r.PrecheckTx(ctx, tx, req, PrecheckOptions{MinRemainingDays: reqs.DomainMinRemainingDays})
	if err != nil {
		return c, err
	}
	c.subjectNumber = res.SubjectNumber
	switch {
	case s.Type == beian.FirstFiling && res.SubjectNumber != "":
		ps.Add("registry.subject_conflict", "SUBJ-1", "subject.cert_number", "number", res.SubjectNumber)
	case s.Type != beian.FirstFiling && res.SubjectNumber == "":
		ps.Add("registry.subject_not_filed", "TYPE-1", "subject.cert_number")
	case s.Type != beian.FirstFiling && strings.TrimSpace(s.SubjectNumber) != "":
		if n, ok := r.parseNumber(s.SubjectNumber); !ok || n.SubjectNumber().String() != res.SubjectNumber {
			ps.Add("registry.subject_mismatch", "SUBJ-1", "subject_number", "number", res.SubjectNumber)
		}
	}
	if !isCancel(s.Type) {
		for _, hit := range res.Blacklist {
			if hit.Field == "cert_number" {
				ps.Add("registry.cert_blacklisted", "CAN-1", "subject.cert_number")
			} else {
				i := strings.TrimSuffix(strings.TrimPrefix(hit.Field, "website_names["), "]")
				ps.Add("registry.website_name_blacklisted", "CAN-1", "websites["+i+"].name")
			}
		}
		r.domainProblems(s, res, fields, &ps)
	}
	if err := r.checkNumbers(ctx, tx, s, res.SubjectNumber, &ps); err != nil {
		return c, err
	}
	return c, ps.Err()
}

// checkPersons requires each responsible person's mobile number and
// certificate: the SMS confirmation reaches them (Rule VER-3).
func checkPersons(s beian.Submission, ps *beian.Problems) {
	check := func(field string, p beian.Person) {
		if _, mps := validate.Mobile(p.Mobile); len(mps) > 0 {
			ps.Extend(field+".mobile", mps)
		}
		if validate.NormalizeCertificate(p.CertNumber) == "" {
			ps.Add("registry.required", "VER-3", field+".cert_number", "field", field+".cert_number")
		}
	}
	check("subject.person", s.Subject.Person)
	for i, w := range s.Websites {
		if isCancel(s.Type) && w.Person.Mobile == "" && w.Person.CertNumber == "" {
			continue // a cancellation names the websites, not always their persons
		}
		check("websites["+strconv.Itoa(i)+"].person", w.Person)
	}
}

// checkRecords runs, at submit, the checks the registry's records make at
// approval (CreateSubjectTx, AddWebsiteTx), so that an order the bureau
// approves can be filed: the subject of a first filing, and the name and
// service content of each new website (its domains are the precheck's).
func (r *Registry) checkRecords(s beian.Submission, ps *beian.Problems) {
	if s.Type == beian.FirstFiling {
		_, sps := r.checkSubject(SubjectInput{Province: s.Province, Nature: s.Subject.Nature, UnitName: s.Subject.Name,
			CertType: s.Subject.CertType, CertNumber: s.Subject.CertNumber})
		for _, p := range sps {
			if p.Field != "province" {
				p.Field = "subject." + p.Field
				*ps = append(*ps, p)
			}
		}
	}
	if !addsWebsites(s.Type) {
		return
	}
	for i, w := range s.Websites {
		_, wps := r.checkWebsite(WebsiteInput{Name: w.Name, HomeURL: w.Homepage, ServiceContent: w.ServiceContent, Domains: w.Domains})
		for _, p := range wps {
			if !strings.HasPrefix(p.Field, "domains[") { // the precheck reports each domain
				ps.Extend("websites["+strconv.Itoa(i)+"]", beian.Problems{p})
			}
		}
	}
}

// domainProblems adds the domain conflicts, malformed domains and, for new
// websites, the five domain checks' problems at the submission's paths.
func (r *Registry) domainProblems(s beian.Submission, res beian.PrecheckResult, fields []string, ps *beian.Problems) {
	held := map[string]beian.FiledDomain{}
	for _, f := range res.Filed {
		held[f.Domain] = f
	}
	for k, d := range res.Domains {
		if k >= len(fields) {
			break
		}
		if f, ok := held[d.Domain]; ok && (!f.SameSubject || addsWebsites(s.Type)) {
			ps.Add("registry.domain_conflict", "WEB-4", fields[k], "domain", unicodeDomain(d.Domain), "number", f.WebsiteNumber)
		}
		for _, p := range d.Problems {
			if addsWebsites(s.Type) || p.Code == "registry.domain_invalid" {
				p.Field = fields[k]
				*ps = append(*ps, p)
			}
		}
	}
}

// checkNumbers requires every website number the submission names (to
// cancel, transfer in or change) to be an active website of the subject.
func (r *Registry) checkNumbers(ctx context.Context, tx *sqlstore.Tx, s beian.Submission, subject string, ps *beian.Problems) error {
	if subject == "" {
		return nil
	}
	check := func(field, number string) error {
		n, ok := r.parseNumber(number)
		if ok && n.Site > 0 {
			var status string
			err := tx.QueryRowContext(ctx, `SELECT w.status FROM registry_websites w JOIN registry_subjects s ON s.id = w.subject_id
				WHERE w.number = $1 AND s.number = $2`, n.String(), subject).Scan(&status)
			if err != nil && !noRows(err) {
				return err
			}
			if status == StatusActive {
				return nil
			}
		}
		ps.Add("registry.website_not_of_subject", "", field, "number", number, "subject", subject)
		return nil
	}
	for i, number := range s.Cancel {
		if err := check("cancel["+strconv.Itoa(i)+"]", number); err != nil {
			return err
		}
	}
	for i, w := range s.Websites {
		if strings.TrimSpace(w.Number) == "" {
			continue
		}
		if err := check("websites["+strconv.Itoa(i)+"].number", w.Number); err != nil {
			return err
		}
	}
	return nil
}

// submissionPassword checks the filing password a transfer-in or a subject
// cancellation carries (Rule PWD-2), counting the attempt against the
// subject number's limit like CheckTransferIn. Any mismatch, including an
// unknown subject, is the generic answer (registry.transfer_check_failed,
// registry.password_check_failed for a cancellation).
func (r *Registry) submissionPassword(ctx context.Context, s beian.Submission) error {
	o := r.PipelineOptions()
	code := "registry.transfer_check_failed"
	switch {
	case s.Type == beian.TransferIn:
	case s.Type == beian.CancelSubject && o.RequirePasswordForSubjectCancel:
		code = "registry.password_check_failed"
	default:
		return nil
	}
	number, _ := activeSubjectNumber(ctx, r.DB.SQL, certKey(s.Subject.CertType, s.Subject.CertNumber))
	if number == "" {
		return nil // checkSubmission reports the missing subject
	}
	if err := r.allowPasswordCheck(ctx, number); err != nil {
		return err
	}
	ok, err := r.verifySubjectPassword(ctx, number, s.Password)
	if err != nil {
		return err
	}
	if !ok {
		return invalid(code, "PWD-2", "password")
	}
	return nil
}

// verifySubjectPassword reports whether password matches the active
// subject's stored hash; a subject without a password never matches.
func (r *Registry) verifySubjectPassword(ctx context.Context, subjectNumber, password string) (bool, error) {
	var hash string
	err := r.DB.SQL.QueryRowContext(ctx, `SELECT password_hash FROM registry_subjects WHERE number = $1 AND status = 'active'`, subjectNumber).Scan(&hash)
	if noRows(err) || hash == "" || password == "" {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	ok, err := identity.VerifyPassword(hash, password)
	if err != nil {
		return false, err
	}
	return ok, nil
}
