package page

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/provider"
	"github.com/beian/beian/workflow"
)

// cTransferData is the transfer-in page's .Data.
type cTransferData struct {
	consolePage
	Head        cHead
	Form        *Form
	Number      string // the filed number set, or the precheck's subject number
	HasPassword bool   // a password is set (never shown)
	Editable    bool   // the stage lets the customer change them (Rule REV-3)
}

// consoleTransferForm answers GET /console/orders/{id}/transfer: 接入备案
// needs the number of the filing held through another provider and the
// subject's filing password (Rules OTH-1, PWD-2). The number comes
// prefilled — the one set, else the subject number the precheck finds —
// and the password is never shown, only whether one is set.
func (p *Pages) consoleTransferForm(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
	o, err := p.cTransferOrder(r, pr)
	if err != nil {
		return err
	}
	return p.Render(w, r, http.StatusOK, "console_change_transfer", p.cTransferPage(r, pr, o, &Form{}))
}

// cTransferOrder is the customer's transfer_in order of the path; any
// other order, like another account's, is not_found.
func (p *Pages) cTransferOrder(r *http.Request, pr identity.Principal) (beian.Order, error) {
	o, err := p.opts.Provider.CustomerOrder(r.Context(), pr.AccountID, r.PathValue("id"))
	if err == nil && o.Type != beian.TransferIn {
		err = beian.Errorf(beian.KindNotFound, "")
	}
	return o, err
}

// cTransferPage builds the transfer-in page of the order.
func (p *Pages) cTransferPage(r *http.Request, pr identity.Principal, o beian.Order, f *Form) cTransferData {
	d := cTransferData{consolePage: p.consoleBase(r, ""), Head: cHeadOf(o), Form: f,
		Editable: workflow.Editable(o.Stage, o.Flagged, "password") && workflow.Editable(o.Stage, o.Flagged, "transfer")}
	d.Number, d.HasPassword = provider.TransferState(o)
	if v, ok := f.Values["transfer"]; ok {
		d.Number = v
	}
	if d.Number == "" {
		d.Number = p.cPrecheckedNumber(r, pr, o)
	}
	return d
}

// cPrecheckedNumber is the subject number the precheck finds for the
// order's subject and domains ("" when it finds none or fails: the
// customer types the number then).
func (p *Pages) cPrecheckedNumber(r *http.Request, pr identity.Principal, o beian.Order) string {
	var data beian.OrderData
	if json.Unmarshal(o.Data, &data) != nil {
		return ""
	}
	s := data.Subject
	in := provider.PrecheckInput{Province: s.Province, Nature: s.Nature, CertType: s.CertType, CertNumber: s.CertNumber}
	for _, ws := range data.Websites {
		in.Domains = append(in.Domains, ws.Domains...)
	}
	out, _, err := p.opts.Provider.Precheck(r.Context(), pr.AccountID, in)
	if err != nil {
		return ""
	}
	return out.SubjectNumber
}

// consoleTransfer answers POST /console/orders/{id}/transfer: the number
// and the password are checked at the registry (provider SetTransfer,
// Rules OTH-1, PWD-2: a mismatch, whichever part was wrong, is one answer
// beside the password; attempts are rate-limited) and saved into the
// order, then the form's submit step. The password is never shown again.
func (p *Pages) consoleTransfer(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
	o, err := p.cTransferOrder(r, pr)
	if err != nil {
		return err
	}
	number := r.PostFormValue("transfer")
	version, perr := strconv.ParseInt(r.PostFormValue("version"), 10, 64)
	if perr != nil {
		version = o.Version
	}
	saved, err := p.opts.Provider.SetTransfer(r.Context(), pr, o, version, number, r.PostFormValue("password"))
	if err != nil {
		status, _, ierr := cRefusal(r, err)
		if ierr != nil {
			return ierr
		}
		d := p.cTransferPage(r, pr, o, &Form{Values: map[string]string{"transfer": number}, Err: err})
		return p.Render(w, r, status, "console_change_transfer", d)
	}
	cRedirect(w, r, "/console/orders/"+strconv.FormatInt(saved.ID, 10)+"/edit?step=submit", "transfer_set", saved.Number)
	return nil
}
