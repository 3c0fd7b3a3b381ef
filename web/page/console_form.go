package page

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/provider"
	"github.com/beian/beian/web"
	"github.com/beian/beian/workflow"
)

// cSteps are the filing form's steps: 主体信息 › 网站信息 › 上传资料 › 提交.
var cSteps = []string{"subject", "website", "documents", "submit"}

// cStep is one step of the form's progress list.
type cStep struct {
	Key, Label, Href string
	N                int
	Current          bool
}

// cInput is one input of the form as console_form renders it.
type cInput struct {
	ID, Name, Label, Kind, Value string
	Options                      []cOption
	Error                        string
	Locked                       bool               // not editable in the order's stage (Rule REV-3)
	Items                        []beian.ReviewItem // the rejection's items about this field
}

// cGroup is a titled group of inputs: the subject, or one website with
// its resource (an own server or an authorization code, Rules ACC-2, ACC-3).
type cGroup struct {
	Title, Number string
	Inputs        []cInput
	Resource      *cInput // websites[i].resources: a select of own servers
	AuthCode      *cInput // websites[i].auth_code: or a code of another account
}

// cFormData is the form page's .Data.
type cFormData struct {
	consolePage
	Head       cHead
	Steps      []cStep
	Step       string
	Form       *Form
	Groups     []cGroup
	Editable   bool // some input may be changed
	CanAddSite bool
	Unplaced   []beian.ReviewItem // items of no input on this step
	Docs       []provider.DocumentJSON
	DocKinds   []string
	CanUpload  bool
	Sections   []bSubSection // the submit step's preview
	Problems   []SummaryItem // the submit step: every problem, linked to its step
	CanSubmit  bool
}

// cHead is what every page of an order shows: its number and stage (Rules
// NUM-2, REV-7).
type cHead struct {
	ID, Number, Type, Stage string
	Version                 int64
}

// cDocKinds are the document kinds the upload offers (label keys console.doc.<kind>).
var cDocKinds = []string{"id_front", "id_back", "license", "commitment_letter", "other"}

// consoleEdit answers GET /console/orders/{id}/edit?step=: the step of the
// form with the order's values; inputs outside what the stage lets the
// customer change are locked, and a rejection's items stand beside their
// fields (Rule REV-3).
func (p *Pages) consoleEdit(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
	o, err := p.opts.Provider.CustomerOrder(r.Context(), pr.AccountID, r.PathValue("id"))
	if err != nil {
		return err
	}
	d, err := p.cFormPage(r, pr, o, cStepOf(r.URL.Query().Get("step")), cDecode(o.Data), nil)
	if err != nil {
		return err
	}
	return p.Render(w, r, http.StatusOK, "console_form", d)
}

// cStepOf returns the step named, the first for an unknown one.
func cStepOf(s string) string {
	if slices.Contains(cSteps, s) {
		return s
	}
	return cSteps[0]
}

