package page

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/provider"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/web"
)

// caData is the authorization-code page's .Data.
type caData struct {
	consolePage
	Codes     []caRow
	Resources []cOption // the account's eligible servers (Rule ACC-2)
	Form      *Form
	Days      string // the default validity, days
	Uses      string // the default use limit
	Months    string // the minimum prepaid term, months
}

// caRow is one code in the list.
type caRow struct {
	Code, Resource, State, Expires, Created string
	Uses, UseLimit                          int
	Revocable                               bool
}

// consoleAuthCodes answers GET /console/auth-codes: the codes the account
// issued with their state (active, used up, expired, revoked), and the form
// that issues one for an eligible server (Rule ACC-3).
func (p *Pages) consoleAuthCodes(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
	d, err := p.caPage(r, pr, &Form{})
	if err != nil {
		return err
	}
	return p.Render(w, r, http.StatusOK, "console_authcodes", d)
}

// caPage builds the page around the issue form f.
func (p *Pages) caPage(r *http.Request, pr identity.Principal, f *Form) (caData, error) {
	ctx, svc := r.Context(), p.opts.Provider
	d := caData{consolePage: p.consoleBase(r, "/console/auth-codes"), Form: f,
		Days: strconv.Itoa(int(svc.Options.AuthCodeTTL.Hours() / 24)), Uses: strconv.Itoa(svc.Options.AuthCodeUses),
		Months: strconv.Itoa(svc.Options.MinTermMonths)}
	codes, err := svc.AuthCodes(ctx, pr.AccountID)
	if err != nil {
		return d, err
	}
	all, err := svc.Store.ResourcesOf(ctx, pr.AccountID)
	if err != nil {
		return d, err
	}
	names := map[int64]string{}
	for _, res := range all {
		names[res.ID] = caResourceName(res)
	}
	for _, c := range codes {
		d.Codes = append(d.Codes, caRow{Code: c.Code, Resource: names[c.ResourceID], State: "console.authcode.state." + c.State,
			Expires: bTime(c.ExpiresAt), Created: bTime(c.CreatedAt), Uses: c.Uses, UseLimit: c.UseLimit,
			Revocable: c.State == "active" && c.Uses == 0})
	}
	own, err := svc.Store.EligibleResources(ctx, pr.AccountID, svc.DB.Clock.Now(), svc.Options.MinTermMonths)
	if err != nil {
		return d, err
	}
	sel := f.Value("resource_id")
	for _, res := range own {
		id := strconv.FormatInt(res.ID, 10)
		d.Resources = append(d.Resources, cOption{Value: id, Text: caResourceName(res), Selected: id == sel})
	}
	return d, nil
}

// caResourceName names a server as the customer knows it: its ID at the
// provider and its public addresses.
func caResourceName(res beian.Resource) string {
	s := res.ExternalID
	if len(res.PublicIPs) > 0 {
		s += " (" + strings.Join(res.PublicIPs, ", ") + ")"
	}
	return s
}

// caNumber reads an optional whole number between 1 and max: "" is 0 (the
// default), anything else out of range is a problem at the field.
func caNumber(v string, max int, field, code string, ps *beian.Problems) int {
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		ps.Add(code, "ACC-3", field)
		return 0
	}
	return n
}

