package page

import (
	"net/http"

	"github.com/beian/beian/regulator"
	"github.com/beian/beian/web"
)

// bBlacklistRow is one blacklist entry as the list shows it (certificate
// numbers masked by the regulator).
type bBlacklistRow struct {
	Kind, Value, Reason, CreatedAt string
}

// bBlacklistData is the blacklist page's .Data.
type bBlacklistData struct {
	bureauPage
	Rows []bBlacklistRow
	Form *Form
}

// bureauBlacklist answers GET /bureau/blacklist: the national blacklist
// (Rule CAN-1: every bureau sees every entry), newest first, and the form.
func (p *Pages) bureauBlacklist(w http.ResponseWriter, r *http.Request, rv regulator.Reviewer) error {
	return p.bRenderBlacklist(w, r, rv, http.StatusOK, &Form{Values: map[string]string{"kind": regulator.BlacklistCert}})
}

// bRenderBlacklist shows the list and the form f.
func (p *Pages) bRenderBlacklist(w http.ResponseWriter, r *http.Request, rv regulator.Reviewer, status int, f *Form) error {
	list, err := p.opts.Registry.BlacklistEntries(r.Context(), 0)
	if err != nil {
		return err
	}
	d := bBlacklistData{bureauPage: p.bureauBase(r, rv, "/bureau/blacklist"), Form: f}
	for _, e := range list {
		d.Rows = append(d.Rows, bBlacklistRow{Kind: "bureau.blacklist.kind." + e.Kind, Value: e.Value, Reason: e.Reason, CreatedAt: bTime(e.CreatedAt)})
	}
	return p.Render(w, r, status, "bureau_blacklist", d)
}

// bureauBlacklistAdd answers POST /bureau/blacklist: a certificate number
// or a website name goes on the blacklist (regulator BureauBlacklist), so
// that it can never be filed again; the certificate number is never shown
// again in full, not even on the form after a problem.
func (p *Pages) bureauBlacklistAdd(w http.ResponseWriter, r *http.Request, rv regulator.Reviewer) error {
	v := bFormValues(r, "kind", "value", "reason")
	_, err := p.opts.Registry.BureauBlacklist(r.Context(), rv, regulator.BlacklistInput{Kind: v["kind"], Value: v["value"], Reason: v["reason"]})
	if err != nil {
		if web.Status(err) >= 500 {
			return err
		}
		if v["kind"] == regulator.BlacklistCert {
			v["value"] = "" // personal data: typed again rather than echoed
		}
		return p.bRenderBlacklist(w, r, rv, web.Status(err), &Form{Values: v, Err: err})
	}
	bRedirect(w, r, "/bureau/blacklist", "blacklisted", "")
	return nil
}
