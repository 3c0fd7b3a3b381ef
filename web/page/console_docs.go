package page

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/web"
)

// cUploadMax bounds an upload's body: the provider's document limit (10
// MiB by default) and the form's other fields.
const cUploadMax = 10<<20 + maxForm

// consoleUpload is console for the multipart upload form: the body
// bounded, the multipart form parsed (files past 1 MiB go to temporary
// files) and the CSRF token checked before the handler runs.
func (p *Pages) consoleUpload(h consoleHandler) http.Handler {
	return p.console(func(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
		limit := int64(cUploadMax)
		if m := p.opts.Provider.Options.MaxDocumentBytes; m > 0 {
			limit = m + maxForm
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			if err := r.ParseMultipartForm(1 << 20); err != nil {
				if _, ok := err.(*http.MaxBytesError); ok {
					return &beian.Error{Kind: beian.KindTooLarge, Err: err}
				}
				return &beian.Error{Kind: beian.KindBadRequest, Err: err}
			}
		}
		if err := p.CheckForm(r); err != nil {
			return err
		}
		return h(w, r, pr)
	})
}

// consoleDocument answers POST /console/orders/{id}/documents: 上传资料,
// one file of a kind (provider UploadDocument: JPEG, PNG, WebP or PDF,
// only while documents may be changed). A problem shows the step again
// beside the file input; success shows the step with the document listed.
func (p *Pages) consoleDocument(w http.ResponseWriter, r *http.Request, pr identity.Principal) error {
	ctx, svc := r.Context(), p.opts.Provider
	o, err := svc.CustomerOrder(ctx, pr.AccountID, r.PathValue("id"))
	if err != nil {
		return err
	}
	kind := r.PostFormValue("kind")
	var uerr error
	if r.MultipartForm == nil || len(r.MultipartForm.File["file"]) == 0 {
		var ps beian.Problems
		ps.Add("order.document_empty", "PRIV-1", "file")
		uerr = ps.Err()
	} else {
		f, err := r.MultipartForm.File["file"][0].Open()
		if err != nil {
			return err
		}
		defer f.Close()
		_, uerr = svc.UploadDocument(ctx, pr, o, kind, f)
	}
	if uerr == nil {
		cRedirect(w, r, "/console/orders/"+strconv.FormatInt(o.ID, 10)+"/edit?step=documents", "uploaded", o.Number)
		return nil
	}
	if web.Status(uerr) >= 500 {
		return uerr
	}
	d, err := p.cFormPage(r, pr, o, "documents", cDecode(o.Data), uerr)
	if err != nil {
		return err
	}
	return p.Render(w, r, web.Status(uerr), "console_form", d)
}
