package page

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/provider"
	"github.com/beian/beian/refdata"
	"github.com/beian/beian/web"
	"github.com/beian/beian/workflow"
)

// cHomeData is the console home's .Data.
type cHomeData struct {
	consolePage
	Subject  *cSubject
	Websites []cWebsite
	Orders   []cOpenOrder
}

// cSubject is the account's subject as the home shows it.
type cSubject struct {
	Name, Nature, Province, CertType, CertMasked, Number, Status string
	Actions                                                      []cActionLink // its changes and cancellations
	// PasswordLink: the subject has a number and this process serves the
	// registry's password retrieval (/password, Rule PWD-3).
	PasswordLink bool
}

// cWebsite is one website with its number and access state (Rules
// GATE-1, GATE-2).
type cWebsite struct {
	Number, Name, Domains, Access, AccessUntil string
	AccessClass                                string        // access-served, access-access_cancelled …
	AccessKept                                 bool          // access cancelled: the number stays in the registry (Rule CAN-5)
	Actions                                    []cActionLink // its changes and cancellations while served here
}

// cActionLink is an action the home links: its label key and path.
type cActionLink struct{ Label, Href string }

// cOpenOrder is an open order with its stage and predicted dates.
type cOpenOrder struct {
	ID, Number, Type, Stage string
	StageDue, ApprovedBy    string // YYYY-MM-DD (CST), "" when none ahead
	Estimated, Commercial   bool
	Transfer                string // a transfer-in still without its filed number or password: the page that asks them (Rules OTH-1, PWD-2)
}

// consoleHome answers GET /console: the account's subject (Rule ACC-1),
// its websites with their numbers and access state, and the open orders
// with their stage, the date the stage is expected to end and the expected
// approval date (Rules REV-2, CAL-1).
func (p *Pages) consoleHome(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
	ctx, lang, svc := r.Context(), web.Lang(r), p.opts.Provider
	f, err := svc.Filings(ctx, pr.AccountID)
	if err != nil {
		return err
	}
	d := cHomeData{consolePage: p.consoleBase(r, "/console")}
	if s := f.Subject; s != nil {
		n, ok := svc.Ref.Nature(s.Nature)
		ct, ctOK := svc.Ref.CertificateType(s.CertType)
		cs := &cSubject{Name: s.Name, Number: s.Number, Status: "console.subject_status." + string(s.Status),
			CertMasked: s.CertMasked, CertType: cNamed(ct, ctOK, s.CertType, lang), Province: s.Province}
		cs.Nature = s.Nature
		if ok {
			cs.Nature = cNamed(refNamed(n.Name, n.NameEn), true, s.Nature, lang)
		}
		if pv, ok := svc.Ref.Province(s.Province); ok {
			cs.Province = cNamed(refNamed(pv.FullName, pv.NameEn), true, s.Province, lang)
		}
		if s.Status == beian.SubjectActive && s.Number != "" {
			cs.Actions = cActionLinks(false, "")
		}
		cs.PasswordLink = s.Number != "" && p.opts.Registry != nil
		d.Subject = cs
	}
	for _, ws := range f.Websites {
		var doms []string
		for _, dm := range ws.Domains {
			doms = append(doms, dm.Unicode)
		}
		cw := cWebsite{Number: ws.Number, Name: ws.Name, Domains: strings.Join(doms, "、"), Access: "console.access." + string(ws.Access)}
		if ws.AccessUntil != nil {
			cw.AccessUntil = bDate(*ws.AccessUntil)
		}
		cw.AccessClass, cw.AccessKept = "access-"+string(ws.Access), ws.Access == beian.GateAccessCancelled && ws.Number != ""
		if served(beian.Website{Number: ws.Number, Access: ws.Access}) {
			cw.Actions = cActionLinks(true, ws.Number)
		}
		d.Websites = append(d.Websites, cw)
	}
	for _, oo := range f.Orders {
		o, err := svc.CustomerOrder(ctx, pr.AccountID, strconv.FormatInt(oo.ID, 10))
		if err != nil {
			return err
		}
		tl, err := svc.Timeline(ctx, o)
		if err != nil {
			return err
		}
		co := cOpenOrder{ID: strconv.FormatInt(o.ID, 10), Number: o.Number, Type: "console.type." + string(o.Type),
			Stage: "console.stage." + string(o.Stage), Estimated: tl.Estimated, Commercial: o.Commercial}
		co.StageDue, co.ApprovedBy = predicted(tl)
		if number, hasPassword := provider.TransferState(o); o.Type == beian.TransferIn && (number == "" || !hasPassword) &&
			workflow.Editable(o.Stage, o.Flagged, "password") {
			co.Transfer = "/console/orders/" + co.ID + "/transfer"
		}
		d.Orders = append(d.Orders, co)
	}
	return p.Render(w, r, http.StatusOK, "console_home", d)
}

// predicted returns the date the current stage is expected to end (its
// step ahead, when the order waits in it) and the expected approval date.
func predicted(tl provider.TimelineJSON) (stageDue, approved string) {
	for _, st := range tl.Ahead {
		if st.Stage == tl.Stage {
			stageDue = st.Expected
		}
		if st.Stage == beian.StageApproved {
			approved = st.Expected
		}
	}
	return stageDue, approved
}

// cActionLinks are the home's links to the changes and cancellations of
// a website (by its number) or of the subject.
func cActionLinks(website bool, number string) []cActionLink {
	var out []cActionLink
	for _, a := range cActions {
		if a.Website == website {
			out = append(out, cActionLink{Label: a.Label, Href: a.href(number)})
		}
	}
	return out
}

// refNamed is a Named of its two names, for cNamed.
func refNamed(zh, en string) refdata.Named { return refdata.Named{Name: zh, NameEn: en} }