// consoleAuthCodeIssue answers POST /console/auth-codes: resource_id, and
// optionally valid_for_days (1–365) and use_limit (1–100); empty ones take
// the provider's defaults (Rule ACC-3: 90 days, 1 website). Success
// redirects to the list with the new code named; a problem shows the form
// again beside its input.
func (p *Pages) consoleAuthCodeIssue(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
	f := &Form{Values: map[string]string{}}
	for _, k := range []string{"resource_id", "valid_for_days", "use_limit"} {
		f.Values[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	var ps beian.Problems
	rid, err := strconv.ParseInt(f.Values["resource_id"], 10, 64)
	if err != nil || rid <= 0 {
		ps.Add("page.console_authcode_resource_required", "ACC-3", "resource_id")
	}
	in := provider.AuthCodeInput{ResourceID: rid,
		ValidForDays: caNumber(f.Values["valid_for_days"], 365, "valid_for_days", "page.console_authcode_days_invalid", &ps),
		UseLimit:     caNumber(f.Values["use_limit"], 100, "use_limit", "page.console_authcode_uses_invalid", &ps)}
	ferr := ps.Err()
	if ferr == nil {
		c, err := p.opts.Provider.IssueAuthCodeFor(r.Context(), pr, in)
		if err == nil {
			cRedirect(w, r, "/console/auth-codes", "authcode_issued", c.Code)
			return nil
		}
		if beian.IsKind(err, beian.KindNotFound) { // not this account's server: as if it were unknown
			err = beian.Problems{beian.NewProblem("page.console_authcode_resource_required", "ACC-3", "resource_id")}.Err()
		}
		if web.Status(err) >= 500 {
			return err
		}
		ferr = err
	}
	f.Err = ferr
	d, err := p.caPage(r, pr, f)
	if err != nil {
		return err
	}
	return p.Render(w, r, web.Status(ferr), "console_authcodes", d)
}

// caRevokeData is the revoke confirmation's .Data.
type caRevokeData struct {
	consolePage
	Code  string
	Lines []string // what will happen, in the language
	Err   string   // a refused revocation's message
}

// consoleAuthCodeRevokeConfirm answers GET /console/auth-codes/{code}/revoke:
// what revoking does (Rule ACC-3: final, nobody can use the code after),
// with the button that does it. Another account's code is 404.
func (p *Pages) consoleAuthCodeRevokeConfirm(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
	d, err := p.caRevokePage(r, pr)
	if err != nil {
		return err
	}
	return p.Render(w, r, http.StatusOK, "console_authcodes_revoke", d)
}

// caRevokePage builds the confirmation of the path's code, one of the
// account's (else not found).
func (p *Pages) caRevokePage(r *http.Request, pr identity.Principal) (caRevokeData, error) {
	codes, err := p.opts.Provider.AuthCodes(r.Context(), pr.AccountID)
	if err != nil {
		return caRevokeData{}, err
	}
	want := providerdb.NormalizeAuthCode(r.PathValue("code"))
	for _, c := range codes {
		if c.Code == want {
			m := p.bMsg(r)
			return caRevokeData{consolePage: p.consoleBase(r, "/console/auth-codes"), Code: c.Code,
				Lines: []string{m("page.console_authcode_revoke_what", "code", c.Code), m("page.console_authcode_revoke_final")}}, nil
		}
	}
	return caRevokeData{}, beian.Errorf(beian.KindNotFound, "authcode.unknown")
}

// consoleAuthCodeRevoke answers POST /console/auth-codes/{code}/revoke:
// without the confirmation's "confirm" it shows the confirmation; with it
// the code is revoked (Rule ACC-3), refused once used (the reason on the
// confirmation page).
func (p *Pages) consoleAuthCodeRevoke(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
	d, err := p.caRevokePage(r, pr)
	if err != nil {
		return err
	}
	if r.PostFormValue("confirm") != "yes" {
		return p.Render(w, r, http.StatusOK, "console_authcodes_revoke", d)
	}
	if err := p.opts.Provider.RevokeAuthCodeOf(r.Context(), pr, d.Code); err != nil {
		if web.Status(err) >= 500 {
			return err
		}
		d.Err = bErrText(web.Lang(r), err)
		return p.Render(w, r, web.Status(err), "console_authcodes_revoke", d)
	}
	http.Redirect(w, r, "/console/auth-codes?"+url.Values{"notice": {"authcode_revoked"}, "of": {d.Code}}.Encode(), http.StatusSeeOther)
	return nil
}
