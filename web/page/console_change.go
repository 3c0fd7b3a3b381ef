package page

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/web"
)

// The console's changes (变更主体 / 变更网站 / 变更接入), cancellations
// (注销主体 / 注销网站 / 取消接入) and the transfer-in's filed number and
// password (接入备案). A website is named in the path by its website
// number (the number the home lists, e.g. 京ICP备26000001号-1), so
// another account's website, like a missing one, answers 404.
func init() {
	pageNames = append(pageNames, "console_change", "console_change_transfer")
	consoleNotices = append(consoleNotices, "cancel_submitted", "cancel_created", "transfer_set")
}

// consoleChangeRoutes registers the console's change, transfer-in and
// cancellation pages:
//
//	GET,POST /console/subject/change              变更主体: what a change does, then a change_subject order (Rule OTH-2)
//	GET,POST /console/websites/{id}/change        变更网站: a change_website order on the filed data (Rule OTH-2)
//	GET,POST /console/websites/{id}/change-access 变更接入: a change_access order, new server or IP (Rule OTH-3)
//	GET,POST /console/subject/cancel              注销主体, behind a confirmation with the filing password (Rules CAN-4, PWD-2, CAN-6)
//	GET,POST /console/websites/{id}/cancel        注销网站, behind a confirmation; the only website cancels the subject (Rule CAN-4)
//	GET,POST /console/websites/{id}/cancel-access 取消接入, behind a confirmation (Rules CAN-5, CAN-6)
//	GET,POST /console/orders/{id}/transfer        接入备案: the filed number and the filing password (Rules OTH-1, PWD-2)
//	POST     /console/orders/{id}/check           the form's values checked as the save checks them, JSON (the field check on blur)
//
// {id} of a website is its website number.
func (p *Pages) consoleChangeRoutes(mux *http.ServeMux) {
	for _, a := range cActions {
		if a.Cancel {
			mux.Handle("GET "+a.Route, p.console(p.consoleCancelConfirm(a)))
			mux.Handle("POST "+a.Route, p.consoleForm(p.consoleCancel(a)))
			continue
		}
		mux.Handle("GET "+a.Route, p.console(p.consoleChangeStart(a)))
		mux.Handle("POST "+a.Route, p.consoleForm(p.consoleChange(a)))
	}
	mux.Handle("GET /console/orders/{id}/transfer", p.console(p.consoleTransferForm))
	mux.Handle("POST /console/orders/{id}/transfer", p.consoleForm(p.consoleTransfer))
	mux.Handle("POST /console/orders/{id}/check", p.consoleForm(p.consoleCheck))
}

// cAction is one change or cancellation the console offers.
type cAction struct {
	Type    beian.OrderType
	Route   string // the route pattern
	Label   string // label key of its link and title
	Website bool   // on one website ({id}), else on the subject
	Cancel  bool   // irreversible once submitted: behind a confirmation (Rule CAN-6)
}

// cActions are the console's changes and cancellations.
var cActions = []cAction{
	{beian.ChangeWebsite, "/console/websites/{id}/change", "console.change.website", true, false},
	{beian.ChangeAccess, "/console/websites/{id}/change-access", "console.change.access", true, false},
	{beian.CancelWebsite, "/console/websites/{id}/cancel", "console.change.cancel_website", true, true},
	{beian.CancelAccess, "/console/websites/{id}/cancel-access", "console.change.cancel_access", true, true},
	{beian.ChangeSubject, "/console/subject/change", "console.change.subject", false, false},
	{beian.CancelSubject, "/console/subject/cancel", "console.change.cancel_subject", false, true},
}

// href is the action's path for the website number (ignored for the subject).
func (a cAction) href(number string) string {
	if !a.Website {
		return a.Route
	}
	return "/console/websites/" + pathEscape(number) + a.Route[len("/console/websites/{id}"):]
}

// cLink is a link: its path and text.
type cLink struct{ Href, Text string }

