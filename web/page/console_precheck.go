package page

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/provider"
	"github.com/beian/beian/web"
)

// cPrecheckData is the precheck page's .Data.
type cPrecheckData struct {
	consolePage
	Form                 *Form
	Provinces, Natures   []cOption
	CertTypes            []cOption
	Type, Reason         string   // the order type's label key and why, after a clean precheck
	Ways                 []string // the ways out of the problems found, in the language
	Resources            []string // the resources that qualify (Rule ACC-2)
	Province, Nature     string
	CertType, CertNumber string
	Domains, AuthCode    string
	Creatable            bool
}

// consolePrecheckForm answers GET /console/precheck: 验证备案类型.
func (p *Pages) consolePrecheckForm(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
	return p.Render(w, r, http.StatusOK, "console_precheck", p.cPrecheckPage(r, &Form{}))
}

// cPrecheckPage builds the precheck page on the form's values.
func (p *Pages) cPrecheckPage(r *http.Request, f *Form) cPrecheckData {
	d := cPrecheckData{consolePage: p.consoleBase(r, "/console/precheck"), Form: f,
		Province: f.Value("province"), Nature: f.Value("nature"), CertType: f.Value("cert_type"), CertNumber: f.Value("cert_number"),
		Domains: f.Value("domains"), AuthCode: f.Value("auth_code")}
	d.Provinces, d.Natures = p.cProvinces(r, d.Province), p.cNatures(r, d.Nature)
	d.CertTypes = cNamedOptions(r, p.opts.Provider.Ref.CertificateTypes(), d.CertType)
	return d
}

