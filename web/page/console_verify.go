package page

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/provider"
	"github.com/beian/beian/sqlstore/providerdb"
	"github.com/beian/beian/web"
)

// The console's verification choices (Rules VER-1, VER-2, REV-4), the
// registry's SMS confirmation on the order page (Rule VER-3, console_sms.go)
// and the authorization codes (Rule ACC-3, console_authcodes.go).
func init() {
	pageNames = append(pageNames, "console_verify", "console_authcodes", "console_authcodes_revoke")
	consoleNav = append(consoleNav, struct{ Key, Path string }{"console.nav.authcodes", "/console/auth-codes"})
	consoleNotices = append(consoleNotices, "verify_point", "verify_curtain", "verify_photo", "verify_app",
		"authcode_issued", "authcode_revoked")
}

// consoleVerifyRoutes registers the console's verification, SMS
// confirmation and authorization-code pages:
//
//	GET  /console/orders/{id}/verification        the four choices where each is available (Rules VER-1, VER-2)
//	POST /console/orders/{id}/verification        method=point|curtain|upload|app with address, photo (multipart) or code
//	GET  /console/auth-codes                      the account's authorization codes with their state (Rule ACC-3)
//	POST /console/auth-codes                      issue one for an eligible own server
//	GET,POST /console/auth-codes/{code}/revoke    revoke an unused one, behind a confirmation
func (p *Pages) consoleVerifyRoutes(mux *http.ServeMux) {
	mux.Handle("GET /console/orders/{id}/verification", p.console(p.consoleVerify))
	mux.Handle("POST /console/orders/{id}/verification", p.console(p.consoleVerifyPost))
	mux.Handle("GET /console/auth-codes", p.console(p.consoleAuthCodes))
	mux.Handle("POST /console/auth-codes", p.consoleForm(p.consoleAuthCodeIssue))
	mux.Handle("GET /console/auth-codes/{code}/revoke", p.console(p.consoleAuthCodeRevokeConfirm))
	mux.Handle("POST /console/auth-codes/{code}/revoke", p.consoleForm(p.consoleAuthCodeRevoke))
}

// cvCurrent is the order's latest verification as the pages show it.
type cvCurrent struct {
	Method, Status string // label keys console.verify.method.*, console.verify.status.*
	Raw            string // the method's wire value
	Requested      bool   // a point visit booked or a curtain to mail: waiting for the photo
	Rejected       bool   // the photo review refused it (Rule REV-4)
	At             string // when it was recorded, CST
	Sharpness      string // a photo's measured sharpness, or ""
	Address        string // a curtain's mailing address (the account's own data)
	Recipient      string
	Phone          string // masked
}

// cvData is the verification page's .Data.
type cvData struct {
	consolePage
	Head         cHead
	InStage      bool   // the order is in the verification stage
	StageMsg     string // why not, in the language
	Form         *Form  // the posted values and the refusal
	Section      string // the method of a refused POST, "" on a fresh page
	Current      *cvCurrent
	Items        []beian.ReviewItem // the photo review's items after a rejection
	Person       string             // the responsible person's name (the curtain's default recipient)
	PersonPhone  string             // masked
	MaxKiB       string             // the largest photo
	MinSize      string             // the smallest resolution, "600×800"
	MinSharpness string
	AppOK        bool
	AppWhy       []string // why the app cannot be used, in the language
}

// consoleVerify answers GET /console/orders/{id}/verification: the four
// ways to verify the responsible person (Rule VER-1: a verification point,
// a mailed curtain, a photo upload; Rule VER-2: the app's code where
// eligible, with the reason where not), the current choice, and after a
// photo-review rejection its reasons (Rule REV-4).
func (p *Pages) consoleVerify(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
	o, err := p.opts.Provider.CustomerOrder(r.Context(), pr.AccountID, r.PathValue("id"))
	if err != nil {
		return err
	}
	d, err := p.cvPage(r, o, "", &Form{})
	if err != nil {
		return err
	}
	return p.Render(w, r, http.StatusOK, "console_verify", d)
}