// cFact is one fact of what an action concerns: a label key and a value.
type cFact struct{ Label, Value string }

// cChangeData is the .Data of the change and cancellation pages.
type cChangeData struct {
	consolePage
	Title    string   // label key
	Facts    []cFact  // what the action concerns
	Lines    []string // what will happen, in the rules' words
	Action   string   // the POST path
	Button   string   // label key of the button
	Confirm  bool     // an irreversible step: the form carries confirm=yes (Rule CAN-6)
	Password bool     // the filing password is asked (Rule PWD-2)
	Allowed  bool     // the action applies to the target; otherwise Err says why
	Form     *Form
	Err      string  // a refusal's message
	Ways     []cLink // its ways out: the open orders, the password retrieval
}

// cTarget is what an action concerns: the account's filed subject and,
// for a website's action, the website.
type cTarget struct {
	Subject beian.Subject
	Website beian.Website // zero for the subject's actions
	Sites   []beian.Website
}

// cTargetOf resolves the action's target for the customer: the subject
// filed here (Rule ACC-1) and the website of the path's number; anything
// else — no filed subject, another account's website — is not_found.
func (p *Pages) cTargetOf(r *http.Request, pr identity.Principal, a cAction) (cTarget, error) {
	ctx, svc := r.Context(), p.opts.Provider
	var t cTarget
	sub, err := svc.CustomerSubject(ctx, pr.AccountID)
	if err != nil {
		return t, err
	}
	if sub.Status != beian.SubjectActive || sub.Number == "" {
		return t, beian.Errorf(beian.KindNotFound, "")
	}
	t.Subject = sub
	if t.Sites, err = svc.CustomerWebsites(ctx, pr.AccountID); err != nil {
		return t, err
	}
	if a.Website {
		if t.Website, err = svc.CustomerWebsite(ctx, pr.AccountID, r.PathValue("id")); err != nil {
			return t, err
		}
	}
	return t, nil
}

// served reports whether this provider serves the website (Rules GATE-1,
// GATE-2): its changes and cancellations go through this provider only then.
func served(w beian.Website) bool {
	return w.Number != "" && (w.Access == beian.GateServed || w.Access == beian.GateLapsed)
}

// cFacts are the facts of the target: the subject, and the website.
func cFacts(t cTarget) []cFact {
	f := []cFact{{"console.home.subject", t.Subject.Name}, {"console.home.subject_number", t.Subject.Number}}
	if t.Website.Number != "" {
		f = append(f, cFact{"bureau.f.website_name", t.Website.Name}, cFact{"bureau.f.website_number", t.Website.Number},
			cFact{"bureau.f.domains", joinDomains(t.Website.Domains)})
	}
	return f
}

// cOpenWays are the ways out of an order refused because another order of
// the subject is in flight (Rule ACC-4): a link to each open order.
func (p *Pages) cOpenWays(r *http.Request, pr identity.Principal, err error) []cLink {
	var e *beian.Error
	if !errors.As(err, &e) || e.Code != "acc.order_in_flight" {
		return nil
	}
	f, ferr := p.opts.Provider.Filings(r.Context(), pr.AccountID)
	if ferr != nil {
		return nil
	}
	m := p.bMsg(r)
	var out []cLink
	for _, o := range f.Orders {
		out = append(out, cLink{"/console/orders/" + strconv.FormatInt(o.ID, 10), m("page.console_change_way_open_order", "order", o.Number)})
	}
	return out
}

// cRefusal is the status and message of a refused action; a 5xx is returned as it is.
func cRefusal(r *http.Request, err error) (int, string, error) {
	status := web.Status(err)
	if status >= 500 {
		return status, "", err
	}
	return status, bErrText(web.Lang(r), err), nil
}

// pathEscape escapes a website number for a path segment.
func pathEscape(s string) string { return url.PathEscape(s) }

// joinDomains lists a website's domains as the home does.
func joinDomains(ds []string) string { return strings.Join(ds, "、") }