// cPrecheckValues reads the precheck's inputs.
func cPrecheckValues(r *http.Request) map[string]string {
	v := map[string]string{}
	for _, k := range []string{"province", "nature", "cert_type", "cert_number", "domains", "auth_code"} {
		v[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	return v
}

// cPrecheckInput is the provider's precheck input of the values.
func cPrecheckInput(v map[string]string) provider.PrecheckInput {
	in := provider.PrecheckInput{Province: v["province"], Nature: v["nature"], CertType: v["cert_type"], CertNumber: v["cert_number"]}
	for _, dm := range cList(v["domains"]) {
		in.Domains = append(in.Domains, dm.(string))
	}
	if v["auth_code"] != "" {
		in.AuthCodes = []string{v["auth_code"]}
	}
	return in
}

// cWays are the ways out the precheck page names for a problem's code,
// beside the problem's own message (Rules ACC-1, ACC-2, ACC-3, SUBJ-1).
var cWays = map[string]string{
	"precheck.no_resources":     "page.console_way_no_resources",
	"acc.one_subject":           "page.console_way_one_subject",
	"registry.subject_conflict": "page.console_way_conflict",
	"registry.domain_conflict":  "page.console_way_conflict",
}

// consolePrecheck answers POST /console/precheck with provider Precheck
// (Rule TYPE-1): the order type that applies and why, with the resources
// that qualify; or every problem beside its input with the ways out —
// "no available resources" (暂无可用资源: an authorization code or a
// prepaid server, Rule ACC-2), a conflict (correct a typo or have the old
// record cancelled, Rule SUBJ-1), a second subject (Rule ACC-1).
func (p *Pages) consolePrecheck(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
	ctx, lang := r.Context(), web.Lang(r)
	v := cPrecheckValues(r)
	out, ps, err := p.opts.Provider.Precheck(ctx, pr.AccountID, cPrecheckInput(v))
	if err != nil {
		return err
	}
	f := &Form{Values: v, Err: cInputFields(ps).Err()}
	d := p.cPrecheckPage(r, f)
	m := p.bMsg(r)
	if f.Err != nil {
		for _, pb := range ps {
			if way, ok := cWays[pb.Code]; ok && !slices.Contains(d.Ways, m(way)) {
				d.Ways = append(d.Ways, m(way))
			}
		}
		return p.Render(w, r, http.StatusUnprocessableEntity, "console_precheck", d)
	}
	d.Type, d.Creatable = "console.type."+string(out.Type), true
	d.Reason = i18n.Default().Message(lang, out.Reason.Code, provider.PrecheckReasonArgs(out))
	for _, q := range out.Resources {
		name := q.ExternalID
		if q.AuthCode != "" {
			name = q.AuthCode
		}
		d.Resources = append(d.Resources, name+" · "+strings.Join(q.PublicIPs, ", "))
	}
	if len(out.Resources) > 0 && out.Resources[0].ResourceID > 0 {
		d.Form.Values["resource_id"] = strconv.FormatInt(out.Resources[0].ResourceID, 10)
	}
	d.Form.Values["type"] = string(out.Type)
	return p.Render(w, r, http.StatusOK, "console_precheck", d)
}

// consoleCreate answers POST /console/orders/new: a draft of the
// precheck's type (provider CreateOrder, Rule TYPE-1) with the precheck's
// subject and domains in the form and the qualifying resource or the
// authorization code, then the form's first step. A refusal — a second
// subject (Rule ACC-1), an order already in flight (Rule ACC-4) — shows
// the precheck again with the error and its way out.
func (p *Pages) consoleCreate(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
	v := cPrecheckValues(r)
	typ := beian.OrderType(r.PostFormValue("type"))
	tree := cTree{}
	tree.set("subject.province", v["province"])
	tree.set("subject.nature", v["nature"])
	tree.set("subject.cert_type", v["cert_type"])
	tree.set("subject.cert_number", v["cert_number"])
	site := map[string]any{"domains": cList(v["domains"])}
	if v["auth_code"] != "" {
		site["resources"] = []any{map[string]any{"auth_code": v["auth_code"]}}
	} else if rid, _ := strconv.ParseInt(r.PostFormValue("resource_id"), 10, 64); rid > 0 {
		site["resources"] = []any{map[string]any{"resource_id": rid}}
	}
	tree.set("websites[0]", site)
	if typ != beian.FirstFiling && typ != beian.TransferIn {
		delete(tree, "subject") // the filed subject's (Rule ACC-1)
	}
	data, err := json.Marshal(tree)
	if err != nil {
		return err
	}
	o, err := p.opts.Provider.CreateOrder(r.Context(), pr, provider.OrderInput{Type: typ, Data: data}, "")
	if err != nil {
		if web.Status(err) >= 500 {
			return err
		}
		f := &Form{Values: v, Err: err}
		d := p.cPrecheckPage(r, f)
		var e *beian.Error
		m := p.bMsg(r)
		if errors.As(err, &e) {
			if way, ok := cWays[e.Code]; ok {
				d.Ways = append(d.Ways, m(way))
			}
			for _, pb := range e.Problems {
				if way, ok := cWays[pb.Code]; ok && !slices.Contains(d.Ways, m(way)) {
					d.Ways = append(d.Ways, m(way))
				}
			}
		}
		return p.Render(w, r, web.Status(err), "console_precheck", d)
	}
	next := "/edit?step=subject"
	if o.Type == beian.TransferIn {
		// The registry first confirms the customer holds the filing (the
		// number and its password, Rule OTH-1), then the form.
		next = "/transfer"
	}
	cRedirect(w, r, "/console/orders/"+strconv.FormatInt(o.ID, 10)+next, "created", o.Number)
	return nil
}

// cInputFields moves each problem to the precheck's input that shows it:
// a domain's to the domains input, a code's and "no available resources"
// to the authorization code's (its way out, Rule ACC-3).
func cInputFields(ps beian.Problems) beian.Problems {
	out := make(beian.Problems, 0, len(ps))
	for _, pb := range ps {
		switch {
		case strings.HasPrefix(pb.Field, "domains"):
			pb.Field = "domains"
		case strings.HasPrefix(pb.Field, "auth_codes"), pb.Field == "resources":
			pb.Field = "auth_code"
		}
		out = append(out, pb)
	}
	return out
}
