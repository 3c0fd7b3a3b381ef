package page

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/provider"
	"github.com/beian/beian/web"
)

// cOrderData is the order page's .Data.
type cOrderData struct {
	consolePage
	Head                                        cHead
	Commercial                                  bool
	Done                                        []cDone
	Ahead                                       []provider.TimelineStep
	Estimated                                   bool
	Path                                        []string // label keys of the stages the order's path passes
	Sections                                    []bSubSection
	Items                                       []cItem
	Problems                                    []SummaryItem
	Warnings                                    []string
	CanEdit, CanSubmit, CanWithdraw, CanAbandon bool
	Err                                         string            // a refused move's message
	Verify                                      *cvOrderSection   // verification or photo review (Rules VER-1, VER-2)
	SMS                                         *cSMSData         // the registry's SMS confirmation (Rule VER-3)
	Password                                    *cPasswordSection // after approval: where the filing password went (Rules PWD-1, PWD-3)
	Sharpness, MinSharpness                     string            // an uploaded photo's verdict after the redirect (Rule VER-1)
}

// cDone is a stage the order passed or is in.
type cDone struct {
	Stage, Entered, Left string
}

// cItem is a rejection's item with the link to its field.
type cItem struct {
	beian.ReviewItem
	Href string
}

// consoleOrder answers GET /console/orders/{id}: the order's number and
// stage (Rule NUM-2, REV-7), its timeline with the dates predicted by the
// business-day calendar (Rules REV-2, CAL-1), the preview of the whole
// form with every problem a submit would report, a rejection's items with
// links to their fields (Rule REV-3), and the moves the stage allows:
// edit, submit or resubmit, withdraw, abandon. In verification it leads to
// the verification choices (Rules VER-1, VER-2); in SMS confirmation it
// shows who has confirmed and the time left (Rule VER-3); after approval
// it says where the filing password went and links its retrieval (Rules
// PWD-1, PWD-3).
func (p *Pages) consoleOrder(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
	o, err := p.opts.Provider.CustomerOrder(r.Context(), pr.AccountID, r.PathValue("id"))
	if err != nil {
		return err
	}
	d, err := p.cOrderPage(r, o)
	if err != nil {
		return err
	}
	return p.Render(w, r, http.StatusOK, "console_order", d)
}

// cOrderPage builds the order page.
func (p *Pages) cOrderPage(r *http.Request, o beian.Order) (cOrderData, error) {
	ctx, lang, svc := r.Context(), web.Lang(r), p.opts.Provider
	view, err := svc.OrderView(ctx, lang, o)
	if err != nil {
		return cOrderData{}, err
	}
	tl, err := svc.Timeline(ctx, o)
	if err != nil {
		return cOrderData{}, err
	}
	ps, path, err := svc.OrderProblems(ctx, o)
	if err != nil {
		return cOrderData{}, err
	}
	d := cOrderData{consolePage: p.consoleBase(r, ""), Head: cHeadOf(o), Commercial: o.Commercial, Ahead: tl.Ahead, Estimated: tl.Estimated,
		CanEdit: slices.Contains(view.Actions, provider.ActionEdit), CanSubmit: slices.Contains(view.Actions, provider.ActionSubmit),
		CanWithdraw: slices.Contains(view.Actions, provider.ActionWithdraw), CanAbandon: slices.Contains(view.Actions, provider.ActionAbandon)}
	for _, dn := range tl.Done {
		c := cDone{Stage: "console.stage." + string(dn.Stage), Entered: bTime(dn.EnteredAt)}
		if dn.LeftAt != nil {
			c.Left = bTime(*dn.LeftAt)
		}
		d.Done = append(d.Done, c)
	}
	for _, st := range path {
		d.Path = append(d.Path, "console.stage."+string(st))
	}
	var data beian.OrderData
	_ = json.Unmarshal(o.Data, &data) // stored by the provider
	d.Sections = bSections(cSubmission(data), svc.Ref, lang)
	if o.Stage == beian.StageNeedsFix || o.Stage == beian.StageBureauRejected || o.Stage == beian.StageSupplementRequested {
		for _, it := range view.ReviewItems {
			d.Items = append(d.Items, cItem{ReviewItem: it, Href: cFieldHref(d.Head, it.Field)})
		}
	}
	for _, pb := range ps {
		d.Problems = append(d.Problems, SummaryItem{Href: cFieldHref(d.Head, pb.Field), Message: i18n.Default().Message(lang, pb.Code, pb.Args)})
	}
	for _, wn := range view.Warnings {
		d.Warnings = append(d.Warnings, wn.Message)
	}
	if d.Verify, err = p.cVerifySection(r, o); err != nil {
		return cOrderData{}, err
	}
	d.SMS = p.cSMSSection(r, o)
	if o.Stage == beian.StageApproved && !isCancel(o.Type) {
		d.Password = &cPasswordSection{Link: p.opts.Registry != nil}
	}
	if s := r.URL.Query().Get("sharpness"); d.Notice == "console.notice.verify_photo" {
		if _, perr := strconv.ParseFloat(s, 64); perr == nil {
			d.Sharpness = s
			d.MinSharpness = strconv.FormatFloat(svc.PhotoLimits().MinSharpness, 'f', 1, 64)
		}
	}
	return d, nil
}