// cvPage builds the verification page around the form f of the section.
func (p *Pages) cvPage(r *http.Request, o beian.Order, section string, f *Form) (cvData, error) {
	ctx, lang, svc := r.Context(), web.Lang(r), p.opts.Provider
	l := svc.PhotoLimits()
	d := cvData{consolePage: p.consoleBase(r, ""), Head: cHeadOf(o), InStage: o.Stage == beian.StageVerification, Form: f, Section: section,
		MaxKiB: strconv.FormatInt(l.MaxBytes>>10, 10), MinSize: strconv.Itoa(l.MinWidth) + "×" + strconv.Itoa(l.MinHeight),
		MinSharpness: strconv.FormatFloat(l.MinSharpness, 'f', 1, 64)}
	if !d.InStage {
		d.StageMsg = p.cvWrongStage(lang, o)
	}
	var data beian.OrderData
	_ = json.Unmarshal(o.Data, &data) // stored by the provider
	d.Person, d.PersonPhone = data.Subject.Person.Name, cMaskPhone(data.Subject.Person.Mobile)
	cur, err := p.cvCurrentOf(r, o)
	if err != nil {
		return d, err
	}
	d.Current = cur
	if cur != nil && cur.Rejected && d.InStage {
		view, err := svc.OrderView(ctx, lang, o)
		if err != nil {
			return d, err
		}
		d.Items = view.ReviewItems
	}
	ps := svc.AppVerification(o)
	d.AppOK = len(ps) == 0
	for _, pb := range ps {
		d.AppWhy = append(d.AppWhy, i18n.Default().Message(lang, pb.Code, pb.Args))
	}
	return d, nil
}

// cvWrongStage says, in the language, that the order's stage has no
// verification to do.
func (p *Pages) cvWrongStage(lang i18n.Lang, o beian.Order) string {
	return i18n.Default().Message(lang, "page.console_verify_wrong_stage", map[string]string{"stage": p.labels[lang]["console.stage."+string(o.Stage)]})
}

// cvCurrentOf reads the order's latest verification; nil without one.
func (p *Pages) cvCurrentOf(r *http.Request, o beian.Order) (*cvCurrent, error) {
	v, ok, err := p.opts.Provider.LatestVerification(r.Context(), o.ID)
	if err != nil || !ok {
		return nil, err
	}
	c := &cvCurrent{Method: "console.verify.method." + v.Method, Status: "console.verify.status." + v.Status, Raw: v.Method,
		Requested: v.Status == providerdb.VerificationRequested, Rejected: v.Status == providerdb.VerificationRejected, At: bTime(v.CreatedAt)}
	if v.Sharpness > 0 {
		c.Sharpness = strconv.FormatFloat(v.Sharpness, 'f', 1, 64)
	}
	if v.Method == providerdb.VerifyCurtain {
		var detail struct {
			Address provider.MailingAddress `json:"address"`
		}
		_ = json.Unmarshal(v.Detail, &detail) // written by the provider
		c.Address, c.Recipient, c.Phone = detail.Address.Address, detail.Address.Recipient, cMaskPhone(detail.Address.Phone)
	}
	return c, nil
}

// cMaskPhone masks a phone number for display: 138****1234 (the first 3
// and the last 4 digits of a mobile number); shorter numbers keep only
// their last 2 characters.
func cMaskPhone(s string) string {
	r := []rune(s)
	switch {
	case len(r) == 0:
		return ""
	case len(r) >= 11:
		return string(r[:3]) + "****" + string(r[len(r)-4:])
	case len(r) > 2:
		out := make([]rune, 0, len(r))
		for range len(r) - 2 {
			out = append(out, '*')
		}
		return string(append(out, r[len(r)-2:]...))
	}
	return "**"
}

// cvOrderSection is the verification part of the order page: in the
// verification stage the current choice and the way to the choices; in
// photo review the photo's verdict.
type cvOrderSection struct {
	InStage bool
	Current *cvCurrent
	AppOK   bool
}

// cVerifySection builds the order page's verification part, nil where the
// order has none to show.
func (p *Pages) cVerifySection(r *http.Request, o beian.Order) (*cvOrderSection, error) {
	if o.Stage != beian.StageVerification && o.Stage != beian.StagePhotoReview {
		return nil, nil
	}
	cur, err := p.cvCurrentOf(r, o)
	if err != nil {
		return nil, err
	}
	return &cvOrderSection{InStage: o.Stage == beian.StageVerification, Current: cur,
		AppOK: len(p.opts.Provider.AppVerification(o)) == 0}, nil
}
