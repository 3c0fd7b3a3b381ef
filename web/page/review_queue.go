package page

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/web"
)

// rqRow is one order of a review queue as the page shows it.
type rqRow struct {
	ID, Number, Type, Subject, Province string
	SubmittedAt, Since, Deadline, Left  string
	Overdue, Commercial, Minor          bool
	ClaimedByMe, ClaimedByOther         bool
	ClaimExpires                        string
}

// rqData is the queue page's .Data.
type rqData struct {
	reviewPage
	Stage string // initial_review or photo_review
	Title string // label key of the queue's title
	Rows  []rqRow
}

// reviewQueue answers GET /review?stage=initial_review|photo_review: the
// queue's orders oldest first, each with its SLA deadline of 1 business
// day and the time left (Rule REV-1; provider.Service.Queue), the minor
// flag (Rule SUBJ-2) and who holds a claim.
func (p *Pages) reviewQueue(w http.ResponseWriter, r *http.Request, st reviewStaff) error {
	stage := beian.Stage(r.URL.Query().Get("stage"))
	if stage == "" {
		stage = beian.StageInitialReview
	}
	if stage != beian.StageInitialReview && stage != beian.StagePhotoReview {
		return beian.Errorf(beian.KindNotFound, "")
	}
	items, err := p.opts.Provider.Queue(r.Context(), stage)
	if err != nil {
		return err
	}
	lang := web.Lang(r)
	d := rqData{reviewPage: p.reviewBase(r, st, "/review?stage="+string(stage)), Stage: string(stage), Title: "review.queue." + string(stage)}
	for _, it := range items {
		row := rqRow{ID: strconv.FormatInt(it.ID, 10), Number: it.Number, Type: "bureau.type." + string(it.Type), Subject: it.SubjectName,
			Province: it.Province, SubmittedAt: bTime(it.SubmittedAt), Since: bTime(it.Since), Deadline: bTime(it.SLADeadline),
			Left: slaLeft(lang, it.SLASeconds), Overdue: it.Overdue, Commercial: it.Commercial, Minor: it.Minor}
		if pv, ok := p.opts.Provider.Ref.Province(it.Province); ok {
			row.Province = pv.FullName
		}
		if it.ClaimedBy != 0 {
			row.ClaimedByMe, row.ClaimedByOther = it.ClaimedBy == st.ID, it.ClaimedBy != st.ID
			row.ClaimExpires = bTime(it.ClaimExpiresAt)
		}
		d.Rows = append(d.Rows, row)
	}
	return p.Render(w, r, http.StatusOK, "review_queue", d)
}

// reviewClaim answers POST /review/orders/{id}/claim: the reviewer claims
// the order for provider.ClaimTTL and lands on its page; an order claimed
// by another reviewer or out of review shows the error page (409).
func (p *Pages) reviewClaim(w http.ResponseWriter, r *http.Request, st reviewStaff) error {
	id, err := reviewOrderID(r)
	if err != nil {
		return err
	}
	o, err := p.opts.Provider.Store.Order(r.Context(), id)
	if err != nil {
		return err
	}
	if _, err := p.opts.Provider.ClaimReview(r.Context(), st.ID, id); err != nil {
		return err
	}
	rRedirect(w, r, "/review/orders/"+strconv.FormatInt(id, 10), "claimed", o.Number)
	return nil
}

// rRedirect answers 303 to path (which may hold a query) with a notice
// about "of".
func rRedirect(w http.ResponseWriter, r *http.Request, path, notice, of string) {
	q := url.Values{"notice": {notice}}
	if of != "" {
		q.Set("of", of)
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	http.Redirect(w, r, path+sep+q.Encode(), http.StatusSeeOther)
}