// isCancel reports whether t is a cancellation, after which no filing
// password is of use.
func isCancel(t beian.OrderType) bool {
	return t == beian.CancelSubject || t == beian.CancelWebsite || t == beian.CancelAccess
}

// cRefused shows the order page again with a refused move's message
// (e.g. invalid_state when the stage no longer allows it, Rule REV-7).
func (p *Pages) cRefused(w http.ResponseWriter, r *http.Request, o beian.Order, err error) error {
	status := web.Status(err)
	if status >= 500 {
		return err
	}
	d, derr := p.cOrderPage(r, o)
	if derr != nil {
		return derr
	}
	d.Err = bErrText(web.Lang(r), err)
	return p.Render(w, r, status, "console_order", d)
}

// cPosted returns the order of the request and the version its form showed.
func (p *Pages) cPosted(r *http.Request, pr identity.Principal) (beian.Order, int64, error) {
	o, err := p.opts.Provider.CustomerOrder(r.Context(), pr.AccountID, r.PathValue("id"))
	if err != nil {
		return o, 0, err
	}
	v, perr := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if perr != nil {
		v = o.Version
	}
	return o, v, nil
}

// consoleSubmit answers POST /console/orders/{id}/submit: submit or
// resubmit (provider SubmitOrder, Rule REV-8). Problems show the submit
// step with every problem linked to its field; success goes to the order.
func (p *Pages) consoleSubmit(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
	o, v, err := p.cPosted(r, pr)
	if err != nil {
		return err
	}
	done, err := p.opts.Provider.SubmitOrder(r.Context(), pr, o, v, "")
	if err == nil {
		cRedirect(w, r, "/console/orders/"+strconv.FormatInt(done.ID, 10), "submitted", done.Number)
		return nil
	}
	if !beian.IsKind(err, beian.KindInvalid) {
		return p.cRefused(w, r, o, err)
	}
	d, derr := p.cFormPage(r, pr, o, "submit", cDecode(o.Data), err)
	if derr != nil {
		return derr
	}
	return p.Render(w, r, web.Status(err), "console_form", d)
}

// consoleWithdraw answers POST /console/orders/{id}/withdraw: an order in
// initial review goes back to draft (Rule REV-7).
func (p *Pages) consoleWithdraw(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
	o, v, err := p.cPosted(r, pr)
	if err != nil {
		return err
	}
	done, err := p.opts.Provider.WithdrawOrder(r.Context(), pr, o, v)
	if err != nil {
		return p.cRefused(w, r, o, err)
	}
	cRedirect(w, r, "/console/orders/"+strconv.FormatInt(done.ID, 10), "withdrawn", done.Number)
	return nil
}

// cConfirmData is the confirmation page's .Data.
type cConfirmData struct {
	consolePage
	Head   cHead
	Title  string   // label key
	Lines  []string // what will happen, in the language
	Action string
}

// consoleAbandonConfirm answers GET /console/orders/{id}/abandon: what
// abandoning does (Rule REV-7: final; Rule PRIV-1: the documents are
// deleted after the retention), with the button that does it.
func (p *Pages) consoleAbandonConfirm(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
	o, err := p.opts.Provider.CustomerOrder(r.Context(), pr.AccountID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return p.Render(w, r, http.StatusOK, "console_confirm", p.cAbandonData(r, o))
}

// cAbandonData builds the abandon confirmation.
func (p *Pages) cAbandonData(r *http.Request, o beian.Order) cConfirmData {
	m := p.bMsg(r)
	days := strconv.Itoa(p.opts.Provider.Options.RetentionDays)
	return cConfirmData{consolePage: p.consoleBase(r, ""), Head: cHeadOf(o), Title: "console.abandon.title",
		Action: "/console/orders/" + strconv.FormatInt(o.ID, 10) + "/abandon",
		Lines:  []string{m("page.console_abandon_final", "order", o.Number), m("page.console_abandon_documents", "days", days)}}
}

// consoleAbandon answers POST /console/orders/{id}/abandon: without the
// confirmation's "confirm" it shows the confirmation; with it the order is
// abandoned for good (Rule REV-7), refused at the registry and for a
// submitted cancellation (Rule CAN-6).
func (p *Pages) consoleAbandon(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
	o, v, err := p.cPosted(r, pr)
	if err != nil {
		return err
	}
	if r.PostFormValue("confirm") != "yes" {
		return p.Render(w, r, http.StatusOK, "console_confirm", p.cAbandonData(r, o))
	}
	done, err := p.opts.Provider.AbandonOrder(r.Context(), pr, o, v)
	if err != nil {
		return p.cRefused(w, r, o, err)
	}
	cRedirect(w, r, "/console", "abandoned", done.Number)
	return nil
}
