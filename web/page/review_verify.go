package page

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/web"
)

// rvRow is an order waiting for a verification point's photo.
type rvRow struct {
	Number, Subject, RequestedAt string
}

// rvData is the upload page's .Data.
type rvData struct {
	reviewPage
	Rows      []rvRow
	Form      *Form
	PhotoErr  string // the photo input's own message
	MaxKiB    string // the largest photo accepted
	MinSize   string // the smallest resolution, "600×800"
	Sharpness string // the sharpness of the photo just uploaded (a notice), or ""
}

// reviewVerify answers GET /review/verification: the verification point's
// page (Rule VER-1) — the orders whose customer chose a point visit, and
// the form that uploads the photo taken of the responsible person, found
// by the order number the person brings (?order= fills it in).
func (p *Pages) reviewVerify(w http.ResponseWriter, r *http.Request, st reviewStaff) error {
	d, err := p.rvPage(r, st, &Form{Values: map[string]string{"order": strings.TrimSpace(r.URL.Query().Get("order"))}})
	if err != nil {
		return err
	}
	if s := r.URL.Query().Get("sharpness"); d.Notice == "review.notice.uploaded" {
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			d.Sharpness = s
		}
	}
	return p.Render(w, r, http.StatusOK, "review_verify", d)
}

// rvPage builds the upload page around the form f.
func (p *Pages) rvPage(r *http.Request, st reviewStaff, f *Form) (rvData, error) {
	svc := p.opts.Provider
	visits, err := svc.PointVisits(r.Context())
	if err != nil {
		return rvData{}, err
	}
	l := svc.PhotoLimits()
	d := rvData{reviewPage: p.reviewBase(r, st, "/review/verification"), Form: f,
		MaxKiB: strconv.FormatInt(l.MaxBytes>>10, 10), MinSize: strconv.Itoa(l.MinWidth) + "×" + strconv.Itoa(l.MinHeight)}
	for _, v := range visits {
		d.Rows = append(d.Rows, rvRow{Number: v.Order.Number, Subject: v.SubjectName, RequestedAt: bTime(v.RequestedAt)})
	}
	lang := web.Lang(r)
	for _, pr := range f.problems() {
		if pr.Field == "photo" {
			d.PhotoErr = i18n.Default().Message(lang, pr.Code, pr.Args)
		}
	}
	return d, nil
}

// reviewUpload answers POST /review/verification (multipart: csrf, order,
// photo): the photo is checked at once — format, size, resolution and
// sharpness, a blurry one refused with its score (Rule VER-1) — and the
// order moves to photo review (provider Service.VerifierPhoto). Success
// redirects to the page with the photo's sharpness; a problem shows the
// form again beside its input.
func (p *Pages) reviewUpload(w http.ResponseWriter, r *http.Request, st reviewStaff) error {
	svc := p.opts.Provider
	limit := svc.PhotoLimits().MaxBytes
	r.Body = http.MaxBytesReader(w, r.Body, limit+maxForm)
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return beian.Errorf(beian.KindBadRequest, "page.review_upload_multipart")
	}
	if err := r.ParseMultipartForm(maxForm); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return beian.Errorf(beian.KindTooLarge, "photo.too_large", "max", strconv.FormatInt(limit>>10, 10)+" KiB")
		}
		return &beian.Error{Kind: beian.KindBadRequest, Err: err}
	}
	defer r.MultipartForm.RemoveAll()
	if err := p.CheckForm(r); err != nil {
		return err
	}
	number := strings.TrimSpace(r.PostFormValue("order"))
	f := &Form{Values: map[string]string{"order": number}}
	done, ferr := p.rvUpload(r, st, number, limit)
	if ferr == nil {
		q := url.Values{"notice": {"uploaded"}, "of": {done.number}, "sharpness": {done.sharpness}}
		http.Redirect(w, r, "/review/verification?"+q.Encode(), http.StatusSeeOther)
		return nil
	}
	if web.Status(ferr) >= 500 {
		return ferr
	}
	f.Err = ferr
	d, err := p.rvPage(r, st, f)
	if err != nil {
		return err
	}
	return p.Render(w, r, web.Status(ferr), "review_verify", d)
}

// rvDone is a photo accepted: the order's number and the photo's sharpness.
type rvDone struct{ number, sharpness string }

// rvUpload reads the photo and hands it to the provider; a problem of the
// form is an error with problems at "order" or "photo".
func (p *Pages) rvUpload(r *http.Request, st reviewStaff, number string, limit int64) (rvDone, error) {
	svc := p.opts.Provider
	if number == "" {
		return rvDone{}, beian.Problems{beian.NewProblem("page.review_order_required", "VER-1", "order")}.Err()
	}
	o, err := svc.Store.OrderByNumber(r.Context(), number)
	if beian.IsKind(err, beian.KindNotFound) {
		return rvDone{}, beian.Problems{beian.NewProblem("page.review_order_unknown", "VER-1", "order")}.Err()
	}
	if err != nil {
		return rvDone{}, err
	}
	file, _, err := r.FormFile("photo")
	if err != nil {
		return rvDone{}, beian.Problems{beian.NewProblem("verification.photo_required", "VER-1", "photo")}.Err()
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, limit+1))
	if err != nil {
		return rvDone{}, err
	}
	if len(data) == 0 {
		return rvDone{}, beian.Problems{beian.NewProblem("verification.photo_required", "VER-1", "photo")}.Err()
	}
	ans, err := svc.VerifierPhoto(r.Context(), st.ID, o.ID, data)
	if err != nil {
		return rvDone{}, err
	}
	return rvDone{number: o.Number, sharpness: strconv.FormatFloat(ans.Sharpness, 'f', 1, 64)}, nil
}
