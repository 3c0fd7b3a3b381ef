package page

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/sqlstore"
	"github.com/beian/beian/sqlstore/providerdb"
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
	Total int    // orders in the stage
	From  int    // the position of the page's first row in the queue, from 1
	To    int    // and of its last row
	Next  string // the next page's URL, "" on the last
	First string // the first page's URL, "" on the first
}

// rqPageSize is the rows of a queue page: the queue is read page by page
// (providerdb.Store.QueuePage), so a page costs the same however many
// orders wait (issue 7: every page under 50 ms at p99 with 100,000 orders).
const rqPageSize = 50

// reviewQueue answers GET /review?stage=initial_review|photo_review[&after=…]:
// a page of the queue's orders oldest first, each with its SLA deadline of
// 1 business day and the time left (Rule REV-1; provider.Service.ReviewSLA),
// the minor flag (Rule SUBJ-2) and who holds a claim, and the link to the
// next page. after is the cursor of the previous page's last order
// ("<stage_at µs>-<id>"); a malformed one is 404.
func (p *Pages) reviewQueue(w http.ResponseWriter, r *http.Request, st reviewStaff) error {
	stage := beian.Stage(r.URL.Query().Get("stage"))
	if stage == "" {
		stage = beian.StageInitialReview
	}
	if stage != beian.StageInitialReview && stage != beian.StagePhotoReview {
		return beian.Errorf(beian.KindNotFound, "")
	}
	after, from, err := rqCursor(r.URL.Query())
	if err != nil {
		return err
	}
	svc, ctx := p.opts.Provider, r.Context()
	orders, err := svc.Store.QueuePage(ctx, stage, after, rqPageSize+1)
	if err != nil {
		return err
	}
	claims, err := svc.Store.Claims(ctx, stage, svc.DB.Clock.Now())
	if err != nil {
		return err
	}
	lang := web.Lang(r)
	base := "/review?stage=" + string(stage)
	d := rqData{reviewPage: p.reviewBase(r, st, base), Stage: string(stage), Title: "review.queue." + string(stage), From: from}
	if d.Total, err = svc.Store.CountInStage(ctx, stage); err != nil {
		return err
	}
	if after.ID > 0 {
		d.First = base
	}
	if len(orders) > rqPageSize {
		orders = orders[:rqPageSize]
		last := orders[len(orders)-1]
		d.Next = base + "&" + url.Values{"after": {strconv.FormatInt(sqlstore.Micro(last.StageAt), 10) + "-" + strconv.FormatInt(last.ID, 10)},
			"from": {strconv.Itoa(from + rqPageSize)}}.Encode()
	}
	for _, o := range orders {
		var data beian.OrderData
		_ = json.Unmarshal(o.Data, &data)
		deadline, left := svc.ReviewSLA(o)
		minors, _ := svc.ReviewMinors(o)
		row := rqRow{ID: strconv.FormatInt(o.ID, 10), Number: o.Number, Type: "bureau.type." + string(o.Type), Subject: data.Subject.Name,
			Province: data.Subject.Province, SubmittedAt: bTime(o.SubmittedAt), Since: bTime(o.StageAt), Deadline: bTime(deadline),
			Left: slaLeft(lang, left), Overdue: left < 0, Commercial: o.Commercial, Minor: len(minors) > 0}
		if pv, ok := svc.Ref.Province(data.Subject.Province); ok {
			row.Province = pv.FullName
		}
		if c, ok := claims[o.ID]; ok {
			row.ClaimedByMe, row.ClaimedByOther = c.ReviewerID == st.ID, c.ReviewerID != st.ID
			row.ClaimExpires = bTime(c.ExpiresAt)
		}
		d.Rows = append(d.Rows, row)
	}
	d.To = from + len(d.Rows) - 1
	return p.Render(w, r, http.StatusOK, "review_queue", d)
}

// rqCursor reads a queue page's cursor (after) and the position of its
// first row (from, 1 on the first page).
func rqCursor(v url.Values) (after providerdb.QueueCursor, from int, err error) {
	from = 1
	s := v.Get("after")
	if s == "" {
		return after, from, nil
	}
	at, id, ok := strings.Cut(s, "-")
	us, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || n <= 0 {
		return after, from, beian.Errorf(beian.KindNotFound, "")
	}
	if f, err := strconv.Atoi(v.Get("from")); err == nil && f > 1 {
		from = f
	}
	return providerdb.QueueCursor{StageAt: sqlstore.FromMicro(us), ID: n}, from, nil
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
