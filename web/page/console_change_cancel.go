package page

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/provider"
)

// consoleCancelConfirm answers GET of a cancellation (注销网站 / 注销主体 /
// 取消接入): the confirmation that says exactly what will happen, in the
// rules' words — the only website's cancellation cancels the subject
// (Rule CAN-4), a cancelled access leaves the number in the registry and
// risks the empty-shell cancellation (Rule CAN-5), nothing can be
// withdrawn once submitted (Rule CAN-6) — with the filing password where
// require_password_for_subject_cancel asks it (Rule PWD-2).
func (p *Pages) consoleCancelConfirm(a cAction) consoleHandler {
	return func(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
		t, err := p.cTargetOf(r, pr, a)
		if err != nil {
			return err
		}
		d, err := p.cCancelPage(r, pr, a, t)
		if err != nil {
			return err
		}
		return p.Render(w, r, http.StatusOK, "console_change", d)
	}
}

// cCancelPage builds a cancellation's confirmation.
func (p *Pages) cCancelPage(r *http.Request, pr identity.Principal, a cAction, t cTarget) (cChangeData, error) {
	m, svc := p.bMsg(r), p.opts.Provider
	d := cChangeData{consolePage: p.consoleBase(r, ""), Title: a.Label, Facts: cFacts(t), Action: a.href(t.Website.Number),
		Button: a.Label + "_yes", Confirm: true, Allowed: true, Form: &Form{}}
	needPassword := !svc.Options.SubjectCancelWithoutPassword // Rule PWD-2
	site, number := t.Website.Name, t.Website.Number
	switch a.Type {
	case beian.CancelWebsite:
		effect, err := svc.CancelEffect(r.Context(), pr.AccountID, []string{number})
		if err != nil {
			return d, err
		}
		if effect == provider.EffectCancelsSubject { // Rule CAN-4: said before it is submitted
			d.Lines = append(d.Lines, m("page.console_cancel_only_website", "website", site, "number", number,
				"subject", t.Subject.Name, "subject_number", t.Subject.Number))
			d.Password = needPassword
		} else {
			d.Lines = append(d.Lines, m("page.console_cancel_website_what", "website", site, "number", number))
		}
		d.Lines = append(d.Lines, m("page.console_cancel_number_gone"), m("page.console_cancel_bureau_days"))
	case beian.CancelSubject:
		n := 0
		for _, ws := range t.Sites {
			if ws.Number != "" && ws.Access != beian.GateCancelled {
				n++
			}
		}
		d.Lines = append(d.Lines, m("page.console_cancel_subject_what", "subject", t.Subject.Name, "subject_number", t.Subject.Number,
			"count", strconv.Itoa(n)), m("page.console_cancel_number_gone"), m("page.console_cancel_bureau_days"))
		d.Password = needPassword
	case beian.CancelAccess: // Rule CAN-5
		d.Lines = append(d.Lines, m("page.console_cancel_access_what", "website", site, "number", number),
			m("order.empty_shell_warning", "days", strconv.Itoa(svc.Options.EmptyShellDays)))
	}
	d.Lines = append(d.Lines, m("order.cancel_irrevocable_warning")) // Rule CAN-6
	if d.Password {
		d.Lines = append(d.Lines, m("page.console_cancel_password"))
	}
	if a.Website && !served(t.Website) {
		d.Allowed, d.Err = false, m("page.console_change_not_served", "number", number)
	}
	return d, nil
}

// consoleCancel answers POST of a cancellation. Without the confirmation's
// confirm=yes it shows the confirmation again. With it, the filing
// password is checked at the registry where it is needed (Rule PWD-2: a
// wrong one stands beside its input and nothing is created), then the
// order is created with the customer's explicit confirmation (Rule CAN-6)
// and submitted at once — the confirmation is the customer's last word: a
// cancel_access is approved there and then (Rule CAN-5), a cancellation
// goes to review (Rules CAN-2, CAN-4). It lands on the order page. A
// refusal — an order in flight (Rule ACC-4) — shows the confirmation with
// the error and the open order; a created order whose submit is refused
// lands on its order page, which lists the problems.
func (p *Pages) consoleCancel(a cAction) consoleHandler {
	return func(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
		ctx, svc := r.Context(), p.opts.Provider
		t, err := p.cTargetOf(r, pr, a)
		if err != nil {
			return err
		}
		d, err := p.cCancelPage(r, pr, a, t)
		if err != nil {
			return err
		}
		switch {
		case !d.Allowed:
			return p.Render(w, r, http.StatusConflict, "console_change", d)
		case r.PostFormValue("confirm") != "yes":
			return p.Render(w, r, http.StatusOK, "console_change", d)
		}
		data := beian.OrderData{Confirm: true}
		if a.Website {
			data.Cancel = []string{t.Website.Number}
		}
		if d.Password {
			pw := r.PostFormValue("password")
			if pw == "" {
				d.Form.Err = beian.Problems{beian.NewProblem("order.password_required", "PWD-2", "password")}.Err()
				return p.Render(w, r, http.StatusUnprocessableEntity, "console_change", d)
			}
			if err := svc.CheckFilingPassword(ctx, t.Subject.Number, pw); err != nil {
				d.Form.Err = cPasswordErr(err)
				status, _, ierr := cRefusal(r, d.Form.Err)
				if ierr != nil {
					return ierr
				}
				return p.Render(w, r, status, "console_change", d)
			}
			data.Password = pw
		}
		raw, err := json.Marshal(data)
		if err != nil {
			return err
		}
		o, err := svc.CreateOrder(ctx, pr, provider.OrderInput{Type: a.Type, Data: raw}, "")
		if err != nil {
			status, msg, ierr := cRefusal(r, err)
			if ierr != nil {
				return ierr
			}
			d.Err, d.Ways = msg, p.cOpenWays(r, pr, err)
			return p.Render(w, r, status, "console_change", d)
		}
		id := strconv.FormatInt(o.ID, 10)
		done, err := svc.SubmitOrder(ctx, pr, o, o.Version, "")
		if err != nil {
			if status, _, ierr := cRefusal(r, err); ierr != nil || status >= 500 {
				return ierr
			}
			cRedirect(w, r, "/console/orders/"+id, "cancel_created", o.Number)
			return nil
		}
		cRedirect(w, r, "/console/orders/"+id, "cancel_submitted", done.Number)
		return nil
	}
}

// cPasswordErr names the registry's answer to a wrong filing password for
// what the customer is doing (a cancellation, not a transfer-in); other
// errors (rate_limited) stay as they are.
func cPasswordErr(err error) error {
	var e *beian.Error
	if errors.As(err, &e) && e.Kind == beian.KindInvalid {
		return beian.Problems{beian.NewProblem("page.console_cancel_password_wrong", "PWD-2", "password")}.Err()
	}
	return err
}
