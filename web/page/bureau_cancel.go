package page

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/validate"
	"github.com/beian/beian/web"
)

// bCancelRow is one desk cancellation as the list shows it.
type bCancelRow struct {
	Number, Reason, Note, SubjectNumber, Websites, Actor, CreatedAt string
	Blacklisted                                                     bool
}

// bCancelData is the cancellations page's .Data: the list and two forms.
type bCancelData struct {
	bureauPage
	Rows    []bCancelRow
	Cancel  *Form    // number, reason, note, blacklist
	Claim   *Form    // domain, claimant, note
	Reasons []string // regulator.DeskReasons
}

// bConfirmData is the confirmation step's .Data (Rule CAN-6's spirit at the
// bureau: nothing irreversible without saying what will happen).
type bConfirmData struct {
	bureauPage
	Title  string            // label key of the heading
	Action string            // where the bConfirmed form posts
	Back   string            // where "go back" leads
	Lines  []string          // what will happen, in the request's language
	Hidden map[string]string // the form's values, posted again with confirm=yes
}

// bureauCancellations answers GET /bureau/cancellations.
func (p *Pages) bureauCancellations(w http.ResponseWriter, r *http.Request, rv regulator.Reviewer) error {
	return p.bRenderCancellations(w, r, rv, http.StatusOK, &Form{}, &Form{})
}

// bRenderCancellations shows the list of the province's desk cancellations
// (conflict claims and failed spot checks included) with both forms.
func (p *Pages) bRenderCancellations(w http.ResponseWriter, r *http.Request, rv regulator.Reviewer, status int, cancel, claim *Form) error {
	list, err := p.opts.Registry.BureauCancellations(r.Context(), rv, 0)
	if err != nil {
		return err
	}
	d := bCancelData{bureauPage: p.bureauBase(r, rv, "/bureau/cancellations"), Cancel: cancel, Claim: claim, Reasons: regulator.DeskReasons}
	for _, c := range list {
		d.Rows = append(d.Rows, bCancelRow{Number: c.Number, Reason: "bureau.cancel_reason." + c.Reason, Note: c.Note, SubjectNumber: c.SubjectNumber,
			Websites: strings.Join(c.Websites, "、"), Actor: c.Actor, CreatedAt: bTime(c.CreatedAt), Blacklisted: c.Blacklisted})
	}
	return p.Render(w, r, status, "bureau_cancellations", d)
}

// bFormValues keeps the named fields of the posted form.
func bFormValues(r *http.Request, names ...string) map[string]string {
	m := map[string]string{}
	for _, n := range names {
		m[n] = strings.TrimSpace(r.PostFormValue(n))
	}
	return m
}

// bConfirmed reports whether the form comes from the confirmation step.
func bConfirmed(r *http.Request) bool { return r.PostFormValue("confirm") == "yes" }

// bureauCancel answers POST /bureau/cancellations: checked, then a
// confirmation page that says what will happen (the website, its subject
// when it is the last active website, or the subject with every website;
// the blacklist; numbers never restored, Rules CAN-1, CAN-3, CAN-4), then
// regulator BureauCancel and a redirect to the list.
func (p *Pages) bureauCancel(w http.ResponseWriter, r *http.Request, rv regulator.Reviewer) error {
	v := bFormValues(r, "number", "reason", "note", "blacklist")
	in := regulator.CancellationInput{Number: v["number"], Reason: v["reason"], Note: v["note"], Blacklist: v["blacklist"] != ""}
	fail := func(err error) error {
		if web.Status(err) >= 500 {
			return err
		}
		return p.bRenderCancellations(w, r, rv, web.Status(err), &Form{Values: v, Err: err}, &Form{})
	}
	var ps beian.Problems
	if in.Number == "" {
		ps.Add("registry.required", "CAN-1", "number", "field", "number")
	}
	if !slices.Contains(regulator.DeskReasons, in.Reason) {
		ps.Add("registry.cancel_reason", "CAN-1", "reason", "reasons", strings.Join(regulator.DeskReasons, ", "))
	} else if in.Blacklist && in.Reason != regulator.ReasonIllegalContent {
		ps.Add("registry.blacklist_reason", "CAN-1", "blacklist")
	}
	if err := ps.Err(); err != nil {
		return fail(err)
	}
	if !bConfirmed(r) {
		lines, err := p.bCancelConsequences(r, rv, in)
		if err != nil {
			return fail(err)
		}
		return p.Render(w, r, http.StatusOK, "bureau_confirm", bConfirmData{bureauPage: p.bureauBase(r, rv, "/bureau/cancellations"),
			Title: "bureau.confirm.cancel", Action: "/bureau/cancellations", Back: "/bureau/cancellations", Lines: lines, Hidden: v})
	}
	dc, err := p.opts.Registry.BureauCancel(r.Context(), rv, in)
	if err != nil {
		return fail(err)
	}
	bRedirect(w, r, "/bureau/cancellations", "cancelled", dc.Number)
	return nil
}

