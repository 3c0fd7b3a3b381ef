package page

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/provider"
)

// consoleChangeStart answers GET of a change (变更主体 / 变更网站 /
// 变更接入): what the change concerns and what it does (Rules OTH-2,
// OTH-3), with the button that starts it. A change is not irreversible —
// its draft can be abandoned — so it needs no confirmation.
func (p *Pages) consoleChangeStart(a cAction) consoleHandler {
	return func(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
		t, err := p.cTargetOf(r, pr, a)
		if err != nil {
			return err
		}
		return p.Render(w, r, http.StatusOK, "console_change", p.cChangePage(r, a, t))
	}
}

// cChangePage builds a change's page.
func (p *Pages) cChangePage(r *http.Request, a cAction, t cTarget) cChangeData {
	m := p.bMsg(r)
	d := cChangeData{consolePage: p.consoleBase(r, ""), Title: a.Label, Facts: cFacts(t), Action: a.href(t.Website.Number),
		Button: "console.change.start", Allowed: true, Form: &Form{}}
	switch a.Type {
	case beian.ChangeSubject:
		d.Lines = append(d.Lines, m("page.console_change_subject_what", "subject", t.Subject.Name), m("page.console_change_flagged"))
	case beian.ChangeWebsite:
		d.Lines = append(d.Lines, m("page.console_change_website_what", "website", t.Website.Name, "number", t.Website.Number))
	case beian.ChangeAccess:
		d.Lines = append(d.Lines, m("page.console_change_access_what", "website", t.Website.Name, "number", t.Website.Number))
	}
	d.Lines = append(d.Lines, m("page.console_change_takes_effect"))
	if a.Website && !served(t.Website) { // only a website served here changes through this provider
		d.Allowed, d.Err = false, m("page.console_change_not_served", "number", t.Website.Number)
	}
	return d
}

// consoleChange answers POST of a change: a draft of the change's type
// starting from the filed data (provider CreateOrder, Rule OTH-2), then
// the form's step that holds what changes — the subject, or the website's
// inputs (its resource for a change of access, Rule OTH-3). A refusal —
// an order of the subject in flight (Rule ACC-4) — shows the page again
// with the error and the open order to finish or abandon first.
func (p *Pages) consoleChange(a cAction) consoleHandler {
	return func(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
		t, err := p.cTargetOf(r, pr, a)
		if err != nil {
			return err
		}
		d := p.cChangePage(r, a, t)
		if !d.Allowed {
			return p.Render(w, r, http.StatusConflict, "console_change", d)
		}
		o, err := p.opts.Provider.CreateOrder(r.Context(), pr, provider.OrderInput{Type: a.Type}, "")
		if err != nil {
			status, msg, ierr := cRefusal(r, err)
			if ierr != nil {
				return ierr
			}
			d.Err, d.Ways = msg, p.cOpenWays(r, pr, err)
			return p.Render(w, r, status, "console_change", d)
		}
		q := url.Values{"step": {"subject"}, "notice": {"created"}, "of": {o.Number}}
		frag := ""
		if a.Website { // the website's first input of the change, on its step
			q.Set("step", "website")
			field := ".name"
			if a.Type == beian.ChangeAccess {
				field = ".resources"
			}
			if i := cSiteIndex(cDecode(o.Data), t.Website.Number); i >= 0 {
				frag = "#" + FieldID("websites["+strconv.Itoa(i)+"]"+field)
			}
		}
		http.Redirect(w, r, "/console/orders/"+strconv.FormatInt(o.ID, 10)+"/edit?"+q.Encode()+frag, http.StatusSeeOther)
		return nil
	}
}

// cSiteIndex is the index of the website with the number in the form, -1
// when absent.
func cSiteIndex(tree cTree, number string) int {
	for i := range tree.count("websites") {
		if tree.text("websites["+strconv.Itoa(i)+"].number") == number {
			return i
		}
	}
	return -1
}