// cFormPage builds the form page of the step on the form tree with the
// error of the last save (its problems beside their inputs).
func (p *Pages) cFormPage(r *http.Request, pr identity.Principal, o beian.Order, step string, tree cTree, ferr error) (cFormData, error) {
	ctx, lang, svc := r.Context(), web.Lang(r), p.opts.Provider
	view, err := svc.OrderView(ctx, lang, o)
	if err != nil {
		return cFormData{}, err
	}
	d := cFormData{consolePage: p.consoleBase(r, ""), Step: step, Form: &Form{Err: ferr}, Head: cHeadOf(o), Docs: view.Documents}
	for i, s := range cSteps {
		d.Steps = append(d.Steps, cStep{Key: s, N: i + 1, Label: "console.step." + s, Current: s == step,
			Href: "/console/orders/" + d.Head.ID + "/edit?step=" + s})
	}
	var items []beian.ReviewItem
	if o.Stage == beian.StageNeedsFix || o.Stage == beian.StageBureauRejected || o.Stage == beian.StageSupplementRequested {
		items = view.ReviewItems
	}
	msgs := cProblemMessages(lang, d.Form.problems())
	placed := map[int]bool{}
	input := func(s cSpec) cInput {
		in := cInput{ID: FieldID(s.Path), Name: s.Path, Label: s.Label, Kind: s.Kind, Value: tree.text(s.Path),
			Locked: !workflow.Editable(o.Stage, o.Flagged, s.Path)}
		in.Error = msgs.take(s.Path)
		for i, it := range items {
			if !placed[i] && (it.Field == s.Path || strings.HasPrefix(it.Field, s.Path+"[")) {
				in.Items, placed[i] = append(in.Items, it), true
			}
		}
		switch s.List {
		case "nature":
			in.Options = p.cNatures(r, in.Value)
		case "cert_type":
			in.Options = cNamedOptions(r, svc.Ref.CertificateTypes(), in.Value)
		case "province":
			in.Options = p.cProvinces(r, in.Value)
		case "service_content":
			in.Options = cNamedOptions(r, svc.Ref.ServiceContents(), in.Value)
		}
		d.Editable = d.Editable || !in.Locked
		return in
	}
	switch step {
	case "subject":
		g := cGroup{Title: "bureau.section.subject"}
		for _, s := range cSubjectSpecs {
			g.Inputs = append(g.Inputs, input(s))
		}
		d.Groups = append(d.Groups, g)
	case "website":
		own, err := svc.Store.EligibleResources(ctx, pr.AccountID, svc.DB.Clock.Now(), svc.Options.MinTermMonths)
		if err != nil {
			return d, err
		}
		n := max(tree.count("websites"), 1)
		for i := range n {
			pre := "websites[" + strconv.Itoa(i) + "]"
			g := cGroup{Title: "bureau.section.website", Number: strconv.Itoa(i + 1)}
			for _, s := range cWebsiteSpecs(pre + ".") {
				g.Inputs = append(g.Inputs, input(s))
			}
			res := input(cSpec{Path: pre + ".resources", Label: "console.f.resource", Kind: "select"})
			res.Value = tree.text(pre + ".resources[0].resource_id")
			for _, rs := range own {
				id := strconv.FormatInt(rs.ID, 10)
				res.Options = append(res.Options, cOption{id, rs.ExternalID + " · " + strings.Join(rs.PublicIPs, ", "), id == res.Value})
			}
			code := cInput{ID: FieldID(pre + ".auth_code"), Name: pre + ".auth_code", Label: "console.f.auth_code", Kind: "text",
				Value: tree.text(pre + ".resources[0].auth_code"), Locked: res.Locked}
			g.Resource, g.AuthCode = &res, &code
			d.Groups = append(d.Groups, g)
		}
		d.CanAddSite = d.Editable && n < svc.Options.MaxWebsites && workflow.Editable(o.Stage, o.Flagged, "websites")
	case "documents":
		d.DocKinds, d.CanUpload = cDocKinds, slices.Contains(view.Actions, provider.ActionUpload)
	case "submit":
		data := beian.OrderData{}
		_ = json.Unmarshal(o.Data, &data) // stored by the provider
		d.Sections = bSections(cSubmission(data), svc.Ref, lang)
		d.CanSubmit = slices.Contains(view.Actions, provider.ActionSubmit)
		ps, _, err := svc.OrderProblems(ctx, o)
		if err != nil {
			return d, err
		}
		for _, pb := range ps {
			d.Problems = append(d.Problems, SummaryItem{Href: cFieldHref(d.Head, pb.Field),
				Message: i18n.Default().Message(lang, pb.Code, pb.Args)})
		}
	}
	for i, it := range items {
		if !placed[i] && (step == "submit" || cStepOfField(it.Field) == step) {
			d.Unplaced = append(d.Unplaced, it)
		}
	}
	return d, nil
}

// cHeadOf is the order's head.
func cHeadOf(o beian.Order) cHead {
	return cHead{ID: strconv.FormatInt(o.ID, 10), Number: o.Number, Type: "console.type." + string(o.Type),
		Stage: "console.stage." + string(o.Stage), Version: o.Version}
}

// cSubmission is the form as a submission, for the preview's sections.
func cSubmission(d beian.OrderData) beian.Submission {
	s := beian.Submission{Subject: d.Subject.SubjectData}
	for _, w := range d.Websites {
		s.Websites = append(s.Websites, w.WebsiteData)
	}
	return s
}

// cStepOfField is the step whose inputs hold the field path.
func cStepOfField(field string) string {
	switch {
	case strings.HasPrefix(field, "subject"):
		return "subject"
	case strings.HasPrefix(field, "websites"):
		return "website"
	case strings.HasPrefix(field, "documents"):
		return "documents"
	}
	return "submit"
}

// cFieldHref links a field path of the order to its input on its step
// ("" for none). A transfer-in's filing number and password have a page of
// their own, checked with the registry (console_change_transfer.go).
func cFieldHref(h cHead, field string) string {
	id := h.ID
	if field == "" {
		return ""
	}
	if h.Type == "console.type."+string(beian.TransferIn) && (field == "password" || field == "transfer" || strings.HasPrefix(field, "transfer.")) {
		return "/console/orders/" + id + "/transfer"
	}
	step := cStepOfField(field)
	if step == "submit" {
		return ""
	}
	// Problems inside a list or a resource stand at the list's input.
	anchor := field
	if i := strings.Index(anchor, ".resources"); i >= 0 {
		anchor = anchor[:i] + ".resources"
	} else if j := strings.LastIndexByte(anchor, '['); j > strings.LastIndexByte(anchor, '.') && j > 0 && strings.Contains(anchor, ".") {
		anchor = anchor[:j]
	}
	return "/console/orders/" + id + "/edit?step=" + step + "#" + FieldID(anchor)
}

// cMsgs are problem messages by field, taken by the inputs that show them.
type cMsgs map[string][]string

// cProblemMessages renders the problems in the language by field.
func cProblemMessages(lang i18n.Lang, ps beian.Problems) cMsgs {
	m := cMsgs{}
	for _, pb := range ps {
		m[pb.Field] = append(m[pb.Field], i18n.Default().Message(lang, pb.Code, pb.Args))
	}
	return m
}

// take returns the messages of the path and of the entries under it
// ("websites[0].domains[1]" stands at "websites[0].domains").
func (m cMsgs) take(path string) string {
	var out []string
	for f, msgs := range m {
		if f == path || strings.HasPrefix(f, path+"[") || strings.HasPrefix(f, path+".") {
			out = append(out, msgs...)
		}
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}
