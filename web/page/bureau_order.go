package page

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/refdata"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/web"
	"golang.org/x/net/idna"
)

// bSubRow is one field of the submission as the order page shows it: its
// label, its path (what a rejection item names, Rule REV-5) and value.
type bSubRow struct {
	Label, Path, Value string
}

// bSubSection is a titled group of rows: the subject, one website, the
// order's materials.
type bSubSection struct {
	Title  string // label key
	Number string // the website's index + 1, or ""
	Rows   []bSubRow
}

// bOrderData is the order page's .Data.
type bOrderData struct {
	bureauPage
	ID, OrderNumber, Provider, Type, Status, SubjectNumber string
	Commercial                                             bool
	SubmittedAt, DueDate                                   string
	Sections                                               []bSubSection
	Cancel, Changed                                        string
	SMS                                                    beian.ConfirmationState
	SMSDeadline                                            string
	InReview                                               bool // the decision form is offered
	Decision                                               bDecisionForm
}

// bureauOrder answers GET /bureau/orders/{id}: every field of the
// submission, its SMS confirmation, and the decision form. Another
// province's order is 404 (regulator BureauOrder, which writes the
// audit record of the view, Rule PRIV-1).
func (p *Pages) bureauOrder(w http.ResponseWriter, r *http.Request, rv regulator.Reviewer) error {
	d, err := p.bOrderPage(r, rv, bDecisionForm{Form: &Form{}})
	if err != nil {
		return err
	}
	return p.Render(w, r, http.StatusOK, "bureau_order", d)
}

// bOrderPage loads the order and builds the page around the form f.
func (p *Pages) bOrderPage(r *http.Request, rv regulator.Reviewer, f bDecisionForm) (bOrderData, error) {
	s, cs, err := p.opts.Registry.BureauOrder(r.Context(), rv, r.PathValue("id"))
	if err != nil {
		return bOrderData{}, err
	}
	lang := web.Lang(r)
	ref := p.opts.Registry.Ref
	d := bOrderData{bureauPage: p.bureauBase(r, rv, ""), ID: s.ID, OrderNumber: s.OrderNumber, Provider: s.Provider,
		Type: "bureau.type." + string(s.Type), Status: "bureau.status." + s.Status, SubjectNumber: s.SubjectNumber, Commercial: s.Data.Commercial,
		SubmittedAt: bTime(s.SubmittedAt), DueDate: bDate(s.DueDate), SMS: cs, SMSDeadline: bTime(cs.Deadline),
		InReview: s.Status == "bureau_review", Cancel: strings.Join(s.Data.Cancel, "、"), Changed: strings.Join(s.Data.Changed, ", ")}
	d.Sections = bSections(s.Data, ref, lang)
	for _, sec := range d.Sections {
		for _, row := range sec.Rows {
			f.Paths = append(f.Paths, bSubRow{Label: row.Label, Path: row.Path})
		}
	}
	f.fill()
	d.Decision = f
	return d, nil
}

// bSections lays the submission out by subject, websites and
// documents, with coded values named in the language. The filing password
// is never part of it.
func bSections(s beian.Submission, ref *refdata.Data, lang i18n.Lang) []bSubSection {
	named := func(n refdata.Named, ok bool, code string) string {
		switch {
		case !ok:
			return code
		case lang == i18n.EN && n.NameEn != "":
			return n.NameEn
		}
		return n.Name
	}
	cert := func(code string) string { n, ok := ref.CertificateType(code); return named(n, ok, code) }
	person := func(prefix string, pp beian.Person) []bSubRow {
		return []bSubRow{
			{"bureau.f.person_name", prefix + ".person.name", pp.Name},
			{"bureau.f.person_cert_type", prefix + ".person.cert_type", cert(pp.CertType)},
			{"bureau.f.person_cert_number", prefix + ".person.cert_number", pp.CertNumber},
			{"bureau.f.person_mobile", prefix + ".person.mobile", pp.Mobile},
			{"bureau.f.person_email", prefix + ".person.email", pp.Email},
			{"bureau.f.person_landline", prefix + ".person.landline", pp.Landline},
		}
	}
	sub := s.Subject
	nature := sub.Nature
	if n, ok := ref.Nature(sub.Nature); ok {
		nature = named(refdata.Named{Name: n.Name, NameEn: n.NameEn}, true, sub.Nature)
	}
	place := sub.Province
	if pv, ok := ref.Province(sub.Province); ok {
		place = pv.FullName
	}
	subject := bSubSection{Title: "bureau.section.subject", Rows: append([]bSubRow{
		{"bureau.f.nature", "subject.nature", nature},
		{"bureau.f.name", "subject.name", sub.Name},
		{"bureau.f.cert_type", "subject.cert_type", cert(sub.CertType)},
		{"bureau.f.cert_number", "subject.cert_number", sub.CertNumber},
		{"bureau.f.region", "subject.province", strings.TrimSpace(place + " " + sub.City + " " + sub.District)},
		{"bureau.f.address", "subject.address", sub.Address},
	}, person("subject", sub.Person)...)}
	out := []bSubSection{subject}
	for i, ws := range s.Websites {
		pre := "websites[" + strconv.Itoa(i) + "]"
		domains := make([]string, len(ws.Domains))
		for j, dm := range ws.Domains {
			domains[j] = dm
			if u, err := idna.ToUnicode(dm); err == nil && u != dm { // Rule WEB-4: shown in Unicode
				domains[j] = u + " (" + dm + ")"
			}
		}
		content := ws.ServiceContent
		if n, ok := ref.ServiceContent(content); ok {
			content = named(n, true, content)
		}
		pres := make([]string, len(ws.PreApprovals))
		for j, c := range ws.PreApprovals {
			n, ok := ref.PreApproval(c)
			pres[j] = named(n, ok, c)
		}
		sec := bSubSection{Title: "bureau.section.website", Number: strconv.Itoa(i + 1)}
		if ws.Number != "" {
			sec.Rows = append(sec.Rows, bSubRow{"bureau.f.website_number", pre + ".number", ws.Number})
		}
		sec.Rows = append(sec.Rows, []bSubRow{
			{"bureau.f.website_name", pre + ".name", ws.Name},
			{"bureau.f.domains", pre + ".domains", strings.Join(domains, "、")},
			{"bureau.f.homepage", pre + ".homepage", ws.Homepage},
			{"bureau.f.service_content", pre + ".service_content", content},
			{"bureau.f.pre_approvals", pre + ".pre_approvals", strings.Join(pres, "、")},
			{"bureau.f.languages", pre + ".languages", strings.Join(ws.Languages, ", ")},
			{"bureau.f.remark", pre + ".remark", ws.Remark},
		}...)
		sec.Rows = append(sec.Rows, person(pre, ws.Person)...)
		sec.Rows = append(sec.Rows, bSubRow{"bureau.f.server_ips", pre + ".server_ips", strings.Join(ws.ServerIPs, ", ")})
		out = append(out, sec)
	}
	if len(s.Documents) > 0 {
		docs := bSubSection{Title: "bureau.section.documents"}
		for i, doc := range s.Documents {
			sum := doc.SHA256
			if len(sum) > 12 {
				sum = sum[:12] + "…"
			}
			docs.Rows = append(docs.Rows, bSubRow{"bureau.f.document", "documents[" + strconv.Itoa(i) + "]",
				doc.Kind + " · " + strconv.FormatInt(doc.Bytes, 10) + " B · sha256 " + sum})
		}
		out = append(out, docs)
	}
	return out
}
