package page

import (
	"encoding/json"
	"errors"
	"io"
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

// cvFields are the verification forms' inputs other than the photo; their
// values are shown again after a refusal.
var cvFields = []string{"method", "recipient", "phone", "address", "code"}

// consoleVerifyPost answers POST /console/orders/{id}/verification
// (urlencoded, or multipart for the photo): method=point books a
// verification point visit, curtain with address (recipient and phone
// default to the subject's responsible person) asks for the curtain by
// mail (Rule VER-1), upload checks the photo at once (format, size,
// resolution, sharpness: a refused photo shows the verdict beside the
// file input and the page again, Rule VER-1), app redeems the picture
// code (Rule VER-2). The CSRF token is checked before anything changes;
// success redirects to the order page with a notice (an uploaded photo's
// sharpness with it).
func (p *Pages) consoleVerifyPost(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
	ctx, svc := r.Context(), p.opts.Provider
	o, err := svc.CustomerOrder(ctx, pr.AccountID, r.PathValue("id"))
	if err != nil {
		return err
	}
	limit := svc.PhotoLimits().MaxBytes
	r.Body = http.MaxBytesReader(w, r.Body, limit+maxForm)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			var mbe *http.MaxBytesError
			if !errors.As(err, &mbe) {
				return &beian.Error{Kind: beian.KindBadRequest, Err: err}
			}
			// The body was not read to its end, so neither was the token:
			// only the verdict is shown, nothing changes.
			return p.cvRefused(w, r, o, providerdb.VerifyUpload, &Form{Values: map[string]string{"method": providerdb.VerifyUpload}},
				beian.Errorf(beian.KindTooLarge, "photo.too_large", "max", strconv.FormatInt(limit>>10, 10)+" KiB"))
		}
		defer r.MultipartForm.RemoveAll()
	}
	if err := p.CheckForm(r); err != nil {
		return err
	}
	f := &Form{Values: map[string]string{}}
	for _, k := range cvFields {
		f.Values[k] = strings.TrimSpace(r.PostFormValue(k))
	}
	method := f.Values["method"]
	if o.Stage != beian.StageVerification {
		return p.cvRefused(w, r, o, method, f, beian.Errorf(beian.KindInvalidState, "page.console_verify_wrong_stage",
			"stage", p.labels[web.Lang(r)]["console.stage."+string(o.Stage)]))
	}
	in := provider.VerificationRequest{Method: method, Code: f.Values["code"]}
	switch method {
	case providerdb.VerifyCurtain:
		var data beian.OrderData
		_ = json.Unmarshal(o.Data, &data) // stored by the provider
		in.Address = &provider.MailingAddress{Recipient: f.Values["recipient"], Phone: f.Values["phone"], Address: f.Values["address"]}
		if in.Address.Recipient == "" {
			in.Address.Recipient = data.Subject.Person.Name
		}
		if in.Address.Phone == "" {
			in.Address.Phone = data.Subject.Person.Mobile
		}
	case providerdb.VerifyUpload:
		if in.Photo, err = cvPhoto(r, limit); err != nil {
			return p.cvRefused(w, r, o, method, f, err)
		}
	}
	ans, err := svc.Verify(ctx, pr.AccountID, o.ID, in)
	if err != nil {
		return p.cvRefused(w, r, o, method, f, err)
	}
	target := "/console/orders/" + strconv.FormatInt(o.ID, 10)
	notice := "verify_" + method
	if method == providerdb.VerifyUpload {
		notice = "verify_photo"
		target += "?" + url.Values{"sharpness": {strconv.FormatFloat(ans.Sharpness, 'f', 1, 64)}}.Encode()
	}
	cRedirect(w, r, target, notice, o.Number)
	return nil
}

// cvPhoto reads the multipart form's photo: none is
// verification.photo_required, more than limit bytes photo.too_large.
func cvPhoto(r *http.Request, limit int64) ([]byte, error) {
	required := beian.Problems{beian.NewProblem("verification.photo_required", "VER-1", "photo")}.Err()
	if r.MultipartForm == nil || len(r.MultipartForm.File["photo"]) == 0 {
		return nil, required
	}
	file, err := r.MultipartForm.File["photo"][0].Open()
	if err != nil {
		return nil, err
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, limit+1))
	switch {
	case err != nil:
		return nil, err
	case len(data) == 0:
		return nil, required
	case int64(len(data)) > limit:
		return nil, beian.Errorf(beian.KindTooLarge, "photo.too_large", "max", strconv.FormatInt(limit>>10, 10)+" KiB")
	}
	return data, nil
}

// cvRefused shows the verification page again after a refused choice: the
// posted values kept, the problems beside their inputs of the section
// (the verdict of a refused photo beside the file input), with the
// error's status (422 invalid, 413 too large, 409 wrong stage, 503 no app
// service). A 5xx other than unavailable is the error page.
func (p *Pages) cvRefused(w http.ResponseWriter, r *http.Request, o beian.Order, method string, f *Form, err error) error {
	status := web.Status(err)
	if status >= 500 && !beian.IsKind(err, beian.KindUnavailable) {
		return err
	}
	f.Err = cvFormErr(err)
	d, derr := p.cvPage(r, o, method, f)
	if derr != nil {
		return derr
	}
	return p.Render(w, r, status, "console_verify", d)
}

// cvFormErr puts the provider's problems on the page's inputs: the
// curtain's address.* fields are the inputs recipient, phone and address;
// a photo too large, which carries no problem, becomes one at "photo".
func cvFormErr(err error) error {
	var e *beian.Error
	if !errors.As(err, &e) {
		return err
	}
	out := *e
	out.Problems = nil
	for _, pb := range e.Problems {
		if f, ok := strings.CutPrefix(pb.Field, "address."); ok {
			pb.Field = f
		}
		if pb.Field == "method" { // no input of its own: the summary says it
			pb.Field = ""
		}
		out.Problems = append(out.Problems, pb)
	}
	if e.Kind == beian.KindTooLarge && len(e.Problems) == 0 && e.Code != "" {
		out.Problems = beian.Problems{{Code: e.Code, Rule: "VER-1", Field: "photo", Args: e.Args}}
		out.Code = ""
	}
	return &out
}
