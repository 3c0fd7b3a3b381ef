package page

import (
	"net/http"
	"strconv"

	"github.com/beian/beian"
	"github.com/beian/beian/regulator"
	"github.com/beian/beian/web"
)

// bSpotRow is one spot check as the list shows it.
type bSpotRow struct {
	Number, Result, Reason, Note, Actor, CreatedAt string
	CancellationID                                 string
}

// bSpotData is the spot checks page's .Data.
type bSpotData struct {
	bureauPage
	Rows    []bSpotRow
	Form    *Form
	Reasons []string // regulator.SpotFailReasons
}

// bureauSpotChecks answers GET /bureau/spot-checks.
func (p *Pages) bureauSpotChecks(w http.ResponseWriter, r *http.Request, rv regulator.Reviewer) error {
	return p.bRenderSpotChecks(w, r, rv, http.StatusOK, &Form{Values: map[string]string{"result": regulator.SpotPassed}})
}

// bRenderSpotChecks shows the province's spot checks and the form.
func (p *Pages) bRenderSpotChecks(w http.ResponseWriter, r *http.Request, rv regulator.Reviewer, status int, f *Form) error {
	list, err := p.opts.Registry.SpotChecks(r.Context(), rv, 0)
	if err != nil {
		return err
	}
	d := bSpotData{bureauPage: p.bureauBase(r, rv, "/bureau/spot-checks"), Form: f, Reasons: regulator.SpotFailReasons}
	for _, s := range list {
		row := bSpotRow{Number: s.Number, Result: "bureau.spot.result." + s.Result, Note: s.Note, Actor: s.Actor, CreatedAt: bTime(s.CreatedAt)}
		if s.Reason != "" {
			row.Reason = "bureau.spot.reason." + s.Reason
		}
		if s.CancellationID != 0 {
			row.CancellationID = strconv.FormatInt(s.CancellationID, 10)
		}
		d.Rows = append(d.Rows, row)
	}
	return p.Render(w, r, status, "bureau_spot_checks", d)
}

// bureauSpotCheck answers POST /bureau/spot-checks: a passed check is
// recorded at once; a failed one cancels the filing for false information
// (Rule CAN-1), so it first shows what will happen and asks to confirm.
func (p *Pages) bureauSpotCheck(w http.ResponseWriter, r *http.Request, rv regulator.Reviewer) error {
	v := bFormValues(r, "number", "result", "reason", "note")
	in := regulator.SpotCheckInput{Number: v["number"], Result: v["result"], Reason: v["reason"], Note: v["note"]}
	fail := func(err error) error {
		if web.Status(err) >= 500 {
			return err
		}
		return p.bRenderSpotChecks(w, r, rv, web.Status(err), &Form{Values: v, Err: err})
	}
	if in.Number == "" {
		return fail(beian.Problems{beian.NewProblem("registry.required", "CAN-1", "number", "field", "number")}.Err())
	}
	if in.Result == regulator.SpotFailed && !bConfirmed(r) {
		var known bool
		for _, reason := range regulator.SpotFailReasons {
			known = known || reason == in.Reason
		}
		if !known { // the regulator's own check, before the confirmation
			_, err := p.opts.Registry.RecordSpotCheck(r.Context(), rv, in)
			return fail(err)
		}
		lines, err := p.bCancelConsequences(r, rv, regulator.CancellationInput{Number: in.Number, Reason: regulator.ReasonFalseInformation})
		if err != nil {
			return fail(err)
		}
		lines = append([]string{p.bMsg(r)("page.bureau_confirm_spot_failed", "number", in.Number)}, lines...)
		return p.Render(w, r, http.StatusOK, "bureau_confirm", bConfirmData{bureauPage: p.bureauBase(r, rv, "/bureau/spot-checks"),
			Title: "bureau.confirm.spot_check", Action: "/bureau/spot-checks", Back: "/bureau/spot-checks", Lines: lines, Hidden: v})
	}
	sc, err := p.opts.Registry.RecordSpotCheck(r.Context(), rv, in)
	if err != nil {
		return fail(err)
	}
	bRedirect(w, r, "/bureau/spot-checks", "spot_checked", sc.Number)
	return nil
}
