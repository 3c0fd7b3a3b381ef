package page

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/web"
)

// rDoc is one document of the order, linked to its audited view.
type rDoc struct {
	ID, Kind, Path, ContentType, Bytes, At string
}

// rPhoto is the order's latest verification photo beside its sharpness
// (Rule VER-1; the variance of the Laplacian against the minimum).
type rPhoto struct {
	Method, Status, At string
	Sharpness, Minimum string
	Sharp              bool
}

// rSupplement is the order's latest supplementary-material request.
type rSupplement struct {
	Note, Due, Fields string
}

// rOrderData is the order page's .Data.
type rOrderData struct {
	reviewPage
	ID, Number, Type, Stage            string
	Commercial                         bool
	SubmittedAt, Since, Deadline, Left string
	Overdue, InReview, InInitial       bool
	ClaimedByMe, ClaimedByOther        bool
	ClaimExpires                       string
	Minors                             []string // field paths of the under-age persons (Rule SUBJ-2)
	MinorSupplement                    string   // what the province asks of them
	Sections                           []bSubSection
	Documents                          []rDoc
	Photo                              *rPhoto
	LastItems                          []beian.ReviewItem
	Supplement                         *rSupplement
	SupplementDue                      string // the due date a request made now gets (Rule REV-8)
	Decision                           rDecisionForm
	Supply                             rSupplyForm
}

// reviewOrder answers GET /review/orders/{id}: every field of the order
// (personal data included: this desk is for staff only, Rule PRIV-1), its
// documents (each view audited), the photo and its sharpness, the minor
// flags, the last items, and the decision and supplement forms.
func (p *Pages) reviewOrder(w http.ResponseWriter, r *http.Request, st reviewStaff) error {
	d, err := p.rOrderPage(r, st)
	if err != nil {
		return err
	}
	d.Decision.fill(nil)
	d.Supply.Note = d.MinorSupplement
	return p.Render(w, r, http.StatusOK, "review_order", d)
}

// rOrderPage loads the order and builds its page without the forms' state.
func (p *Pages) rOrderPage(r *http.Request, st reviewStaff) (rOrderData, error) {
	svc := p.opts.Provider
	ctx := r.Context()
	id, err := reviewOrderID(r)
	if err != nil {
		return rOrderData{}, err
	}
	o, err := svc.Store.Order(ctx, id)
	if err != nil {
		return rOrderData{}, err
	}
	if o.Stage == beian.StageDraft {
		return rOrderData{}, beian.Errorf(beian.KindNotFound, "") // a draft is the customer's alone
	}
	lang := web.Lang(r)
	d := rOrderData{reviewPage: p.reviewBase(r, st, ""), ID: strconv.FormatInt(o.ID, 10), Number: o.Number,
		Type: "bureau.type." + string(o.Type), Stage: "review.stage." + string(o.Stage), Commercial: o.Commercial,
		SubmittedAt: bTime(o.SubmittedAt), Since: bTime(o.StageAt),
		InReview:  o.Stage == beian.StageInitialReview || o.Stage == beian.StagePhotoReview,
		InInitial: o.Stage == beian.StageInitialReview}
	if _, ok := p.labels[lang][d.Stage]; !ok {
		d.Stage = "review.stage.other"
	}
	if d.InReview {
		deadline, left := svc.ReviewSLA(o)
		d.Deadline, d.Left, d.Overdue = bTime(deadline), slaLeft(lang, left), left < 0
		c, ok, err := svc.ReviewClaim(ctx, o)
		if err != nil {
			return d, err
		}
		if ok {
			d.ClaimedByMe, d.ClaimedByOther, d.ClaimExpires = c.ReviewerID == st.ID, c.ReviewerID != st.ID, bTime(c.ExpiresAt)
		}
	}
	var kind string
	d.Minors, kind = svc.ReviewMinors(o)
	if kind != "" { // the province's material, by its code (refdata), named in the language
		d.MinorSupplement = kind
		if name, ok := p.labels[lang]["review.supplement_kind."+kind]; ok {
			d.MinorSupplement = name
		}
	}
	var od beian.OrderData
	_ = json.Unmarshal(o.Data, &od)
	d.Sections = rSections(p, od, r)
	docs, err := svc.Store.Documents(ctx, o.ID)
	if err != nil {
		return d, err
	}
	for _, doc := range docs {
		d.Documents = append(d.Documents, rDoc{ID: strconv.FormatInt(doc.ID, 10), Kind: doc.Kind, Path: "documents." + doc.Kind,
			ContentType: doc.ContentType, Bytes: strconv.FormatInt(doc.Bytes, 10), At: bTime(doc.CreatedAt)})
	}
	if v, err := svc.Store.LatestVerification(ctx, o.ID); err == nil && v.PhotoSHA256 != "" {
		minimum := svc.PhotoLimits().MinSharpness
		d.Photo = &rPhoto{Method: "review.method." + v.Method, Status: "review.vstatus." + v.Status, At: bTime(v.CreatedAt),
			Sharpness: strconv.FormatFloat(v.Sharpness, 'f', 1, 64), Minimum: strconv.FormatFloat(minimum, 'f', 1, 64), Sharp: v.Sharpness >= minimum}
	} else if err != nil && !beian.IsKind(err, beian.KindNotFound) {
		return d, err
	}
	if d.LastItems, _, err = svc.Store.ReviewItems(ctx, o.ID, 0); err != nil {
		return d, err
	}
	if sp, ok, err := svc.LatestSupplement(ctx, o.ID); err != nil {
		return d, err
	} else if ok && o.Stage == beian.StageSupplementRequested {
		d.Supplement = &rSupplement{Note: sp.Note, Due: bTime(sp.DueAt), Fields: strings.Join(sp.Fields, ", ")}
	}
	d.SupplementDue = bTime(svc.SupplementDue())
	for _, sec := range d.Sections {
		for _, row := range sec.Rows {
			d.Decision.Paths = append(d.Decision.Paths, bSubRow{Label: row.Label, Path: row.Path})
		}
	}
	for _, doc := range d.Documents {
		d.Decision.Paths = append(d.Decision.Paths, bSubRow{Label: "review.f.document", Path: doc.Path})
	}
	d.Decision.Paths = append(d.Decision.Paths, bSubRow{Label: "review.f.documents", Path: "documents"},
		bSubRow{Label: "review.f.verification", Path: "verification"})
	return d, nil
}