// bCancelConsequences says what cancelling in will do, from the registry's
// record of the number: another province's or an unknown number is
// not_found, a cancelled one invalid_state, as BureauCancel would answer.
func (p *Pages) bCancelConsequences(r *http.Request, rv regulator.Reviewer, in regulator.CancellationInput) ([]string, error) {
	ctx, reg := r.Context(), p.opts.Registry
	f, err := reg.Filing(ctx, in.Number)
	pv, _ := reg.Ref.Province(rv.Province)
	if err != nil || f.Province != pv.Code {
		return nil, beian.Errorf(beian.KindNotFound, "registry.number_not_found", "number", in.Number)
	}
	whole, err := reg.Filing(ctx, f.SubjectNumber)
	if err != nil {
		return nil, err
	}
	var active []beian.FilingWebsite
	for _, ws := range whole.Websites {
		if ws.Status == regulator.StatusActive {
			active = append(active, ws)
		}
	}
	named := "" // the website number named, "" for a subject number
	if n, ps := validate.ParseFilingNumber(reg.Ref, in.Number); len(ps) == 0 && n.Site > 0 && len(f.Websites) == 1 {
		named = f.Websites[0].Number
	}
	if f.Status != regulator.StatusActive || (named != "" && f.Websites[0].Status != regulator.StatusActive) {
		return nil, beian.Errorf(beian.KindInvalidState, "registry.already_cancelled", "number", in.Number)
	}
	msg := p.bMsg(r)
	var lines, names []string
	if named != "" && in.Reason != regulator.ReasonIllegalContent {
		lines = append(lines, msg("page.bureau_confirm_website", "number", named, "name", f.Websites[0].Name))
		names = []string{f.Websites[0].Name}
		if len(active) == 1 {
			lines = append(lines, msg("page.bureau_confirm_last_website", "subject", f.SubjectNumber, "unit", f.UnitName))
		}
	} else {
		list := make([]string, 0, len(active))
		for _, ws := range active {
			list = append(list, ws.Number+" "+ws.Name)
			names = append(names, ws.Name)
		}
		if in.Reason == regulator.ReasonIllegalContent {
			lines = append(lines, msg("page.bureau_confirm_illegal"))
		}
		lines = append(lines, msg("page.bureau_confirm_subject", "subject", f.SubjectNumber, "unit", f.UnitName,
			"count", strconv.Itoa(len(active)), "websites", strings.Join(list, "、")))
		if named != "" {
			names = []string{f.Websites[0].Name}
		}
	}
	if in.Blacklist {
		lines = append(lines, msg("page.bureau_confirm_blacklist", "names", strings.Join(names, "、")))
	}
	return append(lines, msg("page.bureau_confirm_final")), nil
}

// bureauClaim answers POST /bureau/conflict-claims: a domain's new holder
// asks to cancel the old filing that holds it (Rule CAN-1). A confirmation
// says what will happen, then regulator ConflictClaim checks the domain's
// registration record and cancels.
func (p *Pages) bureauClaim(w http.ResponseWriter, r *http.Request, rv regulator.Reviewer) error {
	v := bFormValues(r, "domain", "claimant", "claim_note")
	fail := func(err error) error {
		if web.Status(err) >= 500 {
			return err
		}
		return p.bRenderCancellations(w, r, rv, web.Status(err), &Form{}, &Form{Values: v, Err: err})
	}
	if v["domain"] == "" {
		return fail(beian.Problems{beian.NewProblem("registry.required", "CAN-1", "domain", "field", "domain")}.Err())
	}
	if !bConfirmed(r) {
		msg := p.bMsg(r)
		return p.Render(w, r, http.StatusOK, "bureau_confirm", bConfirmData{bureauPage: p.bureauBase(r, rv, "/bureau/cancellations"),
			Title: "bureau.confirm.claim", Action: "/bureau/conflict-claims", Back: "/bureau/cancellations",
			Lines: []string{msg("page.bureau_confirm_claim", "domain", v["domain"]), msg("page.bureau_confirm_final")}, Hidden: v})
	}
	dc, err := p.opts.Registry.ConflictClaim(r.Context(), rv, regulator.ClaimInput{Domain: v["domain"], Claimant: v["claimant"], Note: v["claim_note"]})
	if err != nil {
		return fail(err)
	}
	bRedirect(w, r, "/bureau/cancellations", "claimed", dc.Number)
	return nil
}