// rSections lays the order's form out as the bureau desk lays a
// submission out (subject, websites: every field with its path), plus the
// cloud resources each website uses (Rules ACC-2, ACC-3). The filing
// password is never part of it.
func rSections(p *Pages, od beian.OrderData, r *http.Request) []bSubSection {
	s := beian.Submission{Subject: od.Subject.SubjectData, Cancel: od.Cancel}
	for _, ws := range od.Websites {
		s.Websites = append(s.Websites, ws.WebsiteData)
	}
	secs := bSections(s, p.opts.Provider.Ref, web.Lang(r))
	for i, ws := range od.Websites {
		var refs []string
		for _, rr := range ws.Resources {
			switch {
			case rr.ResourceID != 0:
				refs = append(refs, "#"+strconv.FormatInt(rr.ResourceID, 10))
			case rr.AuthCode != "":
				refs = append(refs, p.labels[web.Lang(r)]["review.auth_code"])
			}
		}
		if i+1 < len(secs) {
			secs[i+1].Rows = append(secs[i+1].Rows, bSubRow{"review.f.resources", "websites[" + strconv.Itoa(i) + "].resources", strings.Join(refs, ", ")})
		}
	}
	if od.Subject.Number != "" {
		secs[0].Rows = append([]bSubRow{{"bureau.col.subject_number", "subject.number", od.Subject.Number}}, secs[0].Rows...)
	}
	if od.Transfer != "" {
		secs[0].Rows = append(secs[0].Rows, bSubRow{"review.f.transfer", "transfer", od.Transfer})
	}
	if len(od.Cancel) > 0 {
		secs[0].Rows = append(secs[0].Rows, bSubRow{"bureau.order.cancel", "cancel", strings.Join(od.Cancel, "、")})
	}
	return secs
}

// reviewDocument answers GET /review/orders/{id}/documents/{doc}: the
// document's content, the view written to the audit log first (Rule
// PRIV-1, providerdb.Store.ViewDocument). Images are shown in the page;
// any other type is a download.
func (p *Pages) reviewDocument(w http.ResponseWriter, r *http.Request, st reviewStaff) error {
	id, err := reviewOrderID(r)
	if err != nil {
		return err
	}
	docID, err := strconv.ParseInt(r.PathValue("doc"), 10, 64)
	if err != nil || docID <= 0 {
		return beian.Errorf(beian.KindNotFound, "")
	}
	svc := p.opts.Provider
	doc, err := svc.Store.ViewDocument(r.Context(), st.ID, string(st.Role), id, docID)
	if err != nil {
		return err
	}
	f, _, err := svc.Blobs.Open(doc.SHA256)
	if err != nil {
		return err
	}
	defer f.Close()
	return rServe(w, f, doc.ContentType, doc.Bytes, "document-"+strconv.FormatInt(doc.ID, 10))
}

// reviewPhoto answers GET /review/orders/{id}/photo: the latest
// verification photo, the view audited (Rule PRIV-1).
func (p *Pages) reviewPhoto(w http.ResponseWriter, r *http.Request, st reviewStaff) error {
	id, err := reviewOrderID(r)
	if err != nil {
		return err
	}
	v, f, err := p.opts.Provider.ViewVerificationPhoto(r.Context(), st.ID, st.Role, id)
	if err != nil {
		return err
	}
	defer f.Close()
	return rServe(w, f, rSniff(f), -1, "photo-"+strconv.FormatInt(v.ID, 10))
}

// rSniff reads the head of a photo for its type and rewinds.
func rSniff(f io.ReadSeeker) string {
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	_, _ = f.Seek(0, io.SeekStart)
	return http.DetectContentType(head[:n])
}

// rServe writes personal content: never cached, never sniffed, inline for
// images and a download otherwise.
func rServe(w http.ResponseWriter, f io.Reader, ct string, size int64, name string) error {
	h := w.Header()
	h.Set("Content-Type", ct)
	if size >= 0 {
		h.Set("Content-Length", strconv.FormatInt(size, 10))
	}
	disp := "attachment"
	if strings.HasPrefix(ct, "image/") {
		disp = "inline"
	}
	h.Set("Content-Disposition", disp+`; filename="`+name+`"`)
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, err := io.Copy(w, f)
	return err
}
